package io.switchyard.topology.store;

import com.google.protobuf.InvalidProtocolBufferException;
import io.switchyard.model.LatencyBuckets;
import io.switchyard.model.v1.CodeCount;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.LatencyHistogram;
import io.switchyard.model.v1.ServiceAggregate;
import io.switchyard.model.v1.SloAlertRecord;
import io.switchyard.model.v1.SloStatusRecord;
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
import java.util.function.Consumer;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.CompressionType;
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
  private final Map<Key, EdgeAggregate> edgeTotals = new HashMap<>();
  private final Map<Key, ServiceAggregate> serviceTotals = new HashMap<>();
  private static final int MAX_CACHED_TOTALS = 200_000;

  private RocksTopologyStore(RocksDB db, Options options, LRUCache cache) {
    this.db = db;
    this.options = options;
    this.cache = cache;
    // Offsets travel in the same write batch as the data, so whatever survives a crash resumes consistently
    // from Kafka; an fsync per batch would buy nothing.
    this.writeOptions = new WriteOptions().setSync(false);
    this.freshness = readFreshness();
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
        .setMaxBackgroundJobs(2);
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
        for (StoreBatch.Keyed<EdgeAggregate> k : batch.edges) {
          EdgeAggregate e = k.value();
          byte[] source = {(byte) e.getSourceValue()};
          byte[] name = utf8(k.key());
          Key windowKey = new Key(timeKey(EDGE, e.getWindowStartUnixMs(), name, source));
          Key totalKey = new Key(nameKey(EDGE_TOTAL, name, source));
          EdgeAggregate old = parseEdge(lookup(pending, windowKey));
          EdgeAggregate total = edgeTotals.get(totalKey);
          if (total == null) {
            total = parseEdge(db.get(totalKey.bytes));
          }
          byte[] value = e.toByteArray();
          EdgeAggregate updated = edgeTotal(total, old, e);
          pending.put(windowKey, value);
          cacheTotal(edgeTotals, totalKey, updated);
          wb.put(windowKey.bytes, value);
          wb.put(totalKey.bytes, updated.toByteArray());
          fresh = fresh.advance(e.getWindowStartUnixMs(), e.getWindowEndUnixMs(), e.getEmittedUnixMs());
        }
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
        freshness = fresh;
      } catch (RocksDBException | RuntimeException e) {
        // The cache may now hold totals the store never received.
        edgeTotals.clear();
        serviceTotals.clear();
        if (e instanceof RuntimeException r) {
          throw r;
        }
        throw new IllegalStateException("topology store write failed: " + e.getMessage(), e);
      }
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

  static EdgeAggregate edgeTotal(EdgeAggregate total, EdgeAggregate old, EdgeAggregate now) {
    EdgeAggregate.Builder b = (total == null ? EdgeAggregate.getDefaultInstance() : total).toBuilder();
    b.setSchemaVersion(now.getSchemaVersion())
        .setClient(now.getClient())
        .setServer(now.getServer())
        .setSource(now.getSource())
        .setConnectionType(now.getConnectionType())
        .setProtocol(now.getProtocol())
        .setRequestCount(b.getRequestCount() + now.getRequestCount() - (old == null ? 0 : old.getRequestCount()))
        .setFailedCount(b.getFailedCount() + now.getFailedCount() - (old == null ? 0 : old.getFailedCount()))
        .setClientLatency(addHistogram(b.getClientLatency(), now.getClientLatency(), old == null ? null : old.getClientLatency()))
        .setServerLatency(addHistogram(b.getServerLatency(), now.getServerLatency(), old == null ? null : old.getServerLatency()))
        .setEmittedUnixMs(Math.max(b.getEmittedUnixMs(), now.getEmittedUnixMs()))
        .setWindowEndUnixMs(Math.max(b.getWindowEndUnixMs(), now.getWindowEndUnixMs()));
    if (total == null || now.getWindowStartUnixMs() < b.getWindowStartUnixMs()) {
      b.setWindowStartUnixMs(now.getWindowStartUnixMs());
    }
    List<CodeCount> codes = addCodes(b.getResponsesList(), now.getResponsesList(), old == null ? List.of() : old.getResponsesList());
    List<CodeCount> flags = addCodes(b.getResponseFlagsList(), now.getResponseFlagsList(),
        old == null ? List.of() : old.getResponseFlagsList());
    return b.clearResponses().addAllResponses(codes).clearResponseFlags().addAllResponseFlags(flags).build();
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

  @Override
  public long deleteOlderThan(long cutoffMs) {
    long[] alertsDeleted = {0};
    synchronized (writeLock) {
      try {
        db.deleteRange(timePrefix(EDGE, 0), timePrefix(EDGE, cutoffMs));
        db.deleteRange(timePrefix(SERVICE, 0), timePrefix(SERVICE, cutoffMs));
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
          db.delete(k);
        }
        alertsDeleted[0] = old.size();
      } catch (RocksDBException e) {
        throw new IllegalStateException("retention sweep failed: " + e.getMessage(), e);
      }
    }
    return alertsDeleted[0];
  }

  @Override
  public void close() {
    synchronized (writeLock) {
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

  private static EdgeAggregate parseEdge(byte[] v) {
    return v == null ? null : parseEdgeOrThrow(v);
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
