package io.switchyard.flinkjobs.mesh;

import static io.switchyard.flinkjobs.mesh.WaitingRequestsSnapshot.T0;
import static io.switchyard.flinkjobs.mesh.WaitingRequestsSnapshot.WAIT;
import static io.switchyard.flinkjobs.mesh.WaitingRequestsSnapshot.report;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.flinkjobs.graph.PairingConfig.TimeDomain;
import io.switchyard.flinkjobs.mesh.AccessLogPairing.Outcome;
import io.switchyard.model.v1.AccessLogRecord;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * Expiry of the access-log pairing in event time: timers only while a report waits; the memory after
 * the wait, which drops late copies, is swept.
 */
class AccessLogPairingSweepTest {
  /** After the wait; walks start every 15 s (half of it). */
  private static final Duration MEMORY = Duration.ofSeconds(30);

  private AccessLogPairing function;
  private AccessLogPairingOperator operator;

  private KeyedOneInputStreamOperatorTestHarness<String, AccessLogRecord, EdgeEvent> open(OperatorSubtaskState restore)
      throws Exception {
    function = new AccessLogPairing(WAIT, MEMORY, TimeDomain.EVENT);
    operator = new AccessLogPairingOperator(function, AccessLogPairingOperator.MAX_HELD, AccessLogPairingOperator.SLICE_KEYS);
    var harness = new KeyedOneInputStreamOperatorTestHarness<>(operator, AccessLogPairing::key, Types.STRING);
    harness.setStateBackend(new EmbeddedRocksDBStateBackend());
    if (restore != null) {
      harness.initializeState(restore);
    }
    harness.open();
    assertThat(operator.sweep().readsColumn()).isTrue();
    return harness;
  }

  @Test
  void aPairedRequestHoldsNoTimerAndIsSweptAfterItsMemory() throws Exception {
    var harness = open(null);
    harness.processWatermark(new Watermark(T0)); // starts the first walk: the next is due at T0 + 15 s
    send(harness, report("r1", true, T0 + 1_000));
    send(harness, report("r1", false, T0 + 1_000));
    harness.processWatermark(new Watermark(T0 + 2_000));
    assertThat(harness.extractOutputValues()).hasSize(1);
    assertThat(harness.numEventTimeTimers()).isZero();
    assertThat(keys()).hasSize(1);
    assertThat(operator.readsSkipped()).as("a new key, surely not in the state, is not read").isEqualTo(1);

    send(harness, report("r1", true, T0 + 1_000)); // within the wait: a duplicate
    harness.processWatermark(new Watermark(T0 + 11_000)); // its wait ends
    send(harness, report("r1", false, T0 + 1_000)); // after the wait, a copy (a retried export): a duplicate too
    harness.processWatermark(new Watermark(T0 + 15_000)); // a walk: the memory lasts until T0 + 41 s
    assertThat(function.count(Outcome.DROPPED_DUPLICATE)).isEqualTo(2);
    assertThat(operator.walksStarted()).isEqualTo(2);
    assertThat(harness.numEventTimeTimers()).isZero();
    assertThat(keys()).hasSize(1);

    send(harness, report("r1", true, T0 + 1_000)); // held, paired before the next watermark moves event time
    harness.processWatermark(new Watermark(T0 + 41_000)); // the memory ran out, and a walk is due
    assertThat(function.count(Outcome.DROPPED_DUPLICATE)).isEqualTo(3);
    assertThat(operator.walksStarted()).isEqualTo(3);
    assertThat(keys()).isEmpty();
    send(harness, report("r1", true, T0 + 1_000)); // so the same report is new again, as its timer had it
    // It waits, on a wait the watermark has passed: its timer counts it alone at the next watermark.
    harness.processWatermark(new Watermark(T0 + 41_001));
    assertThat(operator.readsSkipped()).as("the walk that deleted the key rebuilt the filter without it").isEqualTo(2);
    assertThat(function.count(Outcome.DROPPED_DUPLICATE)).isEqualTo(3);
    assertThat(function.count(Outcome.LONE)).isEqualTo(1);
    assertThat(harness.numEventTimeTimers()).isZero();
    harness.close();
  }

