package io.switchyard.extauthz.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.switchyard.serverkit.metrics.Metrics;

/** The ext-authz metrics, registered once per process registry. */
public final class ExtAuthzMetrics {
  private static final double[] LATENCY_BUCKETS = {
      0.00002, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1};

  public final Counter decisions;
  public final Counter cache;
  public final Counter jwksFetches;
  public final Counter errors;
  public final Histogram latency;
  public final Counter logRecords;
  public final Gauge policies;
  /** Fixed-label children resolved once: the hot path should not look labels up per call. */
  public final CounterDataPoint cacheHit;
  public final CounterDataPoint cacheMiss;
  public final DistributionDataPoint latencyHit;
  public final DistributionDataPoint latencyMiss;

  public ExtAuthzMetrics(Metrics m) {
    decisions = m.counter("switchyard_extauthz_decisions_total",
        "Check decisions by result (allow, deny, unauthenticated, error) and deciding policy (namespace/name, or none)", "result", "policy");
    cache = m.counter("switchyard_extauthz_cache_requests_total", "Decision cache lookups by result (hit, miss)", "result");
    jwksFetches = m.counter("switchyard_extauthz_jwks_fetches_total", "JWKS and OIDC discovery fetches by result (success, failure)", "result");
    errors = m.counter("switchyard_extauthz_errors_total", "Checks failed closed on an internal error or deadline, by reason", "reason");
    latency = m.histogram("switchyard_extauthz_check_duration_seconds", "Server-side Check latency by cache result", LATENCY_BUCKETS, "cache");
    logRecords = m.counter("switchyard_extauthz_decision_log_records_total", "Decision log records by outcome (sent, dropped, failed)", "outcome");
    policies = m.gauge("switchyard_extauthz_policies", "Loaded policies by kind", "kind");
    cacheHit = cache.labelValues("hit");
    cacheMiss = cache.labelValues("miss");
    latencyHit = latency.labelValues("hit");
    latencyMiss = latency.labelValues("miss");
  }
}
