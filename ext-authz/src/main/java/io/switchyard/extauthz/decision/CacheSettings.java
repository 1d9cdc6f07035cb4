package io.switchyard.extauthz.decision;

import java.time.Duration;

/** Decision cache bounds; {@code maxEntries == 0} turns the cache off. */
public record CacheSettings(long maxEntries, Duration ttl) {
  public static CacheSettings defaults() {
    return new CacheSettings(100_000, Duration.ofSeconds(60));
  }
}
