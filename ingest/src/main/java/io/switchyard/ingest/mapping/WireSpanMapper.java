package io.switchyard.ingest.mapping;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.switchyard.model.v1.SpanRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Maps the wire bytes of an {@code ExportTraceServiceRequest} straight to Kafka key/value bytes, without building
 * the generated OTLP objects or a {@link SpanRecord} builder: parsing and record building were half of the
 * ingest worker's CPU. {@link SpanMapper} stays the reference: for every request both accept, this produces the
 * same bytes, and it accepts exactly the requests the generated parser accepts (proven by
 * {@code WireSpanMapperTest}), and those whose only fault is a string that is not UTF-8 ({@link OtlpRequests}).
 *
 * <p>Only the attributes a reader needs are decoded into {@link AnyValue}s, and the link ids of a CONSUMER span read
 * in a second walk over its bytes once its kind is known. Everything else (events, the links of other spans, scope,
 * attributes no reader needs or past the count limit) is walked without decoding, checking what the parser checks:
 * UTF-8 of strings and the structure of nested messages. Whenever that walk finds a problem, or a shape it leaves to
 * the parser, the request is parsed by the generated code, so a client gets the parser's exact error message (or,
 * when the problem was invalid UTF-8, the span is kept with U+FFFD in its place, as {@link OtlpRequests} reads it). With
 * {@code --keep-attributes} every attribute is needed anyway, so that mode parses the request and uses the
 * reference mapper.
 */
public final class WireSpanMapper {
  /**
   * A span record ready for Kafka: key = lower-case hex trace id, value = serialized {@link SpanRecord}; or, with
   * {@code linkCopy}, one of the {@link LinkCopies} of the record before it, keyed by the trace it links to.
   */
  public record Encoded(byte[] key, byte[] value, boolean linkCopy) {
    public Encoded(byte[] key, byte[] value) {
      this(key, value, false);
    }
  }

  private static final WireSchema REQUEST = WireSchema.of(ExportTraceServiceRequest.getDescriptor());
  private static final WireSchema RESOURCE_SPANS = REQUEST.child(1);
  private static final WireSchema RESOURCE = RESOURCE_SPANS.child(1);
  private static final WireSchema SCOPE_SPANS = RESOURCE_SPANS.child(2);
  private static final WireSchema SPAN = SCOPE_SPANS.child(2);
  private static final WireSchema KEY_VALUE = SPAN.child(9);
  private static final WireSchema ANY_VALUE = KEY_VALUE.child(2);
  private static final WireSchema STATUS = SPAN.child(15);

  private static final int LEN = WireFormat.WIRETYPE_LENGTH_DELIMITED;
  private static final int VARINT = WireFormat.WIRETYPE_VARINT;
  private static final int FIXED64 = WireFormat.WIRETYPE_FIXED64;
  private static final int TRACE_ID = 1;
  private static final int SPAN_ID = 2;
  private static final int TRACE_STATE = 3;
  private static final int PARENT = 4;
  private static final int NAME = 5;
  private static final int T_1_LEN = 1 << 3 | LEN;
  private static final int T_2_LEN = 2 << 3 | LEN;
  private static final int T_DEPRECATED_SCOPES = OtlpRequests.DEPRECATED_SCOPES << 3 | LEN;
  private static final int T_TRACE_STATE = 3 << 3 | LEN;
  private static final int T_PARENT = 4 << 3 | LEN;
  private static final int T_NAME = 5 << 3 | LEN;
  private static final int T_KIND = 6 << 3 | VARINT;
  private static final int T_START = 7 << 3 | FIXED64;
  private static final int T_END = 8 << 3 | FIXED64;
  private static final int T_ATTRIBUTE = 9 << 3 | LEN;
  private static final int T_LINK = 13 << 3 | LEN;
  private static final int T_STATUS = 15 << 3 | LEN;
  private static final int T_STATUS_CODE = 3 << 3 | VARINT;
  private static final int T_INT_VALUE = 3 << 3 | VARINT;
  private static final int CONSUMER = SpanRecord.SpanKind.SPAN_KIND_CONSUMER_VALUE;
  /** SpanRecord.links (36): one Link of a 16-byte trace id (1) and an 8-byte span id (2), the only shape kept. */
  private static final int LINKS = 36;
  private static final int LINK_BODY = bytesSize(1, SpanMapper.TRACE_ID_SIZE) + bytesSize(2, SpanMapper.SPAN_ID_SIZE);
  private static final int LINK_SIZE =
      CodedOutputStream.computeTagSize(LINKS) + CodedOutputStream.computeUInt32SizeNoTag(LINK_BODY) + LINK_BODY;

