package io.switchyard.extauthz;

import io.switchyard.extauthz.config.PolicyLoader;
import io.switchyard.extauthz.decision.CacheSettings;
import io.switchyard.extauthz.log.DecisionLogger;
import io.switchyard.extauthz.policy.TrustDomains;
import io.switchyard.extauthz.request.PathNormalizer;
import io.switchyard.model.DefaultPorts;
import io.switchyard.model.Topics;
import io.switchyard.serverkit.tls.TlsOptions;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Everything {@link ExtAuthzServer} needs, validated once. Start from {@link #defaults(Path)} and
 * change what differs with the {@code with…} methods.
 *
 * @param kafkaBootstrap decision records go to Kafka when set, else to JSON log lines
 * @param jwksUriByIssuer where the keys of a JWT issuer are fetched from instead of the policies'
 *     {@code jwksUri} (the demo's identity provider, served on whatever port the demo was given)
 */
public record ExtAuthzConfig(String host, int port, TlsOptions tls, Path policyDir, String rootNamespace,
    PathNormalizer.Mode normalization, int numTrustedProxies, String jwtPayloadKey, CacheSettings cache, Duration checkDeadline,
    boolean namePolicyInDenial, boolean principalHeader, Duration jwksRefresh, Duration jwksMinRefresh, Duration reloadPoll,
    String kafkaBootstrap, String decisionTopic, int decisionQueue, Set<String> redactedHeaders, boolean decisionLog,
    TrustDomains trustDomains, Map<String, URI> jwksUriByIssuer) {

  public ExtAuthzConfig {
    Objects.requireNonNull(policyDir, "policyDir");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0..65535, got " + port);
    }
    if (numTrustedProxies < 0) {
      throw new IllegalArgumentException("numTrustedProxies must be >= 0");
    }
    if (checkDeadline.isNegative() || checkDeadline.isZero()) {
      throw new IllegalArgumentException("checkDeadline must be positive");
    }
    if (decisionQueue <= 0) {
      throw new IllegalArgumentException("decisionQueue must be positive");
    }
    redactedHeaders = Set.copyOf(redactedHeaders);
    Objects.requireNonNull(trustDomains, "trustDomains");
    jwksUriByIssuer = Map.copyOf(jwksUriByIssuer);
  }

  public static ExtAuthzConfig defaults(Path policyDir) {
    return new ExtAuthzConfig("0.0.0.0", DefaultPorts.EXT_AUTHZ_GRPC, null, policyDir, PolicyLoader.DEFAULT_ROOT_NAMESPACE,
        PathNormalizer.Mode.BASE, 0, "payload", CacheSettings.defaults(), Duration.ofMillis(150), false, true,
        Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ofSeconds(2), null, Topics.AUTHZ_DECISIONS.name(), 10_000,
        DecisionLogger.DEFAULT_REDACTED, true, TrustDomains.DEFAULT, Map.of());
  }

  public ExtAuthzConfig withListener(String host, int port, TlsOptions tls) {
    return new ExtAuthzConfig(host, port, tls, policyDir, rootNamespace, normalization, numTrustedProxies, jwtPayloadKey, cache,
        checkDeadline, namePolicyInDenial, principalHeader, jwksRefresh, jwksMinRefresh, reloadPoll, kafkaBootstrap, decisionTopic,
        decisionQueue, redactedHeaders, decisionLog, trustDomains, jwksUriByIssuer);
  }

  public ExtAuthzConfig withCache(CacheSettings cache) {
    return new ExtAuthzConfig(host, port, tls, policyDir, rootNamespace, normalization, numTrustedProxies, jwtPayloadKey, cache,
        checkDeadline, namePolicyInDenial, principalHeader, jwksRefresh, jwksMinRefresh, reloadPoll, kafkaBootstrap, decisionTopic,
        decisionQueue, redactedHeaders, decisionLog, trustDomains, jwksUriByIssuer);
  }

  public ExtAuthzConfig withDecisionLog(boolean enabled, String kafkaBootstrap, String decisionTopic, int queue, Set<String> redacted) {
    return new ExtAuthzConfig(host, port, tls, policyDir, rootNamespace, normalization, numTrustedProxies, jwtPayloadKey, cache,
        checkDeadline, namePolicyInDenial, principalHeader, jwksRefresh, jwksMinRefresh, reloadPoll, kafkaBootstrap, decisionTopic,
        queue, redacted, enabled, trustDomains, jwksUriByIssuer);
  }

  public ExtAuthzConfig withPolicyOptions(String rootNamespace, PathNormalizer.Mode normalization, int numTrustedProxies,
      String jwtPayloadKey, boolean namePolicyInDenial, boolean principalHeader) {
    return new ExtAuthzConfig(host, port, tls, policyDir, rootNamespace, normalization, numTrustedProxies, jwtPayloadKey, cache,
        checkDeadline, namePolicyInDenial, principalHeader, jwksRefresh, jwksMinRefresh, reloadPoll, kafkaBootstrap, decisionTopic,
        decisionQueue, redactedHeaders, decisionLog, trustDomains, jwksUriByIssuer);
  }

  public ExtAuthzConfig withTimings(Duration checkDeadline, Duration jwksRefresh, Duration jwksMinRefresh, Duration reloadPoll) {
    return new ExtAuthzConfig(host, port, tls, policyDir, rootNamespace, normalization, numTrustedProxies, jwtPayloadKey, cache,
        checkDeadline, namePolicyInDenial, principalHeader, jwksRefresh, jwksMinRefresh, reloadPoll, kafkaBootstrap, decisionTopic,
        decisionQueue, redactedHeaders, decisionLog, trustDomains, jwksUriByIssuer);
  }

  /** The mesh trust domain and aliases that {@code principals} values are widened to (Istio's trust-domain migration). */
  public ExtAuthzConfig withTrustDomains(TrustDomains trustDomains) {
    return new ExtAuthzConfig(host, port, tls, policyDir, rootNamespace, normalization, numTrustedProxies, jwtPayloadKey, cache,
        checkDeadline, namePolicyInDenial, principalHeader, jwksRefresh, jwksMinRefresh, reloadPoll, kafkaBootstrap, decisionTopic,
        decisionQueue, redactedHeaders, decisionLog, trustDomains, jwksUriByIssuer);
  }

  /** Fetches {@code issuer}'s keys from {@code jwksUri}, whatever URI the policies name for it. */
  public ExtAuthzConfig withJwksUri(String issuer, URI jwksUri) {
    Map<String, URI> uris = new HashMap<>(jwksUriByIssuer);
    uris.put(issuer, jwksUri);
    return new ExtAuthzConfig(host, port, tls, policyDir, rootNamespace, normalization, numTrustedProxies, jwtPayloadKey, cache,
        checkDeadline, namePolicyInDenial, principalHeader, jwksRefresh, jwksMinRefresh, reloadPoll, kafkaBootstrap, decisionTopic,
        decisionQueue, redactedHeaders, decisionLog, trustDomains, uris);
  }
}
