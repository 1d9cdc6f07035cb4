package io.switchyard.flinkjobs.mesh;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.flinkjobs.graph.PairingConfig.TimeDomain;
import io.switchyard.model.v1.AccessLogRecord;
import io.switchyard.model.v1.AccessLogRecord.Protocol;
import io.switchyard.model.v1.AccessLogRecord.Reporter;
import java.time.Duration;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;

/**
 * Writes the snapshot that {@code AccessLogPairingSavepointUpgradeTest} restores: the access-log pairing
 * on RocksDB with one request paired (its dedupe memory and timer left), one caller's report and one
 * callee's report waiting, each with its timer. The committed file was written by the build before the
 * sweep (main at 15c9338: a timer per request, {@code PairState} without {@code timer}, no memory after
 * the wait, which the constructor took no argument for), from the
 * repository root of that checkout with this class on its test class path:
 *
 * <pre>java -cp flink-jobs/target/classes:flink-jobs/target/test-classes:$(cat cp) \
 *     io.switchyard.flinkjobs.mesh.WaitingRequestsSnapshot flink-jobs/src/test/resources/savepoints/access-log-pairing/timer-per-request-rocksdb.snapshot</pre>
 */
public final class WaitingRequestsSnapshot {
  static final long T0 = 1_700_000_000_000L;
  static final Duration WAIT = Duration.ofSeconds(10);

  private WaitingRequestsSnapshot() {}

  static AccessLogRecord report(String requestId, boolean source, long startMs) {
    AccessLogRecord.Builder b = AccessLogRecord.newBuilder().setRequestId(requestId)
        .setAuthority("cart.shop.svc.cluster.local:8080").setDestinationService("cart.shop.svc.cluster.local")
        .setProtocol(Protocol.PROTOCOL_HTTP).setGrpcStatus(-1).setResponseCode(200).setStartTimeUnixNano(startMs * 1_000_000);
    if (source) {
      return b.setReporter(Reporter.REPORTER_SOURCE).setSourceWorkload("frontend").setSourceNamespace("shop")
          .setUpstreamCluster("outbound|8080||cart.shop.svc.cluster.local").setDurationMicros(900).build();
    }
    return b.setReporter(Reporter.REPORTER_DESTINATION).setSourcePrincipal("spiffe://cluster.local/ns/shop/sa/frontend")
        .setDestinationWorkload("cart-v1").setDestinationNamespace("shop").setUpstreamCluster("inbound|8080||")
        .setDurationMicros(700).build();
  }

  public static void main(String[] args) throws Exception {
    var harness = new KeyedOneInputStreamOperatorTestHarness<String, AccessLogRecord, EdgeEvent>(
        new AccessLogPairingOperator(WAIT, Duration.ZERO, TimeDomain.EVENT), AccessLogPairing::key, Types.STRING);
    harness.setStateBackend(new EmbeddedRocksDBStateBackend());
    harness.open();
    harness.processWatermark(new Watermark(T0));
    for (AccessLogRecord r : new AccessLogRecord[] {
        report("paired", true, T0 + 1_000), report("paired", false, T0 + 1_000), // due T0 + 11 s
        report("caller-waits", true, T0 + 2_000), // due T0 + 12 s
        report("callee-waits", false, T0 + 3_000)}) { // due T0 + 13 s
      harness.processElement(new StreamRecord<>(r, r.getStartTimeUnixNano() / 1_000_000));
    }
    harness.processWatermark(new Watermark(T0 + 4_000));
    harness.prepareSnapshotPreBarrier(1);
    OperatorSnapshotUtil.writeStateHandle(harness.snapshot(1, 1), args[0]);
    System.out.println("edges before the snapshot: " + harness.extractOutputValues());
    harness.close();
  }
}
