package io.switchyard.topology.store;

import com.google.protobuf.InvalidProtocolBufferException;
import io.switchyard.model.LatencyBuckets;
import io.switchyard.model.v1.CodeCount;
import io.switchyard.model.v1.LatencyHistogram;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.ServiceAggregate;
import io.switchyard.model.v1.TelemetrySource;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Roll-ups of the service minutes: per (resolution, bucket, service key, telemetry source) the sum of the minutes
 * a services query picks (per key and minute the record of the highest source, mesh over trace), kept equal to
 * the stored minutes in the same atomic batch that changes them. Service minutes are few (one per service, not
 * per hop), so unlike the edges' roll-ups these are written through with every batch instead of at bucket close:
 * a query may read any bucket's roll-up, open or closed.
 *
 * <p>Stored value: the minute count (4 bytes, big-endian), then the sum as a {@code ServiceAggregate} whose window
 * is the bucket. Not thread-safe: the store calls it under its write lock.
 */
final class ServiceRollups {
  static final int MAX_SOURCE = TelemetrySource.TELEMETRY_SOURCE_MESH_VALUE;
  private static final int N = LatencyBuckets.COUNT;
  /** Decoded roll-ups kept between batches; all of them equal what is stored (written through). */
  private static final int MAX_CACHED = 50_000;

  /** Reads a stored value (or one written earlier in the same batch); null when absent. */
  interface Lookup {
    byte[] get(byte[] key);
  }

  private final Map<RocksTopologyStore.Key, Sums> cached = new HashMap<>();
  private final Map<RocksTopologyStore.Key, Sums> dirty = new LinkedHashMap<>();

  /** Roll-up key prefix of a resolution: the service counterpart of {@link Resolution#prefix}. */
  static byte prefix(Resolution r) {
    return (byte) ('w' + r.ordinal());
  }

  /**
   * Moves the roll-ups for one stored service minute: {@code now} replaces {@code old} (the same key, minute and
   * source; null when new) under {@code key}. {@code minuteKey} builds the stored minute key for a source.
   */
  void minuteWritten(byte[] key, ServiceAggregate now, ServiceAggregate old, boolean known,
      java.util.function.IntFunction<byte[]> minuteKey, Lookup lookup) {
    int source = now.getSourceValue();
    long start = now.getWindowStartUnixMs();
    long end = now.getWindowEndUnixMs();
    // `known`: the store knows no other version of this key's minute exists (a new minute): nothing to look up.
    for (int higher = source + 1; !known && higher <= MAX_SOURCE; higher++) {
      if (lookup.get(minuteKey.apply(higher)) != null) {
        return; // shadowed: the query picks the higher source's minute, which this one does not change
      }
    }
    ServiceAggregate displaced = old;
    int displacedSource = source;
    for (int lower = Math.min(source, MAX_SOURCE + 1) - 1; !known && displaced == null && lower >= 0; lower--) {
      byte[] v = lookup.get(minuteKey.apply(lower));
      if (v != null) {
        displaced = RocksTopologyStore.parseServiceOrThrow(v);
        displacedSource = lower;
      }
    }
    for (Resolution r : Resolution.SERVICE_LEVELS) {
      long bucket = r.bucketOf(start);
      if (!r.holds(bucket, start, end)) {
        continue;
      }
      if (displaced != null) {
        Sums acc = sums(r, bucket, key, displacedSource, lookup);
        acc.add(displaced, -1);
        acc.minutes--;
      }
      Sums acc = sums(r, bucket, key, source, lookup);
      acc.add(now, 1);
      acc.minutes++;
      acc.service = now.getService();
      acc.schema = now.getSchemaVersion();
    }
  }

  /**
   * Takes the stored minute {@code minute} (picked for its key and minute) out of the roll-ups, as retention
   * removes it; roll-ups wholly before the cutoff are deleted by range instead.
   */
  void minuteRemoved(byte[] key, ServiceAggregate minute, long cutoffMs, Lookup lookup) {
    long start = minute.getWindowStartUnixMs();
    for (Resolution r : Resolution.SERVICE_LEVELS) {
      long bucket = r.bucketOf(start);
      if (r.holds(bucket, start, minute.getWindowEndUnixMs()) && bucket + r.millis > cutoffMs) {
        Sums acc = sums(r, bucket, key, minute.getSourceValue(), lookup);
        acc.add(minute, -1);
        acc.minutes--;
      }
    }
  }

