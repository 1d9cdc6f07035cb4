package io.switchyard.extauthz.log;

import io.switchyard.extauthz.decision.Decision;
import io.switchyard.extauthz.policy.AuthzOutcome;
import io.switchyard.extauthz.request.HeaderEntries;
import io.switchyard.extauthz.request.RequestAttributes;
import io.switchyard.extauthz.request.WorkloadRef;
import io.switchyard.model.v1.AuthzDecisionRecord;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Writes {@link AuthzDecisionRecord} wire bytes without building the message. The fields that come from
 * the decision alone are encoded once per decision and copied in; the per-call fields follow. Parsing a
 * concatenation of encodings merges them, and no field is in both parts, so the bytes parse to the record
 * a builder would make. Strings are written straight into the buffer, ASCII byte by byte (protobuf's
 * encoder makes a temporary UTF-8 array per string); others go through the JDK's UTF-8 encoder, which, like
 * protobuf's fallback, writes an unpaired surrogate as '?'. Not thread-safe: one encoder per thread.
 */
final class DecisionRecordEncoder {
  static final String REDACTED = "[redacted]";
  static final int MAX_HEADER_VALUE = 512;
  private static final int SCHEMA_VERSION = 1;
  private static final int INITIAL_BUFFER = 4096;
  private static final int MAX_KEPT_BUFFER = 64 * 1024;
  private static final int VARINT = 0;
  private static final int FIXED64 = 1;
  private static final int LENGTH_DELIMITED = 2;

  /**
   * Lower-case names whose values are logged as {@link #REDACTED}. Checked by length, then content: the request's
   * header names are fresh strings whose hash is not computed yet, and a set lookup hashed every name.
   */
  private final String[] redacted;
  private byte[] buf = new byte[INITIAL_BUFFER];
  private int pos;
  private final BiConsumer<String, String> headerWriter = this::header;
  /** The entries of the request being encoded, when its headers came from the wire as they are; and the next one's index. */
  private HeaderEntries headerEntries;
  private int headerIndex;
  private WorkloadRef lastWorkload;
  private String lastKey;

