package io.switchyard.topology.store;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.switchyard.model.LatencyBuckets;
import java.io.IOException;
import java.util.Arrays;

/**
 * The additive figures of a serialized {@code EdgeAggregate} in plain arrays, read and written in the
 * message's wire format without building it. The store keeps per-hop totals and roll-up windows as sums
 * of minute windows; doing that through generated builders cost more than the RocksDB writes themselves.
 * The node references and other descriptive fields are carried as the original record's raw bytes.
 */
final class EdgeSums {
  static final int SCHEMA = 1;
  static final int CLIENT = 2;
  static final int SERVER = 3;
  static final int SOURCE = 4;
  static final int CONNECTION_TYPE = 5;
  static final int WINDOW_START = 6;
  static final int WINDOW_END = 7;
  static final int REQUESTS = 8;
  static final int FAILED = 9;
  static final int CLIENT_LATENCY = 10;
  static final int SERVER_LATENCY = 11;
  static final int RESPONSES = 12;
  static final int RESPONSE_FLAGS = 13;
  static final int PROTOCOL = 14;
  static final int EMITTED = 15;
  /**
   * How many minute windows a roll-up holds, so a roll-up whose last minute was replaced by another source
   * is deleted rather than kept with zero counts. The model reserves this field number for the store
   * (aggregates.proto), so no Kafka record ever carries it; generated parsers keep it as an unknown field.
   */
  static final int MINUTES = 1000;
  private static final int N = LatencyBuckets.COUNT;
  private static final java.lang.invoke.VarHandle LONG_LE =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

  /** Raw bytes (tags included) of schema version, client, server, connection type and protocol. */
  byte[] header = new byte[0];
  int source;
  long windowStart;
  long windowEnd;
  long emitted;
  double requests;
  double failed;
  /** Buckets, then sum and count; null when no window carried this histogram. */
  double[] client;
  double[] server;
  Codes responses = new Codes();
  Codes flags = new Codes();
  long minutes;
  /** The store's write batch that last listed this sum for writing; not part of the record. */
  long dirtyIn;
  /** Set once the store no longer holds this decoded roll-up, so no cached reference updates it. */
  boolean dropped;

  /** Marks this sum dropped; true, for use in removal predicates. */
  boolean drop() {
    dropped = true;
    return true;
  }

  /** Decodes a record read from Kafka; a malformed record is refused with the parser's exception. */
  static EdgeSums parse(byte[] value) throws InvalidProtocolBufferException {
    try {
      return decodeOrThrow(value);
    } catch (InvalidProtocolBufferException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new InvalidProtocolBufferException("malformed edge aggregate: " + e.getMessage());
    }
  }

  /** Decodes a value this store wrote. */
  static EdgeSums decode(byte[] value) {
    try {
      return decodeOrThrow(value);
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("corrupt edge aggregate in store", e);
    }
  }

