package io.switchyard.flinkjobs.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.model.Topics;
import io.switchyard.testing.SharedKafka;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** OTLP-shaped fixture traces and access logs in, shuffled and partly duplicated; exact edges out. */
class ServiceGraphPipelineIT {
  @RegisterExtension static final SharedKafka kafka = new SharedKafka();

  @TempDir Path dataDir;

  /** In one span lane, and in three that each pair the traces of their own partitions: the same exact results. */
  @ParameterizedTest(name = "span lanes {0}")
  @ValueSource(strings = {"1", "3"})
  void fixtureTracesInShuffledAndDuplicatedGiveExactEdgesAndServices(String lanes) throws Exception {
    String prefix = kafka.uniquePrefix();
    kafka.createTopics(prefix);
    List<ProducerRecord<byte[], byte[]>> records = GraphFixture.records(prefix);
    // The three lanes' test is only one if the fixture's traces land in partitions of different lanes.
    int partitions = Topics.SPANS.partitions();
    assertThat(records.stream().filter(r -> r.topic().endsWith(Topics.SPANS.name()))
        .map(r -> Utils.toPositive(Utils.murmur2(r.key())) % partitions % 3).distinct()).hasSize(3);
    GraphFixture.produce(kafka, records);

    JobOptions o = JobOptions.parse(new String[] {"--kafka", kafka.bootstrapServers(), "--topic-prefix", prefix,
        "--data-dir", dataDir.toString(), "--metrics-port", "-1", "--bounded", "--checkpoint-interval", "1s", "--restart-attempts", "0",
        "--group-id", "it-graph", "--span-lanes", lanes});
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SwitchyardPipeline.flinkConfiguration(o));
    SwitchyardPipeline.build(env, o);
    env.execute("service-graph-it");

    GraphFixture.assertExactAggregates(kafka, prefix);
  }
}
