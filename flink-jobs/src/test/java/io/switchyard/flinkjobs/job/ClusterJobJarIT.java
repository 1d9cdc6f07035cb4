package io.switchyard.flinkjobs.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchyard.model.Topics;
import io.switchyard.testing.FlinkSessionCluster;
import io.switchyard.testing.SharedKafka;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The job jar ({@code switchyard-flink-jobs.jar}, Flink itself provided) on a real standalone Flink
 * session cluster: Flink's JobManager and TaskManager in their own JVMs, on the jars a Flink 2.2.1
 * distribution's lib/ holds (resolved by Maven into {@code target/flink-cluster.classpath}), and the
 * jar submitted with Flink's own CLI. The job's classes are loaded only by the cluster's child-first
 * user-code class loader. One cluster serves every case; each case has its own topics.
 */
class ClusterJobJarIT {
  @RegisterExtension static final SharedKafka kafka = new SharedKafka();
  private static final Path JOB_JAR = Path.of("target", "switchyard-flink-jobs.jar");
  private static final Duration JOB_TIMEOUT = Duration.ofMinutes(3);
  private static final String DIRECT_WALK = "state trace-pairing is read straight from its RocksDB column family";
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Path home;
  private static FlinkSessionCluster cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    assertThat(JOB_JAR).as("the job jar; built by mvn package").exists();
    String classpath = Files.readString(Path.of("target", "flink-cluster.classpath")).trim();
    home = Files.createTempDirectory("switchyard-flink-cluster");
    cluster = FlinkSessionCluster.start(classpath, home, 2, Map.of(), Duration.ofMinutes(4));
  }

  @AfterAll
  static void stopCluster() throws IOException {
    if (cluster != null) {
      cluster.close();
    }
    try (Stream<Path> walk = Files.walk(home)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** {@code flink run -d [flinkArgs] switchyard-flink-jobs.jar --kafka ... [jobArgs]}; the job's id. */
  private static String submit(String prefix, List<String> flinkArgs, String... jobArgs) throws Exception {
    List<String> args = new ArrayList<>(List.of("run", "-d"));
    args.addAll(flinkArgs);
    args.addAll(List.of(JOB_JAR.toAbsolutePath().toString(), "--kafka", kafka.bootstrapServers(), "--topic-prefix", prefix,
        "--group-id", "cluster-" + prefix, "--checkpoint-interval", "1s", "--restart-attempts", "0"));
    args.addAll(List.of(jobArgs));
    FlinkSessionCluster.CliResult run = cluster.cli(Duration.ofMinutes(2), args.toArray(String[]::new));
    assertThat(run.exitCode()).as(run.output()).isZero();
    return run.jobId();
  }

  private static void awaitFinished(String jobId) throws Exception {
    assertThat(cluster.awaitTerminal(jobId, JOB_TIMEOUT)).as("job %s; logs in %s", jobId, home.resolve("log")).isEqualTo("FINISHED");
  }

  /** The job vertex that holds the pairing, as the cluster's REST API reports it. */
  private static JsonNode pairingVertex(String jobId) throws Exception {
    for (JsonNode v : JSON.readTree(cluster.rest("/jobs/" + jobId)).get("vertices")) {
      if (v.get("name").asText().contains("service-graph")) {
        return v;
      }
    }
    throw new AssertionError("no service-graph vertex in job " + jobId);
  }

  private static long directWalks() throws IOException {
    return Files.readAllLines(cluster.log("taskmanager")).stream().filter(l -> l.contains(DIRECT_WALK)).count();
  }

  private static String preparedTopics() {
    String prefix = kafka.uniquePrefix();
    kafka.createTopics(prefix);
    return prefix;
  }

  @Test
  void withoutParallelismTheJobRunsItsChainedSpanPathReadsRocksDbDirectlyAndGivesExactAggregates() throws Exception {
    String prefix = preparedTopics();
    GraphFixture.produce(kafka, GraphFixture.records(prefix));
    long walksBefore = directWalks();

    String job = submit(prefix, List.of(), "--bounded");
    awaitFinished(job);

    GraphFixture.assertExactAggregates(kafka, prefix);
    JsonNode pairing = pairingVertex(job);
    assertThat(pairing.get("parallelism").asInt()).isEqualTo(1); // the cluster's parallelism.default
    assertThat(pairing.get("name").asText()).startsWith("Source: spans").contains("span-batches");
    // The completed-trace walk's reflection into Flink's RocksDB backend works from the user-code class loader.
    assertThat(directWalks() - walksBefore).isEqualTo(1);
    assertThat(Files.readString(cluster.log("taskmanager"))).doesNotContain("point lookup");
  }

  @Test
  void flinkRunDashPSetsTheParallelismAndTheSpansAreShuffledByTrace() throws Exception {
    String prefix = preparedTopics();
    GraphFixture.produce(kafka, GraphFixture.records(prefix));
    long walksBefore = directWalks();

    String job = submit(prefix, List.of("-p", "2"), "--bounded");
    awaitFinished(job);

    GraphFixture.assertExactAggregates(kafka, prefix);
    JsonNode pairing = pairingVertex(job);
    assertThat(pairing.get("parallelism").asInt()).isEqualTo(2);
    assertThat(pairing.get("name").asText()).doesNotContain("Source: spans");
    assertThat(directWalks() - walksBefore).isEqualTo(2);
  }

  @Test
  void stopWithSavepointAndResubmitFromItKeepsExactTotals() throws Exception {
    String prefix = preparedTopics();
    List<ProducerRecord<byte[], byte[]>> records = GraphFixture.records(prefix);
    int half = records.size() / 2;
    GraphFixture.produce(kafka, records.subList(0, half));
    // Long enough that no span of the first half gives up on its partner while the job is stopped: a shorter
    // wait is exact too, but the partner then arrives after its span was counted as unpaired.
    String[] job = {"--pairing-wait", "3m"};

    String first = submit(prefix, List.of(), job);
    awaitConsumed("cluster-" + prefix, prefix);
    FlinkSessionCluster.CliResult stop = cluster.cli(Duration.ofMinutes(2), "stop", "--savepointPath", home.resolve("savepoints").toUri().toString(), first);
    Matcher savepoint = Pattern.compile("Savepoint completed\\. Path: (\\S+)").matcher(stop.output());
    assertThat(savepoint.find()).as("flink stop (exit %d):%n%s", stop.exitCode(), stop.output()).isTrue();
    assertThat(cluster.awaitTerminal(first, JOB_TIMEOUT)).isEqualTo("FINISHED");

    List<ProducerRecord<byte[], byte[]>> rest = new ArrayList<>(records.subList(half, records.size()));
    rest.add(GraphFixture.closer(prefix));
    GraphFixture.produce(kafka, rest);
    // Another pipeline's job on that savepoint would read this one's topics too: the job jar refuses it before submitting.
    String other = preparedTopics();
    FlinkSessionCluster.CliResult refused = cluster.cli(Duration.ofMinutes(2), "run", "-d", "-s", savepoint.group(1),
        JOB_JAR.toAbsolutePath().toString(), "--kafka", kafka.bootstrapServers(), "--topic-prefix", other,
        "--group-id", "cluster-" + prefix, "--pairing-wait", "3m");
    assertThat(refused.exitCode()).as(refused.output()).isNotZero();
    assertThat(refused.output()).contains("error: snapshot " + savepoint.group(1) + " was written by a run reading "
        + prefix + Topics.ACCESS_LOGS.name(), "which this run (--topic-prefix " + other + ") does not read",
        "pass -s a snapshot of a job with this --topic-prefix, or submit it without -s");
    String second = submit(prefix, List.of("-s", savepoint.group(1)), job);
    try {
      Awaitility.await().atMost(JOB_TIMEOUT).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
          .untilAsserted(() -> GraphFixture.assertExactAggregates(kafka, prefix));
    } finally {
      cluster.cli(Duration.ofMinutes(2), "cancel", second);
    }
  }

  /** Until the job's consumer group has committed (on a checkpoint) every input record's offset. */
  private static void awaitConsumed(String group, String prefix) {
    List<String> inputs = List.of(prefix + Topics.SPANS.name(), prefix + Topics.ACCESS_LOGS.name());
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      Awaitility.await().atMost(JOB_TIMEOUT).pollInterval(Duration.ofMillis(500)).until(() -> {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        Map<TopicPartition, OffsetSpec> ends = new java.util.HashMap<>();
        for (String topic : inputs) {
          admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()
              .forEach(p -> ends.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
        }
        var latest = admin.listOffsets(ends).all().get();
        return ends.keySet().stream().allMatch(tp -> latest.get(tp).offset() == 0
            || (committed.get(tp) != null && committed.get(tp).offset() >= latest.get(tp).offset()));
      });
    }
  }
}
