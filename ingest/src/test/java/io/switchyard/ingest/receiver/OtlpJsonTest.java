package io.switchyard.ingest.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.switchyard.ingest.mapping.Hex;
import io.switchyard.ingest.mapping.MappingOptions;
import io.switchyard.ingest.mapping.SpanMapper;
import io.switchyard.model.v1.SpanRecord;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** OTLP/JSON bodies reach {@link SpanMapper} as the protobuf ones do: hex ids, those of links included. */
class OtlpJsonTest {
  private static final String TRACE = "5b8efff798038103d269b633813fc60c";
  private static final String SPAN = "eee19b7ec3c1b174";

  private static List<SpanRecord> map(String spans) throws OtlpJson.BadJson {
    String body = "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\","
        + "\"value\":{\"stringValue\":\"orders\"}}]},\"scopeSpans\":[{\"spans\":[" + spans + "]}]}]}";
    ExportTraceServiceRequest.Builder b = ExportTraceServiceRequest.newBuilder();
    OtlpJson.parseTraces(body.getBytes(StandardCharsets.UTF_8), b);
    return new SpanMapper(MappingOptions.DEFAULTS).map(b.build(), 1).records();
  }

  private static String span(String kind, String links) {
    return "{\"traceId\":\"" + TRACE + "\",\"spanId\":\"" + SPAN + "\",\"name\":\"orders process\",\"kind\":" + kind
        + ",\"startTimeUnixNano\":\"1000\",\"endTimeUnixNano\":\"2000\",\"links\":[" + links + "]}";
  }

  private static SpanRecord.Link link(String trace, String span) {
    return SpanRecord.Link.newBuilder().setTraceId(ByteString.copyFrom(Hex.decode(trace)))
        .setSpanId(ByteString.copyFrom(Hex.decode(span))).build();
  }

  @Test
  void aConsumerSpansHexLinksBecomeTheRecordsLinks() throws Exception {
    String links = "{\"traceId\":\"0AF7651916CD43DD8448EB211C80319C\",\"spanId\":\"B7AD6B7169203331\","
        + "\"traceState\":\"ot=th:8\",\"attributes\":[{\"key\":\"k\",\"value\":{\"stringValue\":\"v\"}}],\"flags\":769},"
        + "{\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"span_id\":\"00f067aa0ba902b7\"},"
        + "{\"traceId\":\"00000000000000000000000000000000\",\"spanId\":\"00f067aa0ba902b7\"},"
        + "{\"traceId\":\"4bf92f3577b34da6a3ce929d0e0e4736\"}";
    List<SpanRecord> numeric = map(span("5", links));
    List<SpanRecord> named = map(span("\"SPAN_KIND_CONSUMER\"", links));

    assertThat(numeric.get(0).getLinksList()).containsExactly(
        link("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"),
        link("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"));
    assertThat(named).isEqualTo(numeric);
  }

  @Test
  void linksOfOtherKindsAreDropped() throws Exception {
    String links = "{\"traceId\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"spanId\":\"00f067aa0ba902b7\"}";
    for (String kind : new String[] {"2", "3", "4", "\"SPAN_KIND_PRODUCER\""}) {
      assertThat(map(span(kind, links)).get(0).getLinksList()).as(kind).isEmpty();
    }
  }

  @Test
  void anIdThatIsJsonNullCountsAsAbsentAsInProtobufsJsonMapping() throws Exception {
    // proto3 JSON: null is accepted for every field and means its default value; OTLP/JSON is that mapping.
    String body = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"" + TRACE + "\",\"spanId\":\""
        + SPAN + "\",\"parentSpanId\":null,\"name\":\"GET\",\"kind\":2,\"startTimeUnixNano\":\"1000\","
        + "\"endTimeUnixNano\":\"2000\",\"links\":[{\"traceId\":null,\"spanId\":null}]}]}]}]}";
    ExportTraceServiceRequest.Builder b = ExportTraceServiceRequest.newBuilder();
    OtlpJson.parseTraces(body.getBytes(StandardCharsets.UTF_8), b);

    List<SpanRecord> records = new SpanMapper(MappingOptions.DEFAULTS).map(b.build(), 1).records();
    assertThat(records).hasSize(1);
    assertThat(records.get(0).getParentSpanId()).isEmpty();
  }

  @Test
  void aLinkIdThatIsNotHexIsABadBodyNamingIt() {
    String links = "{\"traceId\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"spanId\":\"not-hex!\"}";
    assertThatThrownBy(() -> map(span("5", links))).isInstanceOf(OtlpJson.BadJson.class)
        .hasMessage("resourceSpans[0].scopeSpans[0].spans[0].links[0].spanId must be a hex string, got 'not-hex!'");
  }