  @Test
  void aWaitingReportIsCountedAloneByItsTimerAtTheEndOfItsWait() throws Exception {
    var harness = open(null);
    harness.processWatermark(new Watermark(T0));
    send(harness, report("r1", false, T0 + 1_000));
    harness.processWatermark(new Watermark(T0 + 2_000));
    assertThat(harness.numEventTimeTimers()).isEqualTo(1);
    harness.processWatermark(new Watermark(T0 + 10_999));
    assertThat(harness.extractOutputValues()).isEmpty();
    harness.processWatermark(new Watermark(T0 + 11_000));
    List<StreamRecord<? extends EdgeEvent>> out = harness.extractOutputStreamRecords();
    assertThat(out).singleElement().satisfies(r -> {
      assertThat(r.getTimestamp()).isEqualTo(T0 + 11_000);
      assertThat(r.getValue().clientLatencySeconds).isEqualTo(-1.0);
    });
    // Remembered with no timer, so a copy of the report (sent again by a client) is dropped, not counted again.
    assertThat(harness.numEventTimeTimers()).isZero();
    assertThat(keys()).hasSize(1);
    send(harness, report("r1", false, T0 + 1_000));
    harness.processWatermark(new Watermark(T0 + 40_999));
    assertThat(harness.extractOutputValues()).hasSize(1);
    assertThat(function.count(Outcome.DROPPED_DUPLICATE)).isEqualTo(1);
    harness.processWatermark(new Watermark(T0 + 56_000)); // the next walk: the memory ran out at T0 + 41 s
    assertThat(keys()).isEmpty();
    harness.close();
  }

  @Test
  void theMemoryOfACountedRequestSurvivesARestore() throws Exception {
    var harness = open(null);
    harness.processWatermark(new Watermark(T0));
    send(harness, report("paired", true, T0 + 1_000));
    send(harness, report("paired", false, T0 + 1_000));
    send(harness, report("lone", false, T0 + 1_000));
    harness.processWatermark(new Watermark(T0 + 12_000)); // both waits over: the lone one counted
    assertThat(harness.extractOutputValues()).hasSize(2);
    harness.prepareSnapshotPreBarrier(1);
    OperatorSubtaskState snapshot = harness.snapshot(1, 1);
    harness.close();

    harness = open(snapshot);
    send(harness, report("paired", true, T0 + 1_000));
    send(harness, report("paired", false, T0 + 1_000));
    send(harness, report("lone", false, T0 + 1_000));
    harness.processWatermark(new Watermark(T0 + 13_000));
    assertThat(harness.extractOutputValues()).isEmpty();
    assertThat(function.count(Outcome.DROPPED_DUPLICATE)).isEqualTo(3);
    harness.processWatermark(new Watermark(Long.MAX_VALUE));
    assertThat(harness.extractOutputValues()).isEmpty();
    assertThat(keys()).isEmpty();
    harness.close();
  }

  @Test
  void memoryThatRanOutBeforeASnapshotStaysGoneAfterTheRestore() throws Exception {
    var harness = open(null);
    harness.processWatermark(new Watermark(T0)); // a walk now, the next at T0 + 15 s
    send(harness, report("r1", true, T0 - 40_000));
    send(harness, report("r1", false, T0 - 40_000)); // paired, its wait ends at T0 - 30 s, its memory at T0
    harness.processWatermark(new Watermark(T0 + 6_000));
    assertThat(keys()).hasSize(1); // ran out, not swept yet
    harness.prepareSnapshotPreBarrier(1);
    OperatorSubtaskState snapshot = harness.snapshot(1, 1);
    harness.close();

    harness = open(snapshot); // its watermark starts over
    send(harness, report("r1", true, T0 - 40_000));
    harness.processWatermark(new Watermark(Long.MAX_VALUE));
    assertThat(function.count(Outcome.DROPPED_DUPLICATE)).isZero();
    assertThat(function.count(Outcome.LONE)).isEqualTo(1);
    assertThat(keys()).isEmpty();
    harness.close();
  }

  private static void send(KeyedOneInputStreamOperatorTestHarness<String, AccessLogRecord, EdgeEvent> harness, AccessLogRecord r)
      throws Exception {
    harness.processElement(new StreamRecord<>(r, r.getStartTimeUnixNano() / 1_000_000));
  }

  private List<String> keys() {
    try (Stream<String> keys = operator.<String>getKeyedStateBackend().getKeys("access-log-pairing", VoidNamespace.INSTANCE)) {
      return keys.toList();
    }
  }
}
