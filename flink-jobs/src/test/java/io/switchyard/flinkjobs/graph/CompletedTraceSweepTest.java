package io.switchyard.flinkjobs.graph;

import static io.switchyard.flinkjobs.graph.Spans.span;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.flinkjobs.graph.ServiceGraphFunction.Outcome;
import io.switchyard.model.v1.SpanRecord;
import io.switchyard.model.v1.SpanRecord.SpanKind;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The completed-trace sweep walks the pairing state a slice of keys at a time, resuming where the last
 * slice stopped, on the heap backend (Flink's incremental visitor) and on RocksDB (a lazy key
 * iterator): while keys come and go between slices, and across a restore in the middle of a walk.
 */
class CompletedTraceSweepTest {
  private static final long T0 = 1_700_000_000_000L;
  private static final int SLICE = 3;
  private static final PairingConfig EVENT = new PairingConfig(Duration.ofSeconds(10), Duration.ofSeconds(10),
      PairingConfig.TimeDomain.EVENT, Duration.ofMinutes(1), PairingConfig.DEFAULT_PEER_ATTRIBUTES);
  /** When every pair sent at T0 has run out of dedupe memory (the pairs end by T0 + 50). */
  private static final long ALL_RUN_OUT = T0 + 61_000;

  private ServiceGraphOperator operator;
  private KeyedOneInputStreamOperatorTestHarness<String, TraceSpans, EdgeEvent> harness;

  private void start(PairingConfig config, boolean rocksDb, OperatorSubtaskState restoreFrom) throws Exception {
    operator = new ServiceGraphOperator(config, SLICE);
    harness = open(operator, rocksDb, restoreFrom);
  }

  /** A harness running {@code operator}, on RocksDB or the heap, restored from {@code restoreFrom} unless it is null. */
  static KeyedOneInputStreamOperatorTestHarness<String, TraceSpans, EdgeEvent> open(ServiceGraphOperator operator, boolean rocksDb,
      OperatorSubtaskState restoreFrom) throws Exception {
    var harness = new KeyedOneInputStreamOperatorTestHarness<>(operator, TraceSpans::key, Types.STRING);
    if (rocksDb) {
      harness.setStateBackend(new EmbeddedRocksDBStateBackend());
    }
    if (restoreFrom != null) {
      harness.initializeState(restoreFrom);
    }
    harness.open();
    return harness;
  }

  @AfterEach
  void close() throws Exception {
    harness.close();
  }

  /** A completed client/server pair in trace {@code trace}, spans {@code id} and {@code id + 1}, ending by T0 + 50. */
  private void pair(long trace, long id) throws Exception {
    SpanRecord client = span(trace, id, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 50).build();
    SpanRecord server = span(trace, id + 1, id, "checkout", SpanKind.SPAN_KIND_SERVER, T0 + 10, 40).build();
    TraceSpans batch = single(client);
    batch.append(single(server));
    harness.processElement(new StreamRecord<>(batch, batch.timestamp()));
  }

  private static TraceSpans single(SpanRecord r) {
    return TraceSpans.of(r.getTraceId().toByteArray(), r.toByteArray(), r.getEndTimeUnixNano() / 1_000_000);
  }

  private void watermark(long at) throws Exception {
    harness.processWatermark(new Watermark(at));
  }

  /** The traces in the state, once the completed traces the operator holds for one batched write are in. */
  private Set<String> keys() {
    operator.drainHeldWrites();
    KeyedStateBackend<String> backend = operator.getKeyedStateBackend();
    try (Stream<String> keys = backend.getKeys("trace-pairing", VoidNamespace.INSTANCE)) {
      return keys.collect(Collectors.toCollection(TreeSet::new));
    }
  }

