package io.switchyard.flinkjobs.graph;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.switchyard.flinkjobs.serde.WireCursor;
import io.switchyard.model.v1.SpanRecord;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The fields of a {@code SpanRecord} that the pairing and the edge rules read, decoded straight from
 * the record's protobuf bytes. Parsing every span into a full message (builder, message, a String
 * per field, a map) was the largest cost of the pairing after RocksDB; this reads the wire format in
 * one pass and skips what the rules never look at.
 *
 * <p>The result is always what {@code SpanRecord.parseFrom} would give: the one-pass read only takes
 * records it can judge exactly (ASCII strings, no attribute map, no groups, nothing malformed) and
 * hands every other record to the full parse, so a record it rejects is rejected with the same
 * {@link InvalidProtocolBufferException}. Protobuf's rules apply: a field with an unexpected wire type
 * is an unknown field, and the last occurrence of a field wins.
 *
 * <p>Repeated names (services, namespaces, peers) come back as one shared String each, from a small
 * cache: the edge keys downstream then compare and hash them without reading their characters. The
 * attributes only virtual-node and database naming read are decoded when first asked for.
 */
final class SpanFields {
  static final int KIND_SERVER = 2;
  static final int KIND_CLIENT = 3;
  static final int KIND_PRODUCER = 4;
  static final int KIND_CONSUMER = 5;
  static final int STATUS_ERROR = 2;
  private static final byte[] NONE = new byte[0];
  private static final HexFormat HEX = HexFormat.of();

  /**
   * The array the span id and the parent span id (and the naming attributes) sit in: the record
   * itself after the one-pass read (ids read in place, not copied: the two copies were ~7 % of the span
   * chain thread's samples), an array of their own after the full parse. Never written.
   */
  private byte[] ids = NONE;
  private int spanIdFrom;
  private int spanIdLength;
  private int parentFrom;
  private int parentLength;
  String serviceName = "";
  String serviceNamespace = "";
  /** {@code SpanKind} number (an unknown number stays as it is, as protobuf keeps it). */
  int kind;
  long startTimeUnixNano;
  long endTimeUnixNano;
  /** {@code StatusCode} number. */
  int status;
  double samplingProbability;
  String dbSystem = "";
  String messagingSystem = "";
  int httpStatusCode;
  int rpcGrpcStatusCode;
  String istioWorkload = "";
  String istioNamespace = "";
  /** Istio's {@code istio.canonical_service} tag, which its proxies put on every span they make. */
  String istioCanonicalService = "";
  /** Envoy's short response flags ("UF", "UH,URX"), "" when none. */
  String responseFlags = "";
  /** The kept attributes: empty unless the record had any (then read by the full parse). */
  Map<String, String> attributes = Map.of();

  // Only virtual-node and database naming reads these, and a paired span never does; network.peer.address
  // differs per request, so decoding it for every span cost a String and a cache entry each time. After
  // the one-pass read each is where its length sits in the record (0: absent; its bytes were checked to be
  // ASCII), decoded when asked for; after the full parse the message answers.
  private int peerServiceAt;
  private int serverAddressAt;
  private int networkPeerAddressAt;
  private int dbNameAt;
  private int messagingDestinationAt;
  private int upstreamClusterAt;
  private SpanRecord message;
  /** The linked span id's length in a {@link #linkedTo} view, -1 otherwise. */
  private int linkedSpanIdLength = -1;

  /** First byte of a {@link #linkedTo} view's seen key: above every span kind, below the proxy markers' 0x80. */
  static final byte SEEN_LINKED = 0x40;

  private SpanFields() {}

  /**
   * The span in {@code record}.
   *
   * @throws InvalidProtocolBufferException exactly when {@code SpanRecord.parseFrom(record)} throws
   */
  static SpanFields parse(byte[] record) throws InvalidProtocolBufferException {
    SpanFields s = new SpanFields();
    return s.read(record) ? s : of(SpanRecord.parseFrom(record));
  }

