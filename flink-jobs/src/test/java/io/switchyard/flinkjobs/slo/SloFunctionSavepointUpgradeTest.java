package io.switchyard.flinkjobs.slo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.switchyard.flinkjobs.serde.ProtoTypeInfo;
import io.switchyard.model.v1.SloAlertRecord;
import io.switchyard.model.v1.SloStatusRecord;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A snapshot of slo-evaluation taken by an earlier build (commit e95cbfa, before calendar windows, RatioTimeslices,
 * OpenSLO alert policies and folded periods changed the operator; its state then had no {@code slo-breaching} and
 * no {@code slo-folded}) restored into this build on RocksDB, as a savepoint of that build is. The earlier build was
 * fed SloFunctionTest's hand-computed series up to minute 61 (checkout-availability, 99.9 % over 30 days; minutes
 * 1-60 at 100 requests without errors, minute 61 with 20 of 100 failed) and had fired ticket-1d and ticket-3d.
 * Restored, the definition comes from the broadcast state alone, the counts go on from the earlier build's and its
 * firing alerts stay fired, so the rest of the series gives exactly what an uninterrupted run gives.
 *
 * <p>The fixture was written by a harness test on a checkout of e95cbfa (the series above fed through
 * {@code new SloFunction(AlertPolicy.DEFAULT, Duration.ofMinutes(1))} on {@link EmbeddedRocksDBStateBackend},
 * {@code OperatorSnapshotUtil.writeStateHandle(harness.snapshot(1, 1), path)}). Keep it old.
 */
class SloFunctionSavepointUpgradeTest {
  private static final String FIXTURE = "src/test/resources/savepoints/slo-evaluation/e95cbfa-rocksdb.snapshot";
  private static final long T0 = SloFunctionTest.T0;

  private KeyedBroadcastOperatorTestHarness<String, SliSample, SloDefinitionChange, SloStatusRecord> harness;

  @BeforeEach
  void restore() throws Exception {
    harness = SloFunctionTest.newHarness();
    harness.setStateBackend(new EmbeddedRocksDBStateBackend());
    harness.setup(ProtoTypeInfo.forMessage(SloStatusRecord.class).createSerializer(new SerializerConfigImpl()));
    harness.initializeState(OperatorSnapshotUtil.readStateHandle(FIXTURE));
    harness.open();
    harness.processBroadcastWatermark(new Watermark(Long.MAX_VALUE - 1));
  }

  @AfterEach
  void stop() throws Exception {
    harness.close();
  }

  private void feed(int m, double total, double failed) throws Exception {
    SliSample s = SloFunctionTest.minute(m, total, failed);
    harness.processElement(new StreamRecord<>(s, s.windowEndMs - 1));
    harness.processWatermark(new Watermark(s.windowEndMs - 1));
  }

  /** Alert transitions since the restore, as "alert fired|resolved @minute". */
  private List<String> transitions() {
    var side = harness.getSideOutput(SloFunction.ALERTS);
    return side == null ? List.of() : side.stream().map(StreamRecord::getValue).map(a -> a.getAlert().getName()
        + (a.getAlert().getFiring() ? " fired @" : " resolved @") + (a.getTransitionUnixMs() - T0) / 60_000L).toList();
  }

  private SloStatusRecord lastStatus() {
    List<SloStatusRecord> out = harness.extractOutputValues();
    return out.get(out.size() - 1);
  }

  @Test
  void theEarlierBuildsCountsAndFiringAlertsCarryOnAsInAnUninterruptedRun() throws Exception {
    // Minute 62, 20 % errors again: 6h window 40 / 6200 -> 6.45 > 6, 30m window 40 / 3000 -> 13.3 > 6: page-6h fires.
    // The tickets fired before the snapshot and do not fire again.
    feed(62, 100, 20);
    assertThat(transitions()).containsExactly("page-6h fired @62");
    SloAlertRecord page6h = harness.getSideOutput(SloFunction.ALERTS).peek().getValue();
    assertThat(page6h.getLongBurnRate()).isCloseTo(40.0 / 6200 / 0.001, within(1e-9));
    assertThat(page6h.getShortBurnRate()).isCloseTo(40.0 / 3000 / 0.001, within(1e-9));
    SloStatusRecord s62 = lastStatus();
    assertThat(s62.getName()).isEqualTo("checkout-availability");
    assertThat(s62.getTotalEvents()).isEqualTo(6200);
    assertThat(s62.getGoodEvents()).isEqualTo(6160);
    assertThat(s62.getAlertsList()).filteredOn(a -> a.getName().startsWith("ticket-")).hasSize(2).allSatisfy(a -> {
      assertThat(a.getFiring()).isTrue();
      assertThat(a.getSinceUnixMs()).isEqualTo(T0 + 61 * 60_000L);
    });

    // Minutes 63, 64: the 1h window's 60 and 80 bad of 6000 burn 10x and 13.3x, under 14.4x. Minute 65: 100 / 6000 ->
    // 16.7x, the 5m window 100 / 500 -> 200x: page-1h fires.
    feed(63, 100, 20);
    feed(64, 100, 20);
    feed(65, 100, 20);
    assertThat(transitions()).containsExactly("page-6h fired @62", "page-1h fired @65");
    SloStatusRecord s65 = lastStatus();
    assertThat(s65.getTotalEvents()).isEqualTo(6500);
    assertThat(s65.getGoodEvents()).isEqualTo(6400);
    assertThat(s65.getErrorBudgetRemaining()).isCloseTo(1 - (100.0 / 6500) / 0.001, within(1e-9));

    // Clean minutes 66-70: at 70 the 5m window holds no error and page-1h resolves; the others still burn.
    for (int m = 66; m <= 70; m++) {
      feed(m, 100, 0);
    }
    assertThat(transitions()).containsExactly("page-6h fired @62", "page-1h fired @65", "page-1h resolved @70");
  }
}
