package io.switchyard.flinkjobs.job;

import static io.switchyard.flinkjobs.graph.Spans.span;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.switchyard.model.v1.SpanRecord;
import io.switchyard.model.v1.SpanRecord.SpanKind;
import io.switchyard.testing.SharedKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The local jar's entry point, given a data folder whose newest checkpoint cannot be restored (here:
 * a {@code _metadata} that is not a Flink snapshot, as a checkpoint of an incompatible build would
 * fail), moves that checkpoint's job folder to {@code DATA/unrestorable/} and runs fresh in the same
 * JVM instead of failing, so a supervisor restarting it would not crash-loop.
 */
class UnrestorableSnapshotIT {
  @RegisterExtension static final SharedKafka kafka = new SharedKafka();
  private static final long T0 = 1_767_225_600_000L;
  private static final String OLD_JOB = "0123456789abcdef0123456789abcdef";

  private final Path dataDir = LiveJobs.tempDir();

  @AfterEach
  void removeDataDir() {
    LiveJobs.deleteEventually(dataDir);
  }

  @Test
  void anUnrestorableCheckpointIsMovedAsideAndTheJobStartsFresh() throws Exception {
    String prefix = kafka.uniquePrefix();
    kafka.createTopics(prefix);
    List<SpanRecord> spans = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      spans.add(span(700 + i, 1, 0, "frontend", SpanKind.SPAN_KIND_SERVER, T0 + 1_000L * i, 20).build());
    }
    try (KafkaProducer<byte[], byte[]> p = kafka.producer()) {
      LiveJobs.send(p, prefix, spans);
    }
    Path broken = dataDir.resolve("checkpoints").resolve(OLD_JOB).resolve("chk-5");
    Files.createDirectories(broken);
    Files.write(broken.resolve("_metadata"), "not a flink snapshot".getBytes(StandardCharsets.UTF_8));

    String[] args = {"--kafka", kafka.bootstrapServers(), "--topic-prefix", prefix, "--data-dir", dataDir.toString(),
        "--metrics-port", "-1", "--checkpoint-interval", "1s", "--restart-attempts", "0", "--group-id", "it-unrestorable",
        "--parallelism", "1", "--bounded"};
    // Bounded: the fresh job stops at the topics' end, so main returns.
    assertTimeoutPreemptively(Duration.ofMinutes(4), () -> FlinkJobsMain.main(args));

    assertThat(dataDir.resolve("unrestorable").resolve(OLD_JOB).resolve("chk-5").resolve("_metadata")).exists();
    assertThat(dataDir.resolve("checkpoints").resolve(OLD_JOB)).doesNotExist();
    assertThat(LiveJobs.latestEdgeRequests(kafka, prefix, T0)).containsEntry("virtual_node|user->frontend@0", 3.0);
  }
}
