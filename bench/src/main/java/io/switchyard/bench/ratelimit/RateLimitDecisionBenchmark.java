package io.switchyard.bench.ratelimit;

import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.ratelimit.config.RateLimitConfig;
import io.switchyard.ratelimit.config.RateLimitConfigLoader;
import io.switchyard.ratelimit.limiter.LimiterOptions;
import io.switchyard.ratelimit.limiter.RateLimitStats;
import io.switchyard.ratelimit.limiter.RateLimiter;
import io.switchyard.ratelimit.storage.MemoryCounterStore;
import io.switchyard.serverkit.metrics.Metrics;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The in-process ShouldRateLimit decision (match + count + response) on the memory store, for the
 * paths Envoy hits most: a request within its limit (two descriptors, one nested with a wildcard), and
 * a request already over its limit (answered from the over-limit cache). The baseline is building the
 * same response without matching or counting.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RateLimitDecisionBenchmark {
  static final String CONFIG = """
      domain: edge
      descriptors:
        - key: remote_address
          rate_limit: {unit: second, requests_per_unit: 4000000000}
        - key: api_key
          descriptors:
            - key: path
              value: /v1/reports/*
              rate_limit: {unit: minute, requests_per_unit: 4000000000}
        - key: plan
          value: blocked
          rate_limit: {unit: hour, requests_per_unit: 0}
      """;

  private RateLimiter limiter;
  private MemoryCounterStore store;
  private RateLimitRequest within;
  private RateLimitRequest over;

  @Setup
  public void setUp() throws Exception {
    RateLimitConfig config = new RateLimitConfigLoader().loadTexts(Map.of("edge.yaml", CONFIG));
    store = new MemoryCounterStore(Clock.systemUTC(), 1_000_000);
    limiter = new RateLimiter(() -> config, store, Clock.systemUTC(), LimiterOptions.defaults(),
        new RateLimitStats(new Metrics(new PrometheusRegistry()), 10_000));
    within = withinRequest();
    over = RateLimitRequest.newBuilder().setDomain("edge").addDescriptors(entry("plan", "blocked")).build();
  }

  static RateLimitRequest withinRequest() {
    return RateLimitRequest.newBuilder().setDomain("edge")
        .addDescriptors(entry("remote_address", "10.1.2.3"))
        .addDescriptors(RateLimitDescriptor.newBuilder()
            .addEntries(RateLimitDescriptor.Entry.newBuilder().setKey("api_key").setValue("k-123"))
            .addEntries(RateLimitDescriptor.Entry.newBuilder().setKey("path").setValue("/v1/reports/daily")))
        .build();
  }

  static RateLimitDescriptor entry(String k, String v) {
    return RateLimitDescriptor.newBuilder().addEntries(RateLimitDescriptor.Entry.newBuilder().setKey(k).setValue(v)).build();
  }

  @TearDown
  public void tearDown() {
    store.close();
  }

  @Benchmark
  public RateLimitResponse withinLimitTwoDescriptors() throws Exception {
    return limiter.shouldRateLimit(within);
  }

  @Benchmark
  public RateLimitResponse overLimitFromLocalCache() throws Exception {
    return limiter.shouldRateLimit(over);
  }

  @Benchmark
  public RateLimitResponse baselineResponseOnly() {
    return RateLimitResponse.newBuilder().setOverallCode(RateLimitResponse.Code.OK)
        .addStatuses(RateLimitResponse.DescriptorStatus.newBuilder().setCode(RateLimitResponse.Code.OK))
        .addStatuses(RateLimitResponse.DescriptorStatus.newBuilder().setCode(RateLimitResponse.Code.OK)).build();
  }
}
