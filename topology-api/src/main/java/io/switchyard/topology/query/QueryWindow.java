package io.switchyard.topology.query;

import io.switchyard.topology.store.TopologyStore.Freshness;
import java.time.Instant;

/**
 * The complete aggregate windows a query reads: windows that start at or after {@code fromMs} (the start
 * of the window holding the requested {@code from}) and end by {@code toMs} (the requested {@code to},
 * capped at the newest complete window). Rates divide by this span, so a pipeline that is behind shows
 * fewer minutes, never lower rates.
 */
public record QueryWindow(long fromMs, long toMs, long windowMillis) {
  static final long DEFAULT_WINDOW_MS = 60_000;

  public static QueryWindow resolve(long requestedFrom, long requestedTo, Freshness freshness) {
    long w = freshness.windowMillis() > 0 ? freshness.windowMillis() : DEFAULT_WINDOW_MS;
    long from = Math.floorDiv(requestedFrom, w) * w;
    long to = Math.floorDiv(requestedTo, w) * w;
    if (freshness.hasData()) {
      to = Math.min(to, freshness.newestWindowEndMs());
    }
    return new QueryWindow(from, Math.max(from, to), w);
  }

  public double seconds() {
    return (toMs - fromMs) / 1000.0;
  }

  public View view() {
    return new View(Instant.ofEpochMilli(fromMs).toString(), Instant.ofEpochMilli(toMs).toString(), seconds(), windowMillis / 1000.0);
  }

  /** How the window appears in responses. */
  public record View(String from, String to, double seconds, double windowSeconds) {}
}
