package io.switchyard.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.ingest.mapping.MappingOptions;
import io.switchyard.model.Topics;
import io.switchyard.model.v1.SpanRecord;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.serverkit.metrics.Metrics;
import io.switchyard.testing.SharedKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Message-size and attribute limits over real gRPC and HTTP: oversized requests refused, over-limit spans cut. */
class IngestLimitsIT {
  @RegisterExtension static final SharedKafka kafka = new SharedKafka();

  static final int MAX_ATTRIBUTES = 8;
  static final int MAX_VALUE = 32;
  static final int MAX_MESSAGE = 16 * 1024;

  @TempDir Path dataDir;
  String prefix;
  IngestServer server;

  @BeforeEach
  void start() throws Exception {
    prefix = kafka.uniquePrefix();
    kafka.createTopics(prefix);
    server = new IngestServer(IngestConfig.defaults(kafka.bootstrapServers(), dataDir).withHost("127.0.0.1")
        .withPorts(0, 0, 0).withTopicPrefix(prefix).withMaxMessageBytes(MAX_MESSAGE)
        .withMapping(new MappingOptions(true, MAX_ATTRIBUTES, MAX_VALUE)),
        new Metrics(new PrometheusRegistry()), new Readiness()).start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  static KeyValue kv(String k, String v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v)).build();
  }

  /** One span within limits, one with 20 attributes (peer.service past the 8th) and a 100-character value. */
  static ExportTraceServiceRequest request(byte traceByte) {
    Span.Builder ok = span(traceByte, 1).setName("GET /ok").addAttributes(kv("peer.service", "cart"));
    Span.Builder over = span(traceByte, 2).setName("GET /" + "n".repeat(100))
        .addAttributes(kv("http.route", "/" + "r".repeat(99)));
    for (int i = 0; i < 18; i++) {
      over.addAttributes(kv("extra." + i, "v" + i));
    }
    over.addAttributes(kv("peer.service", "beyond-the-limit"));
    return ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
        .setResource(Resource.newBuilder().addAttributes(kv("service.name", "frontend")))
        .addScopeSpans(ScopeSpans.newBuilder().addSpans(ok).addSpans(over))).build();
  }

  static Span.Builder span(byte traceByte, int id) {
    byte[] trace = new byte[16];
    trace[15] = traceByte;
    byte[] spanId = new byte[8];
    spanId[7] = (byte) id;
    return Span.newBuilder().setTraceId(ByteString.copyFrom(trace)).setSpanId(ByteString.copyFrom(spanId))
        .setStartTimeUnixNano(1_000_000_000L).setEndTimeUnixNano(2_000_000_000L);
  }

  void assertTruncatedSpanInKafka() {
    List<ConsumerRecord<byte[], byte[]>> got = kafka.consume(Topics.SPANS.withPrefix(prefix).name(), 2,
        Duration.ofSeconds(30));
    assertThat(got).hasSize(2);
    SpanRecord ok = got.stream().map(IngestLimitsIT::parse).filter(s -> s.getName().equals("GET /ok")).findFirst()
        .orElseThrow();
    assertThat(ok.getPeerService()).isEqualTo("cart");
    SpanRecord over = got.stream().map(IngestLimitsIT::parse).filter(s -> s != ok && !s.getName().equals("GET /ok"))
        .findFirst().orElseThrow();
    assertThat(over.getName()).hasSize(MAX_VALUE).startsWith("GET /nnn");
    assertThat(over.getHttpRoute()).hasSize(MAX_VALUE);
    // Attributes past the count limit are dropped before anything reads them, as OTel SDKs drop them.
    assertThat(over.getPeerService()).isEmpty();
    assertThat(over.getAttributesMap()).hasSizeLessThanOrEqualTo(MAX_ATTRIBUTES + 1) // + service.name (resource)
        .doesNotContainKey("peer.service").doesNotContainKey("extra.7");
    assertThat(over.getAttributesMap().values()).allSatisfy(v -> assertThat(v.length()).isLessThanOrEqualTo(MAX_VALUE));
    assertThat(server.metrics().value("spans", "truncated")).isEqualTo(1);
    assertThat(server.metrics().value("spans", "accepted")).isEqualTo(2);
  }

  static SpanRecord parse(ConsumerRecord<byte[], byte[]> r) {
    try {
      return SpanRecord.parseFrom(r.value());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void overLimitSpansAreTruncatedAndWarnedAboutOverGrpc() {
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.otlpGrpcPort()).usePlaintext()
        .build();
    try {
      ExportTraceServiceResponse resp = TraceServiceGrpc.newBlockingStub(channel).export(request((byte) 1));
      assertThat(resp.getPartialSuccess().getRejectedSpans()).isZero();
      assertThat(resp.getPartialSuccess().getErrorMessage())
          .isEqualTo("1 spans exceeded the attribute limits (8 attributes, values of 32 characters) and were truncated");
    } finally {
      channel.shutdownNow();
    }
    assertTruncatedSpanInKafka();
  }

  @Test
  void overLimitSpansAreTruncatedAndWarnedAboutOverHttp() throws Exception {
    HttpResponse<byte[]> resp = post(request((byte) 2).toByteArray());
    assertThat(resp.statusCode()).isEqualTo(200);
    ExportTraceServiceResponse body = ExportTraceServiceResponse.parseFrom(resp.body());
    assertThat(body.getPartialSuccess().getRejectedSpans()).isZero();
    assertThat(body.getPartialSuccess().getErrorMessage()).contains("1 spans exceeded the attribute limits");
    assertTruncatedSpanInKafka();
  }

  @Test
  void consumerLinksPastTheCapAndInvalidOnesAreCountedOnceAccepted() {
    Span.Builder consumer = span((byte) 4, 1).setName("orders process").setKind(Span.SpanKind.SPAN_KIND_CONSUMER);
    ByteString trace = consumer.getTraceId(); // links into the span's own trace: no link copies to wait for
    for (int i = 1; i <= 130; i++) {
      consumer.addLinks(Span.Link.newBuilder().setTraceId(trace)
          .setSpanId(ByteString.copyFrom(new byte[] {0, 0, 0, 0, 0, 0, (byte) (i >> 8), (byte) i})));
    }
    consumer.addLinks(Span.Link.newBuilder().setTraceId(trace).setSpanId(ByteString.copyFrom(new byte[8])));
    consumer.addLinks(Span.Link.newBuilder().setTraceId(ByteString.copyFrom(new byte[] {1, 2, 3}))
        .setSpanId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8})));
    ExportTraceServiceRequest request = ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans
        .newBuilder().addScopeSpans(ScopeSpans.newBuilder().addSpans(consumer))).build();

    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.otlpGrpcPort()).usePlaintext()
        .build();
    try {
      ExportTraceServiceResponse resp = TraceServiceGrpc.newBlockingStub(channel).export(request);
      // Not a partial success: the span is whole but for links the record does not keep, and counted apart.
      assertThat(resp.hasPartialSuccess()).isFalse();
    } finally {
      channel.shutdownNow();
    }
    // The answer waited for Kafka's acknowledgement, and the counts were taken before it.
    assertThat(server.metrics().value("spans", "accepted")).isEqualTo(1);
    assertThat(server.metrics().droppedSpanLinks("over_limit")).isEqualTo(2);
    assertThat(server.metrics().droppedSpanLinks("invalid")).isEqualTo(2);
    assertThat(server.metrics().value("spans", "truncated")).isZero();
  }

  @Test
  void requestsOverTheMessageSizeLimitAreRefusedOverGrpcAndHttp() throws Exception {
    Span.Builder big = span((byte) 3, 1).setName("big").addAttributes(kv("blob", "x".repeat(MAX_MESSAGE)));
    ExportTraceServiceRequest tooBig = ExportTraceServiceRequest.newBuilder().addResourceSpans(
        ResourceSpans.newBuilder().addScopeSpans(ScopeSpans.newBuilder().addSpans(big))).build();

    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.otlpGrpcPort()).usePlaintext()
        .build();
    try {
      assertThatThrownBy(() -> TraceServiceGrpc.newBlockingStub(channel).export(tooBig))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
    } finally {
      channel.shutdownNow();
    }

    HttpResponse<byte[]> resp = post(tooBig.toByteArray());
    assertThat(resp.statusCode()).isEqualTo(413);
    // OTLP/HTTP answers a protobuf request's errors as a google.rpc.Status.
    assertThat(com.google.rpc.Status.parseFrom(resp.body()).getMessage())
        .isEqualTo("request body exceeds " + MAX_MESSAGE + " bytes");
    assertThat(server.metrics().value("spans", "accepted")).isZero();
  }

  HttpResponse<byte[]> post(byte[] body) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.otlpHttpPort() + "/v1/traces"))
            .header("Content-Type", "application/x-protobuf").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }
}
