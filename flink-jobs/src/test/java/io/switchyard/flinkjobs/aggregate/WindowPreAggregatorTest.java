package io.switchyard.flinkjobs.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.flinkjobs.serde.ProtoTypeInfo;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.TelemetrySource;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WindowPreAggregatorTest {
  private static final long MINUTE = 60_000;
  private static final long T0 = 1_700_000_040_000L - 1_700_000_040_000L % MINUTE;
  private WindowPreAggregator<Partials.Edge, EdgeAggregate> operator;
  private OneInputStreamOperatorTestHarness<EdgeEvent, Tuple2<String, EdgeAggregate>> harness;

  private void start(int maxKeys) throws Exception {
    start(maxKeys, null);
  }

  /** A fresh operator, restored from {@code snapshot} unless it is null. */
  private void start(int maxKeys, OperatorSubtaskState snapshot) throws Exception {
    if (harness != null) {
      harness.close();
    }
    operator = new WindowPreAggregator<>(new EdgeWindowing.EdgePartials(), MINUTE, maxKeys);
    harness = newHarness(operator);
    if (snapshot != null) {
      harness.initializeState(snapshot);
    }
    harness.open();
  }

  private static OneInputStreamOperatorTestHarness<EdgeEvent, Tuple2<String, EdgeAggregate>> newHarness(
      WindowPreAggregator<Partials.Edge, EdgeAggregate> operator) throws Exception {
    OneInputStreamOperatorTestHarness<EdgeEvent, Tuple2<String, EdgeAggregate>> h = new OneInputStreamOperatorTestHarness<>(operator);
    // The job's explicit output serializer: the harness would otherwise copy outputs with Kryo.
    h.setup(Types.<Tuple2<String, EdgeAggregate>>TUPLE(Types.STRING, ProtoTypeInfo.forMessage(EdgeAggregate.class)).createSerializer(new SerializerConfigImpl()));
    return h;
  }

  @AfterEach
  void close() throws Exception {
    harness.close();
  }

  private static EdgeEvent edge(String client, String server, long t, double latency) {
    EdgeEvent e = new EdgeEvent();
    e.clientName = client;
    e.serverName = server;
    e.source = TelemetrySource.TELEMETRY_SOURCE_TRACE_VALUE;
    e.timestampMs = t;
    e.clientLatencySeconds = latency;
    e.serverLatencySeconds = latency;
    e.responseClass = "2xx";
    return e;
  }

  private void send(EdgeEvent e) throws Exception {
    harness.processElement(new StreamRecord<>(e, e.timestampMs));
  }

  private List<StreamRecord<? extends Tuple2<String, EdgeAggregate>>> partials() {
    return harness.extractOutputStreamRecords();
  }

  @Test
  void sumsPerEdgeAndWindowAndFlushesBeforeForwardingAWatermarkThatClosesABufferedWindow() throws Exception {
    start(1000);
    send(edge("a", "b", T0 + 1_000, 0.01));
    send(edge("a", "b", T0 + 2_000, 0.02));
    send(edge("a", "c", T0 + 3_000, 0.03));
    send(edge("a", "b", T0 + MINUTE + 5, 0.04)); // next window
    assertThat(harness.getOutput()).isEmpty();

    harness.processWatermark(new Watermark(T0 + MINUTE - 1)); // the first window's last millisecond: it fires

    assertThat(partials()).hasSize(3).allSatisfy(r -> assertThat(r.getTimestamp() % MINUTE).isZero());
    assertThat(partials()).filteredOn(r -> r.getValue().f1.getServer().getName().equals("b") && r.getTimestamp() == T0)
        .singleElement().satisfies(r -> {
          assertThat(r.getValue().f0).isEqualTo(edge("a", "b", 0, 0).edgeKey());
          assertThat(r.getValue().f1.getRequestCount()).isEqualTo(2);
          assertThat(r.getValue().f1.getServerLatency().getCount()).isEqualTo(2);
        });
    // every partial precedes the watermark, so a window fires with all of them
    Object[] output = harness.getOutput().toArray();
    assertThat(output[output.length - 1]).isInstanceOf(Watermark.class);
    assertThat(operator.buffered()).isZero();
  }

  @Test
  void holdsPartialsAcrossWatermarksThatStayInsideEveryBufferedWindow() throws Exception {
    start(1000);
    send(edge("a", "b", T0 + 1_000, 0.01));
    harness.processWatermark(new Watermark(T0 + 10_000));
    send(edge("a", "b", T0 + 20_000, 0.02));
    harness.processWatermark(new Watermark(T0 + MINUTE - 2));

    // Both watermarks went on; the partial waits, as no window operator acts on its window before its end.
    assertThat(harness.getOutput()).hasSize(2).allSatisfy(o -> assertThat(o).isInstanceOf(Watermark.class));
    assertThat(operator.buffered()).isEqualTo(1);

    harness.processWatermark(new Watermark(T0 + MINUTE - 1));
    assertThat(partials()).singleElement().satisfies(r -> assertThat(r.getValue().f1.getRequestCount()).isEqualTo(2));
  }

  @Test
  void aLatePartialGoesOutBeforeTheNextWatermark() throws Exception {
    start(1000);
    harness.processWatermark(new Watermark(T0 + 2 * MINUTE));
    send(edge("a", "b", T0 + 5, 0.01)); // its window already fired: a late update
    send(edge("a", "b", T0 + 2 * MINUTE + 5, 0.01));
    harness.processWatermark(new Watermark(T0 + 2 * MINUTE + 10));

    assertThat(partials()).hasSize(2);
    Object[] output = harness.getOutput().toArray();
    assertThat(output[output.length - 1]).isInstanceOf(Watermark.class);
  }

  @Test
  void partialsOfOneWindowAddUpToTheSingleEventAggregate() throws Exception {
    start(1000);
    EdgeAggregate single = EdgeAggregate.getDefaultInstance();
    for (int i = 0; i < 5; i++) {
      EdgeEvent e = edge("a", "b", T0 + i, 0.001 * (i + 1));
      single = BuilderFold.add(single, e);
      send(e);
      if (i == 2) {
        harness.prepareSnapshotPreBarrier(1); // flush mid-window: two partials
      }
    }
    harness.processWatermark(new Watermark(T0 + MINUTE));
    EdgeWindowing.MergeEdgePartials merge = new EdgeWindowing.MergeEdgePartials();
    EdgeAggregate merged = merge.createAccumulator();
    for (StreamRecord<? extends Tuple2<String, EdgeAggregate>> r : partials()) {
      merged = merge.add(r.getValue(), merged);
    }
    assertThat(partials()).hasSize(2);
    assertThat(merged.getRequestCount()).isEqualTo(5);
    assertThat(merged.getServerLatency().getBucketCountsList()).isEqualTo(single.getServerLatency().getBucketCountsList());
    assertThat(merged.getServerLatency().getCount()).isEqualTo(single.getServerLatency().getCount());
    // sums differ only by the order of floating-point additions
    assertThat(merged.getServerLatency().getSumSeconds()).isCloseTo(single.getServerLatency().getSumSeconds(), within(1e-12));
    assertThat(merged.getResponsesList()).isEqualTo(single.getResponsesList());
  }

  @Test
  void flushesBeforeACheckpointBarrierSoNothingIsHeldOutsideState() throws Exception {
    start(1000);
    send(edge("a", "b", T0, 0.01));
    harness.prepareSnapshotPreBarrier(1);
    assertThat(partials()).singleElement().satisfies(r -> assertThat(r.getValue().f1.getRequestCount()).isEqualTo(1));
  }

  @Test
  void flushesEarlyWhenTheBufferIsFull() throws Exception {
    start(2);
    send(edge("a", "b", T0, 0.01));
    send(edge("a", "c", T0, 0.01));
    assertThat(partials()).isEmpty();
    send(edge("a", "d", T0, 0.01));
    assertThat(partials()).hasSize(2);
    assertThat(operator.buffered()).isEqualTo(1);
  }

  @Test
  void flushesAtEndOfInput() throws Exception {
    start(1000);
    send(edge("a", "b", T0, 0.01));
    operator.finish();
    assertThat(partials()).hasSize(1);
  }

  /** What the operator sent, in order, partials as their window start. */
  private List<Object> sent() {
    return harness.getOutput().stream()
        .map(o -> o instanceof StreamRecord<?> r ? (Object) ("partial@" + r.getTimestamp()) : o).toList();
  }

  /** The snapshot of a fresh subtask after {@code marks}. */
  private OperatorSubtaskState snapshotAfter(long... marks) throws Exception {
    start(1000);
    for (long m : marks) {
      harness.processWatermark(new Watermark(m));
    }
    return harness.snapshot(1, 1);
  }

  @Test
  void aRestoredSubtaskSendsTheWatermarkItHadForwardedFirstAndNeverOneBelowIt() throws Exception {
    OperatorSubtaskState snapshot = snapshotAfter(T0 + 10_000, T0 + 3 * MINUTE);

    start(1000, snapshot);
    assertThat(sent()).containsExactly(new Watermark(T0 + 3 * MINUTE));

    // A request of a minute long written comes first after the restore: its partial goes out behind the
    // restored watermark, so the windows judge it late by that, as the uninterrupted job would have.
    send(edge("a", "b", T0 + 1_000, 0.01));
    harness.processWatermark(new Watermark(T0 + 2_000)); // the source starts over from the late request
    harness.prepareSnapshotPreBarrier(2);
    harness.processWatermark(new Watermark(T0 + 3 * MINUTE + 5));
    assertThat(sent()).containsExactly(new Watermark(T0 + 3 * MINUTE), "partial@" + T0, new Watermark(T0 + 3 * MINUTE + 5));

    // and the next snapshot carries the higher one on
    OperatorSubtaskState next = harness.snapshot(2, 2);
    start(1000, next);
    assertThat(sent()).containsExactly(new Watermark(T0 + 3 * MINUTE + 5));
  }

  @Test
  void theEndOfABoundedInputIsNotRestoredAsAWatermark() throws Exception {
    OperatorSubtaskState snapshot = snapshotAfter(T0 + MINUTE, Long.MAX_VALUE);
    start(1000, snapshot);
    assertThat(sent()).containsExactly(new Watermark(T0 + MINUTE));
  }

  @Test
  void subtasksRestoreTheLowestWatermarkOfTheSnapshotsSubtasks() throws Exception {
    OperatorSubtaskState ahead = snapshotAfter(T0 + 5 * MINUTE);
    OperatorSubtaskState behind = snapshotAfter(T0 + 2 * MINUTE);
    start(1000, AbstractStreamOperatorTestHarness.repackageState(ahead, behind));
    assertThat(sent()).containsExactly(new Watermark(T0 + 2 * MINUTE));
    harness.processWatermark(new Watermark(T0 + MINUTE));
    assertThat(sent()).containsExactly(new Watermark(T0 + 2 * MINUTE));
  }

  @Test
  void anActiveSubtaskThatHadForwardedNoWatermarkRestoresNone() throws Exception {
    OperatorSubtaskState none = snapshotAfter();
    OperatorSubtaskState ahead = snapshotAfter(T0 + 5 * MINUTE);
    start(1000, AbstractStreamOperatorTestHarness.repackageState(ahead, none));
    assertThat(sent()).isEmpty();
    harness.processWatermark(new Watermark(T0));
    assertThat(sent()).containsExactly(new Watermark(T0));
  }

  @Test
  void aSnapshotOfAnEarlierBuildRestoresWithNoWatermark() throws Exception {
    // An earlier build's pre-aggregator kept no state: its snapshot has no operator state for it.
    start(1000, OperatorSubtaskState.builder().build());
    assertThat(sent()).isEmpty();
    send(edge("a", "b", T0 + 1_000, 0.01));
    harness.processWatermark(new Watermark(T0 + MINUTE));
    assertThat(sent()).containsExactly("partial@" + T0, new Watermark(T0 + MINUTE));
  }

  @Test
  void idleSubtasksDoNotHoldTheWindowsAtTheirOldWatermark() throws Exception {
    start(1000);
    harness.processWatermark(new Watermark(T0 + MINUTE));
    harness.processWatermarkStatus(WatermarkStatus.IDLE);
    OperatorSubtaskState idle = harness.snapshot(1, 1);
    OperatorSubtaskState active = snapshotAfter(T0 + 4 * MINUTE);

    // The idle one's old watermark is not the minimum: the windows were not waiting for it.
    start(1000, AbstractStreamOperatorTestHarness.repackageState(idle, active));
    assertThat(sent()).containsExactly(new Watermark(T0 + 4 * MINUTE));

    // All idle: it sends the highest of their watermarks (the windows take the highest of all inputs when
    // every one is idle) and opens idle; it says it is active again before it sends anything else.
    snapshotAfter(T0 + MINUTE / 2);
    harness.processWatermarkStatus(WatermarkStatus.IDLE);
    OperatorSubtaskState idleBehind = harness.snapshot(1, 1);
    start(1000, AbstractStreamOperatorTestHarness.repackageState(idle, idleBehind));
    assertThat(sent()).containsExactly(new Watermark(T0 + MINUTE), WatermarkStatus.IDLE);
    send(edge("a", "b", T0 + 1_000, 0.01));
    harness.processWatermark(new Watermark(T0 + 2_000));
    harness.processWatermark(new Watermark(T0 + 2 * MINUTE));
    assertThat(sent()).containsExactly(new Watermark(T0 + MINUTE), WatermarkStatus.IDLE, WatermarkStatus.ACTIVE, "partial@" + T0,
        new Watermark(T0 + 2 * MINUTE));

    // An idle subtask that had forwarded no watermark: idle, and nothing else.
    start(1000);
    harness.processWatermarkStatus(WatermarkStatus.IDLE);
    start(1000, harness.snapshot(1, 1));
    assertThat(sent()).containsExactly(WatermarkStatus.IDLE);
  }
}
