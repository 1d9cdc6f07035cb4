package io.switchyard.ingest.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
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
}
