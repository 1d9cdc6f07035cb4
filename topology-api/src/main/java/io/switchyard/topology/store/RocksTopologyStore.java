package io.switchyard.topology.store;

import com.google.protobuf.InvalidProtocolBufferException;
import io.switchyard.model.LatencyBuckets;
import io.switchyard.model.v1.CodeCount;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.LatencyHistogram;
import io.switchyard.model.v1.ServiceAggregate;
import io.switchyard.model.v1.SloAlertRecord;
import io.switchyard.model.v1.SloStatusRecord;
import io.switchyard.model.v1.TelemetrySource;
import io.switchyard.serverkit.rocksdb.RocksNative;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.CompressionType;
import org.rocksdb.FlushOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * {@link TopologyStore} in one RocksDB database. Window keys are time-major ({@code prefix, window start
 * big-endian, key, 0, source}) so a graph over a time range is one contiguous scan and retention is a range
 * delete. Values are the records' own protobuf bytes.
 */
public final class RocksTopologyStore implements TopologyStore {
  private static final byte EDGE = 'e';
  private static final byte SERVICE = 's';
  private static final byte EDGE_TOTAL = 'c';
  private static final byte SERVICE_TOTAL = 'd';
  private static final byte SLO_STATUS = 'l';
  private static final byte SLO_ALERT = 'a';
  private static final byte OFFSET = 'o';
  /**
   * Pre-decoded edge buckets ({@code prefix, bucket start big-endian, kind}: kind is the resolution's ordinal, or
   * {@link #BUCKET_KINDS} - 1 for a minute), written by readers ({@link #putDecodedEdgeBucket}). Every change to a
   * bucket's records deletes its entry in the batch that makes the change, or in an earlier write.
   */
  private static final byte DECODED = 'p';
  private static final byte[] FRESHNESS_KEY = {'m', 'f'};
  /**
   * The edge roll-up layout: present, holding {@link #ROLLUP_LAYOUT}, once the roll-ups of every resolution hold
   * every stored minute. A store written before roll-ups existed lacks it; one written before the 30-minute level
   * holds 1, one whose roll-ups left out messaging hops' queue latency 2, one whose roll-ups left out the exact
   * response codes and bytes (EdgeAggregate fields 18-20) 3. Either way the roll-ups are rebuilt from the stored
   * minutes (which always kept them) when the store is opened.
   */
  private static final byte[] ROLLUPS_KEY = {'m', 'r'};
  static final byte ROLLUP_LAYOUT = 4;
  /** Present once the service roll-ups hold every stored service minute. */
  private static final byte[] SERVICE_ROLLUPS_KEY = {'m', 's'};
  /** {@link #rollupsComplete}, written in the batch that closes buckets. */
  private static final byte[] ROLLUPS_COMPLETE_KEY = {'m', 'w'};
  /**
   * A bucket closes once the newest stored window is this far past its end (or when the materialiser has
   * read everything): partitions are read a fetch at a time, so while catching up one partition's minutes of
   * a bucket may still come after another's have passed its end, and each of those would cost a rewrite.
   */
  private static final long CLOSE_GRACE_MS = 2 * 60_000L;
  private static final int MAX_SOURCE = TelemetrySource.TELEMETRY_SOURCE_MESH_VALUE;
  private static final int MAX_CACHED_ROLLUPS = 100_000;

  private final RocksDB db;
  private final Options options;
  private final LRUCache cache;
  private final WriteOptions writeOptions;
  private final Object writeLock = new Object();
  /** Set by {@link #close} under writeLock: pre-decoded buckets offered later (from another thread) are dropped. */
  private boolean storeClosed;
  private volatile Freshness freshness;
  /**
   * Totals are read back on every write of their edge or service; keeping the decoded newest version here
   * (guarded by writeLock, written through to the store) saves a read and a decode per record.
   */
  private final Map<Key, ServiceAggregate> serviceTotals = new HashMap<>();
  private static final int MAX_CACHED_TOTALS = 200_000;
  /** Per hop: its decoded totals and newest minute written; guarded by writeLock. */
  private final Map<Key, HopState> hops = new HashMap<>();
  /** Numbers the write batches, so a changed sum is listed for writing once per batch ({@link EdgeSums#dirtyIn}). */
  private long writeEpoch;
  /**
   * Roll-up windows, decoded; guarded by writeLock. Those of closed buckets are written through with every
   * batch that changes them; those of open buckets wait in {@link #unwritten}.
   */
  private final Map<Key, EdgeSums> rollups = new HashMap<>();
  /**
   * Roll-ups of open buckets (ending after {@link #rollupsComplete}) changed since last written: written once,
   * when their bucket closes, instead of with every minute. What is not here is current in the store. Lost in
   * a crash and rebuilt from the stored minutes on open ({@link #reloadOpenRollups}).
   */
  private final Map<Key, EdgeSums> unwritten = new HashMap<>();
  /**
   * Open 5-minute roll-ups not yet added to their coarser (10-minute, 30-minute and hourly) roll-ups: while a
   * 5-minute bucket is open, its minutes are added to it alone, and the whole bucket to the coarser ones when it
   * closes ({@link #foldClosed}). That is one sum per minute instead of four. A 5-minute roll-up not listed here
   * ({@link EdgeSums#folded}) is already in the coarser ones, and later minutes go to every level. Every entry is
   * also in {@link #unwritten}, and like it lost in a crash: reopening rebuilds every level from the minutes.
   */
  private final Map<Key, EdgeSums> unfolded = new LinkedHashMap<>();
  /** Numbers the minutes applied, so a folded roll-up takes the header of the newest minute it holds. */
  private long minuteSeq;
  /** No entry of {@link #unwritten} ends before this. */
  private long unwrittenMinEnd = Long.MAX_VALUE;
  /**
   * Every roll-up bucket ending at or before this holds all its stored minutes; later buckets may be stale or
   * missing in the store, so queries read their minutes instead. Only grows while the store is open.
   */
  private volatile long rollupsComplete;
  /**
   * No stored edge minute and no stored roll-up window starts at or after this time unless written since
   * it was set (and then it is in {@link HopState#lastWritten} or {@link #rollups}). Lets the common case, a new
   * minute of a hop, skip every point lookup. Long.MAX_VALUE disables the shortcut.
   */
  private long floorMark;
  /** Service roll-ups, written through with the minutes; guarded by writeLock. */
  private final ServiceRollups serviceRollups = new ServiceRollups();
  /** Per service key, the newest minute written since {@link #serviceFloor} was set; guarded by writeLock. */
  private final Map<Key, Long> serviceLast = new HashMap<>();
  /** As {@link #floorMark}, for service minutes and {@link #serviceLast}. */
  private long serviceFloor;

  private RocksTopologyStore(RocksDB db, Options options, LRUCache cache) {
    this.db = db;
    this.options = options;
    this.cache = cache;
    // Offsets travel in the same write batch as the data, and without a write-ahead log a crash loses a
    // suffix of whole batches (the unflushed memtable) together with their offsets: the store resumes,
    // consistently, from older offsets and reads those records from Kafka again. A log would double the
    // bytes written (each roll-up value is rewritten every minute) to protect nothing Kafka does not hold.
    this.writeOptions = new WriteOptions().setSync(false).setDisableWAL(true);
    this.freshness = readFreshness();
    this.floorMark = freshness.newestWindowEndMs();
    this.serviceFloor = freshness.newestWindowEndMs();
    this.rollupsComplete = readRollupsComplete();
    ensureRollups();
    ensureServiceRollups();
    synchronized (writeLock) {
      reloadOpenRollups();
    }
  }

