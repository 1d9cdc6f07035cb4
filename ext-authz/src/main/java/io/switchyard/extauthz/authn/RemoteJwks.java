package io.switchyard.extauthz.authn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.JWKSet;
import io.switchyard.extauthz.metrics.ExtAuthzMetrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A JWKS fetched over HTTP (from {@code jwksUri}, or from the {@code jwks_uri} of the issuer's OIDC
 * discovery document). Keys are refreshed in the background once older than the refresh interval,
 * refetched on an unknown {@code kid} at most once per minimum interval, and kept when a fetch fails
 * so that an issuer outage does not turn into an outage here. One fetch at a time.
 *
 * <p>While no keys were ever fetched, every token of the issuer fails, so a failed fetch is tried again
 * sooner than the minimum interval: after 1 s, then twice as long after each failure up to 10 s (and never
 * later than the minimum interval), as Envoy's jwt_authn retries a failed remote JWKS fetch; e.g. an
 * identity provider that starts after Switchyard, or is briefly down at its start, costs seconds of 401s,
 * not half a minute. Retries are made by the requests that need the keys, not by a timer.
 */
final class RemoteJwks implements JwksSource {
  private static final Logger LOG = LoggerFactory.getLogger(RemoteJwks.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Envoy's jwt_authn: a failed remote JWKS fetch is retried after 1 s, backing off to 10 s. */
  private static final long FIRST_RETRY_WITHOUT_KEYS_MILLIS = 1_000;
  private static final long MAX_RETRY_WITHOUT_KEYS_MILLIS = 10_000;

  private final URI jwksUri;
  private final String discoveryIssuer;
  private final HttpClient http;
  private final Clock clock;
  private final Duration timeout;
  private final Duration refreshInterval;
  private final Duration minRefreshInterval;
  private final ExtAuthzMetrics metrics;

  private volatile JWKSet keys;
  private volatile long fetchedAtMillis;
  private volatile long lastAttemptMillis = Long.MIN_VALUE / 2;
  /** Failed fetches in a row while no keys are held; sets the wait before the next try. */
  private volatile int failuresWithoutKeys;
  private volatile URI resolvedUri;
  private CompletableFuture<JWKSet> inFlight;

  RemoteJwks(URI jwksUri, String discoveryIssuer, HttpClient http, Clock clock, Duration timeout, Duration refreshInterval,
      Duration minRefreshInterval, ExtAuthzMetrics metrics) {
    this.jwksUri = jwksUri;
    this.discoveryIssuer = discoveryIssuer;
    this.http = http;
    this.clock = clock;
    this.timeout = timeout;
    this.refreshInterval = refreshInterval;
    this.minRefreshInterval = minRefreshInterval;
    this.metrics = metrics;
  }

  @Override
  public CompletableFuture<JWKSet> keys() {
    JWKSet k = keys;
    long now = clock.millis();
    if (k == null) {
      if (now - lastAttemptMillis < retryWithoutKeysMillis()) {
        CompletableFuture<JWKSet> running = currentFetch();
        return running != null ? running : CompletableFuture.failedFuture(new JwksUnavailableException("Jwks remote fetch is failed"));
      }
      return fetch();
    }
    if (now - fetchedAtMillis >= refreshInterval.toMillis() && now - lastAttemptMillis >= minRefreshInterval.toMillis()) {
      fetch();
    }
    return CompletableFuture.completedFuture(k);
  }

  @Override
  public CompletableFuture<JWKSet> refreshForUnknownKey() {
    if (clock.millis() - lastAttemptMillis < minRefreshInterval.toMillis()) {
      CompletableFuture<JWKSet> running = currentFetch();
      return running != null ? running : keys();
    }
    return fetch();
  }

  /** How long after a failed fetch the next one may start while no keys are held. */
  private long retryWithoutKeysMillis() {
    int failures = failuresWithoutKeys;
    if (failures == 0) {
      return 0;
    }
    long backoff = Math.min(MAX_RETRY_WITHOUT_KEYS_MILLIS, FIRST_RETRY_WITHOUT_KEYS_MILLIS << Math.min(failures - 1, 10));
    return Math.min(backoff, minRefreshInterval.toMillis());
  }

  private synchronized CompletableFuture<JWKSet> currentFetch() {
    return inFlight;
  }

  /** Starts a fetch unless one runs; the result falls back to the keys held before when it fails. */
  synchronized CompletableFuture<JWKSet> fetch() {
    if (inFlight != null) {
      return inFlight;
    }
    lastAttemptMillis = clock.millis();
    CompletableFuture<URI> uri = jwksUri != null ? CompletableFuture.completedFuture(jwksUri)
        : resolvedUri != null ? CompletableFuture.completedFuture(resolvedUri) : discover();
    CompletableFuture<JWKSet> f = uri.thenCompose(u -> get(u)).thenApply(body -> {
      try {
        JWKSet set = JWKSet.parse(body);
        keys = set;
        failuresWithoutKeys = 0;
        fetchedAtMillis = clock.millis();
        metrics.jwksFetches.labelValues("success").inc();
        return set;
      } catch (java.text.ParseException e) {
        throw new CompletionException(new JwksUnavailableException("JWKS is not valid: " + e.getMessage()));
      }
    }).handle((set, err) -> {
      synchronized (this) {
        inFlight = null;
      }
      if (err == null) {
        return set;
      }
      metrics.jwksFetches.labelValues("failure").inc();
      JWKSet old = keys;
      if (old == null) {
        failuresWithoutKeys++;
      }
      LOG.warn("JWKS fetch for {} failed ({}); {}", describe(), rootMessage(err), old == null ? "no keys yet" : "keeping the previous keys");
      if (old != null) {
        return old;
      }
      throw new CompletionException(new JwksUnavailableException("Jwks remote fetch is failed"));
    });
    if (!f.isDone()) {
      inFlight = f;
    }
    return f;
  }

  private CompletableFuture<URI> discover() {
    String base = discoveryIssuer.endsWith("/") ? discoveryIssuer.substring(0, discoveryIssuer.length() - 1) : discoveryIssuer;
    return get(URI.create(base + "/.well-known/openid-configuration")).thenApply(body -> {
      try {
        JsonNode doc = JSON.readTree(body);
        String u = doc.path("jwks_uri").asText("");
        if (u.isEmpty()) {
          throw new CompletionException(new JwksUnavailableException("OIDC discovery document has no jwks_uri"));
        }
        URI resolved = URI.create(u);
        resolvedUri = resolved;
        return resolved;
      } catch (java.io.IOException | IllegalArgumentException e) {
        throw new CompletionException(new JwksUnavailableException("OIDC discovery document is not valid: " + e.getMessage()));
      }
    });
  }

  private CompletableFuture<String> get(URI uri) {
    HttpRequest req = HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", "application/json").GET().build();
    return http.sendAsync(req, HttpResponse.BodyHandlers.ofString()).thenApply(resp -> {
      if (resp.statusCode() != 200) {
        throw new CompletionException(new JwksUnavailableException(uri + " answered HTTP " + resp.statusCode()));
      }
      return resp.body();
    });
  }

  private String describe() {
    return jwksUri != null ? jwksUri.toString() : "issuer " + discoveryIssuer;
  }

  private static String rootMessage(Throwable t) {
    while (t.getCause() != null && (t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException)) {
      t = t.getCause();
    }
    // The JDK's HTTP client throws a ConnectException without a message for a refused connection.
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getClass().getSimpleName() + ": " + t.getMessage();
  }
}