  private final SpanMapper reference;
  private final MappingOptions options;
  private final java.util.concurrent.atomic.LongAdder parsed = new java.util.concurrent.atomic.LongAdder();

  public WireSpanMapper(MappingOptions options) {
    this.reference = new SpanMapper(options);
    this.options = options;
  }

  /** @throws InvalidProtocolBufferException when the bytes are not an {@code ExportTraceServiceRequest} */
  public MappedBatch<Encoded> map(byte[] request, long receivedUnixNano) throws InvalidProtocolBufferException {
    if (!options.keepAttributes()) {
      try {
        return wire(request, receivedUnixNano);
      } catch (WireCursor.Malformed e) {
        // Fall through: the generated parser names the problem exactly as it always did, or accepts what the
        // cursor leaves to it (groups, packed fields, deep nesting), or strings that are not UTF-8 (replaced).
        parsed.increment();
      }
    }
    MappedBatch<SpanRecord> b = reference.map(OtlpRequests.traces(request), receivedUnixNano);
    List<Encoded> out = new ArrayList<>(b.records().size());
    for (SpanRecord r : b.records()) {
      byte[] value = r.toByteArray();
      out.add(new Encoded(Hex.encodeAscii(r.getTraceId()), value));
      LinkCopies.add(r, value, out);
    }
    return new MappedBatch<>(out, b.rejected(), b.ignored(), b.firstError(), b.truncated(), b.linksOverLimit(),
        b.linksInvalid());
  }

  /** Requests that had to be parsed by the generated code: malformed ones, or shapes the wire walk leaves to it. */
  public long parsedRequests() {
    return parsed.sum();
  }

  private static final class Batch {
    final long receivedUnixNano;
    final List<Encoded> out = new ArrayList<>();
    long rejected;
    long truncated;
    long linksOverLimit;
    long linksInvalid;
    String firstError = "";

    Batch(long receivedUnixNano) {
      this.receivedUnixNano = receivedUnixNano;
    }
  }

  /**
   * Walks the whole request once: the parts a span record needs are read, everything else is checked as the
   * generated parser would check it ({@link WireSchema}), so a request is accepted exactly when the parser accepts it.
   */
  private MappedBatch<Encoded> wire(byte[] request, long receivedUnixNano) throws WireCursor.Malformed {
    Batch batch = new Batch(receivedUnixNano);
    WireCursor c = new WireCursor(request, 0, request.length);
    int r = 0;
    for (int tag = c.tag(); tag != 0; tag = c.tag()) {
      if (tag == T_1_LEN) {
        int old = c.push(c.length());
        resourceSpans(batch, c, r++);
        c.pop(old);
      } else {
        REQUEST.checkField(c, tag, 0);
      }
    }
    return new MappedBatch<>(batch.out, batch.rejected, 0, batch.firstError, batch.truncated, batch.linksOverLimit,
        batch.linksInvalid);
  }

  private void resourceSpans(Batch batch, WireCursor c, int r) throws WireCursor.Malformed {
    // The resource may follow its scope_spans on the wire, so it is read in a first pass.
    int start = c.pos;
    List<KeyValue> attrs = new ArrayList<>();
    for (int tag = c.tag(); tag != 0; tag = c.tag()) {
      if (tag == T_1_LEN) {
        int old = c.push(c.length());
        resource(attrs, c);
        c.pop(old);
      } else if (tag == T_DEPRECATED_SCOPES) {
        // An old client's instrumentation_library_spans: left to the parser, which migrates it (OtlpRequests).
        throw WireCursor.MALFORMED;
      } else {
        c.skip(tag);
      }
    }
    Resource resource = new Resource(Attributes.of(attrs));
    c.pos = start;
    int s = 0;
    for (int tag = c.tag(); tag != 0; tag = c.tag()) {
      if (tag == T_2_LEN) {
        int old = c.push(c.length());
        scopeSpans(batch, resource, c, r, s++);
        c.pop(old);
      } else if (tag == T_1_LEN) {
        int n = c.length();
        c.pos += n;
      } else {
        RESOURCE_SPANS.checkField(c, tag, 1);
      }
    }
  }

