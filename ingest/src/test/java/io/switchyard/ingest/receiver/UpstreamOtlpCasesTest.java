package io.switchyard.ingest.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.rpc.RetryInfo;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.switchyard.ingest.mapping.MappingOptions;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The OpenTelemetry Collector's OTLP receiver tests, the pdata JSON reader and the OTLP specification as a
 * conformance corpus for ingest's real receivers (OTLP/HTTP on loopback, OTLP/gRPC in process, Kafka mocked). Each
 * case names where upstream says it; paths are of open-telemetry/opentelemetry-collector at 934999fb
 * ("collector:") and of open-telemetry/opentelemetry-proto's docs/specification.md at ac2c4b5d ("spec:"). Where
 * ingest answers differently on purpose (docs/ingest.md), the case asserts ingest's documented answer and says so.
 */
class UpstreamOtlpCasesTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String JSON = "application/json";
  private static final String PROTOBUF = "application/x-protobuf";

  @TempDir Path dir;
  MockKafkaPipeline kafka;
  int port;
  final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void start() throws Exception {
    kafka = MockKafkaPipeline.acknowledging(dir);
    port = kafka.http(1 << 20).getAddress().getPort();
  }

  @AfterEach
  void stop() throws Exception {
    kafka.close();
  }

  // A server span of "orders" in "shop" with an HTTP status, in OTLP/JSON as the specification writes it.
  private static final String TRACE = "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
      + "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"orders\"}},"
      + "{\"key\":\"service.namespace\",\"value\":{\"stringValue\":\"shop\"}}]},"
      + "\"scopeSpans\":[{\"scope\":{\"name\":\"lib\"},\"spans\":[{\"traceId\":\"5b8efff798038103d269b633813fc60c\","
      + "\"spanId\":\"eee19b7ec3c1b174\",\"parentSpanId\":\"eee19b7ec3c1b173\",\"name\":\"GET /orders\",\"kind\":2,"
      + "\"startTimeUnixNano\":\"1544712660000000000\",\"endTimeUnixNano\":\"1544712661000000000\","
      + "\"attributes\":[{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"503\"}}],"
      + "\"status\":{\"code\":2}}]}]}]}";

  private static final String ACCESS_LOG = "{\"resourceLogs\":[{\"resource\":{\"attributes\":[{\"key\":"
      + "\"service.name\",\"value\":{\"stringValue\":\"shop\"}}]},\"scopeLogs\":[{\"logRecords\":[{\"timeUnixNano\":"
      + "\"1544712660000000000\",\"severityNumber\":9,\"traceId\":\"5b8efff798038103d269b633813fc60c\","
      + "\"body\":{\"stringValue\":\"GET /cart 200\"},\"attributes\":["
      + "{\"key\":\"upstream_cluster\",\"value\":{\"stringValue\":\"outbound|80||shop.default.svc.cluster.local\"}},"
      + "{\"key\":\"response_code\",\"value\":{\"stringValue\":\"200\"}},"
      + "{\"key\":\"method\",\"value\":{\"stringValue\":\"GET\"}},"
      + "{\"key\":\"path\",\"value\":{\"stringValue\":\"/cart\"}},"
      + "{\"key\":\"duration\",\"value\":{\"intValue\":\"12\"}}]}]}]}]}";

  // ---- JSON encodings the Collector reads as the same request -------------------------------------------------

  static Stream<Arguments> sameRequestInOtherJson() {
    return Stream.of(
        Arguments.of("pdata generated_proto_*.go UnmarshalJSON: snake_case keys (case \"traceId\", \"trace_id\")",
            "/v1/traces", TRACE,
            TRACE.replace("resourceSpans", "resource_spans").replace("scopeSpans", "scope_spans")
                .replace("traceId", "trace_id").replace("parentSpanId", "parent_span_id").replace("spanId", "span_id")
                .replace("startTimeUnixNano", "start_time_unix_nano").replace("endTimeUnixNano", "end_time_unix_nano")
                .replace("stringValue", "string_value").replace("intValue", "int_value")),
        Arguments.of("pdata internal/json/iterator.go ReadEnumValue: enum names as well as numbers", "/v1/traces",
            TRACE, TRACE.replace("\"kind\":2", "\"kind\":\"SPAN_KIND_SERVER\"")
                .replace("\"code\":2", "\"code\":\"STATUS_CODE_ERROR\"")),
        Arguments.of("spec JSON Protobuf Encoding + pdata ReadUint64/ReadInt64: 64-bit ints as numbers", "/v1/traces",
            TRACE, TRACE.replace("\"1544712660000000000\"", "1544712660000000000")
                .replace("\"1544712661000000000\"", "1544712661000000000").replace("\"503\"", "503")),
        Arguments.of("spec JSON Protobuf Encoding: ids are case-insensitive hex", "/v1/traces", TRACE,
            TRACE.replace("5b8efff798038103d269b633813fc60c", "5B8EFFF798038103D269B633813FC60C")
                .replace("eee19b7ec3c1b17", "EEE19B7EC3C1B17")),
        Arguments.of("spec JSON Protobuf Encoding: unknown fields are ignored, at every level", "/v1/traces", TRACE,
            TRACE.replace("{\"resourceSpans\":", "{\"newTopLevel\":{\"a\":[1,{\"b\":null}]},\"resourceSpans\":")
                .replace("\"scopeSpans\":", "\"newInResource\":true,\"scopeSpans\":")
                .replace("\"name\":\"GET /orders\"", "\"name\":\"GET /orders\",\"newInSpan\":\"x\"")
                .replace("{\"intValue\":\"503\"}", "{\"intValue\":\"503\",\"newInValue\":1.5}")),
        Arguments.of("pdata internal/json/iterator.go ReadUint32: 32-bit ints as strings", "/v1/traces",
            TRACE.replace("\"kind\":2", "\"kind\":2,\"flags\":257,\"droppedAttributesCount\":3"),
            TRACE.replace("\"kind\":2", "\"kind\":2,\"flags\":\"257\",\"droppedAttributesCount\":\"3\"")),
        Arguments.of("pdata bytesid.go unmarshalJSON: an empty id string is no id (a root span)", "/v1/traces",
            TRACE.replace("\"parentSpanId\":\"eee19b7ec3c1b173\",", ""),
            TRACE.replace("\"parentSpanId\":\"eee19b7ec3c1b173\"", "\"parentSpanId\":\"\"")),
        Arguments.of("pdata generated_proto_logrecord.go UnmarshalJSON: snake_case keys and enum names of logs",
            "/v1/logs", ACCESS_LOG,
            ACCESS_LOG.replace("resourceLogs", "resource_logs").replace("scopeLogs", "scope_logs")
                .replace("logRecords", "log_records").replace("timeUnixNano", "time_unix_nano")
                .replace("traceId", "trace_id").replace("stringValue", "string_value").replace("intValue", "int_value")
                .replace("\"severityNumber\":9", "\"severity_number\":\"SEVERITY_NUMBER_INFO\"")
                .replace("\"12\"", "12")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sameRequestInOtherJson")
  void aJsonSpellingTheCollectorReadsAsTheSameRequestPublishesTheSameRecords(String source, String path,
      String canonical, String variant) throws Exception {
    HttpResponse<byte[]> first = post(path, JSON, null, canonical.getBytes(StandardCharsets.UTF_8));
    HttpResponse<byte[]> second = post(path, JSON, null, variant.getBytes(StandardCharsets.UTF_8));

    assertThat(first.statusCode()).as(new String(first.body(), StandardCharsets.UTF_8)).isEqualTo(200);
    assertThat(second.statusCode()).as(new String(second.body(), StandardCharsets.UTF_8)).isEqualTo(200);
    assertThat(new String(second.body(), StandardCharsets.UTF_8)).isEqualTo("{}");
    List<ProducerRecord<byte[], byte[]>> sent = kafka.producer.history();
    assertThat(sent).hasSize(2);
    assertThat(sent.get(1).topic()).isEqualTo(sent.get(0).topic());
    assertThat(sent.get(1).key()).isEqualTo(sent.get(0).key());
    assertThat(sent.get(1).value()).isEqualTo(sent.get(0).value());
  }

  // ---- HTTP answers ------------------------------------------------------------------------------------------

  /** An expected answer: status, response Content-Type, google.rpc.Status code in the body (null: a 200). */
  record Answer(int status, String contentType, Integer code) {}

  static Stream<Arguments> httpCases() throws Exception {
    byte[] json = TRACE.getBytes(StandardCharsets.UTF_8);
    byte[] proto = protobuf(TRACE);
    byte[] notCompressed = "{\"key\": \"value\"}".getBytes(StandardCharsets.UTF_8);
    List<Arguments> cases = new ArrayList<>(List.of(
        Arguments.of("collector otlp_test.go TestJSONHTTP JSONUncompressed", "POST", JSON, null, json,
            new Answer(200, JSON, null)),
        Arguments.of("collector otlp_test.go TestJSONHTTP JSONUncompressedUTF8", "POST",
            "application/json; charset=utf-8", null, json, new Answer(200, JSON, null)),
        Arguments.of("collector otlp_test.go TestJSONHTTP JSONUncompressedUppercase", "POST", "APPLICATION/JSON", null,
            json, new Answer(200, JSON, null)),
        Arguments.of("collector otlp_test.go TestJSONHTTP JSONGzipCompressed", "POST", JSON, "gzip", gzip(json),
            new Answer(200, JSON, null)),
        Arguments.of("collector otlp_test.go TestProtoHTTP ProtoUncompressed", "POST", PROTOBUF, null, proto,
            new Answer(200, PROTOBUF, null)),
        Arguments.of("collector otlp_test.go TestProtoHTTP ProtoGzipCompressed", "POST", PROTOBUF, "gzip",
            gzip(proto), new Answer(200, PROTOBUF, null)),
        // The Collector answers 415 and 405 in text/plain; OTLP wants a Status for every 4xx, which ingest
        // documents (docs/ingest.md, "each with such a body"): the status codes are upstream's.
        Arguments.of("collector otlp_test.go TestHandleInvalidRequests no content type (415)", "POST", null, null,
            "1234".getBytes(StandardCharsets.UTF_8), new Answer(415, PROTOBUF, 3)),
        Arguments.of("collector otlp_test.go TestHandleInvalidRequests invalid content type (415)", "POST", "invalid",
            null, "1234".getBytes(StandardCharsets.UTF_8), new Answer(415, PROTOBUF, 3)),
        Arguments.of("collector otlp_test.go TestHandleInvalidRequests invalid request (400, JSON body)", "POST", JSON,
            null, "1234".getBytes(StandardCharsets.UTF_8), new Answer(400, JSON, 3)),
        Arguments.of("collector otlp_test.go TestHandleInvalidRequests PATCH (405)", "PATCH", JSON, null, json,
            new Answer(405, JSON, 12)),
        Arguments.of("collector otlp_test.go TestHandleInvalidRequests GET (405)", "GET", JSON, null, null,
            new Answer(405, JSON, 12)),
        Arguments.of("collector otlp_test.go TestOTLPReceiverInvalidContentEncoding JsonGzipUncompressed", "POST",
            JSON, "gzip", notCompressed, new Answer(400, JSON, 3)),
        Arguments.of("collector otlp_test.go TestOTLPReceiverInvalidContentEncoding ProtoGzipUncompressed", "POST",
            PROTOBUF, "gzip", notCompressed, new Answer(400, PROTOBUF, 3)),
        Arguments.of("collector otlp_test.go TestOTLPReceiverInvalidContentEncoding ProtoZstdUncompressed", "POST",
            PROTOBUF, "zstd", notCompressed, new Answer(400, PROTOBUF, 3)),
        Arguments.of("collector confighttp/compression.go newBodyReader: unsupported Content-Encoding (400)", "POST",
            PROTOBUF, "br", proto, new Answer(400, PROTOBUF, 3)),
        Arguments.of("collector confighttp/compression.go newBodyReader: unsupported Content-Encoding, JSON", "POST",
            JSON, "br", json, new Answer(400, JSON, 3)),
        Arguments.of("spec Full Success: an empty protobuf request is a success", "POST", PROTOBUF, null, new byte[0],
            new Answer(200, PROTOBUF, null)),
        Arguments.of("spec Full Success: an empty JSON request is a success", "POST", JSON, null,
            "{}".getBytes(StandardCharsets.UTF_8), new Answer(200, JSON, null)),
        Arguments.of("spec Full Success: a JSON request with empty lists is a success", "POST", JSON, null,
            "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[]}]}]}".getBytes(StandardCharsets.UTF_8),
            new Answer(200, JSON, null)),
        Arguments.of("collector ptraceotlp/request.go UnmarshalJSON: an empty JSON body is EOF (400)", "POST", JSON,
            null, new byte[0], new Answer(400, JSON, 3)),
        Arguments.of("spec Bad Data: JSON an id of which is not hex (400)", "POST", JSON, null,
            TRACE.replace("eee19b7ec3c1b174", "eee19b7ec3c1b17z").getBytes(StandardCharsets.UTF_8),
            new Answer(400, JSON, 3)),
        Arguments.of("spec Bad Data: protobuf that does not parse (400)", "POST", PROTOBUF, null,
            Arrays.copyOf(proto, proto.length - 3), new Answer(400, PROTOBUF, 3)),
        Arguments.of("collector otlp_test.go TestHTTPMaxRequestBodySize: a protobuf body of exactly the limit", "POST",
            PROTOBUF, null, paddedTo(proto, 1 << 20), new Answer(200, PROTOBUF, null)),
        Arguments.of("collector otlp_test.go TestHTTPMaxRequestBodySize: a JSON body of exactly the limit", "POST",
            JSON, null, spacedTo(json, 1 << 20), new Answer(200, JSON, null)),
        // spec "OTLP/HTTP Request": the size is limited, also after decompression; the Collector's confighttp
        // answers its MaxBytesReader error 400, ingest 413 as the specification's HTTP semantics have it
        // (docs/ingest.md, "Limits"): neither is retried.
        Arguments.of("spec OTLP/HTTP Request: a body over the limit (ingest: 413, as documented)", "POST", PROTOBUF,
            null, new byte[(1 << 20) + 1], new Answer(413, PROTOBUF, 3)),
        Arguments.of("spec OTLP/HTTP Request: a gzip body over the limit once decompressed (ingest: 413)", "POST",
            JSON, "gzip", gzip(new byte[(1 << 20) + 1]), new Answer(413, JSON, 3)),
        // The Collector's decompressing middleware runs before its receiver looks at the type and answers 400 with
        // a JSON Status (its fallback); ingest checks the type first: 415 (docs/ingest.md), not retried either.
        Arguments.of("collector otlp_test.go TestOTLPReceiverNoContentType (ingest: 415, as documented)", "POST", null,
            "invalid", json, new Answer(415, PROTOBUF, 3))));
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("httpCases")
  void anHttpRequestGetsTheAnswerUpstreamGives(String source, String method, String contentType, String encoding,
      byte[] body, Answer expected) throws Exception {
    HttpResponse<byte[]> r = send(method, "/v1/traces", contentType, encoding, body);

    String text = new String(r.body(), StandardCharsets.UTF_8);
    assertThat(r.statusCode()).as(text).isEqualTo(expected.status());
    assertThat(r.headers().firstValue("Content-Type")).hasValue(expected.contentType());
    if (expected.code() != null) {
      assertThat(statusCode(r)).as(text).isEqualTo(expected.code());
    }
  }

  @Test
  void aPartlyRejectedJsonRequestIs200WithTheRejectedCountInPartialSuccess() throws Exception {
    // spec "Partial Success": 200, partial_success with rejected_spans; an int64 is a JSON string in proto3 JSON.
    String zeroTrace = TRACE.replace("{\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"eee19b7ec3c1b174\"",
        "{\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"eee19b7ec3c1b174\"},"
            + "{\"traceId\":\"00000000000000000000000000000000\",\"spanId\":\"eee19b7ec3c1b175\"");
    HttpResponse<byte[]> r = post("/v1/traces", JSON, null, zeroTrace.getBytes(StandardCharsets.UTF_8));

    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode partial = MAPPER.readTree(r.body()).get("partialSuccess");
    assertThat(partial.get("rejectedSpans").asText()).isEqualTo("1");
    assertThat(partial.get("errorMessage").asText()).contains("trace_id");
    assertThat(kafka.producer.history()).hasSize(1);
  }

  @Test
  void aJsonIdOfTheWrongLengthRejectsItsSpanAsIngestDocuments() throws Exception {
    // collector pdata/internal/bytesid.go answers "length mismatch" for the whole request (400); docs/ingest.md
    // ("Validation") rejects the span in the partial success instead, as for a protobuf id of the wrong length.
    String shortTrace = TRACE.replace("5b8efff798038103d269b633813fc60c", "5b8efff798038103");
    HttpResponse<byte[]> r = post("/v1/traces", JSON, null, shortTrace.getBytes(StandardCharsets.UTF_8));

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(MAPPER.readTree(r.body()).get("partialSuccess").get("rejectedSpans").asText()).isEqualTo("1");
  }

  // ---- The deprecated instrumentation_library_spans / _logs (field 1000) -----------------------------------------

  /** The request with its scope spans (or logs) moved to field 1000 of their resource, after {@code keep} of field 2. */
  private static byte[] deprecatedScopes(com.google.protobuf.Message request, com.google.protobuf.Message keep) {
    com.google.protobuf.Message.Builder b = request.toBuilder();
    com.google.protobuf.Descriptors.FieldDescriptor resources = b.getDescriptorForType().getFields().get(0);
    com.google.protobuf.Message resource = (com.google.protobuf.Message) b.getRepeatedField(resources, 0);
    com.google.protobuf.Message.Builder r = resource.toBuilder();
    com.google.protobuf.Descriptors.FieldDescriptor scopes = r.getDescriptorForType().findFieldByNumber(2);
    com.google.protobuf.UnknownFieldSet.Field.Builder deprecated = com.google.protobuf.UnknownFieldSet.Field.newBuilder();
    for (int i = 0; i < r.getRepeatedFieldCount(scopes); i++) {
      deprecated.addLengthDelimited(((com.google.protobuf.Message) r.getRepeatedField(scopes, i)).toByteString());
    }
    r.clearField(scopes);
    if (keep != null) {
      r.addRepeatedField(scopes, keep);
    }
    r.setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder().addField(1000, deprecated.build()).build());
    b.setRepeatedField(resources, 0, r.build());
    return b.build().toByteArray();
  }

  private static byte[] logsProtobuf(String json) throws Exception {
    ExportLogsServiceRequest.Builder b = ExportLogsServiceRequest.newBuilder();
    OtlpJson.parseLogs(json.getBytes(StandardCharsets.UTF_8), b);
    return b.build().toByteArray();
  }

  private ManagedChannel otlpGrpc() throws Exception {
    Admission admission = new Admission(8, 8 << 20);
    return kafka.grpc(OtlpGrpcServices.tracesDefinition(kafka.pipeline, admission, Runnable::run),
        OtlpGrpcServices.logsDefinition(kafka.pipeline, admission, Runnable::run));
  }

  private void assertPublishedAlike(int count) {
    List<ProducerRecord<byte[], byte[]>> sent = kafka.producer.history();
    assertThat(sent).hasSize(count);
    for (ProducerRecord<byte[], byte[]> r : sent) {
      assertThat(r.topic()).isEqualTo(sent.get(0).topic());
      assertThat(r.key()).isEqualTo(sent.get(0).key());
      assertThat(r.value()).isEqualTo(sent.get(0).value());
    }
  }

  @Test
  void spansOnlyInTheDeprecatedInstrumentationLibrarySpansArePublishedAsTheCollectorMigratesThem() throws Exception {
    // collector pdata/internal/otlp/traces.go MigrateTraces, called by ptraceotlp/request.go UnmarshalProto (HTTP)
    // and ptraceotlp/grpc.go Export (gRPC): a ResourceSpans without scope_spans takes its field 1000
    // (instrumentation_library_spans of OTLP 0.15-0.18, the same message) as its scope spans.
    ManagedChannel channel = otlpGrpc();
    byte[] current = protobuf(TRACE);
    byte[] deprecated = deprecatedScopes(ExportTraceServiceRequest.parseFrom(current), null);

    assertThat(post("/v1/traces", PROTOBUF, null, current).statusCode()).isEqualTo(200);
    assertThat(post("/v1/traces", PROTOBUF, null, deprecated).statusCode()).isEqualTo(200);
    TraceServiceGrpc.newBlockingStub(channel).export(ExportTraceServiceRequest.parseFrom(deprecated));

    assertPublishedAlike(3);
  }

  @Test
  void theDeprecatedInstrumentationLibrarySpansAreIgnoredBesideScopeSpansAsTheCollectorDropsThem() throws Exception {
    // collector pdata/internal/otlp/traces.go MigrateTraces: "if len(rs.ScopeSpans) == 0", else field 1000 is dropped.
    byte[] current = protobuf(TRACE);
    ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(current);
    byte[] both = deprecatedScopes(request, request.getResourceSpans(0).getScopeSpans(0));

    assertThat(post("/v1/traces", PROTOBUF, null, current).statusCode()).isEqualTo(200);
    assertThat(post("/v1/traces", PROTOBUF, null, both).statusCode()).isEqualTo(200);

    assertPublishedAlike(2);
  }

  @Test
  void aDeprecatedInstrumentationLibrarySpansThatIsNoScopeSpansIsABadRequestAsTheCollectorRefusesIt() throws Exception {
    // collector pdata/internal/generated_proto_resourcespans.go UnmarshalProto "case 1000": parsed as ScopeSpans,
    // an error fails the request (otlphttp.go: 400).
    ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(protobuf(TRACE));
    byte[] broken = request.toBuilder().setResourceSpans(0, request.getResourceSpans(0).toBuilder()
        .setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder().addField(1000,
            com.google.protobuf.UnknownFieldSet.Field.newBuilder()
                .addLengthDelimited(com.google.protobuf.ByteString.copyFrom(new byte[] {0x12, 0x7f})).build())
            .build())).build().toByteArray();

    HttpResponse<byte[]> r = post("/v1/traces", PROTOBUF, null, broken);

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(com.google.rpc.Status.parseFrom(r.body()).getMessage()).startsWith("body is not a valid "
        + "ExportTraceServiceRequest: While parsing a protocol message, the input ended unexpectedly");
    assertThat(kafka.producer.history()).isEmpty();
  }

  @Test
  void logsOnlyInTheDeprecatedInstrumentationLibraryLogsArePublishedAsTheCollectorMigratesThem() throws Exception {
    // collector pdata/internal/otlp/logs.go MigrateLogs, called by plogotlp/request.go UnmarshalProto and
    // plogotlp/grpc.go Export.
    ManagedChannel channel = otlpGrpc();
    byte[] current = logsProtobuf(ACCESS_LOG);
    byte[] deprecated = deprecatedScopes(ExportLogsServiceRequest.parseFrom(current), null);

    assertThat(post("/v1/logs", PROTOBUF, null, current).statusCode()).isEqualTo(200);
    assertThat(post("/v1/logs", PROTOBUF, null, deprecated).statusCode()).isEqualTo(200);
    LogsServiceGrpc.newBlockingStub(channel).export(ExportLogsServiceRequest.parseFrom(deprecated));

    assertPublishedAlike(3);
  }

  // ---- gRPC answers ------------------------------------------------------------------------------------------

  @Test
  void aGrpcExportThatDoesNotParseIsInvalidArgumentAndAnEmptyOneOkWithoutPartialSuccess() throws Exception {
    ManagedChannel channel = otlpGrpc();
    io.grpc.MethodDescriptor<byte[], ExportTraceServiceResponse> raw = TraceServiceGrpc.getExportMethod().toBuilder(
        io.switchyard.serverkit.grpc.WireBytes.MARSHALLER,
        io.grpc.protobuf.ProtoUtils.marshaller(ExportTraceServiceResponse.getDefaultInstance())).build();
    byte[] proto = protobuf(TRACE);

    // spec "Failures" (gRPC): non-retryable errors are recommended to be INVALID_ARGUMENT, as docs/ingest.md has
    // it; the Collector's grpc-go server answers a message it cannot unmarshal INTERNAL, also not retried.
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> io.grpc.stub.ClientCalls
        .blockingUnaryCall(channel, raw, io.grpc.CallOptions.DEFAULT, Arrays.copyOf(proto, proto.length - 3)));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    // spec "Full Success": an empty request is a success, and partial_success is left unset.
    ExportTraceServiceResponse empty = io.grpc.stub.ClientCalls.blockingUnaryCall(channel, raw,
        io.grpc.CallOptions.DEFAULT, new byte[0]);
    assertThat(empty.hasPartialSuccess()).isFalse();
    assertThat(kafka.producer.history()).isEmpty();
  }

  // ---- Kafka away or slow: retryable answers with a back-off -----------------------------------------------------

  @Test
  void whileKafkaIsAwayHttpIs503WithRetryAfterAndGrpcUnavailableWithRetryInfo() throws Exception {
    kafka.close();
    kafka = MockKafkaPipeline.acknowledgedByTest(dir.resolve("away"));
    port = kafka.http(1 << 20).getAddress().getPort();
    ManagedChannel channel = kafka.grpc(OtlpGrpcServices.tracesDefinition(kafka.pipeline, new Admission(8, 8 << 20),
        Runnable::run));
    // A failed batch makes Kafka away; a second one still pending keeps it so without waiting for the probe slot.
    var failed = kafka.publisher.publish(List.of(new ProducerRecord<>("spans", new byte[1], new byte[1])));
    kafka.publisher.publish(List.of(new ProducerRecord<>("spans", new byte[1], new byte[1])));
    kafka.producer.errorNext(new TimeoutException("expired"));
    assertThat(failed.acked()).isCompletedExceptionally();

    // collector otlphttp.go writeStatusResponse + internal/errors GetHTTPStatusCodeFromStatus: UNAVAILABLE is 503
    // with Retry-After from the RetryInfo, the Status in the request's encoding; spec "OTLP/HTTP Throttling".
    HttpResponse<byte[]> proto = post("/v1/traces", PROTOBUF, null, protobuf(TRACE));
    HttpResponse<byte[]> json = post("/v1/traces", JSON, null, TRACE.getBytes(StandardCharsets.UTF_8));
    assertThat(proto.statusCode()).isEqualTo(503);
    assertThat(proto.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(statusCode(proto)).isEqualTo(14);
    assertThat(json.statusCode()).isEqualTo(503);
    assertThat(json.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(json.headers().firstValue("Content-Type")).hasValue(JSON);
    assertThat(statusCode(json)).isEqualTo(14);

    // spec "OTLP/gRPC Throttling": UNAVAILABLE with a RetryInfo the client waits for.
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
        () -> TraceServiceGrpc.newBlockingStub(channel).export(ExportTraceServiceRequest.parseFrom(protobuf(TRACE))));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(retryDelaySeconds(e)).isEqualTo(1);
  }

  @Test
  void overTheInflightBudgetHttpIs429WithRetryAfterAndGrpcResourceExhaustedWithRetryInfo() throws Exception {
    kafka.close();
    kafka = new MockKafkaPipeline(dir.resolve("slow"), false, 1 << 16, MappingOptions.DEFAULTS);
    port = kafka.http(1 << 20).getAddress().getPort();
    ManagedChannel channel = kafka.grpc(OtlpGrpcServices.tracesDefinition(kafka.pipeline, new Admission(8, 8 << 20),
        Runnable::run));
    kafka.publisher.publish(List.of(new ProducerRecord<>("spans", new byte[1], new byte[70_000])));

    // collector internal/errors GetHTTPStatusCodeFromStatus: RESOURCE_EXHAUSTED is 429 (retryable).
    HttpResponse<byte[]> r = post("/v1/traces", PROTOBUF, null, protobuf(TRACE));
    assertThat(r.statusCode()).isEqualTo(429);
    assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(statusCode(r)).isEqualTo(8);

    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
        () -> TraceServiceGrpc.newBlockingStub(channel).export(ExportTraceServiceRequest.parseFrom(protobuf(TRACE))));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(retryDelaySeconds(e)).isEqualTo(1);
  }

  // ---- helpers ---------------------------------------------------------------------------------------------------

  private static long retryDelaySeconds(StatusRuntimeException e) throws Exception {
    com.google.rpc.Status s = StatusProto.fromThrowable(e);
    assertThat(s).isNotNull();
    return s.getDetailsList().stream().filter(d -> d.is(RetryInfo.class)).findFirst().orElseThrow()
        .unpack(RetryInfo.class).getRetryDelay().getSeconds();
  }

  private static byte[] protobuf(String json) throws Exception {
    ExportTraceServiceRequest.Builder b = ExportTraceServiceRequest.newBuilder();
    OtlpJson.parseTraces(json.getBytes(StandardCharsets.UTF_8), b);
    return b.build().toByteArray();
  }

  /** The JSON with spaces after it up to {@code size} bytes. */
  private static byte[] spacedTo(byte[] json, int size) {
    byte[] out = Arrays.copyOf(json, size);
    Arrays.fill(out, json.length, size, (byte) ' ');
    return out;
  }

  /** The request with an unknown field (99) that makes it exactly {@code size} bytes long. */
  private static byte[] paddedTo(byte[] request, int size) {
    int padding = size - request.length - 2 - 3; // tag 99/LEN is 2 bytes, a length under 2^21 is 3
    byte[] out = Arrays.copyOf(request, size);
    int i = request.length;
    out[i++] = (byte) (99 << 3 | 2 | 0x80);
    out[i++] = (byte) ((99 << 3) >>> 7);
    out[i++] = (byte) (padding & 0x7f | 0x80);
    out[i++] = (byte) ((padding >>> 7) & 0x7f | 0x80);
    out[i] = (byte) (padding >>> 14);
    return out;
  }

  private static byte[] gzip(byte[] body) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(body);
    }
    return out.toByteArray();
  }

  private static int statusCode(HttpResponse<byte[]> r) throws Exception {
    String type = r.headers().firstValue("Content-Type").orElse("");
    if (type.equals(JSON)) {
      return MAPPER.readTree(r.body()).get("code").asInt();
    }
    return com.google.rpc.Status.parseFrom(r.body()).getCode();
  }

  private HttpResponse<byte[]> post(String path, String contentType, String encoding, byte[] body) throws Exception {
    return send("POST", path, contentType, encoding, body);
  }

  private HttpResponse<byte[]> send(String method, String path, String contentType, String encoding, byte[] body)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    if (encoding != null) {
      b.header("Content-Encoding", encoding);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }
}
