package io.switchyard.flinkjobs.mesh;

import static io.switchyard.flinkjobs.mesh.WaitingRequestsSnapshot.T0;
import static io.switchyard.flinkjobs.mesh.WaitingRequestsSnapshot.WAIT;
import static io.switchyard.flinkjobs.mesh.WaitingRequestsSnapshot.report;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.flinkjobs.graph.PairingConfig.TimeDomain;
import io.switchyard.flinkjobs.mesh.AccessLogPairing.Outcome;
import io.switchyard.model.v1.AccessLogRecord;
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

/** Expiry of the access-log pairing in event time: timers only while a report waits, the rest swept. */
class AccessLogPairingSweepTest {
  private AccessLogPairing function;
  private AccessLogPairingOperator operator;

  private KeyedOneInputStreamOperatorTestHarness<String, AccessLogRecord, EdgeEvent> open(OperatorSubtaskState restore)
      throws Exception {
    function = new AccessLogPairing(WAIT, TimeDomain.EVENT);
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
  void aPairedRequestHoldsNoTimerAndIsSweptAfterItsWait() throws Exception {
    var harness = open(null);
    harness.processWatermark(new Watermark(T0)); // starts the first walk: the next is due at T0 + 10 s
    send(harness, report("r1", true, T0 + 1_000));
    send(harness, report("r1", false, T0 + 1_000));
    harness.processWatermark(new Watermark(T0 + 2_000));
    assertThat(harness.extractOutputValues()).hasSize(1);
    assertThat(harness.numEventTimeTimers()).isZero();
    assertThat(keys()).hasSize(1);

    send(harness, report("r1", true, T0 + 1_000)); // within the wait: a duplicate
    harness.processWatermark(new Watermark(T0 + 10_999));
    assertThat(function.count(Outcome.DROPPED_DUPLICATE)).isEqualTo(1);
    assertThat(operator.walksStarted()).isEqualTo(2);
    assertThat(keys()).hasSize(1); // its wait ends at T0 + 11 s

    harness.processWatermark(new Watermark(T0 + 11_000)); // the wait is over, but no walk is due yet
    assertThat(keys()).hasSize(1);
    send(harness, report("r1", true, T0 + 1_000)); // so the same report is new again, as its timer had it
    // It waits, on a wait the watermark has passed: its timer counts it alone at the next watermark.
    harness.processWatermark(new Watermark(T0 + 11_001));
    assertThat(function.count(Outcome.DROPPED_DUPLICATE)).isEqualTo(1);
    assertThat(function.count(Outcome.LONE)).isEqualTo(1);
    assertThat(harness.numEventTimeTimers()).isZero();
    assertThat(keys()).isEmpty();
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
    assertThat(keys()).isEmpty();
    harness.close();
  }

  @Test
  void memoryThatRanOutBeforeASnapshotStaysGoneAfterTheRestore() throws Exception {
    var harness = open(null);
    harness.processWatermark(new Watermark(T0)); // a walk now, the next at T0 + 10 s
    send(harness, report("r1", true, T0 - 5_000));
    send(harness, report("r1", false, T0 - 5_000)); // paired, memory until T0 + 5 s
    harness.processWatermark(new Watermark(T0 + 6_000));
    assertThat(keys()).hasSize(1); // ran out, not swept yet
    harness.prepareSnapshotPreBarrier(1);
    OperatorSubtaskState snapshot = harness.snapshot(1, 1);
    harness.close();

    harness = open(snapshot); // its watermark starts over
    send(harness, report("r1", true, T0 - 5_000));
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