  /** The fields of a parsed message. */
  static SpanFields of(SpanRecord r) {
    SpanFields s = new SpanFields();
    s.spanIdLength = r.getSpanId().size();
    s.parentFrom = s.spanIdLength;
    s.parentLength = r.getParentSpanId().size();
    s.ids = new byte[s.spanIdLength + s.parentLength];
    r.getSpanId().copyTo(s.ids, 0);
    r.getParentSpanId().copyTo(s.ids, s.parentFrom);
    s.serviceName = r.getServiceName();
    s.serviceNamespace = r.getServiceNamespace();
    s.kind = r.getKindValue();
    s.startTimeUnixNano = r.getStartTimeUnixNano();
    s.endTimeUnixNano = r.getEndTimeUnixNano();
    s.status = r.getStatusValue();
    s.samplingProbability = r.getSamplingProbability();
    s.message = r;
    s.dbSystem = r.getDbSystem();
    s.messagingSystem = r.getMessagingSystem();
    s.httpStatusCode = r.getHttpStatusCode();
    s.rpcGrpcStatusCode = r.getRpcGrpcStatusCode();
    s.istioWorkload = r.getIstioWorkload();
    s.istioNamespace = r.getIstioNamespace();
    s.istioCanonicalService = r.getIstioCanonicalService();
    s.responseFlags = r.getResponseFlags();
    s.attributes = r.getAttributesMap();
    return s;
  }

  // What the one-pass read does with each tag (field number * 8 + wire type) of a SpanRecord, looked up in a table
  // and dispatched by one dense switch: the search over the tags, then over the string fields, that it replaces took
  // several branches per field (the parse of a span is about 7 % faster without them). A tag not in the table
  // (trace_id, which is the batch's key already, a field the rules never read, an unknown field, a known field
  // number with another wire type, which protobuf keeps as an unknown field) is skipped.
  private static final int SKIP = 0;
  private static final int KIND = 1;
  private static final int STATUS = 2;
  private static final int HTTP_STATUS = 3;
  private static final int RPC_STATUS = 4;
  private static final int START = 5;
  private static final int END = 6;
  private static final int SAMPLING = 7;
  private static final int SPAN_ID = 8;
  private static final int PARENT = 9;
  private static final int ATTRIBUTES = 10;
  /** From here on: string fields, whose bytes must be ASCII for the one-pass read to take the record. */
  private static final int SERVICE_NAME = 11;
  private static final int SERVICE_NAMESPACE = 12;
  private static final int DB_SYSTEM = 13;
  private static final int MESSAGING_SYSTEM = 14;
  private static final int ISTIO_WORKLOAD = 15;
  private static final int ISTIO_NAMESPACE = 16;
  private static final int CANONICAL_SERVICE = 17;
  private static final int RESPONSE_FLAGS = 18;
  private static final int PEER_SERVICE = 19;
  private static final int SERVER_ADDRESS = 20;
  private static final int NETWORK_PEER_ADDRESS = 21;
  private static final int DB_NAME = 22;
  private static final int MESSAGING_DESTINATION = 23;
  private static final int UPSTREAM_CLUSTER = 24;
  /** Text no rule reads (span name, HTTP method and route): only checked. */
  private static final int UNREAD_TEXT = 25;
  private static final byte[] ACTIONS = new byte[41 << 3];

  static {
    action(7, WireCursor.VARINT, KIND);
    action(11, WireCursor.VARINT, STATUS);
    action(27, WireCursor.VARINT, HTTP_STATUS);
    action(30, WireCursor.VARINT, RPC_STATUS);
    action(9, WireCursor.FIXED64, START);
    action(10, WireCursor.FIXED64, END);
    action(12, WireCursor.FIXED64, SAMPLING);
    action(3, WireCursor.LENGTH_DELIMITED, SPAN_ID);
    action(4, WireCursor.LENGTH_DELIMITED, PARENT);
    action(40, WireCursor.LENGTH_DELIMITED, ATTRIBUTES);
    action(36, WireCursor.LENGTH_DELIMITED, ATTRIBUTES); // a consumer's links: the full parse reads them too (rare)
    int[][] strings = {{5, SERVICE_NAME}, {6, SERVICE_NAMESPACE}, {8, UNREAD_TEXT}, {20, PEER_SERVICE}, {21, SERVER_ADDRESS},
        {22, NETWORK_PEER_ADDRESS}, {23, DB_SYSTEM}, {24, DB_NAME}, {25, MESSAGING_SYSTEM}, {26, MESSAGING_DESTINATION},
        {28, UNREAD_TEXT}, {29, UNREAD_TEXT}, {31, ISTIO_WORKLOAD}, {32, ISTIO_NAMESPACE}, {33, CANONICAL_SERVICE},
        {34, UPSTREAM_CLUSTER}, {35, RESPONSE_FLAGS}};
    for (int[] f : strings) {
      action(f[0], WireCursor.LENGTH_DELIMITED, f[1]);
    }
  }

  private static void action(int field, int wireType, int action) {
    ACTIONS[field << 3 | wireType] = (byte) action;
  }

