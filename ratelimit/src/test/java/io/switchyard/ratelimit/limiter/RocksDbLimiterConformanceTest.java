package io.switchyard.ratelimit.limiter;

import io.switchyard.ratelimit.storage.CounterStore;
import io.switchyard.ratelimit.storage.RocksDbCounterStore;
import io.switchyard.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;

class RocksDbLimiterConformanceTest extends LimiterConformanceTestBase {
  @TempDir
  Path dir;

  @Override
  protected CounterStore newStore(MutableClock clock) {
    try {
      return RocksDbCounterStore.open(Files.createTempDirectory(dir, "rocks"), clock, 100_000, Duration.ofMillis(50));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
