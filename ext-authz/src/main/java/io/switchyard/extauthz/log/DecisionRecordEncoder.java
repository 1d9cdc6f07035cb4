package io.switchyard.extauthz.log;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.switchyard.extauthz.decision.Decision;
import io.switchyard.extauthz.policy.AuthzOutcome;
import io.switchyard.extauthz.request.RequestAttributes;
import io.switchyard.extauthz.request.WorkloadRef;
import io.switchyard.model.v1.AuthzDecisionRecord;
import java.io.IOException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Writes {@link AuthzDecisionRecord} wire bytes without building the message. The fields that come from
 * the decision alone are encoded once per decision and copied in; the per-call fields follow. Parsing a
 * concatenation of encodings merges them, and no field is in both parts, so the bytes parse to the record
 * a builder would make. Not thread-safe: the logger's one thread owns it.
 */
final class DecisionRecordEncoder {
  static final String REDACTED = "[redacted]";
  static final int MAX_HEADER_VALUE = 512;
  private static final int MEMO = 64;
  private static final int SCHEMA_VERSION = 1;

  private final Set<String> redacted;
  private final Decision[] memoKeys = new Decision[MEMO];
  private final byte[][] memoValues = new byte[MEMO][];
  private byte[] scratch = new byte[4096];
  private WorkloadRef lastWorkload;
  private String lastKey;

  DecisionRecordEncoder(Set<String> redactedHeaders) {
    this.redacted = redactedHeaders.stream().map(h -> h.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
  }

  /** The Kafka key: namespace/workload, each empty when unknown. Requests of one workload share its ref. */
  String key(DecisionLogEntry e) {
    WorkloadRef w = e.request().workload();
    if (w != lastWorkload) {
      lastKey = (w.namespace() == null ? "" : w.namespace()) + "/" + (w.name() == null ? "" : w.name());
      lastWorkload = w;
    }
    return lastKey;
  }

  /**
   * Encodes the record into {@link #buffer()} and returns its length. The bytes stay valid until the next
   * call, so only a sink that keeps them (Kafka) pays for a copy of each record.
   */
  int encode(DecisionLogEntry e) throws IOException {
    while (true) {
      CodedOutputStream out = CodedOutputStream.newInstance(scratch);
      try {
        write(e, out);
        return out.getTotalBytesWritten();
      } catch (CodedOutputStream.OutOfSpaceException full) {
        // Long paths or many headers: grow once for this and later records.
        scratch = new byte[scratch.length * 2];
      }
    }
  }

  /** The buffer {@link #encode} last wrote; it is replaced when a record does not fit. */
  byte[] buffer() {
    return scratch;
  }

  private void write(DecisionLogEntry e, CodedOutputStream out) throws IOException {
    RequestAttributes r = e.request();
    Decision d = e.decision();
    if (d != null) {
      out.writeRawBytes(decisionPart(d));
    }
    out.writeUInt32(AuthzDecisionRecord.SCHEMA_VERSION_FIELD_NUMBER, SCHEMA_VERSION);
    writeString(out, AuthzDecisionRecord.DECISION_ID_FIELD_NUMBER, e.decisionId());
    if (e.timeUnixNanos() != 0) {
      out.writeFixed64(AuthzDecisionRecord.TIME_UNIX_NANO_FIELD_NUMBER, e.timeUnixNanos());
    }
    if (e.cacheHit()) {
      out.writeBool(AuthzDecisionRecord.CACHE_HIT_FIELD_NUMBER, true);
    }
    if (e.latencyNanos() != 0) {
      out.writeUInt64(AuthzDecisionRecord.LATENCY_NANOS_FIELD_NUMBER, e.latencyNanos());
    }
    writeString(out, AuthzDecisionRecord.NAMESPACE_FIELD_NUMBER, r.workload().namespace());
    writeString(out, AuthzDecisionRecord.WORKLOAD_FIELD_NUMBER, r.workload().name());
    writeString(out, AuthzDecisionRecord.PRINCIPAL_FIELD_NUMBER, r.sourcePrincipal());
    writeString(out, AuthzDecisionRecord.METHOD_FIELD_NUMBER, r.method());
    writeString(out, AuthzDecisionRecord.HOST_FIELD_NUMBER, r.host());
    writeString(out, AuthzDecisionRecord.PATH_FIELD_NUMBER, r.path() != null ? r.path() : r.rawPath());
    for (Map.Entry<String, String> h : r.headers().entrySet()) {
      String k = h.getKey();
      String v = h.getValue();
      String logged = redacted.contains(k) ? REDACTED : v.length() > MAX_HEADER_VALUE ? v.substring(0, MAX_HEADER_VALUE) : v;
      out.writeTag(AuthzDecisionRecord.HEADERS_FIELD_NUMBER, WireFormat.WIRETYPE_LENGTH_DELIMITED);
      out.writeUInt32NoTag(CodedOutputStream.computeStringSize(1, k) + CodedOutputStream.computeStringSize(2, logged));
      out.writeString(1, k);
      out.writeString(2, logged);
    }
    if (d == null) {
      out.writeEnum(AuthzDecisionRecord.RESULT_FIELD_NUMBER, AuthzDecisionRecord.Result.RESULT_ERROR_VALUE);
      out.writeInt32(AuthzDecisionRecord.MATCHED_RULE_FIELD_NUMBER, -1);
      writeString(out, AuthzDecisionRecord.REASON_FIELD_NUMBER, e.errorReason());
    }
  }

  /** proto3 leaves empty strings off the wire; null means not known, written the same way. */
  private static void writeString(CodedOutputStream out, int field, String s) throws IOException {
    if (s != null && !s.isEmpty()) {
      out.writeString(field, s);
    }
  }

  /**
   * The fields that come from the decision alone, encoded. Cache hits share decision objects, so a small
   * direct-mapped memo encodes them rarely.
   */
  private byte[] decisionPart(Decision d) {
    int slot = System.identityHashCode(d) & (MEMO - 1);
    if (memoKeys[slot] == d) {
      return memoValues[slot];
    }
    byte[] part = decisionRecord(d).toByteArray();
    memoKeys[slot] = d;
    memoValues[slot] = part;
    return part;
  }

  /** The record fields that come from the decision alone, as the builder makes them. */
  static AuthzDecisionRecord decisionRecord(Decision d) {
    AuthzDecisionRecord.Builder b = AuthzDecisionRecord.newBuilder();
    b.setPolicyRevision(d.revision()).setReason(d.reason() == null ? "" : d.reason());
    b.setResult(d.result() == Decision.Result.ALLOW ? AuthzDecisionRecord.Result.RESULT_ALLOW
        : d.result() == Decision.Result.DENY ? AuthzDecisionRecord.Result.RESULT_DENY : AuthzDecisionRecord.Result.RESULT_UNAUTHENTICATED);
    if (d.authn() != null && d.authn().identity().present()) {
      b.setRequestPrincipal(d.authn().identity().principal());
    }
    b.setMatchedPolicy(d.matchedPolicy()).setMatchedRule(d.matchedRule());
    AuthzOutcome o = d.outcome();
    if (o != null) {
      b.addAllAuditPolicies(o.auditPolicies());
      for (AuthzOutcome.DryRun dr : o.dryRuns()) {
        b.addDryRun(AuthzDecisionRecord.DryRunOutcome.newBuilder().setPolicy(dr.policy())
            .setWouldBe(dr.wouldAllow() ? AuthzDecisionRecord.Result.RESULT_ALLOW : AuthzDecisionRecord.Result.RESULT_DENY));
      }
    }
    return b.build();
  }
}
