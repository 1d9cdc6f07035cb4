package io.switchyard.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.core.v3.RequestMethod;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPRequestProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPResponseProperties;
import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.logs.OtlpGrpcLogRecordExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.ingest.mapping.Hex;
import io.switchyard.model.Topics;
import io.switchyard.model.v1.AccessLogRecord;
import io.switchyard.model.v1.SpanRecord;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.serverkit.metrics.Metrics;
import io.switchyard.testing.SharedKafka;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class IngestServerIT {
  @RegisterExtension static final SharedKafka kafka = new SharedKafka();

  @TempDir Path dataDir;
  String prefix;
  IngestServer server;
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws IOException {
    prefix = kafka.uniquePrefix();
    kafka.createTopics(prefix);
    server = new IngestServer(IngestConfig.defaults(kafka.bootstrapServers(), dataDir).withHost("127.0.0.1")
        .withPorts(0, 0, 0).withTopicPrefix(prefix), new Metrics(new PrometheusRegistry()), new Readiness()).start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  String spansTopic() {
    return Topics.SPANS.withPrefix(prefix).name();
  }

  String logsTopic() {
    return Topics.ACCESS_LOGS.withPrefix(prefix).name();
  }

  static Resource resource(String service) {
    return Resource.getDefault().merge(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), service,
        AttributeKey.stringKey("k8s.namespace.name"), "shop")));
  }

  /** A server span with a client child, as an instrumented service produces them. */
  static List<Span> emitTrace(SpanExporter exporter, String service) {
    try (SdkTracerProvider provider = SdkTracerProvider.builder().setResource(resource(service))
        .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build()) {
      Tracer tracer = provider.get("it");
      Span server = tracer.spanBuilder("GET /cart").setSpanKind(SpanKind.SERVER)
          .setAttribute("http.request.method", "GET").setAttribute("http.route", "/cart")
          .setAttribute("http.response.status_code", 200L).startSpan();
      Span client;
      try (Scope ignored = server.makeCurrent()) {
        client = tracer.spanBuilder("SELECT cart").setSpanKind(SpanKind.CLIENT)
            .setAttribute("db.system", "postgresql").setAttribute("db.name", "carts")
            .setAttribute("peer.service", "postgres").startSpan();
        client.setStatus(StatusCode.ERROR);
        client.end();
      }
      server.end();
      assertThat(provider.forceFlush().join(15, TimeUnit.SECONDS).isSuccess()).isTrue();
      return List.of(server, client);
    }
  }

  void assertSpansArrived(List<Span> sent, String service) throws Exception {
    List<ConsumerRecord<byte[], byte[]>> got = kafka.consume(spansTopic(), 2, Duration.ofSeconds(30));
    assertThat(got).hasSize(2);
    String traceId = sent.get(0).getSpanContext().getTraceId();
    Map<String, SpanRecord> bySpanId = got.stream().map(r -> {
      assertThat(new String(r.key(), StandardCharsets.US_ASCII)).isEqualTo(traceId);
      try {
        return SpanRecord.parseFrom(r.value());
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    }).collect(Collectors.toMap(s -> Hex.encode(s.getSpanId()), s -> s));
    SpanRecord serverSpan = bySpanId.get(sent.get(0).getSpanContext().getSpanId());
    SpanRecord clientSpan = bySpanId.get(sent.get(1).getSpanContext().getSpanId());
    assertThat(serverSpan.getServiceName()).isEqualTo(service);
    assertThat(serverSpan.getKind()).isEqualTo(SpanRecord.SpanKind.SPAN_KIND_SERVER);
    assertThat(serverSpan.getHttpRoute()).isEqualTo("/cart");
    assertThat(serverSpan.getHttpStatusCode()).isEqualTo(200);
    assertThat(serverSpan.getParentSpanId()).isEmpty();
    assertThat(serverSpan.getIstioNamespace()).isEqualTo("shop");
    assertThat(clientSpan.getKind()).isEqualTo(SpanRecord.SpanKind.SPAN_KIND_CLIENT);
    assertThat(Hex.encode(clientSpan.getParentSpanId())).isEqualTo(sent.get(0).getSpanContext().getSpanId());
    assertThat(clientSpan.getDbSystem()).isEqualTo("postgresql");
    assertThat(clientSpan.getPeerService()).isEqualTo("postgres");
    assertThat(clientSpan.getStatus()).isEqualTo(SpanRecord.StatusCode.STATUS_CODE_ERROR);
    assertThat(clientSpan.getSamplingProbability()).isEqualTo(1.0);
    assertThat(clientSpan.getAttributesMap()).isEmpty();
  }

  @Test
  void otelSdkGrpcExporterSpansLandOnTheSpanTopicKeyedByTraceId() throws Exception {
    List<Span> sent = emitTrace(OtlpGrpcSpanExporter.builder()
        .setEndpoint("http://127.0.0.1:" + server.otlpGrpcPort()).build(), "cart");
    assertSpansArrived(sent, "cart");
    assertThat(server.metrics().value("spans", "accepted")).isEqualTo(2);
  }

  @Test
  void aConsumerSpanLinkingAnotherTracesProducerLandsTwiceKeyedByEachTraceAndCountsOnce() throws Exception {
    SpanExporter exporter = OtlpGrpcSpanExporter.builder().setEndpoint("http://127.0.0.1:" + server.otlpGrpcPort()).build();
    Span producer;
    Span consumer;
    try (SdkTracerProvider provider = SdkTracerProvider.builder().setResource(resource("orders"))
        .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build()) {
      Tracer tracer = provider.get("it");
      producer = tracer.spanBuilder("orders publish").setSpanKind(SpanKind.PRODUCER).startSpan();
      producer.end();
      // A batch consumer's process span: a trace of its own, linking the message's creation context.
      consumer = tracer.spanBuilder("orders process").setSpanKind(SpanKind.CONSUMER).setNoParent()
          .addLink(producer.getSpanContext()).startSpan();
      consumer.end();
      assertThat(provider.forceFlush().join(15, TimeUnit.SECONDS).isSuccess()).isTrue();
    }
    List<ConsumerRecord<byte[], byte[]>> got = kafka.consume(spansTopic(), 3, Duration.ofSeconds(30));
    assertThat(got).hasSize(3);
    String producerTrace = producer.getSpanContext().getTraceId();
    String consumerTrace = consumer.getSpanContext().getTraceId();
    Map<String, List<SpanRecord>> byKey = new java.util.TreeMap<>();
    for (ConsumerRecord<byte[], byte[]> r : got) {
      byKey.computeIfAbsent(new String(r.key(), StandardCharsets.US_ASCII), k -> new java.util.ArrayList<>()).add(SpanRecord.parseFrom(r.value()));
    }
    assertThat(byKey.get(consumerTrace)).singleElement().satisfies(s -> {
      assertThat(s.getKind()).isEqualTo(SpanRecord.SpanKind.SPAN_KIND_CONSUMER);
      assertThat(s.getLinksList()).singleElement().satisfies(l -> {
        assertThat(Hex.encode(l.getTraceId())).isEqualTo(producerTrace);
        assertThat(Hex.encode(l.getSpanId())).isEqualTo(producer.getSpanContext().getSpanId());
      });
      assertThat(s.getLinkedTraceId()).isEmpty();
    });
    assertThat(byKey.get(producerTrace)).hasSize(2).anySatisfy(s -> assertThat(s.getKind()).isEqualTo(SpanRecord.SpanKind.SPAN_KIND_PRODUCER))
        .anySatisfy(s -> {
          assertThat(Hex.encode(s.getTraceId())).isEqualTo(consumerTrace); // the consumer's own span, copied
          assertThat(Hex.encode(s.getLinkedTraceId())).isEqualTo(producerTrace);
        });
    assertThat(server.metrics().value("spans", "accepted")).isEqualTo(2); // the copy is not a span of its own
  }

  @Test
  void otelSdkHttpExporterWithGzipSpansLandOnTheSpanTopic() throws Exception {
    List<Span> sent = emitTrace(OtlpHttpSpanExporter.builder()
        .setEndpoint("http://127.0.0.1:" + server.otlpHttpPort() + "/v1/traces").setCompression("gzip").build(), "web");
    assertSpansArrived(sent, "web");
  }

  static Attributes envoyAccessLogAttributes(String cluster, String requestId) {
    return Attributes.builder().put("upstream_cluster", cluster).put("response_code", 503L)
        .put("response_flags", "UF").put("protocol", "HTTP/2").put("method", "POST").put("authority", "payments:8080")
        .put("path", "/pay").put("duration", 12L).put("bytes_received", 100L).put("bytes_sent", 20L)
        .put("request_id", requestId).build();
  }

  void emitLogs(LogRecordExporter exporter) {
    Resource envoy = Resource.create(Attributes.of(
        AttributeKey.stringKey("node_name"), "sidecar~10.0.0.9~checkout-v1-6b746f74dc-9stvs.shop~shop.svc.cluster.local",
        AttributeKey.stringKey("cluster_name"), "checkout.shop"));
    try (SdkLoggerProvider provider = SdkLoggerProvider.builder().setResource(envoy)
        .addLogRecordProcessor(SimpleLogRecordProcessor.create(exporter)).build()) {
      var logger = provider.get("envoy");
      logger.logRecordBuilder().setBody("access").setAllAttributes(
          envoyAccessLogAttributes("outbound|8080||payments.shop.svc.cluster.local", "r-1")).emit();
      logger.logRecordBuilder().setBody("an application log line, not an access log").emit();
      assertThat(provider.forceFlush().join(15, TimeUnit.SECONDS).isSuccess()).isTrue();
    }
  }

  void assertAccessLogArrived() throws Exception {
    List<ConsumerRecord<byte[], byte[]>> got = kafka.consume(logsTopic(), 1, Duration.ofSeconds(30));
    assertThat(got).hasSize(1);
    assertThat(new String(got.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("payments.shop.svc.cluster.local");
    AccessLogRecord r = AccessLogRecord.parseFrom(got.get(0).value());
    assertThat(r.getReporter()).isEqualTo(AccessLogRecord.Reporter.REPORTER_SOURCE);
    assertThat(r.getSourceWorkload()).isEqualTo("checkout-v1");
    assertThat(r.getSourceNamespace()).isEqualTo("shop");
    assertThat(r.getDestinationNamespace()).isEqualTo("shop");
    assertThat(r.getResponseCode()).isEqualTo(503);
    assertThat(r.getResponseFlags()).isEqualTo("UF");
    assertThat(r.getDurationMicros()).isEqualTo(12_000);
    assertThat(r.getRequestId()).isEqualTo("r-1");
    assertThat(server.metrics().value("logs", "ignored")).isEqualTo(1);
  }

  @Test
  void otelSdkGrpcLogExporterEnvoyAccessLogsLandOnTheAccessLogTopic() throws Exception {
    emitLogs(OtlpGrpcLogRecordExporter.builder().setEndpoint("http://127.0.0.1:" + server.otlpGrpcPort()).build());
    assertAccessLogArrived();
  }

  @Test
  void otelSdkHttpLogExporterEnvoyAccessLogsLandOnTheAccessLogTopic() throws Exception {
    emitLogs(OtlpHttpLogRecordExporter.builder()
        .setEndpoint("http://127.0.0.1:" + server.otlpHttpPort() + "/v1/logs").build());
    assertAccessLogArrived();
  }

  static Node node() {
    Struct md = Struct.newBuilder().putFields("WORKLOAD_NAME", Value.newBuilder().setStringValue("productpage-v1").build())
        .putFields("NAMESPACE", Value.newBuilder().setStringValue("bookinfo").build()).build();
    return Node.newBuilder().setId("sidecar~10.44.0.12~productpage-v1-6b746f74dc-9stvs.bookinfo~bookinfo.svc.cluster.local")
        .setCluster("productpage.bookinfo").setMetadata(md).build();
  }

  static HTTPAccessLogEntry entry(String requestId) {
    return HTTPAccessLogEntry.newBuilder()
        .setCommonProperties(AccessLogCommon.newBuilder()
            .setUpstreamCluster("outbound|9080|v1|reviews.bookinfo.svc.cluster.local")
            .setUpstreamRemoteAddress(Address.newBuilder().setSocketAddress(
                SocketAddress.newBuilder().setAddress("10.44.0.20").setPortValue(9080))))
        .setRequest(HTTPRequestProperties.newBuilder().setRequestMethod(RequestMethod.GET)
            .setAuthority("reviews:9080").setPath("/reviews/1").setRequestId(requestId))
        .setResponse(HTTPResponseProperties.newBuilder().setResponseCode(com.google.protobuf.UInt32Value.of(200)))
        .build();
  }

  static StreamAccessLogsMessage message(Node node, HTTPAccessLogEntry... entries) {
    StreamAccessLogsMessage.Builder b = StreamAccessLogsMessage.newBuilder()
        .setHttpLogs(StreamAccessLogsMessage.HTTPAccessLogEntries.newBuilder().addAllLogEntry(List.of(entries)));
    if (node != null) {
      b.setIdentifier(StreamAccessLogsMessage.Identifier.newBuilder().setNode(node).setLogName("als"));
    }
    return b.build();
  }

  @Test
  void alsStreamStampsTheFirstMessagesNodeOnEveryEntry() throws Exception {
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.alsPort()).usePlaintext().build();
    try {
      CountDownLatch done = new CountDownLatch(1);
      StreamObserver<StreamAccessLogsMessage> stream = AccessLogServiceGrpc.newStub(channel)
          .streamAccessLogs(new StreamObserver<StreamAccessLogsResponse>() {
            @Override
            public void onNext(StreamAccessLogsResponse value) {}

            @Override
            public void onError(Throwable t) {
              done.countDown();
            }

            @Override
            public void onCompleted() {
              done.countDown();
            }
          });
      stream.onNext(message(node(), entry("a-1"), entry("a-2")));
      stream.onNext(message(null, entry("a-3")));
      stream.onCompleted();
      assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();

      List<ConsumerRecord<byte[], byte[]>> got = kafka.consume(logsTopic(), 3, Duration.ofSeconds(30));
      assertThat(got).hasSize(3);
      for (ConsumerRecord<byte[], byte[]> rec : got) {
        AccessLogRecord r = AccessLogRecord.parseFrom(rec.value());
        assertThat(new String(rec.key(), StandardCharsets.UTF_8)).isEqualTo("reviews.bookinfo.svc.cluster.local");
        assertThat(r.getNodeId()).startsWith("sidecar~10.44.0.12~");
        assertThat(r.getSourceWorkload()).isEqualTo("productpage-v1");
        assertThat(r.getSourceNamespace()).isEqualTo("bookinfo");
        assertThat(r.getDestinationService()).isEqualTo("reviews.bookinfo.svc.cluster.local");
        assertThat(r.getDestinationVersion()).isEqualTo("v1");
        assertThat(r.getReporter()).isEqualTo(AccessLogRecord.Reporter.REPORTER_SOURCE);
      }
      assertThat(got.stream().map(r -> parse(r).getRequestId())).containsExactlyInAnyOrder("a-1", "a-2", "a-3");
    } finally {
      channel.shutdownNow();
    }
  }

  static AccessLogRecord parse(ConsumerRecord<byte[], byte[]> r) {
    try {
      return AccessLogRecord.parseFrom(r.value());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  HttpResponse<String> post(String path, String contentType, byte[] body, boolean gzip) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.otlpHttpPort() + path))
        .header("Content-Type", contentType);
    if (gzip) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (GZIPOutputStream z = new GZIPOutputStream(out)) {
        z.write(body);
      }
      body = out.toByteArray();
      b.header("Content-Encoding", "gzip");
    }
    return http.send(b.POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  static byte[] classpath(String name) throws IOException {
    try (var in = IngestServerIT.class.getResourceAsStream(name)) {
      return in.readAllBytes();
    }
  }

  @Test
  void otlpSpecificationJsonExamplesParse() throws Exception {
    HttpResponse<String> traces = post("/v1/traces", "application/json", classpath("/otlp/trace.json"), true);
    assertThat(traces.statusCode()).isEqualTo(200);
    assertThat(traces.headers().firstValue("Content-Type")).hasValue("application/json");
    HttpResponse<String> logs = post("/v1/logs", "application/json", classpath("/otlp/logs.json"), false);
    assertThat(logs.statusCode()).isEqualTo(200);

    List<ConsumerRecord<byte[], byte[]>> got = kafka.consume(spansTopic(), 1, Duration.ofSeconds(30));
    assertThat(new String(got.get(0).key(), StandardCharsets.US_ASCII)).isEqualTo("5b8efff798038103d269b633813fc60c");
    SpanRecord span = SpanRecord.parseFrom(got.get(0).value());
    assertThat(Hex.encode(span.getSpanId())).isEqualTo("eee19b7ec3c1b174");
    assertThat(Hex.encode(span.getParentSpanId())).isEqualTo("eee19b7ec3c1b173");
    assertThat(span.getServiceName()).isEqualTo("my.service");
    assertThat(span.getKind()).isEqualTo(SpanRecord.SpanKind.SPAN_KIND_SERVER);
    assertThat(span.getStartTimeUnixNano()).isEqualTo(1544712660000000000L);
    assertThat(server.metrics().value("logs", "ignored")).isEqualTo(1);
  }

  @Test
  void aLinkingConsumerSentAsOtlpJsonIsCopiedToTheTraceItLinksTo() throws Exception {
    String body = """
        {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "billing"}}]},
          "scopeSpans": [{"spans": [{"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331",
            "name": "orders process", "kind": 5, "startTimeUnixNano": "1544712660000000000",
            "endTimeUnixNano": "1544712661000000000",
            "links": [{"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b173"}]}]}]}]}
        """;
    HttpResponse<String> r = post("/v1/traces", "application/json", body.getBytes(StandardCharsets.UTF_8), false);
    assertThat(r.statusCode()).isEqualTo(200);

    List<ConsumerRecord<byte[], byte[]>> got = kafka.consume(spansTopic(), 2, Duration.ofSeconds(30));
    assertThat(got).extracting(c -> new String(c.key(), StandardCharsets.US_ASCII))
        .containsExactlyInAnyOrder("0af7651916cd43dd8448eb211c80319c", "5b8efff798038103d269b633813fc60c");
    for (ConsumerRecord<byte[], byte[]> c : got) {
      SpanRecord span = SpanRecord.parseFrom(c.value());
      assertThat(Hex.encode(span.getTraceId())).isEqualTo("0af7651916cd43dd8448eb211c80319c");
      assertThat(span.getLinksList()).singleElement().satisfies(l -> assertThat(Hex.encode(l.getSpanId())).isEqualTo("eee19b7ec3c1b173"));
      boolean copy = new String(c.key(), StandardCharsets.US_ASCII).startsWith("5b8e");
      assertThat(Hex.encode(span.getLinkedTraceId())).isEqualTo(copy ? "5b8efff798038103d269b633813fc60c" : "");
    }
    assertThat(server.metrics().value("spans", "accepted")).isEqualTo(1);
  }

  @Test
  void partialSuccessCountsRejectedSpansOverHttpJson() throws Exception {
    String body = new String(classpath("/otlp/trace.json"), StandardCharsets.UTF_8)
        .replace("\"spanId\": \"EEE19B7EC3C1B174\"", "\"spanId\": \"0000000000000000\"");
    HttpResponse<String> resp = post("/v1/traces", "application/json", body.getBytes(StandardCharsets.UTF_8), false);
    assertThat(resp.statusCode()).isEqualTo(200);
    assertThat(resp.body()).contains("\"rejectedSpans\":\"1\"").contains("span_id must not be all zeros");
    assertThat(server.metrics().value("spans", "rejected")).isEqualTo(1);
  }

  @Test
  void malformedBodiesGet400NamingTheProblem() throws Exception {
    String badHex = new String(classpath("/otlp/trace.json"), StandardCharsets.UTF_8)
        .replace("5B8EFFF798038103D269B633813FC60C", "not-hex");
    HttpResponse<String> json = post("/v1/traces", "application/json", badHex.getBytes(StandardCharsets.UTF_8), false);
    assertThat(json.statusCode()).isEqualTo(400);
    assertThat(json.body()).contains("\"error\":\"resourceSpans[0].scopeSpans[0].spans[0].traceId must be a hex string");

    HttpResponse<String> proto = post("/v1/traces", "application/x-protobuf", new byte[] {0x0a, 0x7f, 0x01}, false);
    assertThat(proto.statusCode()).isEqualTo(400);
    HttpResponse<String> type = post("/v1/traces", "text/plain", new byte[] {1}, false);
    assertThat(type.statusCode()).isEqualTo(415);
    HttpResponse<String> notJson = post("/v1/logs", "application/json", "{oops".getBytes(StandardCharsets.UTF_8), false);
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(notJson.body()).contains("\"error\":\"body is not valid JSON");
  }

  @Test
  void malformedGrpcPayloadGetsInvalidArgumentNamingTheMessage() {
    io.grpc.MethodDescriptor.Marshaller<byte[]> bytes = new io.grpc.MethodDescriptor.Marshaller<>() {
      @Override
      public java.io.InputStream stream(byte[] value) {
        return new java.io.ByteArrayInputStream(value);
      }

      @Override
      public byte[] parse(java.io.InputStream stream) {
        try {
          return stream.readAllBytes();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
    };
    var method = io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc.getExportMethod().toBuilder(bytes, bytes)
        .build();
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.otlpGrpcPort()).usePlaintext().build();
    try {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> io.grpc.stub.ClientCalls.blockingUnaryCall(
              channel, method, io.grpc.CallOptions.DEFAULT, new byte[] {0x0a, 0x7f, 0x01}))
          .isInstanceOfSatisfying(io.grpc.StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).startsWith("request is not a valid ExportTraceServiceRequest");
          });
    } finally {
      channel.shutdownNow();
    }
  }
}