  private static void resource(List<KeyValue> attrs, WireCursor c) throws WireCursor.Malformed {
    for (int tag = c.tag(); tag != 0; tag = c.tag()) {
      if (tag == T_1_LEN) {
        int n = c.length();
        int off = c.pos;
        int old = c.push(n);
        KEY_VALUE.check(c, 3);
        c.pop(old);
        try {
          attrs.add(KeyValue.parseFrom(UnsafeByteOperations.unsafeWrap(c.buf, off, n)));
        } catch (InvalidProtocolBufferException e) {
          throw WireCursor.MALFORMED;
        }
      } else {
        RESOURCE.checkField(c, tag, 2);
      }
    }
  }

  /** The resource's values a span record takes, cut to the value limit once per resource instead of per span. */
  private final class Resource {
    final Attributes attrs;
    final String serviceName;
    final String serviceNamespace;
    final String istioNamespace;
    final String k8sNamespace;
    final String workload;
    final String canonicalService;

    Resource(Attributes attrs) {
      this.attrs = attrs;
      serviceName = cut(attrs.string("service.name"));
      serviceNamespace = cut(attrs.string("service.namespace"));
      istioNamespace = cut(attrs.string("istio.namespace"));
      k8sNamespace = cut(attrs.string("k8s.namespace.name"));
      workload = cut(attrs.string(WORKLOAD_KEYS));
      canonicalService = cut(attrs.string("istio.canonical_service"));
    }
  }

  private static final String[] WORKLOAD_KEYS =
      {"istio.workload", "k8s.deployment.name", "k8s.statefulset.name", "k8s.daemonset.name"};

  /** Slots of the span attributes a record reads, resolved once. */
  private static final int[] AT_ISTIO_NAMESPACE = SpanMapper.SPAN_KEYS.slotsOf("istio.namespace");
  private static final int[] AT_PEER_SERVICE = SpanMapper.SPAN_KEYS.slotsOf("peer.service");
  private static final int[] AT_SERVER_ADDRESS = SpanMapper.SPAN_KEYS.slotsOf("server.address", "net.peer.name");
  private static final int[] AT_NETWORK_PEER_ADDRESS =
      SpanMapper.SPAN_KEYS.slotsOf("network.peer.address", "net.sock.peer.addr", "net.peer.ip");
  private static final int[] AT_DB_SYSTEM = SpanMapper.SPAN_KEYS.slotsOf("db.system", "db.system.name");
  private static final int[] AT_DB_NAME = SpanMapper.SPAN_KEYS.slotsOf("db.name", "db.namespace");
  private static final int[] AT_MESSAGING_SYSTEM = SpanMapper.SPAN_KEYS.slotsOf("messaging.system");
  private static final int[] AT_MESSAGING_DESTINATION_NAME =
      SpanMapper.SPAN_KEYS.slotsOf("messaging.destination.name", "messaging.destination");
  private static final int[] AT_HTTP_REQUEST_METHOD =
      SpanMapper.SPAN_KEYS.slotsOf("http.request.method", "http.method");
  private static final int[] AT_HTTP_ROUTE = SpanMapper.SPAN_KEYS.slotsOf("http.route");
  private static final int[] AT_ISTIO_CANONICAL_SERVICE = SpanMapper.SPAN_KEYS.slotsOf("istio.canonical_service");
  private static final int[] AT_UPSTREAM_CLUSTER = SpanMapper.SPAN_KEYS.slotsOf("upstream_cluster");
  private static final int[] AT_RESPONSE_FLAGS = SpanMapper.SPAN_KEYS.slotsOf("response_flags");
  private static final int[] AT_HTTP_RESPONSE_STATUS_CODE =
      SpanMapper.SPAN_KEYS.slotsOf("http.response.status_code", "http.status_code");
  private static final int[] AT_RPC_GRPC_STATUS_CODE =
      SpanMapper.SPAN_KEYS.slotsOf("rpc.grpc.status_code", "grpc.status_code");
  private static final int[] AT_WORKLOAD = SpanMapper.SPAN_KEYS.slotsOf(WORKLOAD_KEYS);

