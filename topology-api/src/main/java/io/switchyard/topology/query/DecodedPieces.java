package io.switchyard.topology.query;

import io.switchyard.topology.store.Resolution;
import io.switchyard.topology.store.TopologyStore;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.function.ToIntFunction;

/**
 * Decoded edge records of whole buckets (one calendar minute of aggregate windows, or one roll-up bucket),
 * kept so that consecutive graph queries over sliding ranges decode each bucket once instead of once per
 * query. A piece is used only while the store reports its bucket unchanged since the generation read before
 * the piece was scanned, so a re-emitted minute, a retention sweep or a roll-up rebuild is never hidden.
 * Pieces are compact (hop and code numbers from a {@link HopCatalog}, only non-zero histogram buckets), and
 * bounded by their size in bytes, least recently used first out. Thread-safe.
 *
 * <p>The arrays of a piece that is neither cached nor being added up by a query any more are reused for the next
 * piece built: without that, every miss allocated about a megabyte for a mesh of 5,000 edges, and the pieces
 * evicted after they had been promoted filled the old generation until a full collection (the tail of uncached
 * graph latency).
 */
final class DecodedPieces {
  /**
   * The records of one bucket in scan order (for minutes, only the record each (hop, window) picks), as two
   * streams. Per record, ints: hop, telemetry source, then the counts of non-zero server, client and queue
   * latency entries, codes and flags, then {@link #exactAndBytes} (the count of exact response codes and whether
   * bytes follow), then those entries' positions (latency entries index a {@link SumTable} latency block) and
   * code numbers; doubles: requests, failed, sent and received bytes when flagged, then the entries' values in
   * the same order.
   * {@code maxWindowEnd} lets a query whose end cuts a window short fall back to a filtered scan.
   */
  static final class Piece {
    final HopCatalog catalog;
    final long generation;
    final long maxWindowEnd;
    final int records;
    /** Records {@link MeshRule} drops (bit per record), null for none: they are skipped when added up. */
    final long[] dropped;
    /** {@link MeshRule} could not judge this roll-up bucket: its graph reads the bucket's minutes instead. */
    final boolean ambiguous;
    /**
     * Longer than used when reused from an earlier piece; set to null once handed back for reuse. Read by
     * {@link StoredPieces} while the piece has a user.
     */
    int[] ints;
    double[] doubles;
    /** Used lengths of {@link #ints} and {@link #doubles}. */
    final int intCount;
    final int doubleCount;
    /** Ints before a record's entries. */
    static final int HEAD = 8;

    /**
     * The eighth int of a record: exact codes times two, plus one when sent and received bytes follow the record's
     * failed count (only access-log windows have them, so trace records carry no two zero doubles).
     */
    static int exactAndBytes(int exact, boolean bytes) {
      return exact << 1 | (bytes ? 1 : 0);
    }

    /** Queries adding this piece up now, and whether the cache holds it; guarded by the owning DecodedPieces. */
    private int users;
    private boolean cached;

    private Piece(HopCatalog catalog, long generation, long maxWindowEnd, int records, int[] ints, int intCount,
        double[] doubles, int doubleCount, MeshRule.Decision rule) {
      this.intCount = intCount;
      this.doubleCount = doubleCount;
      this.catalog = catalog;
      this.dropped = rule.dropped();
      this.ambiguous = rule.ambiguous();
      this.generation = generation;
      this.maxWindowEnd = maxWindowEnd;
      this.records = records;
      this.ints = ints;
      this.doubles = doubles;
    }

    long bytes() {
      return 64L + 4L * ints.length + 8L * doubles.length + (dropped == null ? 0 : 8L * dropped.length);
    }

