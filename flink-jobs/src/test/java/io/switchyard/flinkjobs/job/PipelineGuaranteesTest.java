package io.switchyard.flinkjobs.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Field;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.streaming.runtime.operators.sink.SinkWriterOperatorFactory;
import org.junit.jupiter.api.Test;

/**
 * What keeps the job exactly-once and its snapshots restorable, read off the graph the job really builds
 * (docs/flink-jobs.md, "State, checkpoints, upgrades"): transactional sinks, a uid on every operator and the
 * documented uids on the stateful ones, and no silent Kryo fallback.
 */
class PipelineGuaranteesTest {
  private static StreamGraph graph(String... options) {
    JobOptions o = JobOptions.parse(options);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SwitchyardPipeline.flinkConfiguration(o));
    SwitchyardPipeline.build(env, o);
    return env.getStreamGraph();
  }

  private static Object field(Object target, String name) throws ReflectiveOperationException {
    Field f = KafkaSink.class.getDeclaredField(name);
    f.setAccessible(true);
    return f.get(target);
  }

  /** "delivery guarantee, transactional id prefix, transaction.timeout.ms" of each sink the job writes with, by uid. */
  private static Map<String, String> sinks(StreamGraph g) throws ReflectiveOperationException {
    Map<String, String> sinks = new TreeMap<>();
    for (StreamNode n : g.getStreamNodes()) {
      if (n.getOperatorFactory() instanceof SinkWriterOperatorFactory<?, ?> writer) {
        assertThat(writer.getSink()).as(n.getOperatorName()).isInstanceOf(KafkaSink.class);
        Properties producer = (Properties) field(writer.getSink(), "kafkaProducerConfig");
        sinks.put(n.getTransformationUID(), ((DeliveryGuarantee) field(writer.getSink(), "deliveryGuarantee")).name() + " "
            + field(writer.getSink(), "transactionalIdPrefix") + " " + producer.getProperty("transaction.timeout.ms"));
      }
    }
    return sinks;
  }

  @Test
  void everySinkWritesInKafkaTransactionsOfItsOwnWithTheTransactionTimeoutOption() throws Exception {
    StreamGraph g = graph("--kafka", "127.0.0.1:1", "--metrics-port", "-1", "--group-id", "g", "--topic-prefix", "t1.",
        "--transaction-timeout", "7m");
    // Transactional writes committed at checkpoints, so a read_committed reader never sees a failed attempt's output;
    // 7 min = 420,000 ms; each sink's transactional ids are its own (group, prefix and topic), so two jobs or two
    // sinks never fence each other's producers.
    assertThat(sinks(g)).containsExactlyInAnyOrderEntriesOf(Map.of(
        "edges-sink", "EXACTLY_ONCE g-t1.edges 420000",
        "services-sink", "EXACTLY_ONCE g-t1.services 420000",
        "slo-status-sink", "EXACTLY_ONCE g-t1.slo-status 420000",
        "slo-alerts-sink", "EXACTLY_ONCE g-t1.slo-alerts 420000"));
  }

  @Test
  void theDefaultTransactionTimeoutIsWithinTheBrokersDefaultMaximum() throws Exception {
    // 10 min = 600,000 ms, under Kafka's default transaction.max.timeout.ms of 15 min (the embedded broker's too).
    assertThat(sinks(graph("--kafka", "127.0.0.1:1", "--metrics-port", "-1")).values()).hasSize(4)
        .allSatisfy(v -> assertThat(v).endsWith(" 600000"));
  }

  @Test
  void everyOperatorHasAUidAndTheStatefulOnesKeepTheDocumentedUids() {
    StreamGraph g = graph("--kafka", "127.0.0.1:1", "--metrics-port", "-1");
    assertThat(g.getStreamNodes()).allSatisfy(n -> assertThat(n.getTransformationUID()).as(n.getOperatorName()).isNotBlank());
    Map<String, String> nameByUid = g.getStreamNodes().stream()
        .collect(Collectors.toMap(StreamNode::getTransformationUID, StreamNode::getOperatorName));
    // The uids a snapshot's state belongs to (docs/flink-jobs.md, "Stable uids"): renaming one loses its state or,
    // since the job refuses unclaimed state, fails the restore. Each on the operator it names.
    assertThat(nameByUid).containsAllEntriesOf(Map.ofEntries(
        Map.entry("spans-source", "Source: spans"),
        Map.entry("service-graph", "service-graph"),
        Map.entry("access-logs-source", "Source: access-logs"),
        Map.entry("access-log-pairing", "access-log-pairing"),
        Map.entry("cardinality-limit", "cardinality-limit"),
        Map.entry("mesh-cardinality-limit", "mesh-cardinality-limit"),
        // The pre-aggregators' restored watermark (operator state "forwarded-watermark", session 14).
        Map.entry("edge-partials", "edge-partials"),
        Map.entry("service-partials", "service-partials"),
        Map.entry("mesh-edge-partials", "mesh-edge-partials"),
        Map.entry("mesh-service-partials", "mesh-service-partials"),
        Map.entry("edge-windows", "edge-windows"),
        Map.entry("service-windows", "service-windows"),
        Map.entry("slo-definitions-source", "Source: slo-definitions"),
        Map.entry("slo-evaluation", "slo-evaluation"),
        Map.entry("edges-sink", "edges-sink: Writer"),
        Map.entry("services-sink", "services-sink: Writer"),
        Map.entry("slo-status-sink", "slo-status-sink: Writer"),
        Map.entry("slo-alerts-sink", "slo-alerts-sink: Writer")));
    // Keyed state lives in exactly these five: a new keyed operator needs a uid of its own and a line in the docs.
    assertThat(g.getStreamNodes().stream().filter(n -> n.getStateKeySerializer() != null).map(StreamNode::getTransformationUID))
        .containsExactlyInAnyOrder("service-graph", "access-log-pairing", "edge-windows", "service-windows", "slo-evaluation");
  }

  @Test
  void theJobsConfigurationRefusesATypeThatWouldFallBackToKryo() {
    JobOptions o = JobOptions.parse(new String[] {"--kafka", "127.0.0.1:1", "--metrics-port", "-1"});
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SwitchyardPipeline.flinkConfiguration(o));
    // UUID is no POJO (no default constructor): without the job's settings Flink would serialize it with Kryo.
    env.fromData(1, 2).map(i -> new UUID(i, i)).returns(TypeInformation.of(UUID.class)).sinkTo(new DiscardingSink<>());
    assertThatThrownBy(env::getStreamGraph).isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("Generic types have been disabled").hasMessageContaining("java.util.UUID");
  }
}
