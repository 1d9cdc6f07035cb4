package io.switchyard.topology.materialise;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How to reach the aggregate topics and how long to keep what was read.
 *
 * @param retention age after which aggregate windows are removed from the store; zero keeps everything
 */
public record MaterialiserOptions(
    String bootstrapServers,
    String topicPrefix,
    String clientId,
    Duration retention,
    Duration retentionSweepEvery,
    Map<String, Object> extraConsumerProperties) {

  public MaterialiserOptions {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    topicPrefix = topicPrefix == null ? "" : topicPrefix;
    clientId = clientId == null ? "switchyard-topology-api" : clientId;
    retention = retention == null ? Duration.ofDays(3) : retention;
    retentionSweepEvery = retentionSweepEvery == null ? Duration.ofMinutes(1) : retentionSweepEvery;
    extraConsumerProperties = extraConsumerProperties == null ? Map.of() : Map.copyOf(extraConsumerProperties);
    if (retention.isNegative()) {
      throw new IllegalArgumentException("retention must not be negative: " + retention);
    }
  }

  public static MaterialiserOptions of(String bootstrapServers, String topicPrefix) {
    return new MaterialiserOptions(bootstrapServers, topicPrefix, null, null, null, null);
  }
}
