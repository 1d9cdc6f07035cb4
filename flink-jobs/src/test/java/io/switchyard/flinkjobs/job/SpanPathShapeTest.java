package io.switchyard.flinkjobs.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.StreamSupport;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamEdge;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.streaming.runtime.partitioner.ForwardPartitioner;
import org.apache.flink.streaming.runtime.partitioner.KeyGroupStreamPartitioner;
import org.junit.jupiter.api.Test;

/**
 * The span path skips the keyed shuffle exactly when one subtask runs it, and keeps what a snapshot
 * of the shuffled shape needs (key selector, key type) either way.
 */
class SpanPathShapeTest {
  private static StreamGraph graph(String parallelism) {
    return graph("--parallelism", parallelism);
  }

  private static StreamGraph graph(String... options) {
    List<String> args = new java.util.ArrayList<>(List.of("--kafka", "127.0.0.1:1", "--metrics-port", "-1"));
    args.addAll(List.of(options));
    JobOptions o = JobOptions.parse(args.toArray(String[]::new));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SwitchyardPipeline.flinkConfiguration(o));
    SwitchyardPipeline.build(env, o);
    return env.getStreamGraph();
  }

  private static StreamNode node(StreamGraph g, String name) {
    return g.getStreamNodes().stream().filter(n -> n.getOperatorName().equals(name)).findFirst().orElseThrow();
  }

  private static StreamEdge intoPairing(StreamGraph g) {
    List<StreamEdge> in = node(g, "service-graph").getInEdges();
    assertThat(in).hasSize(1);
    return in.get(0);
  }

  @Test
  void inOneSubtaskThePairingTakesTheBatchesAsTheyAreAndRunsChainedBehindTheSource() {
    StreamGraph g = graph("1");
    StreamEdge edge = intoPairing(g);
    assertThat(edge.getPartitioner()).isInstanceOf(ForwardPartitioner.class);
    // Still keyed by the trace id, with the same key type keyBy declares: state and snapshots are unchanged.
    assertThat(node(g, "service-graph").getStatePartitioners()).hasSize(1);
    assertThat(node(g, "service-graph").getStateKeySerializer().createInstance()).isInstanceOf(String.class);

    JobGraph job = g.getJobGraph();
    JobVertex spans = StreamSupport.stream(job.getVertices().spliterator(), false)
        .filter(v -> v.getName().startsWith("Source: spans")).findFirst().orElseThrow();
    assertThat(spans.getName()).contains("span-batches", "service-graph", "cardinality-limit", "edge-timestamps",
        "edge-partials", "service-partials");
  }

  private static StreamNode byUid(StreamGraph g, String uid) {
    return g.getStreamNodes().stream().filter(n -> uid.equals(n.getTransformationUID())).findFirst().orElseThrow();
  }

  @Test
  void eachSpanLaneRunsItsWholeSpanPathAsOneChainOfItsOwnWithUidsNamingTheLaneCount() {
    StreamGraph g = graph("--span-lanes", "3");
    for (int lane = 1; lane <= 3; lane++) {
      String suffix = "-lane-" + lane + "-of-3";
      String prefix = "lane-" + lane + "-of-3-";
      StreamNode source = byUid(g, "spans-source" + suffix);
      StreamNode pairing = byUid(g, "service-graph" + suffix);
      assertThat(pairing.getInEdges()).singleElement().satisfies(e -> {
        assertThat(e.getPartitioner()).isInstanceOf(ForwardPartitioner.class);
        assertThat(g.getStreamNode(e.getSourceId()).getTransformationUID()).isEqualTo("span-batches" + suffix);
      });
      assertThat(pairing.getStateKeySerializer().createInstance()).isInstanceOf(String.class);
      // Same names in every lane: metrics and alerts that select an operator by name see all lanes.
      assertThat(source.getOperatorName()).isEqualTo("Source: spans");
      assertThat(pairing.getOperatorName()).isEqualTo("service-graph");
      assertThat(byUid(g, prefix + "cardinality-limit").getOperatorName()).isEqualTo("cardinality-limit");
      StreamNode timestamps = byUid(g, prefix + "edge-timestamps");
      assertThat(timestamps.getOperatorName()).isEqualTo("edge-timestamps");
      assertThat(byUid(g, prefix + "edge-partials").getOperatorName()).isEqualTo("edge-partials");
      assertThat(byUid(g, prefix + "service-partials").getOperatorName()).isEqualTo("service-partials");
      // One chain from the source to the pre-aggregation: no network hop inside a lane.
      for (String uid : List.of("span-batches" + suffix, "service-graph" + suffix, prefix + "cardinality-limit",
          prefix + "edge-timestamps", prefix + "edge-partials", prefix + "service-partials")) {
        assertThat(byUid(g, uid).getInEdges()).allSatisfy(e -> assertThat(e.getPartitioner()).isInstanceOf(ForwardPartitioner.class));
      }
    }
    JobGraph job = g.getJobGraph();
    assertThat(StreamSupport.stream(job.getVertices().spliterator(), false)
        .filter(v -> v.getName().startsWith("Source: spans")).toList()).hasSize(3)
        .allSatisfy(v -> assertThat(v.getName()).contains("span-batches", "service-graph", "cardinality-limit",
            "edge-timestamps", "edge-partials", "service-partials"));
    // No lane keeps the one-lane uids: a one-lane snapshot must not restore into a lane that reads fewer partitions.
    assertThat(g.getStreamNodes()).noneMatch(n -> List.of("spans-source", "span-batches", "service-graph", "cardinality-limit",
        "edge-timestamps", "edge-partials", "service-partials").contains(n.getTransformationUID()));
    assertThat(node(g, "edge-windows").getInEdges()).hasSize(4); // three lanes and the access logs
  }

  @Test
  void spanLanesAreRefusedWhereSubtasksShuffleSpans() {
    JobOptions o = JobOptions.parse(new String[] {"--kafka", "127.0.0.1:1", "--metrics-port", "-1", "--span-lanes", "2"});
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SwitchyardPipeline.clusterConfiguration(o));
    env.setParallelism(4); // as flink run -p 4 gives it
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> SwitchyardPipeline.build(env, o))
        .hasMessageContaining("--span-lanes 2 applies at parallelism 1 only, not 4");
  }

  @Test
  void inMoreSubtasksTheSpansAreShuffledByTraceId() {
    StreamGraph g = graph("2");
    assertThat(intoPairing(g).getPartitioner()).isInstanceOf(KeyGroupStreamPartitioner.class);
    assertThat(node(g, "service-graph").getStateKeySerializer().createInstance()).isInstanceOf(String.class);
  }
}