  private static EdgeSums decodeOrThrow(byte[] value) throws IOException {
    EdgeSums s = new EdgeSums();
    {
      CodedInputStream in = CodedInputStream.newInstance(value);
      byte[] header = new byte[value.length];
      int headerLength = 0;
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        int field = WireFormat.getTagFieldNumber(tag);
        switch (field) {
          case SCHEMA, CLIENT, SERVER, CONNECTION_TYPE, PROTOCOL -> {
            // The tag was just read: its bytes end at the current position.
            int tagEnd = in.getTotalBytesRead();
            if (field == CLIENT || field == SERVER) {
              skipMessage(in, tag);
            } else {
              in.skipField(tag);
            }
            int end = in.getTotalBytesRead();
            int tagLength = CodedOutputStream.computeUInt32SizeNoTag(tag);
            int start = tagEnd - tagLength;
            System.arraycopy(value, start, header, headerLength, end - start);
            headerLength += end - start;
          }
          case SOURCE -> s.source = in.readEnum();
          case WINDOW_START -> s.windowStart = in.readFixed64();
          case WINDOW_END -> s.windowEnd = in.readFixed64();
          case REQUESTS -> s.requests = in.readDouble();
          case FAILED -> s.failed = in.readDouble();
          case CLIENT_LATENCY -> s.client = histogram(in, value, s.client);
          case SERVER_LATENCY -> s.server = histogram(in, value, s.server);
          case RESPONSES -> code(in, s.responses);
          case RESPONSE_FLAGS -> code(in, s.flags);
          case EMITTED -> s.emitted = in.readFixed64();
          case MINUTES -> s.minutes = in.readInt64();
          default -> in.skipField(tag);
        }
      }
      s.header = Arrays.copyOf(header, headerLength);
    }
    return s;
  }

  /** Walks a node reference so a malformed one is refused at consumption, not when a query reads it. */
  private static void skipMessage(CodedInputStream in, int tag) throws IOException {
    if (WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
      throw new InvalidProtocolBufferException("node reference with wire type " + WireFormat.getTagWireType(tag));
    }
    int limit = in.pushLimit(in.readRawVarint32());
    for (int t = in.readTag(); t != 0; t = in.readTag()) {
      in.skipField(t);
    }
    in.popLimit(limit);
  }

  /** An empty sum describing the same hop and source as {@code like}, covering [start, end). */
  static EdgeSums emptyLike(EdgeSums like, long start, long end) {
    EdgeSums s = new EdgeSums();
    s.header = like.header;
    s.source = like.source;
    s.windowStart = start;
    s.windowEnd = end;
    return s;
  }

  /** Adds {@code sign} times the figures of {@code o}; counts that go below zero through rounding are clamped. */
  void add(EdgeSums o, int sign) {
    requests = clamp(requests + sign * o.requests);
    failed = clamp(failed + sign * o.failed);
    client = addArray(client, o.client, sign);
    server = addArray(server, o.server, sign);
    responses.add(o.responses, sign);
    flags.add(o.flags, sign);
    emitted = Math.max(emitted, o.emitted);
  }

  private static double clamp(double v) {
    return v < 0 ? 0 : v;
  }

  private static double[] addArray(double[] into, double[] from, int sign) {
    if (from == null) {
      return into;
    }
    double[] out = into != null ? into : new double[N + 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = clamp(out[i] + sign * from[i]);
    }
    return out;
  }

  byte[] encode() {
    try {
      byte[] out = new byte[size()];
      CodedOutputStream o = CodedOutputStream.newInstance(out);
      o.writeRawBytes(header);
      if (source != 0) {
        o.writeEnum(SOURCE, source);
      }
      o.writeFixed64(WINDOW_START, windowStart);
      o.writeFixed64(WINDOW_END, windowEnd);
      o.writeDouble(REQUESTS, requests);
      o.writeDouble(FAILED, failed);
      writeHistogram(o, CLIENT_LATENCY, client);
      writeHistogram(o, SERVER_LATENCY, server);
      responses.write(o, RESPONSES);
      flags.write(o, RESPONSE_FLAGS);
      o.writeFixed64(EMITTED, emitted);
      if (minutes != 0) {
        o.writeInt64(MINUTES, minutes);
      }
      o.checkNoSpaceLeft();
      return out;
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode edge sums", e);
    }
  }

  private int size() {
    int size = header.length
        + (source != 0 ? CodedOutputStream.computeEnumSize(SOURCE, source) : 0)
        + 3 * (1 + 8) // window start, end, emitted
        + 2 * (1 + 8) // requests, failed
        + histogramSize(CLIENT_LATENCY, client)
        + histogramSize(SERVER_LATENCY, server)
        + responses.size(RESPONSES)
        + flags.size(RESPONSE_FLAGS);
    return size + (minutes != 0 ? CodedOutputStream.computeInt64Size(MINUTES, minutes) : 0);
  }

  /** LatencyHistogram: 1 = packed bucket counts, 2 = sum, 3 = count. */
  private static int histogramBodySize() {
    return 1 + CodedOutputStream.computeUInt32SizeNoTag(8 * N) + 8 * N + 2 * (1 + 8);
  }

  private static int histogramSize(int field, double[] h) {
    if (h == null) {
      return 0;
    }
    int body = histogramBodySize();
    return CodedOutputStream.computeTagSize(field) + CodedOutputStream.computeUInt32SizeNoTag(body) + body;
  }

  private static void writeHistogram(CodedOutputStream o, int field, double[] h) throws IOException {
    if (h == null) {
      return;
    }
    o.writeTag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED);
    o.writeUInt32NoTag(histogramBodySize());
    o.writeTag(1, WireFormat.WIRETYPE_LENGTH_DELIMITED);
    o.writeUInt32NoTag(8 * N);
    // The same little-endian fixed64 bytes writeDoubleNoTag would write, copied at once: every stored window
    // re-encodes its hop's total and three roll-ups, so this loop was the write path's largest cost.
    byte[] packed = new byte[8 * N];
    for (int i = 0; i < N; i++) {
      LONG_LE.set(packed, 8 * i, Double.doubleToRawLongBits(h[i]));
    }
    o.writeRawBytes(packed);
    o.writeDouble(2, h[N]);
    o.writeDouble(3, h[N + 1]);
  }

  /** {@code value} is the whole array {@code in} reads, from its first byte. */
  private static double[] histogram(CodedInputStream in, byte[] value, double[] into) throws IOException {
    int limit = in.pushLimit(in.readRawVarint32());
    double[] buckets = new double[N + 2];
    int n = 0;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      int field = WireFormat.getTagFieldNumber(tag);
      if (field == 1 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        int length = in.readRawVarint32();
        if (length % 8 != 0 || length > in.getBytesUntilLimit()) {
          throw new InvalidProtocolBufferException("packed latency buckets of " + length + " bytes");
        }
        // The packed doubles read straight from the array: the same bytes readDouble would take one by one.
        int at = in.getTotalBytesRead();
        for (int i = 0; i < length / 8; i++) {
          if (n < N) {
            buckets[n] = Double.longBitsToDouble((long) LONG_LE.get(value, at + 8 * i));
          }
          n++;
        }
        in.skipRawBytes(length);
      } else if (field == 1) {
        double v = in.readDouble();
        if (n < N) {
          buckets[n] = v;
        }
        n++;
      } else if (field == 2) {
        buckets[N] = in.readDouble();
      } else if (field == 3) {
        buckets[N + 1] = in.readDouble();
      } else {
        in.skipField(tag);
      }
    }
    in.popLimit(limit);
    // Another bucket layout cannot be merged (the model's writers never produce one): such a histogram is left out.
    return n == N ? buckets : into;
  }

  private static void code(CodedInputStream in, Codes into) throws IOException {
    int limit = in.pushLimit(in.readRawVarint32());
    String code = "";
    double count = 0;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> code = in.readStringRequireUtf8();
        case 2 -> count = in.readDouble();
        default -> in.skipField(tag);
      }
    }
    in.popLimit(limit);
    into.add(code, count);
  }

  /** Response codes or flags: a handful per hop, so parallel arrays beat a map. */
  static final class Codes {
    private String[] codes = new String[4];
    private double[] counts = new double[4];
    private int n;

    void add(String code, double count) {
      for (int i = 0; i < n; i++) {
        if (codes[i].equals(code)) {
          counts[i] = clamp(counts[i] + count);
          return;
        }
      }
      if (n == codes.length) {
        codes = Arrays.copyOf(codes, n * 2);
        counts = Arrays.copyOf(counts, n * 2);
      }
      codes[n] = code;
      counts[n++] = clamp(count);
    }

    void add(Codes o, int sign) {
      for (int i = 0; i < o.n; i++) {
        add(o.codes[i], sign * o.counts[i]);
      }
    }

    int count() {
      return n;
    }

    String code(int i) {
      return codes[i];
    }

    double value(int i) {
      return counts[i];
    }

    private int entrySize(int i) {
      return CodedOutputStream.computeStringSize(1, codes[i]) + 1 + 8;
    }

    int size(int field) {
      int size = 0;
      for (int i = 0; i < n; i++) {
        int e = entrySize(i);
        size += CodedOutputStream.computeTagSize(field) + CodedOutputStream.computeUInt32SizeNoTag(e) + e;
      }
      return size;
    }

    void write(CodedOutputStream o, int field) throws IOException {
      for (int i = 0; i < n; i++) {
        o.writeTag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        o.writeUInt32NoTag(entrySize(i));
        o.writeString(1, codes[i]);
        o.writeDouble(2, counts[i]);
      }
    }
  }
}
