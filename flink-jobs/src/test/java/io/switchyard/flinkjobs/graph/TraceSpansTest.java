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
}