  /** The one-pass read; false when the record needs the full parse to be judged. */
  private boolean read(byte[] b) {
    WireCursor in = new WireCursor(b);
    ids = b;
    while (in.more()) {
      int tag = in.tag();
      int action = tag < ACTIONS.length ? ACTIONS[tag] : SKIP;
      if (action >= SERVICE_NAME) {
        int lengthAt = in.position();
        int n = in.length();
        if (in.failed() || !text(action, b, lengthAt, in.position(), n)) {
          return false; // not ASCII: the full parse checks the UTF-8
        }
        in.skip(n);
        continue;
      }
      switch (action) {
        case KIND -> kind = (int) in.varint();
        case STATUS -> status = (int) in.varint();
        case HTTP_STATUS -> httpStatusCode = (int) in.varint();
        case RPC_STATUS -> rpcGrpcStatusCode = (int) in.varint();
        case START -> startTimeUnixNano = in.fixed64();
        case END -> endTimeUnixNano = in.fixed64();
        case SAMPLING -> samplingProbability = Double.longBitsToDouble(in.fixed64());
        case SPAN_ID -> {
          spanIdLength = in.length();
          spanIdFrom = in.position();
          in.skip(spanIdLength);
        }
        case PARENT -> {
          parentLength = in.length();
          parentFrom = in.position();
          in.skip(parentLength);
        }
        case ATTRIBUTES -> {
          return false; // the attribute map or the links: the full parse reads them
        }
        default -> in.skipValue(tag);
      }
    }
    return !in.failed();
  }

  boolean hasParent() {
    return parentLength != 0;
  }

  /**
   * The spans a CONSUMER span links to (the messages' producer spans, for a consumer that links them instead of
   * being their child); empty for every other span and every record without links. A record with links is read
   * by the full parse, so the message holds them.
   */
  List<SpanRecord.Link> links() {
    return message == null || kind != KIND_CONSUMER ? List.of() : message.getLinksList();
  }

  /** The span's own trace id; only asked of spans with {@link #links()} (the one-pass read does not keep it). */
  ByteString traceId() {
    return message == null ? ByteString.EMPTY : message.getTraceId();
  }

  /** Whether this span's parent span id is {@code spanId}. */
  boolean isChildOf(ByteString spanId) {
    return TraceSpans.sameBytes(spanId, ids, parentFrom, parentLength);
  }

  /** Whether this span is a {@link #linkedTo} view: a consumer paired under one of its links. */
  boolean linked() {
    return linkedSpanIdLength >= 0;
  }

  /**
   * This consumer span as the child of the span {@code link} names: it pairs in the link's trace as a consumer
   * whose parent is the linked span, with its own fields otherwise. Its seen key (see {@link #seenKey}) names both
   * spans, so a consumer linking two messages of one trace is not taken for its own redelivery.
   */
  SpanFields linkedTo(SpanRecord.Link link) {
    SpanFields v = of(message);
    int n = spanIdLength;
    int m = link.getSpanId().size();
    v.ids = new byte[n + m];
    System.arraycopy(ids, spanIdFrom, v.ids, 0, n);
    link.getSpanId().copyTo(v.ids, n);
    v.spanIdFrom = 0;
    v.spanIdLength = n;
    v.parentFrom = n;
    v.parentLength = m;
    v.linkedSpanIdLength = m;
    return v;
  }

  /**
   * The view of this span that waits under {@code parentHex} (a pending server's stored key): itself when that is
   * its parent, else the {@link #linkedTo} view of the link to that span, else itself.
   */
  SpanFields waitingUnder(String parentHex) {
    List<SpanRecord.Link> links = links();
    if (links.isEmpty() || parentHex.equals(parentSpanIdHex())) {
      return this;
    }
    for (SpanRecord.Link link : links) {
      if (parentHex.equals(HEX.formatHex(link.getSpanId().toByteArray()))) {
        return linkedTo(link);
      }
    }
    return this;
  }

  /** Whether the two spans have the same span id. */
  boolean sameSpanId(SpanFields o) {
    return Arrays.equals(ids, spanIdFrom, spanIdFrom + spanIdLength, o.ids, o.spanIdFrom, o.spanIdFrom + o.spanIdLength);
  }

  /** Whether the two spans have the same parent span id. */
  boolean sameParent(SpanFields o) {
    return Arrays.equals(ids, parentFrom, parentFrom + parentLength, o.ids, o.parentFrom, o.parentFrom + o.parentLength);
  }

  /** Whether this span's parent span id is the span id of {@code parent}. */
  boolean isChildOf(SpanFields parent) {
    return Arrays.equals(ids, parentFrom, parentFrom + parentLength, parent.ids, parent.spanIdFrom, parent.spanIdFrom + parent.spanIdLength);
  }

