package io.switchyard.ingest.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class InvalidUtf8Test {
  /** Ids whose bytes are no UTF-8 (C3 28): bytes fields, which must come through untouched. */
  private static final ByteString TRACE = ByteString.copyFrom(new byte[] {(byte) 0xc3, 0x28, 3, 4, 5, 6, 7, 8, 9, 10,
      11, 12, 13, 14, 15, (byte) 0xff});
  private static final ByteString SPAN = ByteString.copyFrom(new byte[] {(byte) 0xc3, 0x28, 3, 4, 5, 6, 7, 8});

  private static KeyValue kv(String key, AnyValue value) {
    return KeyValue.newBuilder().setKey(key).setValue(value).build();
  }

  private static AnyValue str(String s) {
    return AnyValue.newBuilder().setStringValue(s).build();
  }

  private static ExportTraceServiceRequest request(String text) {
    AnyValue nested = AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder().addValues(str(text))
        .addValues(AnyValue.newBuilder().setKvlistValue(KeyValueList.newBuilder().addValues(kv(text, str(text)))))
        .addValues(AnyValue.newBuilder().setIntValue(-7)).addValues(AnyValue.newBuilder().setDoubleValue(0.25))
        .addValues(AnyValue.newBuilder().setBytesValue(SPAN))).build();
    Span span = Span.newBuilder().setTraceId(TRACE).setSpanId(SPAN).setParentSpanId(SPAN).setName(text)
        .setKind(Span.SpanKind.SPAN_KIND_CONSUMER).setStartTimeUnixNano(1).setEndTimeUnixNano(2).setFlags(0x301)
        .addAttributes(kv("a", nested)).addAttributes(kv(text, str("\uD83D\uDE80 \u00fc")))
        .addEvents(Span.Event.newBuilder().setName(text).setTimeUnixNano(3).addAttributes(kv("e", str(text))))
        .addLinks(Span.Link.newBuilder().setTraceId(TRACE).setSpanId(SPAN).setTraceState(text))
        .setStatus(io.opentelemetry.proto.trace.v1.Status.newBuilder().setMessage(text).setCodeValue(2)).build();
    return ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
        .addScopeSpans(ScopeSpans.newBuilder().addSpans(span).addSpans(span))).build();
  }

  @Test
  void aValidMessageComesOutAsItWent() throws IOException {
    byte[] bytes = request("caf\u00e9 \uD83D\uDE80").toBuilder()
        .setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder().addField(99,
            com.google.protobuf.UnknownFieldSet.Field.newBuilder().addLengthDelimited(ByteString.copyFrom(
                new byte[] {(byte) 0xc3, 0x28})).addVarint(5).build()).build()).build().toByteArray();

    assertThat(InvalidUtf8.replace(ExportTraceServiceRequest.getDescriptor(), bytes)).isEqualTo(bytes);
  }

  @Test
  void everyInvalidSequenceInAStringBecomesAReplacementCharacterAndNothingElseChanges() throws IOException {
    // "caf\u00e9" is 63 61 66 C3 A9: its A9 becomes 28, leaving C3 as a sequence that is cut off.
    byte[] bytes = request("caf\u00e9").toByteArray();
    for (int i = 0; i + 1 < bytes.length; i++) {
      if (bytes[i] == (byte) 0xc3 && bytes[i + 1] == (byte) 0xa9) {
        bytes[i + 1] = 0x28;
      }
    }
    byte[] broken = bytes;
    assertThatThrownBy(() -> ExportTraceServiceRequest.parseFrom(broken)).isInstanceOf(InvalidProtocolBufferException.class);

    ExportTraceServiceRequest repaired = ExportTraceServiceRequest.parseFrom(
        InvalidUtf8.replace(ExportTraceServiceRequest.getDescriptor(), broken));
    assertThat(repaired).isEqualTo(request("caf\uFFFD("));
  }

  @Test
  void aMessageMalformedOtherwiseIsStillRefused() {
    byte[] bytes = request("x").toByteArray();
    byte[] cut = Arrays.copyOf(bytes, bytes.length - 2);
    assertThatThrownBy(() -> InvalidUtf8.replace(ExportTraceServiceRequest.getDescriptor(), cut))
        .isInstanceOf(InvalidProtocolBufferException.class);
    // A message nested past protobuf's limit of 100.
    byte[] deep = new byte[0];
    for (int i = 0; i < 120; i++) {
      byte[] value = AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder()).build().toByteArray();
      deep = i == 0 ? value : concat(new byte[] {0x2a, (byte) (deep.length + 2), 0x0a, (byte) deep.length}, deep);
    }
    byte[] tooDeep = deep;
    assertThatThrownBy(() -> InvalidUtf8.replace(AnyValue.getDescriptor(), tooDeep))
        .isInstanceOf(InvalidProtocolBufferException.class);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
