package io.switchyard.flinkjobs.job;

import static io.switchyard.flinkjobs.graph.Spans.span;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.switchyard.model.v1.SpanRecord;
import io.switchyard.model.v1.SpanRecord.SpanKind;
import io.switchyard.testing.FreePorts;
import io.switchyard.testing.SharedKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The local jar's Prometheus endpoint, scraped while a live job runs: consumer lag, watermark delay, checkpoint age. */
class FreshnessMetricsIT {
  @RegisterExtension static final SharedKafka kafka = new SharedKafka();

  private final Path dataDir = LiveJobs.tempDir();

  @AfterEach
  void removeDataDir() {
    LiveJobs.deleteEventually(dataDir);
  }

  /** A sample line: series name (with labels) and value. */
  record Sample(String name, String labels, double value) {}

  static List<Sample> scrape(int port) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    List<Sample> out = new ArrayList<>();
    for (String line : r.body().split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      String name = brace >= 0 ? line.substring(0, brace) : line.substring(0, space);
      String labels = brace >= 0 ? line.substring(brace, line.lastIndexOf('}') + 1) : "";
      out.add(new Sample(name, labels, Double.parseDouble(line.substring(space + 1))));
    }
    return out;
  }

  private static List<Sample> named(List<Sample> all, String name) {
    return all.stream().filter(s -> s.name().equals(name)).toList();
  }

  /** Starts the job with its Prometheus reporter on {@code port} and sends 20 spans, the oldest 20 s old. */
  private JobClient startWithSpans(int port, Map<String, String> extra, long now) throws Exception {
    String prefix = kafka.uniquePrefix();
    kafka.createTopics(prefix);
    JobOptions o = JobOptions.parse(new String[] {"--kafka", kafka.bootstrapServers(), "--topic-prefix", prefix,
        "--data-dir", dataDir.toString(), "--metrics-port", Integer.toString(port), "--checkpoint-interval", "1s",
        "--restart-attempts", "0", "--group-id", "it-metrics", "--parallelism", "1", "--out-of-orderness", "1s", "--idleness", "1s"});
    JobClient job = LiveJobs.start(o, extra, "metrics-it");
    List<SpanRecord> spans = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      spans.add(span(700 + i, 1, 0, "frontend", SpanKind.SPAN_KIND_SERVER, now - 20_000L + i * 1_000L, 5).build());
    }
    try (KafkaProducer<byte[], byte[]> p = kafka.producer()) {
      LiveJobs.send(p, prefix, spans);
    }
    return job;
  }

  @Test
  void prometheusEndpointReportsConsumerLagWatermarkDelayAndCheckpointAge() throws Exception {
    int port = FreePorts.next();
    long now = System.currentTimeMillis();
    JobClient job = startWithSpans(port, Map.of(), now);
    try {
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
        List<Sample> all = scrape(port);
        // Consumer lag: the Kafka source's records not yet read, per source; all read by now.
        List<Sample> lag = named(all, "flink_taskmanager_job_task_operator_pendingRecords");
        assertThat(lag).isNotEmpty();
        assertThat(lag).allSatisfy(s -> assertThat(s.value()).isZero());
        assertThat(lag).extracting(Sample::labels).anyMatch(l -> l.contains("spans"));
        assertThat(named(all, "flink_taskmanager_job_task_operator_KafkaSourceReader_KafkaConsumer_records_lag_max"))
            .as("the Kafka consumer's own lag").isNotEmpty();
        // Checkpoint age: a checkpoint completed within the last few intervals.
        List<Sample> age = named(all, "flink_jobmanager_job_checkpointAge");
        assertThat(age).hasSize(1);
        assertThat(age.get(0).value()).isBetween(0.0, 30_000.0);
        // Watermark delay of the service-graph operator: its watermark trails a partition's newest span
        // by the out-of-orderness, and no partition's newest span is older than the oldest one sent.
        List<Sample> delay = named(all, "flink_taskmanager_job_task_operator_watermarkDelay").stream()
            .filter(s -> s.labels().matches(".*operator_name=\"service.graph\".*")).toList();
        assertThat(delay).hasSize(1);
        double ageOfOldest = System.currentTimeMillis() - (now - 20_000L);
        assertThat(delay.get(0).value()).isBetween(1_000.0, ageOfOldest + 1_000.0 + 1);
      });
    } finally {
      job.cancel().get();
    }
  }

  /**
   * A cluster runs Flink's stock reporter, never the local jar's: the gauges the operators register
   * themselves must show there, with the same sense as the local jar's derived ones.
   */
  @Test
  void stockPrometheusReporterShowsTheOperatorsFreshnessGauges() throws Exception {
    int port = FreePorts.next();
    long now = System.currentTimeMillis();
    JobClient job = startWithSpans(port,
        Map.of("metrics.reporter.prom.factory.class", "org.apache.flink.metrics.prometheus.PrometheusReporterFactory"), now);
    try {
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
        List<Sample> all = scrape(port);
        assertThat(named(all, "flink_jobmanager_job_checkpointAge")).as("the local reporter is not running").isEmpty();
        assertThat(named(all, "flink_taskmanager_job_task_operator_pendingRecords")).isNotEmpty()
            .allSatisfy(s -> assertThat(s.value()).isZero());
        // One pair per edge branch (the trace edges, the access-log edges); the reporter turns "-" into "_"..
        List<Sample> age = named(all, "flink_taskmanager_job_task_operator_freshness_checkpointAge");
        assertThat(age).extracting(Sample::labels).anyMatch(l -> l.contains("operator_name=\"edge_timestamps\""))
            .anyMatch(l -> l.contains("operator_name=\"mesh_edge_timestamps\""));
        assertThat(age).allSatisfy(s -> assertThat(s.value()).isBetween(0.0, 30_000.0));
        List<Sample> delay = named(all, "flink_taskmanager_job_task_operator_freshness_watermarkDelay").stream()
            .filter(s -> s.labels().contains("operator_name=\"edge_timestamps\"")).toList();
        assertThat(delay).hasSize(1);
        double ageOfOldest = System.currentTimeMillis() - (now - 20_000L);
        assertThat(delay.get(0).value()).isBetween(1_000.0, ageOfOldest + 1_000.0 + 1);
      });
    } finally {
      job.cancel().get();
    }
  }
}