  /** Adds a stored minute, picked for its key and minute, to empty or partly rebuilt roll-ups. */
  void minutePicked(byte[] key, ServiceAggregate minute, Lookup lookup) {
    long start = minute.getWindowStartUnixMs();
    for (Resolution r : Resolution.SERVICE_LEVELS) {
      long bucket = r.bucketOf(start);
      if (r.holds(bucket, start, minute.getWindowEndUnixMs())) {
        Sums acc = sums(r, bucket, key, minute.getSourceValue(), lookup);
        acc.add(minute, 1);
        acc.minutes++;
        acc.service = minute.getService();
        acc.schema = minute.getSchemaVersion();
      }
    }
  }

  /** Roll-ups changed since the last {@link #flushTo}. */
  int pending() {
    return dirty.size();
  }

  /** Adds the changed roll-ups to {@code batch}: written, or deleted once they hold no minute. */
  void flushTo(BatchBytes batch) {
    for (Map.Entry<RocksTopologyStore.Key, Sums> e : dirty.entrySet()) {
      if (e.getValue().minutes <= 0) {
        batch.delete(e.getKey().bytes);
        cached.remove(e.getKey());
      } else {
        batch.put(e.getKey().bytes, e.getValue().encode());
      }
    }
    dirty.clear();
    if (cached.size() > MAX_CACHED) {
      cached.clear();
    }
  }

  /** Forgets what is cached, after a failed write or a rebuild: the next batches read the store. */
  void reset() {
    cached.clear();
    dirty.clear();
  }

  /** Drops cached roll-ups that retention deleted: those of buckets ending by the start of the cutoff's bucket. */
  void retainFrom(long cutoffMs) {
    cached.values().removeIf(s -> s.start < Math.floorDiv(cutoffMs, s.end - s.start) * (s.end - s.start));
  }

  /**
   * Whether the serialized {@code ServiceAggregate} in {@code v[from, v.length)} may name service {@code name}
   * (UTF-8): false only when it holds exactly one service reference and that names another service. Lets a scan
   * for one service skip parsing the others; what passes is still parsed and checked.
   */
  static boolean mayName(byte[] v, int from, byte[] name) {
    int at = from;
    int nameAt = -1;
    int nameLength = 0;
    int refs = 0;
    try {
      while (at < v.length) {
        long tag = varint(v, at);
        at = (int) (tag >>> 32);
        int t = (int) tag;
        int wire = t & 7;
        if (t >>> 3 == 2 && wire == 2) {
          long len = varint(v, at);
          int start = (int) (len >>> 32);
          int end = start + (int) len;
          refs++;
          for (int p = start; p < end; ) {
            long inner = varint(v, p);
            p = (int) (inner >>> 32);
            int it = (int) inner;
            if ((it & 7) == 0) {
              p = (int) (varint(v, p) >>> 32); // the node kind
              continue;
            }
            if ((it & 7) != 2) {
              return true;
            }
            long l = varint(v, p);
            p = (int) (l >>> 32);
            if (it >>> 3 == 1) {
              nameAt = p;
              nameLength = (int) l;
            }
            p += (int) l;
          }
          at = end;
        } else if (wire == 0) {
          at = (int) (varint(v, at) >>> 32);
        } else if (wire == 1) {
          at += 8;
        } else if (wire == 5) {
          at += 4;
        } else if (wire == 2) {
          long len = varint(v, at);
          at = (int) (len >>> 32) + (int) len;
        } else {
          return true;
        }
      }
    } catch (RuntimeException malformed) {
      return true; // left to the parser, which refuses it
    }
    if (refs != 1) {
      return true;
    }
    return nameLength == name.length && (nameAt < 0 ? name.length == 0
        : java.util.Arrays.equals(v, nameAt, nameAt + nameLength, name, 0, name.length));
  }

