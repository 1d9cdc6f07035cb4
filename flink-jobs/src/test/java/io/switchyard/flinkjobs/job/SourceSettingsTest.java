package io.switchyard.flinkjobs.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.flinkjobs.serde.RawSpanDeserializer;
import java.lang.reflect.Method;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.junit.jupiter.api.Test;

/** What the job's Kafka sources hand their consumers. */
class SourceSettingsTest {
  /** The settings the source's split readers create their consumers with (the connector keeps them package-private). */
  private static Map<String, String> consumerSettings(KafkaSource<?> source) throws Exception {
    Method m = KafkaSource.class.getDeclaredMethod("getConfiguration");
    m.setAccessible(true);
    return ((Configuration) m.invoke(source)).toMap();
  }

  @Test
  void consumerPropertiesReachTheSourceBesideTheJobsOwnSettings() throws Exception {
    JobOptions o = JobOptions.parse(new String[] {"--kafka", "127.0.0.1:1", "--group-id", "g", "--consumer-property",
        "max.poll.records=3000", "--consumer-property", "receive.buffer.bytes=-1"});
    Map<String, String> c = consumerSettings(SwitchyardPipeline.source(o, "spans", new RawSpanDeserializer(), "spans"));
    assertThat(c).containsEntry("max.poll.records", "3000").containsEntry("receive.buffer.bytes", "-1")
        .containsEntry("isolation.level", "read_committed").containsEntry("group.id", "g")
        .containsEntry("client.id.prefix", "g-spans");
  }

  @Test
  void withoutThemTheConsumerKeepsKafkasDefaultsButPollsTwoThousandRecords() throws Exception {
    JobOptions o = JobOptions.parse(new String[] {"--kafka", "127.0.0.1:1"});
    assertThat(consumerSettings(SwitchyardPipeline.source(o, "spans", new RawSpanDeserializer(), "spans")))
        .containsEntry("max.poll.records", "2000")
        .doesNotContainKeys("receive.buffer.bytes", "fetch.min.bytes", "max.partition.fetch.bytes");
  }
}
