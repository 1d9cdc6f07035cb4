package io.switchyard.extauthz.log;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.switchyard.extauthz.metrics.ExtAuthzMetrics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asynchronous decision log. Check encodes its record as {@code AuthzDecisionRecord} bytes (with redacted
 * headers) on its own thread, while the request is still in that core's cache, and offers the bytes to a
 * bounded queue without waiting; a full queue drops the record and counts it. One daemon thread takes
 * batches from the queue and hands them to the sink; at most twice the capacity is held, the queue and
 * the batch being written. Handing over the bytes rather than the request keeps the logger thread from
 * reading the request's objects from another core's cache, which cost more than the encoding.
 */
public final class DecisionLogger implements AutoCloseable {
  public static final Set<String> DEFAULT_REDACTED = Set.of("authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key");
  static final String REDACTED = DecisionRecordEncoder.REDACTED;
  private static final Logger LOG = LoggerFactory.getLogger(DecisionLogger.class);
  private static final long IDLE_NANOS = 5_000_000;
  private static final int BATCH = 256;

  private final BlockingQueue<Encoded> queue;
  private final DecisionLogSink sink;
  /** Encoders keep a scratch buffer and a memo, so each thread that calls Check gets its own. */
  private final ThreadLocal<DecisionRecordEncoder> encoders;
  private final Thread worker;
  private volatile boolean running = true;
  private final CounterDataPoint dropped;
  private final CounterDataPoint sent;
  private final CounterDataPoint failed;

  public DecisionLogger(DecisionLogSink sink, int capacity, Set<String> redactedHeaders, ExtAuthzMetrics metrics) {
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.sink = sink;
    Set<String> redacted = Set.copyOf(redactedHeaders);
    this.encoders = ThreadLocal.withInitial(() -> new DecisionRecordEncoder(redacted));
    this.dropped = metrics.logRecords.labelValues("dropped");
    this.sent = metrics.logRecords.labelValues("sent");
    this.failed = metrics.logRecords.labelValues("failed");
    this.worker = new Thread(this::drain, "ext-authz-decision-log");
    worker.setDaemon(true);
    worker.start();
  }

  /** One encoded record: its Kafka key and its bytes, which belong to it alone. */
  private record Encoded(String key, byte[] bytes, String decisionId) {}

  /** Never blocks. */
  public void submit(DecisionLogEntry e) {
    Encoded record;
    try {
      DecisionRecordEncoder encoder = encoders.get();
      int length = encoder.encode(e);
      record = new Encoded(encoder.key(e), Arrays.copyOf(encoder.buffer(), length), e.decisionId());
      encoder.trim();
    } catch (RuntimeException ex) {
      failed.inc();
      LOG.warn("decision log record {} not encoded: {}", e.decisionId(), ex.toString());
      return;
    }
    if (!queue.offer(record)) {
      dropped.inc();
    }
  }

  private void drain() {
    List<Encoded> batch = new ArrayList<>(BATCH);
    while (running || !queue.isEmpty()) {
      // Never waits on the queue's condition: a waiting consumer makes every offer() wake it, a
      // futex call and a context switch per Check. Polling an empty queue every 5 ms is cheaper (each
      // wake-up preempts a busy core; records are already encoded, so a poll has little to do, and the
      // default queue holds far more than 5 ms of Checks), and taking a batch per lock keeps the
      // consumer off the lock that Check's offer() needs.
      queue.drainTo(batch, BATCH);
      if (batch.isEmpty()) {
        LockSupport.parkNanos(IDLE_NANOS);
        if (Thread.interrupted()) {
          running = false;
        }
        continue;
      }
      for (Encoded e : batch) {
        write(e);
      }
      batch.clear();
    }
  }

  private void write(Encoded e) {
    try {
      sink.write(e.key(), e.bytes());
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
