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
    JobOptions o = JobOptions.parse(new String[] {"--kafka", "127.0.0.1:1", "--parallelism", parallelism, "--metrics-port", "-1"});
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

  @Test
  void inMoreSubtasksTheSpansAreShuffledByTraceId() {
    StreamGraph g = graph("2");
    assertThat(intoPairing(g).getPartitioner()).isInstanceOf(KeyGroupStreamPartitioner.class);
    assertThat(node(g, "service-graph").getStateKeySerializer().createInstance()).isInstanceOf(String.class);
  }
}
