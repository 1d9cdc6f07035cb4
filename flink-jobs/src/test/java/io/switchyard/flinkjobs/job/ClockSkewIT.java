package io.switchyard.flinkjobs.job;

import static io.switchyard.flinkjobs.graph.Spans.root;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.switchyard.testing.SharedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One span from a host whose clock runs an hour ahead, read live among current ones: event time moves at most
 * --max-clock-skew past the time ingest appended it, so the current spans after it are late by under a minute and
 * still counted. Before the bound, event time jumped the hour and every current span was dropped as too late
 * (the s15 audit's F8).
 */
class ClockSkewIT {
  @RegisterExtension static final SharedKafka kafka = new SharedKafka();

  private final Path dataDir = LiveJobs.tempDir();

  @AfterEach
  void removeDataDir() {
    LiveJobs.deleteEventually(dataDir);
  }

  @Test
  void aSpanFromAClockAnHourAheadDoesNotTurnTheCurrentSpansAfterItIntoDroppedLateData() throws Exception {
    String prefix = kafka.uniquePrefix();
    kafka.createTopics(prefix);
    JobOptions o = LiveJobs.options(kafka, prefix, dataDir, "it-clock-skew");
    assertThat(o.maxClockSkew()).isEqualTo(Duration.ofMinutes(1));
    assertThat(o.allowedLateness()).isEqualTo(Duration.ofMinutes(5));
    JobClient job = LiveJobs.start(o, Map.of(), "clock-skew-it");
    try (KafkaProducer<byte[], byte[]> p = kafka.producer()) {
      long now = System.currentTimeMillis();
      long probeMinute = Math.floorDiv(now - 10_000, 60_000L) * 60_000L;
      LiveJobs.send(p, prefix, List.of(root(700, "ahead", now + 3_600_000), root(701, "probe", now - 10_000)));
      // The probe's minute is written once event time passed it: from then on the windows judge lateness by
      // the event time the span from the future left behind.
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1))
          .until(() -> LiveJobs.latestEdgeRequests(kafka, prefix, probeMinute).containsKey("virtual_node|user->probe@0"));

      // Both in one minute (a second apart, 2 to 4 s old): two seconds that straddle a minute's end would count
      // one in each minute.
      long second = System.currentTimeMillis() - 2_000;
      if (Math.floorDiv(second, 60_000L) != Math.floorDiv(second - 1_000, 60_000L)) {
        second -= 1_000;
      }
      long minute = Math.floorDiv(second, 60_000L) * 60_000L;
      LiveJobs.send(p, prefix, List.of(root(702, "current", second - 1_000), root(703, "current", second)));
      // Event time stands at most a minute past the clock: these are late by about a minute, within the allowed
      // lateness, and their minute is written (late firing) with both. Unbounded, event time stood an hour ahead
      // and both were dropped.
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1))
          .until(() -> LiveJobs.latestEdgeRequests(kafka, prefix, minute).containsKey("virtual_node|user->current@0"));
      assertThat(LiveJobs.latestEdgeRequests(kafka, prefix, minute)).containsEntry("virtual_node|user->current@0", 2.0);
      assertThat(LiveJobs.latestEdgeRequests(kafka, prefix, minute).keySet()).noneMatch(k -> k.contains("user->ahead"));
    } finally {
      job.cancel().get();
    }
  }
}
