package io.switchyard.flinkjobs.job;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.flink.connector.kafka.source.enumerator.KafkaSourceEnumState;
import org.apache.flink.connector.kafka.source.enumerator.KafkaSourceEnumStateSerializer;
import org.apache.flink.connector.kafka.source.enumerator.SplitAndAssignmentStatus;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.source.coordinator.SourceCoordinatorSerdeUtils;
import org.apache.flink.runtime.state.memory.ByteStreamStateHandle;

/**
 * Whether the run that wrote a snapshot read its Kafka topics bounded, and whether a run may resume it. The
 * Kafka connector (5.0.0) ends no bounded run restored from a snapshot: restored splits keep the stopping
 * offset they were written with (none, from an unbounded run), and the restored enumerator, finding every
 * partition already assigned, never tells its readers there are no more splits (FLINK-31006). The other
 * way round, an unbounded run restored from a bounded run's snapshot stops reading each partition at that
 * run's end and then runs on reading nothing. Both would wait forever without a word, so the local jar
 * refuses them before it submits the job. So it does a snapshot of a run that read other topics (another
 * {@code --topic-prefix}): the restored readers keep the partitions they were reading, subscribed or not (the
 * enumerator only logs "Discovered removed partitions"), so their records would be counted with this run's.
 */
final class SnapshotInputs {
  /** What a snapshot's Kafka source enumerators say about the run that wrote them. */
  enum Inputs {
    /** No enumerator state could be read: not a Flink snapshot, or not one of this job. */
    UNKNOWN,
    /** Every partition read without an end ({@code switchyard up}, a live {@code flink-jobs}). */
    UNBOUNDED,
    /** A partition with an end, or a source already finished: a {@code --bounded} run. */
    BOUNDED
  }

  private SnapshotInputs() {}

  /** Where the snapshot to resume came from, which says how the user can avoid resuming it. */
  enum Source {
    /** The local jar's newest complete checkpoint under {@code --data-dir}. */
    DATA_DIR,
    /** The local jar's {@code --restore-from}. */
    RESTORE_FROM,
    /** {@code flink run -s} on a cluster. */
    FLINK_RUN_S
  }

  /**
   * The one error line for a run of {@code o} that cannot resume the snapshot of {@code choice}, whose
   * {@code metadata} tells how its sources read ({@link #of}) and which topics ({@link #topics}); empty when it
   * can, or when the snapshot cannot be read (the restore itself then fails, and a snapshot the runner chose is
   * set aside as before).
   */
  static Optional<String> refusal(JobOptions o, LocalRestore.Choice choice, Optional<CheckpointMetadata> metadata) {
    return choice.snapshot().flatMap(snapshot -> refusal(o, snapshot, sourceOf(choice), metadata));
  }

  /** Where the local jar's {@code choice} came from. */
  static Source sourceOf(LocalRestore.Choice choice) {
    return choice.automatic() ? Source.DATA_DIR : Source.RESTORE_FROM;
  }

  /** {@link #refusal(JobOptions, LocalRestore.Choice, Optional)} of a snapshot from {@code source}. */
  static Optional<String> refusal(JobOptions o, Path snapshot, Source source, Optional<CheckpointMetadata> metadata) {
    return refusal(o, snapshot, source, metadata.map(SnapshotInputs::of).orElse(Inputs.UNKNOWN),
        metadata.map(SnapshotInputs::topics).orElse(Set.of()));
  }

