package io.switchyard.ratelimit.limiter;

import io.switchyard.ratelimit.storage.CounterStore;
import io.switchyard.ratelimit.storage.MemoryCounterStore;
import io.switchyard.testing.MutableClock;

class MemoryLimiterConformanceTest extends LimiterConformanceTestBase {
  @Override
  protected CounterStore newStore(MutableClock clock) {
    return new MemoryCounterStore(clock, 100_000);
  }
}