  /**
   * Whether an Envoy proxy (an Istio sidecar or gateway) made this span. Envoy's tracer tags every span
   * it makes {@code component=proxy} and, once a cluster was chosen, {@code upstream_cluster} (Istio's
   * sidecars: "outbound|8080||cart.ns.svc.cluster.local", "inbound|8080||"); ingest keeps the latter,
   * the former only when {@code component} is among the kept attributes. An application's own spans
   * carry neither. Costs one comparison on the one-pass read: the tag's place is recorded anyway.
   */
  boolean proxy() {
    if (message == null) {
      // A place is that of the length varint: a first byte of 0 is an empty value, not the tag.
      return upstreamClusterAt != 0 && ids[upstreamClusterAt] != 0;
    }
    return !message.getUpstreamCluster().isEmpty() || "proxy".equals(attributes.get("component"));
  }

  /** A marker {@link TraceState} keeps among the seen keys: {@code mark}, then the span id, or the parent span id. */
  byte[] markKey(byte mark, boolean parent) {
    int from = parent ? parentFrom : spanIdFrom;
    int length = parent ? parentLength : spanIdLength;
    byte[] k = new byte[length + 1];
    k[0] = mark;
    System.arraycopy(ids, from, k, 1, length);
    return k;
  }

  /** Whether {@code key} is {@link #markKey(byte, boolean) markKey(mark, parent)} of this span. */
  boolean isMarkKey(byte[] key, byte mark, boolean parent) {
    int from = parent ? parentFrom : spanIdFrom;
    int length = parent ? parentLength : spanIdLength;
    return key.length == length + 1 && key[0] == mark && Arrays.equals(key, 1, key.length, ids, from, from + length);
  }

  /** The span id in lower-case hex. */
  String spanIdHex() {
    return HEX.formatHex(ids, spanIdFrom, spanIdFrom + spanIdLength);
  }

  /** The parent span id in lower-case hex, "" for a root span. */
  String parentSpanIdHex() {
    return HEX.formatHex(ids, parentFrom, parentFrom + parentLength);
  }

  /**
   * (kind number, span id): what {@link TraceState} remembers of a span to drop its redeliveries. A {@link #linkedTo}
   * view remembers ({@link #SEEN_LINKED}, span id, linked span id): no kind number, so no span's key equals it.
   */
  byte[] seenKey() {
    int n = linked() ? spanIdLength + linkedSpanIdLength : spanIdLength;
    byte[] k = new byte[n + 1];
    k[0] = linked() ? SEEN_LINKED : (byte) kind;
    System.arraycopy(ids, spanIdFrom, k, 1, n); // a view's ids are its span id, then the linked span id
    return k;
  }

  /**
   * Takes a string field's bytes {@code b[at, at + n)}, its length at {@code lengthAt}: a name the rules read
   * through the cache, a naming attribute as its place, text no rule reads only checked. False when a byte is
   * not ASCII.
   */
  private boolean text(int action, byte[] b, int lengthAt, int at, int n) {
    if (action <= RESPONSE_FLAGS) {
      String s = ascii(b, at, n);
      if (s == null) {
        return false;
      }
      switch (action) {
        case SERVICE_NAME -> serviceName = s;
        case SERVICE_NAMESPACE -> serviceNamespace = s;
        case DB_SYSTEM -> dbSystem = s;
        case MESSAGING_SYSTEM -> messagingSystem = s;
        case ISTIO_WORKLOAD -> istioWorkload = s;
        case ISTIO_NAMESPACE -> istioNamespace = s;
        case CANONICAL_SERVICE -> istioCanonicalService = s;
        default -> responseFlags = s;
      }
      return true;
    }
    switch (action) {
      case PEER_SERVICE -> peerServiceAt = lengthAt;
      case SERVER_ADDRESS -> serverAddressAt = lengthAt;
      case NETWORK_PEER_ADDRESS -> networkPeerAddressAt = lengthAt;
      case DB_NAME -> dbNameAt = lengthAt;
      case MESSAGING_DESTINATION -> messagingDestinationAt = lengthAt;
      case UPSTREAM_CLUSTER -> upstreamClusterAt = lengthAt;
      default -> { } // UNREAD_TEXT
    }
    return isAscii(b, at, n);
  }

  /** The text of a string field whose length the one-pass read found at {@code lengthAt} ("" when 0: absent). */
  private String text(int lengthAt) {
    if (lengthAt == 0) {
      return "";
    }
    WireCursor in = new WireCursor(ids, lengthAt);
    int n = in.length();
    return ascii(ids, in.position(), n);
  }

