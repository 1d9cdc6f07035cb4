package io.switchyard.topology.query;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.switchyard.model.LatencyBuckets;
import io.switchyard.model.v1.EdgeAggregate;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Adds the figures of a serialized {@link EdgeAggregate} to a {@link Traffic} without building the message:
 * the node references (ten strings) are skipped and histogram buckets go straight into arrays. A graph over
 * an hour of a large mesh decodes hundreds of thousands of windows, so this is the query's hot loop.
 */
final class EdgeWindowDecoder {
  private static final int SOURCE = 4;
  private static final int WINDOW_END = 7;
  private static final int REQUESTS = 8;
  private static final int FAILED = 9;
  private static final int CLIENT_LATENCY = 10;
  private static final int SERVER_LATENCY = 11;
  private static final int RESPONSES = 12;
  private static final int RESPONSE_FLAGS = 13;

  private EdgeWindowDecoder() {}

  /** The window end of a serialized aggregate (0 when absent). */
  static long windowEnd(byte[] value) {
    try {
      CodedInputStream in = CodedInputStream.newInstance(value);
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        if (WireFormat.getTagFieldNumber(tag) == WINDOW_END) {
          return in.readFixed64();
        }
        in.skipField(tag);
      }
      return 0;
    } catch (IOException e) {
      throw new UncheckedIOException("corrupt edge aggregate in store", e);
    }
  }

  /** Adds the window's counts to {@code t}; returns the telemetry source number. */
  static int addTo(Traffic t, byte[] value) {
    try {
      CodedInputStream in = CodedInputStream.newInstance(value);
      int source = 0;
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        switch (WireFormat.getTagFieldNumber(tag)) {
          case SOURCE -> source = in.readEnum();
          case REQUESTS -> t.requests += in.readDouble();
          case FAILED -> t.failed += in.readDouble();
          case CLIENT_LATENCY -> histogram(in, t.client);
          case SERVER_LATENCY -> histogram(in, t.server);
          case RESPONSES -> code(in, t.responses);
          case RESPONSE_FLAGS -> code(in, t.flags);
          default -> in.skipField(tag);
        }
      }
      return source;
    } catch (IOException e) {
      throw new UncheckedIOException("corrupt edge aggregate in store", e);
    }
  }

  /** LatencyHistogram: 1 = packed bucket counts, 2 = sum, 3 = count. */
  private static void histogram(CodedInputStream in, double[] into) throws IOException {
    int limit = in.pushLimit(in.readRawVarint32());
    double[] buckets = null;
    int n = 0;
    double sum = 0;
    double count = 0;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      int field = WireFormat.getTagFieldNumber(tag);
      if (field == 1 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        int length = in.readRawVarint32();
        if (n == 0 && length == PACKED_BUCKETS_LENGTH) {
          // What every writer produces: all buckets packed at once, added in place without a copy. (Any
          // further bucket entry makes n exceed COUNT; that malformed histogram then still counts once.)
          for (int i = 0; i < LatencyBuckets.COUNT; i++) {
            into[i] += Double.longBitsToDouble(in.readRawLittleEndian64());
          }
          n = LatencyBuckets.COUNT;
          continue;
        }
        int packed = in.pushLimit(length);
        while (in.getBytesUntilLimit() > 0) {
          double v = in.readDouble();
          buckets = put(buckets, n++, v);
        }
        in.popLimit(packed);
      } else if (field == 1) {
        buckets = put(buckets, n++, in.readDouble());
      } else if (field == 2) {
        sum = in.readDouble();
      } else if (field == 3) {
        count = in.readDouble();
      } else {
        in.skipField(tag);
      }
    }
    in.popLimit(limit);
    // Histograms with another bucket layout cannot be merged; the model's writers never produce them.
    if (n == LatencyBuckets.COUNT) {
      if (buckets != null) {
        for (int i = 0; i < buckets.length; i++) {
          into[i] += buckets[i];
        }
      }
      into[Traffic.SUM] += sum;
      into[Traffic.COUNT] += count;
    }
  }

  private static final int PACKED_BUCKETS_LENGTH = 8 * LatencyBuckets.COUNT;

  private static double[] put(double[] buckets, int i, double v) {
    double[] b = buckets == null ? new double[LatencyBuckets.COUNT] : buckets;
    if (i < b.length) {
      b[i] = v;
    }
    return b;
  }

  /** Response codes and flags are a handful of short strings repeated in every window: decoded once. */
  private static final java.util.concurrent.ConcurrentHashMap<com.google.protobuf.ByteString, String> CODES =
      new java.util.concurrent.ConcurrentHashMap<>();
  private static final int MAX_CODES = 4096;

  private static String code(com.google.protobuf.ByteString bytes) {
    String s = CODES.get(bytes);
    if (s == null) {
      s = bytes.toStringUtf8();
      if (CODES.size() < MAX_CODES) {
        CODES.put(bytes, s);
      }
    }
    return s;
  }

  /** CodeCount: 1 = code, 2 = count. */
  private static void code(CodedInputStream in, java.util.Map<String, Double> into) throws IOException {
    int limit = in.pushLimit(in.readRawVarint32());
    String code = "";
    double count = 0;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> code = code(in.readBytes());
        case 2 -> count = in.readDouble();
        default -> in.skipField(tag);
      }
    }
    in.popLimit(limit);
    into.merge(code, count, Double::sum);
  }
}
