package io.switchyard.ratelimit.storage;

/**
 * Where rate-limit counters live. Calls are batched per request so network stores can pipeline them.
 * Keys are the reference's counter keys (window start included), so a counter never outlives its window.
 */
public interface CounterStore extends AutoCloseable {

  /**
   * For each i adds {@code hits[i]} to {@code keys[i]} and returns the value after; {@code hits[i] == 0}
   * only reads (a missing key reads 0). A key created here expires at {@code expireAtMillis[i]}.
   */
  long[] addAndGet(String[] keys, long[] hits, long[] expireAtMillis) throws CounterStoreException;

  /**
   * Token buckets as GCRA: each key holds a theoretical arrival time (TAT, microseconds). For each i,
   * with {@code interval = periodMicros / limits[i]}: {@code tat = max(stored, now)}, {@code next = tat +
   * hits * interval}; allowed iff {@code next - now <= periodMicros}, and only then stored. Returns
   * {@code next} when allowed, {@code -tat - 1} when rejected. A limit of 0 rejects every hit.
   */
  long[] takeTokens(String[] keys, long[] hits, long[] limits, long[] periodMicros, long nowMicros)
      throws CounterStoreException;

  /** {@code memory}, {@code rocksdb} or {@code redis}: the label of storage metrics. */
  String name();

  @Override
  void close();

  /** GCRA step shared by the local stores; returns the value to report (see {@link #takeTokens}). */
  static long gcra(long stored, long hits, long limit, long periodMicros, long nowMicros) {
    long tat = Math.max(stored, nowMicros);
    if (limit <= 0) {
      return hits == 0 ? tat : -tat - 1;
    }
    long interval = Math.max(1, periodMicros / limit);
    long next = tat + hits * interval;
    return next - nowMicros <= periodMicros ? next : -tat - 1;
  }
}
