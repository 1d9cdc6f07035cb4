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

  /** Topic-level configs to create this topic with. */
  public Map<String, String> kafkaConfigs() {
    String maxMessageBytes = Integer.toString(Topics.MAX_MESSAGE_BYTES);
    return cleanupPolicy == CleanupPolicy.COMPACT
        ? Map.of("cleanup.policy", "compact", "max.message.bytes", maxMessageBytes)
        : Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(retention.toMillis()),
            "max.message.bytes", maxMessageBytes);
  }

  /** The same topic under a deployment prefix ("" leaves the name as is). */
  public TopicSpec withPrefix(String prefix) {
    return prefix == null || prefix.isEmpty() ? this : new TopicSpec(prefix + name, partitions, cleanupPolicy, retention);
  }
}
