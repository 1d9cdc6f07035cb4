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
    linked = 0;
    capped = 0;
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
    // CONSUMER records with links, some at the cap of 128 (the other kinds' links were dropped by both).
    assertThat(linked).isGreaterThan(500);
    assertThat(capped).isGreaterThan(5);
  }

  /** Records with links, and with {@link SpanMapper#MAX_LINKS} of them, that {@link #assertSameAsReference} saw. */
  private static int linked;
  private static int capped;

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
  void spansWithMissingOrBackwardsTimestampsAreKeptAsTheCollectorKeepsThem() throws IOException {
    Span.Builder base = Span.newBuilder()
        .setTraceId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}))
        .setSpanId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8})).setKind(Span.SpanKind.SPAN_KIND_SERVER)
        .setName("GET /").setStartTimeUnixNano(1_000).setEndTimeUnixNano(2_000);
    byte[] request = SpanMapperTest.request(SpanMapperTest.resource(SpanMapperTest.kv("service.name", "gw")),
        base.clone().setStartTimeUnixNano(0).build(), base.clone().setEndTimeUnixNano(0).build(),
        base.clone().setEndTimeUnixNano(999).build()).toByteArray();
    var batch = new WireSpanMapper(MappingOptions.DEFAULTS).map(request, 1);

    assertThat(batch.rejected()).isZero();
    assertThat(batch.records()).hasSize(3);
    SpanRecord backwards = SpanRecord.parseFrom(batch.records().get(2).value());
    assertThat(backwards.getStartTimeUnixNano()).isEqualTo(1_000);
    assertThat(backwards.getEndTimeUnixNano()).isEqualTo(999);
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
  void stringsThatAreNotUtf8AreReplacedAndTheSpanKeptAsTheCollectorKeepsIt() throws IOException {
    // Its name and an event's name (field 2) are not UTF-8: the generated builders refuse to build them, so they are
    // written raw. The generated parser refuses the request; the Collector's receiver takes it.
    byte[] span = linked(Span.SpanKind.SPAN_KIND_SERVER).setName("").build().toByteArray();
    span = concat(span, field(5, new byte[] {'G', 'E', 'T', ' ', (byte) 0xc3, 0x28}));
    span = concat(span, field(11, new byte[] {0x12, 0x02, (byte) 0xc3, 0x28}));
    byte[] request = field(1, field(2, field(2, span)));
    assertThatThrownBy(() -> ExportTraceServiceRequest.parseFrom(request))
        .hasMessage("Protocol message had invalid UTF-8.");

    WireSpanMapper mapper = new WireSpanMapper(MappingOptions.DEFAULTS);
    assertThat(assertSameAsReference(mapper, MappingOptions.DEFAULTS, request, 1)).isOne();
    var batch = mapper.map(request, 1);
    assertThat(batch.rejected()).isZero();
    assertThat(SpanRecord.parseFrom(batch.records().get(0).value()).getName()).isEqualTo("GET \uFFFD(");
  }

  private static final byte[] TRACE = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  private static final byte[] PARENT = {9, 9, 9, 9, 9, 9, 9, 9};

  private static Span.Builder linked(Span.SpanKind kind) {
    return Span.newBuilder().setTraceId(ByteString.copyFrom(TRACE)).setSpanId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}))
        .setParentSpanId(ByteString.copyFrom(PARENT)).setKind(kind).setName("orders process")
        .setStartTimeUnixNano(1_000).setEndTimeUnixNano(2_000);
  }

  private static Span.Link link(int traceLen, int traceByte, int spanLen, int spanByte) {
    byte[] t = new byte[traceLen];
    byte[] s = new byte[spanLen];
    java.util.Arrays.fill(t, (byte) traceByte);
    java.util.Arrays.fill(s, (byte) spanByte);
    return Span.Link.newBuilder().setTraceId(ByteString.copyFrom(t)).setSpanId(ByteString.copyFrom(s)).build();
  }

  private static byte[] request(Span... spans) {
    return SpanMapperTest.request(SpanMapperTest.resource(SpanMapperTest.kv("service.name", "orders")), spans)
        .toByteArray();
  }

  /** The links of the one record the wire path made of {@code request}, after checking it equals the reference's. */
  private static List<SpanRecord.Link> wireLinks(byte[] request) throws IOException {
    WireSpanMapper mapper = new WireSpanMapper(MappingOptions.DEFAULTS);
    assertThat(assertSameAsReference(mapper, MappingOptions.DEFAULTS, request, 7)).isOne();
    assertThat(mapper.parsedRequests()).as("mapped by the wire walk alone").isZero();
    return SpanRecord.parseFrom(mapper.map(request, 7).records().get(0).value()).getLinksList(); // the span, first
  }

  @Test
  void aConsumerSpansLinksAreTheReferenceMappersWithZeroOneOrSeveral() throws IOException {
    assertThat(wireLinks(request(linked(Span.SpanKind.SPAN_KIND_CONSUMER).build()))).isEmpty();
    assertThat(wireLinks(request(linked(Span.SpanKind.SPAN_KIND_CONSUMER).addLinks(link(16, 1, 8, 2)).build())))
        .hasSize(1);
    Span several = linked(Span.SpanKind.SPAN_KIND_CONSUMER).addLinks(link(16, 1, 8, 2))
        .addLinks(link(16, 3, 8, 4).toBuilder().setTraceState("ot=th:8").setFlags(0x301).setDroppedAttributesCount(1)
            .addAttributes(SpanMapperTest.kv("messaging.message.id", "m-1")))
        .addLinks(link(16, 1, 8, 2)) // a duplicate
        .addLinks(Span.Link.newBuilder().setTraceId(ByteString.copyFrom(TRACE)).setSpanId(ByteString.copyFrom(PARENT)))
        .build();
    List<SpanRecord.Link> links = wireLinks(request(several));
    assertThat(links).hasSize(4);
    assertThat(links.get(3).getSpanId()).isEqualTo(ByteString.copyFrom(PARENT));
  }

  @Test
  void invalidLinksAreSkippedAsTheReferenceMapperSkipsThem() throws IOException {
    Span s = linked(Span.SpanKind.SPAN_KIND_CONSUMER).addLinks(link(16, 0, 8, 2)).addLinks(link(16, 1, 8, 0))
        .addLinks(link(15, 1, 8, 2)).addLinks(link(17, 1, 8, 2)).addLinks(link(16, 1, 7, 2)).addLinks(link(16, 1, 9, 2))
        .addLinks(link(0, 1, 8, 2)).addLinks(link(16, 1, 0, 2)).addLinks(Span.Link.getDefaultInstance())
        .addLinks(link(16, 5, 8, 6)).build();
    assertThat(wireLinks(request(s))).containsExactly(SpanRecord.Link.newBuilder()
        .setTraceId(link(16, 5, 8, 6).getTraceId()).setSpanId(link(16, 5, 8, 6).getSpanId()).build());
  }

  @Test
  void aConsumerSpanKeepsItsFirst128ValidLinksAsTheReferenceMapper() throws IOException {
    Span.Builder b = linked(Span.SpanKind.SPAN_KIND_CONSUMER);
    for (int i = 1; i <= 200; i++) {
      if (i % 7 == 0) {
        b.addLinks(link(16, i, 8, 0));
      }
      b.addLinks(link(16, i, 8, i));
    }
    byte[] request = request(b.build());
    List<SpanRecord.Link> links = wireLinks(request);
    assertThat(links).hasSize(128);
    assertThat(links.get(127).getSpanId().byteAt(0)).isEqualTo((byte) 128);
    MappedBatch<WireSpanMapper.Encoded> batch = new WireSpanMapper(MappingOptions.DEFAULTS).map(request, 7);
    assertThat(batch.truncated()).isZero();
    // Counted as the reference counts them: the wire walk goes on past the cap to tell the two apart.
    assertThat(batch.linksOverLimit()).isEqualTo(200 - 128);
    assertThat(batch.linksInvalid()).isEqualTo(200 / 7);
  }

  @Test
  void linksOfSpansOfOtherKindsAreDroppedAsTheReferenceMapperDropsThem() throws IOException {
    for (Span.SpanKind kind : new Span.SpanKind[] {Span.SpanKind.SPAN_KIND_CLIENT, Span.SpanKind.SPAN_KIND_SERVER,
        Span.SpanKind.SPAN_KIND_PRODUCER, Span.SpanKind.SPAN_KIND_INTERNAL, Span.SpanKind.SPAN_KIND_UNSPECIFIED}) {
      Span s = linked(kind).addLinks(link(16, 1, 8, 2)).addLinks(link(16, 3, 8, 4)).build();
      assertThat(wireLinks(request(s))).as("%s", kind).isEmpty();
    }
  }

  @Test
  void aKindAfterTheLinksOnTheWireStillKeepsThem() throws IOException {
    // Links first, then the kind: the wire walk only knows the span is a CONSUMER at its end. Then a span split
    // over two occurrences, its kind changed by the second (the parser merges: last kind wins, links append).
    byte[] links = linked(Span.SpanKind.SPAN_KIND_UNSPECIFIED).clearTraceId().clearSpanId().clearParentSpanId()
        .clearName().clearStartTimeUnixNano().clearEndTimeUnixNano().addLinks(link(16, 1, 8, 2)).build().toByteArray();
    byte[] rest = linked(Span.SpanKind.SPAN_KIND_CONSUMER).build().toByteArray();
    byte[] request = field(1, field(2, field(2, concat(links, rest))));
    assertThat(wireLinks(request)).hasSize(1);

    byte[] client = linked(Span.SpanKind.SPAN_KIND_CLIENT).addLinks(link(16, 1, 8, 2)).build().toByteArray();
    byte[] consumer = linked(Span.SpanKind.SPAN_KIND_CONSUMER).addLinks(link(16, 3, 8, 4)).build().toByteArray();
    assertThat(wireLinks(field(1, field(2, field(2, concat(client, consumer)))))).hasSize(2);
    assertThat(wireLinks(field(1, field(2, field(2, concat(consumer, client)))))).isEmpty();
  }

  @Test
  void aLinksIdsRepeatedOnTheWireAreTheLastAsTheParserReadsThem() throws IOException {
    // trace_id twice (the second valid), span_id as a varint (another wire type: an unknown field to the parser).
    byte[] link = concat(concat(field(1, new byte[16]), field(1, TRACE)), concat(field(2, PARENT), new byte[] {0x10, 0x05}));
    byte[] odd = concat(field(1, TRACE), new byte[] {0x10, 0x05}); // span id only as a varint: invalid
    byte[] span = concat(linked(Span.SpanKind.SPAN_KIND_CONSUMER).build().toByteArray(),
        concat(field(13, link), field(13, odd)));
    List<SpanRecord.Link> links = wireLinks(field(1, field(2, field(2, span))));
    assertThat(links).containsExactly(SpanRecord.Link.newBuilder().setTraceId(ByteString.copyFrom(TRACE))
        .setSpanId(ByteString.copyFrom(PARENT)).build());
  }

  @Test
  void malformedLinkBytesGetTheParsersOutcomeForEveryKind() throws IOException {
    byte[] valid = link(16, 1, 8, 2).toByteArray();
    byte[][] broken = {
      // A link submessage longer than the span: cut off.
      concat(new byte[] {0x6a, (byte) (valid.length + 10)}, valid),
      // A trace id running past the end of its link.
      field(13, new byte[] {0x0a, 0x10, 1, 2, 3, 4, 5}),
      // A link ending inside a varint (dropped_attributes_count).
      field(13, new byte[] {0x28, (byte) 0x80}),
      // An attribute of the link whose value is cut off.
      field(13, concat(valid, new byte[] {0x22, 0x04, 0x0a, 0x01, 0x6b, 0x12})),
      // A group that never ends, inside the link.
      field(13, concat(valid, new byte[] {0x3b})),
    };
    for (Span.SpanKind kind : new Span.SpanKind[] {Span.SpanKind.SPAN_KIND_CONSUMER, Span.SpanKind.SPAN_KIND_CLIENT}) {
      for (int k = 0; k < broken.length; k++) {
        byte[] span = concat(linked(kind).addLinks(link(16, 3, 8, 4)).build().toByteArray(), broken[k]);
        byte[] request = field(1, field(2, field(2, span)));
        assertThatThrownBy(() -> ExportTraceServiceRequest.parseFrom(request)).as("%s %d", kind, k)
            .isInstanceOf(InvalidProtocolBufferException.class);
        WireSpanMapper mapper = new WireSpanMapper(MappingOptions.DEFAULTS);
        assertThat(assertSameAsReference(mapper, MappingOptions.DEFAULTS, request, 7)).as("%s %d", kind, k).isEqualTo(-1);
      }
      // trace_state (a string) that is not UTF-8, after valid ids: the parser refuses it, the span is kept.
      byte[] notUtf8 = field(1, field(2, field(2, concat(linked(kind).build().toByteArray(),
          field(13, concat(valid, new byte[] {0x1a, 0x02, (byte) 0xc3, 0x28}))))));
      assertThatThrownBy(() -> ExportTraceServiceRequest.parseFrom(notUtf8)).isInstanceOf(InvalidProtocolBufferException.class);
      assertThat(assertSameAsReference(new WireSpanMapper(MappingOptions.DEFAULTS), MappingOptions.DEFAULTS, notUtf8, 7))
          .as("%s", kind).isOne();
      // An empty group inside a link is valid protobuf the wire walk leaves to the parser: the same records.
      byte[] span = concat(linked(kind).build().toByteArray(), field(13, concat(link(16, 1, 8, 2).toByteArray(),
          new byte[] {0x3b, 0x3c})));
      WireSpanMapper mapper = new WireSpanMapper(MappingOptions.DEFAULTS);
      assertThat(assertSameAsReference(mapper, MappingOptions.DEFAULTS, field(1, field(2, field(2, span))), 7)).isOne();
      assertThat(mapper.parsedRequests()).isOne();
    }
  }

  /** The number of records both mapped, or -1 when both refused the request with the same message. */
  private static int assertSameAsReference(WireSpanMapper mapper, MappingOptions options, byte[] request,
      long received) throws IOException {
    MappedBatch<SpanRecord> expected;
    try {
      expected = new SpanMapper(options).map(OtlpRequests.traces(request), received);
    } catch (InvalidProtocolBufferException e) {
      assertThatThrownBy(() -> mapper.map(request, received))
          .isInstanceOf(InvalidProtocolBufferException.class)
          .hasMessage(e.getMessage());
      return -1;
    }
    MappedBatch<WireSpanMapper.Encoded> actual = mapper.map(request, received);
    assertThat(actual.rejected()).isEqualTo(expected.rejected());
    assertThat(actual.truncated()).isEqualTo(expected.truncated());
    assertThat(actual.linksOverLimit()).isEqualTo(expected.linksOverLimit());
    assertThat(actual.linksInvalid()).isEqualTo(expected.linksInvalid());
    assertThat(actual.firstError()).isEqualTo(expected.firstError());
    // The copies for linked traces follow each record, as the message path makes them (the receiver's other path).
    List<WireSpanMapper.Encoded> withCopies = new ArrayList<>();
    for (SpanRecord r : expected.records()) {
      byte[] value = r.toByteArray();
      withCopies.add(new WireSpanMapper.Encoded(Hex.encodeAscii(r.getTraceId()), value));
      LinkCopies.add(r, value, withCopies);
    }
    assertThat(actual.records()).hasSameSizeAs(withCopies);
    for (int i = 0; i < withCopies.size(); i++) {
      assertThat(actual.records().get(i).key()).isEqualTo(withCopies.get(i).key());
      assertThat(actual.records().get(i).value()).isEqualTo(withCopies.get(i).value());
      assertThat(actual.records().get(i).linkCopy()).isEqualTo(withCopies.get(i).linkCopy());
    }
    List<WireSpanMapper.Encoded> spans = actual.records().stream().filter(e -> !e.linkCopy()).toList();
    assertThat(spans).hasSameSizeAs(expected.records());
    for (int i = 0; i < expected.records().size(); i++) {
      SpanRecord r = expected.records().get(i);
      assertThat(spans.get(i).key()).isEqualTo(Hex.encodeAscii(r.getTraceId()));
      // Compared as Kafka sees them: a string cut inside a surrogate pair is only '?' once serialized.
      assertThat(SpanRecord.parseFrom(spans.get(i).value()))
          .isEqualTo(SpanRecord.parseFrom(r.toByteArray()));
      assertThat(spans.get(i).value()).isEqualTo(r.toByteArray());
      linked += r.getLinksCount() > 0 ? 1 : 0;
      capped += r.getLinksCount() == SpanMapper.MAX_LINKS ? 1 : 0;
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
        // CONSUMER (5) often, since only its links are kept; 6 and 7 are unknown kinds.
        .setKindValue(rnd.nextInt(3) == 0 ? 5 : rnd.nextInt(8))
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
    if (rnd.nextInt(3) == 0) {
      // About 40% of the generated links are valid: the long lists fall on both sides of the cap of 128.
      links(rnd, b, rnd.nextInt(40) == 0 ? 250 + rnd.nextInt(150) : rnd.nextInt(6));
    }
    if (rnd.nextInt(8) == 0) {
      b.setUnknownFields(UnknownFieldSet.newBuilder()
          .addField(99, UnknownFieldSet.Field.newBuilder().addVarint(7).addLengthDelimited(ByteString.copyFromUtf8(
              "x")).build())
          .build());
    }
    return b.build();
  }

  /** Links valid and not (lengths, all zero), some to the span's own parent, some with every other Link field. */
  private static void links(Random rnd, Span.Builder b, int n) {
    for (int k = 0; k < n; k++) {
      Span.Link.Builder l = Span.Link.newBuilder();
      if (rnd.nextInt(10) == 0) {
        l.setTraceId(b.getTraceId()).setSpanId(b.getParentSpanId());
      } else {
        l.setTraceId(id(rnd, 16, new int[] {16, 16, 16, 16, 16, 16, 0, 15, 17}))
            .setSpanId(id(rnd, 8, new int[] {8, 8, 8, 8, 8, 8, 0, 7, 9}));
      }
      if (rnd.nextInt(4) == 0) {
        l.setTraceState(TRACESTATES[rnd.nextInt(TRACESTATES.length)]).addAllAttributes(attributes(rnd, 3))
            .setDroppedAttributesCount(rnd.nextInt(3)).setFlags(rnd.nextInt(0x400));
      }
      b.addLinks(l);
    }
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
