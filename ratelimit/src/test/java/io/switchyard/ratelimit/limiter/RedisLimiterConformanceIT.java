package io.switchyard.ratelimit.limiter;

import io.switchyard.ratelimit.storage.CounterStore;
import io.switchyard.ratelimit.storage.RedisCounterStore;
import io.switchyard.ratelimit.storage.RedisProcess;
import io.switchyard.testing.MutableClock;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The same conformance cases against a real redis-server. */
class RedisLimiterConformanceIT extends LimiterConformanceTestBase {
  private static RedisProcess redis;

  @BeforeAll
  static void startRedis() throws Exception {
    redis = RedisProcess.start();
  }

  @AfterAll
  static void stopRedis() {
    if (redis != null) {
      redis.close();
    }
  }

  @Override
  protected CounterStore newStore(MutableClock clock) {
    try {
      redis.flushAll();
      return RedisCounterStore.connect(redis.uri(), Duration.ofSeconds(2), clock);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
