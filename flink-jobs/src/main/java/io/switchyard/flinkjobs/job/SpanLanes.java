package io.switchyard.flinkjobs.job;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.shaded.guava33.com.google.common.hash.Hashing;

/**
 * How many span lanes the local jar builds. A snapshot restores only into the lane count that wrote it
 * (every lane's operators have uids of their own, {@link SwitchyardPipeline#laneUid}), so a restore takes
 * the snapshot's count; a fresh start takes one lane per two cores, as far as the span topic's partitions
 * split evenly.
 */
final class SpanLanes {
  /** Above this, {@code auto} gains little on the machines the local jar runs on (each lane is one thread). */
  static final int MAX_AUTO = 4;

  /** The way out of an error line about a snapshot: what {@code --fresh} does, and what it loses. */
  static final String FRESH = "--fresh to start over from the consumer group's committed offsets (the snapshot's spans"
      + " waiting for their other half and its open windows are lost)";

  private SpanLanes() {}

  /** The lane count and why, for the one log line that says so. */
  record Choice(int lanes, String why) {}

  /**
   * The lanes of a run of {@code o}. {@code snapshot} is what it restores (empty: a fresh start) and
   * {@code snapshotLanes} the lane count that wrote it ({@link #ofSnapshot}); {@code partitions} the span
   * topic's partition count, empty when the broker did not tell.
   *
   * @throws IllegalArgumentException when the options cannot run: a count the snapshot cannot restore into,
   *     or more lanes than partitions; the message is the user's one error line
   */
  static Choice choose(JobOptions o, Optional<Path> snapshot, OptionalInt snapshotLanes, OptionalInt partitions,
      int processors) {
    String topic = o.topic(io.switchyard.model.Topics.SPANS);
    int requested = o.spanLanes();
    if (requested != JobOptions.AUTO_LANES && partitions.isPresent() && requested > partitions.getAsInt()) {
      throw new IllegalArgumentException("--span-lanes " + requested + " is more than the " + partitions.getAsInt()
          + " partitions of " + topic + ": a lane would read nothing; pass at most " + partitions.getAsInt() + " (or auto)");
    }
    if (snapshot.isPresent()) {
      return restoring(o, snapshot.get(), snapshotLanes);
    }
    if (requested != JobOptions.AUTO_LANES) {
      return new Choice(requested, "--span-lanes");
    }
    if (o.parallelism() > 1) {
      return new Choice(1, "--parallelism " + o.parallelism() + " shuffles spans by trace instead");
    }
    if (partitions.isEmpty()) {
      return new Choice(1, "the partition count of " + topic + " could not be read");
    }
    int lanes = perTwoCores(processors, partitions.getAsInt());
    return new Choice(lanes, "one per two cores of " + processors + ", at most " + MAX_AUTO + ", dividing the "
        + partitions.getAsInt() + " partitions of " + topic);
  }

  private static Choice restoring(JobOptions o, Path snapshot, OptionalInt snapshotLanes) {
    int requested = o.spanLanes();
    if (snapshotLanes.isEmpty()) {
      // Every build before lanes wrote the one-lane uids, and a snapshot holding neither is not this job's:
      // the restore itself then says what is wrong.
      int lanes = requested == JobOptions.AUTO_LANES ? 1 : requested;
      return new Choice(lanes, (requested == JobOptions.AUTO_LANES ? "" : "--span-lanes; ")
          + "the lanes of snapshot " + snapshot + " could not be read");
    }
    int written = snapshotLanes.getAsInt();
    if (requested != JobOptions.AUTO_LANES && requested != written) {
      throw new IllegalArgumentException("--span-lanes " + requested + " cannot resume snapshot " + snapshot
          + ", written by " + written + " span lane" + (written == 1 ? "" : "s") + " (a snapshot restores only into the"
          + " lanes that wrote it): pass --span-lanes " + written + " (or auto) to resume it, or " + FRESH);
    }
    if (written > 1 && o.parallelism() > 1) {
      throw new IllegalArgumentException("--parallelism " + o.parallelism() + " cannot resume snapshot " + snapshot
          + ", written by " + written + " span lanes, which run at --parallelism 1 only: pass --parallelism 1 to resume"
          + " it, or " + FRESH);
    }
    return new Choice(written, "those of the snapshot it resumes");
  }

  /**
   * One lane per two cores up to {@link #MAX_AUTO}, lowered to a divisor of the partition count so every lane
   * reads as many partitions as the others (else the lane with more bounds the job). Two cores a lane: at
   * full speed one lane kept about 1.5 cores busy in the benchmark (its chain thread, plus its Kafka fetcher,
   * RocksDB's background work, the JIT and GC), and on 2 cores a second lane cost 1.07-1.18 x the CPU per
   * span for no higher rate (docs/benchmarks.md, "Session 14 (lanes)").
   */
  static int perTwoCores(int processors, int partitions) {
    for (int lanes = Math.min(Math.min(processors / 2, MAX_AUTO), partitions); lanes > 1; lanes--) {
      if (partitions % lanes == 0) {
        return lanes;
      }
    }
    return 1;
  }

  /**
   * The lane count that wrote a snapshot (a checkpoint or savepoint folder, or its {@code _metadata}): which
   * uid its span source's state is under, {@code spans-source} (one lane, and every build before lanes) or
   * {@code spans-source-lane-1-of-N}. Empty when the metadata cannot be read or holds neither.
   */
  static OptionalInt ofSnapshot(Path snapshot) {
    return SnapshotInputs.metadata(snapshot).map(SpanLanes::ofSnapshot).orElse(OptionalInt.empty());
  }

  /** {@link #ofSnapshot(Path)} of a snapshot's loaded metadata. */
  static OptionalInt ofSnapshot(CheckpointMetadata metadata) {
    Set<OperatorID> operators = metadata.getOperatorStates().stream().map(OperatorState::getOperatorID)
        .collect(Collectors.toSet());
    for (int lanes = 1; lanes <= JobOptions.MAX_LANES; lanes++) {
      if (operators.contains(operatorId(SwitchyardPipeline.laneUid("spans-source", 0, lanes)))) {
        return OptionalInt.of(lanes);
      }
    }
    return OptionalInt.empty();
  }

  /** The id Flink stores an operator's state under, from its uid (as StreamGraphHasherV2 derives it). */
  static OperatorID operatorId(String uid) {
    return new OperatorID(Hashing.murmur3_128(0).newHasher().putString(uid, StandardCharsets.UTF_8).hash().asBytes());
  }
}
