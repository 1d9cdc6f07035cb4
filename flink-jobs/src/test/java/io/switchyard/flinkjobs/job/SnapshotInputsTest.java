package io.switchyard.flinkjobs.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.flinkjobs.job.SnapshotInputs.Inputs;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.flink.connector.kafka.source.enumerator.KafkaSourceEnumState;
import org.apache.flink.connector.kafka.source.enumerator.KafkaSourceEnumStateSerializer;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplit;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.FullyFinishedOperatorState;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.source.coordinator.SourceCoordinator;
import org.apache.flink.runtime.state.memory.ByteStreamStateHandle;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotInputsTest {
  private static final TopicPartition SPANS_0 = new TopicPartition("switchyard.spans", 0);
  private static final TopicPartition SPANS_1 = new TopicPartition("switchyard.spans", 1);
  private static final Path CHECKPOINT = Path.of("/data/checkpoints/abc/chk-7");

  @TempDir Path dir;

  private static JobOptions options(String... args) {
    return JobOptions.parse(args);
  }

  private static LocalRestore.Choice automatic() {
    return new LocalRestore.Choice(Optional.of(CHECKPOINT), true);
  }

  /** The refusal for the snapshot of {@code choice}, as the local jar asks for it, from what its metadata would say. */
  private static Optional<String> refusal(JobOptions o, LocalRestore.Choice choice, Inputs inputs, Set<String> topics) {
    return choice.snapshot().flatMap(snapshot -> SnapshotInputs.refusal(o, snapshot, SnapshotInputs.sourceOf(choice), inputs, topics));
  }

  /** A source's coordinator state as Flink writes it, by Flink's own writer (package-private, hence reflection). */
  private static ByteStreamStateHandle coordinatorState(KafkaPartitionSplit... assigned) throws Exception {
    Method write = SourceCoordinator.class.getDeclaredMethod("writeCheckpointBytes", Object.class, SimpleVersionedSerializer.class);
    write.setAccessible(true);
    byte[] bytes = (byte[]) write.invoke(null, new KafkaSourceEnumState(List.of(assigned), List.of(), true),
        new KafkaSourceEnumStateSerializer());
    return new ByteStreamStateHandle("coordinator", bytes);
  }

  private static OperatorState source(String uid, ByteStreamStateHandle coordinator) {
    OperatorState state = new OperatorState("spans", uid, SpanLanes.operatorId(uid), 1, 128);
    state.setCoordinatorState(coordinator);
    return state;
  }

  /** Writes a checkpoint's {@code _metadata} as Flink does, into a chk- folder of its own. */
  private Path checkpoint(OperatorState... operators) throws Exception {
    Path chk = Files.createDirectories(dir.resolve("checkpoints").resolve("job").resolve("chk-3"));
    try (OutputStream out = Files.newOutputStream(chk.resolve("_metadata"))) {
      Checkpoints.storeCheckpointMetadata(new CheckpointMetadata(3, List.of(operators), List.of()), out);
    }
    return chk;
  }

  @Test
  void aSnapshotWhoseKafkaSplitsHaveNoEndIsOfAnUnboundedRun() throws Exception {
    Path chk = checkpoint(
        source("spans-source", coordinatorState(new KafkaPartitionSplit(SPANS_0, 10), new KafkaPartitionSplit(SPANS_1, 4))),
        new OperatorState("windows", "edge-windows", SpanLanes.operatorId("edge-windows"), 1, 128));
    assertThat(SnapshotInputs.of(chk)).isEqualTo(Inputs.UNBOUNDED);
    assertThat(SnapshotInputs.of(chk.resolve("_metadata"))).isEqualTo(Inputs.UNBOUNDED);
  }

  @Test
  void aSnapshotWithOneKafkaSplitStoppingAtAnOffsetIsOfABoundedRun() throws Exception {
    Path chk = checkpoint(
        source("access-logs-source", coordinatorState(new KafkaPartitionSplit(SPANS_0, 10))),
        source("spans-source", coordinatorState(new KafkaPartitionSplit(SPANS_0, 10), new KafkaPartitionSplit(SPANS_1, 4, 20))));
    assertThat(SnapshotInputs.of(chk)).isEqualTo(Inputs.BOUNDED);
  }

  @Test
  void aSnapshotWithAFinishedOperatorIsOfABoundedRun() throws Exception {
    Path chk = checkpoint(
        source("spans-source", coordinatorState(new KafkaPartitionSplit(SPANS_0, 10))),
        new FullyFinishedOperatorState("sink", "edges-sink", SpanLanes.operatorId("edges-sink"), 1, 128));
    assertThat(SnapshotInputs.of(chk)).isEqualTo(Inputs.BOUNDED);
  }

  @Test
  void aFileThatIsNotASnapshotOrOneWithoutKafkaSourcesSaysNothing() throws Exception {
    Path broken = Files.createDirectories(dir.resolve("broken"));
    Files.write(broken.resolve("_metadata"), "not a flink snapshot".getBytes(StandardCharsets.UTF_8));
    assertThat(SnapshotInputs.of(broken)).isEqualTo(Inputs.UNKNOWN);
    assertThat(SnapshotInputs.of(dir.resolve("missing"))).isEqualTo(Inputs.UNKNOWN);

    OperatorState other = source("other-source", new ByteStreamStateHandle("c", "not an enumerator".getBytes(StandardCharsets.UTF_8)));
    Path chk = checkpoint(other, new OperatorState("windows", "edge-windows", SpanLanes.operatorId("edge-windows"), 1, 128));
    assertThat(SnapshotInputs.of(chk)).isEqualTo(Inputs.UNKNOWN);
  }

  @Test
  void aBoundedRunRefusesEverySnapshotItCanReadNamingFreshAndTheDataDir() {
    JobOptions bounded = options("--bounded", "--data-dir", "/data");
    assertThat(refusal(bounded, automatic(), Inputs.UNBOUNDED, Set.of())).hasValue("--bounded cannot resume snapshot "
        + CHECKPOINT + ": Flink's Kafka source never ends a bounded run restored from a snapshot (and this one, of an unbounded"
        + " run, holds positions without an end), so the run would never finish: give it a --data-dir of its own (it then"
        + " reads from the consumer group's committed offsets to the topics' current end), or pass --fresh to do so in this"
        + " one; the snapshot is left as it is");
    LocalRestore.Choice named = new LocalRestore.Choice(Optional.of(CHECKPOINT), false);
    assertThat(refusal(bounded, named, Inputs.BOUNDED, Set.of())).get().asString()
        .startsWith("--bounded cannot resume snapshot " + CHECKPOINT + ": Flink's Kafka source never ends a bounded run"
            + " restored from a snapshot, so the run would never finish")
        .contains("--fresh", "--data-dir");
    // Unreadable: the restore fails on its own, and the runner sets the snapshot aside (UnrestorableSnapshotIT).
    assertThat(refusal(bounded, automatic(), Inputs.UNKNOWN, Set.of())).isEmpty();
    assertThat(refusal(bounded, LocalRestore.Choice.FRESH, Inputs.UNKNOWN, Set.of())).isEmpty();
  }

  @Test
  void aSnapshotTellsTheTopicsOfEveryKafkaSourceItHolds() throws Exception {
    TopicPartition logs = new TopicPartition("switchyard.access-logs", 2);
    Path chk = checkpoint(
        source("access-logs-source", coordinatorState(new KafkaPartitionSplit(logs, 3))),
        source("spans-source", coordinatorState(new KafkaPartitionSplit(SPANS_0, 10), new KafkaPartitionSplit(SPANS_1, 4))),
        new OperatorState("windows", "edge-windows", SpanLanes.operatorId("edge-windows"), 1, 128));
    assertThat(SnapshotInputs.metadata(chk).map(SnapshotInputs::topics))
        .hasValue(Set.of("switchyard.access-logs", "switchyard.spans"));
  }

  @Test
  void anUnboundedRunRefusesTheSnapshotOfARunThatReadOtherTopics() {
    Set<String> read = Set.of("switchyard.spans", "switchyard.access-logs", "switchyard.slo-definitions");
    assertThat(refusal(options("--data-dir", "/data"), automatic(), Inputs.UNBOUNDED, read)).isEmpty();
    assertThat(refusal(options("--data-dir", "/data"), automatic(), Inputs.UNBOUNDED,
        Set.of("switchyard.spans"))).isEmpty();

    JobOptions staging = options("--data-dir", "/data", "--topic-prefix", "staging.");
    assertThat(refusal(staging, automatic(), Inputs.UNBOUNDED, read)).hasValue("snapshot " + CHECKPOINT
        + " was written by a run reading switchyard.access-logs, switchyard.slo-definitions, switchyard.spans, which this"
        + " run (--topic-prefix staging.) does not read: Flink's Kafka source goes on reading the partitions a snapshot"
        + " holds, so their records would be counted with this run's: give this run a --data-dir of its own, or the"
        + " --topic-prefix of the run that wrote the snapshot, or pass " + SpanLanes.FRESH);
    assertThat(refusal(staging, new LocalRestore.Choice(Optional.of(CHECKPOINT), false), Inputs.UNBOUNDED,
        Set.of("staging.switchyard.spans", "switchyard.spans"))).get().asString()
        .startsWith("snapshot " + CHECKPOINT + " was written by a run reading switchyard.spans, which")
        .contains(": --restore-from a snapshot of a run with this --topic-prefix, or pass --fresh");
    assertThat(refusal(options("--data-dir", "/data"), automatic(), Inputs.UNBOUNDED,
        Set.of("staging.switchyard.spans"))).get().asString().contains("this run (no --topic-prefix) does not read");
    assertThat(refusal(staging, LocalRestore.Choice.FRESH, Inputs.UNKNOWN, Set.of())).isEmpty();
  }

  @Test
  void onAClusterTheRemedyIsToSubmitWithoutDashSOrWithAnotherSnapshot() {
    Path savepoint = Path.of("file:/shared/flink/savepoints/savepoint-1a2b");
    JobOptions staging = options("--topic-prefix", "staging.");
    assertThat(SnapshotInputs.refusal(staging, savepoint, SnapshotInputs.Source.FLINK_RUN_S, Inputs.UNBOUNDED,
        Set.of("staging.switchyard.spans"))).isEmpty();
    assertThat(SnapshotInputs.refusal(staging, savepoint, SnapshotInputs.Source.FLINK_RUN_S, Inputs.UNBOUNDED,
        Set.of("switchyard.spans"))).hasValue("snapshot file:/shared/flink/savepoints/savepoint-1a2b was written by a run"
        + " reading switchyard.spans, which this run (--topic-prefix staging.) does not read: Flink's Kafka source goes on"
        + " reading the partitions a snapshot holds, so their records would be counted with this run's: pass -s a snapshot"
        + " of a job with this --topic-prefix, or submit it without -s (it then starts from the consumer group's committed"
        + " offsets; the snapshot's spans waiting for their other half and its open windows are lost)");
    assertThat(SnapshotInputs.refusal(options("--bounded"), savepoint, SnapshotInputs.Source.FLINK_RUN_S, Inputs.UNBOUNDED,
        Set.of())).get().asString().endsWith("so the run would never finish: submit it without -s (it then reads from the"
        + " consumer group's committed offsets to the topics' current end); the snapshot is left as it is");
    assertThat(SnapshotInputs.refusal(options(), savepoint, SnapshotInputs.Source.FLINK_RUN_S, Inputs.BOUNDED, Set.of()))
        .get().asString().contains(": pass -s a snapshot of an unbounded run, or submit it without -s");
  }

  @Test
  void anUnboundedRunRefusesOnlyABoundedRunsSnapshot() {
    JobOptions live = options("--data-dir", "/data");
    assertThat(refusal(live, automatic(), Inputs.UNBOUNDED, Set.of())).isEmpty();
    assertThat(refusal(live, automatic(), Inputs.UNKNOWN, Set.of())).isEmpty();
    assertThat(refusal(live, automatic(), Inputs.BOUNDED, Set.of())).hasValue("snapshot " + CHECKPOINT
        + " was written by a --bounded run: resumed unbounded, each Kafka partition would stop where that run was to end and"
        + " never be read on (and a bounded run cannot resume a snapshot at all): move /data/checkpoints/abc out of"
        + " --data-dir /data to resume the newest checkpoint before it, or pass " + SpanLanes.FRESH);
    assertThat(refusal(live, new LocalRestore.Choice(Optional.of(CHECKPOINT), false), Inputs.BOUNDED, Set.of())).get()
        .asString().contains(": --restore-from a snapshot of an unbounded run, or pass --fresh");
  }
}
