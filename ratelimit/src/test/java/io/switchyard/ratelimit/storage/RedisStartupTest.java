package io.switchyard.ratelimit.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RedisStartupTest {
  private final RedisStartup reference = RedisStartup.defaults();

  @Test
  void defaultsAreTheReferencesStartupSettings() {
    // envoyproxy/ratelimit src/settings/settings.go: REDIS_STARTUP_INITIAL_INTERVAL 1s, _MAX_INTERVAL 30s,
    // _MAX_ELAPSED_TIME 0 (retry for ever).
    assertThat(reference).isEqualTo(new RedisStartup(Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ZERO));
    assertThat(reference.givesUpAfter(Duration.ofDays(365))).isFalse();
  }

  @Test
  void backoffDoublesWithJitterFromTheInitialIntervalAndStopsAtTheMaximum() {
    // jpillora/backoff ForAttempt with Jitter: rand * (min * 2^attempt - min) + min, within [min, max].
    assertThat(reference.delay(0, 0.5)).isEqualTo(Duration.ofSeconds(1));
    assertThat(reference.delay(1, 0.5)).isEqualTo(Duration.ofMillis(1500));
    assertThat(reference.delay(2, 0.5)).isEqualTo(Duration.ofMillis(2500));
    assertThat(reference.delay(5, 0.5)).isEqualTo(Duration.ofMillis(16500));
    assertThat(reference.delay(6, 0.5)).isEqualTo(Duration.ofSeconds(30));
    assertThat(reference.delay(3, 0.0)).isEqualTo(Duration.ofSeconds(1));
    assertThat(reference.delay(3, 0.999)).isEqualTo(Duration.ofNanos(7_993_000_000L));
    assertThat(reference.delay(4000, 0.0)).isEqualTo(Duration.ofSeconds(1));
    assertThat(reference.delay(4000, 0.5)).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void aMaxElapsedTimeGivesUpOnceReached() {
    RedisStartup limited = reference.withMaxElapsed(Duration.ofSeconds(5));
    assertThat(limited.givesUpAfter(Duration.ofMillis(4999))).isFalse();
    assertThat(limited.givesUpAfter(Duration.ofSeconds(5))).isTrue();
  }
}
