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
  static final int MESSAGING_LATENCY = 16;
  static final int RESPONSE_CODES = 18;
  static final int SENT_BYTES = 19;
  static final int RECEIVED_BYTES = 20;
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
  /** Buckets, then sum and count; null when no window carried this histogram (or it lies in {@link #wire}). */
  double[] client;
  double[] server;
  /** Queue latency of messaging hops; as {@link #client}. */
  double[] messaging;
  /**
   * A record read from Kafka keeps its histograms where they lie: the record's bytes, with the offset of each
   * histogram's packed buckets (-1: none there) and its sum and count. It is added to four sums and dropped,
   * so copying the buckets into arrays first would only cost.
   */
  byte[] wire;
  int clientAt = -1;
  int serverAt = -1;
  int messagingAt = -1;
  double clientSum;
  double clientCount;
  double serverSum;
  double serverCount;
  double messagingSum;
  double messagingCount;
  Codes responses = new Codes();
  Codes flags = new Codes();
  /**
   * Responses by exact code (mesh edges). A minute holds at most the jobs' cap of codes; a roll-up holds the union
   * of its minutes' codes, bounded by the codes HTTP and gRPC define, and a handful in practice.
   */
  Codes exactCodes = new Codes();
  double sentBytes;
  double receivedBytes;
  long minutes;
  /** The store's write batch that last listed this sum for writing; not part of the record. */
  long dirtyIn;
  /** Set once the store no longer holds this decoded roll-up, so no cached reference updates it. */
  boolean dropped;
  /** For a 5-minute roll-up: false while its minutes are not yet in the coarser roll-ups (the store's fold). */
  boolean folded = true;
  /** The store's number of the minute whose header this sum carries; 0 when read from the store. */
  long headerSeq;

  /** Marks this sum dropped; true, for use in removal predicates. */
  boolean drop() {
    dropped = true;
    return true;
  }

  /** Decodes a record read from Kafka; a malformed record is refused with the parser's exception. */
  static EdgeSums parse(byte[] value) throws InvalidProtocolBufferException {
    try {
      return decodeOrThrow(value, true);
    } catch (InvalidProtocolBufferException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new InvalidProtocolBufferException("malformed edge aggregate: " + e.getMessage());
    }
  }

  /** Decodes a value this store wrote. */
  static EdgeSums decode(byte[] value) {
    try {
      return decodeOrThrow(value, false);
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("corrupt edge aggregate in store", e);
    }
  }

  /** {@code inPlace}: histograms stay in {@code value} ({@link #wire}), to be added up, never to be added to. */
  private static EdgeSums decodeOrThrow(byte[] value, boolean inPlace) throws IOException {
    EdgeSums s = new EdgeSums();
    {
      CodedInputStream in = CodedInputStream.newInstance(value);
      // Where the header's fields lie, copied once at the end: one exact array instead of a record-sized one.
      int[] spans = new int[2 * HEADER_SPANS];
      int spanCount = 0;
      byte[] header = null;
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
            if (header == null && spanCount > 0 && spans[2 * spanCount - 1] == start) {
              spans[2 * spanCount - 1] = end;
            } else if (header == null && spanCount < HEADER_SPANS) {
              spans[2 * spanCount] = start;
              spans[2 * spanCount + 1] = end;
              spanCount++;
            } else {
              // More separate header fields than expected (repeated ones): gathered in a record-sized array.
              if (header == null) {
                header = new byte[value.length];
                headerLength = copySpans(value, spans, spanCount, header);
              }
              System.arraycopy(value, start, header, headerLength, end - start);
              headerLength += end - start;
            }
          }
          case SOURCE -> s.source = in.readEnum();
          case WINDOW_START -> s.windowStart = in.readFixed64();
          case WINDOW_END -> s.windowEnd = in.readFixed64();
          case REQUESTS -> s.requests = in.readDouble();
          case FAILED -> s.failed = in.readDouble();
          case CLIENT_LATENCY -> histogram(in, value, s, CLIENT_LATENCY, inPlace);
          case SERVER_LATENCY -> histogram(in, value, s, SERVER_LATENCY, inPlace);
          case MESSAGING_LATENCY -> histogram(in, value, s, MESSAGING_LATENCY, inPlace);
          case RESPONSES -> code(in, value, s.responses);
          case RESPONSE_FLAGS -> code(in, value, s.flags);
          case RESPONSE_CODES -> code(in, value, s.exactCodes);
          case SENT_BYTES -> s.sentBytes = in.readDouble();
          case RECEIVED_BYTES -> s.receivedBytes = in.readDouble();
          case EMITTED -> s.emitted = in.readFixed64();
          case MINUTES -> s.minutes = in.readInt64();
          default -> in.skipField(tag);
        }
      }
      if (header != null) {
        s.header = Arrays.copyOf(header, headerLength);
      } else {
        int length = 0;
        for (int i = 0; i < spanCount; i++) {
          length += spans[2 * i + 1] - spans[2 * i];
        }
        s.header = new byte[length];
        copySpans(value, spans, spanCount, s.header);
      }
    }
    return s;
  }

  /** Header fields: schema, client, server, connection type, protocol; adjacent ones share a span. */
  private static final int HEADER_SPANS = 5;

  private static int copySpans(byte[] value, int[] spans, int count, byte[] into) {
    int at = 0;
    for (int i = 0; i < count; i++) {
      int length = spans[2 * i + 1] - spans[2 * i];
      System.arraycopy(value, spans[2 * i], into, at, length);
      at += length;
    }
    return at;
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
    client = o.clientAt >= 0 ? addPacked(client, o.wire, o.clientAt, o.clientSum, o.clientCount, sign)
        : addArray(client, o.client, sign);
    server = o.serverAt >= 0 ? addPacked(server, o.wire, o.serverAt, o.serverSum, o.serverCount, sign)
        : addArray(server, o.server, sign);
    if (o.messagingAt >= 0 || o.messaging != null) {
      messaging = o.messagingAt >= 0 ? addPacked(messaging, o.wire, o.messagingAt, o.messagingSum, o.messagingCount, sign)
          : addArray(messaging, o.messaging, sign);
    }
    responses.add(o.responses, sign);
    flags.add(o.flags, sign);
    exactCodes.add(o.exactCodes, sign);
    sentBytes = clamp(sentBytes + sign * o.sentBytes);
    receivedBytes = clamp(receivedBytes + sign * o.receivedBytes);
    emitted = Math.max(emitted, o.emitted);
  }

  private static double clamp(double v) {
    return v < 0 ? 0 : v;
  }

  /** As {@link #addArray} for buckets packed in {@code wire} at {@code at}: the same doubles, the same sums. */
  private static double[] addPacked(double[] into, byte[] wire, int at, double sum, double count, int sign) {
    double[] out = into != null ? into : new double[N + 2];
    for (int i = 0; i < N; i++) {
      out[i] = clamp(out[i] + sign * Double.longBitsToDouble((long) LONG_LE.get(wire, at + 8 * i)));
    }
    out[N] = clamp(out[N] + sign * sum);
    out[N + 1] = clamp(out[N + 1] + sign * count);
    return out;
  }

  /** The client histogram as an array (buckets, sum, count), or null. */
  double[] client() {
    return clientAt >= 0 ? addPacked(null, wire, clientAt, clientSum, clientCount, 1) : client;
  }

  /** The server histogram as an array (buckets, sum, count), or null. */
  double[] server() {
    return serverAt >= 0 ? addPacked(null, wire, serverAt, serverSum, serverCount, 1) : server;
  }

  /** The queue-latency histogram as an array (buckets, sum, count), or null. */
  double[] messaging() {
    return messagingAt >= 0 ? addPacked(null, wire, messagingAt, messagingSum, messagingCount, 1) : messaging;
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
      writeHistogram(o, CLIENT_LATENCY, client());
      writeHistogram(o, SERVER_LATENCY, server());
      writeHistogram(o, MESSAGING_LATENCY, messaging());
      responses.write(o, RESPONSES);
      flags.write(o, RESPONSE_FLAGS);
      o.writeFixed64(EMITTED, emitted);
      exactCodes.write(o, RESPONSE_CODES);
      if (sentBytes != 0) {
        o.writeDouble(SENT_BYTES, sentBytes);
      }
      if (receivedBytes != 0) {
        o.writeDouble(RECEIVED_BYTES, receivedBytes);
      }
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
        + histogramSize(CLIENT_LATENCY, clientAt >= 0 ? wire : client)
        + histogramSize(SERVER_LATENCY, serverAt >= 0 ? wire : server)
        + histogramSize(MESSAGING_LATENCY, messagingAt >= 0 ? wire : messaging)
        + responses.size(RESPONSES)
        + flags.size(RESPONSE_FLAGS)
        + exactCodes.size(RESPONSE_CODES)
        + (sentBytes != 0 ? 2 + 8 : 0) + (receivedBytes != 0 ? 2 + 8 : 0); // field 19 and 20 tags take 2 bytes
    return size + (minutes != 0 ? CodedOutputStream.computeInt64Size(MINUTES, minutes) : 0);
  }

  /** LatencyHistogram: 1 = packed bucket counts, 2 = sum, 3 = count. */
  private static int histogramBodySize() {
    return 1 + CodedOutputStream.computeUInt32SizeNoTag(8 * N) + 8 * N + 2 * (1 + 8);
  }

  /** {@code h}: anything non-null when the histogram is present. */
  private static int histogramSize(int field, Object h) {
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

  /**
   * Reads a histogram into {@code s}: {@code field} says which (client, server or messaging latency). {@code value} is the whole array {@code in} reads,
   * from its first byte. With {@code inPlace}, buckets packed in one run stay in {@code value}.
   */
  private static void histogram(CodedInputStream in, byte[] value, EdgeSums s, int field, boolean inPlace)
      throws IOException {
    int limit = in.pushLimit(in.readRawVarint32());
    double[] buckets = null;
    // The first packed run, while it is the only bucket data seen: it may stay where it is.
    int runAt = -1;
    int n = 0;
    double sum = 0;
    double count = 0;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      int part = WireFormat.getTagFieldNumber(tag);
      if (part == 1 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        int length = in.readRawVarint32();
        if (length % 8 != 0 || length > in.getBytesUntilLimit()) {
          throw new InvalidProtocolBufferException("packed latency buckets of " + length + " bytes");
        }
        int at = in.getTotalBytesRead();
        if (n == 0 && buckets == null) {
          runAt = at;
        } else {
          buckets = copied(buckets, value, runAt, n);
          runAt = -1;
          // The packed doubles read straight from the array: the same bytes readDouble would take one by one.
          for (int i = 0; i < length / 8; i++) {
            if (n + i < N) {
              buckets[n + i] = Double.longBitsToDouble((long) LONG_LE.get(value, at + 8 * i));
            }
          }
        }
        n += length / 8;
        in.skipRawBytes(length);
      } else if (part == 1) {
        double v = in.readDouble();
        buckets = copied(buckets, value, runAt, n);
        runAt = -1;
        if (n < N) {
          buckets[n] = v;
        }
        n++;
      } else if (part == 2) {
        sum = in.readDouble();
      } else if (part == 3) {
        count = in.readDouble();
      } else {
        in.skipField(tag);
      }
    }
    in.popLimit(limit);
    // Another bucket layout cannot be merged (the model's writers never produce one): such a histogram is left out.
    if (n != N) {
      return;
    }
    int at = -1;
    if (buckets == null && inPlace) {
      at = runAt;
    } else {
      buckets = copied(buckets, value, runAt, n);
      buckets[N] = sum;
      buckets[N + 1] = count;
    }
    if (field == CLIENT_LATENCY) {
      s.client = at >= 0 ? null : buckets;
      s.clientAt = at;
      s.clientSum = sum;
      s.clientCount = count;
    } else if (field == SERVER_LATENCY) {
      s.server = at >= 0 ? null : buckets;
      s.serverAt = at;
      s.serverSum = sum;
      s.serverCount = count;
    } else {
      s.messaging = at >= 0 ? null : buckets;
      s.messagingAt = at;
      s.messagingSum = sum;
      s.messagingCount = count;
    }
    if (at >= 0) {
      s.wire = value;
    }
  }

  /** {@code buckets}, or a new array holding the {@code n} packed doubles at {@code runAt} (none when -1). */
  private static double[] copied(double[] buckets, byte[] value, int runAt, int n) {
    if (buckets != null) {
      return buckets;
    }
    double[] b = new double[N + 2];
    for (int i = 0; runAt >= 0 && i < Math.min(n, N); i++) {
      b[i] = Double.longBitsToDouble((long) LONG_LE.get(value, runAt + 8 * i));
    }
    return b;
  }

  private static void code(CodedInputStream in, byte[] value, Codes into) throws IOException {
    int limit = in.pushLimit(in.readRawVarint32());
    String code = "";
    double count = 0;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> code = codeName(in, value, tag);
        case 2 -> count = in.readDouble();
        default -> in.skipField(tag);
      }
    }
    in.popLimit(limit);
    into.add(code, count);
  }

  /**
   * Response codes and flags seen so far, one String each, so that adding a record's codes to a sum (four sums
   * per record, each a cold object) compares references instead of the strings' bytes. Copy on write: a mesh
   * has a few dozen; past {@link #MAX_NAMES} new names are no longer kept.
   */
  private static volatile byte[][] nameBytes = new byte[0][];
  private static volatile String[] names = new String[0];
  private static final int MAX_NAMES = 512;

  /** Reads a UTF-8 string field whose tag was just read, as the canonical String of its bytes. */
  private static String codeName(CodedInputStream in, byte[] value, int tag) throws IOException {
    if (WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
      return in.readStringRequireUtf8();
    }
    int length = in.readRawVarint32();
    if (length < 0 || length > in.getBytesUntilLimit()) {
      throw new InvalidProtocolBufferException("response code of " + length + " bytes");
    }
    int at = in.getTotalBytesRead();
    byte[][] known = nameBytes;
    String[] knownNames = names;
    for (int i = 0; i < known.length; i++) {
      byte[] k = known[i];
      if (k.length == length && Arrays.equals(k, 0, length, value, at, at + length)) {
        in.skipRawBytes(length);
        return knownNames[i];
      }
    }
    String name;
    try {
      name = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
          .decode(java.nio.ByteBuffer.wrap(value, at, length)).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new InvalidProtocolBufferException("response code is not valid UTF-8");
    }
    in.skipRawBytes(length);
    remember(Arrays.copyOfRange(value, at, at + length), name);
    return name;
  }

  private static synchronized void remember(byte[] bytes, String name) {
    byte[][] known = nameBytes;
    if (known.length >= MAX_NAMES) {
      return;
    }
    for (byte[] k : known) {
      if (Arrays.equals(k, bytes)) {
        return;
      }
    }
    String[] n = Arrays.copyOf(names, known.length + 1);
    n[known.length] = name;
    byte[][] b = Arrays.copyOf(known, known.length + 1);
    b[known.length] = bytes;
    // Names first: a reader that sees the longer byte list must find its name.
    names = n;
    nameBytes = b;
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