  private void scopeSpans(Batch batch, Resource resource, WireCursor c, int r, int s) throws WireCursor.Malformed {
    int i = 0;
    for (int tag = c.tag(); tag != 0; tag = c.tag()) {
      if (tag == T_2_LEN) {
        int old = c.push(c.length());
        span(batch, resource, c, r, s, i++);
        c.pop(old);
      } else {
        SCOPE_SPANS.checkField(c, tag, 2);
      }
    }
  }

  /** The fields of one span as they were on the wire (last occurrence wins, as in the generated parser). */
  private static final class WireSpan {
    // Byte ranges of the id and string fields, by field number (TRACE_ID..NAME).
    final int[] off = new int[NAME + 1];
    final int[] len = new int[NAME + 1];
    int kind;
    long start;
    long end;
    int status;
    int attributeCount;
    boolean overLimit;
    // The last AnyValue read: its fields, final oneof member, string range and int value.
    int valueFields;
    int valueLast;
    int valueStrOff;
    int valueStrLen;
    long valueInt;
    // Link fields seen (all kinds); for a CONSUMER span, the offsets of its kept links' trace and span ids.
    int links;
    int[] linkIds;
    int linkCount;
  }

  private void span(Batch batch, Resource resource, WireCursor c, int r, int s, int i) throws WireCursor.Malformed {
    WireSpan w = new WireSpan();
    AnyValue[] slots = new AnyValue[SpanMapper.SPAN_KEYS.size()];
    int start = c.pos;
    for (int tag = c.tag(); tag != 0; tag = c.tag()) {
      switch (tag) {
        case T_1_LEN, T_2_LEN, T_TRACE_STATE, T_PARENT, T_NAME -> {
          int field = tag >>> 3;
          int n = field == TRACE_STATE || field == NAME ? c.string() : c.length();
          w.off[field] = c.pos;
          w.len[field] = n;
          c.pos += n;
        }
        case T_KIND -> w.kind = (int) c.varint();
        case T_START -> w.start = c.fixed64();
        case T_END -> w.end = c.fixed64();
        case T_ATTRIBUTE -> {
          int old = c.push(c.length());
          attribute(w, slots, c);
          c.pop(old);
        }
        case T_STATUS -> {
          int old = c.push(c.length());
          w.status = statusCode(w.status, c);
          c.pop(old);
        }
        case T_LINK -> {
          // Checked like any nested message; its ids are read below if the span turns out to be a CONSUMER.
          w.links++;
          SPAN.checkField(c, tag, 3);
        }
        default -> SPAN.checkField(c, tag, 3);
      }
    }
    String problem = validate(w, c.buf);
    if (problem != null) {
      batch.rejected++;
      if (batch.firstError.isEmpty()) {
        batch.firstError = "resource_spans[" + r + "].scope_spans[" + s + "].spans[" + i + "]: " + problem;
      }
      return;
    }
    if (w.links > 0 && kind(w.kind) == CONSUMER) {
      links(batch, w, c, start);
    }
    boolean over = w.overLimit || w.attributeCount > options.maxAttributes();
    Attributes attrs = Attributes.ofSlots(SpanMapper.SPAN_KEYS, slots, over);
    // UTF-16 length never exceeds the UTF-8 byte length, so a short name needs no decoding.
    String name = w.len[NAME] > options.maxValueLength()
        ? new String(c.buf, w.off[NAME], w.len[NAME], StandardCharsets.UTF_8) : null;
    if (over || (name != null && name.length() > options.maxValueLength())) {
      batch.truncated++;
    }
    byte[] key = new byte[w.len[TRACE_ID] * 2];
    for (int k = 0; k < w.len[TRACE_ID]; k++) {
      int b = c.buf[w.off[TRACE_ID] + k] & 0xff;
      key[2 * k] = HEX[b >>> 4];
      key[2 * k + 1] = HEX[b & 0xf];
    }
    byte[] value = encode(w, c.buf, name, resource, attrs, batch.receivedUnixNano);
    batch.out.add(new Encoded(key, value));
    if (w.linkIds != null) {
      LinkCopies.add(value, c.buf, w.off[TRACE_ID], w.linkIds, w.linkCount, batch.out);
    }
  }

  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  /**
   * A CONSUMER span's links, as {@link SpanMapper} keeps them: a second walk over the span's bytes (from
   * {@code start} to the cursor's limit), since its kind may come after its links on the wire. The first walk
   * checked every field already, so the rest is only skipped. Notes the offsets of the first
   * {@link SpanMapper#MAX_LINKS} links whose ids are valid (last occurrence of each id wins, as in the parser), and
   * counts the others in {@code batch} as {@link SpanMapper} counts them: so the walk goes on past the cap, to tell
   * the invalid links there from the valid ones.
   */
  private static void links(Batch batch, WireSpan w, WireCursor c, int start) throws WireCursor.Malformed {
    int end = c.pos;
    c.pos = start;
    int[] ids = new int[2 * Math.min(w.links, SpanMapper.MAX_LINKS)];
    int n = 0;
    for (int tag = c.tag(); tag != 0; tag = c.tag()) {
      if (tag != T_LINK) {
        c.skip(tag);
        continue;
      }
      int old = c.push(c.length());
      int traceOff = 0;
      int traceLen = 0;
      int spanOff = 0;
      int spanLen = 0;
      for (int t = c.tag(); t != 0; t = c.tag()) {
        if (t == T_1_LEN) {
          traceLen = c.length();
          traceOff = c.pos;
          c.pos += traceLen;
        } else if (t == T_2_LEN) {
          spanLen = c.length();
          spanOff = c.pos;
          c.pos += spanLen;
        } else {
          c.skip(t);
        }
      }
      c.pop(old);
      if (!validId(c.buf, traceOff, traceLen, SpanMapper.TRACE_ID_SIZE)
          || !validId(c.buf, spanOff, spanLen, SpanMapper.SPAN_ID_SIZE)) {
        batch.linksInvalid++;
      } else if (2 * n < ids.length) {
        ids[2 * n] = traceOff;
        ids[2 * n + 1] = spanOff;
        n++;
      } else {
        batch.linksOverLimit++;
      }
    }
    c.pos = end;
    w.linkIds = ids;
    w.linkCount = n;
  }

