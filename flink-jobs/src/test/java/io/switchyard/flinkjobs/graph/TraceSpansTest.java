package io.switchyard.flinkjobs.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/**
 * A batch keeps its first span in a field and the later ones in a list made on the first append: it
 * must still hold every span in arrival order through appends, copies and the network serializer.
 */
class TraceSpansTest {
  private static final byte[] TRACE = {1, 2, 3, 4};

  private static byte[] span(int i) {
    return new byte[] {(byte) i, (byte) (i >> 8), 7};
  }

  @Test
  void spansKeepTheirArrivalOrderThroughAppendsCopiesAndTheSerializer() throws Exception {
    for (int n = 0; n <= 5; n++) {
      TraceSpans batch = n == 0 ? TraceSpans.empty() : TraceSpans.of(TRACE, span(0), 100);
      List<byte[]> expected = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        expected.add(span(i));
        if (i > 0) {
          batch.append(TraceSpans.of(TRACE, span(i), 100 + i));
        }
      }
      assertThat(batch.size()).isEqualTo(n);
      assertThat(batch.spans()).containsExactlyElementsOf(expected);
      for (int i = 0; i < n; i++) {
        assertThat(batch.span(i)).isEqualTo(expected.get(i));
      }
      final TraceSpans b = batch;
      assertThatThrownBy(() -> b.span(b.size())).isInstanceOf(IndexOutOfBoundsException.class);

      DataOutputSerializer out = new DataOutputSerializer(64);
      TraceSpansSerializer.INSTANCE.serialize(batch, out);
      TraceSpans back = TraceSpansSerializer.INSTANCE.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
      assertThat(back.spans()).containsExactlyElementsOf(expected);
      assertThat(back.timestamp()).isEqualTo(batch.timestamp());

      TraceSpans copy = TraceSpansSerializer.INSTANCE.copy(batch);
      copy.append(TraceSpans.of(TRACE, span(99), 0)); // a copy's spans are its own
      assertThat(batch.size()).isEqualTo(n);
      assertThat(copy.size()).isEqualTo(n + 1);
      assertThat(copy.span(n)).isEqualTo(span(99));
    }
  }

  @Test
  void aTraceIdReadInPlaceActsAsItsCopy() throws Exception {
    java.util.Random r = new java.util.Random(5);
    for (int i = 0; i < 2_000; i++) {
      byte[] record = new byte[r.nextInt(40)];
      r.nextBytes(record);
      int from = r.nextInt(record.length + 1);
      int length = r.nextInt(record.length - from + 1);
      byte[] id = java.util.Arrays.copyOfRange(record, from, from + length);
      TraceSpans inPlace = TraceSpans.ofRecord(record, from, length, i);
      TraceSpans copied = TraceSpans.of(id, record, i);
      assertThat(inPlace.key()).isEqualTo(copied.key());
      assertThat(inPlace.traceId()).isEqualTo(id);
      assertThat(inPlace.sameTrace(copied)).isTrue();
      assertThat(copied.sameTrace(inPlace)).isTrue();
      assertThat(inPlace.traceSlot(4095)).isEqualTo(copied.traceSlot(4095)).isEqualTo(TraceBatcher.slot(id, 4095));
      assertThat(Spans.wire(inPlace)).isEqualTo(Spans.wire(copied));
      TraceSpans back = TraceSpansSerializer.INSTANCE.deserialize(new DataInputDeserializer(Spans.wire(inPlace)));
      assertThat(back.key()).isEqualTo(copied.key());
      assertThat(TraceSpansSerializer.INSTANCE.copy(inPlace).key()).isEqualTo(copied.key());
      if (length > 0) {
        byte[] other = id.clone();
        other[r.nextInt(length)] ^= (byte) (1 + r.nextInt(255));
        assertThat(inPlace.sameTrace(TraceSpans.of(other, record, i))).isFalse();
      }
      assertThat(inPlace.sameTrace(TraceSpans.of(java.util.Arrays.copyOf(id, length + 1), record, i))).isFalse();
    }
    assertThatThrownBy(() -> TraceSpans.ofRecord(new byte[4], 3, 2, 0)).isInstanceOf(IndexOutOfBoundsException.class);
  }
}
