package io.switchyard.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class TopicsTest {

  @Test
  void catalogueNamesAreUniqueAndPrefixed() {
    assertThat(Topics.all()).extracting(TopicSpec::name).doesNotHaveDuplicates().allMatch(n -> n.startsWith("switchyard."));
    assertThat(Topics.all("prod.")).extracting(TopicSpec::name).allMatch(n -> n.startsWith("prod.switchyard."));
  }

  @Test
  void compactedTopicsCarryNoRetention() {
    assertThat(Topics.SLO_STATUS.kafkaConfigs()).containsEntry("cleanup.policy", "compact").doesNotContainKey("retention.ms");
    assertThat(Topics.SPANS.kafkaConfigs()).containsEntry("retention.ms", Long.toString(Duration.ofHours(6).toMillis()));
  }

  @Test
  void everyTopicTakesBatchesAsLargeAsIngestSends() {
    assertThat(Topics.all()).allSatisfy(t ->
        assertThat(t.kafkaConfigs()).containsEntry("max.message.bytes", Integer.toString(Topics.MAX_MESSAGE_BYTES)));
  }

  @Test
  void deleteTopicWithoutRetentionIsRejected() {
    assertThatThrownBy(() -> new TopicSpec("x", 1, TopicSpec.CleanupPolicy.DELETE, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("retention");
  }
}
