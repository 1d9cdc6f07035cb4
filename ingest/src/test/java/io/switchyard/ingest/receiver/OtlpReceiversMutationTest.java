package io.switchyard.ingest.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.HttpServer;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPRequestProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPResponseProperties;
import io.envoyproxy.envoy.config.core.v3.RequestMethod;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.switchyard.ingest.mapping.OtlpRequests;
import io.switchyard.model.v1.AccessLogRecord;
import io.switchyard.model.v1.SpanRecord;
import io.switchyard.serverkit.grpc.WireBytes;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import com.google.protobuf.UInt32Value;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutated OTLP and ALS requests, derived with a fixed seed from valid ones, through the real receivers: each is
 * answered 200 (perhaps with a partial success) or refused with a 4xx and a body naming the problem (gRPC:
 * INVALID_ARGUMENT), never a 5xx, an escaped exception or a hung call, and what a 200 published is well-formed and
 * accounts for every item of the request. A failure names the seed, the iteration and the mutant.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class OtlpReceiversMutationTest {
  private static final long SEED = 0x5eed34L;
  private static final int ITERATIONS = 300;
  /** Fewer over HTTP: a loopback exchange with the JDK server costs tens of milliseconds (Nagle, delayed ACKs). */
  private static final int HTTP_ITERATIONS = 120;
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String TRACE_WITH_LINKS = "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":"
      + "\"service.name\",\"value\":{\"stringValue\":\"orders\"}}]},\"scopeSpans\":[{\"spans\":[{\"traceId\":"
      + "\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"eee19b7ec3c1b174\",\"name\":\"orders process\",\"kind\":5,"
      + "\"startTimeUnixNano\":\"1000\",\"endTimeUnixNano\":\"2000\",\"links\":[{\"traceId\":"
      + "\"0AF7651916CD43DD8448EB211C80319C\",\"spanId\":\"B7AD6B7169203331\",\"traceState\":\"ot=th:8\",\"attributes\":"
      + "[{\"key\":\"k\",\"value\":{\"bytesValue\":\"QUJD\"}}],\"flags\":769},{\"trace_id\":"
      + "\"4bf92f3577b34da6a3ce929d0e0e4736\",\"span_id\":\"00f067aa0ba902b7\"}],\"status\":{\"code\":2}}]}]}]}";
  private static final String ACCESS_LOGS = "{\"resourceLogs\":[{\"resource\":{\"attributes\":[{\"key\":"
      + "\"service.name\",\"value\":{\"stringValue\":\"shop\"}}]},\"scopeLogs\":[{\"logRecords\":[{\"timeUnixNano\":"
      + "\"1000\",\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"body\":{\"stringValue\":\"GET /cart 200\"},"
      + "\"attributes\":[{\"key\":\"upstream_cluster\",\"value\":{\"stringValue\":"
      + "\"outbound|80||shop.default.svc.cluster.local\"}},{\"key\":\"response_code\",\"value\":{\"stringValue\":"
      + "\"200\"}},{\"key\":\"method\",\"value\":{\"stringValue\":\"GET\"}},{\"key\":\"path\",\"value\":{\"stringValue\":"
      + "\"/cart\"}},{\"key\":\"duration\",\"value\":{\"intValue\":\"12\"}}]}]}]}]}";

  @TempDir Path dir;
  MockKafkaPipeline kafka;
  HttpServer http;
  ManagedChannel channel;
  final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void start() throws Exception {
    kafka = MockKafkaPipeline.acknowledging(dir);
    Admission admission = new Admission(8, 8 << 20);
    channel = kafka.grpc(OtlpGrpcServices.tracesDefinition(kafka.pipeline, admission, Runnable::run),
        OtlpGrpcServices.logsDefinition(kafka.pipeline, admission, Runnable::run),
        new AlsGrpcService(kafka.pipeline).bindService());
    http = kafka.http(8 << 20);
  }

  @AfterEach
  void stop() throws Exception {
    kafka.close();
  }

  private static String resource(String name) throws Exception {
    try (InputStream in = OtlpReceiversMutationTest.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static List<String> traceSeeds() throws Exception {
    return List.of(resource("/otlp/trace.json"), TRACE_WITH_LINKS);
  }

  private static List<String> logSeeds() throws Exception {
    return List.of(resource("/otlp/logs.json"), ACCESS_LOGS);
  }

  private static byte[] tracesProtobuf(String json) throws Exception {
    ExportTraceServiceRequest.Builder b = ExportTraceServiceRequest.newBuilder();
    OtlpJson.parseTraces(json.getBytes(StandardCharsets.UTF_8), b);
    return b.build().toByteArray();
  }

  private static byte[] logsProtobuf(String json) throws Exception {
    ExportLogsServiceRequest.Builder b = ExportLogsServiceRequest.newBuilder();
    OtlpJson.parseLogs(json.getBytes(StandardCharsets.UTF_8), b);
    return b.build().toByteArray();
  }

  private static String where(int iteration, byte[] mutant, boolean text) {
    return "seed " + Long.toHexString(SEED) + " iteration " + iteration + ", mutant: " + Mutants.show(mutant, text);
  }

  @Test
  void mutatedJsonTracesAreAcceptedOrRefusedWithA4xxJsonBody() throws Exception {
    Random random = new Random(SEED);
    List<String> seeds = traceSeeds();
    for (int i = 0; i < HTTP_ITERATIONS; i++) {
      byte[] mutant = Mutants.json(seeds.get(i % seeds.size()), random);
      postAndCheck("/v1/traces", true, mutant, where(i, mutant, true));
    }
  }

  @Test
  void mutatedJsonLogsAreAcceptedOrRefusedWithA4xxJsonBody() throws Exception {
    Random random = new Random(SEED);
    List<String> seeds = logSeeds();
    for (int i = 0; i < HTTP_ITERATIONS; i++) {
      byte[] mutant = Mutants.json(seeds.get(i % seeds.size()), random);
      postAndCheck("/v1/logs", true, mutant, where(i, mutant, true));
    }
  }

  @Test
  void mutatedProtobufTracesAreAcceptedOrRefusedWithA4xxStatusBody() throws Exception {
    Random random = new Random(SEED);
    List<String> seeds = traceSeeds();
    for (int i = 0; i < HTTP_ITERATIONS; i++) {
      byte[] mutant = Mutants.protobuf(tracesProtobuf(seeds.get(i % seeds.size())), random);
      postAndCheck("/v1/traces", false, mutant, where(i, mutant, false));
    }
  }

  @Test
  void mutatedProtobufLogsAreAcceptedOrRefusedWithA4xxStatusBody() throws Exception {
    Random random = new Random(SEED);
    List<String> seeds = logSeeds();
    for (int i = 0; i < HTTP_ITERATIONS; i++) {
      byte[] mutant = Mutants.protobuf(logsProtobuf(seeds.get(i % seeds.size())), random);
      postAndCheck("/v1/logs", false, mutant, where(i, mutant, false));
    }
  }

  @Test
  void mutatedGrpcTraceExportsAreAnsweredOkOrInvalidArgument() throws Exception {
    MethodDescriptor<byte[], ExportTraceServiceResponse> export = TraceServiceGrpc.getExportMethod().toBuilder(
        WireBytes.MARSHALLER, ProtoUtils.marshaller(ExportTraceServiceResponse.getDefaultInstance())).build();
    Random random = new Random(SEED);
    List<String> seeds = traceSeeds();
    for (int i = 0; i < ITERATIONS; i++) {
      byte[] mutant = Mutants.protobuf(tracesProtobuf(seeds.get(i % seeds.size())), random);
      String where = where(i, mutant, false);
      try {
        ExportTraceServiceResponse r = ClientCalls.blockingUnaryCall(channel, export,
            CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), mutant);
        checkPublishedSpans(mutant, false, r.getPartialSuccess().getRejectedSpans(), where);
      } catch (StatusRuntimeException e) {
        checkRefused(e, where);
      }
      kafka.producer.clear();
    }
  }

  @Test
  void mutatedGrpcLogExportsAreAnsweredOkOrInvalidArgument() throws Exception {
    MethodDescriptor<byte[], ExportLogsServiceResponse> export = LogsServiceGrpc.getExportMethod().toBuilder(
        WireBytes.MARSHALLER, ProtoUtils.marshaller(ExportLogsServiceResponse.getDefaultInstance())).build();
    Random random = new Random(SEED);
    List<String> seeds = logSeeds();
    for (int i = 0; i < ITERATIONS; i++) {
      byte[] mutant = Mutants.protobuf(logsProtobuf(seeds.get(i % seeds.size())), random);
      String where = where(i, mutant, false);
      try {
        ExportLogsServiceResponse r = ClientCalls.blockingUnaryCall(channel, export,
            CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), mutant);
        checkPublishedLogs(mutant, false, r.getPartialSuccess().getRejectedLogRecords(), where);
      } catch (StatusRuntimeException e) {
        checkRefused(e, where);
      }
      kafka.producer.clear();
    }
  }

  private static byte[] alsMessage(boolean identifier, String path) {
    HTTPAccessLogEntry entry = HTTPAccessLogEntry.newBuilder()
        .setCommonProperties(AccessLogCommon.newBuilder().setUpstreamCluster("outbound|80||shop.default.svc.cluster.local"))
        .setRequest(HTTPRequestProperties.newBuilder().setRequestMethod(RequestMethod.GET).setPath(path)
            .setUserAgent("curl/8.5.0").setRequestId("r-1").setAuthority("shop"))
        .setResponse(HTTPResponseProperties.newBuilder().setResponseCode(UInt32Value.of(200)))
        .build();
    StreamAccessLogsMessage.Builder b = StreamAccessLogsMessage.newBuilder()
        .setHttpLogs(StreamAccessLogsMessage.HTTPAccessLogEntries.newBuilder().addLogEntry(entry).addLogEntry(entry));
    if (identifier) {
      b.setIdentifier(StreamAccessLogsMessage.Identifier.newBuilder().setLogName("als").setNode(Node.newBuilder()
          .setId("sidecar~10.0.0.7~shop-5d9c7-x2v.default~default.svc.cluster.local").setCluster("shop.default")));
    }
    return b.build().toByteArray();
  }

  @Test
  void mutatedAccessLogStreamsAreAnsweredOkOrInvalidArgument() throws Exception {
    Random random = new Random(SEED);
    for (int i = 0; i < ITERATIONS; i++) {
      byte[] first = Mutants.protobuf(alsMessage(true, "/cart"), random);
      byte[] second = random.nextBoolean() ? alsMessage(false, "/next") : Mutants.protobuf(alsMessage(false, "/x"), random);
      String where = where(i, first, false) + " then " + Mutants.show(second, false);
      MockKafkaPipeline.RawAlsCall call = MockKafkaPipeline.rawAlsCall(channel, 
          CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS));
      StreamObserver<byte[]> stream = call.messages();
      CompletableFuture<Void> answered = call.answered();
      stream.onNext(first);
      stream.onNext(second);
      stream.onCompleted();
      try {
        answered.get(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        Status s = Status.fromThrowable(e.getCause());
        assertThat(s.getCode()).as(where + "; " + s).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(s.getDescription()).as(where).startsWith("message is not a valid StreamAccessLogsMessage: ");
      }
      for (ProducerRecord<byte[], byte[]> r : kafka.producer.history()) {
        assertThat(r.topic()).as(where).isEqualTo("access-logs");
        assertThat(r.key()).as(where).isNotEmpty();
        AccessLogRecord.parseFrom(r.value());
      }
      kafka.producer.clear();
    }
  }

  private void postAndCheck(String path, boolean json, byte[] mutant, String where) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.getAddress().getPort() + path))
        .timeout(Duration.ofSeconds(5)).header("Content-Type", json ? "application/json" : "application/x-protobuf")
        .POST(HttpRequest.BodyPublishers.ofByteArray(mutant)).build();
    HttpResponse<byte[]> response;
    try {
      response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (java.io.IOException e) {
      throw new AssertionError("no answer (" + e + ") to " + where, e);
    }
    int status = response.statusCode();
    String body = new String(response.body(), StandardCharsets.UTF_8);
    if (status == 200) {
      long rejected;
      if (path.equals("/v1/traces")) {
        ExportTraceServiceResponse.Builder r = ExportTraceServiceResponse.newBuilder();
        if (json) {
          JsonFormat.parser().merge(body, r);
        } else {
          r.mergeFrom(response.body());
        }
        rejected = r.getPartialSuccess().getRejectedSpans();
        checkPublishedSpans(mutant, json, rejected, where);
      } else {
        ExportLogsServiceResponse.Builder r = ExportLogsServiceResponse.newBuilder();
        if (json) {
          JsonFormat.parser().merge(body, r);
        } else {
          r.mergeFrom(response.body());
        }
        rejected = r.getPartialSuccess().getRejectedLogRecords();
        checkPublishedLogs(mutant, json, rejected, where);
      }
    } else if (status >= 400 && status < 500) {
      String message;
      if (json) {
        assertThat(response.headers().firstValue("Content-Type")).as(where).hasValue("application/json");
        JsonNode node = MAPPER.readTree(response.body());
        message = node.path("message").asText();
      } else {
        message = com.google.rpc.Status.parseFrom(response.body()).getMessage();
      }
      assertThat(message).as(status + " without a message for " + where).isNotBlank();
    } else {
      fail("answered " + status + " " + body + " to " + where);
    }
    kafka.producer.clear();
  }

  private void checkPublishedSpans(byte[] mutant, boolean json, long rejected, String where) throws Exception {
    ExportTraceServiceRequest request;
    if (json) {
      ExportTraceServiceRequest.Builder b = ExportTraceServiceRequest.newBuilder();
      OtlpJson.parseTraces(mutant, b);
      request = b.build();
    } else {
      request = OtlpRequests.traces(mutant);
    }
    long spans = request.getResourceSpansList().stream().flatMap(r -> r.getScopeSpansList().stream())
        .mapToLong(s -> s.getSpansCount()).sum();
    long published = 0;
    for (ProducerRecord<byte[], byte[]> r : kafka.producer.history()) {
      assertThat(r.topic()).as(where).isEqualTo("spans");
      SpanRecord span = SpanRecord.parseFrom(r.value());
      assertThat(span.getTraceId().size()).as(where).isEqualTo(16);
      assertThat(span.getSpanId().size()).as(where).isEqualTo(8);
      published += span.getLinkedTraceId().isEmpty() ? 1 : 0;
    }
    assertThat(published + rejected).as("spans published + rejected for " + where).isEqualTo(spans);
  }

  private void checkPublishedLogs(byte[] mutant, boolean json, long rejected, String where) throws Exception {
    ExportLogsServiceRequest request;
    if (json) {
      ExportLogsServiceRequest.Builder b = ExportLogsServiceRequest.newBuilder();
      OtlpJson.parseLogs(mutant, b);
      request = b.build();
    } else {
      request = OtlpRequests.logs(mutant);
    }
    long logs = request.getResourceLogsList().stream().flatMap(r -> r.getScopeLogsList().stream())
        .mapToLong(s -> s.getLogRecordsCount()).sum();
    for (ProducerRecord<byte[], byte[]> r : kafka.producer.history()) {
      assertThat(r.topic()).as(where).isEqualTo("access-logs");
      assertThat(r.key()).as(where).isNotEmpty();
      AccessLogRecord.parseFrom(r.value());
    }
    // Log records that are no access log are ignored, neither published nor rejected.
    assertThat(kafka.producer.history().size() + rejected).as(where).isLessThanOrEqualTo(logs);
  }

  private static void checkRefused(StatusRuntimeException e, String where) {
    assertThat(e.getStatus().getCode()).as(where + "; " + e.getStatus()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).as(where).isNotBlank();
  }
}
