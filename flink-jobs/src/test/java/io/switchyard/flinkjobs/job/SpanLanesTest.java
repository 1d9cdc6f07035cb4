package io.switchyard.flinkjobs.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.flink.runtime.OperatorIDPair;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpanLanesTest {
  private static final Optional<Path> FRESH = Optional.empty();
  private static final Optional<Path> SNAPSHOT = Optional.of(Path.of("/data/checkpoints/abc/chk-7"));

  @TempDir Path dir;

  private static JobOptions options(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    return JobOptions.parse(all.toArray(String[]::new));
  }

  private static SpanLanes.Choice fresh(JobOptions o, int partitions, int processors) {
    return SpanLanes.choose(o, FRESH, OptionalInt.empty(), OptionalInt.of(partitions), processors);
  }

  @Test
  void aFreshAutoStartTakesOneLanePerTwoCoresUpToFourThatDividesThePartitions() {
    JobOptions auto = options();
    assertThat(fresh(auto, 6, 2).lanes()).isEqualTo(1);
    assertThat(fresh(auto, 6, 3).lanes()).isEqualTo(1);
    assertThat(fresh(auto, 6, 4).lanes()).isEqualTo(2);
    assertThat(fresh(auto, 6, 8).lanes()).isEqualTo(3);
    assertThat(fresh(auto, 6, 6).lanes()).isEqualTo(3);
    assertThat(fresh(auto, 8, 16).lanes()).isEqualTo(4);
    assertThat(fresh(auto, 5, 8).lanes()).isEqualTo(1);
    assertThat(fresh(auto, 1, 8).lanes()).isEqualTo(1);
    assertThat(fresh(auto, 6, 1).lanes()).isEqualTo(1);
    assertThat(fresh(auto, 2, 8).lanes()).isEqualTo(2);
    assertThat(fresh(auto, 6, 8).why()).isEqualTo("one per two cores of 8, at most 4, dividing the 6 partitions of switchyard.spans");
  }

  @Test
  void aFreshAutoStartWithoutThePartitionCountOrAboveParallelismOneTakesOneLane() {
    SpanLanes.Choice unknown = SpanLanes.choose(options(), FRESH, OptionalInt.empty(), OptionalInt.empty(), 8);
    assertThat(unknown.lanes()).isEqualTo(1);
    assertThat(unknown.why()).contains("partition count of switchyard.spans could not be read");
    assertThat(fresh(options("--parallelism", "2"), 6, 8).lanes()).isEqualTo(1);
  }

  @Test
  void anExplicitCountIsKeptUpToThePartitionCount() {
    assertThat(fresh(options("--span-lanes", "6"), 6, 2).lanes()).isEqualTo(6);
    assertThat(fresh(options("--span-lanes", "1"), 6, 8).lanes()).isEqualTo(1);
    // Unknown partitions: the count is taken as given.
    assertThat(SpanLanes.choose(options("--span-lanes", "3"), FRESH, OptionalInt.empty(), OptionalInt.empty(), 2).lanes())
        .isEqualTo(3);
    assertThatThrownBy(() -> fresh(options("--span-lanes", "7", "--topic-prefix", "p."), 6, 8))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--span-lanes 7 is more than the 6 partitions of p.switchyard.spans: a lane would read nothing;"
            + " pass at most 6 (or auto)");
  }

  @Test
  void aRestoreWithAutoTakesTheSnapshotsLanesAndOneWhenTheyAreUnknown() {
    SpanLanes.Choice two = SpanLanes.choose(options(), SNAPSHOT, OptionalInt.of(2), OptionalInt.of(6), 8);
    assertThat(two).isEqualTo(new SpanLanes.Choice(2, "those of the snapshot it resumes"));
    // Not the per-core count (3 here): the snapshot restores only into the lanes that wrote it.
    assertThat(SpanLanes.choose(options(), SNAPSHOT, OptionalInt.of(1), OptionalInt.of(6), 8).lanes()).isEqualTo(1);
    assertThat(SpanLanes.choose(options(), SNAPSHOT, OptionalInt.empty(), OptionalInt.of(6), 8).lanes()).isEqualTo(1);
    assertThat(SpanLanes.choose(options("--span-lanes", "2"), SNAPSHOT, OptionalInt.of(2), OptionalInt.of(6), 1).lanes())
        .isEqualTo(2);
  }

  @Test
  void aRestoreWithAnotherExplicitCountIsRefusedNamingBothCountsAndTheWaysOut() {
    assertThatThrownBy(() -> SpanLanes.choose(options("--span-lanes", "3"), SNAPSHOT, OptionalInt.of(2), OptionalInt.of(6), 8))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--span-lanes 3 cannot resume snapshot /data/checkpoints/abc/chk-7, written by 2 span lanes (a snapshot"
            + " restores only into the lanes that wrote it): pass --span-lanes 2 (or auto) to resume it, or --fresh to start"
            + " over from the consumer group's committed offsets (the snapshot's spans waiting for their other half and its"
            + " open windows are lost)");
    assertThatThrownBy(() -> SpanLanes.choose(options("--span-lanes", "2"), SNAPSHOT, OptionalInt.of(1), OptionalInt.of(6), 8))
        .hasMessageContaining("written by 1 span lane (").hasMessageContaining("pass --span-lanes 1 (or auto)");
    assertThatThrownBy(() -> SpanLanes.choose(options("--parallelism", "2"), SNAPSHOT, OptionalInt.of(2), OptionalInt.of(6), 8))
        .hasMessageStartingWith("--parallelism 2 cannot resume snapshot /data/checkpoints/abc/chk-7, written by 2 span lanes")
        .hasMessageContaining("pass --parallelism 1 to resume it, or --fresh");
  }

  @Test
  void theOperatorIdOfAUidIsTheOneFlinksJobGraphGivesIt() {
    for (String lanes : List.of("1", "2")) {
      JobOptions o = options("--kafka", "127.0.0.1:1", "--span-lanes", lanes, "--metrics-port", "-1");
      StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SwitchyardPipeline.flinkConfiguration(o));
      SwitchyardPipeline.build(env, o);
      Set<OperatorID> ids = StreamSupport.stream(env.getStreamGraph().getJobGraph().getVertices().spliterator(), false)
          .flatMap(v -> v.getOperatorIDs().stream()).map(OperatorIDPair::getGeneratedOperatorID).collect(Collectors.toSet());
      String source = lanes.equals("1") ? "spans-source" : "spans-source-lane-1-of-2";
      String pairing = lanes.equals("1") ? "service-graph" : "service-graph-lane-2-of-2";
      assertThat(ids).contains(SpanLanes.operatorId(source), SpanLanes.operatorId(pairing))
          .doesNotContain(SpanLanes.operatorId(lanes.equals("1") ? "spans-source-lane-1-of-2" : "spans-source"));
    }
  }

  @Test
  void aSavepointOfABuildBeforeLanesWasWrittenByOneLane() throws Exception {
    Path fixture = Path.of(getClass().getClassLoader().getResource("savepoints/service-graph/_metadata").toURI()).getParent();
    assertThat(SpanLanes.ofSnapshot(fixture)).hasValue(1);
    assertThat(SpanLanes.ofSnapshot(fixture.resolve("_metadata"))).hasValue(1);
    assertThat(SpanLanes.ofSnapshot(Path.of(fixture.toUri().toString()))).hasValue(1);
  }

  @Test
  void anUnreadableOrMissingSnapshotHasNoKnownLanes() throws IOException {
    Path broken = Files.createDirectories(dir.resolve("chk-5"));
    Files.write(broken.resolve("_metadata"), "not a flink snapshot".getBytes(StandardCharsets.UTF_8));
    assertThat(SpanLanes.ofSnapshot(broken)).isEmpty();
    assertThat(SpanLanes.ofSnapshot(dir.resolve("nowhere"))).isEmpty();
  }
}