    /**
     * Adds every record to its hop's row in {@code sums} (rows made in order of first appearance, recorded in
     * {@code rowOfHop}, catalog hop number -> row + 1), exactly as adding the stored records one by one.
     */
    void addTo(SumTable sums, int[] rowOfHop, int[] hopOfRow) {
      int i = 0;
      int d = 0;
      for (int r = 0; r < records; r++) {
        int hop = ints[i++];
        int source = ints[i++];
        int servers = ints[i++];
        int clients = ints[i++];
        int queued = ints[i++];
        int codes = ints[i++];
        int flags = ints[i++];
        int exactAndBytes = ints[i++];
        int exact = exactAndBytes >>> 1;
        boolean bytes = (exactAndBytes & 1) != 0;
        if (MeshRule.Decision.isDropped(dropped, r)) {
          int entries = servers + clients + queued + codes + flags + exact;
          i += entries;
          d += 2 + (bytes ? 2 : 0) + entries;
          continue;
        }
        int row = rowOfHop[hop] - 1;
        if (row < 0) {
          row = sums.addRow();
          rowOfHop[hop] = row + 1;
          hopOfRow[row] = hop;
        }
        sums.addSources(row, SumTable.sourceBit(source));
        sums.add(row, SumTable.REQUESTS, doubles[d++]);
        sums.add(row, SumTable.FAILED, doubles[d++]);
        if (bytes) {
          sums.add(row, SumTable.SENT_BYTES, doubles[d++]);
          sums.add(row, SumTable.RECEIVED_BYTES, doubles[d++]);
        }
        for (int k = 0; k < servers; k++) {
          sums.add(row, SumTable.SERVER + ints[i++], doubles[d++]);
        }
        for (int k = 0; k < clients; k++) {
          sums.add(row, SumTable.CLIENT + ints[i++], doubles[d++]);
        }
        for (int k = 0; k < queued; k++) {
          sums.addQueueLatency(row, ints[i++], doubles[d++]);
        }
        for (int k = 0; k < codes; k++) {
          sums.addResponse(row, ints[i++], doubles[d++]);
        }
        for (int k = 0; k < flags; k++) {
          sums.addFlag(row, ints[i++], doubles[d++]);
        }
        for (int k = 0; k < exact; k++) {
          sums.addExactCode(row, ints[i++], doubles[d++]);
        }
      }
    }
  }

  private record Key(Resolution resolution, long bucketStartMs) {}

  private static final long MINUTE_MS = 60_000L;

  private final TopologyStore store;
  private final long maxBytes;
  private final LinkedHashMap<Key, Piece> pieces = new LinkedHashMap<>(64, 0.75f, true);
  private HopCatalog catalog = new HopCatalog();
  private long bytes;
  private long hits;
  private long misses;
  /** Arrays of retired pieces, ready for new ones; bounded by {@link #MAX_FREE_BYTES}. */
  private final ArrayDeque<int[]> freeInts = new ArrayDeque<>();
  private final ArrayDeque<double[]> freeDoubles = new ArrayDeque<>();
  private long freeBytes;
  /**
   * On top of the cache's bound: enough for the pieces of three uncached ragged hours of a 5,000-edge mesh (about
   * 11 pieces of 0.8 MB each), so uncached queries reuse arrays too.
   */
  static final long MAX_FREE_BYTES = 32L << 20;

  DecodedPieces(TopologyStore store, long maxBytes) {
    this.store = store;
    this.maxBytes = maxBytes;
  }

  /** The catalog new pieces are numbered in; a new one (and no pieces) once the current one is full. */
  synchronized HopCatalog catalog() {
    if (catalog.full()) {
      catalog = new HopCatalog();
      pieces.values().forEach(this::uncache);
      pieces.clear();
      bytes = 0;
    }
    return catalog;
  }

  /** Cached piece of the bucket numbered in {@code catalog}, or null when absent or no longer what the store holds. */
  synchronized Piece get(Resolution resolution, long bucketStartMs, HopCatalog catalog) {
    Key k = new Key(resolution, bucketStartMs);
    Piece p = pieces.get(k);
    if (p != null && (p.catalog != catalog || !store.edgeBucketUnchangedSince(resolution, bucketStartMs, p.generation))) {
      pieces.remove(k);
      bytes -= p.bytes();
      uncache(p);
      p = null;
    }
    if (p == null) {
      misses++;
    } else {
      hits++;
      p.users++;
    }
    return p;
  }

  /** The query that got {@code parts} from {@link #get} or built them has added them up (null entries skipped). */
  synchronized void release(Piece[] parts) {
    for (Piece p : parts) {
      if (p != null && --p.users == 0 && !p.cached) {
        retire(p);
      }
    }
  }

  private void uncache(Piece p) {
    p.cached = false;
    if (p.users == 0) {
      retire(p);
    }
  }

  private void retire(Piece p) {
    long size = 4L * p.ints.length + 8L * p.doubles.length;
    if (freeBytes + size <= MAX_FREE_BYTES) {
      freeInts.add(p.ints);
      freeDoubles.add(p.doubles);
      freeBytes += size;
    }
    p.ints = null;
    p.doubles = null;
  }

