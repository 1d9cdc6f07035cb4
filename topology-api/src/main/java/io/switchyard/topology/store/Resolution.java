package io.switchyard.topology.store;

/**
 * The coarse windows the store keeps next to the aggregate minutes, each the sum of the minutes it holds,
 * so that a graph over hours reads a few records per hop instead of one per hop and minute.
 */
public enum Resolution {
  FIVE_MINUTES(300_000L, (byte) 't'),
  TEN_MINUTES(600_000L, (byte) 'u'),
  HOUR(3_600_000L, (byte) 'v');

  public final long millis;
  final byte prefix;

  Resolution(long millis, byte prefix) {
    this.millis = millis;
    this.prefix = prefix;
  }

  /** Start of the bucket holding {@code timeMs}. */
  public long bucketOf(long timeMs) {
    return Math.floorDiv(timeMs, millis) * millis;
  }

  /** Whether a window [start, end) lies inside the bucket starting at {@code bucket}; others are not rolled up. */
  boolean holds(long bucket, long start, long end) {
    return end > start && start >= bucket && end <= bucket + millis;
  }
}
