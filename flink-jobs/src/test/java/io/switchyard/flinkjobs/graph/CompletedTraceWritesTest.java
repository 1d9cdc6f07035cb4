package io.switchyard.flinkjobs.graph;

import static io.switchyard.flinkjobs.graph.Spans.span;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.flinkjobs.graph.ServiceGraphFunction.Outcome;
import io.switchyard.model.v1.SpanRecord;
import io.switchyard.model.v1.SpanRecord.SpanKind;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.AbstractKeyedStateBackend;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * On RocksDB the pairing holds completed traces for one batched write: the held value is the trace's
 * value until it is in RocksDB (at a watermark, a snapshot, or when the holder is full), and what goes
 * in is what Flink's own value state reads back under the trace's key.
 */
class CompletedTraceWritesTest {
  private static final long T0 = 1_700_000_000_000L;
  private static final PairingConfig CONFIG = new PairingConfig(Duration.ofSeconds(10), Duration.ofSeconds(10),
      PairingConfig.TimeDomain.EVENT, Duration.ofMinutes(1), PairingConfig.DEFAULT_PEER_ATTRIBUTES);

  private ServiceGraphOperator operator;
  private KeyedOneInputStreamOperatorTestHarness<String, TraceSpans, EdgeEvent> harness;

  private void start(int maxHeld, OperatorSubtaskState restoreFrom) throws Exception {
    operator = new ServiceGraphOperator(CONFIG, ServiceGraphOperator.SLICE_KEYS, maxHeld);
    harness = CompletedTraceSweepTest.open(operator, true, restoreFrom);
  }

  @AfterEach
  void close() throws Exception {
    if (harness != null) {
      harness.close();
    }
  }

  private static SpanRecord client(long trace, long id) {
    return span(trace, id, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 50).build();
  }

  private static SpanRecord server(long trace, long id, long parent) {
    return span(trace, id, parent, "checkout", SpanKind.SPAN_KIND_SERVER, T0 + 10, 40).build();
  }

  private void send(SpanRecord... spans) throws Exception {
    TraceSpans batch = Spans.batch(spans);
    harness.processElement(new StreamRecord<>(batch, batch.timestamp()));
  }

  /** The keys RocksDB holds now, without draining the held writes. */
  private Set<String> keysInRocksDb() {
    KeyedStateBackend<String> backend = operator.getKeyedStateBackend();
    try (Stream<String> keys = backend.getKeys("trace-pairing", VoidNamespace.INSTANCE)) {
      return keys.collect(Collectors.toCollection(TreeSet::new));
    }
  }

