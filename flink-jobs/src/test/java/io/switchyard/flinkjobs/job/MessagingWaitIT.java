package io.switchyard.flinkjobs.job;

import static io.switchyard.flinkjobs.graph.Spans.root;
import static io.switchyard.flinkjobs.graph.Spans.span;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.SpanRecord;
import io.switchyard.model.v1.SpanRecord.SpanKind;
import io.switchyard.testing.SharedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A consumer that reads a message 25 s of event time after it was produced, arriving after the
 * producer's minute was already written: the live job still makes the messaging edge with its queue
 * latency and re-emits that minute (a late update within --allowed-lateness), and never a virtual edge.
 */
class MessagingWaitIT {
  @RegisterExtension static final SharedKafka kafka = new SharedKafka();
  /** 2026-01-01T00:00:00Z, a minute boundary. */
  private static final long T0 = 1_767_225_600_000L;

  private final Path dataDir = LiveJobs.tempDir();

  @AfterEach
  void removeDataDir() {
    LiveJobs.deleteEventually(dataDir);
  }

  @Test
  void aConsumerReadingAMessage25SecondsLateMakesAMessagingEdgeWithThatQueueLatency() throws Exception {
    String prefix = kafka.uniquePrefix();
    kafka.createTopics(prefix);
    JobOptions o = LiveJobs.options(kafka, prefix, dataDir, "it-messaging-wait");
    assertThat(o.pairing().pairingWait()).isEqualTo(Duration.ofSeconds(10)); // the defaults: 10 s and 4 min
    JobClient job = LiveJobs.start(o, Map.of(), "messaging-wait-it");
    try (KafkaProducer<byte[], byte[]> p = kafka.producer()) {
      SpanRecord producer = span(500, 10, 0, "orders", SpanKind.SPAN_KIND_PRODUCER, T0 + 1_000, 5).setMessagingSystem("kafka")
          .setMessagingDestination("orders-q").build();
      LiveJobs.send(p, prefix, List.of(producer, root(501, "early", T0 + 2_000), root(502, "ticker", T0 + 90_000)));
      // Minute 0 is written once event time passed it, far beyond the pairing wait: the producer still waits.
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1))
          .until(() -> LiveJobs.latestEdgeRequests(kafka, prefix, T0).containsKey("virtual_node|user->early@0"));
      assertThat(LiveJobs.latestEdgeRequests(kafka, prefix, T0)).doesNotContainKey("virtual_node|orders->orders-q@0");

      LiveJobs.send(p, prefix, List.of(span(500, 11, 10, "billing", SpanKind.SPAN_KIND_CONSUMER, T0 + 26_005, 5).build()));
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1))
          .until(() -> LiveJobs.latestEdges(kafka, prefix, T0).containsKey("messaging_system|orders->billing@0"));
      EdgeAggregate edge = LiveJobs.latestEdges(kafka, prefix, T0).get("messaging_system|orders->billing@0");
      assertThat(edge.getRequestCount()).isEqualTo(1.0);
      assertThat(edge.getProtocol()).isEqualTo("kafka");
      assertThat(edge.getMessagingLatency().getCount()).isEqualTo(1);
      assertThat(edge.getMessagingLatency().getSumSeconds()).isCloseTo(25.0, Offset.offset(1e-9));

      // Past the producer's wait (minute 0 still open to late updates until 6 min): it ends silently.
      LiveJobs.send(p, prefix, List.of(root(503, "closer", T0 + 250_000), root(504, "closer", T0 + 350_000)));
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1))
          .until(() -> LiveJobs.latestEdgeRequests(kafka, prefix, T0).containsKey("virtual_node|user->closer@4"));
      assertThat(LiveJobs.latestEdgeRequests(kafka, prefix, T0)).containsOnlyKeys("virtual_node|user->early@0",
          "virtual_node|user->ticker@1", "messaging_system|orders->billing@0", "virtual_node|user->closer@4");
    } finally {
      job.cancel().get();
    }
  }
}
