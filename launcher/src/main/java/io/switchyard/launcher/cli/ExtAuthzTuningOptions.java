package io.switchyard.launcher.cli;

import io.switchyard.extauthz.ExtAuthzConfig;
import io.switchyard.extauthz.decision.CacheSettings;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The ext-authz settings worth tuning per deployment, shared by {@code switchyard ext-authz} and
 * {@code switchyard up}; the {@code --ext-authz-…} names read better among up's other services.
 */
public final class ExtAuthzTuningOptions {
  @Option(names = {"--cache-size", "--ext-authz-cache-size"}, paramLabel = "N",
      description = "ext-authz decision cache entries; 0 disables the cache (default: ${DEFAULT-VALUE}).")
  long cacheSize = CacheSettings.defaults().maxEntries();

  @Option(names = {"--cache-ttl", "--ext-authz-cache-ttl"}, paramLabel = "SECONDS",
      description = "Longest life of a cached ext-authz decision, never beyond the token's exp (default: ${DEFAULT-VALUE}).")
  long cacheTtlSeconds = CacheSettings.defaults().ttl().toSeconds();

  @Option(names = {"--no-decision-log", "--ext-authz-no-decision-log"}, description = "Do not write ext-authz decision records.")
  boolean noDecisionLog;

  @Option(names = {"--decision-log-queue", "--ext-authz-decision-log-queue"}, paramLabel = "N",
      description = "Decision records buffered before new ones are dropped (default: ${DEFAULT-VALUE}).")
  int queue = 10_000;

  boolean decisionLog() {
    return !noDecisionLog;
  }

  /** {@code config} with these cache and decision-log settings (sink and topic unchanged). */
  public ExtAuthzConfig applyTo(ExtAuthzConfig config) {
    if (cacheSize < 0) {
      throw new IllegalArgumentException("--cache-size must be 0 or more, was " + cacheSize);
    }
    if (cacheTtlSeconds < 0) {
      throw new IllegalArgumentException("--cache-ttl must be 0 or more seconds, was " + cacheTtlSeconds);
    }
    if (queue < 1) {
      throw new IllegalArgumentException("--decision-log-queue must be at least 1, was " + queue);
    }
    return config.withCache(new CacheSettings(cacheSize, Duration.ofSeconds(cacheTtlSeconds)))
        .withDecisionLog(!noDecisionLog, config.kafkaBootstrap(), config.decisionTopic(), queue, config.redactedHeaders());
  }
}
