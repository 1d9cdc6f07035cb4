package io.switchyard.extauthz.log;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.switchyard.extauthz.decision.Decision;
import io.switchyard.extauthz.metrics.ExtAuthzMetrics;
import io.switchyard.extauthz.policy.AuthzOutcome;
import io.switchyard.extauthz.request.RequestAttributes;
import io.switchyard.model.v1.AuthzDecisionRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asynchronous decision log: Check only offers to a bounded queue and never waits; a full queue drops
 * the record and counts it. One daemon thread takes batches from the queue, turns entries into
 * {@link AuthzDecisionRecord}s (with redacted headers) and hands them to the sink; at most twice the
 * capacity is held, the queue and the batch being written.
 */
public final class DecisionLogger implements AutoCloseable {
  public static final Set<String> DEFAULT_REDACTED = Set.of("authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key");
  static final String REDACTED = "[redacted]";
  private static final Logger LOG = LoggerFactory.getLogger(DecisionLogger.class);
  private static final int MAX_HEADER_VALUE = 512;
  private static final int MEMO = 64;
  private static final long IDLE_NANOS = 1_000_000;
  private static final int BATCH = 256;

  private final BlockingQueue<DecisionLogEntry> queue;
  private final DecisionLogSink sink;
  private final Set<String> redacted;
  private final Thread worker;
  private volatile boolean running = true;
  private final CounterDataPoint dropped;
  private final CounterDataPoint sent;
  private final CounterDataPoint failed;
  private final Decision[] memoKeys = new Decision[MEMO];
  private final AuthzDecisionRecord[] memoValues = new AuthzDecisionRecord[MEMO];

  public DecisionLogger(DecisionLogSink sink, int capacity, Set<String> redactedHeaders, ExtAuthzMetrics metrics) {
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.sink = sink;
    this.redacted = redactedHeaders.stream().map(h -> h.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    this.dropped = metrics.logRecords.labelValues("dropped");
    this.sent = metrics.logRecords.labelValues("sent");
    this.failed = metrics.logRecords.labelValues("failed");
    this.worker = new Thread(this::drain, "ext-authz-decision-log");
    worker.setDaemon(true);
    worker.start();
  }

  /** Never blocks. */
  public void submit(DecisionLogEntry e) {
    if (!queue.offer(e)) {
      dropped.inc();
    }
  }

  private void drain() {
    List<DecisionLogEntry> batch = new ArrayList<>(BATCH);
    while (running || !queue.isEmpty()) {
      // Never waits on the queue's condition: a waiting consumer makes every offer() wake it, a
      // futex call and a context switch per Check. Polling an empty queue every millisecond is cheaper,
      // and taking a batch per lock keeps the consumer off the lock that Check's offer() needs.
      queue.drainTo(batch, BATCH);
      if (batch.isEmpty()) {
        LockSupport.parkNanos(IDLE_NANOS);
        if (Thread.interrupted()) {
          running = false;
        }
        continue;
      }
      for (DecisionLogEntry e : batch) {
        write(e);
      }
      batch.clear();
    }
  }

  private void write(DecisionLogEntry e) {
    try {
      AuthzDecisionRecord r = toRecord(e);
      sink.write(r.getNamespace() + "/" + r.getWorkload(), r);
      sent.inc();
    } catch (Exception ex) {
      failed.inc();
      LOG.warn("decision log record {} not written: {}", e.decisionId(), ex.toString());
    }
  }

  AuthzDecisionRecord toRecord(DecisionLogEntry e) {
    RequestAttributes r = e.request();
    Decision d = e.decision();
    AuthzDecisionRecord.Builder b = d == null ? AuthzDecisionRecord.newBuilder() : decisionPart(d).toBuilder();
    b.setSchemaVersion(1).setDecisionId(e.decisionId())
        .setTimeUnixNano(e.timeUnixNanos()).setCacheHit(e.cacheHit()).setLatencyNanos(e.latencyNanos());
    if (r.workload().namespace() != null) {
      b.setNamespace(r.workload().namespace());
    }
    if (r.workload().name() != null) {
      b.setWorkload(r.workload().name());
    }
    if (r.sourcePrincipal() != null) {
      b.setPrincipal(r.sourcePrincipal());
    }
    if (r.method() != null) {
      b.setMethod(r.method());
    }
    if (r.host() != null) {
      b.setHost(r.host());
    }
    if (r.path() != null) {
      b.setPath(r.path());
    } else if (r.rawPath() != null) {
      b.setPath(r.rawPath());
    }
    b.putAllHeaders(loggedHeaders(r.headers()));
    if (d == null) {
      b.setResult(AuthzDecisionRecord.Result.RESULT_ERROR).setReason(e.errorReason()).setMatchedRule(-1);
    }
    return b.build();
  }

  /** The headers as logged: redacted and truncated values replaced; the request's own map when none is. */
  private Map<String, String> loggedHeaders(Map<String, String> headers) {
    Map<String, String> out = null;
    for (Map.Entry<String, String> h : headers.entrySet()) {
      String v = h.getValue();
      String logged = redacted.contains(h.getKey()) ? REDACTED : v.length() > MAX_HEADER_VALUE ? v.substring(0, MAX_HEADER_VALUE) : v;
      if (logged != v && out == null) {
        out = new HashMap<>(headers);
      }
      if (out != null) {
        out.put(h.getKey(), logged);
      }
    }
    return out == null ? headers : out;
  }

  /**
   * The fields that come from the decision alone. Cache hits share decision objects, so a small
   * direct-mapped memo (used by the one logger thread only) rebuilds them rarely.
   */
  private AuthzDecisionRecord decisionPart(Decision d) {
    int slot = System.identityHashCode(d) & (MEMO - 1);
    if (memoKeys[slot] == d) {
      return memoValues[slot];
    }
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
    AuthzDecisionRecord part = b.build();
    memoKeys[slot] = d;
    memoValues[slot] = part;
    return part;
  }

  /** Stops taking the queue after draining what is in it, then closes the sink. */
  @Override
  public void close() {
    running = false;
    try {
      worker.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    sink.close();
  }
}
