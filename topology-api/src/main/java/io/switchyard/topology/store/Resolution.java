package io.switchyard.topology.store;

import java.util.List;

/**
 * The coarse windows the store keeps next to the aggregate minutes, each the sum of the minutes it holds,
 * so that a graph over hours reads a few records per hop instead of one per hop and minute. Edge roll-ups are
 * kept in every resolution, service roll-ups in {@link #SERVICE_LEVELS}.
 */
public enum Resolution {
  FIVE_MINUTES(300_000L, (byte) 't'),
  TEN_MINUTES(600_000L, (byte) 'u'),
  HOUR(3_600_000L, (byte) 'v'),
  /**
   * Edge roll-ups only: with it a ragged hour reads at most one 30-minute, two 10-minute and two 5-minute
   * roll-ups between its ragged minutes, where it read up to five 10-minute ones (about 8 records per hop on
   * average instead of 10). Last, so that the other constants keep their ordinals (service roll-up prefixes
   * derive from them).
   */
  THIRTY_MINUTES(1_800_000L, (byte) 'q');

  /** The resolutions the store keeps service roll-ups in. */
  public static final List<Resolution> SERVICE_LEVELS = List.of(FIVE_MINUTES, TEN_MINUTES, HOUR);

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
