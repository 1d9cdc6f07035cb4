package io.switchyard.ingest.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.ingest.IngestMetrics;
import io.switchyard.serverkit.metrics.Metrics;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class KafkaPublisherTest {
  final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
  final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  final java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong(1_000_000_000L);
  final IngestMetrics metrics = new IngestMetrics(new Metrics(new PrometheusRegistry()));

  @AfterEach
  void stop() {
    scheduler.shutdownNow();
  }

  KafkaPublisher publisher(long budget, Duration ackTimeout) {
    return new KafkaPublisher(producer, new PublisherOptions(budget, ackTimeout, Duration.ofSeconds(1)),
        scheduler, metrics, clock::get);
  }

  static ProducerRecord<byte[], byte[]> rec(int valueBytes) {
    return new ProducerRecord<>("t", "k".getBytes(), new byte[valueBytes]);
  }

  @Test
  void ackedOnlyWhenEveryRecordIsAcknowledged() {
    KafkaPublisher p = publisher(1 << 20, Duration.ofMinutes(1));
    var sub = p.publish(List.of(rec(10), rec(10)));
    assertThat(sub.accepted()).isTrue();
    producer.completeNext();
    assertThat(sub.acked()).isNotDone();
    producer.completeNext();
    assertThat(sub.acked()).isCompleted();
    assertThat(p.inflightBytes()).isZero();
  }

  @Test
  void budgetRefusesWhileFullAndFreesOnAck() {
    KafkaPublisher p = publisher(1 << 16, Duration.ofMinutes(1));
    var first = p.publish(List.of(rec(40_000)));
    assertThat(first.accepted()).isTrue();
    var second = p.publish(List.of(rec(40_000)));
    assertThat(second.refusal()).isEqualTo(KafkaPublisher.Refusal.BUDGET);
    producer.completeNext();
    assertThat(p.publish(List.of(rec(40_000))).accepted()).isTrue();
  }

  @Test
  void batchLargerThanTheBudgetStillGoesAloneSoItCanEverBeSent() {
    KafkaPublisher p = publisher(1 << 16, Duration.ofMinutes(1));
    assertThat(p.publish(List.of(rec(200_000))).accepted()).isTrue();
  }

  @Test
  void failureMarksKafkaUnavailableAndRefusesWhileBatchesArePending() {
    KafkaPublisher p = publisher(1 << 20, Duration.ofMinutes(1));
    var a = p.publish(List.of(rec(10)));
    var b = p.publish(List.of(rec(10)));
    producer.errorNext(new TimeoutException("expired"));
    assertThat(a.acked()).isCompletedExceptionally();
    assertThat(p.available()).isFalse();
    assertThat(p.publish(List.of(rec(10))).refusal()).isEqualTo(KafkaPublisher.Refusal.UNAVAILABLE);

    producer.errorNext(new TimeoutException("expired"));
    assertThat(b.acked()).isCompletedExceptionally();
    assertThat(p.publish(List.of(rec(10))).refusal()).as("no probe before the retry interval")
        .isEqualTo(KafkaPublisher.Refusal.UNAVAILABLE);
    clock.addAndGet(Duration.ofSeconds(2).toNanos());
    var probe = p.publish(List.of(rec(10)));
    assertThat(p.publish(List.of(rec(10))).refusal()).as("one probe at a time")
        .isEqualTo(KafkaPublisher.Refusal.UNAVAILABLE);
    assertThat(probe.accepted()).as("a probe goes through once nothing is pending").isTrue();
    producer.completeNext();
    assertThat(probe.acked()).isCompleted();
    assertThat(p.available()).isTrue();
  }

  @Test
  void aRecordTooLargeFailsItsBatchButLeavesKafkaAvailableForOthers() {
    KafkaPublisher p = publisher(1 << 20, Duration.ofMinutes(1));
    var big = p.publish(List.of(rec(10)));
    producer.errorNext(new RecordTooLargeException("the record is 2097152 bytes, larger than the topic's limit"));
    assertThat(big.acked()).isCompletedExceptionally();
    assertThat(p.available()).isTrue();
    var next = p.publish(List.of(rec(10)));
    assertThat(next.accepted()).isTrue();
    producer.completeNext();
    assertThat(next.acked()).isCompleted();
  }

  @Test
  void ackTimeoutFailsTheRequestButKeepsBudgetUntilTheProducerIsDone() {
    KafkaPublisher p = publisher(1 << 20, Duration.ofMillis(50));
    var sub = p.publish(List.of(rec(100)));
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> sub.acked().isDone());
    assertThat(sub.acked()).isCompletedExceptionally();
    assertThat(p.available()).isFalse();
    assertThat(p.inflightBytes()).isPositive();
    producer.completeNext();
    assertThat(p.inflightBytes()).isZero();
    assertThat(p.available()).isTrue();
  }

  @Test
  void emptyBatchIsAckedAtOnce() {
    assertThat(publisher(1 << 20, Duration.ofMinutes(1)).publish(List.of()).acked()).isCompleted();
  }

  @Test
  void anEmptyBatchIsAckedWhileKafkaIsUnavailableAndDoesNotUseUpTheProbe() {
    // OTLP: an empty request (or one whose items were all rejected or ignored) SHOULD be answered with success;
    // it writes nothing, so Kafka's state is no reason to refuse it.
    KafkaPublisher p = publisher(1 << 20, Duration.ofMinutes(1));
    var pending = p.publish(List.of(rec(10)));
    producer.errorNext(new TimeoutException("expired"));
    assertThat(pending.acked()).isCompletedExceptionally();
    assertThat(p.available()).isFalse();

    var empty = p.publish(List.of());
    assertThat(empty.accepted()).isTrue();
    assertThat(empty.acked()).isCompleted();

    clock.addAndGet(Duration.ofSeconds(2).toNanos());
    assertThat(p.publish(List.of()).accepted()).isTrue();
    assertThat(p.publish(List.of(rec(10))).accepted()).as("the empty batch did not take the probe's slot").isTrue();
  }

  @Test
  void aFailedRecordStopsTheRestOfTheBatchFromBeingSent() {
    KafkaPublisher p = publisher(1 << 20, Duration.ofMinutes(1));
    MockProducer<byte[], byte[]> failing = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer()) {
      @Override
      public synchronized java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata> send(
          ProducerRecord<byte[], byte[]> record, org.apache.kafka.clients.producer.Callback callback) {
        sends++;
        callback.onCompletion(null, new TimeoutException("not present in metadata"));
        return java.util.concurrent.CompletableFuture.failedFuture(new TimeoutException("x"));
      }
    };
    KafkaPublisher q = new KafkaPublisher(failing, new PublisherOptions(1 << 20, Duration.ofMinutes(1),
        Duration.ofSeconds(1)), scheduler, metrics, clock::get);
    var sub = q.publish(List.of(rec(1), rec(1), rec(1), rec(1)));
    assertThat(sub.acked()).isCompletedExceptionally();
    assertThat(sends).isEqualTo(1);
    assertThat(q.inflightBytes()).isZero();
    assertThat(p.available()).isTrue();
  }

  int sends;

  /**
   * A stop during a Kafka outage waited, after the producer's close, for the ack timers of the batches Kafka never
   * answered: the close now fails them at once, so their ALS entries are spooled and the timer thread stops.
   */
  @Test
  void closeFailsEveryBatchKafkaHasNotAnsweredAtOnceNotAtItsAckTimeout() throws Exception {
    KafkaPublisher p = publisher(1 << 20, Duration.ofHours(1));
    var sub = p.publish(List.of(rec(10), rec(10)));
    producer.completeNext();

    p.close();

    assertThat(sub.acked()).isCompletedExceptionally();
    assertThat(p.available()).as("a stop says nothing of Kafka").isTrue();
    scheduler.shutdown();
    assertThat(scheduler.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)).as("no ack timer left").isTrue();
  }
}
