package io.switchyard.launcher.cli;

import io.switchyard.extauthz.ExtAuthzConfig;
import io.switchyard.extauthz.decision.CacheSettings;
import io.switchyard.extauthz.policy.TrustDomains;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The ext-authz settings worth tuning per deployment (cache, decision log, the mesh's trust domains), shared by {@code switchyard ext-authz} and
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

  @Option(names = {"--trust-domain", "--ext-authz-trust-domain"}, paramLabel = "TD",
      description = "The mesh trust domain (Istio meshConfig trustDomain); 'cluster.local' in principals stands for it (default: ${DEFAULT-VALUE}).")
  String trustDomain = TrustDomains.CLUSTER_LOCAL;

  @Option(names = {"--trust-domain-alias", "--ext-authz-trust-domain-alias"}, paramLabel = "TD", split = ",",
      description = "Other trust domains treated as this one (Istio trustDomainAliases): principals in any of them are widened to all.")
  List<String> trustDomainAliases = List.of();

  /** The trust domains from the two options, a bad value rejected naming them; the offline check uses it too. */
  static TrustDomains trustDomains(String trustDomain, List<String> aliases) {
    try {
      return TrustDomains.of(trustDomain, aliases);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--trust-domain/--trust-domain-alias: " + e.getMessage(), e);
    }
  }

  boolean decisionLog() {
    return !noDecisionLog;
  }

  /** {@code config} with these cache, decision-log and trust-domain settings (sink and topic unchanged). */
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
    return config.withCache(new CacheSettings(cacheSize, Duration.ofSeconds(cacheTtlSeconds))).withTrustDomains(trustDomains(trustDomain, trustDomainAliases))
        .withDecisionLog(!noDecisionLog, config.kafkaBootstrap(), config.decisionTopic(), queue, config.redactedHeaders());
  }
}