  String peerService() {
    return message != null ? message.getPeerService() : text(peerServiceAt);
  }

  String serverAddress() {
    return message != null ? message.getServerAddress() : text(serverAddressAt);
  }

  String networkPeerAddress() {
    return message != null ? message.getNetworkPeerAddress() : text(networkPeerAddressAt);
  }

  String dbName() {
    return message != null ? message.getDbName() : text(dbNameAt);
  }

  String messagingDestination() {
    return message != null ? message.getMessagingDestination() : text(messagingDestinationAt);
  }

  String upstreamCluster() {
    return message != null ? message.getUpstreamCluster() : text(upstreamClusterAt);
  }

  /** Cached names: at most this long, in a table of this many slots. */
  private static final int CACHED_LENGTH = 64;
  private static final Cached[] CACHE = new Cached[4096];

  /**
   * One cached name. Its fields are final, so a slot read without a lock shows either nothing or a
   * whole entry: the cache needs no synchronization.
   */
  private record Cached(byte[] bytes, String value) {}

  /** Whether every byte of {@code b[from, from + n)} is ASCII. */
  static boolean isAscii(byte[] b, int from, int n) {
    // One OR over the bytes, eight at a time, no branch per byte: a byte past 0x7f has its high bit set, and so
    // then has the OR. The last bytes in one more word read, masked, unless the record ends within eight bytes.
    int end = from + n;
    int i = from;
    long or = 0;
    for (; end - i >= 8; i += 8) {
      or |= WireCursor.word(b, i);
    }
    if (i < end) {
      if (b.length - i >= 8) {
        or |= WireCursor.word(b, i) & ((1L << ((end - i) << 3)) - 1);
      } else {
        for (; i < end; i++) {
          or |= b[i] & 0xff;
        }
      }
    }
    return (or & WireCursor.HIGH_BITS) == 0;
  }

  /**
   * Names of 1 to 16 bytes (nearly all: services, namespaces, workloads), cached by their bytes read as two words.
   * The byte-wise hash and range compare of the cache below took about a third of a span's parse for its four or so
   * names; two word reads, one mask for the ASCII check and two word compares do the same.
   */
  private static final ShortName[] SHORT_NAMES = new ShortName[1 << 12];

  /** A cached short name: its bytes little-endian in two words, zero past its length. Final fields, as {@link Cached}. */
  private record ShortName(long low, long high, int length, String value) {}

  /** The ASCII text in {@code b[from, from + n)}, a cached instance where one exists; null when a byte is not ASCII. */
  static String ascii(byte[] b, int from, int n) {
    // The word reads may look at bytes past the name (masked off), never past the record.
    if (n > 0 && n <= 16 && b.length - from >= (n <= 8 ? 8 : 16)) {
      return shortAscii(b, from, n);
    }
    int or = 0;
    int h = 0;
    for (int i = from; i < from + n; i++) {
      byte c = b[i];
      or |= c;
      h = 31 * h + c;
    }
    if (or < 0) {
      return null;
    }
    if (n == 0) {
      return "";
    }
    if (n > CACHED_LENGTH) {
      return new String(b, from, n, StandardCharsets.US_ASCII);
    }
    int slot = (h ^ (h >>> 12)) & (CACHE.length - 1);
    Cached c = CACHE[slot];
    if (c != null && Arrays.equals(c.bytes, 0, c.bytes.length, b, from, from + n)) {
      return c.value;
    }
    String s = new String(b, from, n, StandardCharsets.US_ASCII);
    CACHE[slot] = new Cached(Arrays.copyOfRange(b, from, from + n), s);
    return s;
  }

  private static String shortAscii(byte[] b, int from, int n) {
    long low = WireCursor.word(b, from);
    long high = 0;
    if (n < 8) {
      low &= (1L << (n << 3)) - 1;
    } else if (n > 8) {
      high = WireCursor.word(b, from + 8);
      if (n < 16) {
        high &= (1L << ((n - 8) << 3)) - 1;
      }
    }
    if (((low | high) & WireCursor.HIGH_BITS) != 0) {
      return null;
    }
    // Multiplicative hashing, the top bits: every byte of the name moves them.
    int slot = (int) (((low ^ Long.rotateLeft(high, 29) ^ n) * 0x9e3779b97f4a7c15L) >>> (64 - 12));
    ShortName c = SHORT_NAMES[slot];
    if (c != null && c.low == low && c.high == high && c.length == n) {
      return c.value;
    }
    String s = new String(b, from, n, StandardCharsets.US_ASCII);
    SHORT_NAMES[slot] = new ShortName(low, high, n, s);
    return s;
  }
}
