package io.switchyard.flinkjobs.mesh;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.flinkjobs.graph.PairingConfig.TimeDomain;
import io.switchyard.flinkjobs.mesh.AccessLogPairing.Outcome;
import io.switchyard.model.v1.AccessLogRecord;
import io.switchyard.model.v1.AccessLogRecord.Protocol;
import io.switchyard.model.v1.AccessLogRecord.Reporter;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AccessLogPairingTest {
  private static final long T0 = 1_700_000_000_000L;
  private static final Duration WAIT = Duration.ofSeconds(10);
  /** Short, so that a watermark a minute on has deleted every key. */
  private static final Duration MEMORY = Duration.ofSeconds(30);
  private AccessLogPairing pairing;
  private KeyedOneInputStreamOperatorTestHarness<String, AccessLogRecord, EdgeEvent> harness;

  private void start(TimeDomain domain) throws Exception {
    create(domain);
    harness.open();
  }

  private void create(TimeDomain domain) throws Exception {
    pairing = new AccessLogPairing(WAIT, MEMORY, domain);
    harness = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(pairing), AccessLogPairing::key, Types.STRING);
  }

  @AfterEach
  void close() throws Exception {
    if (harness != null) {
      harness.close();
    }
  }

  /**
   * The caller's outbound report as the demo and an Istio without peer-metadata logging send it: no
   * destination workload, so the reporter rule alone would count it too.
   */
  private static AccessLogRecord.Builder sourceReport(String requestId, long startMs) {
    return AccessLogRecord.newBuilder().setReporter(Reporter.REPORTER_SOURCE).setRequestId(requestId)
        .setSourceWorkload("frontend").setSourceNamespace("shop").setAuthority("cart.shop.svc.cluster.local:8080")
        .setDestinationService("cart.shop.svc.cluster.local").setUpstreamCluster("outbound|8080||cart.shop.svc.cluster.local")
        .setProtocol(Protocol.PROTOCOL_HTTP).setResponseCode(200).setGrpcStatus(-1)
        .setStartTimeUnixNano(startMs * 1_000_000).setDurationMicros(30_000);
  }

  /** The callee's inbound report of the same request: it knows itself, its caller only by address and SPIFFE id. */
  private static AccessLogRecord.Builder destinationReport(String requestId, long startMs) {
    return AccessLogRecord.newBuilder().setReporter(Reporter.REPORTER_DESTINATION).setRequestId(requestId)
        .setSourcePrincipal("spiffe://cluster.local/ns/shop/sa/frontend").setSourceAddress("10.0.0.7:41000")
        .setAuthority("cart.shop.svc.cluster.local:8080").setDestinationService("cart.shop.svc.cluster.local")
        .setDestinationWorkload("cart-v2").setDestinationNamespace("shop").setDestinationVersion("v2")
        .setUpstreamCluster("inbound|8080||").setProtocol(Protocol.PROTOCOL_HTTP).setResponseCode(503).setResponseFlags("UC")
        .setGrpcStatus(-1).setStartTimeUnixNano((startMs + 1) * 1_000_000).setDurationMicros(25_000);
  }

  private void send(AccessLogRecord.Builder r) throws Exception {
    AccessLogRecord record = r.build();
    harness.processElement(new StreamRecord<>(record, record.getStartTimeUnixNano() / 1_000_000));
  }

  private List<EdgeEvent> edges() {
    return harness.extractOutputValues();
  }

  private static void assertPaired(EdgeEvent e) {
    assertThat(e.clientName).isEqualTo("frontend");
    assertThat(e.clientWorkload).isEqualTo("frontend");
    assertThat(e.serverName).isEqualTo("cart");
    assertThat(e.serverWorkload).isEqualTo("cart-v2");
    assertThat(e.serverVersion).isEqualTo("v2");
    assertThat(e.clientLatencySeconds).isEqualTo(0.030);
    assertThat(e.serverLatencySeconds).isEqualTo(0.025);
    assertThat(e.responseClass).isEqualTo("5xx");
    assertThat(e.responseFlags).isEqualTo("UC");
    assertThat(e.failed).isTrue();
    assertThat(e.timestampMs).isEqualTo(T0);
  }

  @Test
  void bothReportsOfOneRequestMakeOneEdgeWithTheSourceClientAndTheDestinationServerAndOutcome() throws Exception {
    start(TimeDomain.EVENT);
    send(sourceReport("r1", T0));
    assertThat(edges()).isEmpty();
    send(destinationReport("r1", T0));
    assertThat(edges()).hasSize(1);
    assertPaired(edges().get(0));
    harness.processWatermark(new Watermark(T0 + 60_000));
    assertThat(edges()).hasSize(1);
    assertThat(pairing.count(Outcome.PAIRED)).isEqualTo(1);
    assertThat(harness.numKeyedStateEntries()).isZero();
  }

  @Test
  void pairedReportsNameTheCallerByServiceAndKeepTheSubsetTheDestinationDoesNotKnow() throws Exception {
    start(TimeDomain.EVENT);
    send(destinationReport("r1", T0).clearDestinationVersion());
    send(sourceReport("r1", T0).setSourceWorkload("frontend-v4").setSourceService("frontend").setSourceVersion("v4")
        .setDestinationVersion("v2").setUpstreamCluster("outbound|8080|v2|cart.shop.svc.cluster.local"));
    EdgeEvent e = edges().get(0);
    assertThat(edges()).hasSize(1);
    assertThat(e.clientName).isEqualTo("frontend");
    assertThat(e.clientWorkload).isEqualTo("frontend-v4");
    assertThat(e.clientVersion).isEqualTo("v4");
    assertThat(e.serverName).isEqualTo("cart");
    assertThat(e.serverWorkload).isEqualTo("cart-v2");
    assertThat(e.serverVersion).isEqualTo("v2");
  }

  @Test
  void destinationReportFirstPairsTheSame() throws Exception {
    start(TimeDomain.EVENT);
    send(destinationReport("r1", T0));
    send(sourceReport("r1", T0));
    assertThat(edges()).hasSize(1);
    assertPaired(edges().get(0));
  }

  @Test
  void aLoneReportCountsOnceByItselfWhenTheWaitEnds() throws Exception {
    start(TimeDomain.EVENT);
    send(sourceReport("r1", T0));
    send(destinationReport("r2", T0));
    harness.processWatermark(new Watermark(T0 + WAIT.toMillis() - 1));
    assertThat(edges()).isEmpty();
    harness.processWatermark(new Watermark(T0 + WAIT.toMillis() + 1));
    assertThat(edges()).hasSize(2);
    EdgeEvent source = edges().stream().filter(e -> e.clientLatencySeconds > 0).findFirst().orElseThrow();
    assertThat(source.clientName).isEqualTo("frontend");
    assertThat(source.serverName).isEqualTo("cart");
    assertThat(source.serverLatencySeconds).isNegative();
    assertThat(source.responseClass).isEqualTo("2xx");
    EdgeEvent destination = edges().stream().filter(e -> e.serverLatencySeconds > 0).findFirst().orElseThrow();
    assertThat(destination.clientName).isEqualTo("frontend"); // the service account of its SPIFFE id
    assertThat(destination.clientWorkload).isEmpty();
    assertThat(destination.clientLatencySeconds).isNegative();
    assertThat(pairing.count(Outcome.LONE)).isEqualTo(2);
    assertThat(harness.numKeyedStateEntries()).isEqualTo(2); // remembered, to drop late copies
    // The partner of a report that counted alone, arriving after the wait (an ingest backlog): the request
    // counted once already, so this one is not counted again.
    send(destinationReport("r1", T0));
    harness.processWatermark(new Watermark(T0 + 2 * WAIT.toMillis() + 2));
    assertThat(edges()).hasSize(2);
    assertThat(pairing.count(Outcome.LATE_PARTNER)).isEqualTo(1);
    harness.processWatermark(new Watermark(T0 + 2 * WAIT.toMillis() + 1 + MEMORY.toMillis()));
    assertThat(harness.numKeyedStateEntries()).isZero();
  }

  @Test
  void processingTimeWaitEndsOnTheWallClockWithoutWatermarks() throws Exception {
    start(TimeDomain.PROCESSING);
    harness.setProcessingTime(5_000);
    send(sourceReport("r1", T0));
    harness.setProcessingTime(5_000 + WAIT.toMillis() - 1);
    assertThat(edges()).isEmpty();
    harness.setProcessingTime(5_000 + WAIT.toMillis());
    assertThat(edges()).hasSize(1);
    send(sourceReport("r1", T0)); // a copy, after the wait: remembered on the wall clock too
    harness.setProcessingTime(5_000 + WAIT.toMillis() + MEMORY.toMillis() - 1);
    assertThat(edges()).hasSize(1);
    assertThat(pairing.count(Outcome.DROPPED_DUPLICATE)).isEqualTo(1);
    harness.setProcessingTime(5_000 + WAIT.toMillis() + MEMORY.toMillis());
    assertThat(harness.numKeyedStateEntries()).isZero();
  }

  @Test
  void duplicatesOfEitherReportAreDroppedBeforeAndAfterPairing() throws Exception {
    start(TimeDomain.EVENT);
    send(sourceReport("r1", T0));
    send(sourceReport("r1", T0));
    send(destinationReport("r1", T0));
    send(destinationReport("r1", T0));
    send(sourceReport("r1", T0));
    harness.processWatermark(new Watermark(T0 + 60_000));
    assertThat(edges()).hasSize(1);
    assertPaired(edges().get(0));
    assertThat(pairing.count(Outcome.DROPPED_DUPLICATE)).isEqualTo(3);
  }

  /** Copies of a request's reports after its wait: {@code copies} are sent, in that order, a wait and a bit later. */
  private void copiesAfterTheWaitAreDropped(List<Boolean> reports, List<Boolean> copies, int edges) throws Exception {
    start(TimeDomain.EVENT);
    for (boolean source : reports) {
      send(source ? sourceReport("r1", T0) : destinationReport("r1", T0));
    }
    harness.processWatermark(new Watermark(T0 + WAIT.toMillis() + 1_000));
    assertThat(edges()).hasSize(edges);
    for (boolean source : copies) {
      send(source ? sourceReport("r1", T0) : destinationReport("r1", T0));
    }
    harness.processWatermark(new Watermark(T0 + 2 * WAIT.toMillis() + 1_000));
    assertThat(edges()).as("one count per request, copies dropped").hasSize(edges);
    assertThat(pairing.count(Outcome.DROPPED_DUPLICATE)).isEqualTo(copies.size());
    harness.processWatermark(new Watermark(T0 + 1 + WAIT.toMillis() + MEMORY.toMillis()));
    assertThat(harness.numKeyedStateEntries()).isZero();
  }

  @Test
  void copiesOfAPairedRequestsReportsAfterTheWaitAreDroppedEitherOrderEitherOrBothSides() throws Exception {
    for (List<Boolean> order : List.of(List.of(true, false), List.of(false, true))) {
      for (List<Boolean> copies : List.of(List.of(true), List.of(false), List.of(true, false), List.of(false, true))) {
        copiesAfterTheWaitAreDropped(order, copies, 1);
        assertPaired(edges().get(0));
        assertThat(pairing.count(Outcome.PAIRED)).isEqualTo(1);
        close();
      }
    }
    harness = null;
  }

  @Test
  void aCopyOfALoneReportAfterItCountedAloneIsDropped() throws Exception {
    for (boolean source : new boolean[] {true, false}) {
      copiesAfterTheWaitAreDropped(List.of(source), List.of(source), 1);
      assertThat(pairing.count(Outcome.LONE)).isEqualTo(1);
      close();
    }
    harness = null;
  }

  @Test
  void aCopyAfterTheMemoryCountsAgain() throws Exception {
    start(TimeDomain.EVENT);
    send(sourceReport("r1", T0));
    send(destinationReport("r1", T0));
    harness.processWatermark(new Watermark(T0 + WAIT.toMillis() + MEMORY.toMillis())); // the memory runs out
    send(sourceReport("r1", T0));
    harness.processWatermark(new Watermark(T0 + WAIT.toMillis() + MEMORY.toMillis() + 1));
    assertThat(edges()).hasSize(2); // the request once paired, its late copy again alone
    assertThat(pairing.count(Outcome.LONE)).isEqualTo(1);
    assertThat(pairing.count(Outcome.DROPPED_DUPLICATE)).isZero();
  }

  @Test
  void repeatedCallsOnOneRequestIdAndAuthorityEachCountOnce() throws Exception {
    start(TimeDomain.EVENT);
    // One request tree calls cart twice with the propagated x-request-id, then its reports come in any order.
    send(sourceReport("tree", T0));
    send(sourceReport("tree", T0 + 100));
    send(destinationReport("tree", T0));
    send(destinationReport("tree", T0 + 100));
    harness.processWatermark(new Watermark(T0 + 60_000));
    assertThat(edges()).hasSize(2);
    assertThat(edges().stream().mapToDouble(e -> e.weight).sum()).isEqualTo(2.0);
  }

  @Test
  void hopsOfOneRequestTreeSharingTheRequestIdPairPerAuthority() throws Exception {
    start(TimeDomain.EVENT);
    send(sourceReport("tree", T0));
    send(sourceReport("tree", T0).setAuthority("payments.shop.svc.cluster.local:8080"));
    send(destinationReport("tree", T0));
    assertThat(edges()).hasSize(1);
    harness.processWatermark(new Watermark(T0 + 60_000));
    assertThat(edges()).hasSize(2);
    assertThat(pairing.count(Outcome.PAIRED)).isEqualTo(1);
    assertThat(pairing.count(Outcome.LONE)).isEqualTo(1);
  }

  @Test
  void recordsWithoutRequestIdKeepTheReporterRuleAndNoState() throws Exception {
    start(TimeDomain.EVENT);
    send(sourceReport("", T0)); // destination unknown: counts from the source
    send(sourceReport("", T0).setDestinationWorkload("cart-v2")); // the destination's record counts instead
    send(destinationReport("", T0));
    assertThat(edges()).hasSize(2);
    assertThat(pairing.count(Outcome.REPORTER_RULE)).isEqualTo(3);
    assertThat(harness.numKeyedStateEntries()).isZero();
  }

  /** The caller's TCP log of one connection: no request id, no peer metadata (no mTLS), so no destination workload. */
  private static AccessLogRecord.Builder tcpSourceReport(int clientPort, long startMs) {
    return AccessLogRecord.newBuilder().setReporter(Reporter.REPORTER_SOURCE).setProtocol(Protocol.PROTOCOL_TCP)
        .setSourceWorkload("frontend").setSourceNamespace("shop").setDestinationService("db.shop.svc.cluster.local")
        .setUpstreamCluster("outbound|5432||db.shop.svc.cluster.local").setGrpcStatus(-1)
        .setConnectionClientAddress("10.0.0.7:" + clientPort).setConnectionServerAddress("10.0.0.9:5432")
        .setStartTimeUnixNano(startMs * 1_000_000).setDurationMicros(2_000_000).setRequestBytes(100).setResponseBytes(900);
  }

  /** The callee's TCP log of the same connection, the caller's ephemeral port as its downstream. */
  private static AccessLogRecord.Builder tcpDestinationReport(int clientPort, long startMs) {
    return AccessLogRecord.newBuilder().setReporter(Reporter.REPORTER_DESTINATION).setProtocol(Protocol.PROTOCOL_TCP)
        .setSourceAddress("10.0.0.7:" + clientPort).setDestinationService("db.shop.svc.cluster.local")
        .setDestinationWorkload("db-v1").setDestinationNamespace("shop").setUpstreamCluster("inbound|5432||").setGrpcStatus(-1)
        .setConnectionClientAddress("10.0.0.7:" + clientPort).setConnectionServerAddress("10.0.0.9:5432")
        .setStartTimeUnixNano((startMs + 1) * 1_000_000).setDurationMicros(1_990_000).setRequestBytes(100).setResponseBytes(900);
  }

  @Test
  void bothSidecarsLogsOfOneTcpConnectionCountOnce() throws Exception {
    start(TimeDomain.EVENT);
    send(tcpSourceReport(41000, T0));
    send(tcpDestinationReport(41000, T0));
    send(tcpDestinationReport(41001, T0)); // the next connection, from the same caller
    send(tcpSourceReport(41001, T0));
    harness.processWatermark(new Watermark(T0 + 60_000));
    assertThat(edges()).hasSize(2);
    assertThat(edges().stream().mapToDouble(e -> e.weight).sum()).isEqualTo(2.0);
    for (EdgeEvent e : edges()) {
      assertThat(e.protocol).isEqualTo("tcp");
      assertThat(e.clientName).isEqualTo("frontend");
      assertThat(e.serverName).isEqualTo("db");
      assertThat(e.serverWorkload).isEqualTo("db-v1");
      assertThat(e.clientLatencySeconds).isEqualTo(2.0);
      assertThat(e.serverLatencySeconds).isEqualTo(1.99);
      assertThat(e.failed).isFalse();
    }
    assertThat(pairing.count(Outcome.PAIRED)).isEqualTo(2);
    assertThat(pairing.count(Outcome.REPORTER_RULE)).isZero();
    assertThat(harness.numKeyedStateEntries()).isZero();
  }

  @Test
  void aTcpConnectionOnlyOneSidecarLoggedCountsOnceAfterTheWait() throws Exception {
    start(TimeDomain.EVENT);
    send(tcpSourceReport(41000, T0)); // the destination's log was lost (ALS is lossy)
    harness.processWatermark(new Watermark(T0 + WAIT.toMillis() + 1));
    assertThat(edges()).hasSize(1);
    assertThat(edges().get(0).serverName).isEqualTo("db");
    assertThat(pairing.count(Outcome.LONE)).isEqualTo(1);
  }

  @Test
  void tcpLogsWithoutTheConnectionsPortsKeepTheReporterRule() throws Exception {
    start(TimeDomain.EVENT);
    send(tcpSourceReport(41000, T0).clearConnectionClientAddress());
    send(tcpDestinationReport(41000, T0).setConnectionServerAddress("10.0.0.9"));
    assertThat(edges()).hasSize(2); // the old double count, only for inputs that cannot say which connection
    assertThat(pairing.count(Outcome.REPORTER_RULE)).isEqualTo(2);
    assertThat(harness.numKeyedStateEntries()).isZero();
  }

  @Test
  void httpRecordsWithoutRequestIdDoNotPairByConnection() throws Exception {
    start(TimeDomain.EVENT);
    // Requests on one kept-alive HTTP connection share its addresses: they keep the reporter rule, no state.
    send(sourceReport("", T0).setConnectionClientAddress("10.0.0.7:41000").setConnectionServerAddress("10.0.0.9:8080"));
    send(destinationReport("", T0).setConnectionClientAddress("10.0.0.7:41000").setConnectionServerAddress("10.0.0.9:8080"));
    send(destinationReport("", T0 + 5).setConnectionClientAddress("10.0.0.7:41000").setConnectionServerAddress("10.0.0.9:8080"));
    assertThat(pairing.count(Outcome.REPORTER_RULE)).isEqualTo(3);
    assertThat(harness.numKeyedStateEntries()).isZero();
  }

  @Test
  void trafficLeavingTheMeshCountsAtOnceWithoutWaiting() throws Exception {
    start(TimeDomain.EVENT);
    send(sourceReport("r1", T0).setUpstreamCluster("PassthroughCluster").setAuthority("api.stripe.com"));
    assertThat(edges()).hasSize(1);
    assertThat(edges().get(0).serverName).isEqualTo("cart");
    assertThat(harness.numKeyedStateEntries()).isZero();
  }

  /** Snapshots the event-time harness and continues in a new one restored from it. */
  private void restart() throws Exception {
    var snapshot = harness.snapshot(1, 1);
    harness.close();
    create(TimeDomain.EVENT);
    harness.initializeState(snapshot);
    harness.open();
  }

  @Test
  void aWaitingReportSurvivesASnapshotAndPairsAfterTheRestore() throws Exception {
    start(TimeDomain.EVENT);
    send(sourceReport("r1", T0));
    restart();
    send(destinationReport("r1", T0));
    harness.processWatermark(new Watermark(T0 + 60_000));
    assertThat(edges()).hasSize(1);
    assertPaired(edges().get(0));
  }

  @Test
  void theMemoryOfACountedRequestSurvivesASnapshot() throws Exception {
    start(TimeDomain.EVENT);
    send(sourceReport("r1", T0));
    send(destinationReport("r1", T0));
    harness.processWatermark(new Watermark(T0 + WAIT.toMillis() + 1));
    restart();
    send(destinationReport("r1", T0));
    harness.processWatermark(new Watermark(T0 + 60_000));
    assertThat(edges()).isEmpty();
    assertThat(pairing.count(Outcome.DROPPED_DUPLICATE)).isEqualTo(1);
    assertThat(harness.numKeyedStateEntries()).isZero();
  }

  @Test
  void pairStateHasFlinksPojoSerializerNotKryo() {
    var type = org.apache.flink.api.common.typeinfo.TypeInformation.of(AccessLogPairing.PairState.class);
    assertThat(type).isInstanceOf(org.apache.flink.api.java.typeutils.PojoTypeInfo.class);
    var config = new org.apache.flink.api.common.serialization.SerializerConfigImpl();
    config.setGenericTypes(false);
    assertThat(type.createSerializer(config)).isInstanceOf(org.apache.flink.api.java.typeutils.runtime.PojoSerializer.class);
  }
}
