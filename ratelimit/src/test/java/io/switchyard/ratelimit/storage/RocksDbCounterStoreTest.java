package io.switchyard.ratelimit.storage;

import static io.switchyard.ratelimit.config.Descriptors.of;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.switchyard.ratelimit.limiter.LimiterFixture;
import io.switchyard.ratelimit.limiter.LimiterOptions;
import io.switchyard.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksDbCounterStoreTest {
  private static final String YAML = """
      domain: d
      descriptors:
        - key: user
          rate_limit: {unit: hour, requests_per_unit: 5}
        - key: bucket
          rate_limit: {unit: minute, requests_per_unit: 3, algorithm: token_bucket}
      """;

  @TempDir
  Path dir;

  @Test
  void countsSurviveARestartMidWindow() throws Exception {
    MutableClock clock = MutableClock.ofEpochMilli(1_767_225_600_000L);
    try (RocksDbCounterStore store = RocksDbCounterStore.open(dir, clock, 1000, Duration.ofHours(1))) {
      LimiterFixture f = new LimiterFixture(YAML, store, clock, LimiterOptions.defaults());
      for (int i = 0; i < 3; i++) {
        f.call("d", of("user", "a"));
      }
      f.call("d", of("bucket", "b"));
      f.call("d", of("bucket", "b"));
    }
    clock.advance(Duration.ofSeconds(600));
    try (RocksDbCounterStore store = RocksDbCounterStore.open(dir, clock, 1000, Duration.ofHours(1))) {
      LimiterFixture f = new LimiterFixture(YAML, store, clock, LimiterOptions.defaults());
      RateLimitResponse r = f.call("d", of("user", "a"));
      assertThat(r.getStatuses(0).getLimitRemaining()).isEqualTo(1);
      // 10 minutes refilled the bucket: 3 tokens again, one taken now
      assertThat(f.call("d", of("bucket", "b")).getStatuses(0).getLimitRemaining()).isEqualTo(2);
    }
    clock.advance(Duration.ofSeconds(3600));
    try (RocksDbCounterStore store = RocksDbCounterStore.open(dir, clock, 1000, Duration.ofHours(1))) {
      LimiterFixture f = new LimiterFixture(YAML, store, clock, LimiterOptions.defaults());
      assertThat(f.call("d", of("user", "a")).getStatuses(0).getLimitRemaining()).isEqualTo(4);
    }
  }

  @Test
  void flushWritesWithoutClosingAndSweepDropsEndedWindows() throws Exception {
    MutableClock clock = MutableClock.ofEpochMilli(1_000_000L);
    try (RocksDbCounterStore store = RocksDbCounterStore.open(dir, clock, 1000, Duration.ofHours(1))) {
      store.addAndGet(new String[] {"a", "b"}, new long[] {1, 1}, new long[] {clock.millis() + 1000, clock.millis() + 5000});
      store.flush();
      assertThat(store.sweep(clock.millis())).isZero();
      assertThat(store.sweep(clock.millis() + 1000)).isEqualTo(1);
      assertThat(store.sweep(clock.millis() + 5000)).isEqualTo(1);
    }
  }
}
