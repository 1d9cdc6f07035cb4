package io.switchyard.ratelimit.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchyard.testing.MutableClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class MemoryCounterStoreTest {
  private final MutableClock clock = MutableClock.ofEpochMilli(1_000_000L);

  @Test
  void countersExpireAtTheirWindowEnd() throws Exception {
    MemoryCounterStore store = new MemoryCounterStore(clock, 10);
    long end = clock.millis() + 1000;
    assertThat(store.addAndGet(new String[] {"a"}, new long[] {2}, new long[] {end})).containsExactly(2);
    assertThat(store.addAndGet(new String[] {"a"}, new long[] {0}, new long[] {end})).containsExactly(2);
    clock.advance(Duration.ofMillis(999));
    assertThat(store.addAndGet(new String[] {"a"}, new long[] {0}, new long[] {end})).containsExactly(2);
    clock.advance(Duration.ofMillis(1));
    assertThat(store.addAndGet(new String[] {"a"}, new long[] {0}, new long[] {end})).containsExactly(0);
    assertThat(store.size()).isZero();
  }

  @Test
  void keyCapRefusesNewKeysButKeepsCountingExistingOnes() throws Exception {
    MemoryCounterStore store = new MemoryCounterStore(clock, 2);
    long end = clock.millis() + 60_000;
    store.addAndGet(new String[] {"a", "b"}, new long[] {1, 1}, new long[] {end, end});
    assertThatThrownBy(() -> store.addAndGet(new String[] {"c"}, new long[] {1}, new long[] {end}))
        .isInstanceOf(CounterStoreException.class)
        .satisfies(e -> assertThat(((CounterStoreException) e).reason()).isEqualTo("key_cap"));
    assertThat(store.addAndGet(new String[] {"a"}, new long[] {1}, new long[] {end})).containsExactly(2);
    clock.advance(Duration.ofMillis(60_000));
    assertThat(store.addAndGet(new String[] {"c"}, new long[] {1}, new long[] {end + 60_000})).containsExactly(1);
  }

  @Test
  void gcraAllowsABurstOfTheLimitThenOneTokenPerInterval() {
    long period = 1_000_000;
    long now = 5_000_000;
    long tat = 0;
    for (int i = 0; i < 4; i++) {
      long r = CounterStore.gcra(tat, 1, 4, period, now);
      assertThat(r).isPositive();
      tat = r;
    }
    assertThat(CounterStore.gcra(tat, 1, 4, period, now)).isNegative();
    assertThat(CounterStore.gcra(tat, 1, 4, period, now + 250_000)).isPositive();
    assertThat(CounterStore.gcra(0, 1, 0, period, now)).isNegative();
  }
}
