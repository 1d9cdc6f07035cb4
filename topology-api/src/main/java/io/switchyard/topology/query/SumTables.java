package io.switchyard.topology.query;

import java.util.ArrayList;
import java.util.List;

/**
 * Sum tables of finished graphs, kept for the next graphs. A 5,000-hop graph adds its hops into a table of 5,000 rows
 * and folds them into node and edge tables: about 11 MB of arrays per query, each table's figures one array of
 * several megabytes, which G1 allocates outside the young generation (humongous) and which started a collection
 * cycle every few queries. Bounded by bytes; a table that does not fit is left to the collector. Thread-safe.
 */
final class SumTables {
  /** Enough for two graphs of a 5,000-hop mesh at once (about 11 MB each). */
  static final long DEFAULT_MAX_BYTES = 24L << 20;

  private final long maxBytes;
  private final List<SumTable> free = new ArrayList<>();
  private long bytes;

  SumTables(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** An empty table for about {@code rows} rows: the smallest kept one that holds them, else a new one. */
  SumTable take(int rows) {
    synchronized (this) {
      int best = -1;
      for (int i = 0; i < free.size(); i++) {
        int c = free.get(i).capacity();
        if (c >= rows && (best < 0 || c < free.get(best).capacity())) {
          best = i;
        }
      }
      if (best >= 0) {
        SumTable t = free.remove(best);
        bytes -= t.bytes();
        return t;
      }
    }
    return new SumTable(rows);
  }

  /** Hands back a table nothing reads any more; cleared here, outside the lock. */
  void give(SumTable t) {
    long size = t.bytes();
    if (size > maxBytes) {
      return;
    }
    t.clear();
    synchronized (this) {
      if (bytes + size <= maxBytes) {
        free.add(t);
        bytes += size;
      }
    }
  }

  /** Bytes of the tables kept, for tests. */
  synchronized long bytes() {
    return bytes;
  }
}
