package io.switchyard.ingest.kafka;

import io.switchyard.ingest.IngestMetrics;
import io.switchyard.model.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.concurrent.ScheduledFuture;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands records to Kafka under an in-flight byte budget and tells callers when each batch is acknowledged.
 *
 * <p>Kafka is considered unavailable from the first failed or timed-out batch until the next acknowledged one.
 * While it is unavailable, new batches are refused as long as earlier ones are still pending, so a dead broker
 * costs no more memory than the batches already in the producer; once nothing is pending one batch is let
 * through as a probe, and its acknowledgement reopens the path.
 */
public final class KafkaPublisher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KafkaPublisher.class);

  /** Why a batch was not taken. */
  public enum Refusal {
    /** The in-flight budget is used up: Kafka is slower than the input. */
    BUDGET,
    /** Kafka is not acknowledging writes. */
    UNAVAILABLE
  }

  /** The outcome of {@link #publish}: either refused, or a future completed when Kafka acknowledged all. */
  public record Submission(Refusal refusal, CompletableFuture<Void> acked) {
    public boolean accepted() {
      return refusal == null;
    }
  }

  /** A batch that was not acknowledged in time. */
  public static final class AckTimeoutException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    AckTimeoutException(long millis) {
      super("Kafka did not acknowledge within " + millis + " ms");
    }
  }

  private final Producer<byte[], byte[]> producer;
  private final PublisherOptions options;
  private final ScheduledExecutorService scheduler;
  private final IngestMetrics metrics;
  private final LongSupplier nanoTime;
  private final AtomicLong inflight = new AtomicLong();
  private final AtomicInteger pendingBatches = new AtomicInteger();
  /** Batches not yet acknowledged, failed or timed out: failed by {@link #close} if Kafka never answers them. */
  private final Set<Batch> unfinished = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean available = new AtomicBoolean(true);
  private final AtomicLong lastProbeNanos = new AtomicLong(Long.MIN_VALUE / 2);

  public KafkaPublisher(Producer<byte[], byte[]> producer, PublisherOptions options,
      ScheduledExecutorService scheduler, IngestMetrics metrics, LongSupplier nanoTime) {
    this.producer = producer;
    this.options = options;
    this.scheduler = scheduler;
    this.metrics = metrics;
    this.nanoTime = nanoTime;
    metrics.inflight(0, options.inflightBudgetBytes());
    metrics.kafkaAvailable(true);
  }

  /**
   * Producer settings for ingest: idempotent, acks=all, compressed, batched for throughput; sends never block a
   * receiver thread for long (the budget, not the producer's buffer, is the memory bound).
   */
  public static Producer<byte[], byte[]> createProducer(String bootstrapServers, String compression,
      PublisherOptions options, Map<String, Object> overrides) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "switchyard-ingest");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Math.max(32L << 20, options.inflightBudgetBytes() * 2));
    // No larger than the topics' max.message.bytes, or the broker refuses what the producer let through.
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_MESSAGE_BYTES);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1_000);
    p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000);
    p.putAll(overrides);
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  public boolean available() {
    return available.get();
  }

  public long inflightBytes() {
    return inflight.get();
  }

  public PublisherOptions options() {
    return options;
  }

  /** Whether a batch of this size would be taken now (used by the ALS path to decide to spool instead). */
  public Refusal wouldRefuse(long bytes) {
    if (!available.get() && (pendingBatches.get() > 0
        || nanoTime.getAsLong() - lastProbeNanos.get() < options.retryAfter().toNanos())) {
      return Refusal.UNAVAILABLE;
    }
    if (inflight.get() + bytes > options.inflightBudgetBytes() && inflight.get() > 0) {
      return Refusal.BUDGET;
    }
    return null;
  }

  /**
   * Sends the records (in order) unless refused. The future completes normally when Kafka acknowledged every
   * record, exceptionally on the first failure or after the ack timeout.
   */
  public Submission publish(List<ProducerRecord<byte[], byte[]>> records) {
    if (records.isEmpty()) {
      // Nothing to write (an empty OTLP request, or one whose items were all rejected or ignored): taken even while
      // Kafka is away, as OTLP wants an empty request answered with success, and without using up the probe slot.
      return new Submission(null, CompletableFuture.completedFuture(null));
    }
    long bytes = 0;
    long payloadBytes = 0;
    for (ProducerRecord<byte[], byte[]> r : records) {
      bytes += size(r);
      payloadBytes += (r.key() == null ? 0 : r.key().length) + (r.value() == null ? 0 : r.value().length);
    }
    Refusal refusal = reserve(bytes);
    if (refusal != null) {
      return new Submission(refusal, null);
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    pendingBatches.incrementAndGet();
    Batch batch = new Batch(records.size(), bytes, payloadBytes, records.get(0).topic(), done);
    unfinished.add(batch);
    batch.timeout = scheduler.schedule(() -> {
      if (batch.finished.compareAndSet(false, true)) {
        unfinished.remove(batch);
        markUnavailable("no acknowledgement within " + options.ackTimeout().toMillis() + " ms");
        done.completeExceptionally(new AckTimeoutException(options.ackTimeout().toMillis()));
      }
    }, options.ackTimeout().toMillis(), TimeUnit.MILLISECONDS);
    for (int i = 0; i < records.size(); i++) {
      if (batch.finished.get()) {
        // The batch already failed (the producer reports most send errors, e.g. missing metadata after
        // max.block.ms, through the callback): sending the rest would only block again, once per record.
        batch.doneWith(records.size() - i);
        break;
      }
      try {
        producer.send(records.get(i), batch);
      } catch (RuntimeException e) {
        // send() itself failed (no metadata within max.block.ms, producer closed): this record and the ones
        // after it will never call back.
        batch.doneWith(records.size() - i);
        batch.fail(e);
        break;
      }
    }
    return new Submission(null, done);
  }

  /**
   * One callback object for all records of a batch: the producer calls it once per record (on its single I/O
   * thread), and it completes the batch's future once, after the last acknowledgement or on the first failure.
   */
  private final class Batch implements Callback {
    final AtomicInteger remaining;
    final AtomicInteger unreleased;
    final AtomicBoolean finished = new AtomicBoolean();
    final long budgetBytes;
    final long payloadBytes;
    final String topic;
    final CompletableFuture<Void> done;
    final long start = nanoTime.getAsLong();
    volatile ScheduledFuture<?> timeout;

    Batch(int records, long budgetBytes, long payloadBytes, String topic, CompletableFuture<Void> done) {
      this.remaining = new AtomicInteger(records);
      // The budget is released when the producer is done with the records, not when the caller stops waiting:
      // timed-out records still occupy producer memory.
      this.unreleased = new AtomicInteger(records);
      this.budgetBytes = budgetBytes;
      this.payloadBytes = payloadBytes;
      this.topic = topic;
      this.done = done;
    }

    @Override
    public void onCompletion(RecordMetadata meta, Exception error) {
      doneWith(1);
      if (error != null) {
        fail(error);
        return;
      }
      if (remaining.decrementAndGet() == 0) {
        metrics.bytesOut(topic, payloadBytes);
        markAvailable();
        metrics.sendLatency((nanoTime.getAsLong() - start) / 1e9);
        if (finished.compareAndSet(false, true)) {
          unfinished.remove(this);
          cancelTimeout();
          done.complete(null);
        }
      }
    }

    /** {@code n} records are done with the producer (acknowledged, failed, or never sent). */
    void doneWith(int n) {
      if (unreleased.addAndGet(-n) == 0) {
        release(budgetBytes);
        pendingBatches.decrementAndGet();
      }
    }

    void fail(Throwable error) {
      if (finished.compareAndSet(false, true)) {
        unfinished.remove(this);
        cancelTimeout();
        // A record over the producer's or the topic's size limit says nothing of the broker: another request's
        // records still go through (a topic created before the catalogue's 8 MiB limit refuses records over 1 MiB).
        if (!(error instanceof RecordTooLargeException) && !(error instanceof ClosedException)) {
          markUnavailable(error.toString());
        }
        done.completeExceptionally(error);
      }
    }

    private void cancelTimeout() {
      ScheduledFuture<?> t = timeout;
      if (t != null) {
        t.cancel(false);
      }
    }
  }

  private Refusal reserve(long bytes) {
    if (!available.get()) {
      // While unavailable, one probe at a time and at most one per retry interval: a probe can block a
      // receiver thread for up to max.block.ms when the broker's metadata is unknown.
      long now = nanoTime.getAsLong();
      long last = lastProbeNanos.get();
      if (pendingBatches.get() > 0 || now - last < options.retryAfter().toNanos()
          || !lastProbeNanos.compareAndSet(last, now)) {
        return Refusal.UNAVAILABLE;
      }
    }
    while (true) {
      long cur = inflight.get();
      // A batch larger than the whole budget still goes through alone, or it could never be sent.
      if (cur > 0 && cur + bytes > options.inflightBudgetBytes()) {
        return Refusal.BUDGET;
      }
      if (inflight.compareAndSet(cur, cur + bytes)) {
        metrics.inflight(cur + bytes, options.inflightBudgetBytes());
        return null;
      }
    }
  }

  private void release(long bytes) {
    long now = inflight.addAndGet(-bytes);
    metrics.inflight(now, options.inflightBudgetBytes());
  }

  private void markUnavailable(String why) {
    lastProbeNanos.set(nanoTime.getAsLong());
    if (available.compareAndSet(true, false)) {
      log.warn("Kafka unavailable for ingest: {}", why);
      metrics.kafkaAvailable(false);
    }
  }

  private void markAvailable() {
    if (available.compareAndSet(false, true)) {
      log.info("Kafka acknowledges ingest's writes again");
      metrics.kafkaAvailable(true);
    }
  }

  static long size(ProducerRecord<byte[], byte[]> r) {
    return (r.key() == null ? 0 : r.key().length) + (r.value() == null ? 0 : r.value().length) + 64;
  }

  /** How long {@link #close()} gives the producer to deliver what it holds. */
  public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

  /** Closes the producer, giving pending sends {@link #CLOSE_TIMEOUT} to complete. */
  @Override
  public void close() {
    close(CLOSE_TIMEOUT);
  }

  /**
   * Closes the producer, giving pending sends {@code timeout} to complete, then fails every batch Kafka has not
   * answered: its caller learns it now (ALS entries go to the spool) instead of at its ack timeout, which a stop
   * waited out on the timer thread and which made a stop during a Kafka outage outlast a pod's grace period.
   */
  public void close(Duration timeout) {
    try {
      producer.close(timeout);
    } finally {
      for (Batch b : unfinished) {
        b.fail(new ClosedException(timeout));
      }
    }
  }

  /** A batch Kafka had not acknowledged when ingest stopped: Kafka may or may not have it. */
  public static final class ClosedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ClosedException(Duration waited) {
      super("ingest stopped before Kafka acknowledged (waited " + waited.toMillis() + " ms)");
    }
  }
}
