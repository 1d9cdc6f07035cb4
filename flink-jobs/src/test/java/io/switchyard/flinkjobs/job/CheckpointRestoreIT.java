package io.switchyard.flinkjobs.job;

import static io.switchyard.flinkjobs.graph.Spans.span;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.model.Topics;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.SpanRecord;
import io.switchyard.model.v1.SpanRecord.SpanKind;
import io.switchyard.testing.FreePorts;
import io.switchyard.testing.SharedKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A live job cancelled mid-stream and resubmitted without naming a checkpoint (the local runner picks
 * the newest complete one under the data folder), and a live job whose task fails mid-stream and is
 * restarted by Flink's fixed-delay strategy, both give exactly the hand-computed totals: nothing
 * counted twice (the failed attempt's uncommitted output is aborted, its input re-read once), nothing
 * lost (client spans waiting for their servers and half-filled windows come back from the checkpoint).
 */
class CheckpointRestoreIT {
  @RegisterExtension static final SharedKafka kafka = new SharedKafka();
  /** 2026-01-01T00:00:00Z, a minute boundary. */
  private static final long T0 = 1_767_225_600_000L;

  private final Path dataDir = LiveJobs.tempDir();

  @AfterEach
  void removeDataDir() {
    LiveJobs.deleteEventually(dataDir);
  }

  /** Request i starts at T0 + 4 s × i: 15 requests in each of minutes 0 and 1, 10 in minute 2. */
  private static long start(int i) {
    return T0 + 4_000L * i;
  }

  private static List<SpanRecord> callerHalves(int i) {
    return List.of(
        span(1000 + i, 1, 0, "frontend", SpanKind.SPAN_KIND_SERVER, start(i), 100).build(),
        span(1000 + i, 2, 1, "frontend", SpanKind.SPAN_KIND_CLIENT, start(i) + 10, 80).build());
  }

  private static SpanRecord serverHalf(int i) {
    return span(1000 + i, 3, 2, "checkout", SpanKind.SPAN_KIND_SERVER, start(i) + 15, 70).build();
  }

  /** Options of a job on fresh topics (a unique prefix) of the shared broker. */
  private JobOptions onFreshTopics(String group, int restartAttempts, String... more) {
    String prefix = kafka.uniquePrefix();
    kafka.createTopics(prefix);
    return JobOptions.parse(jobArgs(prefix, group, restartAttempts, more));
  }

  private String[] jobArgs(String prefix, String group, int restartAttempts, String... more) {
    List<String> args = new ArrayList<>(List.of("--kafka", kafka.bootstrapServers(), "--topic-prefix", prefix,
        "--data-dir", dataDir.toString(), "--metrics-port", "-1", "--checkpoint-interval", "2s",
        "--restart-attempts", Integer.toString(restartAttempts), "--group-id", group, "--parallelism", "1",
        "--out-of-orderness", "1s", "--idleness", "1s", "--pairing-wait", "5m"));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  /** Before the failure: requests 0-19 complete, requests 20-29 (minute 1) only their callers' halves. */
  private static List<SpanRecord> phase1() {
    List<SpanRecord> phase1 = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      phase1.addAll(callerHalves(i));
      if (i < 20) {
        phase1.add(serverHalf(i));
      }
    }
    return phase1;
  }

  /** After: the missing server halves and minute 2. */
  private static List<SpanRecord> phase2() {
    List<SpanRecord> phase2 = new ArrayList<>();
    for (int i = 20; i < 40; i++) {
      if (i >= 30) {
        phase2.addAll(callerHalves(i));
      }
      phase2.add(serverHalf(i));
    }
    return phase2;
  }

  @Test
  void jobCancelledMidStreamAndRestoredFromItsCheckpointCountsEveryRequestOnce() throws Exception {
    String group = "it-restore";
    JobOptions o = onFreshTopics(group, 0);
    String prefix = o.topicPrefix();
    List<SpanRecord> phase1 = phase1();
    List<SpanRecord> phase2 = phase2();

    JobClient first = LiveJobs.start(o, Map.of(), "restore-it-first");
    try (KafkaProducer<byte[], byte[]> p = kafka.producer()) {
      LiveJobs.send(p, prefix, phase1);
      LiveJobs.awaitCheckpointCovers(kafka, group, prefix + Topics.SPANS.name());
      // The running pairing's RocksDB lives under the data folder, not the JVM's temp folder.
      try (java.util.stream.Stream<Path> work = Files.walk(o.workDir())) {
        assertThat(work.map(Path::toString)).anyMatch(f -> f.contains("_op_ServiceGraphOperator_") && f.endsWith("db"));
      }
      LiveJobs.send(p, prefix, phase2);
      // Kill while phase 2 is being turned into output: wait until its first results are written
      // (visible to read_uncommitted; usually not committed yet), then cancel.
      awaitMinuteOneWritten(prefix + Topics.EDGES.name());
    }
    first.cancel().get();
    Path checkpoint = LiveJobs.latestCheckpoint(o.checkpointDir(), first.getJobID());

    // Resubmitted as the local jar does after a crash or a second `up`: no --restore-from, the
    // runner picks the newest complete checkpoint under the data folder itself.
    LocalRestore.Choice choice = LocalRestore.choose(o);
    assertThat(choice.automatic()).isTrue();
    assertThat(choice.snapshot()).contains(checkpoint);
    JobOptions resumed = choice.apply(o);
    JobClient restored = LiveJobs.start(resumed, Map.of(), "restore-it-restored");
    try {
      awaitExactTotals(prefix);
    } finally {
      restored.cancel().get();
    }
  }

  /**
   * Flink snapshots no watermark: without the pre-aggregators' restored one, a request later than
   * {@code --allowed-lateness} that came first after a restore re-created its purged window, which
   * fired with that request alone and replaced the minute written before (audit s14 F5). Now the
   * minute stays as written, as it does without a restart (the windows drop the request as late).
   */
  @Test
  void aRequestLaterThanTheAllowedLatenessComingFirstAfterARestoreLeavesItsWrittenMinuteAlone() throws Exception {
    String group = "it-late";
    JobOptions o = onFreshTopics(group, 0, "--allowed-lateness", "10s");
    String prefix = o.topicPrefix();
    List<SpanRecord> minuteZero = new ArrayList<>();
    for (int i = 0; i < 15; i++) {
      minuteZero.addAll(callerHalves(i));
      minuteZero.add(serverHalf(i));
    }
    Map<String, Double> written = new TreeMap<>(Map.of("virtual_node|user->frontend@0", 15.0, "|frontend->checkout@0", 15.0));
    Map<String, Double> writtenServices = new TreeMap<>(Map.of("frontend@0", 15.0, "checkout@0", 15.0));

    JobClient first = LiveJobs.start(o, Map.of(), "late-it-first");
    try (KafkaProducer<byte[], byte[]> p = kafka.producer()) {
      LiveJobs.send(p, prefix, minuteZero);
      // A span at minute 10 moves event time past minute 0's end and its lateness: minute 0 is written and purged.
      LiveJobs.send(p, prefix, List.of(ticker(1, 10)));
      // Read committed: the checkpoint that committed the minute holds the watermark that closed it.
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
        assertThat(withoutTickers(LiveJobs.latestEdgeRequests(kafka, prefix, T0))).isEqualTo(written);
      });
    } finally {
      first.cancel().get();
    }

    int metricsPort = FreePorts.next();
    List<String> withMetrics = new ArrayList<>(List.of(jobArgs(prefix, group, 0, "--allowed-lateness", "10s")));
    withMetrics.set(withMetrics.indexOf("--metrics-port") + 1, Integer.toString(metricsPort));
    JobOptions again = JobOptions.parse(withMetrics.toArray(String[]::new));
    Path checkpoint = LiveJobs.latestCheckpoint(o.checkpointDir(), first.getJobID());
    LocalRestore.Choice choice = LocalRestore.choose(again);
    assertThat(choice.snapshot()).contains(checkpoint);
    JobClient restored = LiveJobs.start(choice.apply(again), Map.of(), "late-it-restored");
    try (KafkaProducer<byte[], byte[]> p = kafka.producer()) {
      // A straggler after the restarted job runs (as in the audit's repro): its first checkpoint means every
      // task has opened and sent the windows its restored watermark or idleness (see the docs for the gap before that).
      await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
          .untilAsserted(() -> LiveJobs.latestCheckpoint(o.checkpointDir(), restored.getJobID()));
      // First after the restore, alone (it is read before anything moves event time on): one request of minute 0, 9 min late.
      LiveJobs.send(p, prefix, List.of(
          span(1100, 1, 0, "frontend", SpanKind.SPAN_KIND_SERVER, start(5), 100).build(),
          span(1100, 2, 1, "frontend", SpanKind.SPAN_KIND_CLIENT, start(5) + 10, 80).build(),
          span(1100, 3, 2, "checkout", SpanKind.SPAN_KIND_SERVER, start(5) + 15, 70).build()));
      LiveJobs.awaitCheckpointCovers(kafka, group, prefix + Topics.SPANS.name());
      // Then minutes 11 and 13: minute 11 is written once event time has passed minute 0's end (and much more).
      LiveJobs.send(p, prefix, List.of(ticker(2, 11), ticker(3, 13)));
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1))
          .until(() -> LiveJobs.latestEdgeRequests(kafka, prefix, T0).containsKey("virtual_node|user->ticker@11"));
      assertThat(withoutTickers(LiveJobs.latestEdgeRequests(kafka, prefix, T0))).isEqualTo(written);
      assertThat(withoutTickers(LiveJobs.latestServiceRequests(kafka, prefix, T0))).isEqualTo(writtenServices);
      // dropped by the windows as late, and counted where the uninterrupted job counts it
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> assertThat(
          FreshnessMetricsIT.scrape(metricsPort)).filteredOn(m -> m.name().equals("flink_taskmanager_job_task_operator_numLateRecordsDropped"))
          .filteredOn(m -> m.labels().matches(".*operator_name=\"(edge|service).windows\".*"))
          .extracting(FreshnessMetricsIT.Sample::value).hasSize(2).allSatisfy(v -> assertThat(v).isPositive()));
    } finally {
      restored.cancel().get();
    }
  }

  /** A lone server span of the service "ticker" at the start of minute {@code minute}, to move event time. */
  private static SpanRecord ticker(int n, int minute) {
    return span(9000 + n, 1, 0, "ticker", SpanKind.SPAN_KIND_SERVER, T0 + 60_000L * minute, 1).build();
  }

  private static Map<String, Double> withoutTickers(Map<String, Double> counts) {
    counts.keySet().removeIf(k -> k.contains("ticker"));
    return counts;
  }

  /**
   * A checkpoint of a job in four span lanes, cancelled while client spans wait in the lanes' pairing
   * state: the local jar ({@code java -jar}, as the launcher runs it) refuses to resume it in two (exit 2,
   * one error line, the checkpoint left in place) and resumes it with {@code --span-lanes auto} in four,
   * with the totals of an uninterrupted run. Four, because a fresh start never takes four lanes of the
   * six span partitions (not a divisor), on any machine: only the snapshot's count restores, since Flink
   * refuses state it cannot map to an operator, and the runner would then have set the checkpoint aside
   * and lost minute 1's waiting client spans.
   */
  @Test
  void aCheckpointOfFourSpanLanesResumesInFourWithAutoAndRefusesAnotherExplicitCount() throws Exception {
    String group = "it-lanes";
    JobOptions o = onFreshTopics(group, 0, "--span-lanes", "4");
    String prefix = o.topicPrefix();
    Path checkpoint = checkpointOfPhaseOne(o, "lanes-it-first");
    assertThat(SpanLanes.ofSnapshot(checkpoint)).hasValue(4);

    assertLocalJarRefuses(jobArgs(prefix, group, 0, "--span-lanes", "2"), "error: --span-lanes 2"
        + " cannot resume snapshot " + checkpoint + ", written by 4 span lanes (a snapshot restores only into the lanes that"
        + " wrote it): pass --span-lanes 4 (or auto) to resume it, or --fresh to start over from the consumer group's"
        + " committed offsets (the snapshot's spans waiting for their other half and its open windows are lost)");
    assertThat(checkpoint.resolve("_metadata")).exists();
    String stdout = resumeLocalJarAndAwaitExactTotals(prefix, jobArgs(prefix, group, 0, "--span-lanes", "auto"));
    assertThat(stdout).contains("span lanes: 4 (those of the snapshot it resumes)");
  }

  /**
   * A {@code --bounded} run on the data folder of an unbounded one (a backfill or test next to {@code up}):
   * the local jar stops at once (exit 2, one error line naming --data-dir and --fresh) instead of resuming
   * the live run's checkpoint, whose Kafka positions have no end, and never finishing (what it did before).
   * The checkpoint is left in place: the live run resumes it afterwards with the totals of an uninterrupted run.
   */
  @Test
  void aBoundedRunOnAnUnboundedRunsDataFolderRefusesAtOnceAndLeavesItsCheckpointToResume() throws Exception {
    String group = "it-bounded";
    JobOptions o = onFreshTopics(group, 0);
    String prefix = o.topicPrefix();
    Path checkpoint = checkpointOfPhaseOne(o, "bounded-it-live");
    assertThat(SnapshotInputs.of(checkpoint)).isEqualTo(SnapshotInputs.Inputs.UNBOUNDED);

    assertLocalJarRefuses(jobArgs(prefix, group, 0, "--bounded"), "error: --bounded cannot resume snapshot " + checkpoint
        + ": Flink's Kafka source never ends a bounded run restored from a snapshot (and this one, of an unbounded run, holds"
        + " positions without an end), so the run would never finish: give it a --data-dir of its own (it then reads from the"
        + " consumer group's committed offsets to the topics' current end), or pass --fresh to do so in this one; the"
        + " snapshot is left as it is");
    assertThat(checkpoint.resolve("_metadata")).exists();
    resumeLocalJarAndAwaitExactTotals(prefix, jobArgs(prefix, group, 0));
  }

  /**
   * Another pipeline's run on this data folder (another {@code --topic-prefix}): restored from the checkpoint, it
   * went on reading the first run's topics beside its own (checked by hand: phase 2 sent to the first run's topics
   * came out on the second run's edges topic), so the local jar refuses it (exit 2, one error line) and leaves
   * the checkpoint to the run it belongs to.
   */
  @Test
  void aRunWithAnotherTopicPrefixRefusesTheDataFoldersCheckpointAndLeavesItInPlace() throws Exception {
    String group = "it-other-prefix";
    JobOptions o = onFreshTopics(group, 0);
    String prefix = o.topicPrefix();
    Path checkpoint = checkpointOfPhaseOne(o, "prefix-it-live");
    String other = kafka.uniquePrefix();
    kafka.createTopics(other);

    assertLocalJarRefuses(jobArgs(other, group, 0), "error: snapshot " + checkpoint + " was written by a run reading "
        + prefix + "switchyard.access-logs, " + prefix + "switchyard.slo-definitions, " + prefix + "switchyard.spans, which"
        + " this run (--topic-prefix " + other + ") does not read: Flink's Kafka source goes on reading the partitions a"
        + " snapshot holds, so their records would be counted with this run's: give this run a --data-dir of its own, or"
        + " the --topic-prefix of the run that wrote the snapshot, or pass " + SpanLanes.FRESH);
    assertThat(checkpoint.resolve("_metadata")).exists();
  }

  /**
   * The other way round: a {@code --bounded} run stopped before its end leaves a checkpoint whose Kafka
   * positions end where that run was to stop. An unbounded run resuming it would stop reading there and run on
   * reading nothing; the local jar refuses it instead (exit 2, one error line). The bounded run is held short
   * of its end by a transaction left open on the span topic: its end offset is the topic's high watermark, which
   * a read_committed consumer reaches only once the transaction is over.
   */
  @Test
  void anUnboundedRunRefusesTheCheckpointOfABoundedRunStoppedBeforeItsEnd() throws Exception {
    String group = "it-bounded-first";
    JobOptions o = onFreshTopics(group, 0, "--bounded");
    String prefix = o.topicPrefix();
    Path checkpoint;
    try (KafkaProducer<byte[], byte[]> open = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ProducerConfig.TRANSACTIONAL_ID_CONFIG, prefix + "open-transaction"), new ByteArraySerializer(), new ByteArraySerializer())) {
      try (KafkaProducer<byte[], byte[]> p = kafka.producer()) {
        LiveJobs.send(p, prefix, phase1());
      }
      open.initTransactions();
      open.beginTransaction();
      LiveJobs.send(open, prefix, List.of(serverHalf(20)));
      JobClient bounded = LiveJobs.start(o, Map.of(), "bounded-it-bounded");
      try {
        await().atMost(Duration.ofSeconds(90)).ignoreExceptions()
            .untilAsserted(() -> LiveJobs.latestCheckpoint(o.checkpointDir(), bounded.getJobID()));
        assertThat(bounded.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
      } finally {
        bounded.cancel().get();
      }
      checkpoint = LiveJobs.latestCheckpoint(o.checkpointDir(), bounded.getJobID());
      open.abortTransaction();
    }
    assertThat(SnapshotInputs.of(checkpoint)).isEqualTo(SnapshotInputs.Inputs.BOUNDED);

    assertLocalJarRefuses(jobArgs(prefix, group, 0), "error: snapshot " + checkpoint + " was written by a --bounded run:"
        + " resumed unbounded, each Kafka partition would stop where that run was to end and never be read on (and a bounded"
        + " run cannot resume a snapshot at all): move " + checkpoint.getParent() + " out of --data-dir " + dataDir
        + " to resume the newest checkpoint before it, or pass " + SpanLanes.FRESH);
    assertThat(checkpoint.resolve("_metadata")).exists();
  }

  /** Runs a live job of {@code o} until a checkpoint covers phase 1, cancels it, and returns that checkpoint. */
  private static Path checkpointOfPhaseOne(JobOptions o, String name) throws Exception {
    JobClient live = LiveJobs.start(o, Map.of(), name);
    try (KafkaProducer<byte[], byte[]> p = kafka.producer()) {
      LiveJobs.send(p, o.topicPrefix(), phase1());
      LiveJobs.awaitCheckpointCovers(kafka, o.groupId(), o.topicPrefix() + Topics.SPANS.name());
    }
    live.cancel().get();
    return LiveJobs.latestCheckpoint(o.checkpointDir(), live.getJobID());
  }

  /**
   * Runs the local jar with {@code args} and expects it to stop at once, before any job is built: exit 2 and
   * {@code errorLine} its one error line. A run that does not stop within two minutes fails the test (and is killed).
   */
  private static void assertLocalJarRefuses(String[] args, String errorLine) throws Exception {
    Path out = Files.createTempFile("refused-it", ".stdout");
    Path err = Files.createTempFile("refused-it", ".stderr");
    try {
      Process refused = localJar(args, out, err);
      boolean exited = refused.waitFor(2, TimeUnit.MINUTES);
      if (!exited) {
        refused.destroyForcibly().waitFor();
      }
      String stderr = Files.readString(err);
      assertThat(exited).as("exited within 2 minutes; stderr: %s", stderr).isTrue();
      assertThat(refused.exitValue()).as(stderr).isEqualTo(2);
      assertThat(stderr.lines().filter(l -> l.startsWith("error: ")).toList()).as(stderr).containsExactly(errorLine);
    } finally {
      Files.delete(out);
      Files.delete(err);
    }
  }

  /**
   * Sends phase 2, runs the local jar with {@code args} (resuming the newest checkpoint) until the totals of an
   * uninterrupted run are read, stops it, and returns its standard output. Nothing was set aside as unrestorable.
   */
  private String resumeLocalJarAndAwaitExactTotals(String prefix, String[] args) throws Exception {
    try (KafkaProducer<byte[], byte[]> p = kafka.producer()) {
      LiveJobs.send(p, prefix, phase2());
    }
    // What a killed run leaves in the work folder: the next local jar on the folder removes it.
    Path left = Files.createDirectories(dataDir.resolve("work").resolve("minicluster_killed").resolve("tm_0"));
    Files.write(left.resolve("000009.sst"), new byte[1024]);
    Path out = Files.createTempFile("resumed-it", ".stdout");
    Path err = Files.createTempFile("resumed-it", ".stderr");
    try {
      Process resumed = localJar(args, out, err);
      try {
        awaitExactTotals(prefix);
        assertThat(dataDir.resolve(LocalRestore.UNRESTORABLE)).doesNotExist();
        assertThat(dataDir.resolve("work").resolve("minicluster_killed")).doesNotExist();
        try (java.util.stream.Stream<Path> work = Files.walk(dataDir.resolve("work"))) {
          assertThat(work.map(Path::toString)).anyMatch(f -> f.contains("_op_ServiceGraphOperator_") && f.endsWith("db"));
        }
        return Files.readString(out);
      } finally {
        resumed.destroy();
        if (!resumed.waitFor(1, TimeUnit.MINUTES)) {
          resumed.destroyForcibly().waitFor();
        }
      }
    } finally {
      Files.delete(out);
      Files.delete(err);
    }
  }

  /** {@code java -jar switchyard-flink-local.jar ARGS}, as the launcher starts it, its output into the two files. */
  private static Process localJar(String[] args, Path out, Path err) throws java.io.IOException {
    Path jar = Path.of(System.getProperty("basedir", "."), "target", "switchyard-flink-local.jar");
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-jar", jar.toString()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
  }

  /** Fails the first edge it sees once armed, then lets everything through: one task failure, on purpose. */
  static final class FailOnceWhenArmed implements MapFunction<EdgeEvent, EdgeEvent> {
    private static final long serialVersionUID = 1L;
    static final AtomicBoolean ARMED = new AtomicBoolean();
    static final AtomicInteger FAILURES = new AtomicInteger();

    @Override
    public EdgeEvent map(EdgeEvent e) {
      if (ARMED.compareAndSet(true, false)) {
        FAILURES.incrementAndGet();
        throw new IllegalStateException("injected task failure (CheckpointRestoreIT)");
      }
      return e;
    }
  }

  @Test
  void taskFailingMidStreamRecoversFromItsCheckpointWithinTheJobAndCountsEveryRequestOnce() throws Exception {
    String group = "it-failover";
    JobOptions o = onFreshTopics(group, 2);
    String prefix = o.topicPrefix();
    FailOnceWhenArmed.ARMED.set(false);
    FailOnceWhenArmed.FAILURES.set(0);
    // The MiniCluster runs in this JVM, so the function's static flag is shared with the test.
    JobClient job = LiveJobs.start(o, Map.of(), "restore-it-failover",
        edges -> edges.map(new FailOnceWhenArmed()).returns(TypeInformation.of(EdgeEvent.class)).name("inject-failure"));
    try {
      try (KafkaProducer<byte[], byte[]> p = kafka.producer()) {
        LiveJobs.send(p, prefix, phase1());
        LiveJobs.awaitCheckpointCovers(kafka, group, prefix + Topics.SPANS.name());
        // The first edge of phase 2 fails its task; Flink restarts the job's tasks from the checkpoint.
        FailOnceWhenArmed.ARMED.set(true);
        LiveJobs.send(p, prefix, phase2());
      }
      await().atMost(Duration.ofSeconds(90)).until(() -> FailOnceWhenArmed.FAILURES.get() == 1);
      awaitExactTotals(prefix);
      assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
      assertThat(FailOnceWhenArmed.FAILURES.get()).isEqualTo(1);
    } finally {
      job.cancel().get();
    }
  }

  /** Closes minutes 0-2 with a span elsewhere at minute 10, then expects the hand-computed totals. */
  private static void awaitExactTotals(String prefix) throws Exception {
    try (KafkaProducer<byte[], byte[]> p = kafka.producer()) {
      LiveJobs.send(p, prefix, List.of(span(9999, 1, 0, "ticker", SpanKind.SPAN_KIND_SERVER, T0 + 600_000L, 1).build()));
    }
    Map<String, Double> expectedEdges = new TreeMap<>(Map.of(
        "virtual_node|user->frontend@0", 15.0, "virtual_node|user->frontend@1", 15.0, "virtual_node|user->frontend@2", 10.0,
        "|frontend->checkout@0", 15.0, "|frontend->checkout@1", 15.0, "|frontend->checkout@2", 10.0));
    Map<String, Double> expectedServices = new TreeMap<>(Map.of(
        "frontend@0", 15.0, "frontend@1", 15.0, "frontend@2", 10.0, "checkout@0", 15.0, "checkout@1", 15.0, "checkout@2", 10.0));
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      Map<String, Double> edges = LiveJobs.latestEdgeRequests(kafka, prefix, T0);
      edges.keySet().removeIf(k -> k.contains("ticker"));
      Map<String, Double> services = LiveJobs.latestServiceRequests(kafka, prefix, T0);
      services.keySet().removeIf(k -> k.contains("ticker"));
      assertThat(edges).isEqualTo(expectedEdges);
      assertThat(services).isEqualTo(expectedServices);
    });
  }

  /**
   * Waits until an edge of minute 1 is written, committed or not. Not "until some output is still
   * uncommitted": the job commits at every checkpoint (2 s), so the poll could miss that state and
   * then wait for output that never came.
   */
  private static void awaitMinuteOneWritten(String topic) {
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(10)).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      // Minute 1's window can only close once phase 2's minute-2 spans moved the watermark.
      await().atMost(Duration.ofSeconds(90)).until(() -> {
        for (var r : c.poll(Duration.ofMillis(200))) {
          if (EdgeAggregate.parseFrom(r.value()).getWindowStartUnixMs() == T0 + 60_000L) {
            return true;
          }
        }
        return false;
      });
    }
  }
}
