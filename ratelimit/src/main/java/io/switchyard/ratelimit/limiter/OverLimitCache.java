package io.switchyard.ratelimit.limiter;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.time.Clock;

/**
 * Fixed-window keys already over their limit, until the window ends: such hits are answered OVER_LIMIT
 * without an increment (no store round trip). Remembers the limit it was over, so a smaller or equal
 * limit on the same key may use the entry and a larger one (an override) may not.
 */
final class OverLimitCache {
  private record Entry(long limit, long expireAtMillis) {}

  private final Cache<String, Entry> entries;

  OverLimitCache(Clock clock, long maxEntries) {
    this.entries = Caffeine.newBuilder()
        .ticker(() -> clock.millis() * 1_000_000L)
        // Maintenance on the calling thread, as in the counter store: no hand-off to the common pool per drain.
        .executor(Runnable::run)
        .maximumSize(maxEntries)
        .expireAfter(new Expiry<String, Entry>() {
          @Override
          public long expireAfterCreate(String k, Entry e, long now) {
            return Math.max(0, e.expireAtMillis * 1_000_000L - now);
          }

          @Override
          public long expireAfterUpdate(String k, Entry e, long now, long current) {
            return Math.max(0, e.expireAtMillis * 1_000_000L - now);
          }

          @Override
          public long expireAfterRead(String k, Entry e, long now, long current) {
            return current;
          }
        })
        .build();
  }

  boolean isOver(String key, long limit) {
    Entry e = entries.getIfPresent(key);
    return e != null && limit <= e.limit;
  }

  void markOver(String key, long limit, long expireAtMillis) {
    entries.put(key, new Entry(limit, expireAtMillis));
  }
}
