package io.switchyard.model;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * One Kafka topic of Switchyard: its name (without deployment prefix), partition count, cleanup
 * policy and retention. The configs map is what topic creation passes to Kafka.
 */
public record TopicSpec(String name, int partitions, CleanupPolicy cleanupPolicy, Duration retention) {

  public enum CleanupPolicy {
    DELETE("delete"),
    COMPACT("compact");

    private final String kafkaName;

    CleanupPolicy(String kafkaName) {
      this.kafkaName = kafkaName;
    }

    public String kafkaName() {
      return kafkaName;
    }
  }

  public TopicSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(cleanupPolicy, "cleanupPolicy");
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1: " + partitions);
    }
    if (cleanupPolicy == CleanupPolicy.DELETE && (retention == null || retention.isNegative() || retention.isZero())) {
      throw new IllegalArgumentException("a delete topic needs a positive retention: " + name);
    }
  }

  /**
   * How often a compacted topic's segment rolls: the segment being written is never compacted, so a reader starting
   * from the beginning reads at most about this much of superseded values on top of the compacted rest.
   */
  public static final Duration COMPACT_SEGMENT_AGE = Duration.ofHours(1);

  /** Topic-level configs to create this topic with. */
  public Map<String, String> kafkaConfigs() {
    String maxMessageBytes = Integer.toString(Topics.MAX_MESSAGE_BYTES);
    return cleanupPolicy == CleanupPolicy.COMPACT
        ? Map.of("cleanup.policy", "compact", "max.message.bytes", maxMessageBytes,
            "segment.ms", Long.toString(COMPACT_SEGMENT_AGE.toMillis()))
        : Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(retention.toMillis()),
            "max.message.bytes", maxMessageBytes, "segment.ms", Long.toString(segmentAge().toMillis()));
  }

  /**
   * A delete topic's segment rolls after a twelfth of its retention: Kafka deletes whole segments only, and never the
   * one being written, which by default rolls only at 1 GiB or after 7 days (segment.ms). At a few MB an hour per
   * partition a 6-hour topic then kept days of records; now a record is gone at most 13/12 of the retention after
   * it was written (plus the broker's 5-minute retention check).
   */
  public Duration segmentAge() {
    return retention == null ? COMPACT_SEGMENT_AGE : retention.dividedBy(12);
  }

  /** The same topic under a deployment prefix ("" leaves the name as is). */
  public TopicSpec withPrefix(String prefix) {
    return prefix == null || prefix.isEmpty() ? this : new TopicSpec(prefix + name, partitions, cleanupPolicy, retention);
  }
}
