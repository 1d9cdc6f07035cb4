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
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;
import org.junit.jupiter.api.Test;

/**
 * A snapshot of the build before the sweep (a timer per request, {@code PairState} without its
 * {@code timer} field; see {@link WaitingRequestsSnapshot}) restored into the swept operator on
 * RocksDB: the restored timers still fire once and do what they did (count a waiting report alone),
 * a waiting report pairs with a partner sent after the restore, and a paired request's dedupe memory
 * drops a duplicate within its wait and, since session 16, for the memory after it (the earlier build
 * deleted the key at its wait's end; restored, its keys are remembered like the new build's). Nothing
 * is counted twice and nothing is left in the state at the end.
 */
class AccessLogPairingSavepointUpgradeTest {
  private static final String FIXTURE = "src/test/resources/savepoints/access-log-pairing/timer-per-request-rocksdb.snapshot";

  @Test
  void theEarlierBuildsWaitingRequestsAndTimersCarryOn() throws Exception {
    OperatorSubtaskState earlier = OperatorSnapshotUtil.readStateHandle(FIXTURE);
    AccessLogPairing function = new AccessLogPairing(WAIT, Duration.ofMinutes(1), TimeDomain.EVENT);
    AccessLogPairingOperator operator = new AccessLogPairingOperator(function, AccessLogPairingOperator.MAX_HELD, 1);
    var harness = new KeyedOneInputStreamOperatorTestHarness<String, AccessLogRecord, EdgeEvent>(
        operator, AccessLogPairing::key, Types.STRING);
    harness.setStateBackend(new EmbeddedRocksDBStateBackend());
    harness.initializeState(earlier);
    harness.open();
    assertThat(keys(operator)).containsExactlyInAnyOrder("paired", "caller-waits", "callee-waits");
    // The field the earlier build lacked restores as "a timer deletes this key": that build set one at every due.
    operator.setCurrentKey(AccessLogPairing.key(report("paired", true, T0)));
    assertThat(operator.getKeyedStateBackend().getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE,
        function.stateDescriptor()).value().timer).isTrue();

    send(harness, report("paired", true, T0 + 1_000)); // a duplicate, within the paired request's wait
    send(harness, report("caller-waits", false, T0 + 5_000)); // the waiting caller's partner
    harness.processWatermark(new Watermark(T0 + 5_000));
    List<EdgeEvent> edges = harness.extractOutputValues();
    assertThat(edges).singleElement().satisfies(e -> {
      assertThat(e.clientLatencySeconds).isEqualTo(900e-6);
      assertThat(e.serverLatencySeconds).isEqualTo(700e-6);
    });
    assertThat(function.count(Outcome.DROPPED_DUPLICATE)).isEqualTo(1);

    // The earlier build's timers: T0+11 s ends the wait of "paired", T0+12 s of "caller-waits" (paired
    // since), and T0+13 s counts the callee's report alone, at its wait's end.
    harness.processWatermark(new Watermark(T0 + 13_000));
    assertThat(harness.getOutput().stream().filter(o -> o instanceof StreamRecord<?>).skip(1).toList())
        .singleElement().satisfies(o -> {
          StreamRecord<?> r = (StreamRecord<?>) o;
          assertThat(r.getTimestamp()).isEqualTo(T0 + 13_000);
          assertThat(((EdgeEvent) r.getValue()).clientLatencySeconds).isEqualTo(-1.0);
        });
    assertThat(harness.numEventTimeTimers()).isZero(); // remembered now without a timer, swept later
    assertThat(keys(operator)).containsExactlyInAnyOrder("paired", "caller-waits", "callee-waits");

    // Past its wait the paired request's duplicate is still dropped: it is remembered after its wait.
    send(harness, report("paired", true, T0 + 1_000));
    send(harness, report("callee-waits", false, T0 + 3_000));
    harness.processWatermark(new Watermark(Long.MAX_VALUE));
    assertThat(function.count(Outcome.PAIRED)).isEqualTo(1);
    assertThat(function.count(Outcome.LONE)).isEqualTo(1);
    assertThat(function.count(Outcome.DROPPED_DUPLICATE)).isEqualTo(3);
    assertThat(keys(operator)).isEmpty();
    harness.close();
  }

  private static void send(KeyedOneInputStreamOperatorTestHarness<String, AccessLogRecord, EdgeEvent> harness, AccessLogRecord r)
      throws Exception {
    harness.processElement(new StreamRecord<>(r, r.getStartTimeUnixNano() / 1_000_000));
  }

  private static List<String> keys(AccessLogPairingOperator operator) {
    try (Stream<String> keys = operator.<String>getKeyedStateBackend().getKeys("access-log-pairing", VoidNamespace.INSTANCE)) {
      return keys.map(k -> k.substring(0, k.indexOf('\n'))).toList();
    }
  }
}
