package io.switchyard.ratelimit.limiter;

import com.google.protobuf.UInt64Value;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.UnknownSnapshot;
import io.switchyard.ratelimit.config.Descriptors;
import io.switchyard.ratelimit.config.RateLimitConfig;
import io.switchyard.ratelimit.config.RateLimitConfigLoader;
import io.switchyard.ratelimit.storage.CounterStore;
import io.switchyard.serverkit.metrics.Metrics;
import io.switchyard.testing.MutableClock;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/** A limiter over a given store and YAML, with helpers to build requests and read stats. */
public final class LimiterFixture {
  public final MutableClock clock;
  public final PrometheusRegistry registry = new PrometheusRegistry();
  public final RateLimitStats stats = new RateLimitStats(new Metrics(registry), 1000);
  public final AtomicReference<RateLimitConfig> config = new AtomicReference<>();
  public final RateLimiter limiter;

  public LimiterFixture(String yaml, CounterStore store, MutableClock clock, LimiterOptions options) {
    this.clock = clock;
    setConfig(yaml);
    this.limiter = new RateLimiter(config::get, store, clock, options, stats);
  }

  public void setConfig(String yaml) {
    try {
      config.set(new RateLimitConfigLoader().loadTexts(Map.of("test.yaml", yaml)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public RateLimitResponse call(String domain, RateLimitDescriptor... descriptors) {
    return call(RateLimitRequest.newBuilder().setDomain(domain).addAllDescriptors(java.util.List.of(descriptors))
        .build());
  }

  public RateLimitResponse call(RateLimitRequest request) {
    try {
      return limiter.shouldRateLimit(request);
    } catch (InvalidRequestException e) {
      throw new IllegalStateException(e);
    }
  }

  public static RateLimitDescriptor d(String... kv) {
    return Descriptors.of(kv);
  }

  public static RateLimitDescriptor withHits(RateLimitDescriptor d, long hits) {
    return d.toBuilder().setHitsAddend(UInt64Value.of(hits)).build();
  }

  /** Sum of a counter or untyped series over data points whose labels contain the given pairs. */
  public long counter(String name, String... labelPairs) {
    return counter(registry, name, labelPairs);
  }

  /** As {@link #counter(String, String...)}, in any registry (a server's). */
  public static long counter(PrometheusRegistry registry, String name, String... labelPairs) {
    for (MetricSnapshot s : registry.scrape()) {
      if (!s.getMetadata().getName().equals(name)) {
        continue;
      }
      double sum = 0;
      for (DataPointSnapshot p : s.getDataPoints()) {
        boolean ok = true;
        for (int i = 0; i < labelPairs.length; i += 2) {
          ok &= labelPairs[i + 1].equals(p.getLabels().get(labelPairs[i]));
        }
        if (ok) {
          sum += p instanceof CounterSnapshot.CounterDataPointSnapshot c ? c.getValue()
              : ((UnknownSnapshot.UnknownDataPointSnapshot) p).getValue();
        }
      }
      return (long) sum;
    }
    return 0;
  }
}
