package io.switchyard.flinkjobs.job;

import io.switchyard.flinkjobs.slo.spec.SloCli;
import io.switchyard.model.Topics;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.ExceptionUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of both build outputs. Run with {@code java -jar switchyard-flink-local.jar} it starts a
 * local MiniCluster in this JVM; submitted with {@code flink run switchyard-flink-jobs.jar} the same
 * code runs on the cluster. {@code slo ...} runs the SLO tools instead. Only the local jar resumes on its
 * own from the newest checkpoint under the data folder; a cluster restores with {@code flink run -s}.
 * On a cluster the job leaves the parallelism ({@code -p}) and the checkpoint folders to Flink's
 * client and cluster configuration unless its own arguments name them (ClusterJobJarIT).
 */
public final class FlinkJobsMain {
  /** Printed once the job runs; `switchyard up` waits for it. */
  public static final String READY_MARKER = "switchyard-ready";

  private static final Logger LOG = LoggerFactory.getLogger(FlinkJobsMain.class);

  private FlinkJobsMain() {}

  private static void awaitRunning(JobClient job) throws Exception {
    while (true) {
      JobStatus status = job.getJobStatus().get();
      if (status == JobStatus.RUNNING || status.isTerminalState()) {
        return;
      }
      Thread.sleep(100); // polling a status with no push API; not a timing assumption
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("slo")) {
      System.exit(SloCli.run(Arrays.copyOfRange(args, 1, args.length), System.out, System.err));
      return;
    }
    if (Arrays.asList(args).contains("--help")) {
      System.out.print(JobOptions.USAGE);
      return;
    }
    JobOptions options;
    try {
      options = JobOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(2);
      return;
    }
    StreamExecutionEnvironment client = StreamExecutionEnvironment.getExecutionEnvironment();
    if (client instanceof LocalStreamEnvironment) {
      runLocal(options);
      return;
    }
    if (!options.given("--data-dir") && client.getConfiguration().getOptional(CheckpointingOptions.CHECKPOINTS_DIRECTORY).isEmpty()) {
      System.err.println("error: no checkpoint folder: set execution.checkpointing.dir (and execution.checkpointing.savepoint-dir)"
          + " in the cluster's config.yaml to a folder the JobManager and every TaskManager share, or pass --data-dir DIR");
      System.exit(2);
      return;
    }
    Optional<String> resumed = client.getConfiguration().getOptional(StateRecoveryOptions.SAVEPOINT_PATH);
    if (resumed.isPresent()) {
      // `flink run -s`: the same refusals as the local jar's, where the client can read the snapshot (a shared
      // folder); on an object store it cannot, and nothing is checked.
      Path snapshot = Path.of(resumed.get());
      if (refused(SnapshotInputs.refusal(options, snapshot, SnapshotInputs.Source.FLINK_RUN_S, SnapshotInputs.metadata(snapshot)))) {
        return;
      }
    }
    // `flink run`: Flink's client submits the job (and, with -d, returns at once, printing its id).
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SwitchyardPipeline.clusterConfiguration(options));
    SwitchyardPipeline.build(env, options);
    env.execute("switchyard");
  }

  /** Exits 2 with {@code cannotResume} as the one error line, when there is one. */
  private static boolean refused(Optional<String> cannotResume) {
    if (cannotResume.isEmpty()) {
      return false;
    }
    System.err.println("error: " + cannotResume.get());
    System.exit(2);
    return true;
  }

  /**
   * The local jar: resume from the newest complete snapshot unless told otherwise; when that snapshot
   * cannot be restored, move it aside and start fresh once instead of failing on every restart.
   */
  private static void runLocal(JobOptions options) throws Exception {
    if (options.exitWithParent() > 0) {
      long parent = options.exitWithParent();
      LocalProcessGuard.onParentExit(parent, () -> {
        // The launcher is gone (SIGKILL, crash): without it nobody supervises or stops this job.
        System.err.println("error: the launcher (pid " + parent + ") exited; stopping the Flink jobs");
        System.exit(1);
      });
    }
    Optional<String> inUse = LocalProcessGuard.lockDataDir(options.dataDir());
    if (inUse.isPresent()) {
      System.err.println("error: " + inUse.get());
      System.exit(1);
      return;
    }
    long left = LocalProcessGuard.emptyWorkDir(options.workDir());
    if (left > 0) {
      LOG.info("removed {} MB of working files an earlier run left in {}", (left + (1 << 19)) >> 20, options.workDir());
    }
    Optional<String> noBroker = BrokerCheck.unreachable(options.kafka(), options.kafkaWait());
    if (noBroker.isPresent()) {
      // One line the launcher (and `up`'s readiness) passes on as the reason; exit 1 like any failed start.
      System.err.println("error: " + noBroker.get());
      System.exit(1);
      return;
    }
    Optional<String> unusable = BrokerCheck.unusable(options);
    if (unusable.isPresent()) {
      System.err.println("error: " + unusable.get());
      System.exit(1);
      return;
    }
    LocalRestore.Choice choice = LocalRestore.choose(options);
    // Read once: whether the snapshot's run was bounded, which topics it read, and how many span lanes wrote it.
    Optional<CheckpointMetadata> metadata = choice.snapshot().flatMap(SnapshotInputs::metadata);
    // Before anything is pruned or built: that run would wait forever without a word (or count another
    // pipeline's records), and the fallback below would set the snapshot aside with its waiting spans and open windows.
    if (refused(SnapshotInputs.refusal(options, choice, metadata))) {
      return;
    }
    if (choice.automatic()) {
      LOG.info("resuming from {}, the newest complete checkpoint under {} (--fresh to skip)", choice.snapshot().get(), options.dataDir());
      LocalRestore.pruneOtherJobs(options.checkpointDir(), choice.snapshot())
          .forEach(old -> LOG.info("removed the older job's checkpoints {}", old));
    } else if (choice.snapshot().isPresent()) {
      LOG.info("restoring from {} (--restore-from)", choice.snapshot().get());
    } else {
      LOG.info("starting fresh from the consumer group's committed offsets ({})",
          options.fresh() ? "--fresh" : "no complete checkpoint under " + options.dataDir());
    }
    choice.snapshot().ifPresent(snapshot -> warnIfOtherTopics(options, snapshot));
    OptionalInt partitions = spanPartitions(options);
    SpanLanes.Choice lanes;
    try {
      lanes = SpanLanes.choose(options, choice.snapshot(), metadata.map(SpanLanes::ofSnapshot).orElse(OptionalInt.empty()),
          partitions, Runtime.getRuntime().availableProcessors());
    } catch (IllegalArgumentException e) {
      // Before the build: a snapshot that cannot restore into these lanes must not reach the fallback
      // below, which would set it aside and start without its waiting spans and open windows.
      System.err.println("error: " + e.getMessage());
      System.exit(2);
      return;
    }
    LOG.info("span lanes: {} ({})", lanes.lanes(), lanes.why());
    JobOptions first = choice.apply(options.withSpanLanes(lanes.lanes()));
    String jobId = null;
    try {
      StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SwitchyardPipeline.flinkConfiguration(first));
      SwitchyardPipeline.build(env, first);
      JobClient job = env.executeAsync("switchyard");
      jobId = job.getJobID().toHexString();
      awaitReady(job);
      job.getJobExecutionResult().get();
      return;
    } catch (Exception e) {
      boolean checkpointed = jobId != null && LocalRestore.hasCompletedCheckpoint(options.checkpointDir(), jobId);
      if (!LocalRestore.shouldFallBack(choice, checkpointed)) {
        throw e;
      }
      Path snapshot = choice.snapshot().get();
      Path moved = LocalRestore.moveAside(snapshot, options.dataDir());
      Throwable root = ExceptionUtils.stripExecutionException(e);
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      LOG.error("could not restore from checkpoint {}: {}; moved it to {} and starting fresh from the consumer group's"
          + " committed offsets (pending pairs and open windows of that checkpoint are not recovered)", snapshot, root, moved);
    }
    // Fresh now: the lanes of a fresh start, whatever the set-aside snapshot had.
    SpanLanes.Choice freshLanes = SpanLanes.choose(options, Optional.empty(), OptionalInt.empty(), partitions,
        Runtime.getRuntime().availableProcessors());
    LOG.info("span lanes: {} ({})", freshLanes.lanes(), freshLanes.why());
    JobOptions fresh = options.withSpanLanes(freshLanes.lanes());
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SwitchyardPipeline.flinkConfiguration(fresh));
    runToEnd(env, fresh);
  }

  /**
   * A snapshot restored onto topics that are not the ones it read (disaster recovery onto a new
   * broker) resumes at positions that mean nothing there: records before them are skipped, or, on a
   * shorter topic, reading restarts at its beginning. Flink cannot tell, so say it once, loudly.
   */
  private static void warnIfOtherTopics(JobOptions options, Path snapshot) {
    List<String> inputs = List.of(options.topic(Topics.SPANS), options.topic(Topics.ACCESS_LOGS));
    String spans = String.join(" or ", inputs);
    try {
      if (LocalRestore.groupHasNoOffsetsFor(options.kafka(), options.groupId(), inputs, LocalRestore.OFFSETS_CHECK_TIMEOUT)) {
        LOG.warn("restoring {} onto {}: consumer group {} has committed no offset for {} on this broker. The snapshot's Kafka "
            + "positions belong to the broker it was taken on: on a new broker or a recreated topic, records before them are "
            + "skipped (a shorter topic is read from its beginning). Restore only onto topics holding the same records, else "
            + "start with --fresh. (Also seen when the broker expired the group's offsets, offsets.retention.minutes.)",
            snapshot, options.kafka(), options.groupId(), spans);
      }
    } catch (Exception e) {
      LOG.info("could not check consumer group {} on {} before restoring: {}", options.groupId(), options.kafka(), e.toString());
    }
  }

  /** The span topic's partition count, or empty (and one log line) when the broker does not say. */
  private static OptionalInt spanPartitions(JobOptions options) {
    try {
      return OptionalInt.of(BrokerCheck.spanPartitions(options));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return OptionalInt.empty();
    } catch (Exception e) {
      LOG.info("could not read the partition count of {} on {}: {}", options.topic(Topics.SPANS), options.kafka(), e.toString());
      return OptionalInt.empty();
    }
  }

  private static void runToEnd(StreamExecutionEnvironment env, JobOptions options) throws Exception {
    SwitchyardPipeline.build(env, options);
    JobClient job = env.executeAsync("switchyard");
    awaitReady(job);
    job.getJobExecutionResult().get();
  }

  private static void awaitReady(JobClient job) throws Exception {
    awaitRunning(job);
    if (job.getJobStatus().get() == JobStatus.RUNNING) {
      // The launcher's supervisor marks flink-jobs ready on this line.
      System.out.println(READY_MARKER + " job " + job.getJobID());
      System.out.flush();
    }
  }
}