  /** The trace's value as Flink's own value state reads it from RocksDB. */
  private TraceState stored(long trace) throws Exception {
    KeyedStateBackend<String> backend = operator.getKeyedStateBackend();
    backend.setCurrentKey(Spans.traceHex(trace));
    return backend.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, operator.function().stateDescriptor())
        .value();
  }

  private long count(Outcome o) {
    return operator.function().count(o);
  }

  @Test
  void aCompletedTraceIsHeldUntilTheNextWatermarkAndThenReadsBackFromRocksDb() throws Exception {
    start(CompletedTraceWrites.MAX_TRACES, null);
    send(client(1, 10), server(1, 11, 10));
    assertThat(operator.heldTraces()).isEqualTo(1);
    assertThat(keysInRocksDb()).isEmpty();

    send(server(1, 11, 10)); // redelivered while held: the held value remembers it
    assertThat(count(Outcome.DROPPED_DUPLICATE)).isEqualTo(1);
    assertThat(harness.extractOutputValues()).hasSize(1);

    harness.processWatermark(new Watermark(T0));
    assertThat(operator.heldTraces()).isZero();
    assertThat(keysInRocksDb()).containsExactly(Spans.traceHex(1));
    TraceState t = stored(1);
    assertThat(t.pending).isEmpty();
    assertThat(t.seen).hasSize(2);
    assertThat(t.expiryTimer).isEqualTo(Long.MIN_VALUE);
    assertThat(t.forgetAt).isEqualTo(T0 + 50 + Duration.ofMinutes(1).toMillis());

    send(client(1, 10)); // redelivered after the write: read back from RocksDB
    assertThat(count(Outcome.DROPPED_DUPLICATE)).isEqualTo(2);
    assertThat(count(Outcome.PAIRED)).isEqualTo(1);
  }

  @Test
  void aTraceThatCompletesInItsFirstBatchNeverGivesFlinkItsKey() throws Exception {
    start(CompletedTraceWrites.MAX_TRACES, null);
    send(client(1, 10), server(1, 11, 10));
    assertThat(count(Outcome.PAIRED)).isEqualTo(1);
    // Nothing waits and no timer is held or needed: neither the state nor the timers were touched.
    assertThat(operator.getCurrentKey()).isNull();

    send(client(2, 10)); // waits: its timer is registered under its own key
    assertThat(operator.getCurrentKey()).isEqualTo(Spans.traceHex(2));
    assertThat(harness.numEventTimeTimers()).isEqualTo(1);
    send(server(2, 11, 10)); // pairs, and the timer goes
    assertThat(count(Outcome.PAIRED)).isEqualTo(2);
    assertThat(harness.numEventTimeTimers()).isZero();
  }

  @Test
  void aSnapshotTakesTheHeldTracesWithIt() throws Exception {
    start(CompletedTraceWrites.MAX_TRACES, null);
    send(client(1, 10), server(1, 11, 10));
    send(client(2, 10), server(2, 11, 10));
    assertThat(operator.heldTraces()).isEqualTo(2);
    OperatorSubtaskState snapshot = harness.snapshot(1, 1);
    harness.close();

    start(CompletedTraceWrites.MAX_TRACES, snapshot);
    assertThat(keysInRocksDb()).containsExactly(Spans.traceHex(1), Spans.traceHex(2));
    send(server(2, 11, 10));
    assertThat(count(Outcome.DROPPED_DUPLICATE)).isEqualTo(1);
    assertThat(harness.extractOutputValues()).isEmpty();
  }

  @Test
  void aFullHolderIsWrittenAtOnceAndTheBatchKeepsItsKey() throws Exception {
    start(2, null);
    send(client(1, 10), server(1, 11, 10));
    assertThat(operator.heldTraces()).isEqualTo(1);
    send(client(2, 10), server(2, 11, 10)); // the second fills the holder: both go in now
    assertThat(operator.heldTraces()).isZero();
    assertThat(keysInRocksDb()).containsExactly(Spans.traceHex(1), Spans.traceHex(2));
    // The batch after the write still runs under its own key.
    send(client(3, 10));
    assertThat(keysInRocksDb()).contains(Spans.traceHex(3));
    assertThat(stored(3).pending).hasSize(1);
  }

  @Test
  void aHeldTraceThatWaitsAgainStaysHeldAndItsNewerValueWins() throws Exception {
    start(CompletedTraceWrites.MAX_TRACES, null);
    send(client(1, 10), server(1, 11, 10));
    // A second call in the same trace waits: the batch already has the trace's completed value, so the
    // newer one goes into the batch after it instead of into RocksDB before it.
    send(client(1, 20));
    assertThat(operator.heldTraces()).isEqualTo(1);
    assertThat(keysInRocksDb()).isEmpty();
    harness.processWatermark(new Watermark(T0));
    assertThat(operator.heldTraces()).isZero();
    assertThat(stored(1).pending).hasSize(1);
    assertThat(stored(1).seen).hasSize(3);
    send(server(1, 21, 20));
    assertThat(count(Outcome.PAIRED)).isEqualTo(2);
    assertThat(harness.extractOutputValues()).hasSize(2);
  }

  @Test
  void batchedWritesOfOneKeyLandInOrderAndABatchedDeleteRemovesTheKey() throws Exception {
    start(CompletedTraceWrites.MAX_TRACES, null);
    send(client(2, 10), server(2, 11, 10));
    harness.processWatermark(new Watermark(T0)); // trace 2 in RocksDB before the batch below
    assertThat(keysInRocksDb()).containsExactly(Spans.traceHex(2));

    RocksDbStateColumn column = RocksDbStateColumn.of(operator.getKeyedStateBackend(), "trace-pairing");
    int keyGroups = ((AbstractKeyedStateBackend<?>) operator.getKeyedStateBackend()).getNumberOfKeyGroups();
    CompletedTraceWrites writes = new CompletedTraceWrites(keyGroups, CompletedTraceWrites.MAX_TRACES);
    writes.batchInto(column);
    String one = Spans.traceHex(1);
    String two = Spans.traceHex(2);
    TraceState first = new TraceState();
    first.forgetAt = 1;
    TraceState second = new TraceState();
    second.forgetAt = 2;
    assertThat(writes.batches(one)).isFalse();
    writes.hold(one, first);
    writes.hold(one, second);
    assertThat(writes.batches(one)).isTrue();
    assertThat(writes.get(one)).isSameAs(second);
    writes.hold(two, first);
    writes.holdDeleted(two);
    assertThat(writes.get(two)).isSameAs(CompletedTraceWrites.DELETED);
    assertThat(keysInRocksDb()).containsExactly(two); // nothing written before the drain

    writes.drainInto(column);
    assertThat(writes.isEmpty()).isTrue();
    assertThat(writes.batches(one)).isFalse();
    assertThat(keysInRocksDb()).containsExactly(one);
    assertThat(stored(1).forgetAt).isEqualTo(2);
  }
}
