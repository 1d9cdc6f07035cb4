package io.switchyard.ingest.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.switchyard.model.v1.SpanRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WireSpanMapperTest {
  private static final String[] KEYS = {"istio.namespace", "peer.service", "server.address", "net.peer.name",
      "network.peer.address", "net.sock.peer.addr", "net.peer.ip", "db.system", "db.system.name", "db.name",
      "db.namespace", "messaging.system", "messaging.destination.name", "messaging.destination",
      "http.response.status_code", "http.status_code", "http.request.method", "http.method", "http.route",
      "rpc.grpc.status_code", "grpc.status_code", "istio.workload", "k8s.deployment.name", "k8s.statefulset.name",
      "k8s.daemonset.name", "istio.canonical_service", "upstream_cluster", "response_flags", "sampling.probability",
      "service.name", "service.namespace", "k8s.namespace.name", "user.id", "thread.name", "custom.attr"};
  private static final String[] TRACESTATES = {"", "ot=th:8", "ot=th:c", "ot=rv:abcdef;th:fd", "vendor=x,ot=th:0",
      "ot=th:zz", "ot=th:", "a=b", "ot=th:123456789abcdef0", " ot=th:4 , x=y"};

  /**
   * Contents for a message field in a part of the request the wire path does not map (events, links, scope,
   * resource, attributes past the limit, unknown fields): each is invalid in some of those places and fine in
   * others (e.g. a length-delimited field 1 is an unknown field in an Event, where field 1 is a fixed64).
   */
  private static final byte[][] FAULTS = {
    {0x0a, 0x05, 0x61}, // a nested field longer than its message
    {0x0f}, // wire type 7
    {0x00}, // tag zero
    {0x0a, 0x02, (byte) 0xc3, 0x28}, // field 1 as invalid UTF-8
    {0x12, 0x02, (byte) 0xc3, 0x28}, // field 2 as invalid UTF-8
    {0x1a, 0x02, (byte) 0xed, (byte) 0xa0}, // field 3: a lone surrogate in UTF-8
    // A KeyValue whose value is an array holding an invalid string: three levels down.
    {0x0a, 0x01, 0x6b, 0x12, 0x08, 0x2a, 0x06, 0x0a, 0x04, 0x0a, 0x02, (byte) 0xc3, 0x28},
    // The same shape, valid.
    {0x0a, 0x01, 0x6b, 0x12, 0x08, 0x2a, 0x06, 0x0a, 0x04, 0x0a, 0x02, 0x6f, 0x6b},
    {0x0b, 0x0c}, // an empty group in field 1: valid, left to the parser
    {0x0b}, // a group that never ends
    {0x12, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f}, // a negative length
    {0x08, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
        (byte) 0xff, (byte) 0xff, 0x01}, // an 11-byte varint
  };

  @Test
  void producesTheReferenceMappersBytesForRandomizedRequests() throws IOException {
    Random rnd = new Random(20261126L);
    int records = 0;
    int refused = 0;
    int wireOnly = 0;
    for (int n = 0; n < 4000; n++) {
      MappingOptions options = new MappingOptions(rnd.nextInt(6) == 0, new int[] {0, 3, 128}[rnd.nextInt(3)],
          new int[] {16, 1024}[rnd.nextInt(2)]);
      faulted = false;
      byte[] request = request(rnd);
      WireSpanMapper mapper = new WireSpanMapper(options);
      int mapped = assertSameAsReference(mapper, options, request, rnd.nextLong() & Long.MAX_VALUE);
      if (!faulted && !options.keepAttributes()) {
        // A well-formed request is mapped by the wire walk alone, never handed to the parser.
        assertThat(mapper.parsedRequests()).isZero();
        wireOnly++;
      }
      records += Math.max(0, mapped);
      refused += mapped < 0 ? 1 : 0;
    }
    assertThat(records).isGreaterThan(4000);
    // Faults in the parts the wire path does not map made the parser refuse these requests, and the wire path too.
    assertThat(refused).isGreaterThan(100);
    assertThat(wireOnly).isGreaterThan(2000);
  }

  @Test
  void anAllZeroParentIsWrittenAsARoot() throws IOException {
    Span root = Span.newBuilder().setTraceId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}))
        .setSpanId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8})).setParentSpanId(ByteString.copyFrom(new byte[8]))
        .setKind(Span.SpanKind.SPAN_KIND_SERVER).setName("GET /").setStartTimeUnixNano(1_000).setEndTimeUnixNano(2_000).build();
    byte[] request = SpanMapperTest.request(SpanMapperTest.resource(SpanMapperTest.kv("service.name", "gw")), root).toByteArray();
    var batch = new WireSpanMapper(MappingOptions.DEFAULTS).map(request, 1);
    assertThat(batch.rejected()).isZero();
    assertThat(SpanRecord.parseFrom(batch.records().get(0).value()).getParentSpanId()).isEmpty();
  }

  @Test
  void anHttpStatusThatIsNoThreeDigitNumberIsNoStatusAsInTheReferenceMapper() throws IOException {
    for (long code : new long[] {4_294_967_799L, 99_999_999_999L, -1, 42, 503}) {
      Span s = Span.newBuilder().setTraceId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}))
          .setSpanId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8})).setKind(Span.SpanKind.SPAN_KIND_SERVER)
          .setStartTimeUnixNano(1_000).setEndTimeUnixNano(2_000)
          .addAttributes(SpanMapperTest.kv("http.response.status_code", code)).build();
      byte[] request = SpanMapperTest.request(SpanMapperTest.resource(SpanMapperTest.kv("service.name", "gw")), s).toByteArray();
      assertThat(assertSameAsReference(new WireSpanMapper(MappingOptions.DEFAULTS), MappingOptions.DEFAULTS, request, 1)).isOne();
      var batch = new WireSpanMapper(MappingOptions.DEFAULTS).map(request, 1);
      assertThat(SpanRecord.parseFrom(batch.records().get(0).value()).getHttpStatusCode()).as("%d", code).isEqualTo(code == 503 ? 503 : 0);
    }
  }

  @Test
  void rejectsMalformedRequestsLikeTheParser() {
    WireSpanMapper mapper = new WireSpanMapper(MappingOptions.DEFAULTS);
    byte[] truncated = {0x0a, 0x05, 0x12, 0x03};
    assertThatThrownBy(() -> ExportTraceServiceRequest.parseFrom(truncated))
        .isInstanceOf(InvalidProtocolBufferException.class);
    assertThatThrownBy(() -> mapper.map(truncated, 1)).isInstanceOf(InvalidProtocolBufferException.class);
  }

  @Test
  void refusesInvalidUtf8InAnEventLikeTheParser() throws IOException {
    byte[] span = Span.newBuilder().setTraceId(ByteString.copyFrom(new byte[16])).setName("ok").build().toByteArray();
    // An event whose name (field 2) is not UTF-8: the generated builders refuse to build one, so it is written raw.
    span = concat(span, field(11, new byte[] {0x12, 0x02, (byte) 0xc3, 0x28}));
    byte[] request = field(1, field(2, field(2, span)));
    assertThatThrownBy(() -> ExportTraceServiceRequest.parseFrom(request))
        .hasMessage("Protocol message had invalid UTF-8.");
    assertThatThrownBy(() -> new WireSpanMapper(MappingOptions.DEFAULTS).map(request, 1))
        .isInstanceOf(InvalidProtocolBufferException.class)
        .hasMessage("Protocol message had invalid UTF-8.");
  }

  /** The number of records both mapped, or -1 when both refused the request with the same message. */
  private static int assertSameAsReference(WireSpanMapper mapper, MappingOptions options, byte[] request,
      long received) throws IOException {
    MappedBatch<SpanRecord> expected;
    try {
      expected = new SpanMapper(options).map(ExportTraceServiceRequest.parseFrom(request), received);
    } catch (InvalidProtocolBufferException e) {
      assertThatThrownBy(() -> mapper.map(request, received))
          .isInstanceOf(InvalidProtocolBufferException.class)
          .hasMessage(e.getMessage());
      return -1;
    }
    MappedBatch<WireSpanMapper.Encoded> actual = mapper.map(request, received);
    assertThat(actual.rejected()).isEqualTo(expected.rejected());
    assertThat(actual.truncated()).isEqualTo(expected.truncated());
    assertThat(actual.firstError()).isEqualTo(expected.firstError());
    assertThat(actual.records()).hasSameSizeAs(expected.records());
    for (int i = 0; i < expected.records().size(); i++) {
      SpanRecord r = expected.records().get(i);
      assertThat(actual.records().get(i).key()).isEqualTo(Hex.encodeAscii(r.getTraceId()));
      // Compared as Kafka sees them: a string cut inside a surrogate pair is only '?' once serialized.
      assertThat(SpanRecord.parseFrom(actual.records().get(i).value()))
          .isEqualTo(SpanRecord.parseFrom(r.toByteArray()));
      assertThat(actual.records().get(i).value()).isEqualTo(r.toByteArray());
    }
    return expected.records().size();
  }

  /** A request written field by field, so fields can come out of order, repeated (merged) or unknown. */
  private static byte[] request(Random rnd) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    int resources = 1 + rnd.nextInt(3);
    for (int r = 0; r < resources; r++) {
      o.writeByteArray(1, resourceSpans(rnd));
    }
    if (rnd.nextInt(10) == 0) {
      o.writeString(77, "unknown top-level field");
    }
    o.flush();
    return out.toByteArray();
  }

  private static byte[] resourceSpans(Random rnd) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    byte[] resource = Resource.newBuilder().addAllAttributes(attributes(rnd, 6)).build().toByteArray();
    if (rnd.nextInt(40) == 0) {
      resource = concat(resource, field(rnd.nextInt(3) == 0 ? 5 : 1, fault(rnd)));
    }
    boolean resourceLast = rnd.nextInt(4) == 0;
    if (!resourceLast) {
      o.writeByteArray(1, resource);
    }
    int scopes = rnd.nextInt(3);
    for (int s = 0; s < scopes; s++) {
      o.writeByteArray(2, scopeSpans(rnd));
    }
    if (resourceLast) {
      o.writeByteArray(1, resource);
    }
    if (rnd.nextInt(5) == 0) {
      // A second resource merges into the first: its attributes are appended.
      o.writeByteArray(1, Resource.newBuilder().addAllAttributes(attributes(rnd, 2)).build().toByteArray());
    }
    if (rnd.nextInt(60) == 0) {
      faulted = true;
      o.writeByteArray(3, new byte[] {(byte) 0xc3, 0x28});
    } else {
      o.writeString(3, "https://opentelemetry.io/schemas/1.24.0");
    }
    o.flush();
    return out.toByteArray();
  }

  private static byte[] scopeSpans(Random rnd) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    byte[] scope = InstrumentationScope.newBuilder().setName("io.opentelemetry.envoy").setVersion("1.0")
        .build().toByteArray();
    if (rnd.nextInt(40) == 0) {
      scope = concat(scope, rnd.nextBoolean() ? fault(rnd) : field(3, fault(rnd)));
    }
    o.writeByteArray(1, scope);
    int spans = rnd.nextInt(6);
    for (int i = 0; i < spans; i++) {
      byte[] span = span(rnd).toByteArray();
      if (rnd.nextInt(6) == 0) {
        // The same span split over two occurrences: the parser merges them (last scalar wins, lists append).
        span = concat(span, span(rnd).toByteArray());
      }
      if (rnd.nextInt(30) == 0) {
        // A fault in an event, a link, an attribute (often past the count limit), the status or an unknown field.
        span = concat(span, field(new int[] {9, 11, 13, 15, 99}[rnd.nextInt(5)], fault(rnd)));
      }
      o.writeByteArray(2, span);
    }
    o.flush();
    return out.toByteArray();
  }

  private static Span span(Random rnd) {
    Span.Builder b = Span.newBuilder()
        .setTraceId(id(rnd, 16, new int[] {16, 16, 16, 16, 16, 0, 15}))
        .setSpanId(id(rnd, 8, new int[] {8, 8, 8, 8, 8, 0, 9}))
        .setParentSpanId(id(rnd, 8, new int[] {0, 0, 8, 8, 3}))
        .setName(string(rnd))
        .setKindValue(rnd.nextInt(8))
        .setTraceState(TRACESTATES[rnd.nextInt(TRACESTATES.length)]);
    long start = rnd.nextInt(20) == 0 ? 0 : 1_700_000_000_000_000_000L + rnd.nextInt(1_000_000);
    long end = rnd.nextInt(20) == 0 ? 0 : start + rnd.nextInt(2_000_000) - (rnd.nextInt(20) == 0 ? 3_000_000 : 0);
    b.setStartTimeUnixNano(start).setEndTimeUnixNano(end);
    if (rnd.nextBoolean()) {
      b.setStatus(Status.newBuilder().setCodeValue(rnd.nextInt(4)).setMessage(rnd.nextBoolean() ? "boom" : ""));
    }
    b.addAllAttributes(attributes(rnd, 12));
    if (rnd.nextInt(4) == 0) {
      b.addEvents(Span.Event.newBuilder().setName("exception").setTimeUnixNano(start)
          .addAllAttributes(attributes(rnd, 2)));
      b.addLinks(Span.Link.newBuilder().setTraceId(id(rnd, 16, new int[] {16})).setSpanId(id(rnd, 8, new int[] {8})));
      b.setDroppedAttributesCount(rnd.nextInt(3)).setFlags(0x101);
    }
    if (rnd.nextInt(8) == 0) {
      b.setUnknownFields(UnknownFieldSet.newBuilder()
          .addField(99, UnknownFieldSet.Field.newBuilder().addVarint(7).addLengthDelimited(ByteString.copyFromUtf8(
              "x")).build())
          .build());
    }
    return b.build();
  }

  private static ByteString id(Random rnd, int size, int[] lengths) {
    int len = lengths[rnd.nextInt(lengths.length)];
    byte[] bytes = new byte[len];
    if (rnd.nextInt(25) != 0) {
      rnd.nextBytes(bytes);
    }
    return ByteString.copyFrom(bytes);
  }

  private static List<KeyValue> attributes(Random rnd, int max) {
    List<KeyValue> out = new ArrayList<>();
    int n = rnd.nextInt(max + 1);
    for (int i = 0; i < n; i++) {
      KeyValue.Builder kv = KeyValue.newBuilder().setKey(KEYS[rnd.nextInt(KEYS.length)]).setValue(value(rnd, 0));
      if (rnd.nextInt(30) == 0) {
        kv.clearValue();
      }
      out.add(kv.build());
    }
    return out;
  }

  private static AnyValue value(Random rnd, int depth) {
    AnyValue.Builder v = AnyValue.newBuilder();
    switch (rnd.nextInt(depth > 0 ? 5 : 9)) {
      case 0, 1, 2 -> v.setStringValue(string(rnd));
      case 3 -> v.setIntValue(rnd.nextInt(20) == 0 ? -1 : rnd.nextInt(600));
      case 4 -> v.setDoubleValue(rnd.nextInt(3) == 0 ? rnd.nextDouble() * 2 : rnd.nextInt(600));
      case 5 -> v.setBoolValue(rnd.nextBoolean());
      case 6 -> v.setBytesValue(ByteString.copyFrom(new byte[] {1, 2, (byte) 0xff}));
      case 7 -> v.setArrayValue(ArrayValue.newBuilder().addValues(value(rnd, 1)).addValues(value(rnd, 1)));
      default -> v.setKvlistValue(KeyValueList.newBuilder()
          .addValues(KeyValue.newBuilder().setKey("k").setValue(value(rnd, 1))));
    }
    return v.build();
  }

  private static String string(Random rnd) {
    switch (rnd.nextInt(8)) {
      case 0:
        return "";
      case 1:
        return " 200 ";
      case 2:
        return "0.25";
      case 3:
        // Over both limits in UTF-16 chars, but with 2-byte and 4-byte (surrogate pair) UTF-8.
        return "é😀".repeat(6 + rnd.nextInt(600));
      case 4:
        return "x".repeat(10 + rnd.nextInt(20));
      default:
        return new String[] {"GET", "checkout", "orders.shop.svc.cluster.local", "postgresql", "kafka",
            "outbound|8080||pay.svc", "-", "UF", "UH,URX"}[rnd.nextInt(9)];
    }
  }

  /** Whether the request being generated got a fault (its own, or one left to the parser). */
  private static boolean faulted;

  private static byte[] fault(Random rnd) {
    faulted = true;
    return FAULTS[rnd.nextInt(FAULTS.length)];
  }

  /** A length-delimited field holding {@code content}. */
  private static byte[] field(int number, byte[] content) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    o.writeByteArray(number, content);
    o.flush();
    return out.toByteArray();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
