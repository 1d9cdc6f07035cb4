package io.switchyard.extauthz.authn;

import io.switchyard.extauthz.metrics.ExtAuthzMetrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The remote key sets, shared across policy revisions so that a reload does not refetch every JWKS.
 * Keyed by JWKS URI, or by issuer when keys come from OIDC discovery.
 */
public final class JwksRegistry {
  private final HttpClient http;
  private final Clock clock;
  private final Duration refreshInterval;
  private final Duration minRefreshInterval;
  private final ExtAuthzMetrics metrics;
  private final Map<String, URI> jwksUriByIssuer;
  private final ConcurrentHashMap<String, RemoteJwks> sources = new ConcurrentHashMap<>();

  /**
   * @param refreshInterval age after which keys are refreshed in the background (Istio: 5 minutes)
   * @param minRefreshInterval least time between two fetches of one source (rate limit for unknown kids)
   */
  public JwksRegistry(HttpClient http, Clock clock, Duration refreshInterval, Duration minRefreshInterval, ExtAuthzMetrics metrics) {
    this(http, clock, refreshInterval, minRefreshInterval, metrics, Map.of());
  }

  /** @param jwksUriByIssuer the JWKS URI of these issuers, instead of the one their rules name (or discovery) */
  public JwksRegistry(HttpClient http, Clock clock, Duration refreshInterval, Duration minRefreshInterval, ExtAuthzMetrics metrics,
      Map<String, URI> jwksUriByIssuer) {
    this.jwksUriByIssuer = Map.copyOf(jwksUriByIssuer);
    this.http = http;
    this.clock = clock;
    this.refreshInterval = refreshInterval;
    this.minRefreshInterval = minRefreshInterval;
    this.metrics = metrics;
  }

  JwksSource sourceFor(JwtRule rule) {
    if (rule.inlineJwks() != null) {
      return JwksSource.fixed(rule.inlineJwks());
    }
    URI uri = rule.issuer() == null ? rule.jwksUri() : jwksUriByIssuer.getOrDefault(rule.issuer(), rule.jwksUri());
    String key = uri != null ? "uri:" + uri : "oidc:" + rule.issuer();
    return sources.computeIfAbsent(key, k -> new RemoteJwks(uri, uri == null ? rule.issuer() : null, http, clock,
        rule.timeout(), refreshInterval, minRefreshInterval, metrics));
  }

  /** Starts fetching the keys of every remote rule so that the first requests find them ready. */
  public void prefetch(Iterable<JwtRule> rules) {
    for (JwtRule r : rules) {
      sourceFor(r).keys();
    }
  }
}
