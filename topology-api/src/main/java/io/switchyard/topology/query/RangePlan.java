package io.switchyard.topology.query;

import io.switchyard.topology.store.Resolution;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Splits a query range into the coarsest stored windows that tile it: whole hours in the middle, then
 * thirty-, ten- and five-minute buckets (services have no thirty-minute roll-ups), and aggregate minutes at the
 * ragged ends and in buckets whose roll-up is not complete yet. Pieces come in time order.
 */
final class RangePlan {
  /** [fromMs, toMs) read from the roll-ups of {@code resolution}, or from the minutes when it is null. */
  record Piece(Resolution resolution, long fromMs, long toMs) {}

  /** The edge roll-ups (every resolution), coarsest first. */
  static final List<Resolution> EDGES = coarseFirst(List.of(Resolution.values()));
  /** The service roll-ups, coarsest first. */
  static final List<Resolution> SERVICES = coarseFirst(Resolution.SERVICE_LEVELS);

  private static List<Resolution> coarseFirst(List<Resolution> levels) {
    return levels.stream().sorted(Comparator.comparingLong((Resolution r) -> r.millis).reversed()).toList();
  }

  private RangePlan() {}

  /**
   * @param windowMillis the aggregate window; roll-ups are used only when it divides every resolution
   *     (otherwise a roll-up would hold windows that stick out of the range)
   * @param rollupsCompleteUntil only roll-up buckets ending at or before this are used
   */
  static List<Piece> decompose(long fromMs, long toMs, long windowMillis, long rollupsCompleteUntil) {
    return decompose(fromMs, toMs, windowMillis, rollupsCompleteUntil, EDGES);
  }

  /** As {@link #decompose(long, long, long, long)} over the roll-ups {@code coarseFirst} (e.g. {@link #SERVICES}). */
  static List<Piece> decompose(long fromMs, long toMs, long windowMillis, long rollupsCompleteUntil,
      List<Resolution> coarseFirst) {
    List<Piece> out = new ArrayList<>();
    boolean rollups = windowMillis > 0 && fromMs % windowMillis == 0 && toMs % windowMillis == 0;
    for (Resolution r : coarseFirst) {
      rollups &= r.millis % windowMillis == 0;
    }
    split(fromMs, toMs, coarseFirst, rollups ? 0 : coarseFirst.size(), rollupsCompleteUntil, out);
    return out;
  }

  private static void split(long from, long to, List<Resolution> coarseFirst, int level, long complete,
      List<Piece> out) {
    if (from >= to) {
      return;
    }
    if (level == coarseFirst.size()) {
      out.add(new Piece(null, from, to));
      return;
    }
    Resolution r = coarseFirst.get(level);
    long first = -Math.floorDiv(-from, r.millis) * r.millis;
    long last = r.bucketOf(Math.min(to, complete));
    if (first >= last) {
      split(from, to, coarseFirst, level + 1, complete, out);
      return;
    }
    split(from, first, coarseFirst, level + 1, complete, out);
    out.add(new Piece(r, first, last));
    split(last, to, coarseFirst, level + 1, complete, out);
  }
}
