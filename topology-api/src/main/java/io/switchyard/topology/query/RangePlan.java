package io.switchyard.topology.query;

import io.switchyard.topology.store.Resolution;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a query range into the coarsest stored windows that tile it: whole hours in the middle, then
 * ten- and five-minute buckets, and aggregate minutes at the ragged ends and in buckets whose roll-up is not
 * complete yet. Pieces come in time order.
 */
final class RangePlan {
  /** [fromMs, toMs) read from the roll-ups of {@code resolution}, or from the minutes when it is null. */
  record Piece(Resolution resolution, long fromMs, long toMs) {}

  private static final Resolution[] COARSE_FIRST = {Resolution.HOUR, Resolution.TEN_MINUTES, Resolution.FIVE_MINUTES};

  private RangePlan() {}

  /**
   * @param windowMillis the aggregate window; roll-ups are used only when it divides every resolution
   *     (otherwise a roll-up would hold windows that stick out of the range)
   * @param rollupsCompleteUntil only roll-up buckets ending at or before this are used
   */
  static List<Piece> decompose(long fromMs, long toMs, long windowMillis, long rollupsCompleteUntil) {
    List<Piece> out = new ArrayList<>();
    boolean rollups = windowMillis > 0 && fromMs % windowMillis == 0 && toMs % windowMillis == 0;
    for (Resolution r : COARSE_FIRST) {
      rollups &= r.millis % windowMillis == 0;
    }
    split(fromMs, toMs, rollups ? 0 : COARSE_FIRST.length, rollupsCompleteUntil, out);
    return out;
  }

  private static void split(long from, long to, int level, long complete, List<Piece> out) {
    if (from >= to) {
      return;
    }
    if (level == COARSE_FIRST.length) {
      out.add(new Piece(null, from, to));
      return;
    }
    Resolution r = COARSE_FIRST[level];
    long first = -Math.floorDiv(-from, r.millis) * r.millis;
    long last = r.bucketOf(Math.min(to, complete));
    if (first >= last) {
      split(from, to, level + 1, complete, out);
      return;
    }
    split(from, first, level + 1, complete, out);
    out.add(new Piece(r, first, last));
    split(last, to, level + 1, complete, out);
  }
}
