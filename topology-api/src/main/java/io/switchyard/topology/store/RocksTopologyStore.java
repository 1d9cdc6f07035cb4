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
  private static final byte[] FRESHNESS_KEY = {'m', 'f'};
  /** Present once the roll-ups hold every stored minute; a store written before roll-ups existed lacks it. */
  private static final byte[] ROLLUPS_KEY = {'m', 'r'};
  private static final int MAX_SOURCE = TelemetrySource.TELEMETRY_SOURCE_MESH_VALUE;
  private static final int MAX_CACHED_ROLLUPS = 60_000;

  static {
    RocksDB.loadLibrary();
  }

  private final RocksDB db;
  private final Options options;
  private final LRUCache cache;
  private final WriteOptions writeOptions;
  private final Object writeLock = new Object();
  private volatile Freshness freshness;
  /**
   * Totals are read back on every write of their edge or service; keeping the decoded newest version here
   * (guarded by writeLock, written through to the store) saves a read and a decode per record.
   */
  private final Map<Key, ServiceAggregate> serviceTotals = new HashMap<>();
  private static final int MAX_CACHED_TOTALS = 200_000;
  private final Map<Key, EdgeSums> edgeSumTotals = new HashMap<>();
  /** Roll-up windows being filled, decoded; guarded by writeLock and written through with every batch. */
  private final Map<Key, EdgeSums> rollups = new HashMap<>();
  /** Newest minute written per hop since {@link #floorMark} was set. */
  private final Map<Key, Long> lastWritten = new HashMap<>();
  /**
   * No stored edge minute and no stored roll-up window starts at or after this time unless written since
   * it was set (and then it is in {@link #lastWritten} or {@link #rollups}). Lets the common case, a new
   * minute of a hop, skip every point lookup. Long.MAX_VALUE disables the shortcut.
   */
  private long floorMark;

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
    ensureRollups();
  }

  /** Opens (creating when missing) the store in {@code dir}. A new store has no offsets: it is rebuilt from Kafka. */
  public static RocksTopologyStore open(Path dir) {
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
      try (WriteBatch wb = new WriteBatch()) {
        Map<Key, EdgeSums> dirtyTotals = new LinkedHashMap<>();
        Map<Key, EdgeSums> dirtyRollups = new LinkedHashMap<>();
        for (StoreBatch.EdgeWrite w : batch.edges) {
          writeEdge(w, pending, dirtyTotals, dirtyRollups, wb);
          EdgeSums e = w.sums();
          fresh = fresh.advance(e.windowStart, e.windowEnd, e.emitted);
        }
        for (Map.Entry<Key, EdgeSums> t : dirtyTotals.entrySet()) {
          wb.put(t.getKey().bytes, t.getValue().encode());
        }
        putRollups(dirtyRollups, wb);
        for (StoreBatch.Keyed<ServiceAggregate> k : batch.services) {
          ServiceAggregate s = k.value();
          byte[] source = {(byte) s.getSourceValue()};
          byte[] name = utf8(k.key());
          Key windowKey = new Key(timeKey(SERVICE, s.getWindowStartUnixMs(), name, source));
          Key totalKey = new Key(nameKey(SERVICE_TOTAL, name, source));
          ServiceAggregate old = parseService(lookup(pending, windowKey));
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
        db.write(writeOptions, wb);
        edgeBucketsChanged(batch);
        freshness = fresh;
        trimCaches(fresh);
      } catch (RocksDBException | RuntimeException e) {
        // The caches may now hold sums the store never received.
        serviceTotals.clear();
        edgeSumTotals.clear();
        rollups.clear();
        lastWritten.clear();
        floorMark = Long.MAX_VALUE;
        if (e instanceof RuntimeException r) {
          throw r;
        }
        throw new IllegalStateException("topology store write failed: " + e.getMessage(), e);
      }
    }
  }

  /**
   * Stores one edge minute, moves its hop's totals by (new - replaced) and keeps the roll-ups equal to the
   * sum, per hop and bucket, of the minute windows a query would pick: per (hop, minute) the record of the
   * highest telemetry source (mesh over trace). A roll-up is kept per picked source, so a re-emitted minute
   * or a mesh minute arriving after its trace minute moves the sums by exactly what it replaced.
   */
  private void writeEdge(StoreBatch.EdgeWrite w, Map<Key, byte[]> pending, Map<Key, EdgeSums> dirtyTotals,
      Map<Key, EdgeSums> dirtyRollups, WriteBatch wb) throws RocksDBException {
    EdgeSums now = w.sums();
    byte[] hop = w.hop();
    int source = now.source & 0xff;
    long start = now.windowStart;
    Key hopKey = new Key(hop);
    Long last = lastWritten.get(hopKey);
    boolean known = start >= floorMark && (last == null || start > last);
    Key windowKey = new Key(timeKey(EDGE, start, hop, new byte[] {(byte) source}));
    EdgeSums old = known ? null : decodeOrNull(lookup(pending, windowKey));

    Key totalKey = new Key(nameKey(EDGE_TOTAL, hop, new byte[] {(byte) source}));
    EdgeSums total = edgeSumTotals.get(totalKey);
    if (total == null) {
      total = decodeOrNull(db.get(totalKey.bytes));
    }
    if (total == null) {
      total = EdgeSums.emptyLike(now, start, now.windowEnd);
    }
    total.add(now, 1);
    if (old != null) {
      total.add(old, -1);
    }
    total.header = now.header;
    total.windowStart = Math.min(total.windowStart, start);
    total.windowEnd = Math.max(total.windowEnd, now.windowEnd);
    if (edgeSumTotals.size() >= MAX_CACHED_TOTALS && !edgeSumTotals.containsKey(totalKey)) {
      edgeSumTotals.clear();
    }
    edgeSumTotals.put(totalKey, total);
    dirtyTotals.put(totalKey, total);

    boolean shadowed = false;
    for (int higher = source + 1; !known && higher <= MAX_SOURCE && !shadowed; higher++) {
      shadowed = lookup(pending, new Key(timeKey(EDGE, start, hop, new byte[] {(byte) higher}))) != null;
    }
    if (!shadowed) {
      EdgeSums displaced = old;
      int displacedSource = source;
      for (int lower = Math.min(source, MAX_SOURCE + 1) - 1; !known && displaced == null && lower >= 0; lower--) {
        displaced = decodeOrNull(lookup(pending, new Key(timeKey(EDGE, start, hop, new byte[] {(byte) lower}))));
        displacedSource = lower;
      }
      for (Resolution r : Resolution.values()) {
        long bucket = r.bucketOf(start);
        if (!r.holds(bucket, start, now.windowEnd)) {
          continue;
        }
        if (displaced != null) {
          EdgeSums acc = rollup(r, bucket, hop, displacedSource, displaced, dirtyRollups);
          acc.add(displaced, -1);
          acc.minutes--;
        }
        EdgeSums acc = rollup(r, bucket, hop, source, now, dirtyRollups);
        acc.add(now, 1);
        acc.minutes++;
        acc.header = now.header;
      }
    }
    pending.put(windowKey, w.value());
    if (last == null || start > last) {
      lastWritten.put(hopKey, start);
    }
    wb.put(windowKey.bytes, w.value());
  }

  private EdgeSums rollup(Resolution r, long bucket, byte[] hop, int source, EdgeSums like, Map<Key, EdgeSums> dirty) {
    Key k = new Key(timeKey(r.prefix, bucket, hop, new byte[] {(byte) source}));
    EdgeSums acc = rollups.get(k);
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
    }
    dirty.put(k, acc);
    return acc;
  }

  private static EdgeSums decodeOrNull(byte[] v) {
    return v == null ? null : EdgeSums.decode(v);
  }

  /**
   * Drops cached roll-ups of buckets that ended ten minutes before the newest window (late data for them
   * reads them back once) and raises {@link #floorMark} past them, so the shortcut stays sound.
   */
  private void trimCaches(Freshness fresh) {
    if (rollups.size() <= MAX_CACHED_ROLLUPS && lastWritten.size() <= MAX_CACHED_TOTALS) {
      return;
    }
    long threshold = fresh.newestWindowEndMs() - Resolution.TEN_MINUTES.millis;
    rollups.values().removeIf(acc -> acc.windowEnd <= threshold);
    floorMark = Math.max(floorMark, threshold);
    if (rollups.size() > MAX_CACHED_ROLLUPS / 2 || lastWritten.size() > MAX_CACHED_TOTALS) {
      rollups.clear();
      lastWritten.clear();
      floorMark = Math.max(floorMark, fresh.newestWindowEndMs());
    }
  }

  private static <T> void cacheTotal(Map<Key, T> cache, Key key, T value) {
    if (cache.size() >= MAX_CACHED_TOTALS && !cache.containsKey(key)) {
      cache.clear();
    }
    cache.put(key, value);
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
  public void scanEdgeRollupBytes(Resolution resolution, long fromMs, long toMs, RawSink sink) {
    if (toMs <= fromMs) {
      return;
    }
    try (Slice upperSlice = new Slice(timePrefix(resolution.prefix, toMs));
        ReadOptions ro = new ReadOptions().setIterateUpperBound(upperSlice);
        RocksIterator it = db.newIterator(ro)) {
      for (it.seek(timePrefix(resolution.prefix, Math.max(0, fromMs))); it.isValid(); it.next()) {
        byte[] k = it.key();
        sink.accept(Arrays.copyOfRange(k, 1, k.length), it.value());
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
  /** Per bucket (start * 4 + resolution ordinal, 3 = minute): the generation of its last change. */
  private final ConcurrentHashMap<Long, Long> bucketChangedAt = new ConcurrentHashMap<>();
  private volatile Retained retained = new Retained(Long.MIN_VALUE, 0);
  private volatile long allEdgesChangedAt;

  private record Retained(long cutoffMs, long generation) {}

  private static long bucketId(Resolution r, long bucketStart) {
    return bucketStart * 4 + (r == null ? 3 : r.ordinal());
  }

  private void edgeBucketsChanged(StoreBatch batch) {
    if (batch.edges.isEmpty()) {
      return;
    }
    long g = generation.incrementAndGet();
    for (StoreBatch.EdgeWrite w : batch.edges) {
      long start = w.sums().windowStart;
      bucketChangedAt.put(bucketId(null, Math.floorDiv(start, MINUTE_MS) * MINUTE_MS), g);
      for (Resolution r : Resolution.values()) {
        bucketChangedAt.put(bucketId(r, r.bucketOf(start)), g);
      }
    }
  }

  private void edgesRetainedFrom(long cutoffMs) {
    long g = generation.incrementAndGet();
    retained = new Retained(Math.max(cutoffMs, retained.cutoffMs()), g);
    // Buckets starting before the cutoff are judged by the retention record from now on.
    bucketChangedAt.keySet().removeIf(id -> Math.floorDiv(id, 4) < cutoffMs);
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
  public long deleteOlderThan(long cutoffMs) {
    long[] alertsDeleted = {0};
    synchronized (writeLock) {
      try {
        // One batch: the picked minutes about to go leave the roll-ups the cutoff cuts through, roll-ups wholly
        // before the cutoff go with their minutes, so a roll-up never holds a minute the store no longer has.
        try (WriteBatch wb = new WriteBatch()) {
          Map<Key, EdgeSums> dirty = new LinkedHashMap<>();
          scanPicked(Resolution.HOUR.bucketOf(cutoffMs), cutoffMs, (hop, source, m) -> {
            for (Resolution r : Resolution.values()) {
              long bucket = r.bucketOf(m.windowStart);
              if (r.holds(bucket, m.windowStart, m.windowEnd) && bucket + r.millis > cutoffMs) {
                EdgeSums acc = rollup(r, bucket, hop, source, m, dirty);
                acc.add(m, -1);
                acc.minutes--;
              }
            }
          });
          putRollups(dirty, wb);
          wb.deleteRange(timePrefix(EDGE, 0), timePrefix(EDGE, cutoffMs));
          wb.deleteRange(timePrefix(SERVICE, 0), timePrefix(SERVICE, cutoffMs));
          for (Resolution r : Resolution.values()) {
            wb.deleteRange(timePrefix(r.prefix, 0), timePrefix(r.prefix, r.bucketOf(cutoffMs)));
          }
          db.write(writeOptions, wb);
          edgesRetainedFrom(cutoffMs);
        } catch (RocksDBException | RuntimeException e) {
          resetCaches();
          throw e;
        }
        rollups.values().removeIf(acc -> acc.windowEnd <= cutoffMs);
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

  /** Builds the roll-ups from the stored minutes when the store predates them. */
  private void ensureRollups() {
    try {
      if (db.get(ROLLUPS_KEY) == null) {
        synchronized (writeLock) {
          rebuildRollups(0, Long.MAX_VALUE);
          db.put(writeOptions, ROLLUPS_KEY, new byte[] {1});
        }
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
    rollups.clear();
    lastWritten.clear();
    floorMark = freshness.newestWindowEndMs();
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

  private void putRollups(Map<Key, EdgeSums> dirty, WriteBatch wb) throws RocksDBException {
    for (Map.Entry<Key, EdgeSums> r : dirty.entrySet()) {
      if (r.getValue().minutes <= 0) {
        wb.delete(r.getKey().bytes);
        rollups.remove(r.getKey());
      } else {
        wb.put(r.getKey().bytes, r.getValue().encode());
      }
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

  private static ServiceAggregate parseServiceOrThrow(byte[] v) {
    try {
      return ServiceAggregate.parseFrom(v);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt service aggregate in store", e);
    }
  }

  /** Byte-array key with value equality, for the in-batch overlay. */
  private record Key(byte[] bytes) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
      return Arrays.toString(bytes);
    }
  }
}
