package io.switchyard.ratelimit.limiter;

import io.switchyard.ratelimit.storage.CounterStore;
import io.switchyard.ratelimit.storage.MemoryCounterStore;

class MemoryLimiterConformanceTest extends LimiterConformanceTestBase {
  @Override
  protected CounterStore newStore(FakeClock clock) {
    return new MemoryCounterStore(clock, 100_000);
  }
}