  DecisionRecordEncoder(Set<String> redactedHeaders) {
    this.redacted = redactedHeaders.stream().map(h -> h.toLowerCase(Locale.ROOT)).distinct().toArray(String[]::new);
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
   * call.
   */
  int encode(DecisionLogEntry e) {
    pos = 0;
    write(e);
    return pos;
  }

  /** The buffer {@link #encode} last wrote; it is replaced when a record does not fit. */
  byte[] buffer() {
    return buf;
  }

  /**
   * Drops a buffer that an unusually large record grew, once its bytes are copied: every thread that
   * runs Check has an encoder, so each would otherwise keep its largest record's buffer for good.
   */
  void trim() {
    if (buf.length > MAX_KEPT_BUFFER) {
      buf = new byte[INITIAL_BUFFER];
    }
  }

  private void write(DecisionLogEntry e) {
    RequestAttributes r = e.request();
    Decision d = e.decision();
    if (d != null) {
      byte[] part = decisionPart(d);
      ensure(part.length);
      System.arraycopy(part, 0, buf, pos, part.length);
      pos += part.length;
    }
    tag(AuthzDecisionRecord.SCHEMA_VERSION_FIELD_NUMBER, VARINT);
    varint(SCHEMA_VERSION);
    optionalString(AuthzDecisionRecord.DECISION_ID_FIELD_NUMBER, e.decisionId());
    if (e.timeUnixNanos() != 0) {
      tag(AuthzDecisionRecord.TIME_UNIX_NANO_FIELD_NUMBER, FIXED64);
      fixed64(e.timeUnixNanos());
    }
    if (e.cacheHit()) {
      tag(AuthzDecisionRecord.CACHE_HIT_FIELD_NUMBER, VARINT);
      varint(1);
    }
    if (e.latencyNanos() != 0) {
      tag(AuthzDecisionRecord.LATENCY_NANOS_FIELD_NUMBER, VARINT);
      varint(e.latencyNanos());
    }
    optionalString(AuthzDecisionRecord.NAMESPACE_FIELD_NUMBER, r.workload().namespace());
    optionalString(AuthzDecisionRecord.WORKLOAD_FIELD_NUMBER, r.workload().name());
    optionalString(AuthzDecisionRecord.PRINCIPAL_FIELD_NUMBER, r.sourcePrincipal());
    optionalString(AuthzDecisionRecord.METHOD_FIELD_NUMBER, r.method());
    optionalString(AuthzDecisionRecord.HOST_FIELD_NUMBER, r.host());
    optionalString(AuthzDecisionRecord.PATH_FIELD_NUMBER, r.path() != null ? r.path() : r.rawPath());
    // forEach walks the map's own entries; the unmodifiable view's iterator cost a wrapper call per step.
    headerEntries = r.headerEntries();
    headerIndex = 0;
    r.headers().forEach(headerWriter);
    headerEntries = null;
    if (d == null) {
      tag(AuthzDecisionRecord.RESULT_FIELD_NUMBER, VARINT);
      varint(AuthzDecisionRecord.Result.RESULT_ERROR_VALUE);
      tag(AuthzDecisionRecord.MATCHED_RULE_FIELD_NUMBER, VARINT);
      varint(-1L);
      optionalString(AuthzDecisionRecord.REASON_FIELD_NUMBER, e.errorReason());
    }
  }

  private void header(String k, String v) {
    int index = headerIndex++;
    boolean redact = redacted(k);
    if (headerEntries != null && !redact && v.length() <= MAX_HEADER_VALUE) {
      // Logged as received: the request's own entry is already {1: name, 2: value} in the shortest form, as below.
      int length = headerEntries.length(index);
      tag(AuthzDecisionRecord.HEADERS_FIELD_NUMBER, LENGTH_DELIMITED);
      varint(length);
      ensure(length);
      headerEntries.copy(index, buf, pos);
      pos += length;
      return;
    }
    String logged = redact ? REDACTED : v.length() > MAX_HEADER_VALUE ? v.substring(0, MAX_HEADER_VALUE) : v;
    tag(AuthzDecisionRecord.HEADERS_FIELD_NUMBER, LENGTH_DELIMITED);
    // The map entry's length comes first; one byte is reserved and the entry moved when it needs more.
    ensure(1);
    int lengthAt = pos++;
    tag(1, LENGTH_DELIMITED);
    string(k);
    tag(2, LENGTH_DELIMITED);
    string(logged);
    int length = pos - lengthAt - 1;
    int size = varintSize(length);
    if (size > 1) {
      ensure(size - 1);
      System.arraycopy(buf, lengthAt + 1, buf, lengthAt + size, length);
      pos += size - 1;
    }
    putVarint(lengthAt, length);
  }

  private boolean redacted(String name) {
    int n = name.length();
    for (String r : redacted) {
      if (r.length() == n && r.equals(name)) {
        return true;
      }
    }
    return false;
  }

  /** proto3 leaves empty strings off the wire; null means not known, written the same way. */
  private void optionalString(int field, String s) {
    if (s != null && !s.isEmpty()) {
      tag(field, LENGTH_DELIMITED);
      string(s);
    }
  }

  /** A length-prefixed UTF-8 string. */
  private void string(String s) {
    int n = s.length();
    int size = varintSize(n);
    ensure(size + n);
    int start = pos;
    int p = start + size;
    byte[] b = buf;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        pos = start;
        varint(utf8.length);
        ensure(utf8.length);
        System.arraycopy(utf8, 0, buf, pos, utf8.length);
        pos += utf8.length;
        return;
      }
      b[p++] = (byte) c;
    }
    putVarint(start, n);
    pos = p;
  }

  private void tag(int field, int wireType) {
    varint((field << 3) | wireType);
  }

  private void varint(long v) {
    ensure(10);
    while ((v & ~0x7FL) != 0) {
      buf[pos++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[pos++] = (byte) v;
  }

  /** Writes a non-negative int as a varint at {@code at}, where exactly {@link #varintSize} bytes are free. */
  private void putVarint(int at, int v) {
    while ((v & ~0x7F) != 0) {
      buf[at++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[at] = (byte) v;
  }

  private static int varintSize(int v) {
    return v < (1 << 7) ? 1 : v < (1 << 14) ? 2 : v < (1 << 21) ? 3 : v < (1 << 28) ? 4 : 5;
  }

  private void fixed64(long v) {
    ensure(8);
    for (int i = 0; i < 8; i++) {
      buf[pos++] = (byte) (v >>> (8 * i));
    }
  }

  private void ensure(int n) {
    if (pos + n > buf.length) {
      // Long paths or many headers: grow for this and later records.
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
    }
  }

  /**
   * The fields that come from the decision alone, encoded once per decision and kept on it: cache hits
   * share decision objects. The bytes are never written after they are published.
   */
  private static byte[] decisionPart(Decision d) {
    byte[] part = d.logFields();
    if (part == null) {
      part = decisionRecord(d).toByteArray();
      d.logFields(part);
    }
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
