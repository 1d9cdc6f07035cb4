package io.switchyard.extauthz.log;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.switchyard.extauthz.metrics.ExtAuthzMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asynchronous decision log: Check only offers to a bounded queue and never waits; a full queue drops
 * the record and counts it. One daemon thread takes batches from the queue, encodes entries as
 * {@code AuthzDecisionRecord} bytes (with redacted headers) into one reusable buffer and hands the sink
 * that buffer; at most twice the capacity is held, the queue and the batch being written.
 */
public final class DecisionLogger implements AutoCloseable {
  public static final Set<String> DEFAULT_REDACTED = Set.of("authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key");
  static final String REDACTED = DecisionRecordEncoder.REDACTED;
  private static final Logger LOG = LoggerFactory.getLogger(DecisionLogger.class);
  private static final long IDLE_NANOS = 1_000_000;
  private static final int BATCH = 256;

  private final BlockingQueue<DecisionLogEntry> queue;
  private final DecisionLogSink sink;
  private final DecisionRecordEncoder encoder;
  private final Thread worker;
  private volatile boolean running = true;
  private final CounterDataPoint dropped;
  private final CounterDataPoint sent;
  private final CounterDataPoint failed;

  public DecisionLogger(DecisionLogSink sink, int capacity, Set<String> redactedHeaders, ExtAuthzMetrics metrics) {
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.sink = sink;
    this.encoder = new DecisionRecordEncoder(redactedHeaders);
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
      int length = encoder.encode(e);
      sink.write(encoder.key(e), encoder.buffer(), length);
      sent.inc();
    } catch (Exception ex) {
      failed.inc();
      LOG.warn("decision log record {} not written: {}", e.decisionId(), ex.toString());
    }
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
