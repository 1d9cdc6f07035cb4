package io.switchyard.flinkjobs.job;

import static org.awaitility.Awaitility.await;

import io.switchyard.flinkjobs.graph.Spans;
import io.switchyard.model.Topics;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.ServiceAggregate;
import io.switchyard.model.v1.SpanRecord;
import io.switchyard.testing.SharedKafka;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/** Starting, stopping and restoring a live (unbounded) job, and reading its output as a reader would. */
final class LiveJobs {
  private LiveJobs() {}

  /**
   * A live job's options on {@code prefix}'s topics for a test: one subtask, 1 s checkpoints, 1 s out-of-orderness and
   * idleness (event time follows the clock a second after the traffic stops), no restarts, no metrics endpoint.
   */
  static JobOptions options(SharedKafka kafka, String prefix, Path dataDir, String group) {
    return JobOptions.parse(new String[] {"--kafka", kafka.bootstrapServers(), "--topic-prefix", prefix,
        "--data-dir", dataDir.toString(), "--metrics-port", "-1", "--checkpoint-interval", "1s", "--restart-attempts", "0",
        "--group-id", group, "--parallelism", "1", "--out-of-orderness", "1s", "--idleness", "1s"});
  }

  /** Submits the whole pipeline to a local MiniCluster; {@code extra} overrides Flink settings. */
  static JobClient start(JobOptions o, Map<String, String> extra, String name) throws Exception {
    return start(o, extra, name, edges -> edges);
  }

  /** As {@link #start(JobOptions, Map, String)} with an operator inserted before the cardinality limit. */
  static JobClient start(JobOptions o, Map<String, String> extra, String name,
      java.util.function.UnaryOperator<org.apache.flink.streaming.api.datastream.DataStream<io.switchyard.flinkjobs.graph.EdgeEvent>> tap)
      throws Exception {
    Map<String, String> conf = new HashMap<>(SwitchyardPipeline.flinkConfiguration(o).toMap());
    conf.putAll(extra);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(Configuration.fromMap(conf));
    SwitchyardPipeline.build(env, o, tap);
    return env.executeAsync(name);
  }

  static void send(KafkaProducer<byte[], byte[]> p, String prefix, List<SpanRecord> spans) {
    for (SpanRecord s : spans) {
      p.send(new ProducerRecord<>(prefix + Topics.SPANS.name(), Spans.hex(s.getTraceId()).getBytes(StandardCharsets.UTF_8),
          s.toByteArray()));
    }
    p.flush();
  }

  /**
   * Waits until the job's consumer group has committed the topic's current end: the source commits
   * offsets when a checkpoint completes, so a checkpoint now covers everything written so far.
   */
  static void awaitCheckpointCovers(SharedKafka kafka, String group, String topic) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()
          .forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
      Map<TopicPartition, Long> end = new HashMap<>();
      admin.listOffsets(latest).all().get().forEach((tp, info) -> end.put(tp, info.offset()));
      await().atMost(Duration.ofSeconds(90)).until(() -> {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        return end.entrySet().stream().allMatch(e -> e.getValue() == 0
            || (committed.get(e.getKey()) != null && committed.get(e.getKey()).offset() >= e.getValue()));
      });
    }
  }

  /** The newest retained checkpoint of {@code job} (a folder with a {@code _metadata} file). */
  static Path latestCheckpoint(Path checkpointDir, JobID job) throws IOException {
    try (Stream<Path> dirs = Files.list(checkpointDir.resolve(job.toHexString()))) {
      return dirs.filter(d -> d.getFileName().toString().startsWith("chk-") && Files.exists(d.resolve("_metadata")))
          .max(Comparator.comparingLong(d -> Long.parseLong(d.getFileName().toString().substring(4))))
          .orElseThrow(() -> new AssertionError("no completed checkpoint retained under " + checkpointDir));
    }
  }

  /**
   * Request count per "client->server@minute" (trace source), as a reader sees it: read_committed,
   * the latest record per (Kafka key, window start) wins.
   */
  static Map<String, Double> latestEdgeRequests(SharedKafka kafka, String prefix, long t0) {
    Map<String, Double> out = new TreeMap<>();
    for (ConsumerRecord<byte[], byte[]> r : TopicReader.readAll(kafka, prefix + Topics.EDGES.name())) {
      EdgeAggregate a = parse(() -> EdgeAggregate.parseFrom(r.value()));
      out.put(a.getConnectionType() + "|" + a.getClient().getName() + "->" + a.getServer().getName() + "@"
          + Math.floorDiv(a.getWindowStartUnixMs() - t0, 60_000L), a.getRequestCount());
    }
    return out;
  }

  /** Request count per "service@minute", latest record per (Kafka key, window start). */
  static Map<String, Double> latestServiceRequests(SharedKafka kafka, String prefix, long t0) {
    Map<String, Double> out = new TreeMap<>();
    for (ConsumerRecord<byte[], byte[]> r : TopicReader.readAll(kafka, prefix + Topics.SERVICES.name())) {
      ServiceAggregate a = parse(() -> ServiceAggregate.parseFrom(r.value()));
      out.put(a.getService().getName() + "@" + Math.floorDiv(a.getWindowStartUnixMs() - t0, 60_000L), a.getRequestCount());
    }
    return out;
  }

  /** The latest edge record per "client->server@minute" with its latency histograms. */
  static Map<String, EdgeAggregate> latestEdges(SharedKafka kafka, String prefix, long t0) {
    Map<String, EdgeAggregate> out = new TreeMap<>();
    for (ConsumerRecord<byte[], byte[]> r : TopicReader.readAll(kafka, prefix + Topics.EDGES.name())) {
      EdgeAggregate a = parse(() -> EdgeAggregate.parseFrom(r.value()));
      out.put(a.getConnectionType() + "|" + a.getClient().getName() + "->" + a.getServer().getName() + "@"
          + Math.floorDiv(a.getWindowStartUnixMs() - t0, 60_000L), a);
    }
    return out;
  }

  /** A fresh data folder for one job run (removed with {@link #deleteEventually}). */
  static Path tempDir() {
    try {
      return Files.createTempDirectory("switchyard-flink-it");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Removes a job's data folder. A cancelled job's MiniCluster shuts down asynchronously and may
   * still be writing or discarding checkpoint files for a moment, so this retries until it is gone.
   */
  static void deleteEventually(Path dir) {
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
      deleteRecursively(dir);
      return !Files.exists(dir);
    });
  }

  static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void copyRecursively(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : walk.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  private interface Parse<T> {
    T get() throws com.google.protobuf.InvalidProtocolBufferException;
  }

  private static <T> T parse(Parse<T> p) {
    try {
      return p.get();
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError("an output record does not parse", e);
    }
  }
}
