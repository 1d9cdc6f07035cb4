package io.switchyard.flinkjobs.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.model.Topics;
import io.switchyard.testing.SharedKafka;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class LocalRestoreIT {
  @RegisterExtension static final SharedKafka kafka = new SharedKafka();

  @Test
  void aGroupThatReadOnlyAccessLogsHasReadThisBrokersInputsAndIsNotWarnedAbout() throws Exception {
    // A mesh that sends access logs and no spans: the job commits offsets for the access-log topic only, and the
    // restore check used to look at the span topic alone, warning at every restart that the snapshot came from
    // another broker.
    String prefix = kafka.uniquePrefix();
    kafka.createTopics(prefix);
    String spans = prefix + Topics.SPANS.name();
    String accessLogs = prefix + Topics.ACCESS_LOGS.name();
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      admin.alterConsumerGroupOffsets("als-only", Map.of(new TopicPartition(accessLogs, 0), new OffsetAndMetadata(0))).all().get();
    }
    assertThat(LocalRestore.groupHasNoOffsetsFor(kafka.bootstrapServers(), "als-only", List.of(spans, accessLogs),
        LocalRestore.OFFSETS_CHECK_TIMEOUT)).isFalse();
    assertThat(LocalRestore.groupHasNoOffsetsFor(kafka.bootstrapServers(), "never-read-here", List.of(spans, accessLogs),
        LocalRestore.OFFSETS_CHECK_TIMEOUT)).isTrue();
  }
}
