package io.switchyard.ratelimit.storage;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.time.Clock;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongUnaryOperator;

/**
 * Counters in one process. Entries expire at their window's end and are never evicted by size while
 * the window is open (evicting a live counter would let extra requests through); instead the number of
 * keys is capped and a key that would exceed the cap fails with reason {@code key_cap}, which the
 * limiter turns into the configured allow/deny answer.
 */
public final class MemoryCounterStore implements CounterStore {
  private final Cache<String, Slot> slots;
  private final AtomicLong liveKeys = new AtomicLong();
  private final long maxKeys;
  private final Clock clock;
  private final SlotLoader loader;
  /** Keys changed since the last write-behind flush; null when nothing persists (plain memory storage). */
  private final ConcurrentLinkedQueue<String> dirtyKeys;

  /** Supplies the starting value of a key that is not in memory (RocksDB reads it from disk). */
  interface SlotLoader {
    long load(String key, long expireAtMillis);
  }

  public MemoryCounterStore(Clock clock, long maxKeys) {
    this(clock, maxKeys, null);
  }

  /** With a loader, changed keys are also queued for {@link #drainDirty}. */
  MemoryCounterStore(Clock clock, long maxKeys, SlotLoader loader) {
    this.clock = clock;
    this.maxKeys = maxKeys;
    this.loader = loader == null ? (k, e) -> 0L : loader;
    this.dirtyKeys = loader == null ? null : new ConcurrentLinkedQueue<>();
    this.slots = Caffeine.newBuilder()
        .ticker(() -> clock.millis() * 1_000_000L)
        .executor(Runnable::run)
        .expireAfter(new SlotExpiry())
        .removalListener((String k, Slot v, com.github.benmanes.caffeine.cache.RemovalCause c) ->
            liveKeys.decrementAndGet())
        .build();
  }

  /** One counter: a window count or a token bucket TAT. */
  static final class Slot {
    final AtomicLong value;
    /** Window counters: absolute expiry (ms). Token buckets: 0, they live for {@code idleMillis} after use. */
    final long expireAtMillis;
    final long idleMillis;
    final AtomicBoolean dirty = new AtomicBoolean();

    Slot(long initial, long expireAtMillis, long idleMillis) {
      this.value = new AtomicLong(initial);
      this.expireAtMillis = expireAtMillis;
      this.idleMillis = idleMillis;
    }
  }

  private final class SlotExpiry implements Expiry<String, Slot> {
    @Override
    public long expireAfterCreate(String key, Slot s, long now) {
      return s.idleMillis > 0 ? s.idleMillis * 1_000_000L : Math.max(0, s.expireAtMillis * 1_000_000L - now);
    }

    @Override
    public long expireAfterUpdate(String key, Slot s, long now, long current) {
      return current;
    }

    @Override
    public long expireAfterRead(String key, Slot s, long now, long current) {
      return s.idleMillis > 0 ? s.idleMillis * 1_000_000L : current;
    }
  }

  @Override
  public long[] addAndGet(String[] keys, long[] hits, long[] expireAtMillis) throws CounterStoreException {
    long[] out = new long[keys.length];
    for (int i = 0; i < keys.length; i++) {
      if (hits[i] == 0) {
        Slot s = slots.getIfPresent(keys[i]);
        out[i] = s != null ? s.value.get() : loader.load(keys[i], expireAtMillis[i]);
        continue;
      }
      Slot s = slot(keys[i], expireAtMillis[i], 0);
      out[i] = s.value.addAndGet(hits[i]);
      markDirty(keys[i], s);
    }
    return out;
  }

  @Override
  public long[] takeTokens(String[] keys, long[] hits, long[] limits, long[] periodMicros, long nowMicros)
      throws CounterStoreException {
    long[] out = new long[keys.length];
    for (int i = 0; i < keys.length; i++) {
      long period = periodMicros[i];
      Slot s = slot(keys[i], 0, Math.max(1, period / 1000));
      long h = hits[i];
      long limit = limits[i];
      long[] result = new long[1];
      LongUnaryOperator step = stored -> {
        long r = CounterStore.gcra(stored, h, limit, period, nowMicros);
        result[0] = r;
        return r >= 0 ? r : stored;
      };
      s.value.updateAndGet(step);
      markDirty(keys[i], s);
      out[i] = result[0];
    }
    return out;
  }

  private Slot slot(String key, long expireAtMillis, long idleMillis) throws CounterStoreException {
    Slot s = slots.getIfPresent(key);
    if (s != null) {
      return s;
    }
    if (liveKeys.get() >= maxKeys) {
      slots.cleanUp();
    }
    try {
      return slots.asMap().computeIfAbsent(key, k -> {
        if (liveKeys.get() >= maxKeys) {
          throw new KeyCapReached();
        }
        liveKeys.incrementAndGet();
        return new Slot(loader.load(k, expireAtMillis), expireAtMillis, idleMillis);
      });
    } catch (KeyCapReached e) {
      throw new CounterStoreException("key_cap", "memory counter key cap of " + maxKeys + " reached");
    }
  }

  private static final class KeyCapReached extends RuntimeException {
    private static final long serialVersionUID = 1L;

    KeyCapReached() {
      super(null, null, false, false);
    }
  }

  /** Live keys (approximate until expired entries are cleaned up). */
  public long size() {
    slots.cleanUp();
    return liveKeys.get();
  }

  private void markDirty(String key, Slot s) {
    if (dirtyKeys != null && !s.dirty.get() && s.dirty.compareAndSet(false, true)) {
      dirtyKeys.add(key);
    }
  }

  /** Visits each slot changed since the last call; used by the RocksDB write-behind flush. */
  void drainDirty(DirtyVisitor visitor) {
    long now = clock.millis();
    for (String key = dirtyKeys.poll(); key != null; key = dirtyKeys.poll()) {
      Slot s = slots.getIfPresent(key);
      if (s == null) {
        continue;
      }
      // Cleared before reading, so a hit racing with the flush re-queues the key.
      s.dirty.set(false);
      long expireAt = s.idleMillis > 0 ? now + s.idleMillis : s.expireAtMillis;
      visitor.visit(key, s.value.get(), expireAt, s.idleMillis > 0);
    }
  }

  interface DirtyVisitor {
    void visit(String key, long value, long expireAtMillis, boolean tokenBucket);
  }

  @Override
  public String name() {
    return "memory";
  }

  @Override
  public void close() {
    slots.invalidateAll();
  }
}