  /** Deletes a trace behind the sweep's back, as a legacy cleanup timer would. */
  private void removeBehindTheSweep(String key) throws Exception {
    operator.drainHeldWrites();
    KeyedStateBackend<String> backend = operator.getKeyedStateBackend();
    backend.setCurrentKey(key);
    backend.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, operator.function().stateDescriptor()).clear();
  }

  private void sendTenCompletedTraces() throws Exception {
    for (long t = 1; t <= 10; t++) {
      pair(t, 10);
    }
    assertThat(keys()).hasSize(10);
  }

  @Test
  void aWalkDeletesOneSliceOfDueTracesPerWatermarkOnTheHeap() throws Exception {
    aWalkDeletesOneSliceOfDueTracesPerWatermark(false);
  }

  @Test
  void aWalkDeletesOneSliceOfDueTracesPerWatermarkOnRocksDb() throws Exception {
    aWalkDeletesOneSliceOfDueTracesPerWatermark(true);
  }

  private void aWalkDeletesOneSliceOfDueTracesPerWatermark(boolean rocksDb) throws Exception {
    start(EVENT, rocksDb, null);
    sendTenCompletedTraces();
    watermark(T0); // the first watermark starts a walk at once: nothing is due yet
    watermark(T0 + 1);
    watermark(T0 + 2);
    watermark(T0 + 3); // that walk is over; the next is due half a TTL after it started
    assertThat(keys()).hasSize(10);
    watermark(ALL_RUN_OUT);
    assertThat(keys()).hasSize(7);
    watermark(ALL_RUN_OUT + 1);
    assertThat(keys()).hasSize(4);
    watermark(ALL_RUN_OUT + 2);
    assertThat(keys()).hasSize(1);
    watermark(ALL_RUN_OUT + 3);
    assertThat(keys()).isEmpty();
    assertThat(harness.extractOutputValues()).hasSize(10);
  }

  @Test
  void aProducerWaitingForLateConsumersOutlivesWalksOnTheHeap() throws Exception {
    aProducerWaitingForLateConsumersOutlivesWalks(false);
  }

  @Test
  void aProducerWaitingForLateConsumersOutlivesWalksOnRocksDb() throws Exception {
    aProducerWaitingForLateConsumersOutlivesWalks(true);
  }

  /**
   * A producer that met a consumer at once still waits its messaging wait for more: neither the walks of
   * that time nor the key filter they rebuild may lose it, or a late consumer would start a new trace.
   */
  private void aProducerWaitingForLateConsumersOutlivesWalks(boolean rocksDb) throws Exception {
    start(new PairingConfig(Duration.ofSeconds(10), Duration.ofMinutes(3), PairingConfig.TimeDomain.EVENT,
        Duration.ofMinutes(1), PairingConfig.DEFAULT_PEER_ATTRIBUTES), rocksDb, null);
    sendTenCompletedTraces();
    for (long t = 11; t <= 15; t++) {
      TraceSpans batch = single(span(t, 10, 0, "orders", SpanKind.SPAN_KIND_PRODUCER, T0, 20).build());
      batch.append(single(span(t, 11, 10, "billing", SpanKind.SPAN_KIND_CONSUMER, T0 + 30, 5).build()));
      harness.processElement(new StreamRecord<>(batch, batch.timestamp()));
    }
    for (long at = T0; at <= T0 + 150_000; at += 5_000) { // several walks, each over a few watermarks
      watermark(at);
    }
    assertThat(keys()).hasSize(5); // the RPC pairs ran out, the producers wait
    assertThat(operator.walksStarted()).isGreaterThan(1);
    if (rocksDb) {
      assertThat(operator.keyFilter().complete()).isTrue(); // rebuilt by a walk: the consumers below trust it
    }
    for (long t = 11; t <= 15; t++) {
      harness.processElement(new StreamRecord<>(single(span(t, 12, 10, "shipping", SpanKind.SPAN_KIND_CONSUMER,
          T0 + 150_000, 5).build()), T0 + 150_005));
    }
    assertThat(harness.extractOutputValues()).hasSize(20)
        .filteredOn(e -> e.serverName.equals("shipping")).hasSize(5)
        .allSatisfy(e -> assertThat(e.messagingLatencySeconds).isEqualTo(149.98));
    for (long at = T0 + 150_000; at <= T0 + 20 + 180_000 + 60_000 + 60_000; at += 5_000) {
      watermark(at);
    }
    assertThat(keys()).isEmpty(); // a TTL after the producers' wait ended, and a walk
    assertThat(operator.function().count(ServiceGraphFunction.Outcome.EXPIRED_CLIENT)).isZero();
    assertThat(operator.function().count(ServiceGraphFunction.Outcome.EXPIRED_SERVER)).isZero();
  }

  @Test
  void onRocksDbAWalkThatCouldDeleteNothingIsSkippedUntilTheFirstTraceRunsOut() throws Exception {
    start(EVENT, true, null);
    sendTenCompletedTraces(); // remembered until T0 + 60,050
    for (long at = T0; at <= T0 + 3; at++) {
      watermark(at); // the first walk after a start always runs: the restored state is unknown
    }
    assertThat(operator.walksStarted()).isEqualTo(1);
    watermark(T0 + 30_000); // due by the schedule, but every trace it kept is remembered longer
    pair(11, 10); // completed now: remembered until T0 + 90,000
    watermark(T0 + 60_049);
    assertThat(operator.walksStarted()).isEqualTo(1);
    assertThat(keys()).hasSize(11);
    watermark(T0 + 60_050); // the first ten ran out: a walk starts
    assertThat(operator.walksStarted()).isEqualTo(2);
    for (long at = T0 + 60_051; at <= T0 + 60_054; at++) {
      watermark(at);
    }
    assertThat(keys()).containsExactly(Spans.traceHex(11));
    watermark(T0 + 89_999); // the next is due half a TTL after that walk started: T0 + 90,050
    assertThat(operator.walksStarted()).isEqualTo(2);
    watermark(T0 + 90_050);
    assertThat(operator.walksStarted()).isEqualTo(3);
    assertThat(keys()).isEmpty();
  }

  @Test
  void onTheHeapEveryWalkRunsOnSchedule() throws Exception {
    // The heap visitor may miss a key when a map grows during the walk, so what a walk kept is no bound.
    start(EVENT, false, null);
    sendTenCompletedTraces();
    for (long at = T0; at <= T0 + 3; at++) {
      watermark(at);
    }
    watermark(T0 + 30_000);
    assertThat(operator.walksStarted()).isEqualTo(2);
    assertThat(keys()).hasSize(10);
  }

  @Test
  void theEndOfInputDeletesEveryTraceOnRocksDb() throws Exception {
    start(EVENT, true, null);
    sendTenCompletedTraces();
    SpanRecord waiting = span(12, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 50).build();
    harness.processElement(new StreamRecord<>(single(waiting), T0 + 50));
    watermark(T0); // a walk under way
    watermark(Long.MAX_VALUE); // the waiting client expires, then everything goes
    assertThat(keys()).isEmpty();
    assertThat(operator.function().count(Outcome.EXPIRED_CLIENT)).isEqualTo(1);
    assertThat(harness.extractOutputValues()).hasSize(11);
  }

  @Test
  void keysAddedChangedAndRemovedDuringAWalkOnTheHeap() throws Exception {
    keysAddedChangedAndRemovedDuringAWalk(false);
  }

  @Test
  void keysAddedChangedAndRemovedDuringAWalkOnRocksDb() throws Exception {
    keysAddedChangedAndRemovedDuringAWalk(true);
  }

  private void keysAddedChangedAndRemovedDuringAWalk(boolean rocksDb) throws Exception {
    start(EVENT, rocksDb, null);
    sendTenCompletedTraces();
    watermark(ALL_RUN_OUT); // starts the walk: the first slice deletes three
    List<String> notYetVisited = List.copyOf(keys());
    assertThat(notYetVisited).hasSize(7);
    String renewed = notYetVisited.get(0);
    String removed = notYetVisited.get(1);
    String added = Spans.traceHex(11);
    removeBehindTheSweep(removed);
    pair(11, 10); // remembered until a TTL after this watermark
    // A new request in an old trace: its memory runs a TTL from now again.
    long renewedTrace = LongStream.rangeClosed(1, 10).filter(t -> Spans.traceHex(t).equals(renewed)).findFirst().orElseThrow();
    pair(renewedTrace, 20);
    for (long at = ALL_RUN_OUT + 1; at <= ALL_RUN_OUT + 5; at++) {
      watermark(at);
    }
    assertThat(keys()).containsExactlyInAnyOrder(renewed, added);
    pair(renewedTrace, 20); // still remembered: counted once
    assertThat(operator.function().count(Outcome.DROPPED_DUPLICATE)).isEqualTo(2);
    watermark(ALL_RUN_OUT + 60_010); // the next walk, once both ran out
    assertThat(keys()).isEmpty();
    assertThat(harness.extractOutputValues()).hasSize(12);
  }

  @Test
  void onRocksDbTheSweepReadsThePairingColumnFamilyDirectly() throws Exception {
    // Fails when a Flink upgrade moves the internals RocksDbStateColumn reaches: the sweep would fall
    // back to a point lookup per key, correct but several times slower.
    start(EVENT, true, null);
    assertThat(RocksDbStateColumn.of(operator.getKeyedStateBackend(), "trace-pairing")).isNotNull();
  }

  @Test
  void onTheHeapThereIsNoColumnFamily() throws Exception {
    start(EVENT, false, null);
    assertThat(RocksDbStateColumn.of(operator.getKeyedStateBackend(), "trace-pairing")).isNull();
  }

  @Test
  void aDueTraceThatGetsAWaitingSpanBeforeTheWalkReachesItIsKeptOnTheHeap() throws Exception {
    aDueTraceThatGetsAWaitingSpanBeforeTheWalkReachesItIsKept(false);
  }

  @Test
  void aDueTraceThatGetsAWaitingSpanBeforeTheWalkReachesItIsKeptOnRocksDb() throws Exception {
    aDueTraceThatGetsAWaitingSpanBeforeTheWalkReachesItIsKept(true);
  }

  private void aDueTraceThatGetsAWaitingSpanBeforeTheWalkReachesItIsKept(boolean rocksDb) throws Exception {
    start(EVENT, rocksDb, null);
    sendTenCompletedTraces();
    watermark(ALL_RUN_OUT); // starts the walk: the first slice deletes three, all ten are due
    List<String> notYetVisited = List.copyOf(keys());
    String revived = notYetVisited.get(notYetVisited.size() - 1);
    long trace = LongStream.rangeClosed(1, 10).filter(t -> Spans.traceHex(t).equals(revived)).findFirst().orElseThrow();
    SpanRecord client = span(trace, 30, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, ALL_RUN_OUT, 10).build();
    harness.processElement(new StreamRecord<>(single(client), ALL_RUN_OUT + 10));
    for (long at = ALL_RUN_OUT + 1; at <= ALL_RUN_OUT + 5; at++) {
      watermark(at);
    }
    assertThat(keys()).containsExactly(revived);
    watermark(ALL_RUN_OUT + 10_010); // its wait ends: a virtual server edge
    assertThat(operator.function().count(Outcome.EXPIRED_CLIENT)).isEqualTo(1);
    assertThat(harness.extractOutputValues()).hasSize(11);
  }

  @Test
  void aRestoreInTheMiddleOfAWalkStartsTheWalkAgainOnTheHeap() throws Exception {
    aRestoreInTheMiddleOfAWalkStartsTheWalkAgain(false);
  }

  @Test
  void aRestoreInTheMiddleOfAWalkStartsTheWalkAgainOnRocksDb() throws Exception {
    aRestoreInTheMiddleOfAWalkStartsTheWalkAgain(true);
  }

  private void aRestoreInTheMiddleOfAWalkStartsTheWalkAgain(boolean rocksDb) throws Exception {
    start(EVENT, rocksDb, null);
    sendTenCompletedTraces();
    watermark(ALL_RUN_OUT);
    watermark(ALL_RUN_OUT + 1);
    assertThat(keys()).hasSize(4);
    OperatorSubtaskState snapshot = harness.snapshot(1, 1);
    harness.close();
    start(EVENT, rocksDb, snapshot);
    assertThat(keys()).hasSize(4);
    watermark(ALL_RUN_OUT + 2);
    assertThat(keys()).hasSize(1);
    watermark(ALL_RUN_OUT + 3);
    assertThat(keys()).isEmpty();
  }

  @Test
  void inProcessingTimeTheSlicesOfAWalkArePacedOnTheWallClock() throws Exception {
    start(new PairingConfig(Duration.ofSeconds(2), Duration.ofSeconds(2), PairingConfig.TimeDomain.PROCESSING,
        Duration.ofMinutes(1), PairingConfig.DEFAULT_PEER_ATTRIBUTES), false, null);
    harness.setProcessingTime(1_000);
    sendTenCompletedTraces(); // remembered until 61,000
    // Walks at 30,000 and 60,000 find nothing due; each takes four slices, SLICE_PAUSE_MS apart. (The
    // test clock moves a slice at a time: a callback reads the clock's time, not its own due time.)
    for (long t = 30_000; t <= 60_000 + 3 * ServiceGraphOperator.SLICE_PAUSE_MS; t += ServiceGraphOperator.SLICE_PAUSE_MS) {
      harness.setProcessingTime(t);
    }
    assertThat(keys()).hasSize(10);
    harness.setProcessingTime(90_000);
    assertThat(keys()).hasSize(7);
    harness.setProcessingTime(90_000 + ServiceGraphOperator.SLICE_PAUSE_MS - 1);
    assertThat(keys()).hasSize(7);
    harness.setProcessingTime(90_000 + ServiceGraphOperator.SLICE_PAUSE_MS);
    assertThat(keys()).hasSize(4);
    harness.setProcessingTime(90_000 + 2 * ServiceGraphOperator.SLICE_PAUSE_MS);
    assertThat(keys()).hasSize(1);
    harness.setProcessingTime(90_000 + 3 * ServiceGraphOperator.SLICE_PAUSE_MS);
    assertThat(keys()).isEmpty();
  }

  /** Fails when a trace in the state is missing from a complete key filter: its next batch would skip the read. */
  private void assertTheKeyFilterHoldsEveryTrace() {
    TraceKeyFilter filter = operator.keyFilter();
    if (filter.complete()) {
      assertThat(keys()).allMatch(filter::mayHold);
    }
  }

  /** Sends the client span of {@code pair(trace, id)} again. */
  private void redeliverClient(long trace, long id) throws Exception {
    SpanRecord client = span(trace, id, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 50).build();
    harness.processElement(new StreamRecord<>(single(client), T0 + 50));
  }

  @Test
  void onRocksDbAFreshStartSkipsTheReadOfNewTracesAndStillDropsRedeliveries() throws Exception {
    start(EVENT, true, null);
    assertThat(operator.keyFilter().complete()).isTrue();
    sendTenCompletedTraces();
    assertThat(operator.function().readsSkipped()).isEqualTo(10);
    assertTheKeyFilterHoldsEveryTrace();
    for (long t = 1; t <= 10; t++) {
      redeliverClient(t, 10);
    }
    assertThat(operator.function().count(Outcome.DROPPED_DUPLICATE)).isEqualTo(10);
    assertThat(operator.function().readsSkipped()).isEqualTo(10);
    assertThat(harness.extractOutputValues()).hasSize(10);
  }

  @Test
  void onTheHeapThereIsNoKeyFilter() throws Exception {
    start(EVENT, false, null);
    assertThat(operator.keyFilter()).isNull();
    sendTenCompletedTraces();
    assertThat(operator.function().readsSkipped()).isZero();
  }

  @Test
  void afterARestoreEveryBatchReadsTheStateUntilAWalkHasSeenEveryKey() throws Exception {
    start(EVENT, true, null);
    sendTenCompletedTraces();
    OperatorSubtaskState snapshot = harness.snapshot(1, 1);
    harness.close();
    start(EVENT, true, snapshot);
    assertThat(operator.keyFilter().complete()).isFalse();
    redeliverClient(3, 10); // a restored trace the new filter never saw: still a duplicate
    pair(11, 10);
    assertThat(operator.function().readsSkipped()).isZero();
    watermark(T0); // the first walk after a restore: 11 to 13 keys, three a slice
    for (long at = T0 + 1; at <= T0 + 2; at++) {
      assertThat(operator.keyFilter().complete()).isFalse();
      pair(12 + at - T0, 10); // written while the walk runs: into the old filter and the new one
      watermark(at);
    }
    watermark(T0 + 3);
    if (!operator.keyFilter().complete()) {
      watermark(T0 + 4); // both were written ahead of the walk: a fifth slice
    }
    assertThat(operator.keyFilter().complete()).isTrue();
    assertThat(keys()).hasSize(13);
    assertTheKeyFilterHoldsEveryTrace();
    for (long t : new long[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14}) {
      redeliverClient(t, 10);
    }
    assertThat(operator.function().count(Outcome.DROPPED_DUPLICATE)).isEqualTo(14);
    pair(20, 10);
    assertThat(operator.function().readsSkipped()).isEqualTo(1);
    assertTheKeyFilterHoldsEveryTrace();
  }

  @Test
  void onRocksDbAWalkDropsTheTracesItDeletedFromTheKeyFilterAndKeepsThoseWrittenMeanwhile() throws Exception {
    start(EVENT, true, null);
    sendTenCompletedTraces();
    watermark(ALL_RUN_OUT); // the first walk starts, its first slice deletes three
    for (long at = ALL_RUN_OUT + 1; at <= ALL_RUN_OUT + 5; at++) {
      pair(100 + at - ALL_RUN_OUT, 10); // a new trace between slices, behind the walk or ahead of it
      assertTheKeyFilterHoldsEveryTrace();
      watermark(at); // the walk (at most 15 keys, 3 a slice) ends by the fifth slice
    }
    List<String> deleted = LongStream.rangeClosed(1, 10).mapToObj(Spans::traceHex).toList();
    assertThat(keys()).doesNotContainAnyElementsOf(deleted).isNotEmpty();
    assertThat(operator.keyFilter().complete()).isTrue();
    assertTheKeyFilterHoldsEveryTrace();
    // The walk ended after the ten were deleted: the filter it built lacks them (a false positive in a
    // filter this empty would need six given bits of one 512-bit block set by a dozen keys).
    assertThat(deleted).noneMatch(operator.keyFilter()::mayHold);
    long skipped = operator.function().readsSkipped();
    redeliverClient(4, 10); // long forgotten: a new trace again
    assertThat(operator.function().readsSkipped()).isEqualTo(skipped + 1);
    assertThat(operator.function().count(Outcome.DROPPED_DUPLICATE)).isZero();
    assertTheKeyFilterHoldsEveryTrace();
  }

  @Test
  void onRocksDbTheEndOfInputEmptiesTheKeyFilter() throws Exception {
    start(EVENT, true, null);
    sendTenCompletedTraces();
    watermark(T0); // a walk under way
    watermark(Long.MAX_VALUE);
    assertThat(operator.keyFilter().complete()).isTrue();
    assertThat(LongStream.rangeClosed(1, 10).mapToObj(Spans::traceHex)).noneMatch(operator.keyFilter()::mayHold);
  }
}
