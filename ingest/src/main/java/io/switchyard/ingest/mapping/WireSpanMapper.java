package io.switchyard.ingest.mapping;

import com.google.protobuf.CodedInputStream;
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
 * same bytes (proven by {@code WireSpanMapperTest}).
 *
 * <p>Only the attributes a reader needs are decoded into {@link AnyValue}s; the rest are scanned for the limits
 * (count, string length) and skipped. With {@code --keep-attributes} every attribute is needed anyway, so that
 * mode parses the request and uses the reference mapper.
 */
public final class WireSpanMapper {
  /** A span record ready for Kafka: key = lower-case hex trace id, value = serialized {@link SpanRecord}. */
  public record Encoded(byte[] key, byte[] value) {}

  private final SpanMapper reference;
  private final MappingOptions options;

  public WireSpanMapper(MappingOptions options) {
    this.reference = new SpanMapper(options);
    this.options = options;
  }

  /** @throws InvalidProtocolBufferException when the bytes are not an {@code ExportTraceServiceRequest} */
  public MappedBatch<Encoded> map(byte[] request, long receivedUnixNano) throws InvalidProtocolBufferException {
    if (options.keepAttributes()) {
      MappedBatch<SpanRecord> b = reference.map(ExportTraceServiceRequest.parseFrom(request), receivedUnixNano);
      List<Encoded> out = new ArrayList<>(b.records().size());
      for (SpanRecord r : b.records()) {
        out.add(new Encoded(Hex.encodeAscii(r.getTraceId()), r.toByteArray()));
      }
      return new MappedBatch<>(out, b.rejected(), b.ignored(), b.firstError(), b.truncated());
    }
    try {
      Batch batch = new Batch(receivedUnixNano);
      eachMessage(request, 0, request.length, 1, (pos, len, r) -> resourceSpans(batch, request, pos, len, r));
      return new MappedBatch<>(batch.out, batch.rejected, 0, batch.firstError, batch.truncated);
    } catch (InvalidProtocolBufferException e) {
      throw e;
    } catch (IOException e) {
      throw new InvalidProtocolBufferException(e);
    }
  }

  private static int tag(int field, int wireType) {
    return (field << 3) | wireType;
  }

  /** One occurrence of a message field: where its bytes are and how many came before it. */
  @FunctionalInterface
  private interface Occurrence {
    void at(int off, int len, int index) throws IOException;
  }