  /** Reads one KeyValue: needed keys into their slot, the others only checked (limits, UTF-8, structure). */
  private void attribute(WireSpan w, AnyValue[] slots, WireCursor c) throws WireCursor.Malformed {
    int index = w.attributeCount++;
    if (index >= options.maxAttributes()) {
      // Dropped by the count limit, but still part of a request the parser would have checked.
      KEY_VALUE.check(c, 4);
      return;
    }
    int off = c.pos;
    int slot = -1;
    int values = 0;
    for (int tag = c.tag(); tag != 0; tag = c.tag()) {
      if (tag == T_1_LEN) {
        int n = c.length();
        slot = SpanMapper.SPAN_KEYS.slotOf(c.buf, c.pos, n);
        // A key found in the set is ASCII; any other key is checked here.
        if (slot < 0 && !WireCursor.isUtf8(c.buf, c.pos, n)) {
          throw WireCursor.MALFORMED;
        }
        c.pos += n;
      } else if (tag == T_2_LEN) {
        int old = c.push(c.length());
        anyValue(w, c);
        c.pop(old);
        values++;
      } else {
        KEY_VALUE.checkField(c, tag, 4);
      }
    }
    if (slot >= 0 || values > 1) {
      AnyValue v = values == 1 ? simpleValue(w, c.buf) : null;
      if (v == null) {
        // Rare: a value of another shape, or one split over several fields (which the parser merges).
        try {
          v = KeyValue.parseFrom(UnsafeByteOperations.unsafeWrap(c.buf, off, c.limit - off)).getValue();
        } catch (InvalidProtocolBufferException e) {
          throw WireCursor.MALFORMED;
        }
      }
      if (slot >= 0) {
        slots[slot] = v;
      }
      w.overLimit |= v.getValueCase() == AnyValue.ValueCase.STRING_VALUE
          && v.getStringValue().length() > options.maxValueLength();
      return;
    }
    if (values == 1 && w.valueLast == 1 && w.valueStrLen > options.maxValueLength()) {
      w.overLimit |= new String(c.buf, w.valueStrOff, w.valueStrLen, StandardCharsets.UTF_8).length()
          > options.maxValueLength();
    }
  }

