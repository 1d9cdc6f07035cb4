package io.switchyard.ratelimit.limiter;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.switchyard.serverkit.metrics.Metrics;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The reference's per-rule stats under its documented Prometheus names
 * ({@code ratelimit_service_rate_limit_<stat>{domain,key1,key2}}; the Prometheus client appends
 * {@code _total} to counters). {@code key1} is the first level of the stat path, {@code key2} the rest.
 * Distinct label sets are capped, because {@code detailed_metric}, {@code value_to_metric} and Envoy's
 * override limits put request values into stat keys; past the cap, hits are counted under
 * {@code key1="_overflow_"}.
 */
public final class RateLimitStats {
  static final String OVERFLOW = "_overflow_";

  private final Counter totalHits;
  private final Counter overLimit;
  private final Counter nearLimit;
  private final Counter withinLimit;
  private final Counter shadowMode;
  private final Counter overLimitWithLocalCache;
  private final Counter domainNotFound;
  private final Counter globalShadowMode;
  private final Counter backendError;
  private final Counter serviceError;
  private final Counter configLoadSuccess;
  private final Counter configLoadError;
  private final ConcurrentHashMap<String, RuleStats> byKey = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, CounterDataPoint> notFoundByDomain = new ConcurrentHashMap<>();
  private final int maxKeys;

  public RateLimitStats(Metrics metrics, int maxKeys) {
    this.maxKeys = maxKeys;
    String[] labels = {"domain", "key1", "key2"};
    totalHits = metrics.counter("ratelimit_service_rate_limit_total_hits", "Hits seen by a rate limit rule.", labels);
    overLimit = metrics.counter("ratelimit_service_rate_limit_over_limit", "Hits over the rule's limit.", labels);
    nearLimit = metrics.counter("ratelimit_service_rate_limit_near_limit",
        "Hits above the near-limit ratio of the rule's limit.", labels);
    withinLimit = metrics.counter("ratelimit_service_rate_limit_within_limit", "Hits within the rule's limit.", labels);
    shadowMode = metrics.counter("ratelimit_service_rate_limit_shadow_mode",
        "Over-limit hits let through because the rule is in shadow mode.", labels);
    overLimitWithLocalCache = metrics.counter("ratelimit_service_rate_limit_over_limit_with_local_cache",
        "Over-limit hits answered from the local over-limit cache without touching the store.", labels);
    domainNotFound = metrics.counter("ratelimit_service_rate_limit_domain_not_found",
        "Requests for a domain that is not configured.", "domain");
    globalShadowMode = metrics.counter("ratelimit_service_global_shadow_mode",
        "Requests answered OK only because global shadow mode is on.");
    backendError = metrics.counter("ratelimit_service_call_should_rate_limit_backend_error",
        "Counter store failures by storage, reason and the answer given (allow or deny).",
        "storage", "reason", "decision");
    serviceError = metrics.counter("ratelimit_service_call_should_rate_limit_service_error",
        "Requests refused as invalid (INVALID_ARGUMENT) or failed inside the service.", "reason");
    configLoadSuccess = metrics.counter("ratelimit_service_config_load_success", "Successful config loads.");
    configLoadError = metrics.counter("ratelimit_service_config_load_error", "Rejected config loads.");
  }

  /** Counters of one stat path, resolved once and reused. */
  static final class RuleStats {
    final CounterDataPoint totalHits;
    final CounterDataPoint overLimit;
    final CounterDataPoint nearLimit;
    final CounterDataPoint withinLimit;
    final CounterDataPoint shadowMode;
    final CounterDataPoint overLimitWithLocalCache;

    RuleStats(RateLimitStats s, String[] labels) {
      totalHits = s.totalHits.labelValues(labels);
      overLimit = s.overLimit.labelValues(labels);
      nearLimit = s.nearLimit.labelValues(labels);
      withinLimit = s.withinLimit.labelValues(labels);
      shadowMode = s.shadowMode.labelValues(labels);
      overLimitWithLocalCache = s.overLimitWithLocalCache.labelValues(labels);
    }
  }

  RuleStats forKey(String domain, String statsKey) {
    RuleStats r = byKey.get(statsKey);
    if (r != null) {
      return r;
    }
    if (byKey.size() >= maxKeys) {
      return byKey.computeIfAbsent(domain + "." + OVERFLOW,
          k -> new RuleStats(this, new String[] {domain, OVERFLOW, ""}));
    }
    return byKey.computeIfAbsent(statsKey, k -> new RuleStats(this, labels(domain, k)));
  }

  static String[] labels(String domain, String statsKey) {
    String rest = statsKey.length() > domain.length() ? statsKey.substring(domain.length() + 1) : "";
    int dot = rest.indexOf('.');
    return dot < 0 ? new String[] {domain, rest, ""}
        : new String[] {domain, rest.substring(0, dot), rest.substring(dot + 1)};
  }

  void domainNotFound(String domain) {
    CounterDataPoint p = notFoundByDomain.get(domain);
    if (p == null) {
      String label = notFoundByDomain.size() >= maxKeys ? OVERFLOW : domain;
      p = notFoundByDomain.computeIfAbsent(label, d -> domainNotFound.labelValues(d));
    }
    p.inc();
  }

  void globalShadowMode() {
    globalShadowMode.inc();
  }

  void backendError(String storage, String reason, String decision) {
    backendError.labelValues(storage, reason, decision).inc();
  }

  public void serviceError(String reason) {
    serviceError.labelValues(reason).inc();
  }

  public void configLoaded(boolean ok) {
    (ok ? configLoadSuccess : configLoadError).inc();
  }
}
