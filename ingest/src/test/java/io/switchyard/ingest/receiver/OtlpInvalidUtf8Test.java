package io.switchyard.ingest.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpServer;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.switchyard.model.v1.AccessLogRecord;
import io.switchyard.model.v1.SpanRecord;
import io.switchyard.serverkit.grpc.WireBytes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A string that is not UTF-8 (Envoy logging a Latin-1 path, the C++ SDK, a Collector forwarding what it received)
 * costs neither the request nor the item: the Collector's OTLP receiver takes such bytes unchecked, and a refusal
 * (INVALID_ARGUMENT / 400) is one the client must not retry, so the whole batch was lost. Here the invalid sequence
 * becomes U+FFFD, over both transports and for both signals.
 */
class OtlpInvalidUtf8Test {
  /** "GET /caf\u00e9" with the second byte of the é broken: C3 28 is no UTF-8 sequence. */
  private static final String MARKED = "/caf\u00e9";
  private static final String REPLACED = "/caf\uFFFD(";

  @TempDir Path dir;
  MockKafkaPipeline kafka;
  ManagedChannel channel;
  HttpServer http;

  @BeforeEach
  void start() throws Exception {
    kafka = MockKafkaPipeline.acknowledging(dir);
    Admission admission = new Admission(8, 1 << 20);
    channel = kafka.grpc(OtlpGrpcServices.tracesDefinition(kafka.pipeline, admission, Runnable::run),
        OtlpGrpcServices.logsDefinition(kafka.pipeline, admission, Runnable::run));
    http = kafka.http(1 << 20);
  }

  @AfterEach
  void stop() throws Exception {
    kafka.close();
  }

  /** {@code message}'s bytes with the UTF-8 of {@link #MARKED}'s é (C3 A9) made invalid (C3 28) everywhere. */
  private static byte[] broken(com.google.protobuf.Message message) {
    byte[] b = message.toByteArray();
    int found = 0;
    for (int i = 0; i + 1 < b.length; i++) {
      if (b[i] == (byte) 0xc3 && b[i + 1] == (byte) 0xa9) {
        b[i + 1] = 0x28;
        found++;
      }
    }
    assertThat(found).isPositive();
    return b;
  }

  private static KeyValue kv(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }

  private static byte[] spans() {
    Span span = Span.newBuilder().setTraceId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
            13, 14, 15, 16})).setSpanId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}))
        .setKind(Span.SpanKind.SPAN_KIND_SERVER).setName("GET " + MARKED).setStartTimeUnixNano(1_000)
        .setEndTimeUnixNano(2_000).addAttributes(kv("http.route", MARKED)).addAttributes(kv("user_agent", MARKED))
        .addEvents(Span.Event.newBuilder().setName(MARKED).setTimeUnixNano(1_500))
        .build();
    return broken(ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
        .setResource(Resource.newBuilder().addAttributes(kv("service.name", "shop")))
        .addScopeSpans(ScopeSpans.newBuilder().addSpans(span))).build());
  }

  private static byte[] logs() {
    LogRecord log = LogRecord.newBuilder().setTimeUnixNano(1_000).setBody(AnyValue.newBuilder().setStringValue(MARKED))
        .addAttributes(kv("upstream_cluster", "outbound|80||shop.default.svc.cluster.local"))
        .addAttributes(kv("response_code", "200")).addAttributes(kv("method", "GET"))
        .addAttributes(kv("path", MARKED)).build();
    return broken(ExportLogsServiceRequest.newBuilder().addResourceLogs(ResourceLogs.newBuilder()
        .addScopeLogs(ScopeLogs.newBuilder().addLogRecords(log))).build());
  }

  private SpanRecord onlySpan() throws Exception {
    assertThat(kafka.producer.history()).hasSize(1);
    return SpanRecord.parseFrom(kafka.producer.history().get(0).value());
  }

  private AccessLogRecord onlyAccessLog() throws Exception {
    assertThat(kafka.producer.history()).hasSize(1);
    return AccessLogRecord.parseFrom(kafka.producer.history().get(0).value());
  }

  @Test
  void aSpanWithStringsThatAreNotUtf8IsAcceptedOverGrpcWithReplacementCharacters() throws Exception {
    MethodDescriptor<byte[], ExportTraceServiceResponse> export = TraceServiceGrpc.getExportMethod().toBuilder(
        WireBytes.MARSHALLER, ProtoUtils.marshaller(ExportTraceServiceResponse.getDefaultInstance())).build();
    ExportTraceServiceResponse response = ClientCalls.blockingUnaryCall(channel, export,
        io.grpc.CallOptions.DEFAULT, spans());

    assertThat(response.hasPartialSuccess()).isFalse();
    SpanRecord span = onlySpan();
    assertThat(span.getName()).isEqualTo("GET " + REPLACED);
    assertThat(span.getHttpRoute()).isEqualTo(REPLACED);
  }

  @Test
  void aLogRecordWithStringsThatAreNotUtf8IsAcceptedOverGrpcWithReplacementCharacters() throws Exception {
    MethodDescriptor<byte[], ExportLogsServiceResponse> export = LogsServiceGrpc.getExportMethod().toBuilder(
        WireBytes.MARSHALLER, ProtoUtils.marshaller(ExportLogsServiceResponse.getDefaultInstance())).build();
    ExportLogsServiceResponse response = ClientCalls.blockingUnaryCall(channel, export,
        io.grpc.CallOptions.DEFAULT, logs());

    assertThat(response.hasPartialSuccess()).isFalse();
    assertThat(onlyAccessLog().getPath()).isEqualTo(REPLACED);
  }

  private HttpResponse<byte[]> post(String path, byte[] body) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.getAddress().getPort() + path))
        .header("Content-Type", "application/x-protobuf").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void aSpanWithStringsThatAreNotUtf8IsAcceptedOverHttpWithReplacementCharacters() throws Exception {
    HttpResponse<byte[]> response = post("/v1/traces", spans());

    assertThat(response.statusCode()).as(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(200);
    assertThat(ExportTraceServiceResponse.parseFrom(response.body()).hasPartialSuccess()).isFalse();
    assertThat(onlySpan().getName()).isEqualTo("GET " + REPLACED);
  }

  @Test
  void aLogRecordWithStringsThatAreNotUtf8IsAcceptedOverHttpWithReplacementCharacters() throws Exception {
    HttpResponse<byte[]> response = post("/v1/logs", logs());

    assertThat(response.statusCode()).as(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(200);
    assertThat(onlyAccessLog().getPath()).isEqualTo(REPLACED);
  }

  @Test
  void aRequestThatIsCutOffIsStillRefusedWithTheParsersMessage() throws Exception {
    byte[] whole = spans();
    byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 3);
    HttpResponse<byte[]> response = post("/v1/traces", cut);

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(com.google.rpc.Status.parseFrom(response.body()).getMessage())
        .startsWith("body is not a valid ExportTraceServiceRequest: While parsing a protocol message, the input ended"
            + " unexpectedly");
    assertThat(kafka.producer.history()).isEmpty();
  }
}
