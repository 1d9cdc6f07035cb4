package io.switchyard.flinkjobs.job;

import static io.switchyard.flinkjobs.graph.Spans.span;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.flinkjobs.graph.Spans;
import io.switchyard.model.Topics;
import io.switchyard.model.v1.AccessLogRecord;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.ServiceAggregate;
import io.switchyard.model.v1.SpanRecord;
import io.switchyard.model.v1.SpanRecord.SpanKind;
import io.switchyard.model.v1.SpanRecord.StatusCode;
import io.switchyard.model.v1.TelemetrySource;
import io.switchyard.testing.SharedKafka;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * OTLP-shaped fixture traces and access logs, shuffled and partly redelivered, and the exact edge and
 * service aggregates the job must give for them; shared by the MiniCluster and the cluster ITs.
 */
final class GraphFixture {
  /** 2026-01-01T00:00:00Z, a minute boundary. */
  private static final long T0 = 1_767_225_600_000L;

  private GraphFixture() {}

  private static List<SpanRecord> spans() {
    List<SpanRecord> spans = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      long t = i < 8 ? T0 + i * 5_000L : T0 + 60_000L + i * 1_000L; // 8 requests in minute 0, 2 in minute 1
      long trace = 100 + i;
      spans.add(span(trace, 1, 0, "frontend", SpanKind.SPAN_KIND_SERVER, t, 100).setHttpStatusCode(200).build());
      // Envoy's flags as ingest keeps them: the caller's sidecar gave up retrying the failed request, the
      // callee's sidecar saw none ("-", kept as empty).
      spans.add(span(trace, 2, 1, "frontend", SpanKind.SPAN_KIND_CLIENT, t + 10, 80).setResponseFlags(i == 0 ? "URX" : "")
          .build());
      SpanRecord.Builder server = span(trace, 3, 2, "checkout", SpanKind.SPAN_KIND_SERVER, t + 15, 70).setHttpStatusCode(200);
      if (i == 0) {
        server.setStatus(StatusCode.STATUS_CODE_ERROR).setHttpStatusCode(500);
      }
      spans.add(server.build());
      spans.add(span(trace, 4, 3, "checkout", SpanKind.SPAN_KIND_CLIENT, t + 20, 10).setDbSystem("postgresql").setDbName("orders").build());
    }
    // One producer, two consumers: two messaging edges.
    spans.add(span(200, 1, 0, "orders", SpanKind.SPAN_KIND_PRODUCER, T0 + 1_000, 5).setMessagingSystem("kafka").build());
    spans.add(span(200, 2, 1, "billing", SpanKind.SPAN_KIND_CONSUMER, T0 + 1_050, 5).build());
    spans.add(span(200, 3, 1, "shipping", SpanKind.SPAN_KIND_CONSUMER, T0 + 1_080, 5).build());
    // A batch consumer in a trace of its own that links the messages it read: the producer above and one more. Ingest
    // writes its record (key: its own trace) and a copy for each other trace it links (key: that trace); one copy
    // comes twice. One messaging edge per message, and no user edge for the root consumer.
    spans.add(span(201, 1, 0, "orders", SpanKind.SPAN_KIND_PRODUCER, T0 + 1_200, 5).setMessagingSystem("kafka").build());
    SpanRecord audit = span(500, 1, 0, "audit", SpanKind.SPAN_KIND_CONSUMER, T0 + 7_500, 20).setMessagingSystem("kafka")
        .addLinks(SpanRecord.Link.newBuilder().setTraceId(Spans.id(200, 16)).setSpanId(Spans.id(1, 8)))
        .addLinks(SpanRecord.Link.newBuilder().setTraceId(Spans.id(201, 16)).setSpanId(Spans.id(1, 8))).build();
    spans.add(audit);
    spans.add(audit.toBuilder().setLinkedTraceId(Spans.id(200, 16)).build());
    spans.add(audit.toBuilder().setLinkedTraceId(Spans.id(201, 16)).build());
    spans.add(audit.toBuilder().setLinkedTraceId(Spans.id(201, 16)).build());
    // A client whose server is not instrumented: a virtual node named by peer.service.
    spans.add(span(300, 1, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0 + 2_000, 250).setPeerService("payments")
        .setResponseFlags("UF,URX").build());
    // Three requests through Istio sidecars that trace, between instrumented apps: app CLIENT -> sidecar CLIENT ->
    // sidecar SERVER -> app SERVER. One edge per request, the sidecars'; the app spans are proxied.
    for (int i = 0; i < 3; i++) {
      long t = T0 + 6_000 + i * 1_000L;
      long trace = 400 + i;
      spans.add(span(trace, 1, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, t, 50).setPeerService("cart").build());
      spans.add(span(trace, 2, 1, "frontend.shop", SpanKind.SPAN_KIND_CLIENT, t + 2, 46)
          .setUpstreamCluster("outbound|8080||cart.shop.svc.cluster.local").setHttpStatusCode(200)
          .setIstioCanonicalService("frontend").setIstioNamespace("shop").build());
      spans.add(span(trace, 3, 2, "cart.shop", SpanKind.SPAN_KIND_SERVER, t + 4, 42).setUpstreamCluster("inbound|8080||")
          .setHttpStatusCode(200).setIstioCanonicalService("cart").setIstioNamespace("shop").build());
      spans.add(span(trace, 4, 3, "cart", SpanKind.SPAN_KIND_SERVER, t + 6, 38).setHttpStatusCode(200).build());
    }
    return spans;
  }

  private static List<AccessLogRecord> accessLogs() {
    List<AccessLogRecord> logs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      for (AccessLogRecord.Reporter r : List.of(AccessLogRecord.Reporter.REPORTER_SOURCE, AccessLogRecord.Reporter.REPORTER_DESTINATION)) {
        logs.add(AccessLogRecord.newBuilder().setReporter(r).setSourceWorkload("productpage-v1").setSourceNamespace("bookinfo")
            .setDestinationService("reviews.bookinfo.svc.cluster.local").setDestinationWorkload("reviews-v1")
            .setDestinationNamespace("bookinfo").setProtocol(AccessLogRecord.Protocol.PROTOCOL_HTTP).setResponseCode(200)
            .setDurationMicros(5_000).setStartTimeUnixNano((T0 + 3_000 + i) * 1_000_000).setGrpcStatus(-1).build());
      }
    }
    // Two requests to ratings logged by both sidecars as the demo (and an Istio that does not log upstream
    // peer metadata) does: the caller's report names no destination workload, so only the shared request
    // id tells the two reports apart from two requests. One destination report comes twice.
    for (int i = 0; i < 2; i++) {
      AccessLogRecord.Builder common = AccessLogRecord.newBuilder().setRequestId("req-" + i)
          .setAuthority("ratings.bookinfo.svc.cluster.local:9080").setDestinationService("ratings.bookinfo.svc.cluster.local")
          .setProtocol(AccessLogRecord.Protocol.PROTOCOL_HTTP).setResponseCode(200).setGrpcStatus(-1);
      logs.add(common.clone().setReporter(AccessLogRecord.Reporter.REPORTER_SOURCE).setSourceWorkload("productpage-v1")
          .setSourceNamespace("bookinfo").setUpstreamCluster("outbound|9080||ratings.bookinfo.svc.cluster.local")
          .setDurationMicros(9_000).setStartTimeUnixNano((T0 + 4_000 + i) * 1_000_000).build());
      AccessLogRecord destination = common.clone().setReporter(AccessLogRecord.Reporter.REPORTER_DESTINATION)
          .setSourcePrincipal("spiffe://cluster.local/ns/bookinfo/sa/bookinfo-productpage").setDestinationWorkload("ratings-v1")
          .setDestinationNamespace("bookinfo").setUpstreamCluster("inbound|9080||")
          .setDurationMicros(7_000).setStartTimeUnixNano((T0 + 4_001 + i) * 1_000_000).build();
      logs.add(destination);
      if (i == 0) {
        logs.add(destination);
      }
    }
    // One TCP connection to mongodb logged by both sidecars, without a request id or peer metadata: the two logs
    // name the same connection (the caller's upstream is the callee's downstream), so it counts once.
    AccessLogRecord.Builder tcp = AccessLogRecord.newBuilder().setProtocol(AccessLogRecord.Protocol.PROTOCOL_TCP)
        .setDestinationService("mongodb.bookinfo.svc.cluster.local").setGrpcStatus(-1).setRequestBytes(1_000).setResponseBytes(5_000)
        .setConnectionClientAddress("10.44.0.12:40312").setConnectionServerAddress("10.44.0.30:27017");
    logs.add(tcp.clone().setReporter(AccessLogRecord.Reporter.REPORTER_SOURCE).setSourceWorkload("productpage-v1")
        .setSourceNamespace("bookinfo").setUpstreamCluster("outbound|27017||mongodb.bookinfo.svc.cluster.local")
        .setDurationMicros(2_000_000).setStartTimeUnixNano((T0 + 5_000) * 1_000_000).build());
    logs.add(tcp.clone().setReporter(AccessLogRecord.Reporter.REPORTER_DESTINATION).setSourceAddress("10.44.0.12:40312")
        .setDestinationWorkload("mongodb-v1").setDestinationNamespace("bookinfo").setUpstreamCluster("inbound|27017||")
        .setDurationMicros(1_990_000).setStartTimeUnixNano((T0 + 5_001) * 1_000_000).build());
    return logs;
  }

  /** Every input record, in the order it is produced: spans shuffled with two redelivered, then the access logs. */
  static List<ProducerRecord<byte[], byte[]>> records(String prefix) {
    List<SpanRecord> spans = new ArrayList<>(spans());
    spans.add(spans.get(1)); // redelivered client span
    spans.add(spans.get(2)); // redelivered server span
    // A redelivered app SERVER span next to its sidecar's.
    spans.add(spans.stream().filter(s -> s.getServiceName().equals("cart")).findFirst().orElseThrow());
    Collections.shuffle(spans, new Random(42)); // arrival order is anything: server before client, minute 1 before minute 0
    List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
    for (SpanRecord s : spans) {
      // A link copy is keyed by the trace it names, as ingest keys it.
      String key = Spans.hex(s.getLinkedTraceId().isEmpty() ? s.getTraceId() : s.getLinkedTraceId());
      out.add(new ProducerRecord<>(prefix + Topics.SPANS.name(), key.getBytes(StandardCharsets.UTF_8), s.toByteArray()));
    }
    for (AccessLogRecord r : accessLogs()) {
      out.add(new ProducerRecord<>(prefix + Topics.ACCESS_LOGS.name(), "reviews".getBytes(StandardCharsets.UTF_8), r.toByteArray()));
    }
    return out;
  }

  static void produce(SharedKafka kafka, List<ProducerRecord<byte[], byte[]>> records) {
    try (KafkaProducer<byte[], byte[]> p = kafka.producer()) {
      records.forEach(p::send);
      p.flush();
    }
  }

  /**
   * A root server span of service {@code closer} 20 minutes after the fixture: in a job that does not end, it moves the
   * span path's event time (and so every pairing wait and window) past the fixture once the other inputs turn idle.
   */
  static ProducerRecord<byte[], byte[]> closer(String prefix) {
    SpanRecord s = span(900, 1, 0, "closer", SpanKind.SPAN_KIND_SERVER, T0 + 20 * 60_000, 1).setHttpStatusCode(200).build();
    return new ProducerRecord<>(prefix + Topics.SPANS.name(), Spans.hex(s.getTraceId()).getBytes(StandardCharsets.UTF_8), s.toByteArray());
  }

  /**
   * The output topics under {@code prefix} (read_committed, the last record per key and window wins) hold exactly the
   * fixture's aggregates, apart from the {@link #closer}'s hop.
   */
  static void assertExactAggregates(SharedKafka kafka, String prefix) throws Exception {
    // Readers overwrite per (key, window start): a late update replaces the window's earlier record.
    Map<String, EdgeAggregate> edges = new TreeMap<>();
    for (ConsumerRecord<byte[], byte[]> r : TopicReader.readAll(kafka, prefix + Topics.EDGES.name())) {
      EdgeAggregate a = EdgeAggregate.parseFrom(r.value());
      if (a.getServer().getName().equals("closer")) {
        continue;
      }
      assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(io.switchyard.flinkjobs.aggregate.Aggregates.edgeKafkaKey(a));
      edges.put(a.getSource().getNumber() + "|" + a.getConnectionType() + "|" + a.getClient().getName() + "->"
          + a.getServer().getName() + "@" + (a.getWindowStartUnixMs() - T0) / 60_000, a);
    }
    Map<String, Double> requests = new LinkedHashMap<>();
    Map<String, Double> failed = new LinkedHashMap<>();
    edges.forEach((k, a) -> {
      requests.put(k, a.getRequestCount());
      failed.put(k, a.getFailedCount());
    });
    int trace = TelemetrySource.TELEMETRY_SOURCE_TRACE_VALUE;
    int mesh = TelemetrySource.TELEMETRY_SOURCE_MESH_VALUE;
    Map<String, Double> expectedRequests = with(Map.of(
        trace + "|virtual_node|user->frontend@0", 8.0,
        trace + "|virtual_node|user->frontend@1", 2.0,
        trace + "||frontend->checkout@0", 8.0,
        trace + "||frontend->checkout@1", 2.0,
        trace + "|database|checkout->orders@0", 8.0,
        trace + "|database|checkout->orders@1", 2.0,
        trace + "|messaging_system|orders->billing@0", 1.0,
        trace + "|messaging_system|orders->shipping@0", 1.0,
        trace + "|virtual_node|frontend->payments@0", 1.0,
        mesh + "||productpage-v1->reviews@0", 3.0), mesh + "||productpage-v1->ratings@0", 2.0,
        mesh + "||productpage-v1->mongodb@0", 1.0);
    expectedRequests.put(trace + "||frontend->cart@0", 3.0); // the sidecars' edge only, named by canonical service
    expectedRequests.put(trace + "|messaging_system|orders->audit@0", 2.0); // two linked messages, one redelivered copy
    assertThat(requests).containsExactlyInAnyOrderEntriesOf(expectedRequests);
    // Each linked message's own queue latency: 7.5 s after the consumer started, less each producer's end.
    assertThat(edges.get(trace + "|messaging_system|orders->audit@0").getMessagingLatency().getSumSeconds())
        .isCloseTo(6.495 + 6.295, org.assertj.core.data.Offset.offset(1e-9));
    EdgeAggregate cart = edges.get(trace + "||frontend->cart@0");
    assertThat(cart.getClientLatency().getSumSeconds()).isCloseTo(3 * 0.046, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(cart.getServerLatency().getSumSeconds()).isCloseTo(3 * 0.042, org.assertj.core.data.Offset.offset(1e-9));
    EdgeAggregate mongodb = edges.get(mesh + "||productpage-v1->mongodb@0");
    assertThat(mongodb.getProtocol()).isEqualTo("tcp");
    assertThat(mongodb.getSentBytes()).isEqualTo(5_000);
    assertThat(mongodb.getReceivedBytes()).isEqualTo(1_000);
    assertThat(mongodb.getResponseCodesList()).isEmpty();
    EdgeAggregate ratings = edges.get(mesh + "||productpage-v1->ratings@0");
    assertThat(ratings.getResponseCodesList()).containsExactly(
        io.switchyard.model.v1.CodeCount.newBuilder().setCode("200").setCount(2).build());
    assertThat(ratings.getClientLatency().getCount()).isEqualTo(2);
    assertThat(ratings.getServerLatency().getCount()).isEqualTo(2);
    assertThat(ratings.getServerLatency().getSumSeconds()).isCloseTo(2 * 0.007, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(failed.get(trace + "||frontend->checkout@0")).isEqualTo(1.0);
    assertThat(failed.values().stream().mapToDouble(Double::doubleValue).sum()).isEqualTo(1.0);
    EdgeAggregate checkout = edges.get(trace + "||frontend->checkout@0");
    assertThat(checkout.getClientLatency().getCount()).isEqualTo(8);
    assertThat(checkout.getServerLatency().getCount()).isEqualTo(8);
    assertThat(checkout.getServerLatency().getSumSeconds()).isCloseTo(8 * 0.07, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(edges.get(trace + "|messaging_system|orders->billing@0").getMessagingLatency().getSumSeconds())
        .isCloseTo(0.045, org.assertj.core.data.Offset.offset(1e-9));
    EdgeAggregate payments = edges.get(trace + "|virtual_node|frontend->payments@0");
    assertThat(payments.getClientLatency().getSumSeconds()).isCloseTo(0.25, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(payments.getServerLatency().getCount()).isZero();
    // Envoy's flags from spans, counted per flag as the access-log path counts them.
    assertThat(checkout.getResponseFlagsList()).containsExactly(code("URX", 1));
    assertThat(edges.get(trace + "||frontend->checkout@1").getResponseFlagsList()).isEmpty();
    assertThat(payments.getResponseFlagsList()).containsExactlyInAnyOrder(code("UF", 1), code("URX", 1));

    Map<String, Double> services = new TreeMap<>();
    for (ConsumerRecord<byte[], byte[]> r : TopicReader.readAll(kafka, prefix + Topics.SERVICES.name())) {
      ServiceAggregate a = ServiceAggregate.parseFrom(r.value());
      if (a.getService().getName().equals("closer")) {
        continue;
      }
      services.put(a.getSource().getNumber() + "|" + a.getService().getName() + "@" + (a.getWindowStartUnixMs() - T0) / 60_000,
          a.getRequestCount());
    }
    Map<String, Double> expectedServices = with(Map.of(
        trace + "|frontend@0", 8.0, trace + "|frontend@1", 2.0,
        trace + "|checkout@0", 8.0, trace + "|checkout@1", 2.0,
        trace + "|orders@0", 8.0 + 0, trace + "|orders@1", 2.0,
        trace + "|billing@0", 1.0, trace + "|shipping@0", 1.0, trace + "|payments@0", 1.0,
        mesh + "|reviews@0", 3.0), mesh + "|ratings@0", 2.0, mesh + "|mongodb@0", 1.0);
    expectedServices.put(trace + "|cart@0", 3.0); // the sidecars name it by canonical service
    expectedServices.put(trace + "|audit@0", 2.0); // the batch consumer, called by the two messages it links
    assertThat(services).containsExactlyInAnyOrderEntriesOf(expectedServices);
  }

  private static io.switchyard.model.v1.CodeCount code(String code, double count) {
    return io.switchyard.model.v1.CodeCount.newBuilder().setCode(code).setCount(count).build();
  }

  /** {@code map} plus two entries (Map.of stops at ten). */
  private static Map<String, Double> with(Map<String, Double> map, String key, double value, String key2, double value2) {
    Map<String, Double> all = new TreeMap<>(map);
    all.put(key, value);
    all.put(key2, value2);
    return all;
  }
}
