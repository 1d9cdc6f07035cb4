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

  /**
   * Kafka deletes and compacts whole segments only, never the one being written, which rolls at 1 GiB or after
   * 7 days by default: at a few MB an hour per partition a 6-hour topic kept days of records.
   */
  @Test
  void segmentsRollOftenEnoughForRetentionAndCompactionToApply() {
    assertThat(Topics.all()).allSatisfy(t -> {
      long segmentMs = Long.parseLong(t.kafkaConfigs().get("segment.ms"));
      if (t.cleanupPolicy() == TopicSpec.CleanupPolicy.DELETE) {
        assertThat(segmentMs).isEqualTo(t.retention().toMillis() / 12);
      } else {
        assertThat(segmentMs).isEqualTo(Duration.ofHours(1).toMillis());
      }
    });
    assertThat(Topics.SPANS.kafkaConfigs()).containsEntry("segment.ms", Long.toString(Duration.ofMinutes(30).toMillis()));
  }

  @Test
  void deleteTopicWithoutRetentionIsRejected() {
    assertThatThrownBy(() -> new TopicSpec("x", 1, TopicSpec.CleanupPolicy.DELETE, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("retention");
  }
}
