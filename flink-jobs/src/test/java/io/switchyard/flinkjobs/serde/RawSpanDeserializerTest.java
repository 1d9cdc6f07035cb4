package io.switchyard.flinkjobs.serde;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.switchyard.flinkjobs.graph.TraceSpans;
import io.switchyard.model.v1.SpanRecord;
import io.switchyard.model.v1.SpanRecord.SpanKind;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class RawSpanDeserializerTest {
  private static final byte[] TRACE = HexFormat.of().parseHex("0102030405060708090a0b0c0d0e0f10");

  private static SpanRecord.Builder span(SpanKind kind) {
    return SpanRecord.newBuilder().setSchemaVersion(1).setTraceId(ByteString.copyFrom(TRACE))
        .setSpanId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8})).setServiceName("checkout").setKind(kind)
        .setStartTimeUnixNano(1_700_000_000_000_000_000L).setEndTimeUnixNano(1_700_000_000_250_000_000L)
        .putAttributes("http.route", "/cart");
  }

  @Test
  void readsTraceIdAndEventTimeFromTheWireAndKeepsTheBytes() {
    byte[] bytes = span(SpanKind.SPAN_KIND_SERVER).build().toByteArray();
    TraceSpans t = RawSpanDeserializer.read(bytes);
    assertThat(t.key()).isEqualTo("0102030405060708090a0b0c0d0e0f10");
    assertThat(t.timestamp()).isEqualTo(1_700_000_000_250L);
    assertThat(t.size()).isEqualTo(1);
  }

  @Test
  void internalAndUnspecifiedSpansStopAtTheSource() {
    assertThat(RawSpanDeserializer.read(span(SpanKind.SPAN_KIND_INTERNAL).build().toByteArray()).size()).isZero();
    assertThat(RawSpanDeserializer.read(span(SpanKind.SPAN_KIND_UNSPECIFIED).build().toByteArray()).size()).isZero();
    for (SpanKind k : new SpanKind[] {SpanKind.SPAN_KIND_CLIENT, SpanKind.SPAN_KIND_PRODUCER, SpanKind.SPAN_KIND_CONSUMER}) {
      assertThat(RawSpanDeserializer.read(span(k).build().toByteArray()).size()).isEqualTo(1);
    }
  }

  @Test
  void truncatedRecordIsMalformed() {
    byte[] bytes = span(SpanKind.SPAN_KIND_CLIENT).build().toByteArray();
    assertThat(RawSpanDeserializer.read(java.util.Arrays.copyOf(bytes, 10))).isNull();
  }
}
