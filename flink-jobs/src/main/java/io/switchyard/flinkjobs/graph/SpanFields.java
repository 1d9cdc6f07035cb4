package io.switchyard.flinkjobs.graph;

import com.google.protobuf.InvalidProtocolBufferException;
import io.switchyard.flinkjobs.serde.WireCursor;
import io.switchyard.model.v1.SpanRecord;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
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

  /** The one-pass read; false when the record needs the full parse to be judged. */
  private boolean read(byte[] b) {
    WireCursor in = new WireCursor(b);
    ids = b;
    while (in.more()) {
      int tag = in.tag();
      int field = tag >>> 3;
      switch (tag) {
        case 7 << 3 | WireCursor.VARINT -> kind = (int) in.varint();
        case 11 << 3 | WireCursor.VARINT -> status = (int) in.varint();
        case 27 << 3 | WireCursor.VARINT -> httpStatusCode = (int) in.varint();
        case 30 << 3 | WireCursor.VARINT -> rpcGrpcStatusCode = (int) in.varint();
        case 9 << 3 | WireCursor.FIXED64 -> startTimeUnixNano = in.fixed64();
        case 10 << 3 | WireCursor.FIXED64 -> endTimeUnixNano = in.fixed64();
        case 12 << 3 | WireCursor.FIXED64 -> samplingProbability = Double.longBitsToDouble(in.fixed64());
        case 3 << 3 | WireCursor.LENGTH_DELIMITED -> {
          spanIdLength = in.length();
          spanIdFrom = in.position();
          in.skip(spanIdLength);
        }
        case 4 << 3 | WireCursor.LENGTH_DELIMITED -> {
          parentLength = in.length();
          parentFrom = in.position();
          in.skip(parentLength);
        }
        case 40 << 3 | WireCursor.LENGTH_DELIMITED -> {
          return false; // the attribute map: the full parse reads it
        }
        default -> {
          if ((tag & 7) == WireCursor.LENGTH_DELIMITED && isString(field)) {
            int lengthAt = in.position();
            int n = in.length();
            if (in.failed() || !text(field, b, lengthAt, in.position(), n)) {
              return false; // not ASCII: the full parse checks the UTF-8
            }
            in.skip(n);
          } else {
            in.skipValue(tag); // trace_id (the batch's key already), fields the rules never read, unknown fields
          }
        }
      }
    }
    return !in.failed();
  }

  boolean hasParent() {
    return parentLength != 0;
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

  /** (kind number, span id): what {@link TraceState} remembers of a span to drop its redeliveries. */
  byte[] seenKey() {
    byte[] k = new byte[spanIdLength + 1];
    k[0] = (byte) kind;
    System.arraycopy(ids, spanIdFrom, k, 1, spanIdLength);
    return k;
  }

  /**
   * Takes string field {@code field} from {@code b[at, at + n)}, its length at {@code lengthAt}: a name
   * the rules read through the cache, a naming attribute as its place, a field the rules never read only
   * checked. False when a byte is not ASCII.
   */
  private boolean text(int field, byte[] b, int lengthAt, int at, int n) {
    switch (field) {
      case 5, 6, 23, 25, 31, 32, 33, 35 -> {
        String s = ascii(b, at, n);
        if (s == null) {
          return false;
        }
        keep(field, s);
        return true;
      }
      case 20 -> peerServiceAt = lengthAt;
      case 21 -> serverAddressAt = lengthAt;
      case 22 -> networkPeerAddressAt = lengthAt;
      case 24 -> dbNameAt = lengthAt;
      case 26 -> messagingDestinationAt = lengthAt;
      case 34 -> upstreamClusterAt = lengthAt;
      default -> { } // name, http method and route: checked, not kept
    }
    return isAscii(b, at, n);
  }

  private void keep(int field, String s) {
    switch (field) {
      case 5 -> serviceName = s;
      case 6 -> serviceNamespace = s;
      case 23 -> dbSystem = s;
      case 25 -> messagingSystem = s;
      case 31 -> istioWorkload = s;
      case 32 -> istioNamespace = s;
      case 33 -> istioCanonicalService = s;
      default -> responseFlags = s;
    }
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

  /** SpanRecord's string fields: their bytes must be valid UTF-8 for the record to parse. */
  private static boolean isString(int field) {
    return field == 5 || field == 6 || field == 8 || (field >= 20 && field <= 26) || field == 28 || field == 29
        || (field >= 31 && field <= 35);
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
    // One OR over the bytes, no branch per byte: a byte past 0x7f is negative, and so is the OR.
    int or = 0;
    for (int i = from; i < from + n; i++) {
      or |= b[i];
    }
    return or >= 0;
  }

  /** The ASCII text in {@code b[from, from + n)}, a cached instance where one exists; null when a byte is not ASCII. */
  static String ascii(byte[] b, int from, int n) {
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
}