  /** Opens (creating when missing) the store in {@code dir}. A new store has no offsets: it is rebuilt from Kafka. */
  public static RocksTopologyStore open(Path dir) {
    RocksNative.load(dir.toAbsolutePath().getParent(), "topology-api");
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create store folder " + dir, e);
    }
    LRUCache cache = new LRUCache(64L << 20);
    // Most writes are new windows: the bloom filter answers "no earlier version" without reading a block.
    BlockBasedTableConfig table = new BlockBasedTableConfig().setBlockCache(cache).setBlockSize(16 * 1024)
        .setFilterPolicy(new BloomFilter(10, false));
    Options options = new Options()
        .setCreateIfMissing(true)
        .setCompressionType(CompressionType.LZ4_COMPRESSION)
        .setTableFormatConfig(table)
        .setMaxBackgroundJobs(2)
        // Roll-up values are rewritten every minute until their bucket closes: a larger memtable keeps most
        // of those versions from ever reaching disk.
        .setWriteBufferSize(128L << 20);
    try {
      return new RocksTopologyStore(RocksDB.open(options, dir.toString()), options, cache);
    } catch (RocksDBException e) {
      options.close();
      cache.close();
      throw new IllegalStateException("cannot open topology store in " + dir + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void write(StoreBatch batch) {
    synchronized (writeLock) {
      Map<Key, byte[]> pending = new HashMap<>();
      Freshness fresh = freshness;
      try {
        BatchBytes wb = new BatchBytes(batch.size() + batch.edges.size() / 2 + 64);
        long epoch = ++writeEpoch;
        List<Dirty> dirtyTotals = new ArrayList<>();
        List<Dirty> dirtyRollups = new ArrayList<>();
        EarlierMinutes earlier = new EarlierMinutes(batch.edges.size());
        for (StoreBatch.EdgeWrite w : batch.edges) {
          byte[] windowKey = edgeMinuteKey(w.sums().windowStart, w.hop(), w.sums().source & 0xff);
          writeEdge(w, windowKey, earlier, epoch, dirtyTotals, dirtyRollups);
          wb.put(windowKey, w.value());
          earlier.passed(windowKey, w.value());
          EdgeSums e = w.sums();
          fresh = fresh.advance(e.windowStart, e.windowEnd, e.emitted);
        }
        for (Dirty t : dirtyTotals) {
          wb.put(t.key().bytes, t.sums().encode());
        }
        long complete = Math.max(rollupsComplete, fresh.newestWindowEndMs() - CLOSE_GRACE_MS);
        foldClosed(complete, epoch, dirtyRollups);
        List<Long> closed = new ArrayList<>();
        putRollups(dirtyRollups, complete, wb, closed);
        closed.addAll(closeRollups(complete, wb));
        trimCaches(fresh, wb);
        for (StoreBatch.Keyed<ServiceAggregate> k : batch.services) {
          ServiceAggregate s = k.value();
          byte[] source = {(byte) s.getSourceValue()};
          byte[] name = utf8(k.key());
          Key windowKey = new Key(timeKey(SERVICE, s.getWindowStartUnixMs(), name, source));
          Key totalKey = new Key(nameKey(SERVICE_TOTAL, name, source));
          ServiceAggregate old = parseService(lookup(pending, windowKey));
          long start = s.getWindowStartUnixMs();
          Key serviceKey = new Key(name);
          Long last = serviceLast.get(serviceKey);
          boolean known = start >= serviceFloor && (last == null || start > last);
          serviceRollups.minuteWritten(name, s, old, known,
              src -> timeKey(SERVICE, start, name, new byte[] {(byte) src}), key -> lookupOrThrow(pending, key));
          if (last == null || start > last) {
            if (serviceLast.size() >= MAX_CACHED_TOTALS) {
              serviceLast.clear();
              serviceFloor = Math.max(serviceFloor, fresh.newestWindowEndMs());
            }
            serviceLast.put(serviceKey, start);
          }
          ServiceAggregate total = serviceTotals.get(totalKey);
          if (total == null) {
            total = parseService(db.get(totalKey.bytes));
          }
          byte[] value = s.toByteArray();
          ServiceAggregate updated = serviceTotal(total, old, s);
          pending.put(windowKey, value);
          cacheTotal(serviceTotals, totalKey, updated);
          wb.put(windowKey.bytes, value);
          wb.put(totalKey.bytes, updated.toByteArray());
          fresh = fresh.advance(s.getWindowStartUnixMs(), s.getWindowEndUnixMs(), s.getEmittedUnixMs());
        }
        serviceRollups.flushTo(wb);
        for (StoreBatch.Keyed<SloStatusRecord> k : batch.sloStatuses) {
          wb.put(prefixed(SLO_STATUS, utf8(k.key())), k.value().toByteArray());
        }
        for (String name : batch.sloDeletes) {
          wb.delete(prefixed(SLO_STATUS, utf8(name)));
        }
        for (SloAlertRecord a : batch.alerts) {
          wb.put(alertKey(a), a.toByteArray());
        }
        for (Map.Entry<String, Long> o : batch.offsets.entrySet()) {
          wb.put(prefixed(OFFSET, utf8(o.getKey())), ByteBuffer.allocate(8).putLong(o.getValue()).array());
        }
        if (!fresh.equals(freshness)) {
          wb.put(FRESHNESS_KEY, ByteBuffer.allocate(24)
              .putLong(fresh.newestWindowEndMs()).putLong(fresh.windowMillis()).putLong(fresh.newestEmittedMs()).array());
        }
        forgetDecoded(batch, closed, wb);
        commit(wb);
        edgeBucketsChanged(batch, closed);
        freshness = fresh;
        rollupsComplete = complete;
      } catch (RocksDBException | RuntimeException e) {
        throw writeFailed(e);
      }
    }
  }

  /** Applies the operations in one native write batch. */
  private void commit(BatchBytes operations) throws RocksDBException {
    try (WriteBatch wb = operations.toWriteBatch()) {
      db.write(writeOptions, wb);
    }
  }

  /**
   * After a failed write the decoded caches may hold sums the store never received: they are dropped and the
   * open roll-ups rebuilt from what the store holds. Returns the exception to throw.
   */
  private RuntimeException writeFailed(Exception e) {
    serviceTotals.clear();
    serviceRollups.reset();
    hops.clear();
    RuntimeException failure = e instanceof RuntimeException r ? r
        : new IllegalStateException("topology store write failed: " + e.getMessage(), e);
    try {
      resetCaches();
    } catch (RuntimeException reset) {
      failure.addSuppressed(reset);
      // Nothing known about what is stored: every later write looks its windows up.
      floorMark = Long.MAX_VALUE;
    }
    return failure;
  }

  /**
   * Stores one edge minute, moves its hop's totals by (new - replaced) and keeps the roll-ups equal to the
   * sum, per hop and bucket, of the minute windows a query would pick: per (hop, minute) the record of the
   * highest telemetry source (mesh over trace). A roll-up is kept per picked source, so a re-emitted minute
   * or a mesh minute arriving after its trace minute moves the sums by exactly what it replaced.
   */
  private void writeEdge(StoreBatch.EdgeWrite w, byte[] windowKey, EarlierMinutes earlier, long epoch,
      List<Dirty> dirtyTotals, List<Dirty> dirtyRollups) throws RocksDBException {
    EdgeSums now = w.sums();
    byte[] hop = w.hop();
    int source = now.source & 0xff;
    long start = now.windowStart;
    Key hopKey = new Key(hop);
    HopState state = hops.get(hopKey);
    if (state == null) {
      state = new HopState();
      hops.put(hopKey, state);
    }
    long last = state.lastWritten;
    boolean known = start >= floorMark && start > last;
    EdgeSums old = known ? null : decodeOrNull(earlier.lookup(new Key(windowKey)));

    if (source >= state.totals.length) {
      state.totals = Arrays.copyOf(state.totals, source + 1);
    }
    EdgeSums total = state.totals[source];
    Key totalKey = null;
    if (total == null) {
      totalKey = new Key(nameKey(EDGE_TOTAL, hop, new byte[] {(byte) source}));
      total = decodeOrNull(db.get(totalKey.bytes));
      if (total == null) {
        total = EdgeSums.emptyLike(now, start, now.windowEnd);
      }
      state.totals[source] = total;
    }
    total.add(now, 1);
    if (old != null) {
      total.add(old, -1);
    }
    total.header = now.header;
    total.windowStart = Math.min(total.windowStart, start);
    total.windowEnd = Math.max(total.windowEnd, now.windowEnd);
    if (total.dirtyIn != epoch) {
      total.dirtyIn = epoch;
      dirtyTotals.add(new Dirty(totalKey != null ? totalKey : new Key(nameKey(EDGE_TOTAL, hop, new byte[] {(byte) source})),
          total));
    }

    boolean shadowed = false;
    for (int higher = source + 1; !known && higher <= MAX_SOURCE && !shadowed; higher++) {
      shadowed = earlier.lookup(new Key(edgeMinuteKey(start, hop, higher))) != null;
    }
    if (!shadowed) {
      EdgeSums displaced = old;
      int displacedSource = source;
      for (int lower = Math.min(source, MAX_SOURCE + 1) - 1; !known && displaced == null && lower >= 0; lower--) {
        displaced = decodeOrNull(earlier.lookup(new Key(edgeMinuteKey(start, hop, lower))));
        displacedSource = lower;
      }
      long seq = ++minuteSeq;
      // Whether the coarser roll-ups take this minute (and the one it displaces) now, or with its 5-minute one.
      boolean nowDirect = true;
      boolean displacedDirect = true;
      for (Resolution r : Resolution.values()) {
        long bucket = r.bucketOf(start);
        if (!r.holds(bucket, start, now.windowEnd)) {
          continue;
        }
        if (displaced != null && displacedDirect) {
          EdgeSums acc = rollup(r, bucket, hop, displacedSource, displaced, epoch, dirtyRollups, state);
          acc.add(displaced, -1);
          acc.minutes--;
          displacedDirect = r != Resolution.FIVE_MINUTES || acc.folded;
        }
        if (nowDirect) {
          EdgeSums acc = rollup(r, bucket, hop, source, now, epoch, dirtyRollups, state);
          acc.add(now, 1);
          acc.minutes++;
          acc.header = now.header;
          acc.headerSeq = seq;
          nowDirect = r != Resolution.FIVE_MINUTES || acc.folded;
        }
      }
    }
    if (start > last) {
      state.lastWritten = start;
    }
  }

  /**
   * The stored edge windows as the current batch leaves them so far: those of its records already passed, over
   * those in the store. Most batches hold only new minutes, which look nothing up: the map of the batch's
   * windows is built on the first lookup, from the records passed until then.
   */
  private final class EarlierMinutes {
    /** The keys and values of the records passed, in order; only until {@link #overlay} is built. */
    private final List<byte[]> keys;
    private final List<byte[]> values;
    private Map<Key, byte[]> overlay;

    EarlierMinutes(int records) {
      keys = new ArrayList<>(records);
      values = new ArrayList<>(records);
    }

    byte[] lookup(Key key) throws RocksDBException {
      if (overlay == null) {
        overlay = new HashMap<>(Math.max(16, 2 * keys.size()));
        for (int i = 0; i < keys.size(); i++) {
          overlay.put(new Key(keys.get(i)), values.get(i));
        }
      }
      byte[] p = overlay.get(key);
      return p != null ? p : db.get(key.bytes);
    }

    /** A record of the batch has been applied. */
    void passed(byte[] key, byte[] value) {
      if (overlay != null) {
        overlay.put(new Key(key), value);
      } else {
        keys.add(key);
        values.add(value);
      }
    }
  }

  /** A decoded sum changed in the current batch, to be written under {@code key}. */
  private record Dirty(Key key, EdgeSums sums) {}

  /** What the write path keeps per hop between batches. */
  private static final class HopState {
    /** Newest minute written since {@link #floorMark} was set; Long.MIN_VALUE: none. */
    long lastWritten = Long.MIN_VALUE;
    /** Cumulative totals by telemetry source, as stored; null until first needed. */
    EdgeSums[] totals = new EdgeSums[MAX_SOURCE + 1];
    /**
     * The roll-up last used per (resolution, source), with its key: the next minute of the hop mostly falls in
     * the same buckets, and this spares building its keys and looking them up. Valid while not
     * {@link EdgeSums#dropped} and of the same bucket.
     */
    final EdgeSums[] recent = new EdgeSums[Resolution.values().length * (MAX_SOURCE + 1)];
    final Key[] recentKeys = new Key[recent.length];
  }

  /**
   * The decoded roll-up of (resolution, bucket, hop, source), read from the store (or made empty) when not held;
   * listed in {@code dirty} once per epoch. {@code state}: the hop's write state, or null.
   */
  private EdgeSums rollup(Resolution r, long bucket, byte[] hop, int source, EdgeSums like, long epoch, List<Dirty> dirty,
      HopState state) {
    int slot = state != null && source <= MAX_SOURCE ? r.ordinal() * (MAX_SOURCE + 1) + source : -1;
    EdgeSums acc = slot >= 0 ? state.recent[slot] : null;
    Key k;
    if (acc != null && !acc.dropped && acc.windowStart == bucket) {
      k = state.recentKeys[slot];
    } else {
      k = new Key(timeKey(r.prefix, bucket, hop, new byte[] {(byte) source}));
      acc = rollups.get(k);
      if (acc == null) {
        byte[] stored;
        try {
          stored = bucket >= floorMark ? null : db.get(k.bytes);
        } catch (RocksDBException e) {
          throw new IllegalStateException("cannot read roll-up: " + e.getMessage(), e);
        }
        acc = stored == null ? EdgeSums.emptyLike(like, bucket, bucket + r.millis) : EdgeSums.decode(stored);
        acc.source = source;
        rollups.put(k, acc);
        // Only a new minute's open 5-minute bucket is folded later (state: called for a minute). A stored 5-minute
        // roll-up was folded before it was written.
        if (r == Resolution.FIVE_MINUTES && state != null && stored == null && acc.windowEnd > rollupsComplete) {
          acc.folded = false;
          unfolded.put(k, acc);
        }
      }
      if (slot >= 0) {
        state.recent[slot] = acc;
        state.recentKeys[slot] = k;
      }
    }
    if (acc.dirtyIn != epoch) {
      acc.dirtyIn = epoch;
      dirty.add(new Dirty(k, acc));
    }
    return acc;
  }

  private static EdgeSums decodeOrNull(byte[] v) {
    return v == null ? null : EdgeSums.decode(v);
  }

  /**
   * Drops cached written roll-ups of buckets that ended ten minutes before the newest window (late data for
   * them reads them back once) and raises {@link #floorMark} past them, so the shortcut stays sound. When
   * still too many are held (a mesh with very many hops), the open ones are written, partial, into {@code wb}
   * and dropped too: later minutes then read them back, as for closed buckets.
   */
  private void trimCaches(Freshness fresh, BatchBytes wb) throws RocksDBException {
    if (rollups.size() <= MAX_CACHED_ROLLUPS && hops.size() <= MAX_CACHED_TOTALS) {
      return;
    }
    long threshold = fresh.newestWindowEndMs() - Resolution.TEN_MINUTES.millis;
    rollups.entrySet().removeIf(e -> e.getValue().windowEnd <= threshold && !unwritten.containsKey(e.getKey())
        && e.getValue().drop());
    floorMark = Math.max(floorMark, threshold);
    if (rollups.size() > MAX_CACHED_ROLLUPS / 2 || hops.size() > MAX_CACHED_TOTALS) {
      writeUnwritten(wb);
      rollups.clear();
      hops.clear();
      floorMark = Math.max(floorMark, fresh.newestWindowEndMs());
    }
  }

  /** Writes every open roll-up as it stands (partial: queries do not read open buckets). */
  private void writeUnwritten(BatchBytes wb) throws RocksDBException {
    List<Dirty> folded = new ArrayList<>();
    foldClosed(Long.MAX_VALUE, ++writeEpoch, folded);
    putRollups(folded, rollupsComplete, wb, new ArrayList<>());
    for (Map.Entry<Key, EdgeSums> u : unwritten.entrySet()) {
      putOrDelete(u.getKey(), u.getValue(), wb);
    }
    unwritten.clear();
    unwrittenMinEnd = Long.MAX_VALUE;
  }

  /**
   * Writes the open roll-ups whose bucket ends at or before {@code complete}: each once, with every minute of
   * its bucket. Returns the closed buckets' ids ({@link #bucketId}).
   */
  private List<Long> closeRollups(long complete, BatchBytes wb) throws RocksDBException {
    if (complete < unwrittenMinEnd) {
      return List.of();
    }
    java.util.Set<Long> closed = new java.util.HashSet<>();
    long minEnd = Long.MAX_VALUE;
    for (var it = unwritten.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Key, EdgeSums> u = it.next();
      EdgeSums acc = u.getValue();
      if (acc.windowEnd <= complete) {
        putOrDelete(u.getKey(), acc, wb);
        closed.add(bucketId(resolutionOf(u.getKey()), acc.windowStart));
        it.remove();
      } else {
        minEnd = Math.min(minEnd, acc.windowEnd);
      }
    }
    unwrittenMinEnd = minEnd;
    if (complete != rollupsComplete) {
      wb.put(ROLLUPS_COMPLETE_KEY, ByteBuffer.allocate(8).putLong(complete).array());
    }
    return new ArrayList<>(closed);
  }

  private static Resolution resolutionOf(Key rollupKey) {
    for (Resolution r : Resolution.values()) {
      if (r.prefix == rollupKey.bytes[0]) {
        return r;
      }
    }
    throw new IllegalStateException("not a roll-up key: " + rollupKey);
  }

  /** Without the grace period: the materialiser calls this once it has read everything, so no partition lags. */
  @Override
  public void completeRollups() {
    synchronized (writeLock) {
      long complete = Math.max(rollupsComplete, freshness.newestWindowEndMs());
      if (complete == rollupsComplete && complete < unwrittenMinEnd) {
        return;
      }
      try {
        BatchBytes wb = new BatchBytes(unwritten.size() + 1);
        List<Dirty> dirty = new ArrayList<>();
        foldClosed(complete, ++writeEpoch, dirty);
        List<Long> closed = new ArrayList<>();
        putRollups(dirty, complete, wb, closed);
        closed.addAll(closeRollups(complete, wb));
        for (Long id : closed) {
          wb.delete(decodedKey(id));
        }
        commit(wb);
        bucketsChanged(closed);
        rollupsComplete = complete;
      } catch (RocksDBException | RuntimeException e) {
        throw writeFailed(e);
      }
    }
  }

  /** For tests: writes the open roll-ups as they stand, so a scan of the roll-ups sees every bucket. */
  void writeOpenRollups() {
    synchronized (writeLock) {
      try {
        BatchBytes wb = new BatchBytes(unwritten.size());
        writeUnwritten(wb);
        commit(wb);
      } catch (RocksDBException e) {
        throw new IllegalStateException("topology store write failed: " + e.getMessage(), e);
      }
    }
  }

  @Override
  public long rollupsCompleteUntil() {
    return rollupsComplete;
  }

  private long readRollupsComplete() {
    try {
      byte[] v = db.get(ROLLUPS_COMPLETE_KEY);
      if (v != null && v.length == 8) {
        return ByteBuffer.wrap(v).getLong();
      }
      // A new store, or one from before roll-ups were deferred (it wrote every roll-up through: all are
      // current). Stored at once: later batches write it only when it moves.
      long complete = freshness.newestWindowEndMs();
      db.put(writeOptions, ROLLUPS_COMPLETE_KEY, ByteBuffer.allocate(8).putLong(complete).array());
      return complete;
    } catch (RocksDBException e) {
      throw new IllegalStateException("cannot read roll-up state", e);
    }
  }

  /**
   * Forgets the decoded roll-ups and rebuilds the open ones in memory from the stored minutes (what a
   * crash lost of them), removing whatever the store holds for open buckets: they are written when they close.
   * Caller holds writeLock.
   */
  private void reloadOpenRollups() {
    rollups.clear();
    unwritten.clear();
    unfolded.clear();
    unwrittenMinEnd = Long.MAX_VALUE;
    hops.clear();
    floorMark = freshness.newestWindowEndMs();
    long complete = rollupsComplete;
    try (WriteBatch wb = new WriteBatch()) {
      for (Resolution r : Resolution.values()) {
        // The first bucket ending after `complete`.
        wb.deleteRange(timePrefix(r.prefix, r.bucketOf(complete)), timePrefix(r.prefix, Long.MAX_VALUE));
      }
      // Only closed buckets are stored pre-decoded; should a reader have judged an open one closed, it goes too.
      wb.deleteRange(timePrefix(DECODED, Resolution.HOUR.bucketOf(complete)), new byte[] {DECODED + 1});
      db.write(writeOptions, wb);
    } catch (RocksDBException e) {
      throw new IllegalStateException("cannot reset open roll-ups: " + e.getMessage(), e);
    }
    scanPicked(Resolution.HOUR.bucketOf(complete), Long.MAX_VALUE, (hop, source, m) -> {
      for (Resolution r : Resolution.values()) {
        long bucket = r.bucketOf(m.windowStart);
        if (r.holds(bucket, m.windowStart, m.windowEnd) && bucket + r.millis > complete) {
          Key k = new Key(timeKey(r.prefix, bucket, hop, new byte[] {(byte) source}));
          EdgeSums acc = rollups.computeIfAbsent(k, x -> EdgeSums.emptyLike(m, bucket, bucket + r.millis));
          acc.source = source;
          acc.add(m, 1);
          acc.minutes++;
          acc.header = m.header;
          unwritten.put(k, acc);
          unwrittenMinEnd = Math.min(unwrittenMinEnd, acc.windowEnd);
        }
      }
    });
  }

  private static <T> void cacheTotal(Map<Key, T> cache, Key key, T value) {
    if (cache.size() >= MAX_CACHED_TOTALS && !cache.containsKey(key)) {
      cache.clear();
    }
    cache.put(key, value);
  }

  private byte[] lookupOrThrow(Map<Key, byte[]> pending, byte[] key) {
    try {
      return lookup(pending, new Key(key));
    } catch (RocksDBException e) {
      throw new IllegalStateException("cannot read store: " + e.getMessage(), e);
    }
  }

  private byte[] lookup(Map<Key, byte[]> pending, Key key) throws RocksDBException {
    byte[] p = pending.get(key);
    return p != null ? p : db.get(key.bytes);
  }

  static ServiceAggregate serviceTotal(ServiceAggregate total, ServiceAggregate old, ServiceAggregate now) {
    ServiceAggregate.Builder b = (total == null ? ServiceAggregate.getDefaultInstance() : total).toBuilder();
    b.setSchemaVersion(now.getSchemaVersion())
        .setService(now.getService())
        .setSource(now.getSource())
        .setRequestCount(b.getRequestCount() + now.getRequestCount() - (old == null ? 0 : old.getRequestCount()))
        .setFailedCount(b.getFailedCount() + now.getFailedCount() - (old == null ? 0 : old.getFailedCount()))
        .setLatency(addHistogram(b.getLatency(), now.getLatency(), old == null ? null : old.getLatency()))
        .setEmittedUnixMs(Math.max(b.getEmittedUnixMs(), now.getEmittedUnixMs()))
        .setWindowEndUnixMs(Math.max(b.getWindowEndUnixMs(), now.getWindowEndUnixMs()));
    if (total == null || now.getWindowStartUnixMs() < b.getWindowStartUnixMs()) {
      b.setWindowStartUnixMs(now.getWindowStartUnixMs());
    }
    List<CodeCount> codes = addCodes(b.getResponsesList(), now.getResponsesList(), old == null ? List.of() : old.getResponsesList());
    return b.clearResponses().addAllResponses(codes).build();
  }

  /** total + now - old, bucket by bucket; histograms without buckets count as empty. */
  private static LatencyHistogram addHistogram(LatencyHistogram total, LatencyHistogram now, LatencyHistogram old) {
    LatencyHistogram.Builder b = LatencyBuckets.emptyHistogram();
    LatencyBuckets.merge(b, total);
    LatencyBuckets.merge(b, now);
    if (old != null && old.getBucketCountsCount() == LatencyBuckets.COUNT) {
      for (int i = 0; i < LatencyBuckets.COUNT; i++) {
        b.setBucketCounts(i, Math.max(0, b.getBucketCounts(i) - old.getBucketCounts(i)));
      }
      b.setSumSeconds(Math.max(0, b.getSumSeconds() - old.getSumSeconds()));
      b.setCount(Math.max(0, b.getCount() - old.getCount()));
    }
    return b.build();
  }

  private static List<CodeCount> addCodes(List<CodeCount> total, List<CodeCount> now, List<CodeCount> old) {
    Map<String, Double> m = new LinkedHashMap<>();
    total.forEach(c -> m.merge(c.getCode(), c.getCount(), Double::sum));
    now.forEach(c -> m.merge(c.getCode(), c.getCount(), Double::sum));
    old.forEach(c -> m.merge(c.getCode(), -c.getCount(), Double::sum));
    List<CodeCount> out = new ArrayList<>(m.size());
    m.forEach((code, count) -> out.add(CodeCount.newBuilder().setCode(code).setCount(Math.max(0, count)).build()));
    return out;
  }

  @Override
  public void scanEdges(long fromMs, long toMs, Consumer<EdgeAggregate> sink) {
    scanTime(EDGE, fromMs, toMs, v -> sink.accept(parseEdgeOrThrow(v)));
  }

  @Override
  public long oldestWindowStartMs() {
    return Math.min(oldestStart(EDGE), oldestStart(SERVICE));
  }

  private long oldestStart(byte prefix) {
    try (Slice upperSlice = new Slice(new byte[] {(byte) (prefix + 1)});
        ReadOptions ro = new ReadOptions().setIterateUpperBound(upperSlice).setFillCache(false);
        RocksIterator it = db.newIterator(ro)) {
      it.seek(new byte[] {prefix});
      return it.isValid() ? ByteBuffer.wrap(it.key(), 1, 8).getLong() : Long.MAX_VALUE;
    }
  }

  @Override
  public void scanEdgeBytes(long fromMs, long toMs, RawSink sink) {
    if (toMs <= fromMs) {
      return;
    }
    try (Slice upperSlice = new Slice(timePrefix(EDGE, toMs));
        ReadOptions ro = new ReadOptions().setIterateUpperBound(upperSlice);
        RocksIterator it = db.newIterator(ro)) {
      for (it.seek(timePrefix(EDGE, Math.max(0, fromMs))); it.isValid(); it.next()) {
        byte[] k = it.key();
        sink.accept(Arrays.copyOfRange(k, 1, k.length), it.value());
      }
    }
  }

  @Override
  public void scanEdgeLent(Resolution resolution, long fromMs, long toMs, LentSink sink) {
    if (toMs <= fromMs) {
      return;
    }
    byte prefix = resolution == null ? EDGE : resolution.prefix;
    byte[] key = new byte[256];
    byte[] value = new byte[4096];
    // Graph readers keep what they decode (DecodedPieces), so the blocks of a scan are not read again soon:
    // caching them cost more than it saved (inserting and evicting each block: 5-45 % more time per record in an
    // interleaved scan of 55,000 records) and pushed out the blocks the writer's point lookups reuse.
    try (Slice upperSlice = new Slice(timePrefix(prefix, toMs));
        ReadOptions ro = new ReadOptions().setIterateUpperBound(upperSlice).setFillCache(false);
        RocksIterator it = db.newIterator(ro)) {
      for (it.seek(timePrefix(prefix, Math.max(0, fromMs))); it.isValid(); it.next()) {
        int k = it.key(key);
        if (k > key.length) {
          key = new byte[Math.max(k, 2 * key.length)];
          it.key(key);
        }
        int v = it.value(value);
        if (v > value.length) {
          value = new byte[Math.max(v, 2 * value.length)];
          it.value(value);
        }
        // The order key without its one-byte prefix, as scanEdgeBytes gives it: shifted in place.
        System.arraycopy(key, 1, key, 0, k - 1);
        sink.accept(key, k - 1, value, v);
      }
    }
  }

  @Override
  public void scanServices(long fromMs, long toMs, Consumer<ServiceAggregate> sink) {
    scanTime(SERVICE, fromMs, toMs, v -> sink.accept(parseServiceOrThrow(v)));
  }

  private void scanTime(byte prefix, long fromMs, long toMs, Consumer<byte[]> sink) {
    if (toMs <= fromMs) {
      return;
    }
    byte[] lower = timePrefix(prefix, Math.max(0, fromMs));
    byte[] upper = timePrefix(prefix, toMs);
    try (Slice upperSlice = new Slice(upper);
        ReadOptions ro = new ReadOptions().setIterateUpperBound(upperSlice);
        RocksIterator it = db.newIterator(ro)) {
      for (it.seek(lower); it.isValid(); it.next()) {
        sink.accept(it.value());
      }
    }
  }

  @Override
  public void scanEdgeTotals(Consumer<EdgeAggregate> sink) {
    scanPrefix(new byte[] {EDGE_TOTAL}, (k, v) -> sink.accept(parseEdgeOrThrow(v)));
  }

  @Override
  public void scanServiceTotals(Consumer<ServiceAggregate> sink) {
    scanPrefix(new byte[] {SERVICE_TOTAL}, (k, v) -> sink.accept(parseServiceOrThrow(v)));
  }

  @Override
  public List<SloStatusRecord> sloStatuses() {
    List<SloStatusRecord> out = new ArrayList<>();
    scanPrefix(new byte[] {SLO_STATUS}, (k, v) -> {
      try {
        out.add(SloStatusRecord.parseFrom(v));
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("corrupt SLO status in store", e);
      }
    });
    return out;
  }

  @Override
  public Optional<SloStatusRecord> sloStatus(String name) {
    try {
      byte[] v = db.get(prefixed(SLO_STATUS, utf8(name)));
      return v == null ? Optional.empty() : Optional.of(SloStatusRecord.parseFrom(v));
    } catch (RocksDBException | InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot read SLO status " + name, e);
    }
  }

  @Override
  public List<SloAlertRecord> sloAlerts(String slo) {
    List<SloAlertRecord> out = new ArrayList<>();
    byte[] name = utf8(slo);
    byte[] prefix = ByteBuffer.allocate(name.length + 2).put(SLO_ALERT).put(name).put((byte) 0).array();
    scanPrefix(prefix, (k, v) -> {
      try {
        out.add(SloAlertRecord.parseFrom(v));
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("corrupt SLO alert in store", e);
      }
    });
    return out;
  }

  @Override
  public Map<String, Long> offsets() {
    Map<String, Long> out = new LinkedHashMap<>();
    scanPrefix(new byte[] {OFFSET}, (k, v) ->
        out.put(new String(k, 1, k.length - 1, StandardCharsets.UTF_8), ByteBuffer.wrap(v).getLong()));
    return out;
  }

  @Override
  public Freshness freshness() {
    return freshness;
  }

  // ---- change tracking for readers that cache what they decoded (bumped after the data is committed) ----

  private final AtomicLong generation = new AtomicLong();
  /** Per bucket ({@link #bucketId}): the generation of its last change. */
  private final ConcurrentHashMap<Long, Long> bucketChangedAt = new ConcurrentHashMap<>();
  private volatile Retained retained = new Retained(Long.MIN_VALUE, 0);
  private volatile long allEdgesChangedAt;

  private record Retained(long cutoffMs, long generation) {}

  /** Room for every resolution and the minute in the low bits of a bucket's id. */
  private static final int BUCKET_KINDS = 8;

  /** start * 8 + resolution ordinal, 7 for a minute. */
  private static long bucketId(Resolution r, long bucketStart) {
    return bucketStart * BUCKET_KINDS + (r == null ? BUCKET_KINDS - 1 : r.ordinal());
  }

  private void edgeBucketsChanged(StoreBatch batch, List<Long> closedRollups) {
    if (batch.edges.isEmpty()) {
      bucketsChanged(closedRollups);
      return;
    }
    long g = generation.incrementAndGet();
    long previousMinute = Long.MIN_VALUE;
    for (StoreBatch.EdgeWrite w : batch.edges) {
      long minute = Math.floorDiv(w.sums().windowStart, MINUTE_MS) * MINUTE_MS;
      // A batch holds long runs of one minute: mark each run once.
      if (minute == previousMinute) {
        continue;
      }
      previousMinute = minute;
      bucketChangedAt.put(bucketId(null, minute), g);
      for (Resolution r : Resolution.values()) {
        bucketChangedAt.put(bucketId(r, r.bucketOf(minute)), g);
      }
    }
    for (Long id : closedRollups) {
      bucketChangedAt.put(id, g);
    }
  }

  private void bucketsChanged(List<Long> ids) {
    if (ids.isEmpty()) {
      return;
    }
    long g = generation.incrementAndGet();
    for (Long id : ids) {
      bucketChangedAt.put(id, g);
    }
  }

  private void edgesRetainedFrom(long cutoffMs) {
    long g = generation.incrementAndGet();
    retained = new Retained(Math.max(cutoffMs, retained.cutoffMs()), g);
    // Buckets starting before the cutoff are judged by the retention record from now on.
    bucketChangedAt.keySet().removeIf(id -> Math.floorDiv(id, BUCKET_KINDS) < cutoffMs);
  }

  private static final long MINUTE_MS = 60_000L;

  @Override
  public long edgeGeneration() {
    return generation.get();
  }

  @Override
  public boolean edgeBucketUnchangedSince(Resolution resolution, long bucketStartMs, long since) {
    if (since < allEdgesChangedAt) {
      return false;
    }
    Retained r = retained;
    if (since < r.generation() && bucketStartMs < r.cutoffMs()) {
      return false;
    }
    Long changed = bucketChangedAt.get(bucketId(resolution, bucketStartMs));
    return changed == null || changed <= since;
  }

  @Override
  public int decodedEdgeBucket(Resolution resolution, long bucketStartMs, byte[] into) {
    try {
      int length = db.get(decodedKey(bucketId(resolution, bucketStartMs)), into);
      return length == RocksDB.NOT_FOUND ? -1 : length;
    } catch (RocksDBException e) {
      throw new IllegalStateException("cannot read a pre-decoded bucket: " + e.getMessage(), e);
    }
  }

  /**
   * Under the write lock, so no change can fall between the check and the put: a change made before it fails the
   * check, one made after deletes the entry.
   */
  @Override
  public boolean putDecodedEdgeBucket(Resolution resolution, long bucketStartMs, long generation, byte[] value) {
    synchronized (writeLock) {
      if (storeClosed || generation < 0 || !edgeBucketUnchangedSince(resolution, bucketStartMs, generation)) {
        return false;
      }
      try {
        db.put(writeOptions, decodedKey(bucketId(resolution, bucketStartMs)), value);
        return true;
      } catch (RocksDBException e) {
        throw new IllegalStateException("cannot store a pre-decoded bucket: " + e.getMessage(), e);
      }
    }
  }

  /** The key of the pre-decoded bucket numbered {@link #bucketId}. */
  private static byte[] decodedKey(long bucketId) {
    return ByteBuffer.allocate(10).put(DECODED).putLong(Math.floorDiv(bucketId, BUCKET_KINDS))
        .put((byte) Math.floorMod(bucketId, BUCKET_KINDS)).array();
  }

  /** Deletes, in {@code wb}, the pre-decoded form of every bucket the batch changes (as {@link #edgeBucketsChanged}). */
  private static void forgetDecoded(StoreBatch batch, List<Long> closedRollups, BatchBytes wb) {
    long previousMinute = Long.MIN_VALUE;
    java.util.Set<Long> minutes = new java.util.HashSet<>();
    for (StoreBatch.EdgeWrite w : batch.edges) {
      long minute = Math.floorDiv(w.sums().windowStart, MINUTE_MS) * MINUTE_MS;
      if (minute == previousMinute || !minutes.add(minute)) {
        continue;
      }
      previousMinute = minute;
      wb.delete(decodedKey(bucketId(null, minute)));
      for (Resolution r : Resolution.values()) {
        wb.delete(decodedKey(bucketId(r, r.bucketOf(minute))));
      }
    }
    for (Long id : closedRollups) {
      wb.delete(decodedKey(id));
    }
  }

  @Override
  public long deleteOlderThan(long cutoffMs) {
    long[] alertsDeleted = {0};
    synchronized (writeLock) {
      try {
        // One batch: the picked minutes about to go leave the roll-ups the cutoff cuts through, roll-ups wholly
        // before the cutoff go with their minutes, so a roll-up never holds a minute the store no longer has.
        try {
          BatchBytes wb = new BatchBytes(64);
          List<Dirty> dirty = new ArrayList<>();
          long epoch = ++writeEpoch;
          // Every minute then sits in all its roll-ups, so taking one out takes it out of each.
          foldClosed(Long.MAX_VALUE, epoch, dirty);
          scanPicked(Resolution.HOUR.bucketOf(cutoffMs), cutoffMs, (hop, source, m) -> {
            for (Resolution r : Resolution.values()) {
              long bucket = r.bucketOf(m.windowStart);
              if (r.holds(bucket, m.windowStart, m.windowEnd) && bucket + r.millis > cutoffMs) {
                EdgeSums acc = rollup(r, bucket, hop, source, m, epoch, dirty, null);
                acc.add(m, -1);
                acc.minutes--;
              }
            }
          });
          putRollups(dirty, rollupsComplete, wb, new ArrayList<>());
          scanServicesPicked(Resolution.HOUR.bucketOf(cutoffMs), cutoffMs,
              (key, m) -> serviceRollups.minuteRemoved(key, m, cutoffMs, k -> dbGet(k)));
          serviceRollups.flushTo(wb);
          wb.deleteRange(timePrefix(EDGE, 0), timePrefix(EDGE, cutoffMs));
          // Buckets starting before the cutoff lose minutes, or are cut through (their roll-ups change above).
          wb.deleteRange(timePrefix(DECODED, 0), timePrefix(DECODED, cutoffMs));
          wb.deleteRange(timePrefix(SERVICE, 0), timePrefix(SERVICE, cutoffMs));
          for (Resolution r : Resolution.values()) {
            wb.deleteRange(timePrefix(r.prefix, 0), timePrefix(r.prefix, r.bucketOf(cutoffMs)));
          }
          for (Resolution r : Resolution.SERVICE_LEVELS) {
            byte sp = ServiceRollups.prefix(r);
            wb.deleteRange(timePrefix(sp, 0), timePrefix(sp, r.bucketOf(cutoffMs)));
          }
          commit(wb);
          edgesRetainedFrom(cutoffMs);
        } catch (RocksDBException | RuntimeException e) {
          serviceRollups.reset();
          resetCaches();
          throw e;
        }
        serviceRollups.retainFrom(cutoffMs);
        // Roll-ups wholly before the cutoff were deleted with their minutes: none may be written back.
        rollups.values().removeIf(acc -> acc.windowEnd <= cutoffMs && acc.drop());
        unwritten.values().removeIf(acc -> acc.windowEnd <= cutoffMs);
        floorMark = Math.max(floorMark, cutoffMs);
        List<byte[]> old = new ArrayList<>();
        scanPrefix(new byte[] {SLO_ALERT}, (k, v) -> {
          try {
            if (SloAlertRecord.parseFrom(v).getTransitionUnixMs() < cutoffMs) {
              old.add(k);
            }
          } catch (InvalidProtocolBufferException e) {
            old.add(k);
          }
        });
        for (byte[] k : old) {
          db.delete(writeOptions, k);
        }
        alertsDeleted[0] = old.size();
      } catch (RocksDBException e) {
        throw new IllegalStateException("retention sweep failed: " + e.getMessage(), e);
      }
    }
    return alertsDeleted[0];
  }

  /** Builds the service roll-ups from the stored service minutes when the store predates them. */
  private void ensureServiceRollups() {
    try {
      if (db.get(SERVICE_ROLLUPS_KEY) != null) {
        return;
      }
      synchronized (writeLock) {
        for (Resolution r : Resolution.SERVICE_LEVELS) {
          byte sp = ServiceRollups.prefix(r);
          db.deleteRange(writeOptions, timePrefix(sp, 0), timePrefix(sp, Long.MAX_VALUE));
        }
        serviceRollups.reset();
        // Minutes come in time order: flushed every few thousand roll-ups, so memory stays bounded.
        RocksDBException[] failed = {null};
        scanServicesPicked(0, Long.MAX_VALUE, (key, m) -> {
          serviceRollups.minutePicked(key, m, k -> dbGet(k));
          if (serviceRollups.pending() >= 5_000 && failed[0] == null) {
            try {
              BatchBytes wb = new BatchBytes(serviceRollups.pending());
              serviceRollups.flushTo(wb);
              commit(wb);
            } catch (RocksDBException e) {
              failed[0] = e;
            }
          }
        });
        if (failed[0] != null) {
          throw failed[0];
        }
        BatchBytes wb = new BatchBytes(serviceRollups.pending() + 1);
        serviceRollups.flushTo(wb);
        wb.put(SERVICE_ROLLUPS_KEY, new byte[] {1});
        commit(wb);
        serviceRollups.reset();
      }
    } catch (RocksDBException e) {
      throw new IllegalStateException("cannot build service roll-ups: " + e.getMessage(), e);
    }
  }

  private byte[] dbGet(byte[] key) {
    try {
      return db.get(key);
    } catch (RocksDBException e) {
      throw new IllegalStateException("cannot read store: " + e.getMessage(), e);
    }
  }

  private interface ServicePickedSink {
    void accept(byte[] key, ServiceAggregate minute);
  }

  /**
   * The stored service minutes starting in [fromMs, toMs), one per key and minute: the record of the highest
   * telemetry source, as a services query picks it (records of one key and minute are adjacent, sources ascending).
   */
  private void scanServicesPicked(long fromMs, long toMs, ServicePickedSink sink) {
    byte[][] run = new byte[2][];
    EntrySink emit = (k, v) -> sink.accept(Arrays.copyOfRange(k, 9, k.length - 2), parseServiceOrThrow(v));
    byte[] upper = timePrefix(SERVICE, toMs);
    try (Slice upperSlice = new Slice(upper);
        ReadOptions ro = new ReadOptions().setIterateUpperBound(upperSlice);
        RocksIterator it = db.newIterator(ro)) {
      for (it.seek(timePrefix(SERVICE, Math.max(0, fromMs))); it.isValid(); it.next()) {
        byte[] k = it.key();
        boolean sameRun = run[0] != null && run[0].length == k.length && Arrays.equals(run[0], 0, k.length - 1, k, 0, k.length - 1);
        if (!sameRun && run[0] != null) {
          emit.accept(run[0], run[1]);
        }
        run[0] = k;
        run[1] = it.value();
      }
    }
    if (run[0] != null) {
      emit.accept(run[0], run[1]);
    }
  }

  @Override
  public boolean hasServiceRollups() {
    return true;
  }

  @Override
  public void scanServiceRollups(Resolution resolution, long fromMs, long toMs, String name,
      Consumer<ServiceAggregate> sink) {
    byte[] utf8 = name == null ? null : utf8(name);
    scanTime(ServiceRollups.prefix(resolution), fromMs, toMs, v -> {
      if (utf8 == null || ServiceRollups.mayName(v, 4, utf8)) {
        sink.accept(ServiceRollups.value(v));
      }
    });
  }

  @Override
  public void scanServices(long fromMs, long toMs, String name, Consumer<ServiceAggregate> sink) {
    byte[] utf8 = name == null ? null : utf8(name);
    scanTime(SERVICE, fromMs, toMs, v -> {
      if (utf8 == null || ServiceRollups.mayName(v, 0, utf8)) {
        sink.accept(parseServiceOrThrow(v));
      }
    });
  }

  /** Builds the roll-ups from the stored minutes when the store predates them or their current layout. */
  private void ensureRollups() {
    try {
      byte[] layout = db.get(ROLLUPS_KEY);
      if (layout == null || layout.length != 1 || layout[0] != ROLLUP_LAYOUT) {
        org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RocksTopologyStore.class);
        log.info("building edge roll-ups (layout {}) from the stored minutes: the store has {}", ROLLUP_LAYOUT,
            layout == null ? "none" : "layout " + Arrays.toString(layout));
        long started = System.nanoTime();
        synchronized (writeLock) {
          rebuildRollups(0, Long.MAX_VALUE);
          db.put(writeOptions, ROLLUPS_KEY, new byte[] {ROLLUP_LAYOUT});
        }
        log.info("edge roll-ups built in {} ms", (System.nanoTime() - started) / 1_000_000);
      }
    } catch (RocksDBException e) {
      throw new IllegalStateException("cannot build roll-ups: " + e.getMessage(), e);
    }
  }

  /**
   * Recomputes every roll-up bucket starting in [fromMs, toMs) (hour-aligned) from the stored minutes:
   * per (hop, minute) the record of the highest source, as the incremental path and the query pick it.
   * Works an hour at a time, so memory stays at one hour of hops. Caller holds writeLock.
   */
  void rebuildRollups(long fromMs, long toMs) throws RocksDBException {
    synchronized (writeLock) {
      try {
        rebuildRollupsLocked(fromMs, toMs);
      } finally {
        allEdgesChangedAt = generation.incrementAndGet();
      }
    }
  }

  private void rebuildRollupsLocked(long fromMs, long toMs) throws RocksDBException {
    {
      db.deleteRange(writeOptions, new byte[] {DECODED}, new byte[] {DECODED + 1});
      for (Resolution r : Resolution.values()) {
        db.deleteRange(writeOptions, timePrefix(r.prefix, fromMs), timePrefix(r.prefix, toMs));
      }
      Map<Key, EdgeSums> hour = new LinkedHashMap<>();
      long[] currentHour = {Long.MIN_VALUE};
      RocksDBException[] failed = {null};
      scanPicked(fromMs, toMs, (hop, source, m) -> {
        long h = Resolution.HOUR.bucketOf(m.windowStart);
        if (h != currentHour[0]) {
          try {
            writeRollups(hour);
          } catch (RocksDBException e) {
            failed[0] = e;
          }
          currentHour[0] = h;
        }
        for (Resolution r : Resolution.values()) {
          long bucket = r.bucketOf(m.windowStart);
          if (r.holds(bucket, m.windowStart, m.windowEnd)) {
            EdgeSums acc = hour.computeIfAbsent(new Key(timeKey(r.prefix, bucket, hop, new byte[] {(byte) source})),
                k -> EdgeSums.emptyLike(m, bucket, bucket + r.millis));
            acc.source = source;
            acc.add(m, 1);
            acc.minutes++;
            acc.header = m.header;
          }
        }
      });
      if (failed[0] != null) {
        throw failed[0];
      }
      writeRollups(hour);
      resetCaches();
    }
  }

  /** Forgets every cached roll-up and hop; the next writes read what they need from the store. */
  private void resetCaches() {
    reloadOpenRollups();
  }

  private interface PickedSink {
    void accept(byte[] hop, int source, EdgeSums minute);
  }

  /**
   * The stored edge minutes starting in [fromMs, toMs), one per hop and minute: the record of the highest
   * telemetry source, as a graph picks it. Records of one hop and minute are adjacent, sources ascending.
   */
  private void scanPicked(long fromMs, long toMs, PickedSink sink) {
    byte[][] run = new byte[2][];
    RawSink emit = (order, value) -> sink.accept(Arrays.copyOfRange(order, 8, order.length - 2),
        order[order.length - 1] & 0xff, EdgeSums.decode(value));
    scanEdgeBytes(fromMs, toMs, (order, value) -> {
      boolean sameRun = run[0] != null && run[0].length == order.length
          && Arrays.equals(run[0], 0, order.length - 1, order, 0, order.length - 1);
      if (!sameRun && run[0] != null) {
        emit.accept(run[0], run[1]);
      }
      run[0] = order;
      run[1] = value;
    });
    if (run[0] != null) {
      emit.accept(run[0], run[1]);
    }
  }

  /**
   * Adds each unfolded 5-minute roll-up ending at or before {@code complete} to its coarser roll-ups,
   * listing those in {@code dirty}: before a bucket is written, or before a minute is taken out of the coarser ones.
   */
  private void foldClosed(long complete, long epoch, List<Dirty> dirty) {
    for (var it = unfolded.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Key, EdgeSums> u = it.next();
      EdgeSums five = u.getValue();
      if (five.windowEnd > complete) {
        continue;
      }
      it.remove();
      five.folded = true;
      if (five.dropped) {
        continue;
      }
      byte[] k = u.getKey().bytes;
      byte[] hop = Arrays.copyOfRange(k, 9, k.length - 2);
      for (Resolution r : Resolution.values()) {
        long bucket = r.bucketOf(five.windowStart);
        if (r == Resolution.FIVE_MINUTES || !r.holds(bucket, five.windowStart, five.windowEnd)) {
          continue;
        }
        EdgeSums acc = rollup(r, bucket, hop, five.source, five, epoch, dirty, null);
        acc.add(five, 1);
        acc.minutes += five.minutes;
        if (five.headerSeq > acc.headerSeq) {
          acc.header = five.header;
          acc.headerSeq = five.headerSeq;
        }
      }
    }
  }

  /** Writes the changed roll-ups of buckets ending at or before {@code complete}; keeps the others for their close. */
  private void putRollups(List<Dirty> dirty, long complete, BatchBytes wb, List<Long> written) throws RocksDBException {
    for (Dirty r : dirty) {
      EdgeSums acc = r.sums();
      if (acc.windowEnd <= complete) {
        putOrDelete(r.key(), acc, wb);
        unwritten.remove(r.key());
        written.add(bucketId(resolutionOf(r.key()), acc.windowStart));
      } else {
        unwritten.put(r.key(), acc);
        unwrittenMinEnd = Math.min(unwrittenMinEnd, acc.windowEnd);
      }
    }
  }

  /** A roll-up left without minutes (its last was replaced by another source's) is deleted. */
  private void putOrDelete(Key key, EdgeSums acc, BatchBytes wb) throws RocksDBException {
    if (acc.minutes <= 0) {
      wb.delete(key.bytes);
      EdgeSums held = rollups.remove(key);
      if (held != null) {
        held.drop();
      }
    } else {
      wb.put(key.bytes, acc.encode());
    }
  }

  private void writeRollups(Map<Key, EdgeSums> sums) throws RocksDBException {
    if (sums.isEmpty()) {
      return;
    }
    try (WriteBatch wb = new WriteBatch()) {
      for (Map.Entry<Key, EdgeSums> e : sums.entrySet()) {
        wb.put(e.getKey().bytes, e.getValue().encode());
      }
      db.write(writeOptions, wb);
    }
    sums.clear();
  }

  @Override
  public void close() {
    synchronized (writeLock) {
      if (storeClosed) {
        return;
      }
      storeClosed = true;
      // Without a write-ahead log, what is only in the memtable must be flushed or the next open re-reads it.
      try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
        db.flush(flush);
      } catch (RocksDBException e) {
        org.slf4j.LoggerFactory.getLogger(RocksTopologyStore.class).warn("topology store flush on close failed: {}", e.getMessage());
      }
      db.close();
      writeOptions.close();
      options.close();
      cache.close();
    }
  }