  /** Visits every occurrence of message field {@code field} in {@code buf[off, off + len)}, in wire order. */
  private static void eachMessage(byte[] buf, int off, int len, int field, Occurrence visit) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(buf, off, len);
    int wanted = tag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED);
    int index = 0;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (tag == wanted) {
        int n = in.readRawVarint32();
        int pos = off + in.getTotalBytesRead();
        in.skipRawBytes(n);
        visit.at(pos, n, index++);
      } else if (!in.skipField(tag)) {
        break;
      }
    }
  }

  private static final class Batch {
    final long receivedUnixNano;
    final List<Encoded> out = new ArrayList<>();
    long rejected;
    long truncated;
    String firstError = "";

    Batch(long receivedUnixNano) {
      this.receivedUnixNano = receivedUnixNano;
    }
  }

  private void resourceSpans(Batch batch, byte[] buf, int off, int len, int r) throws IOException {
    // The resource may follow its scope_spans on the wire, so it is read in a first pass.
    List<KeyValue> resourceAttrs = new ArrayList<>();
    eachMessage(buf, off, len, 1, (pos, n, ignored) -> resource(resourceAttrs, buf, pos, n));
    Attributes resource = Attributes.of(resourceAttrs);
    eachMessage(buf, off, len, 2, (pos, n, s) -> scopeSpans(batch, resource, buf, pos, n, r, s));
  }

  private static void resource(List<KeyValue> attrs, byte[] buf, int off, int len) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(buf, off, len);
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      if (tag == tag(1, WireFormat.WIRETYPE_LENGTH_DELIMITED)) {
        attrs.add(KeyValue.parseFrom(in.readBytes()));
      } else if (!in.skipField(tag)) {
        break;
      }
    }
  }

  private void scopeSpans(Batch batch, Attributes resource, byte[] buf, int off, int len, int r, int s)
      throws IOException {
    eachMessage(buf, off, len, 2, (pos, n, i) -> span(batch, resource, buf, pos, n, r, s, i));
  }

  /** The fields of one span as they were on the wire (last occurrence wins, as in the generated parser). */
  private static final class WireSpan {
    int traceOff;
    int traceLen;
    int spanOff;
    int spanLen;
    int parentOff;
    int parentLen;
    String traceState = "";
    String name = "";
    int kind;
    long start;
    long end;
    int status;
    int attributeCount;
    boolean overLimit;
  }

  private void span(Batch batch, Attributes resource, byte[] buf, int off, int len, int r, int s, int i)
      throws IOException {
    WireSpan w = new WireSpan();
    AnyValue[] slots = new AnyValue[SpanMapper.SPAN_KEYS.size()];
    CodedInputStream in = CodedInputStream.newInstance(buf, off, len);
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      int field = WireFormat.getTagFieldNumber(tag);
      int type = WireFormat.getTagWireType(tag);
      if (type == WireFormat.WIRETYPE_LENGTH_DELIMITED && (field == 1 || field == 2 || field == 4 || field == 9
          || field == 15)) {
        int n = in.readRawVarint32();
        int pos = off + in.getTotalBytesRead();
        in.skipRawBytes(n);
        switch (field) {
          case 1 -> {
            w.traceOff = pos;
            w.traceLen = n;
          }
          case 2 -> {
            w.spanOff = pos;
            w.spanLen = n;
          }
          case 4 -> {
            w.parentOff = pos;
            w.parentLen = n;
          }
          case 9 -> attribute(w, slots, buf, pos, n);
          default -> w.status = statusCode(w.status, buf, pos, n);
        }
      } else if (field == 3 && type == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        w.traceState = in.readStringRequireUtf8();
      } else if (field == 5 && type == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        w.name = in.readStringRequireUtf8();
      } else if (field == 6 && type == WireFormat.WIRETYPE_VARINT) {
        w.kind = in.readEnum();
      } else if (field == 7 && type == WireFormat.WIRETYPE_FIXED64) {
        w.start = in.readFixed64();
      } else if (field == 8 && type == WireFormat.WIRETYPE_FIXED64) {
        w.end = in.readFixed64();
      } else if (!in.skipField(tag)) {
        break;
      }
    }
    String problem = validate(w, buf);
    if (problem != null) {
      batch.rejected++;
      if (batch.firstError.isEmpty()) {
        batch.firstError = "resource_spans[" + r + "].scope_spans[" + s + "].spans[" + i + "]: " + problem;
      }
      return;
    }
    boolean over = w.overLimit || w.attributeCount > options.maxAttributes();
    Attributes attrs = Attributes.ofSlots(SpanMapper.SPAN_KEYS, slots, over);
    if (over || w.name.length() > options.maxValueLength()) {
      batch.truncated++;
    }
    byte[] key = new byte[w.traceLen * 2];
    for (int k = 0; k < w.traceLen; k++) {
      int b = buf[w.traceOff + k] & 0xff;
      key[2 * k] = HEX[b >>> 4];
      key[2 * k + 1] = HEX[b & 0xf];
    }
    batch.out.add(new Encoded(key, encode(w, buf, resource, attrs, batch.receivedUnixNano)));
  }

  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  /** Reads one KeyValue: needed keys into their slot, the others only checked against the limits. */
  private void attribute(WireSpan w, AnyValue[] slots, byte[] buf, int off, int len) throws IOException {
    int index = w.attributeCount++;
    if (index >= options.maxAttributes()) {
      return;
    }
    CodedInputStream in = CodedInputStream.newInstance(buf, off, len);
    String key = "";
    int valueOff = -1;
    int valueLen = 0;
    int values = 0;
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      if (tag == tag(1, WireFormat.WIRETYPE_LENGTH_DELIMITED)) {
        key = in.readStringRequireUtf8();
      } else if (tag == tag(2, WireFormat.WIRETYPE_LENGTH_DELIMITED)) {
        int n = in.readRawVarint32();
        valueOff = off + in.getTotalBytesRead();
        valueLen = n;
        values++;
        in.skipRawBytes(n);
      } else if (!in.skipField(tag)) {
        break;
      }
    }
    int slot = SpanMapper.SPAN_KEYS.slotOf(key);
    if (slot >= 0 || values > 1) {
      // Rare: a needed key, or a value split over several fields (which the generated parser merges).
      AnyValue v = KeyValue.parseFrom(CodedInputStream.newInstance(buf, off, len)).getValue();
      if (slot >= 0) {
        slots[slot] = v;
      }
      w.overLimit |= v.getValueCase() == AnyValue.ValueCase.STRING_VALUE
          && v.getStringValue().length() > options.maxValueLength();
      return;
    }
    if (values == 1) {
      w.overLimit |= stringValueTooLong(buf, valueOff, valueLen);
    }
  }

  /** Whether an AnyValue's final oneof member is a string longer than the value limit (in UTF-16 chars). */
  private boolean stringValueTooLong(byte[] buf, int off, int len) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(buf, off, len);
    int lastField = 0;
    int strOff = 0;
    int strLen = 0;
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      int field = WireFormat.getTagFieldNumber(tag);
      int type = WireFormat.getTagWireType(tag);
      if (field == 1 && type == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        int n = in.readRawVarint32();
        strOff = off + in.getTotalBytesRead();
        strLen = n;
        in.skipRawBytes(n);
        lastField = 1;
        continue;
      }
      if (type == ONEOF_WIRE_TYPES[Math.min(field, ONEOF_WIRE_TYPES.length - 1)]) {
        lastField = field;
      }
      if (!in.skipField(tag)) {
        break;
      }
    }
    if (lastField != 1) {
      return false;
    }
    if (!UnsafeByteOperations.unsafeWrap(buf, strOff, strLen).isValidUtf8()) {
      throw new InvalidProtocolBufferException("Protocol message had invalid UTF-8.");
    }
    // UTF-16 length never exceeds the UTF-8 byte length, so short values need no decoding.
    return strLen > options.maxValueLength()
        && new String(buf, strOff, strLen, StandardCharsets.UTF_8).length() > options.maxValueLength();
  }

  /** AnyValue's oneof members 2..7 by field number and their wire types; -1 marks "not a member". */
  private static final int[] ONEOF_WIRE_TYPES = {-1, WireFormat.WIRETYPE_LENGTH_DELIMITED, WireFormat.WIRETYPE_VARINT,
      WireFormat.WIRETYPE_VARINT, WireFormat.WIRETYPE_FIXED64, WireFormat.WIRETYPE_LENGTH_DELIMITED,
      WireFormat.WIRETYPE_LENGTH_DELIMITED, WireFormat.WIRETYPE_LENGTH_DELIMITED, -1};

  private static int statusCode(int current, byte[] buf, int off, int len) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(buf, off, len);
    int code = current;
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      if (tag == tag(3, WireFormat.WIRETYPE_VARINT)) {
        code = in.readEnum();
      } else if (tag == tag(2, WireFormat.WIRETYPE_LENGTH_DELIMITED)) {
        in.readStringRequireUtf8();
      } else if (!in.skipField(tag)) {
        break;
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

  /** The same checks and messages as {@link SpanMapper#validate}. */
  private static String validate(WireSpan w, byte[] buf) {
    if (w.traceLen != 16) {
      return "trace_id must be 16 bytes, got " + w.traceLen;
    }
    if (allZero(buf, w.traceOff, w.traceLen)) {
      return "trace_id must not be all zeros";
    }
    if (w.spanLen != 8) {
      return "span_id must be 8 bytes, got " + w.spanLen;
    }
    if (allZero(buf, w.spanOff, w.spanLen)) {
      return "span_id must not be all zeros";
    }
    if (w.parentLen != 0 && w.parentLen != 8) {
      return "parent_span_id must be empty or 8 bytes, got " + w.parentLen;
    }
    if (w.start == 0) {
      return "start_time_unix_nano must be set";
    }
    if (w.end == 0) {
      return "end_time_unix_nano must be set";
    }
    if (Long.compareUnsigned(w.end, w.start) < 0) {
      return "end_time_unix_nano is before start_time_unix_nano";
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
  private byte[] encode(WireSpan w, byte[] buf, Attributes resource, Attributes attrs, long received)
      throws IOException {
    String istioNamespace = cut(either(attrs, resource, "istio.namespace"));
    String namespace = cut(resource.string("service.namespace"));
    String[] strings = {
      cut(resource.string("service.name")),
      namespace.isEmpty() ? istioNamespace : namespace,
      cut(w.name),
      cut(attrs.string("peer.service")),
      cut(attrs.string("server.address", "net.peer.name")),
      cut(attrs.string("network.peer.address", "net.sock.peer.addr", "net.peer.ip")),
      cut(attrs.string("db.system", "db.system.name")),
      cut(attrs.string("db.name", "db.namespace")),
      cut(attrs.string("messaging.system")),
      cut(attrs.string("messaging.destination.name", "messaging.destination")),
      cut(attrs.string("http.request.method", "http.method")),
      cut(attrs.string("http.route")),
      cut(either(attrs, resource,
          "istio.workload", "k8s.deployment.name", "k8s.statefulset.name", "k8s.daemonset.name")),
      istioNamespace.isEmpty() ? cut(resource.string("k8s.namespace.name")) : istioNamespace,
      cut(either(attrs, resource, "istio.canonical_service")),
      cut(attrs.string("upstream_cluster")),
    };
    int httpStatus = (int) attrs.number(0, "http.response.status_code", "http.status_code");
    int grpcStatus = (int) attrs.number(-1, "rpc.grpc.status_code", "grpc.status_code");
    double sampling = SamplingProbability.of(w.traceState, attrs);
    int kind = kind(w.kind);
    int status = status(w.status);

    int size = CodedOutputStream.computeUInt32Size(1, SpanMapper.SCHEMA_VERSION)
        + bytesSize(2, w.traceLen) + bytesSize(3, w.spanLen) + bytesSize(4, w.parentLen)
        + stringSize(5, strings[0]) + stringSize(6, strings[1])
        + (kind != 0 ? CodedOutputStream.computeEnumSize(7, kind) : 0)
        + stringSize(8, strings[2])
        + (w.start != 0 ? CodedOutputStream.computeFixed64Size(9, w.start) : 0)
        + (w.end != 0 ? CodedOutputStream.computeFixed64Size(10, w.end) : 0)
        + (status != 0 ? CodedOutputStream.computeEnumSize(11, status) : 0)
        + (Double.doubleToRawLongBits(sampling) != 0 ? CodedOutputStream.computeDoubleSize(12, sampling) : 0)
        + (received != 0 ? CodedOutputStream.computeFixed64Size(41, received) : 0)
        + (httpStatus != 0 ? CodedOutputStream.computeInt32Size(27, httpStatus) : 0)
        + (grpcStatus != 0 ? CodedOutputStream.computeInt32Size(30, grpcStatus) : 0);
    for (int k = 3; k < strings.length; k++) {
      size += stringSize(TYPED_FIELDS[k - 3], strings[k]);
    }
    byte[] out = new byte[size];
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    o.writeUInt32(1, SpanMapper.SCHEMA_VERSION);
    writeBytes(o, 2, buf, w.traceOff, w.traceLen);
    writeBytes(o, 3, buf, w.spanOff, w.spanLen);
    writeBytes(o, 4, buf, w.parentOff, w.parentLen);
    writeString(o, 5, strings[0]);
    writeString(o, 6, strings[1]);
    if (kind != 0) {
      o.writeEnum(7, kind);
    }
    writeString(o, 8, strings[2]);
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
    if (received != 0) {
      o.writeFixed64(41, received);
    }
    o.checkNoSpaceLeft();
    return out;
  }

  /** Field numbers of strings[3..]: the typed attribute fields (27 and 30 are the two ints between them). */
  private static final int[] TYPED_FIELDS = {20, 21, 22, 23, 24, 25, 26, 28, 29, 31, 32, 33, 34};

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

  private static String either(Attributes span, Attributes resource, String... keys) {
    String v = span.string(keys);
    return v.isEmpty() ? resource.string(keys) : v;
  }

  private String cut(String s) {
    return options.cut(s);
  }
}
