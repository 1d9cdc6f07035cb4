package io.switchyard.flinkjobs.serde;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.switchyard.flinkjobs.graph.Spans;
import io.switchyard.flinkjobs.graph.TraceSpans;
import io.switchyard.model.v1.SpanRecord;
import io.switchyard.model.v1.SpanRecord.SpanKind;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
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
  void ingestsCopyOfALinkingConsumerIsBatchedUnderTheTraceItLinksTo() {
    byte[] linked = HexFormat.of().parseHex("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
    byte[] bytes = span(SpanKind.SPAN_KIND_CONSUMER)
        .addLinks(SpanRecord.Link.newBuilder().setTraceId(ByteString.copyFrom(linked)).setSpanId(ByteString.copyFrom(new byte[8])))
        .setLinkedTraceId(ByteString.copyFrom(linked)).build().toByteArray();
    assertThat(RawSpanDeserializer.read(bytes).key()).isEqualTo("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
    assertThat(RawSpanDeserializer.readWithProtobuf(bytes).key()).isEqualTo("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
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
  void theOnePassHeadReadEqualsProtobufsReaderOnRandomAndDamagedRecords() throws Exception {
    Random r = new Random(11);
    int malformed = 0;
    for (int i = 0; i < 20_000; i++) {
      SpanRecord.Builder b = span(SpanKind.forNumber(r.nextInt(6))).setTraceId(ByteString.copyFrom(random(r, r.nextInt(18))))
          .setEndTimeUnixNano(r.nextLong());
      if (r.nextInt(8) == 0) {
        b.setKindValue(r.nextInt(40) - 10);
      }
      if (r.nextInt(4) == 0) {
        b.setLinkedTraceId(ByteString.copyFrom(random(r, r.nextInt(18))));
      }
      byte[] bytes = b.build().toByteArray();
      switch (r.nextInt(8)) {
        case 0 -> bytes = concat(bytes, span(SpanKind.forNumber(r.nextInt(6))).setTraceId(ByteString.copyFrom(random(r, 16)))
            .build().toByteArray());
        case 1 -> bytes = concat(Spans.unknownFields(r, 12), concat(bytes, Spans.unknownFields(r, 12)));
        case 2 -> bytes = Arrays.copyOf(bytes, r.nextInt(bytes.length + 1));
        case 3 -> bytes[r.nextInt(bytes.length)] = (byte) r.nextInt(256);
        case 4 -> bytes = random(r, r.nextInt(30));
        default -> { }
      }
      TraceSpans expected = RawSpanDeserializer.readWithProtobuf(bytes);
      TraceSpans actual = RawSpanDeserializer.read(bytes);
      String as = "record " + i + ": " + HexFormat.of().formatHex(bytes);
      if (expected == null) {
        malformed++;
        assertThat(actual).as(as).isNull();
        continue;
      }
      assertThat(actual).as(as).isNotNull();
      assertThat(actual.size()).as(as).isEqualTo(expected.size());
      if (expected.size() > 0) {
        assertThat(actual.key()).as(as).isEqualTo(expected.key());
        assertThat(actual.timestamp()).as(as).isEqualTo(expected.timestamp());
        // The one pass points into the record for the trace id, protobuf's reader copies it out: the
        // batcher and the network format must not tell them apart.
        assertThat(Spans.sameTrace(actual, expected)).as(as).isTrue();
        assertThat(Spans.slot(actual, 1023)).as(as).isEqualTo(Spans.slot(expected, 1023));
        assertThat(Spans.wire(actual)).as(as).isEqualTo(Spans.wire(expected));
      }
    }
    assertThat(malformed).isGreaterThan(500);
  }

  private static byte[] random(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void truncatedRecordIsMalformed() {
    byte[] bytes = span(SpanKind.SPAN_KIND_CLIENT).build().toByteArray();
    assertThat(RawSpanDeserializer.read(java.util.Arrays.copyOf(bytes, 10))).isNull();
  }
}
