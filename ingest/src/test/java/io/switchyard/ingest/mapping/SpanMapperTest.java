package io.switchyard.ingest.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.switchyard.model.v1.SpanRecord;
import org.junit.jupiter.api.Test;

class SpanMapperTest {
  static final ByteString TRACE = ByteString.copyFrom(Hex.decode("5b8efff798038103d269b633813fc60c"));
  static final ByteString SPAN = ByteString.copyFrom(Hex.decode("eee19b7ec3c1b174"));
  static final ByteString PARENT = ByteString.copyFrom(Hex.decode("eee19b7ec3c1b173"));

  static KeyValue kv(String k, String v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v)).build();
  }

  static KeyValue kv(String k, long v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setIntValue(v)).build();
  }

  static KeyValue kv(String k, double v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setDoubleValue(v)).build();
  }

  static Span.Builder span() {
    return Span.newBuilder().setTraceId(TRACE).setSpanId(SPAN).setParentSpanId(PARENT).setName("GET /api")
        .setKind(Span.SpanKind.SPAN_KIND_CLIENT).setStartTimeUnixNano(1_000_000_000L)
        .setEndTimeUnixNano(1_250_000_000L);
  }

  static ExportTraceServiceRequest request(Resource resource, Span... spans) {
    return ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(ResourceSpans.newBuilder().setResource(resource)
            .addScopeSpans(ScopeSpans.newBuilder().addAllSpans(java.util.List.of(spans))))
        .build();
  }

  static Resource resource(KeyValue... attrs) {
    return Resource.newBuilder().addAllAttributes(java.util.List.of(attrs)).build();
  }

  final SpanMapper mapper = new SpanMapper(MappingOptions.DEFAULTS);

  @Test
  void mapsIdsTimesKindStatusAndServiceFromResource() {
    Span s = span().setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_ERROR)).build();
    var batch = mapper.map(request(resource(kv("service.name", "checkout"), kv("service.namespace", "shop")), s), 42);

    assertThat(batch.rejected()).isZero();
    SpanRecord r = batch.records().get(0);
    assertThat(r.getSchemaVersion()).isEqualTo(1);
    assertThat(r.getTraceId()).isEqualTo(TRACE);
    assertThat(r.getSpanId()).isEqualTo(SPAN);
    assertThat(r.getParentSpanId()).isEqualTo(PARENT);
    assertThat(r.getServiceName()).isEqualTo("checkout");
    assertThat(r.getServiceNamespace()).isEqualTo("shop");
    assertThat(r.getKind()).isEqualTo(SpanRecord.SpanKind.SPAN_KIND_CLIENT);
    assertThat(r.getStatus()).isEqualTo(SpanRecord.StatusCode.STATUS_CODE_ERROR);
    assertThat(r.getStartTimeUnixNano()).isEqualTo(1_000_000_000L);
    assertThat(r.getEndTimeUnixNano()).isEqualTo(1_250_000_000L);
    assertThat(r.getReceivedUnixNano()).isEqualTo(42);
    assertThat(r.getSamplingProbability()).isEqualTo(1.0);
    assertThat(r.getName()).isEqualTo("GET /api");
  }

  @Test
  void readsCurrentSemanticConventionAttributes() {
    Span s = span().addAttributes(kv("peer.service", "payments")).addAttributes(kv("server.address", "pay.svc"))
        .addAttributes(kv("network.peer.address", "10.0.0.7")).addAttributes(kv("db.system", "postgresql"))
        .addAttributes(kv("db.namespace", "orders")).addAttributes(kv("messaging.system", "kafka"))
        .addAttributes(kv("messaging.destination.name", "events")).addAttributes(kv("http.response.status_code", 503L))
        .addAttributes(kv("http.request.method", "POST")).addAttributes(kv("http.route", "/pay/{id}"))
        .addAttributes(kv("rpc.grpc.status_code", 14L)).build();
    SpanRecord r = mapper.map(request(resource(kv("service.name", "a")), s), 0).records().get(0);

    assertThat(r.getPeerService()).isEqualTo("payments");
    assertThat(r.getServerAddress()).isEqualTo("pay.svc");
    assertThat(r.getNetworkPeerAddress()).isEqualTo("10.0.0.7");
    assertThat(r.getDbSystem()).isEqualTo("postgresql");
    assertThat(r.getDbName()).isEqualTo("orders");
    assertThat(r.getMessagingSystem()).isEqualTo("kafka");
    assertThat(r.getMessagingDestination()).isEqualTo("events");
    assertThat(r.getHttpStatusCode()).isEqualTo(503);
    assertThat(r.getHttpMethod()).isEqualTo("POST");
    assertThat(r.getHttpRoute()).isEqualTo("/pay/{id}");
    assertThat(r.getRpcGrpcStatusCode()).isEqualTo(14);
    assertThat(r.getAttributesMap()).isEmpty();
  }

  @Test
  void readsOldSemanticConventionNamesAndStringNumbers() {
    Span s = span().addAttributes(kv("net.peer.name", "db.local")).addAttributes(kv("net.sock.peer.addr", "10.1.1.1"))
        .addAttributes(kv("db.name", "users")).addAttributes(kv("http.status_code", "404"))
        .addAttributes(kv("http.method", "GET")).build();
    SpanRecord r = mapper.map(request(resource(), s), 0).records().get(0);

    assertThat(r.getServerAddress()).isEqualTo("db.local");
    assertThat(r.getNetworkPeerAddress()).isEqualTo("10.1.1.1");
    assertThat(r.getDbName()).isEqualTo("users");
    assertThat(r.getHttpStatusCode()).isEqualTo(404);
    assertThat(r.getHttpMethod()).isEqualTo("GET");
    assertThat(r.getRpcGrpcStatusCode()).isEqualTo(-1);
    assertThat(r.getServiceName()).isEmpty();
  }

  @Test
  void istioProxySpanAttributesFillIstioFieldsAndNamespace() {
    Span s = span().addAttributes(kv("istio.namespace", "bookinfo")).addAttributes(kv("istio.canonical_service", "reviews"))
        .addAttributes(kv("upstream_cluster", "outbound|9080|v2|ratings.bookinfo.svc.cluster.local"))
        .addAttributes(kv("component", "proxy")).build();
    SpanRecord r = mapper.map(request(resource(kv("service.name", "reviews.bookinfo")), s), 0).records().get(0);

    assertThat(r.getIstioNamespace()).isEqualTo("bookinfo");
    assertThat(r.getServiceNamespace()).isEqualTo("bookinfo");
    assertThat(r.getIstioCanonicalService()).isEqualTo("reviews");
    assertThat(r.getUpstreamCluster()).isEqualTo("outbound|9080|v2|ratings.bookinfo.svc.cluster.local");
  }

  @Test
  void envoyResponseFlagsAreKeptAndItsDashMeansNone() {
    Span failed = span().addAttributes(kv("response_flags", "UF,URX")).addAttributes(kv("http.status_code", "503"))
        .addAttributes(kv("component", "proxy")).build();
    Span fine = span().addAttributes(kv("response_flags", "-")).addAttributes(kv("http.status_code", "200")).build();
    var records = mapper.map(request(resource(kv("service.name", "reviews.bookinfo")), failed, fine, span().build()), 0)
        .records();

    assertThat(records.get(0).getResponseFlags()).isEqualTo("UF,URX");
    assertThat(records.get(1).getResponseFlags()).isEmpty();
    assertThat(records.get(2).getResponseFlags()).isEmpty();
  }

  @Test
  void kubernetesResourceAttributesFillWorkloadAndNamespace() {
    SpanRecord r = mapper.map(request(resource(kv("service.name", "cart"), kv("k8s.namespace.name", "shop"),
        kv("k8s.deployment.name", "cart-v1")), span().build()), 0).records().get(0);

    assertThat(r.getIstioWorkload()).isEqualTo("cart-v1");
    assertThat(r.getIstioNamespace()).isEqualTo("shop");
  }

  @Test
  void samplingProbabilityComesFromTraceStateThreshold() {
    Span s = span().setTraceState("vendor=x,ot=rv:abcdef;th:c").build();
    assertThat(mapper.map(request(resource(), s), 0).records().get(0).getSamplingProbability()).isEqualTo(0.25);
  }

  @Test
  void samplingProbabilityFallsBackToAttribute() {
    Span s = span().addAttributes(kv("sampling.probability", 0.1)).build();
    assertThat(mapper.map(request(resource(), s), 0).records().get(0).getSamplingProbability()).isEqualTo(0.1);
  }

  @Test
  void rejectsInvalidIdsAndNamesTheFirstProblem() {
    Span shortTrace = span().setTraceId(ByteString.copyFrom(new byte[8])).build();
    Span zeroSpan = span().setSpanId(ByteString.copyFrom(new byte[8])).build();
    Span badParent = span().setParentSpanId(ByteString.copyFrom(new byte[3])).build();
    Span good = span().build();
    var batch = mapper.map(request(resource(), good, shortTrace, zeroSpan, badParent), 0);

    assertThat(batch.records()).hasSize(1);
    assertThat(batch.rejected()).isEqualTo(3);
    assertThat(batch.firstError()).isEqualTo("resource_spans[0].scope_spans[0].spans[1]: trace_id must be 16 bytes, got 8");
  }

  @Test
  void keepsSpansWithMissingOrBackwardsTimestampsAsTheCollectorDoes() {
    Span noStart = span().setStartTimeUnixNano(0).build();
    Span noEnd = span().setEndTimeUnixNano(0).build();
    Span neither = span().setStartTimeUnixNano(0).setEndTimeUnixNano(0).build();
    Span backwards = span().setEndTimeUnixNano(1).build();
    var batch = mapper.map(request(resource(), noStart, noEnd, neither, backwards), 0);

    assertThat(batch.rejected()).isZero();
    assertThat(batch.firstError()).isEmpty();
    assertThat(batch.records()).extracting(SpanRecord::getStartTimeUnixNano, SpanRecord::getEndTimeUnixNano)
        .containsExactly(tuple(0L, 1_250_000_000L), tuple(1_000_000_000L, 0L), tuple(0L, 0L), tuple(1_000_000_000L, 1L));
  }

  @Test
  void rejectsAllZeroTraceId() {
    Span s = span().setTraceId(ByteString.copyFrom(new byte[16])).build();
    var batch = mapper.map(request(resource(), s), 0);
    assertThat(batch.records()).isEmpty();
    assertThat(batch.firstError()).contains("trace_id must not be all zeros");
  }

  @Test
  void rootSpanHasEmptyParent() {
    Span s = span().clearParentSpanId().build();
    assertThat(mapper.map(request(resource(), s), 0).records().get(0).getParentSpanId()).isEmpty();
  }

  @Test
  void anHttpStatusThatIsNoThreeDigitNumberIsNoStatus() {
    for (long bad : new long[] {99_999_999_999L, 4_294_967_799L, -503, 5}) {
      Span s = span().addAttributes(kv("http.response.status_code", bad)).build();
      assertThat(mapper.map(request(resource(), s), 0).records().get(0).getHttpStatusCode()).as("%d", bad).isZero();
    }
    Span ok = span().addAttributes(kv("http.status_code", "503")).build();
    assertThat(mapper.map(request(resource(), ok), 0).records().get(0).getHttpStatusCode()).isEqualTo(503);
  }

  @Test
  void anAllZeroParentIsARootAsW3cAndTheCollectorReadIt() {
    Span s = span().setParentSpanId(ByteString.copyFrom(new byte[8])).setKind(Span.SpanKind.SPAN_KIND_SERVER).build();
    var batch = mapper.map(request(resource(), s), 0);
    assertThat(batch.rejected()).isZero();
    assertThat(batch.records().get(0).getParentSpanId()).isEmpty();
    assertThat(mapper.map(request(resource(), span().build()), 0).records().get(0).getParentSpanId()).isEqualTo(PARENT);
  }

  @Test
  void keepAttributesCopiesResourceAndSpanAttributesStringified() {
    SpanMapper keeping = new SpanMapper(MappingOptions.DEFAULTS.withKeepAttributes(true));
    Span s = span().addAttributes(kv("custom.count", 3L)).addAttributes(kv("service.name", "span-wins")).build();
    SpanRecord r = keeping.map(request(resource(kv("service.name", "cart"), kv("host.name", "h1")), s), 0)
        .records().get(0);

    assertThat(r.getAttributesMap()).containsEntry("custom.count", "3").containsEntry("host.name", "h1")
        .containsEntry("service.name", "span-wins");
  }

  @Test
  void keepAttributesHonoursCountAndLengthLimits() {
    SpanMapper keeping = new SpanMapper(new MappingOptions(true, 2, 16));
    Span s = span().addAttributes(kv("a", "x".repeat(100))).addAttributes(kv("b", "1"))
        .addAttributes(kv("c", "2")).setName("n".repeat(40)).build();
    SpanRecord r = keeping.map(request(resource(), s), 0).records().get(0);

    assertThat(r.getAttributesCount()).isEqualTo(2);
    assertThat(r.getAttributesMap().values()).allMatch(v -> v.length() <= 16);
    assertThat(r.getName()).hasSize(16);
  }

  @Test
  void attributesPastTheCountLimitAreNotReadAndOverLimitSpansAreCountedAsTruncated() {
    SpanMapper limited = new SpanMapper(MappingOptions.DEFAULTS.withLimits(2, 16));
    Span within = span().addAttributes(kv("peer.service", "cart")).build();
    Span tooMany = span().addAttributes(kv("a", "1")).addAttributes(kv("b", "2"))
        .addAttributes(kv("peer.service", "late")).build();
    Span tooLong = span().addAttributes(kv("http.route", "/" + "r".repeat(40))).build();
    MappedBatch<SpanRecord> b = limited.map(request(resource(), within, tooMany, tooLong), 0);

    assertThat(b.records()).extracting(SpanRecord::getPeerService).containsExactly("cart", "", "");
    assertThat(b.records().get(2).getHttpRoute()).hasSize(16);
    assertThat(b.truncated()).isEqualTo(2);
    assertThat(b.rejected()).isZero();
  }

  static Span.Link link(String traceHex, String spanHex) {
    return Span.Link.newBuilder().setTraceId(ByteString.copyFrom(Hex.decode(traceHex)))
        .setSpanId(ByteString.copyFrom(Hex.decode(spanHex))).build();
  }

  static SpanRecord.Link recordLink(String traceHex, String spanHex) {
    return SpanRecord.Link.newBuilder().setTraceId(ByteString.copyFrom(Hex.decode(traceHex)))
        .setSpanId(ByteString.copyFrom(Hex.decode(spanHex))).build();
  }

  static Span.Builder consumer() {
    return span().setKind(Span.SpanKind.SPAN_KIND_CONSUMER).setName("orders process");
  }

  static final String T1 = "0af7651916cd43dd8448eb211c80319c";
  static final String T2 = "4bf92f3577b34da6a3ce929d0e0e4736";

  @Test
  void aConsumerSpanWithoutLinksHasNone() {
    assertThat(mapper.map(request(resource(), consumer().build()), 0).records().get(0).getLinksList()).isEmpty();
  }

  @Test
  void aConsumerSpanKeepsTheIdsOfItsLinksInOrderAndNothingElseOfThem() {
    Span one = consumer().addLinks(link(T1, "b7ad6b7169203331")).build();
    Span several = consumer()
        .addLinks(link(T1, "b7ad6b7169203331").toBuilder().setTraceState("ot=th:8").setFlags(0x301)
            .setDroppedAttributesCount(2).addAttributes(kv("messaging.message.id", "m-1")))
        .addLinks(link(T2, "00f067aa0ba902b7"))
        .addLinks(link(T1, "b7ad6b7169203331")) // a duplicate: kept as it came
        .build();
    var records = mapper.map(request(resource(), one, several), 0).records();

    assertThat(records.get(0).getLinksList()).containsExactly(recordLink(T1, "b7ad6b7169203331"));
    assertThat(records.get(1).getLinksList()).containsExactly(recordLink(T1, "b7ad6b7169203331"),
        recordLink(T2, "00f067aa0ba902b7"), recordLink(T1, "b7ad6b7169203331"));
    // Only the two ids: trace_state, attributes, dropped count and flags are not part of a record's link.
    assertThat(records.get(1).getLinks(0).getUnknownFields().asMap()).isEmpty();
    assertThat(records.get(1).getLinks(0).getSerializedSize()).isEqualTo(2 + 16 + 2 + 8);
  }

  @Test
  void aLinkToTheSpansOwnParentIsKept() {
    Span s = consumer().addLinks(Span.Link.newBuilder().setTraceId(TRACE).setSpanId(PARENT)).build();
    SpanRecord r = mapper.map(request(resource(), s), 0).records().get(0);
    assertThat(r.getParentSpanId()).isEqualTo(PARENT);
    assertThat(r.getLinksList()).containsExactly(SpanRecord.Link.newBuilder().setTraceId(TRACE).setSpanId(PARENT).build());
  }

  @Test
  void invalidLinksAreSkippedAndTheSpanKept() {
    Span s = consumer()
        .addLinks(link("00000000000000000000000000000000", "b7ad6b7169203331")) // all-zero trace id
        .addLinks(link(T1, "0000000000000000")) // all-zero span id
        .addLinks(link("0af7651916cd43dd8448eb211c8031", "b7ad6b7169203331")) // 15-byte trace id
        .addLinks(link(T1 + "00", "b7ad6b7169203331")) // 17-byte trace id
        .addLinks(link(T1, "b7ad6b71692033")) // 7-byte span id
        .addLinks(link(T1, "b7ad6b716920333101")) // 9-byte span id
        .addLinks(Span.Link.newBuilder().setSpanId(SPAN).build()) // no trace id
        .addLinks(Span.Link.newBuilder().setTraceId(TRACE).build()) // no span id
        .addLinks(Span.Link.getDefaultInstance())
        .addLinks(link(T2, "00f067aa0ba902b7"))
        .build();
    var batch = mapper.map(request(resource(), s), 0);

    assertThat(batch.rejected()).isZero();
    assertThat(batch.firstError()).isEmpty();
    assertThat(batch.truncated()).isZero();
    assertThat(batch.records()).hasSize(1);
    assertThat(batch.records().get(0).getLinksList()).containsExactly(recordLink(T2, "00f067aa0ba902b7"));
    assertThat(batch.linksInvalid()).isEqualTo(9);
    assertThat(batch.linksOverLimit()).isZero();
  }

  @Test
  void aConsumerSpanKeepsItsFirst128ValidLinksWithoutCountingItTruncated() {
    Span.Builder b = consumer();
    for (int i = 0; i < 200; i++) {
      if (i % 10 == 0) {
        b.addLinks(link(T1, "0000000000000000")); // invalid: not counted toward the 128
      }
      b.addLinks(link(T1, String.format("%016x", i + 1)));
    }
    var batch = mapper.map(request(resource(), b.build()), 0);
    var links = batch.records().get(0).getLinksList();

    assertThat(links).hasSize(SpanMapper.MAX_LINKS).hasSize(128);
    for (int i = 0; i < 128; i++) {
      assertThat(links.get(i)).isEqualTo(recordLink(T1, String.format("%016x", i + 1)));
    }
    // The truncated count (and the client's warning) are about the attribute limits: the links have their own.
    assertThat(batch.truncated()).isZero();
    assertThat(batch.rejected()).isZero();
    assertThat(batch.linksOverLimit()).isEqualTo(200 - 128);
    assertThat(batch.linksInvalid()).isEqualTo(20);
  }

  @Test
  void linksPastTheCapAndInvalidLinksAreCountedEachOnce() {
    Span.Builder over = consumer().setSpanId(ByteString.copyFrom(Hex.decode("00f067aa0ba90201")));
    over.addLinks(link(T1, "0000000000000000")); // invalid, before the cap
    for (int i = 0; i < 130; i++) {
      over.addLinks(link(T2, String.format("%016x", i + 1)));
    }
    // Invalid past the cap too: counted as invalid, not over the limit, so that count does not depend on where it is.
    over.addLinks(link(T1 + "00", "b7ad6b7169203331"));
    Span.Builder atTheCap = consumer().setSpanId(ByteString.copyFrom(Hex.decode("00f067aa0ba90202")));
    for (int i = 0; i < SpanMapper.MAX_LINKS; i++) {
      atTheCap.addLinks(link(T2, String.format("%016x", i + 1)));
    }
    // Links are only a CONSUMER span's: another kind's are not kept, so none of them is counted as dropped.
    Span client = span().addLinks(link(T1, "0000000000000000")).addLinks(link(T2, "00f067aa0ba902b7")).build();
    // Nor are a rejected span's.
    Span rejected = over.clone().setTraceId(ByteString.copyFrom(new byte[16])).build();
    var batch = mapper.map(request(resource(), over.build(), atTheCap.build(), client, rejected), 0);

    assertThat(batch.rejected()).isOne();
    assertThat(batch.records()).hasSize(3);
    var kept = batch.records().get(0).getLinksList();
    assertThat(kept).hasSize(128);
    assertThat(kept.get(127)).isEqualTo(recordLink(T2, String.format("%016x", 128)));
    assertThat(batch.records().get(1).getLinksList()).hasSize(128);
    assertThat(batch.linksOverLimit()).isEqualTo(2);
    assertThat(batch.linksInvalid()).isEqualTo(2);
    assertThat(batch.truncated()).isZero();
  }

  @Test
  void linksOfSpansOfOtherKindsAreDropped() {
    for (Span.SpanKind k : new Span.SpanKind[] {Span.SpanKind.SPAN_KIND_UNSPECIFIED, Span.SpanKind.SPAN_KIND_INTERNAL,
        Span.SpanKind.SPAN_KIND_SERVER, Span.SpanKind.SPAN_KIND_CLIENT, Span.SpanKind.SPAN_KIND_PRODUCER}) {
      Span s = span().setKind(k).addLinks(link(T1, "b7ad6b7169203331")).addLinks(link(T2, "00f067aa0ba902b7")).build();
      var batch = mapper.map(request(resource(), s), 0);
      assertThat(batch.records().get(0).getLinksList()).as("%s", k).isEmpty();
      assertThat(batch.records().get(0)).as("%s", k)
          .isEqualTo(mapper.map(request(resource(), s.toBuilder().clearLinks().build()), 0).records().get(0));
    }
    Span unknownKind = span().setKindValue(9).addLinks(link(T1, "b7ad6b7169203331")).build();
    assertThat(mapper.map(request(resource(), unknownKind), 0).records().get(0).getLinksList()).isEmpty();
  }

  @Test
  void spanKindsMapOneToOne() {
    for (Span.SpanKind k : new Span.SpanKind[] {Span.SpanKind.SPAN_KIND_INTERNAL, Span.SpanKind.SPAN_KIND_SERVER,
        Span.SpanKind.SPAN_KIND_CLIENT, Span.SpanKind.SPAN_KIND_PRODUCER, Span.SpanKind.SPAN_KIND_CONSUMER}) {
      assertThat(SpanMapper.kind(k).getNumber()).isEqualTo(k.getNumber());
    }
    assertThat(SpanMapper.kind(Span.SpanKind.SPAN_KIND_UNSPECIFIED)).isEqualTo(SpanRecord.SpanKind.SPAN_KIND_UNSPECIFIED);
  }
}