  private interface EntrySink {
    void accept(byte[] key, byte[] value);
  }

  private void scanPrefix(byte[] prefix, EntrySink sink) {
    byte[] upper = Arrays.copyOf(prefix, prefix.length);
    upper[upper.length - 1]++;
    try (Slice upperSlice = new Slice(upper);
        ReadOptions ro = new ReadOptions().setIterateUpperBound(upperSlice);
        RocksIterator it = db.newIterator(ro)) {
      for (it.seek(prefix); it.isValid(); it.next()) {
        sink.accept(it.key(), it.value());
      }
    }
  }

  private Freshness readFreshness() {
    try {
      byte[] v = db.get(FRESHNESS_KEY);
      if (v == null || v.length != 24) {
        return Freshness.EMPTY;
      }
      ByteBuffer b = ByteBuffer.wrap(v);
      return new Freshness(b.getLong(), b.getLong(), b.getLong());
    } catch (RocksDBException e) {
      throw new IllegalStateException("cannot read store freshness", e);
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] timePrefix(byte prefix, long timeMs) {
    return ByteBuffer.allocate(9).put(prefix).putLong(timeMs).array();
  }

  private static byte[] timeKey(byte prefix, long timeMs, byte[] name, byte[] suffix) {
    return ByteBuffer.allocate(9 + name.length + 1 + suffix.length)
        .put(prefix).putLong(timeMs).put(name).put((byte) 0).put(suffix).array();
  }

  /** The key of an edge minute window: edge prefix, window start, hop, 0, telemetry source. */
  static byte[] edgeMinuteKey(long windowStart, byte[] hop, int source) {
    return timeKey(EDGE, windowStart, hop, new byte[] {(byte) source});
  }

  private static byte[] nameKey(byte prefix, byte[] name, byte[] suffix) {
    return ByteBuffer.allocate(1 + name.length + 1 + suffix.length).put(prefix).put(name).put((byte) 0).put(suffix).array();
  }

  private static byte[] prefixed(byte prefix, byte[] name) {
    return ByteBuffer.allocate(1 + name.length).put(prefix).put(name).array();
  }

  private static byte[] alertKey(SloAlertRecord a) {
    byte[] slo = utf8(a.getSlo());
    byte[] alert = utf8(a.getAlert().getName());
    return ByteBuffer.allocate(1 + slo.length + 1 + 8 + alert.length)
        .put(SLO_ALERT).put(slo).put((byte) 0).putLong(a.getTransitionUnixMs()).put(alert).array();
  }

  private static ServiceAggregate parseService(byte[] v) {
    return v == null ? null : parseServiceOrThrow(v);
  }

  private static EdgeAggregate parseEdgeOrThrow(byte[] v) {
    try {
      return EdgeAggregate.parseFrom(v);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt edge aggregate in store", e);
    }
  }

  static ServiceAggregate parseServiceOrThrow(byte[] v) {
    try {
      return ServiceAggregate.parseFrom(v);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt service aggregate in store", e);
    }
  }

  /** Byte-array key with value equality, for the in-batch overlay and the roll-up maps; the hash is computed once. */
  static final class Key {
    final byte[] bytes;
    private final int hash;

    Key(byte[] bytes) {
      this.bytes = bytes;
      this.hash = Arrays.hashCode(bytes);
    }

    @Override
    public boolean equals(Object o) {
      return this == o || o instanceof Key k && k.hash == hash && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public String toString() {
      return Arrays.toString(bytes);
    }
  }
}
