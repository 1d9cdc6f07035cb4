package io.switchyard.topology.query;

import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.topology.store.Resolution;
import io.switchyard.topology.store.TopologyStore;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decoded edge records of whole buckets (one calendar minute of aggregate windows, or one roll-up bucket),
 * kept so that consecutive graph queries over sliding ranges decode each bucket once instead of once per
 * query. A piece is used only while the store reports its bucket unchanged since the generation read before
 * the piece was scanned, so a re-emitted minute, a retention sweep or a roll-up rebuild is never hidden.
 * Bounded by the number of records held, least recently used pieces go first. Thread-safe.
 */
final class DecodedPieces {
  /** One stored record as a graph adds it: the hop, its figures alone, its source, the hop's first record. */
  record Entry(TopologyQueries.HopId hop, EdgeAggregate firstOfHop, Traffic traffic, String source) {}

  /**
   * The records of one bucket in scan order (for minutes, only the record each (hop, window) picks).
   * {@code maxWindowEnd} lets a query whose end cuts a window short fall back to the filtered scan.
   */
  record Piece(long generation, List<Entry> entries, long maxWindowEnd) {}

  private record Key(Resolution resolution, long bucketStartMs) {}

  private final TopologyStore store;
  private final int maxRecords;
  private final LinkedHashMap<Key, Piece> pieces = new LinkedHashMap<>(64, 0.75f, true);
  private int records;
  private long hits;
  private long misses;

  DecodedPieces(TopologyStore store, int maxRecords) {
    this.store = store;
    this.maxRecords = maxRecords;
  }

  /** Cached piece of the bucket, or null when absent or no longer what the store holds. */
  synchronized Piece get(Resolution resolution, long bucketStartMs) {
    Key k = new Key(resolution, bucketStartMs);
    Piece p = pieces.get(k);
    if (p != null && !store.edgeBucketUnchangedSince(resolution, bucketStartMs, p.generation())) {
      pieces.remove(k);
      records -= p.entries().size();
      p = null;
    }
    if (p == null) {
      misses++;
    } else {
      hits++;
    }
    return p;
  }

  synchronized void put(Resolution resolution, long bucketStartMs, Piece piece) {
    if (piece.generation() < 0 || piece.entries().size() > maxRecords) {
      return;
    }
    Piece old = pieces.put(new Key(resolution, bucketStartMs), piece);
    if (old != null) {
      records -= old.entries().size();
    }
    records += piece.entries().size();
    Iterator<Piece> eldest = pieces.values().iterator();
    while (records > maxRecords && eldest.hasNext()) {
      records -= eldest.next().entries().size();
      eldest.remove();
    }
  }

  synchronized long hits() {
    return hits;
  }

  synchronized long misses() {
    return misses;
  }

  /** Adds a piece's records to the graph's per-hop sums exactly as reading them from the store would. */
  static void addTo(Map<TopologyQueries.HopId, TopologyQueries.HopTraffic> perHop, Piece piece) {
    for (Entry e : piece.entries()) {
      TopologyQueries.HopTraffic t = perHop.get(e.hop());
      if (t == null) {
        t = new TopologyQueries.HopTraffic(e.firstOfHop());
        perHop.put(e.hop(), t);
      }
      t.traffic.add(e.traffic());
      t.sources.add(e.source());
    }
  }

  /** Collects records into a piece; {@code firstOfHop} is parsed once per hop in the piece. */
  static final class Builder {
    private final Map<TopologyQueries.HopId, Boolean> seen = new LinkedHashMap<>();
    private final List<Entry> entries = new ArrayList<>();
    private long maxWindowEnd = Long.MIN_VALUE;

    void add(byte[] order, byte[] value) {
      TopologyQueries.HopId id = TopologyQueries.hopId(order);
      EdgeAggregate first = seen.put(id, Boolean.TRUE) == null ? TopologyQueries.parse(value) : null;
      Traffic t = new Traffic();
      int source = EdgeWindowDecoder.addTo(t, value);
      entries.add(new Entry(id, first, t, TopologyQueries.sourceName(source)));
      maxWindowEnd = Math.max(maxWindowEnd, EdgeWindowDecoder.windowEnd(value));
    }

    Piece build(long generation) {
      return new Piece(generation, List.copyOf(entries), maxWindowEnd);
    }
  }
}
