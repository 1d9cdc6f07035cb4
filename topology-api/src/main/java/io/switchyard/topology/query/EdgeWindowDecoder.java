package io.switchyard.topology.query;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.switchyard.model.LatencyBuckets;
import io.switchyard.model.v1.EdgeAggregate;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Reads the figures of a serialized {@link EdgeAggregate} without building the message: the node references
 * (ten strings) are skipped, histogram buckets go straight into arrays and codes become catalog numbers. A
 * graph over ragged ends of a large mesh decodes tens of thousands of windows, so this is the miss path's
 * hot loop.
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
  /** The store's count of windows in a roll-up (EdgeSums.MINUTES); absent from a minute. */
  private static final int MINUTES = 1000;
  private static final int MESSAGING_LATENCY = 16;
  private static final int RESPONSE_CODES = 18;
  private static final int SENT_BYTES = 19;
  private static final int RECEIVED_BYTES = 20;

  private EdgeWindowDecoder() {}

  /** The window end of a serialized aggregate (0 when absent). */
  static long windowEnd(byte[] value, int length) {
    try {
      CodedInputStream in = CodedInputStream.newInstance(value, 0, length);
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

  /** The figures of one serialized window, decoded into reusable arrays. */
  static final class Window {
    int source;
    long windowEnd;
    /** Windows a roll-up holds; 0 for a window itself. */
    long minutes;
    double requests;
    double failed;
    /** Latency blocks as in {@link SumTable}: buckets, then sum, then count. */
    final double[] server = new double[SumTable.LATENCY];
    final double[] client = new double[SumTable.LATENCY];
    /** Queue latency; all zero unless {@link #queued} (only messaging hops have one, so most windows skip it). */
    final double[] messaging = new double[SumTable.LATENCY];
    boolean queued;
    /** Response codes and flags by catalog number, each code once. */
    final CodeCounts codes = new CodeCounts(8);
    final CodeCounts flags = new CodeCounts(4);
    /** Exact response codes by catalog number, each once (access-log windows only; trace windows have none). */
    final CodeCounts exact = new CodeCounts(4);
    /** Bytes the server sent and received (access-log windows only). */
    double sentBytes;
    double receivedBytes;
    /** The count of the CodeCount read last. */
    private double lastCount;
    /** For looking codes up in the catalog without copying their bytes. */
    final HopCatalog.Name probe = new HopCatalog.Name();

    private void clear() {
      source = 0;
      windowEnd = 0;
      minutes = 0;
      requests = 0;
      failed = 0;
      java.util.Arrays.fill(server, 0);
      java.util.Arrays.fill(client, 0);
      if (queued) {
        java.util.Arrays.fill(messaging, 0);
        queued = false;
      }
      codes.size = 0;
      flags.size = 0;
      exact.size = 0;
      sentBytes = 0;
      receivedBytes = 0;
    }
  }

  /** Counts by code catalog number, each code once: within a window codes are merged, as the summed maps did. */
  static final class CodeCounts {
    int[] codes;
    double[] counts;
    int size;

    CodeCounts(int capacity) {
      codes = new int[capacity];
      counts = new double[capacity];
    }

    void add(int code, double count) {
      for (int i = 0; i < size; i++) {
        if (codes[i] == code) {
          counts[i] += count;
          return;
        }
      }
      if (size == codes.length) {
        codes = java.util.Arrays.copyOf(codes, size * 2);
        counts = java.util.Arrays.copyOf(counts, size * 2);
      }
      codes[size] = code;
      counts[size++] = count;
    }
  }

  /** Decodes {@code value[0, length)} into {@code w} (cleared first), numbering codes in {@code catalog}. */
  static void decode(byte[] value, int length, Window w, HopCatalog catalog) {
    w.clear();
    try {
      CodedInputStream in = CodedInputStream.newInstance(value, 0, length);
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        switch (WireFormat.getTagFieldNumber(tag)) {
          case SOURCE -> w.source = in.readEnum();
          case WINDOW_END -> w.windowEnd = in.readFixed64();
          case REQUESTS -> w.requests += in.readDouble();
          case FAILED -> w.failed += in.readDouble();
          case CLIENT_LATENCY -> histogram(in, w.client);
          case SERVER_LATENCY -> histogram(in, w.server);
          case MESSAGING_LATENCY -> {
            w.queued = true;
            histogram(in, w.messaging);
          }
          case RESPONSES -> code(in, value, w, catalog, false);
          case RESPONSE_FLAGS -> code(in, value, w, catalog, true);
          case RESPONSE_CODES -> exactCode(in, value, w, catalog);
          case SENT_BYTES -> w.sentBytes += in.readDouble();
          case RECEIVED_BYTES -> w.receivedBytes += in.readDouble();
          case MINUTES -> w.minutes = in.readInt64();
          default -> in.skipField(tag);
        }
      }
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
      into[LatencyBuckets.COUNT] += sum;
      into[LatencyBuckets.COUNT + 1] += count;
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

  /** CodeCount: 1 = code, 2 = count. The code is looked up where it lies in {@code value}, not copied. */
  private static void code(CodedInputStream in, byte[] value, Window w, HopCatalog catalog, boolean flag)
      throws IOException {
    (flag ? w.flags : w.codes).add(codeCount(in, value, w, catalog), w.lastCount);
  }

  private static void exactCode(CodedInputStream in, byte[] value, Window w, HopCatalog catalog) throws IOException {
    w.exact.add(codeCount(in, value, w, catalog), w.lastCount);
  }

  /** Reads one CodeCount: returns the code's catalog number, leaves its count in {@code w.lastCount}. */
  private static int codeCount(CodedInputStream in, byte[] value, Window w, HopCatalog catalog) throws IOException {
    int limit = in.pushLimit(in.readRawVarint32());
    int codeAt = 0;
    int codeLength = 0;
    double count = 0;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> {
          if (WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            throw new IOException("response code of wire type " + WireFormat.getTagWireType(tag));
          }
          codeLength = in.readRawVarint32();
          // The stream reads from offset 0 of value: bytes read so far is the position.
          codeAt = in.getTotalBytesRead();
          in.skipRawBytes(codeLength);
        }
        case 2 -> count = in.readDouble();
        default -> in.skipField(tag);
      }
    }
    in.popLimit(limit);
    w.lastCount = count;
    return catalog.code(value, codeAt, codeAt + codeLength, w.probe);
  }
}