  private synchronized int[] reuseInts(int n) {
    return take(freeInts, n, a -> a.length, 4);
  }

  private synchronized double[] reuseDoubles(int n) {
    return take(freeDoubles, n, a -> a.length, 8);
  }

  /** A free array of at least {@code n} elements (and not much more), or null. */
  private <A> A take(ArrayDeque<A> free, int n, ToIntFunction<A> length, int elementBytes) {
    for (Iterator<A> it = free.iterator(); it.hasNext(); ) {
      A a = it.next();
      int l = length.applyAsInt(a);
      if (l >= n && l <= n + n / 4 + 64) {
        it.remove();
        freeBytes -= (long) elementBytes * l;
        return a;
      }
    }
    return null;
  }

  /** An array of at least {@code n} ints for a new piece: a retired piece's, or new with a little room. */
  int[] ints(int n) {
    int[] a = reuseInts(n);
    // A little room, so that the next minute of the same mesh fits in these arrays too.
    return a != null ? a : new int[n + n / 16];
  }

  double[] doubles(int n) {
    double[] a = reuseDoubles(n);
    return a != null ? a : new double[n + n / 16];
  }

  /** A piece in arrays from {@link #ints} and {@link #doubles}, with one user (the query that made it). */
  Piece piece(HopCatalog catalog, long generation, long maxWindowEnd, int records, int[] ints, int intCount,
      double[] doubles, int doubleCount, MeshRule.Decision rule) {
    Piece p = new Piece(catalog, generation, maxWindowEnd, records, ints, intCount, doubles, doubleCount, rule);
    p.users = 1;
    return p;
  }

  /** Free arrays held for reuse, for tests. */
  synchronized long freeBytes() {
    return freeBytes;
  }

  /** Caches a piece this query built (and still adds up: it is released with the query's other parts). */
  synchronized void put(Resolution resolution, long bucketStartMs, Piece piece) {
    if (piece.generation < 0 || piece.bytes() > maxBytes || piece.catalog != catalog) {
      return;
    }
    piece.cached = true;
    Piece old = pieces.put(new Key(resolution, bucketStartMs), piece);
    if (old != null) {
      bytes -= old.bytes();
      uncache(old);
    }
    bytes += piece.bytes();
    Iterator<Piece> eldest = pieces.values().iterator();
    while (bytes > maxBytes && eldest.hasNext()) {
      Piece e = eldest.next();
      bytes -= e.bytes();
      eldest.remove();
      uncache(e);
    }
  }

  synchronized long hits() {
    return hits;
  }

  synchronized long misses() {
    return misses;
  }

  /**
   * Collects stored records into a piece; each record's hop is looked up once, its figures decoded once. Used by
   * the thread that made it, and one at a time per thread (it fills that thread's scratch arrays); several threads
   * may fill pieces numbered in the same catalog at once.
   */
  static final class Builder {
    private final HopCatalog catalog;
    private final EdgeWindowDecoder.Window window = new EdgeWindowDecoder.Window();
    private final HopCatalog.Name hopProbe = new HopCatalog.Name();
    /**
     * Per thread, grown to the largest piece built so far and reused: a minute of a large mesh is tens of
     * thousands of entries, and growing fresh arrays for each piece was most of what a decode allocated.
     */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
      int[] ints = new int[1024];
      double[] doubles = new double[1024];
      /** Per record, what {@link MeshRule} judges: hop, source, calendar minute, windows held. */
      int[] hops = new int[256];
      int[] sources = new int[256];
      long[] segments = new long[256];
      long[] minutes = new long[256];
    }

    private final Scratch scratch = SCRATCH.get();
    private int[] ints = scratch.ints;
    private double[] doubles = scratch.doubles;
    private int intCount;
    private int doubleCount;
    private int records;
    private long maxWindowEnd = Long.MIN_VALUE;
    /** 0: records are windows, judged per calendar minute; else the windows in the one roll-up bucket built. */
    private final long windowsPerBucket;

    /** A piece of windows (a minute, or the minutes of a range). */
    Builder(HopCatalog catalog) {
      this(catalog, 0);
    }