  /** A varint at {@code at}: its value (low 32 bits, enough for tags and lengths) and, above, where it ends. */
  private static long varint(byte[] v, int at) {
    int value = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      byte b = v[at++];
      value |= (b & 0x7f) << shift;
      if (b >= 0) {
        return ((long) at << 32) | (value & 0xffffffffL);
      }
    }
    // Ten-byte varints (negative enums, 64-bit values): skip the rest.
    while (v[at++] < 0) {
      // continuation bytes
    }
    return ((long) at << 32) | (value & 0xffffffffL);
  }

  /** Decodes a stored roll-up value into the aggregate it sums. */
  static ServiceAggregate value(byte[] stored) {
    try {
      return ServiceAggregate.parseFrom(ByteBuffer.wrap(stored, 4, stored.length - 4));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt service roll-up in store", e);
    }
  }

  private Sums sums(Resolution r, long bucket, byte[] key, int source, Lookup lookup) {
    RocksTopologyStore.Key k = new RocksTopologyStore.Key(rollupKey(r, bucket, key, source));
    Sums acc = dirty.get(k);
    if (acc != null) {
      return acc;
    }
    acc = cached.get(k);
    if (acc == null) {
      byte[] stored = lookup.get(k.bytes);
      acc = stored == null ? new Sums(bucket, bucket + r.millis, source) : Sums.decode(stored);
      cached.put(k, acc);
    }
    dirty.put(k, acc);
    return acc;
  }

  static byte[] rollupKey(Resolution r, long bucket, byte[] key, int source) {
    return ByteBuffer.allocate(9 + key.length + 2).put(prefix(r)).putLong(bucket).put(key).put((byte) 0)
        .put((byte) source).array();
  }

  /** One roll-up's sums. Counts that go below zero through rounding are clamped, as in the edges' roll-ups. */
  static final class Sums {
    final long start;
    final long end;
    final int source;
    NodeRef service = NodeRef.getDefaultInstance();
    int schema;
    double requests;
    double failed;
    /** Buckets, then sum and count; null while no minute carried a histogram of the model's layout. */
    double[] latency;
    final Map<String, Double> responses = new LinkedHashMap<>();
    final Map<String, Double> flags = new LinkedHashMap<>();
    long emitted;
    int minutes;

    Sums(long start, long end, int source) {
      this.start = start;
      this.end = end;
      this.source = source;
    }

    void add(ServiceAggregate s, int sign) {
      requests = clamp(requests + sign * s.getRequestCount());
      failed = clamp(failed + sign * s.getFailedCount());
      LatencyHistogram h = s.getLatency();
      // Other bucket layouts cannot be added; the query leaves them out of minutes too.
      if (h.getBucketCountsCount() == N) {
        if (latency == null) {
          latency = new double[N + 2];
        }
        for (int i = 0; i < N; i++) {
          latency[i] = clamp(latency[i] + sign * h.getBucketCounts(i));
        }
        latency[N] = clamp(latency[N] + sign * h.getSumSeconds());
        latency[N + 1] = clamp(latency[N + 1] + sign * h.getCount());
      }
      addCodes(responses, s.getResponsesList(), sign);
      addCodes(flags, s.getResponseFlagsList(), sign);
      emitted = Math.max(emitted, s.getEmittedUnixMs());
    }

    private static void addCodes(Map<String, Double> into, List<CodeCount> codes, int sign) {
      for (CodeCount c : codes) {
        into.merge(c.getCode(), sign * c.getCount(), (a, b) -> clamp(a + b));
      }
    }

    private static double clamp(double v) {
      return v < 0 ? 0 : v;
    }

    ServiceAggregate aggregate() {
      ServiceAggregate.Builder b = ServiceAggregate.newBuilder()
          .setSchemaVersion(schema)
          .setService(service)
          .setSourceValue(source)
          .setWindowStartUnixMs(start)
          .setWindowEndUnixMs(end)
          .setRequestCount(requests)
          .setFailedCount(failed)
          .setEmittedUnixMs(emitted);
      if (latency != null) {
        LatencyHistogram.Builder h = LatencyHistogram.newBuilder();
        for (int i = 0; i < N; i++) {
          h.addBucketCounts(latency[i]);
        }
        b.setLatency(h.setSumSeconds(latency[N]).setCount(latency[N + 1]));
      }
      responses.forEach((code, count) -> b.addResponses(CodeCount.newBuilder().setCode(code).setCount(Math.max(0, count))));
      flags.forEach((code, count) -> b.addResponseFlags(CodeCount.newBuilder().setCode(code).setCount(Math.max(0, count))));
      return b.build();
    }

    byte[] encode() {
      byte[] body = aggregate().toByteArray();
      return ByteBuffer.allocate(4 + body.length).putInt(minutes).put(body).array();
    }

    static Sums decode(byte[] stored) {
      int minutes = ByteBuffer.wrap(stored).getInt();
      ServiceAggregate a = value(stored);
      Sums s = new Sums(a.getWindowStartUnixMs(), a.getWindowEndUnixMs(), a.getSourceValue());
      s.add(a, 1);
      s.service = a.getService();
      s.schema = a.getSchemaVersion();
      s.minutes = minutes;
      return s;
    }
  }
}