  /** The value of a one-field string or int AnyValue built directly (the common case); null for other shapes. */
  private static AnyValue simpleValue(WireSpan w, byte[] buf) {
    if (w.valueFields != 1) {
      return null;
    }
    return switch (w.valueLast) {
      case 1 -> AnyValue.newBuilder()
          .setStringValue(new String(buf, w.valueStrOff, w.valueStrLen, StandardCharsets.UTF_8)).build();
      case 3 -> AnyValue.newBuilder().setIntValue(w.valueInt).build();
      default -> null;
    };
  }

  /**
   * Checks an AnyValue and notes its final oneof member (the parser keeps the last one on the wire), its string
   * range and its int value.
   */
  private static void anyValue(WireSpan w, WireCursor c) throws WireCursor.Malformed {
    w.valueFields = 0;
    w.valueLast = 0;
    for (int tag = c.tag(); tag != 0; tag = c.tag()) {
      w.valueFields++;
      int field = WireFormat.getTagFieldNumber(tag);
      int type = WireFormat.getTagWireType(tag);
      if (tag == T_1_LEN) {
        w.valueStrLen = c.string();
        w.valueStrOff = c.pos;
        c.pos += w.valueStrLen;
        w.valueLast = 1;
        continue;
      }
      if (tag == T_INT_VALUE) {
        w.valueInt = c.varint();
        w.valueLast = 3;
        continue;
      }
      if (type == ONEOF_WIRE_TYPES[Math.min(field, ONEOF_WIRE_TYPES.length - 1)]) {
        w.valueLast = field;
      }
      ANY_VALUE.checkField(c, tag, 5);
    }
  }

  /** AnyValue's oneof members 1..7 by field number and their wire types; -1 marks "not a member". */
  private static final int[] ONEOF_WIRE_TYPES = {-1, WireFormat.WIRETYPE_LENGTH_DELIMITED, WireFormat.WIRETYPE_VARINT,
      WireFormat.WIRETYPE_VARINT, WireFormat.WIRETYPE_FIXED64, WireFormat.WIRETYPE_LENGTH_DELIMITED,
      WireFormat.WIRETYPE_LENGTH_DELIMITED, WireFormat.WIRETYPE_LENGTH_DELIMITED, -1};

  private static int statusCode(int current, WireCursor c) throws WireCursor.Malformed {
    int code = current;
    for (int tag = c.tag(); tag != 0; tag = c.tag()) {
      if (tag == T_STATUS_CODE) {
        code = (int) c.varint();
      } else {
        STATUS.checkField(c, tag, 4);
      }
    }
    return code;
  }

  private static boolean allZero(byte[] buf, int off, int len) {
    for (int k = 0; k < len; k++) {
      if (buf[off + k] != 0) {
        return false;
      }
    }
    return true;
  }

  /** W3C validity of an id, as {@link #validate} checks a span's own ({@link SpanMapper#validId}). */
  private static boolean validId(byte[] buf, int off, int len, int size) {
    return len == size && !allZero(buf, off, len);
  }