  @Test
  void anIdWithDigitsOutsideAsciiIsABadBodyAsHexIsAsciiOnly() {
    // RFC 4648's base16 alphabet is ASCII; Character.digit also takes e.g. fullwidth and Arabic-Indic digits, which
    // the Collector's hex decoder refuses (400), and which no SDK writes.
    String fullwidth = "\uff15b8efff798038103d269b633813fc60c";
    String arabicIndic = TRACE.substring(0, 30) + "\u0661\u0662";
    for (String id : new String[] {fullwidth, arabicIndic}) {
      String spans = "{\"traceId\":\"" + id + "\",\"spanId\":\"" + SPAN + "\",\"name\":\"GET\",\"kind\":2}";
      assertThatThrownBy(() -> map(spans)).as(id).isInstanceOf(OtlpJson.BadJson.class)
          .hasMessage("resourceSpans[0].scopeSpans[0].spans[0].traceId must be a hex string, got '" + id + "'");
    }
  }

  @Test
  void anEnumNameThatIsNoValueOfItsEnumIsABadBodyNamingItAsTheCollectorAnswersIt() {
    // The Collector's OTLP/JSON reader (pdata's ReadEnumValue) takes an enum's names and numbers and refuses any
    // other string; protobuf's parser, told to ignore unknown fields, would read it as the enum's 0 (a span of
    // unspecified kind) and answer 200.
    assertThatThrownBy(() -> map(span("\"SPAN_KIND_BOGUS\"", ""))).isInstanceOf(OtlpJson.BadJson.class)
        .hasMessageStartingWith("resourceSpans[0].scopeSpans[0].spans[0].kind: 'SPAN_KIND_BOGUS' is not a SpanKind");
    String status = "{\"traceId\":\"" + TRACE + "\",\"spanId\":\"" + SPAN + "\",\"kind\":2,"
        + "\"status\":{\"code\":\"ERROR\"}}";
    assertThatThrownBy(() -> map(status)).isInstanceOf(OtlpJson.BadJson.class)
        .hasMessageStartingWith("resourceSpans[0].scopeSpans[0].spans[0].status.code: 'ERROR' is not a StatusCode");
    String log = "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"severityNumber\":\"WARN\","
        + "\"body\":{\"stringValue\":\"x\"}}]}]}]}";
    assertThatThrownBy(() -> OtlpJson.parseLogs(log.getBytes(StandardCharsets.UTF_8),
        ExportLogsServiceRequest.newBuilder())).isInstanceOf(OtlpJson.BadJson.class)
        .hasMessageStartingWith("resourceLogs[0].scopeLogs[0].logRecords[0].severityNumber: 'WARN' is not a SeverityNumber");
  }

  @Test
  void enumNamesAndNumbersAreReadAsProtobufsJsonMappingReadsThem() throws Exception {
    String body = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":["
        + "{\"traceId\":\"" + TRACE + "\",\"spanId\":\"" + SPAN + "\",\"kind\":\"SPAN_KIND_SERVER\","
        + "\"status\":{\"code\":\"STATUS_CODE_ERROR\"}},"
        + "{\"traceId\":\"" + TRACE + "\",\"spanId\":\"" + SPAN + "\",\"kind\":9,\"status\":{\"code\":2}},"
        + "{\"traceId\":\"" + TRACE + "\",\"spanId\":\"" + SPAN + "\",\"kind\":null,\"severityNumber\":\"x\"}]}]}]}";
    ExportTraceServiceRequest.Builder b = ExportTraceServiceRequest.newBuilder();
    OtlpJson.parseTraces(body.getBytes(StandardCharsets.UTF_8), b);
    List<Span> spans = b.getResourceSpans(0).getScopeSpans(0).getSpansList();
    assertThat(spans.get(0).getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
    assertThat(spans.get(0).getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
    assertThat(spans.get(1).getKindValue()).isEqualTo(9);
    assertThat(spans.get(1).getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
    assertThat(spans.get(2).getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_UNSPECIFIED);

    // "kind" is no field of a log record, nor "severityNumber" of a span: unknown fields, ignored whatever they hold.
    String log = "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"severityNumber\":\"SEVERITY_NUMBER_WARN\","
        + "\"kind\":\"x\"},{\"severity_number\":13}]}]}]}";
    ExportLogsServiceRequest.Builder l = ExportLogsServiceRequest.newBuilder();
    OtlpJson.parseLogs(log.getBytes(StandardCharsets.UTF_8), l);
    assertThat(l.getResourceLogs(0).getScopeLogs(0).getLogRecordsList()).extracting(r -> r.getSeverityNumber())
        .containsExactly(SeverityNumber.SEVERITY_NUMBER_WARN, SeverityNumber.SEVERITY_NUMBER_WARN);
  }
}
