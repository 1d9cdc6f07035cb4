package io.switchyard.ratelimit.storage;

import static io.switchyard.ratelimit.config.Descriptors.of;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.Code;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.switchyard.ratelimit.limiter.LimiterFixture;
import io.switchyard.ratelimit.limiter.LimiterOptions;
import io.switchyard.testing.MutableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RedisCounterStoreIT {
  private static final String YAML = """
      domain: d
      descriptors:
        - key: shared
          rate_limit: {unit: hour, requests_per_unit: 300}
      """;

  @Test
  void twoInstancesShareOneLimitThroughRedis() throws Exception {
    try (RedisProcess redis = RedisProcess.start();
        RedisCounterStore a = RedisCounterStore.connect(redis.uri(), Duration.ofSeconds(2));
        RedisCounterStore b = RedisCounterStore.connect(redis.uri(), Duration.ofSeconds(2))) {
      MutableClock clock = MutableClock.ofEpochMilli(System.currentTimeMillis());
      LimiterFixture one = new LimiterFixture(YAML, a, clock, LimiterOptions.defaults());
      LimiterFixture two = new LimiterFixture(YAML, b, clock, LimiterOptions.defaults());
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        LimiterFixture f = t % 2 == 0 ? one : two;
        results.add(pool.submit(() -> {
          int ok = 0;
          for (int i = 0; i < 100; i++) {
            if (f.call("d", of("shared", "x")).getOverallCode() == Code.OK) {
              ok++;
            }
          }
          return ok;
        }));
      }
      int admitted = 0;
      for (Future<Integer> r : results) {
        admitted += r.get(60, TimeUnit.SECONDS);
      }
      pool.shutdown();
      assertThat(admitted).isEqualTo(300);
    }
  }

  @Test
  void redisOutageFollowsTheBackendErrorPolicyWithinTheTimeout() throws Exception {
    RedisProcess redis = RedisProcess.start();
    try (RedisCounterStore store = RedisCounterStore.connect(redis.uri(), Duration.ofMillis(200))) {
      MutableClock clock = MutableClock.ofEpochMilli(System.currentTimeMillis());
      LimiterFixture allow = new LimiterFixture(YAML, store, clock, LimiterOptions.defaults());
      LimiterFixture deny = new LimiterFixture(YAML, store, clock,
          LimiterOptions.defaults().withOnBackendError(LimiterOptions.BackendErrorPolicy.DENY));
      assertThat(allow.call("d", of("shared", "y")).getOverallCode()).isEqualTo(Code.OK);
      redis.close();
      assertThat(allow.call("d", of("shared", "y")).getOverallCode()).isEqualTo(Code.OK);
      assertThat(allow.counter("ratelimit_service_call_should_rate_limit_backend_error",
          "storage", "redis", "decision", "allow")).isEqualTo(1);
      assertThat(deny.call("d", of("shared", "y")).getOverallCode()).isEqualTo(Code.OVER_LIMIT);
    } finally {
      redis.close();
    }
  }

  @Test
  void tokenBucketsKeepWorkingAfterRedisLostItsScripts() throws Exception {
    // A Redis restart (or SCRIPT FLUSH, or a failover to a replica that never saw SCRIPT LOAD) empties the script
    // cache while the connection comes back: EVALSHA then answers NOSCRIPT.
    try (RedisProcess redis = RedisProcess.start();
        RedisCounterStore store = RedisCounterStore.connect(redis.uri(), Duration.ofSeconds(2))) {
      long now = 1_000_000_000L;
      String[] keys = {"bucket-a"};
      long[] hits = {1};
      long[] limits = {10};
      long[] period = {60_000_000L};
      assertThat(store.takeTokens(keys, hits, limits, period, now)[0]).isEqualTo(now + 6_000_000L);

      RedisClient admin = RedisClient.create(redis.uri().toString());
      try (StatefulRedisConnection<String, String> c = admin.connect()) {
        c.sync().scriptFlush();
      } finally {
        admin.shutdown();
      }

      assertThat(store.takeTokens(keys, hits, limits, period, now)[0]).isEqualTo(now + 12_000_000L);
      assertThat(store.takeTokens(keys, hits, limits, period, now)[0]).isEqualTo(now + 18_000_000L);
    }
  }
}