  /** The refusal for a snapshot whose sources were {@code inputs} and read {@code topics}. */
  static Optional<String> refusal(JobOptions o, Path snapshot, Source source, Inputs inputs, Set<String> topics) {
    boolean cluster = source == Source.FLINK_RUN_S;
    String fresh = cluster
        ? "submit it without -s (it then starts from the consumer group's committed offsets; the snapshot's spans waiting"
            + " for their other half and its open windows are lost)"
        : "pass " + SpanLanes.FRESH;
    if (o.bounded() && inputs != Inputs.UNKNOWN) {
      return Optional.of("--bounded cannot resume snapshot " + snapshot + ": Flink's Kafka source never ends a bounded run"
          + " restored from a snapshot" + (inputs == Inputs.UNBOUNDED ? " (and this one, of an unbounded run, holds"
          + " positions without an end)" : "") + ", so the run would never finish: " + (cluster
          ? "submit it without -s (it then reads from the consumer group's committed offsets to the topics' current end)"
          : "give it a --data-dir of its own (it then reads from the consumer group's committed offsets to the topics'"
              + " current end), or pass --fresh to do so in this one") + "; the snapshot is left as it is");
    }
    if (!o.bounded() && inputs == Inputs.BOUNDED) {
      String other = switch (source) {
        case DATA_DIR -> "move " + LocalRestore.folderOf(snapshot) + " out of --data-dir " + o.dataDir() + " to resume the"
            + " newest checkpoint before it";
        case RESTORE_FROM -> "--restore-from a snapshot of an unbounded run";
        case FLINK_RUN_S -> "pass -s a snapshot of an unbounded run";
      };
      return Optional.of("snapshot " + snapshot + " was written by a --bounded run: resumed unbounded, each Kafka partition"
          + " would stop where that run was to end and never be read on (and a bounded run cannot resume a snapshot"
          + " at all): " + other + ", or " + fresh);
    }
    Set<String> others = new TreeSet<>(topics);
    others.removeAll(SwitchyardPipeline.inputTopics(o));
    if (!others.isEmpty()) {
      String other = switch (source) {
        case DATA_DIR -> "give this run a --data-dir of its own, or the --topic-prefix of the run that wrote the snapshot";
        case RESTORE_FROM -> "--restore-from a snapshot of a run with this --topic-prefix";
        case FLINK_RUN_S -> "pass -s a snapshot of a job with this --topic-prefix";
      };
      return Optional.of("snapshot " + snapshot + " was written by a run reading " + String.join(", ", others) + ", which"
          + " this run (" + (o.topicPrefix().isEmpty() ? "no --topic-prefix" : "--topic-prefix " + o.topicPrefix()) + ") does"
          + " not read: Flink's Kafka source goes on reading the"
          + " partitions a snapshot holds, so their records would be counted with this run's: " + other + ", or " + fresh);
    }
    return Optional.empty();
  }

  /** The Kafka topics whose partitions a snapshot's source enumerators hold; empty when none could be read. */
  static Set<String> topics(CheckpointMetadata metadata) {
    Set<String> topics = new TreeSet<>();
    for (OperatorState operator : metadata.getOperatorStates()) {
      kafkaEnumerator(operator.getCoordinatorState()).ifPresent(e -> e.splits().forEach(s -> topics.add(s.split().getTopic())));
    }
    return topics;
  }

  /** What the enumerators of {@code snapshot} (a checkpoint or savepoint folder, or its {@code _metadata}) say. */
  static Inputs of(Path snapshot) {
    return metadata(snapshot).map(SnapshotInputs::of).orElse(Inputs.UNKNOWN);
  }

  static Inputs of(CheckpointMetadata metadata) {
    boolean read = false;
    for (OperatorState operator : metadata.getOperatorStates()) {
      if (operator.isFullyFinished()) {
        // Only a bounded input lets a task finish; an unbounded run's operators never do.
        return Inputs.BOUNDED;
      }
      Optional<KafkaSourceEnumState> enumerator = kafkaEnumerator(operator.getCoordinatorState());
      if (enumerator.isEmpty()) {
        continue;
      }
      read = true;
      if (enumerator.get().splits().stream().map(SplitAndAssignmentStatus::split).anyMatch(s -> s.getStoppingOffset().isPresent())) {
        return Inputs.BOUNDED;
      }
    }
    return read ? Inputs.UNBOUNDED : Inputs.UNKNOWN;
  }

  /**
   * A Kafka source enumerator's state in the bytes its source coordinator checkpointed: the coordinator's
   * format version, the enumerator serializer's version, then the enumerator's bytes. Empty for anything else.
   */
  static Optional<KafkaSourceEnumState> kafkaEnumerator(ByteStreamStateHandle coordinator) {
    if (coordinator == null) {
      return Optional.empty();
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(coordinator.getData()))) {
      if (in.readInt() != SourceCoordinatorSerdeUtils.VERSION_1) {
        return Optional.empty();
      }
      int version = in.readInt();
      int length = in.readInt();
      if (length < 0 || length != in.available()) {
        return Optional.empty();
      }
      return Optional.of(new KafkaSourceEnumStateSerializer().deserialize(version, in.readNBytes(length)));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** A snapshot's metadata, without opening the state files it names; empty when it is not one. */
  static Optional<CheckpointMetadata> metadata(Path snapshot) {
    Path path = (snapshot.toString().startsWith("file:") ? Path.of(URI.create(snapshot.toString())) : snapshot).toAbsolutePath();
    Path file = Files.isDirectory(path) ? path.resolve("_metadata") : path;
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
      return Optional.of(Checkpoints.loadCheckpointMetadata(in, SnapshotInputs.class.getClassLoader(), file.getParent().toString()));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
