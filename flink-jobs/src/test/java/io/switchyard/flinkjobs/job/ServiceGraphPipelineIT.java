package io.switchyard.flinkjobs.job;

import io.switchyard.testing.SharedKafka;
import java.nio.file.Path;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** OTLP-shaped fixture traces and access logs in, shuffled and partly duplicated; exact edges out. */
class ServiceGraphPipelineIT {
  @RegisterExtension static final SharedKafka kafka = new SharedKafka();

  @TempDir Path dataDir;

  @Test
  void fixtureTracesInShuffledAndDuplicatedGiveExactEdgesAndServices() throws Exception {
    String prefix = kafka.uniquePrefix();
    kafka.createTopics(prefix);
    GraphFixture.produce(kafka, GraphFixture.records(prefix));

    JobOptions o = JobOptions.parse(new String[] {"--kafka", kafka.bootstrapServers(), "--topic-prefix", prefix,
        "--data-dir", dataDir.toString(), "--metrics-port", "-1", "--bounded", "--checkpoint-interval", "1s", "--restart-attempts", "0",
        "--group-id", "it-graph"});
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SwitchyardPipeline.flinkConfiguration(o));
    SwitchyardPipeline.build(env, o);
    env.execute("service-graph-it");

    GraphFixture.assertExactAggregates(kafka, prefix);
  }
}