    /** A piece of one roll-up bucket holding {@code windowsPerBucket} windows. */
    Builder(HopCatalog catalog, long windowsPerBucket) {
      this.catalog = catalog;
      this.windowsPerBucket = windowsPerBucket;
    }

    void add(byte[] order, int orderLength, byte[] value, int valueLength) {
      HopCatalog.Hop hop = catalog.hop(order, orderLength, value, valueLength, hopProbe);
      EdgeWindowDecoder.Window w = window;
      EdgeWindowDecoder.decode(value, valueLength, w, catalog);
      maxWindowEnd = Math.max(maxWindowEnd, w.windowEnd);
      rule(hop.index, w);
      int servers = nonZero(w.server);
      int clients = nonZero(w.client);
      int queued = w.queued ? nonZero(w.messaging) : 0;
      boolean bytes = w.sentBytes != 0 || w.receivedBytes != 0;
      int entries = servers + clients + queued + w.codes.size + w.flags.size + w.exact.size;
      ensure(Piece.HEAD + entries, 4 + entries);
      ints[intCount++] = hop.index;
      ints[intCount++] = w.source;
      ints[intCount++] = servers;
      ints[intCount++] = clients;
      ints[intCount++] = queued;
      ints[intCount++] = w.codes.size;
      ints[intCount++] = w.flags.size;
      ints[intCount++] = Piece.exactAndBytes(w.exact.size, bytes);
      doubles[doubleCount++] = w.requests;
      doubles[doubleCount++] = w.failed;
      if (bytes) {
        doubles[doubleCount++] = w.sentBytes;
        doubles[doubleCount++] = w.receivedBytes;
      }
      entries(w.server);
      entries(w.client);
      if (w.queued) {
        entries(w.messaging);
      }
      entries(w.codes);
      entries(w.flags);
      entries(w.exact);
      records++;
    }

    private void entries(EdgeWindowDecoder.CodeCounts c) {
      for (int i = 0; i < c.size; i++) {
        ints[intCount++] = c.codes[i];
        doubles[doubleCount++] = c.counts[i];
      }
    }

    private void rule(int hop, EdgeWindowDecoder.Window w) {
      Scratch s = scratch;
      if (records == s.hops.length) {
        int n = records * 2;
        s.hops = Arrays.copyOf(s.hops, n);
        s.sources = Arrays.copyOf(s.sources, n);
        s.segments = Arrays.copyOf(s.segments, n);
        s.minutes = Arrays.copyOf(s.minutes, n);
      }
      s.hops[records] = hop;
      s.sources[records] = w.source;
      s.segments[records] = windowsPerBucket == 0 ? Math.floorDiv(w.windowEnd - 1, MINUTE_MS) : 0;
      s.minutes[records] = windowsPerBucket == 0 ? 0 : w.minutes;
    }

    /** Zero entries are left out: adding them would change no sum. */
    private static int nonZero(double[] latency) {
      int n = 0;
      for (double v : latency) {
        if (v != 0) {
          n++;
        }
      }
      return n;
    }

    private void entries(double[] latency) {
      for (int i = 0; i < SumTable.LATENCY; i++) {
        if (latency[i] != 0) {
          ints[intCount++] = i;
          doubles[doubleCount++] = latency[i];
        }
      }
    }

    private void ensure(int moreInts, int moreDoubles) {
      if (intCount + moreInts > ints.length) {
        ints = Arrays.copyOf(ints, Math.max(ints.length * 2, intCount + moreInts));
        scratch.ints = ints;
      }
      if (doubleCount + moreDoubles > doubles.length) {
        doubles = Arrays.copyOf(doubles, Math.max(doubles.length * 2, doubleCount + moreDoubles));
        scratch.doubles = doubles;
      }
    }

    /** The piece, in arrays reused from {@code owner}'s retired pieces when it has some that fit; one user. */
    Piece build(long generation, DecodedPieces owner) {
      int[] i = owner.ints(intCount);
      double[] d = owner.doubles(doubleCount);
      System.arraycopy(ints, 0, i, 0, intCount);
      System.arraycopy(doubles, 0, d, 0, doubleCount);
      MeshRule.Decision rule = MeshRule.decide(catalog, records, scratch.hops, scratch.sources, scratch.segments,
          scratch.minutes, windowsPerBucket);
      return owner.piece(catalog, generation, maxWindowEnd, records, i, intCount, d, doubleCount, rule);
    }
  }
}