  /** The same checks and messages as {@link SpanMapper#validate}. */
  private static String validate(WireSpan w, byte[] buf) {
    if (w.len[TRACE_ID] != SpanMapper.TRACE_ID_SIZE) {
      return "trace_id must be 16 bytes, got " + w.len[TRACE_ID];
    }
    if (allZero(buf, w.off[TRACE_ID], w.len[TRACE_ID])) {
      return "trace_id must not be all zeros";
    }
    if (w.len[SPAN_ID] != SpanMapper.SPAN_ID_SIZE) {
      return "span_id must be 8 bytes, got " + w.len[SPAN_ID];
    }
    if (allZero(buf, w.off[SPAN_ID], w.len[SPAN_ID])) {
      return "span_id must not be all zeros";
    }
    if (w.len[PARENT] != 0 && w.len[PARENT] != 8) {
      return "parent_span_id must be empty or 8 bytes, got " + w.len[PARENT];
    }
    return null;
  }

  private static int kind(int wire) {
    return wire >= 1 && wire <= 5 ? wire : 0;
  }

  private static int status(int wire) {
    return wire == 1 || wire == 2 ? wire : 0;
  }

  /** The {@link SpanRecord} fields in field-number order, as the generated serializer writes them. */
  private byte[] encode(WireSpan w, byte[] buf, String longName, Resource resource, Attributes attrs, long received)
      throws WireCursor.Malformed {
    String spanIstioNamespace = attrs.string(AT_ISTIO_NAMESPACE);
    String istioNamespace = spanIstioNamespace.isEmpty() ? resource.istioNamespace : cut(spanIstioNamespace);
    String[] strings = {
      resource.serviceName,
      resource.serviceNamespace.isEmpty() ? istioNamespace : resource.serviceNamespace,
      longName == null ? "" : cut(longName),
      cut(attrs.string(AT_PEER_SERVICE)),
      cut(attrs.string(AT_SERVER_ADDRESS)),
      cut(attrs.string(AT_NETWORK_PEER_ADDRESS)),
      cut(attrs.string(AT_DB_SYSTEM)),
      cut(attrs.string(AT_DB_NAME)),
      cut(attrs.string(AT_MESSAGING_SYSTEM)),
      cut(attrs.string(AT_MESSAGING_DESTINATION_NAME)),
      cut(attrs.string(AT_HTTP_REQUEST_METHOD)),
      cut(attrs.string(AT_HTTP_ROUTE)),
      spanOr(attrs.string(AT_WORKLOAD), resource.workload),
      istioNamespace.isEmpty() ? resource.k8sNamespace : istioNamespace,
      spanOr(attrs.string(AT_ISTIO_CANONICAL_SERVICE), resource.canonicalService),
      cut(attrs.string(AT_UPSTREAM_CLUSTER)),
      cut(SpanMapper.responseFlags(attrs.string(AT_RESPONSE_FLAGS))),
    };
    int httpStatus = SpanMapper.httpStatus(attrs.number(0, AT_HTTP_RESPONSE_STATUS_CODE));
    int grpcStatus = (int) attrs.number(-1, AT_RPC_GRPC_STATUS_CODE);
    String traceState = w.len[TRACE_STATE] == 0 ? "" : new String(buf, w.off[TRACE_STATE], w.len[TRACE_STATE], StandardCharsets.UTF_8);
    double sampling = SamplingProbability.of(traceState, attrs);
    int kind = kind(w.kind);
    int status = status(w.status);
    // A short name is copied through as the wire's UTF-8 bytes (the same bytes a String would encode to).
    int nameSize = longName == null ? bytesSize(8, w.len[NAME]) : stringSize(8, strings[2]);
    // An all-zero parent is a root, as SpanMapper writes it.
    int parentLen = w.len[PARENT] == 8 && allZero(buf, w.off[PARENT], 8) ? 0 : w.len[PARENT];

    int size = CodedOutputStream.computeUInt32Size(1, SpanMapper.SCHEMA_VERSION)
        + bytesSize(2, w.len[TRACE_ID]) + bytesSize(3, w.len[SPAN_ID]) + bytesSize(4, parentLen)
        + stringSize(5, strings[0]) + stringSize(6, strings[1])
        + (kind != 0 ? CodedOutputStream.computeEnumSize(7, kind) : 0)
        + nameSize
        + (w.start != 0 ? CodedOutputStream.computeFixed64Size(9, w.start) : 0)
        + (w.end != 0 ? CodedOutputStream.computeFixed64Size(10, w.end) : 0)
        + (status != 0 ? CodedOutputStream.computeEnumSize(11, status) : 0)
        + (Double.doubleToRawLongBits(sampling) != 0 ? CodedOutputStream.computeDoubleSize(12, sampling) : 0)
        + w.linkCount * LINK_SIZE
        + (received != 0 ? CodedOutputStream.computeFixed64Size(41, received) : 0)
        + (httpStatus != 0 ? CodedOutputStream.computeInt32Size(27, httpStatus) : 0)
        + (grpcStatus != 0 ? CodedOutputStream.computeInt32Size(30, grpcStatus) : 0);
    for (int k = 3; k < strings.length; k++) {
      size += stringSize(TYPED_FIELDS[k - 3], strings[k]);
    }
    byte[] out = new byte[size];
    try {
      CodedOutputStream o = CodedOutputStream.newInstance(out);
      o.writeUInt32(1, SpanMapper.SCHEMA_VERSION);
      writeBytes(o, 2, buf, w.off[TRACE_ID], w.len[TRACE_ID]);
      writeBytes(o, 3, buf, w.off[SPAN_ID], w.len[SPAN_ID]);
      writeBytes(o, 4, buf, w.off[PARENT], parentLen);
      writeString(o, 5, strings[0]);
      writeString(o, 6, strings[1]);
      if (kind != 0) {
        o.writeEnum(7, kind);
      }
      if (longName == null) {
        writeBytes(o, 8, buf, w.off[NAME], w.len[NAME]);
      } else {
        writeString(o, 8, strings[2]);
      }
      if (w.start != 0) {
        o.writeFixed64(9, w.start);
      }
      if (w.end != 0) {
        o.writeFixed64(10, w.end);
      }
      if (status != 0) {
        o.writeEnum(11, status);
      }
      if (Double.doubleToRawLongBits(sampling) != 0) {
        o.writeDouble(12, sampling);
      }
      for (int k = 3; k < strings.length; k++) {
        int field = TYPED_FIELDS[k - 3];
        if (field == 28 && httpStatus != 0) {
          o.writeInt32(27, httpStatus);
        }
        if (field == 31 && grpcStatus != 0) {
          o.writeInt32(30, grpcStatus);
        }
        writeString(o, field, strings[k]);
      }
      for (int k = 0; k < w.linkCount; k++) {
        o.writeTag(LINKS, LEN);
        o.writeUInt32NoTag(LINK_BODY);
        o.writeByteArray(1, buf, w.linkIds[2 * k], SpanMapper.TRACE_ID_SIZE);
        o.writeByteArray(2, buf, w.linkIds[2 * k + 1], SpanMapper.SPAN_ID_SIZE);
      }
      if (received != 0) {
        o.writeFixed64(41, received);
      }
      o.checkNoSpaceLeft();
      return out;
    } catch (IOException e) {
      // The array was sized from the same fields: running out of space is a bug, not bad input.
      throw new IllegalStateException(e);
    }
  }

  /** Field numbers of strings[3..]: the typed attribute fields (27 and 30 are the two ints between them). */
  private static final int[] TYPED_FIELDS = {20, 21, 22, 23, 24, 25, 26, 28, 29, 31, 32, 33, 34, 35};

  private static int bytesSize(int field, int len) {
    return len == 0 ? 0 : CodedOutputStream.computeTagSize(field) + CodedOutputStream.computeUInt32SizeNoTag(len)
        + len;
  }

  private static int stringSize(int field, String s) {
    return s.isEmpty() ? 0 : CodedOutputStream.computeStringSize(field, s);
  }

  private static void writeBytes(CodedOutputStream o, int field, byte[] buf, int off, int len) throws IOException {
    if (len != 0) {
      o.writeByteArray(field, buf, off, len);
    }
  }

  private static void writeString(CodedOutputStream o, int field, String s) throws IOException {
    if (!s.isEmpty()) {
      o.writeString(field, s);
    }
  }

  /** Span attribute first, then the resource's (already cut), as {@link SpanMapper} does. */
  private String spanOr(String span, String resourceValue) {
    return span.isEmpty() ? resourceValue : cut(span);
  }

  private String cut(String s) {
    return options.cut(s);
  }
}
