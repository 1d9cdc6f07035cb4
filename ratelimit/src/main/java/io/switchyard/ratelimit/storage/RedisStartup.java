package io.switchyard.ratelimit.storage;

import java.time.Duration;
import java.util.Objects;

/**
 * How the Redis store keeps trying to connect when Redis does not answer at start, as envoyproxy/ratelimit does
 * since b8d893f ({@code src/redis/driver_impl.go}, {@code REDIS_STARTUP_*} in {@code src/settings/settings.go}):
 * exponential backoff with factor 2 and jitter from {@code initialInterval} up to {@code maxInterval}, for ever or,
 * when {@code maxElapsed} is not zero, until that much time has passed since start.
 *
 * @param initialInterval first wait ({@code REDIS_STARTUP_INITIAL_INTERVAL}, 1 s)
 * @param maxInterval longest wait ({@code REDIS_STARTUP_MAX_INTERVAL}, 30 s)
 * @param maxElapsed give up once a failed attempt ends this long after start; zero: never
 *     ({@code REDIS_STARTUP_MAX_ELAPSED_TIME}, 0)
 */
public record RedisStartup(Duration initialInterval, Duration maxInterval, Duration maxElapsed) {
  public RedisStartup {
    Objects.requireNonNull(initialInterval, "initialInterval");
    Objects.requireNonNull(maxInterval, "maxInterval");
    Objects.requireNonNull(maxElapsed, "maxElapsed");
    if (initialInterval.isNegative() || initialInterval.isZero() || maxInterval.compareTo(initialInterval) < 0) {
      throw new IllegalArgumentException("Redis startup backoff needs 0 < initial interval <= max interval");
    }
    if (maxElapsed.isNegative()) {
      throw new IllegalArgumentException("Redis startup max elapsed time must not be negative");
    }
  }

  public static RedisStartup defaults() {
    return new RedisStartup(Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ZERO);
  }

  public RedisStartup withMaxElapsed(Duration d) {
    return new RedisStartup(initialInterval, maxInterval, d);
  }

  /** True once a failed attempt ending {@code elapsed} after start means giving up. */
  public boolean givesUpAfter(Duration elapsed) {
    return !maxElapsed.isZero() && elapsed.compareTo(maxElapsed) >= 0;
  }

  /**
   * The wait before retry number {@code attempt} (0 for the first retry), as jpillora/backoff's {@code ForAttempt}
   * with jitter computes it: {@code initial × 2^attempt}, jittered to {@code random} (in [0, 1)) of the way from
   * {@code initial} to that, and kept within [initial, max].
   */
  public Duration delay(int attempt, double random) {
    double min = initialInterval.toNanos();
    double max = maxInterval.toNanos();
    // Finite, so that a jitter of 0 after very many attempts gives the initial interval rather than NaN.
    double d = Math.min(Double.MAX_VALUE, min * Math.pow(2, attempt));
    d = random * (d - min) + min;
    return d >= max ? maxInterval : Duration.ofNanos((long) Math.max(min, d));
  }
}
