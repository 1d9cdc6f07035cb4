package io.switchyard.flinkjobs.graph;

import static io.switchyard.flinkjobs.graph.Spans.span;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchyard.model.v1.SpanRecord;
import io.switchyard.model.v1.SpanRecord.SpanKind;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TraceBatcherTest {
  private static final long T0 = 1_700_000_000_000L;
  private TraceBatcher batcher;
  private OneInputStreamOperatorTestHarness<TraceSpans, TraceSpans> harness;

  private void start(int maxTraces) throws Exception {
    batcher = new TraceBatcher(maxTraces, 200, false);
    harness = new OneInputStreamOperatorTestHarness<>(batcher);
    harness.setProcessingTime(0);
    harness.open();
  }

  @AfterEach
  void close() throws Exception {
    if (harness != null) {
      harness.close();
    }
  }

  private SpanRecord send(long trace, long spanId, long endMs) throws Exception {
    SpanRecord s = span(trace, spanId, 0, "svc", SpanKind.SPAN_KIND_CLIENT, endMs - 10, 10).build();
    harness.processElement(new StreamRecord<>(TraceSpans.of(s.getTraceId().toByteArray(), s.toByteArray(), endMs), endMs));
    return s;
  }

  private List<TraceSpans> out() {
    return harness.extractOutputValues();
  }

  @Test
  void spansOfOneTraceLeaveAsOneRecordInArrivalOrderBeforeTheWatermark() throws Exception {
    start(100);
    SpanRecord a = send(1, 10, T0 + 5);
    send(2, 20, T0 + 1);
    SpanRecord b = send(1, 11, T0 + 3);
    assertThat(out()).isEmpty();
    harness.processWatermark(new Watermark(T0));

    assertThat(harness.getOutput()).hasSize(3); // two batches, then the watermark after them
    assertThat(harness.getOutput().toArray()[2]).isEqualTo(new Watermark(T0));
    TraceSpans first = out().get(0);
    assertThat(first.key()).isEqualTo(Spans.traceHex(1));
    assertThat(first.spans()).containsExactly(a.toByteArray(), b.toByteArray());
    assertThat(first.timestamp()).isEqualTo(T0 + 5); // the latest span's event time
    assertThat(out().get(1).key()).isEqualTo(Spans.traceHex(2));
    assertThat(batcher.buffered()).isZero();
  }

  /**
   * The byte-keyed buffer against the String-keyed {@code LinkedHashMap} it replaced, on random
   * streams: trace ids random or sequential, repeated or not, flushes by watermark and by a full
   * buffer. Same batches, same spans in them, same order.
   */
  @Test
  void batchesEqualThoseOfAStringKeyedLinkedHashMapOnRandomStreams() throws Exception {
    Random r = new Random(5);
    for (int stream = 0; stream < 40; stream++) {
      int maxTraces = 1 + r.nextInt(r.nextBoolean() ? 5 : 300);
      if (stream > 0) {
        harness.close(); // the last one closes after the test
      }
      start(maxTraces);
      Map<String, List<byte[]>> reference = new LinkedHashMap<>();
      List<List<byte[]>> expected = new ArrayList<>();
      long base = r.nextBoolean() ? 1 : r.nextLong() >>> 1;
      int pool = 1 + r.nextInt(r.nextBoolean() ? 10 : 2_000);
      for (int i = r.nextInt(800); i >= 0; i--) {
        if (r.nextInt(200) == 0) {
          expected.addAll(reference.values());
          reference.clear();
          harness.processWatermark(new Watermark(T0));
          continue;
        }
        long trace = base + r.nextInt(pool);
        SpanRecord s = send(trace, i, T0 + r.nextInt(1000));
        String key = Spans.traceHex(trace);
        if (!reference.containsKey(key) && reference.size() >= maxTraces) {
          expected.addAll(reference.values());
          reference.clear();
        }
        reference.computeIfAbsent(key, k -> new ArrayList<>()).add(s.toByteArray());
      }
      expected.addAll(reference.values());
      harness.endInput();
      List<TraceSpans> actual = out();
      assertThat(actual).as("stream %d", stream).hasSize(expected.size());
      for (int b = 0; b < expected.size(); b++) {
        assertThat(actual.get(b).spans()).as("stream %d batch %d", stream, b).containsExactlyElementsOf(expected.get(b));
      }
    }
  }

  @Test
  void sequentialTraceIdsTakeTheirOwnSlots() {
    int mask = (1 << 15) - 1;
    boolean[] taken = new boolean[mask + 1];
    long probes = 0;
    for (long id = 1; id <= 10_000; id++) {
      byte[] trace = ByteBuffer.allocate(16).putLong(8, id).array();
      int slot = TraceBatcher.slot(trace, mask);
      while (taken[slot]) {
        slot = (slot + 1) & mask;
        probes++;
      }
      taken[slot] = true;
    }
    assertThat(probes / 10_000.0).isLessThan(1.0);
  }

  @Test
  void checkpointBarrierFindsTheBufferEmpty() throws Exception {
    start(100);
    send(1, 10, T0);
    harness.prepareSnapshotPreBarrier(1);
    assertThat(out()).hasSize(1);
    assertThat(batcher.buffered()).isZero();
  }

  @Test
  void fullBufferHandsItsBatchesOnBeforeTakingANewTrace() throws Exception {
    start(2);
    send(1, 10, T0);
    send(2, 20, T0);
    send(1, 11, T0); // same trace: joins its batch, no flush
    assertThat(out()).isEmpty();
    send(3, 30, T0);
    assertThat(out()).extracting(TraceSpans::size).containsExactly(2, 1);
    assertThat(batcher.buffered()).isEqualTo(1);
  }

  @Test
  void quietStreamIsFlushedByTheWallClockAndAtEndOfInput() throws Exception {
    start(100);
    send(1, 10, T0);
    harness.setProcessingTime(199);
    assertThat(out()).isEmpty();
    harness.setProcessingTime(200);
    assertThat(out()).hasSize(1);
    send(2, 20, T0);
    harness.endInput();
    assertThat(out()).hasSize(2);
  }

  @Test
  void aBatcherBuiltForAnUnshuffledSpanPathRefusesToRunInMoreThanOneSubtask() throws Exception {
    harness = new OneInputStreamOperatorTestHarness<>(new TraceBatcher(100, 200, true), 128, 2, 0);
    assertThatThrownBy(harness::open).isInstanceOf(IllegalStateException.class).hasMessageContaining("runs in 2");
    harness = new OneInputStreamOperatorTestHarness<>(new TraceBatcher(100, 200, true), 128, 1, 0);
    harness.open();
  }
}
