package io.switchyard.flinkjobs.graph;

import static io.switchyard.flinkjobs.graph.Spans.span;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.flinkjobs.graph.ServiceGraphFunction.Outcome;
import io.switchyard.model.v1.NodeRef.NodeKind;
import io.switchyard.model.v1.SpanRecord;
import io.switchyard.model.v1.SpanRecord.SpanKind;
import io.switchyard.model.v1.SpanRecord.StatusCode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ServiceGraphFunctionTest {
  private static final long T0 = 1_700_000_000_000L;
  private ServiceGraphFunction function;
  private KeyedOneInputStreamOperatorTestHarness<String, TraceSpans, EdgeEvent> harness;

  private void start(PairingConfig config) throws Exception {
    start(config, false);
  }

  private void start(PairingConfig config, boolean rocksDb) throws Exception {
    ServiceGraphOperator operator = new ServiceGraphOperator(config);
    function = operator.function();
    harness = new KeyedOneInputStreamOperatorTestHarness<>(operator, TraceSpans::key, Types.STRING);
    if (rocksDb) {
      harness.setStateBackend(new EmbeddedRocksDBStateBackend());
    }
    harness.open();
  }

  private void start() throws Exception {
    start(PairingConfig.defaults());
  }

  /** Snapshots the operator, closes it and opens a new one (default config) from that snapshot at wall-clock {@code nowMs}. */
  private void restartFromSnapshot(long nowMs) throws Exception {
    var snapshot = harness.snapshot(1, 1);
    harness.close();
    ServiceGraphOperator operator = new ServiceGraphOperator(PairingConfig.defaults());
    function = operator.function();
    harness = new KeyedOneInputStreamOperatorTestHarness<>(operator, TraceSpans::key, Types.STRING);
    harness.setProcessingTime(nowMs);
    harness.setStateTtlProcessingTime(nowMs);
    harness.initializeState(snapshot);
    harness.open();
  }

  @AfterEach
  void close() throws Exception {
    harness.close();
  }

  private void send(SpanRecord.Builder s) throws Exception {
    SpanRecord r = s.build();
    harness.processElement(new StreamRecord<>(single(r), r.getEndTimeUnixNano() / 1_000_000));
  }

  private static TraceSpans single(SpanRecord r) {
    return TraceSpans.of(r.getTraceId().toByteArray(), r.toByteArray(), r.getEndTimeUnixNano() / 1_000_000);
  }

  /** Spans of one trace in one record, as the batcher behind the source hands them on. */
  private void sendTogether(SpanRecord.Builder... spans) throws Exception {
    TraceSpans batch = Spans.batch(Arrays.stream(spans).map(SpanRecord.Builder::build).toArray(SpanRecord[]::new));
    harness.processElement(new StreamRecord<>(batch, batch.timestamp()));
  }

  private List<EdgeEvent> edges() {
    return harness.extractOutputValues();
  }

  @Test
  void aServerErrorResponseFailsTheEdgeEvenWhenNoSpanHasStatusError() throws Exception {
    start();
    send(span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 120));
    send(span(1, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0 + 10, 100).setHttpStatusCode(503));
    send(span(2, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 120).setRpcGrpcStatusCode(14));
    send(span(2, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0 + 10, 100));
    send(span(3, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 120));
    send(span(3, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0 + 10, 100).setHttpStatusCode(404));
    send(span(4, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 120));
    send(span(4, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0 + 10, 100).setRpcGrpcStatusCode(0));

    assertThat(edges()).extracting(e -> e.failed).containsExactly(true, true, false, false);
  }

  @Test
  void anOkGrpcCallIsClassedGrpc0WithoutKeptAttributesAndACallWithoutAStatusIsUnclassed() throws Exception {
    start();
    // Ingest leaves rpc_grpc_status_code at 0 (not on the wire) for OK and writes -1 when the attribute is absent.
    send(span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 120));
    send(span(1, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0 + 10, 100).setRpcGrpcStatusCode(0));
    send(span(2, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 120));
    send(span(2, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0 + 10, 100).setRpcGrpcStatusCode(14));
    send(span(3, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 120));
    send(span(3, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0 + 10, 100));

    assertThat(edges()).extracting(e -> e.responseClass).containsExactly("grpc_0", "grpc_14", "");
  }

  @Test
  void envoyResponseFlagsComeFromTheServerSpanElseTheClientSpanAsTheAccessLogsOutcomeDoes() throws Exception {
    start();
    // Both sidecars flagged: the server's count, as its response code does.
    send(span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 120).setHttpStatusCode(504).setResponseFlags("UT"));
    send(span(1, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0 + 10, 100).setResponseFlags("DC"));
    // Only the caller's sidecar flagged (the server's "-" arrives empty from ingest).
    send(span(2, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 120).setHttpStatusCode(503).setResponseFlags("UF,URX"));
    send(span(2, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0 + 10, 100).setHttpStatusCode(200));
    // No flags on either side.
    send(span(3, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 120));
    send(span(3, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0 + 10, 100));
    // A root server span and a client span whose server never comes keep their own.
    send(span(4, 1, 0, "frontend", SpanKind.SPAN_KIND_SERVER, T0, 5).setHttpStatusCode(429).setResponseFlags("RL"));
    send(span(5, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 80).setPeerService("payments-api")
        .setHttpStatusCode(503).setResponseFlags("UH"));
    harness.processWatermark(new Watermark(T0 + 80 + 10_000));

    assertThat(edges()).extracting(e -> e.serverName + " " + e.responseFlags).containsExactly(
        "checkout DC", "checkout UF,URX", "checkout ", "frontend RL", "payments-api UH");
  }

  @Test
  void pairsClientThenServerIntoOneEdgeWithBothLatencies() throws Exception {
    start();
    send(span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 120));
    assertThat(edges()).isEmpty();
    send(span(1, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0 + 10, 100).setHttpStatusCode(200));

    assertThat(edges()).singleElement().satisfies(e -> {
      assertThat(e.clientName).isEqualTo("frontend");
      assertThat(e.serverName).isEqualTo("checkout");
      assertThat(e.connectionType).isEmpty();
      assertThat(e.clientLatencySeconds).isEqualTo(0.12);
      assertThat(e.serverLatencySeconds).isEqualTo(0.1);
      assertThat(e.responseClass).isEqualTo("2xx");
      assertThat(e.failed).isFalse();
      assertThat(e.timestampMs).isEqualTo(T0);
    });
    assertThat(function.count(Outcome.PAIRED)).isEqualTo(1);
  }

  @Test
  void pairsServerThenClientTheSameWay() throws Exception {
    start();
    send(span(1, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0 + 10, 100));
    assertThat(edges()).isEmpty();
    send(span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 120));
    assertThat(edges()).singleElement().satisfies(e -> {
      assertThat(e.clientName).isEqualTo("frontend");
      assertThat(e.serverName).isEqualTo("checkout");
      assertThat(e.clientLatencySeconds).isEqualTo(0.12);
      assertThat(e.serverLatencySeconds).isEqualTo(0.1);
    });
    // Nothing left to expire.
    harness.processWatermark(new Watermark(T0 + 3_600_000));
    assertThat(edges()).hasSize(1);
    assertThat(function.count(Outcome.EXPIRED_CLIENT) + function.count(Outcome.EXPIRED_SERVER)).isZero();
  }

  @Test
  void errorOnEitherSideFailsTheRequestOnce() throws Exception {
    start();
    send(span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 50).setStatus(StatusCode.STATUS_CODE_ERROR));
    send(span(1, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0, 40).setStatus(StatusCode.STATUS_CODE_ERROR));
    send(span(2, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 50));
    send(span(2, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0, 40).setStatus(StatusCode.STATUS_CODE_ERROR));
    send(span(3, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 50));
    send(span(3, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0, 40).setStatus(StatusCode.STATUS_CODE_OK));
    assertThat(edges()).extracting(e -> e.failed).containsExactly(true, true, false);
  }

  @Test
  void unmatchedClientExpiresIntoVirtualServerNamedByPeerAttributeKeepingClientLatency() throws Exception {
    start();
    send(span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 80).setPeerService("payments-api"));
    send(span(2, 20, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 80));
    harness.processWatermark(new Watermark(T0 + 80 + 9_999));
    assertThat(edges()).isEmpty();
    harness.processWatermark(new Watermark(T0 + 80 + 10_000));

    assertThat(edges()).hasSize(2);
    EdgeEvent named = edges().stream().filter(e -> e.serverName.equals("payments-api")).findFirst().orElseThrow();
    assertThat(named.serverKind).isEqualTo(NodeKind.NODE_KIND_VIRTUAL_VALUE);
    assertThat(named.connectionType).isEqualTo(SpanEdges.CONNECTION_VIRTUAL);
    assertThat(named.clientLatencySeconds).isEqualTo(0.08);
    assertThat(named.serverLatencySeconds).isNegative(); // not observed, not a fake zero
    EdgeEvent unknown = edges().stream().filter(e -> e.serverName.equals("unknown")).findFirst().orElseThrow();
    assertThat(unknown.serverKind).isEqualTo(NodeKind.NODE_KIND_UNKNOWN_VALUE);
    assertThat(function.count(Outcome.EXPIRED_CLIENT)).isEqualTo(2);
  }

  @Test
  void rootServerBecomesUserEdgeAtOnceAndOrphanServerIsDroppedAtExpiry() throws Exception {
    start();
    send(span(1, 1, 0, "frontend", SpanKind.SPAN_KIND_SERVER, T0, 200));
    assertThat(edges()).singleElement().satisfies(e -> {
      assertThat(e.clientName).isEqualTo("user");
      assertThat(e.clientKind).isEqualTo(NodeKind.NODE_KIND_USER_VALUE);
      assertThat(e.serverName).isEqualTo("frontend");
      assertThat(e.serverLatencySeconds).isEqualTo(0.2);
      assertThat(e.clientLatencySeconds).isNegative();
    });
    send(span(2, 5, 4, "checkout", SpanKind.SPAN_KIND_SERVER, T0, 10)); // parent is an INTERNAL span
    harness.processWatermark(new Watermark(T0 + 60_000));
    assertThat(edges()).hasSize(1);
    assertThat(function.count(Outcome.EXPIRED_SERVER)).isEqualTo(1);
    assertThat(function.count(Outcome.ROOT_SERVER)).isEqualTo(1);
  }

  @Test
  void duplicateSpansCountOnce() throws Exception {
    start();
    send(span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 50));
    send(span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 50));
    send(span(1, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0, 40));
    // Redelivered after the pair completed: must not pair again nor become an orphan edge.
    send(span(1, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0, 40));
    send(span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 50));
    harness.processWatermark(new Watermark(T0 + 60_000));
    assertThat(edges()).hasSize(1);
    assertThat(function.count(Outcome.DROPPED_DUPLICATE)).isEqualTo(3);
    assertThat(function.count(Outcome.EXPIRED_CLIENT) + function.count(Outcome.EXPIRED_SERVER)).isZero();
  }

  @Test
  void producerReadByThreeConsumersYieldsThreeMessagingEdgesWithQueueLatency() throws Exception {
    start();
    send(span(1, 11, 10, "billing", SpanKind.SPAN_KIND_CONSUMER, T0 + 100, 5)); // before the producer
    send(span(1, 10, 0, "orders", SpanKind.SPAN_KIND_PRODUCER, T0, 20).setMessagingSystem("kafka"));
    send(span(1, 12, 10, "shipping", SpanKind.SPAN_KIND_CONSUMER, T0 + 50, 5));
    send(span(1, 13, 10, "email", SpanKind.SPAN_KIND_CONSUMER, T0 + 70, 5));
    harness.processWatermark(new Watermark(T0 + 60_000));

    assertThat(edges()).extracting(e -> e.serverName).containsExactly("billing", "shipping", "email");
    assertThat(edges()).allSatisfy(e -> {
      assertThat(e.clientName).isEqualTo("orders");
      assertThat(e.connectionType).isEqualTo(SpanEdges.CONNECTION_MESSAGING);
      assertThat(e.protocol).isEqualTo("kafka");
    });
    assertThat(edges()).extracting(e -> e.messagingLatencySeconds).containsExactly(0.08, 0.03, 0.05);
    assertThat(function.count(Outcome.EXPIRED_CLIENT)).isZero(); // a matched producer expires silently
  }

  /** A producer span of trace {@code trace}: span 10, produced at T0 for 20 ms onto {@code orders-q}. */
  private static SpanRecord.Builder producer(long trace) {
    return span(trace, 10, 0, "orders", SpanKind.SPAN_KIND_PRODUCER, T0, 20).setMessagingSystem("kafka")
        .setMessagingDestination("orders-q");
  }

  /** A consumer of {@link #producer}'s message reading it {@code lagMs} after the producer's end. */
  private static SpanRecord.Builder consumer(long trace, long spanId, String service, long lagMs) {
    return span(trace, spanId, 10, service, SpanKind.SPAN_KIND_CONSUMER, T0 + 20 + lagMs, 5);
  }

  @Test
  void aConsumerReadingLongAfterThePairingWaitStillMakesAMessagingEdgeWithItsQueueLatency() throws Exception {
    start(); // pairing wait 10 s, messaging wait 4 min
    send(producer(1));
    send(producer(2));
    harness.processWatermark(new Watermark(T0 + 25_000)); // an RPC client would have expired by now
    assertThat(edges()).isEmpty();
    send(consumer(1, 11, "billing", 25_000));
    harness.processWatermark(new Watermark(T0 + 200_000));
    send(consumer(2, 11, "billing", 200_000)); // 3 min 20 s in the queue
    harness.processWatermark(new Watermark(T0 + 3_600_000));

    assertThat(edges()).extracting(e -> e.messagingLatencySeconds).containsExactly(25.0, 200.0);
    assertThat(edges()).allSatisfy(e -> {
      assertThat(e.clientName).isEqualTo("orders");
      assertThat(e.serverName).isEqualTo("billing");
      assertThat(e.connectionType).isEqualTo(SpanEdges.CONNECTION_MESSAGING);
      assertThat(e.timestampMs).isEqualTo(T0); // the producer's window, updated late (allowed lateness 5 min)
    });
    assertThat(function.count(Outcome.PAIRED)).isEqualTo(2);
    assertThat(function.count(Outcome.EXPIRED_CLIENT) + function.count(Outcome.EXPIRED_SERVER)).isZero();
  }

  @Test
  void fanOutAtDifferentLagsMakesOneEdgeEachAndAnUnreadMessageOneVirtualEdgeAtTheMessagingWaitsEnd() throws Exception {
    start();
    send(producer(1));
    send(consumer(1, 11, "billing", 1_000));
    send(producer(2)); // nobody reads this one
    send(span(3, 10, 0, "orders", SpanKind.SPAN_KIND_CLIENT, T0, 20).setPeerService("payments")); // RPC: 10 s
    harness.processWatermark(new Watermark(T0 + 20 + 10_000));
    assertThat(edges()).extracting(e -> e.serverName).containsExactly("billing", "payments");
    send(consumer(1, 12, "shipping", 30_000));
    harness.processWatermark(new Watermark(T0 + 120_000));
    send(consumer(1, 13, "email", 180_000));
    harness.processWatermark(new Watermark(T0 + 20 + 240_000 - 1));
    assertThat(edges()).extracting(e -> e.serverName).containsExactly("billing", "payments", "shipping", "email");
    assertThat(function.count(Outcome.EXPIRED_CLIENT)).isEqualTo(1); // the RPC client only

    harness.processWatermark(new Watermark(T0 + 20 + 240_000));
    harness.processWatermark(new Watermark(T0 + 3_600_000));
    assertThat(edges()).hasSize(5);
    assertThat(edges().get(4)).satisfies(e -> {
      assertThat(e.clientName).isEqualTo("orders");
      assertThat(e.serverName).isEqualTo("orders-q");
      assertThat(e.connectionType).isEqualTo(SpanEdges.CONNECTION_VIRTUAL);
      assertThat(e.timestampMs).isEqualTo(T0);
    });
    assertThat(edges().subList(0, 4)).extracting(e -> e.messagingLatencySeconds).containsExactly(1.0, -1.0, 30.0, 180.0);
    assertThat(function.count(Outcome.EXPIRED_CLIENT)).isEqualTo(2);
    assertThat(function.count(Outcome.EXPIRED_SERVER)).isZero();
    assertThat(harness.numEventTimeTimers()).isZero();
  }

  /** A link to span {@code spanId} of trace {@code trace}. */
  private static SpanRecord.Link link(long trace, long spanId) {
    return SpanRecord.Link.newBuilder().setTraceId(Spans.id(trace, 16)).setSpanId(Spans.id(spanId, 8)).build();
  }

  /** A root CONSUMER span of {@code service} in trace 9 (span 90), started at {@code startMs}, linking {@code links}. */
  private static SpanRecord.Builder batchConsumer(String service, long startMs, SpanRecord.Link... links) {
    return span(9, 90, 0, service, SpanKind.SPAN_KIND_CONSUMER, startMs, 5).addAllLinks(Arrays.asList(links));
  }

  /** Ingest's copy of a linking consumer for trace {@code linkedTrace}, batched under that trace as the source batches it. */
  private void sendLinkCopy(SpanRecord.Builder consumer, long linkedTrace) throws Exception {
    SpanRecord r = consumer.clone().setLinkedTraceId(Spans.id(linkedTrace, 16)).build();
    TraceSpans copy = TraceSpans.of(Spans.id(linkedTrace, 16).toByteArray(), r.toByteArray(), r.getEndTimeUnixNano() / 1_000_000);
    harness.processElement(new StreamRecord<>(copy, copy.timestamp()));
  }

  @Test
  void aBatchConsumerLinkingMessagesOfSeveralTracesMakesOneMessagingEdgePerMessageAndNoUserEdge() throws Exception {
    start();
    send(producer(1));
    send(producer(2));
    send(span(3, 20, 0, "payments", SpanKind.SPAN_KIND_PRODUCER, T0 + 5, 10).setMessagingSystem("kafka"));
    SpanRecord.Builder consumer = batchConsumer("billing", T0 + 1_020, link(1, 10), link(2, 10), link(3, 20));
    send(consumer); // its own trace: a root consumer, but its callers are the producers it links
    sendLinkCopy(consumer, 1);
    sendLinkCopy(consumer, 2);
    sendLinkCopy(consumer, 3);
    harness.processWatermark(new Watermark(T0 + 3_600_000));

    assertThat(edges()).extracting(e -> e.clientName + "->" + e.serverName)
        .containsExactly("orders->billing", "orders->billing", "payments->billing");
    assertThat(edges()).allSatisfy(e -> assertThat(e.connectionType).isEqualTo(SpanEdges.CONNECTION_MESSAGING));
    assertThat(edges()).extracting(e -> e.messagingLatencySeconds).containsExactly(1.0, 1.0, 1.005);
    assertThat(edges()).extracting(e -> e.timestampMs).containsExactly(T0, T0, T0 + 5); // each producer's window
    assertThat(function.count(Outcome.PAIRED)).isEqualTo(3);
    assertThat(function.count(Outcome.ROOT_SERVER) + function.count(Outcome.EXPIRED_SERVER)).isZero();
    assertThat(function.count(Outcome.EXPIRED_CLIENT)).isZero();
  }

  @Test
  void aLinkedConsumerBeforeItsProducerWaitsUnderTheLinkedSpanAcrossARestore() throws Exception {
    start();
    SpanRecord.Builder consumer = batchConsumer("billing", T0 + 2_020, link(1, 10), link(2, 10));
    sendLinkCopy(consumer, 1); // delivered before the producers
    sendLinkCopy(consumer, 2);
    harness.processWatermark(new Watermark(T0 + 3_000));
    restartFromSnapshot(0);
    send(producer(1));
    sendLinkCopy(consumer, 1); // a redelivery, after the restore
    harness.processWatermark(new Watermark(T0 + 3_600_000));

    assertThat(edges()).extracting(e -> e.clientName + "->" + e.serverName).containsExactly("orders->billing");
    assertThat(edges().get(0).messagingLatencySeconds).isEqualTo(2.0);
    assertThat(function.count(Outcome.DROPPED_DUPLICATE)).isEqualTo(1);
    assertThat(function.count(Outcome.EXPIRED_SERVER)).isEqualTo(1); // trace 2's producer never came
    assertThat(function.count(Outcome.EXPIRED_CLIENT)).isZero(); // producer 1 met its consumer
  }

  @Test
  void aConsumerLinkingTwoMessagesOfOneTraceMakesTwoEdgesAndRedeliveriesCountOnce() throws Exception {
    start();
    send(producer(1));
    send(span(1, 11, 0, "orders", SpanKind.SPAN_KIND_PRODUCER, T0 + 10, 20).setMessagingSystem("kafka"));
    SpanRecord.Builder consumer = batchConsumer("billing", T0 + 1_030, link(1, 10), link(1, 11));
    sendLinkCopy(consumer, 1);
    sendLinkCopy(consumer, 1);
    send(consumer);
    send(consumer);
    harness.processWatermark(new Watermark(T0 + 3_600_000));

    assertThat(edges()).extracting(e -> e.messagingLatencySeconds).containsExactly(1.01, 1.0);
    assertThat(function.count(Outcome.PAIRED)).isEqualTo(2);
    assertThat(function.count(Outcome.DROPPED_DUPLICATE)).isEqualTo(3); // both links of the second copy, and the
                                                                        // second own record
  }

  @Test
  void aConsumerWhoseParentIsALinkedProducerPairsWithItOnceAndWithItsOtherLinksInItsOwnTrace() throws Exception {
    start();
    send(producer(1));
    send(span(1, 11, 0, "orders", SpanKind.SPAN_KIND_PRODUCER, T0 + 10, 20).setMessagingSystem("kafka"));
    send(consumer(1, 12, "billing", 1_000).addLinks(link(1, 10)).addLinks(link(1, 11)));
    harness.processWatermark(new Watermark(T0 + 3_600_000));

    assertThat(edges()).extracting(e -> e.clientName + "->" + e.serverName).containsExactly("orders->billing", "orders->billing");
    assertThat(function.count(Outcome.PAIRED)).isEqualTo(2);
    assertThat(function.count(Outcome.EXPIRED_CLIENT)).isZero();
  }

  @Test
  void aConsumerBeforeItsProducerWaitsThePairingWaitLikeAnyServer() throws Exception {
    start();
    // Delivered before its producer (an exporter's delay), within the pairing wait: one edge.
    send(consumer(1, 11, "billing", 40_000));
    harness.processWatermark(new Watermark(T0 + 45_000));
    send(producer(1));
    // Delivered more than the pairing wait before its producer: the consumer is dropped, the producer waits
    // its own wait in vain and counts as a virtual edge, as an RPC server and client would.
    send(consumer(2, 11, "billing", 40_000));
    harness.processWatermark(new Watermark(T0 + 45_000 + 10_000)); // its wait started at the watermark
    assertThat(function.count(Outcome.EXPIRED_SERVER)).isEqualTo(1);
    send(producer(2));
    harness.processWatermark(new Watermark(T0 + 3_600_000));

    assertThat(edges()).extracting(e -> e.connectionType)
        .containsExactly(SpanEdges.CONNECTION_MESSAGING, SpanEdges.CONNECTION_VIRTUAL);
    assertThat(edges().get(0).messagingLatencySeconds).isEqualTo(40.0);
    assertThat(function.count(Outcome.EXPIRED_CLIENT)).isEqualTo(1);
  }

  @Test
  void redeliveriesDuringAndAfterTheMessagingWaitCountOnce() throws Exception {
    start(); // dedupe TTL 10 min, measured from the end of the producer's wait
    send(producer(1));
    send(consumer(1, 11, "billing", 30_000));
    send(producer(1)); // during the wait
    harness.processWatermark(new Watermark(T0 + 120_000));
    send(consumer(1, 11, "billing", 30_000));
    send(consumer(1, 12, "shipping", 120_000));
    harness.processWatermark(new Watermark(T0 + 20 + 240_000 + 300_000)); // the wait ended 5 min ago
    sendTogether(producer(1), consumer(1, 11, "billing", 30_000), consumer(1, 12, "shipping", 120_000));
    harness.processWatermark(new Watermark(T0 + 3_600_000));

    assertThat(edges()).extracting(e -> e.serverName).containsExactly("billing", "shipping");
    assertThat(function.count(Outcome.DROPPED_DUPLICATE)).isEqualTo(5);
    assertThat(function.count(Outcome.EXPIRED_CLIENT) + function.count(Outcome.EXPIRED_SERVER)).isZero();
  }

  @Test
  void aProducerRestoredInTheMiddleOfItsWaitStillMeetsItsLateConsumers() throws Exception {
    start();
    send(producer(1));
    send(consumer(1, 11, "billing", 20_000));
    send(producer(2));
    harness.processWatermark(new Watermark(T0 + 60_000));
    restartFromSnapshot(0);
    send(consumer(1, 12, "shipping", 150_000));
    send(producer(1)); // still a duplicate after the restore
    harness.processWatermark(new Watermark(T0 + 20 + 240_000 - 1));
    assertThat(edges()).extracting(e -> e.serverName).containsExactly("shipping");
    harness.processWatermark(new Watermark(T0 + 3_600_000));

    assertThat(edges()).extracting(e -> e.serverName).containsExactly("shipping", "orders-q");
    assertThat(edges().get(0).messagingLatencySeconds).isEqualTo(150.0);
    assertThat(function.count(Outcome.DROPPED_DUPLICATE)).isEqualTo(1);
    assertThat(function.count(Outcome.EXPIRED_CLIENT)).isEqualTo(1); // producer 2; producer 1 had consumers
  }

  @Test
  void inProcessingTimeAProducerWaitsTheMessagingWaitOnTheWallClock() throws Exception {
    start(new PairingConfig(Duration.ofSeconds(2), Duration.ofSeconds(30), PairingConfig.TimeDomain.PROCESSING,
        Duration.ofMinutes(1), PairingConfig.DEFAULT_PEER_ATTRIBUTES));
    harness.setProcessingTime(1_000);
    send(producer(1));
    send(producer(2));
    send(span(3, 10, 0, "orders", SpanKind.SPAN_KIND_CLIENT, T0, 20).setPeerService("payments"));
    harness.setProcessingTime(3_000);
    assertThat(edges()).extracting(e -> e.serverName).containsExactly("payments");
    harness.setProcessingTime(25_000);
    send(consumer(1, 11, "billing", 24_000));
    harness.setProcessingTime(30_999);
    assertThat(edges()).extracting(e -> e.serverName).containsExactly("payments", "billing");
    harness.setProcessingTime(31_000);
    assertThat(edges()).extracting(e -> e.serverName).containsExactly("payments", "billing", "orders-q");
    assertThat(harness.numProcessingTimeTimers()).isZero();
  }

  @Test
  void databaseClientSpanCompletesAtOnce() throws Exception {
    start();
    send(span(1, 10, 0, "checkout", SpanKind.SPAN_KIND_CLIENT, T0, 7).setDbSystem("postgresql").setDbName("orders"));
    assertThat(edges()).singleElement().satisfies(e -> {
      assertThat(e.serverName).isEqualTo("orders");
      assertThat(e.serverKind).isEqualTo(NodeKind.NODE_KIND_VIRTUAL_VALUE);
      assertThat(e.connectionType).isEqualTo(SpanEdges.CONNECTION_DATABASE);
      assertThat(e.clientLatencySeconds).isEqualTo(0.007);
      assertThat(e.serverLatencySeconds).isEqualTo(0.007);
    });
    assertThat(function.count(Outcome.DATABASE)).isEqualTo(1);
  }

  @Test
  void samplingProbabilityScalesTheWeight() throws Exception {
    start();
    send(span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 50).setSamplingProbability(0.25));
    send(span(1, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0, 40).setSamplingProbability(0.25));
    assertThat(edges()).singleElement().satisfies(e -> assertThat(e.weight).isEqualTo(4.0));
  }

  @Test
  void spansWithoutServiceNameAndInternalSpansNeverMakeEdges() throws Exception {
    start();
    send(span(1, 10, 0, "", SpanKind.SPAN_KIND_CLIENT, T0, 50));
    send(span(1, 12, 0, "frontend", SpanKind.SPAN_KIND_INTERNAL, T0, 50));
    harness.processWatermark(new Watermark(T0 + 60_000));
    assertThat(edges()).isEmpty();
    assertThat(function.count(Outcome.DROPPED_NO_SERVICE)).isEqualTo(1);
  }

  @Test
  void processingTimeWaitExpiresOnTheWallClock() throws Exception {
    start(new PairingConfig(Duration.ofSeconds(2), Duration.ofSeconds(2), PairingConfig.TimeDomain.PROCESSING,
        Duration.ofMinutes(1), PairingConfig.DEFAULT_PEER_ATTRIBUTES));
    harness.setProcessingTime(1_000);
    send(span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 50).setServerAddress("api.example.com"));
    harness.setProcessingTime(2_999);
    assertThat(edges()).isEmpty();
    harness.setProcessingTime(3_000);
    assertThat(edges()).singleElement().satisfies(e -> assertThat(e.serverName).isEqualTo("api.example.com"));
  }

  @Test
  void pendingStateSurvivesASnapshotAndRestore() throws Exception {
    start();
    send(span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 50));
    restartFromSnapshot(0);
    send(span(1, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0, 40));
    send(span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 50)); // still a duplicate after restore
    assertThat(edges()).singleElement().satisfies(e -> assertThat(e.serverName).isEqualTo("checkout"));
    assertThat(function.count(Outcome.DROPPED_DUPLICATE)).isEqualTo(1);
  }

  @Test
  void aTraceKeepsOneTimerWhileItWaitsAndNoneOnceItIsOnlyRemembered() throws Exception {
    start();
    send(span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 50));
    send(span(1, 20, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0 + 5, 50)); // same trace: the one timer stays
    assertThat(harness.numEventTimeTimers()).isEqualTo(1);
    send(span(1, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0, 40));
    send(span(1, 21, 20, "cart", SpanKind.SPAN_KIND_SERVER, T0, 40));
    assertThat(edges()).hasSize(2);
    // Nothing waits: the expiry timer is gone; the dedupe memory is swept later, with no timer of its own.
    assertThat(harness.numEventTimeTimers()).isZero();
    assertThat(harness.numKeyedStateEntries()).isEqualTo(1);
  }

  @Test
  void aCompletedTraceIsForgottenOnThePairingClockOnceTheDedupeTtlPassed() throws Exception {
    start(new PairingConfig(Duration.ofSeconds(10), Duration.ofSeconds(10), PairingConfig.TimeDomain.EVENT,
        Duration.ofMinutes(1), PairingConfig.DEFAULT_PEER_ATTRIBUTES));
    send(span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 50));
    send(span(1, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0 + 10, 40));
    harness.processWatermark(new Watermark(T0 + 59_000));
    send(span(1, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0 + 10, 40)); // redelivered within the TTL
    assertThat(function.count(Outcome.DROPPED_DUPLICATE)).isEqualTo(1);
    assertThat(harness.numKeyedStateEntries()).isEqualTo(1);
    // Remembered at least the TTL (1 min) after the last span, at most 1.5 TTL (here a walk is one slice).
    harness.processWatermark(new Watermark(T0 + 50 + 90_000));
    assertThat(harness.numKeyedStateEntries()).isZero();
    assertThat(harness.numEventTimeTimers()).isZero();
    assertThat(edges()).hasSize(1);
  }

  @Test
  void aSweepJustBeforeTheTtlEndsKeepsTheTraceAndALateOutOfOrderSpanNeverShortensIt() throws Exception {
    start(new PairingConfig(Duration.ofSeconds(10), Duration.ofSeconds(10), PairingConfig.TimeDomain.EVENT,
        Duration.ofMinutes(1), PairingConfig.DEFAULT_PEER_ATTRIBUTES));
    sendTogether(span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 50),
        span(1, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0 + 10, 40));
    // A root server of the same trace, older than the pair: its own span time must not pull the forgetting forward.
    send(span(1, 30, 0, "frontend", SpanKind.SPAN_KIND_SERVER, T0 - 30_000, 10));
    harness.processWatermark(new Watermark(T0 + 60_049)); // sweeps: the pair's TTL ends at T0 + 60,050
    send(span(1, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0 + 10, 40));
    assertThat(function.count(Outcome.DROPPED_DUPLICATE)).isEqualTo(1);
    assertThat(harness.numKeyedStateEntries()).isEqualTo(1);
    harness.processWatermark(new Watermark(T0 + 90_048)); // before the next sweep is due (half a TTL later)
    assertThat(harness.numKeyedStateEntries()).isEqualTo(1);
    harness.processWatermark(new Watermark(T0 + 90_049));
    assertThat(harness.numKeyedStateEntries()).isZero();
    send(span(1, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0 + 10, 40)); // forgotten: waits as new
    assertThat(function.count(Outcome.DROPPED_DUPLICATE)).isEqualTo(1);
    assertThat(harness.numEventTimeTimers()).isEqualTo(1);
  }

  @Test
  void inProcessingTimeCompletedTracesAreSweptOnTheWallClock() throws Exception {
    start(new PairingConfig(Duration.ofSeconds(2), Duration.ofSeconds(2), PairingConfig.TimeDomain.PROCESSING,
        Duration.ofMinutes(1), PairingConfig.DEFAULT_PEER_ATTRIBUTES));
    harness.setProcessingTime(1_000);
    sendTogether(span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 50),
        span(1, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0 + 10, 40));
    harness.setProcessingTime(31_000); // a sweep: the trace's TTL runs to 61,000
    send(span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 50));
    assertThat(function.count(Outcome.DROPPED_DUPLICATE)).isEqualTo(1);
    assertThat(harness.numKeyedStateEntries()).isEqualTo(1);
    harness.setProcessingTime(61_000);
    assertThat(harness.numKeyedStateEntries()).isZero();
    assertThat(harness.numProcessingTimeTimers()).isZero();
    assertThat(edges()).hasSize(1);
  }

  @Test
  void aWaitingSpanStillPairsWhenTheSnapshotIsRestoredLongAfterTheDedupeTtl() throws Exception {
    start();
    harness.setProcessingTime(0);
    harness.setStateTtlProcessingTime(0);
    send(span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 50));
    // Restored a day later on the wall clock; event time continues where it stopped.
    restartFromSnapshot(86_400_000L);
    send(span(1, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0 + 10, 40));
    assertThat(edges()).singleElement().satisfies(e -> {
      assertThat(e.clientName).isEqualTo("frontend");
      assertThat(e.serverName).isEqualTo("checkout");
    });
  }

  @Test
  void waitingSpanOutlivesTheDedupeTtlWhileEventTimeStalls() throws Exception {
    start(new PairingConfig(Duration.ofSeconds(10), Duration.ofSeconds(10), PairingConfig.TimeDomain.EVENT,
        Duration.ofMinutes(1), PairingConfig.DEFAULT_PEER_ATTRIBUTES));
    harness.setProcessingTime(0);
    harness.setStateTtlProcessingTime(0);
    send(span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 50).setPeerService("payments"));
    for (long now = 10_000; now <= 200_000; now += 10_000) { // traffic stopped: no watermark for minutes
      harness.setStateTtlProcessingTime(now);
      harness.setProcessingTime(now);
    }
    harness.processWatermark(new Watermark(T0 + 60_000));
    assertThat(edges()).singleElement().satisfies(e -> assertThat(e.serverName).isEqualTo("payments"));
    assertThat(harness.numProcessingTimeTimers()).isZero();
  }

  @Test
  void clientAndServerInOneBatchPairWithNoTimerAtAll() throws Exception {
    start();
    sendTogether(span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 120),
        span(1, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0 + 10, 100).setHttpStatusCode(200));
    assertThat(edges()).singleElement().satisfies(e -> {
      assertThat(e.clientName).isEqualTo("frontend");
      assertThat(e.serverName).isEqualTo("checkout");
      assertThat(e.clientLatencySeconds).isEqualTo(0.12);
      assertThat(e.serverLatencySeconds).isEqualTo(0.1);
    });
    // Nothing waited, so no expiry timer was ever set, and the dedupe memory is swept without one.
    assertThat(harness.numEventTimeTimers()).isZero();
    assertThat(harness.numKeyedStateEntries()).isEqualTo(1);
  }

  @Test
  void duplicatesInsideABatchAndAfterItsPairCompletedCountOnce() throws Exception {
    start();
    sendTogether(span(1, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0, 40),
        span(1, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0, 40),
        span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 50));
    // A whole retried export later: both sides again, together.
    sendTogether(span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 50),
        span(1, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0, 40));
    harness.processWatermark(new Watermark(T0 + 60_000));
    assertThat(edges()).hasSize(1);
    assertThat(function.count(Outcome.DROPPED_DUPLICATE)).isEqualTo(3);
    assertThat(function.count(Outcome.EXPIRED_CLIENT) + function.count(Outcome.EXPIRED_SERVER)).isZero();
  }

  @Test
  void batchAppliesItsSpansInArrivalOrderLikeSingleSpans() throws Exception {
    start();
    // Fan-out in one batch: the consumer before its producer, two more after it.
    sendTogether(span(1, 11, 10, "billing", SpanKind.SPAN_KIND_CONSUMER, T0 + 100, 5),
        span(1, 10, 0, "orders", SpanKind.SPAN_KIND_PRODUCER, T0, 20).setMessagingSystem("kafka"),
        span(1, 12, 10, "shipping", SpanKind.SPAN_KIND_CONSUMER, T0 + 50, 5),
        span(1, 20, 0, "orders", SpanKind.SPAN_KIND_CLIENT, T0, 20).setPeerService("audit"));
    assertThat(edges()).extracting(e -> e.serverName).containsExactly("billing", "shipping");
    assertThat(harness.numEventTimeTimers()).isEqualTo(1); // producer and client still wait
    harness.processWatermark(new Watermark(T0 + 60_000));
    assertThat(edges()).extracting(e -> e.serverName).containsExactly("billing", "shipping", "audit");
  }

  @Test
  void malformedSpanBytesAreCountedAndTheRestOfTheBatchStillPairs() throws Exception {
    start();
    SpanRecord client = span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 50).build();
    SpanRecord server = span(1, 11, 10, "checkout", SpanKind.SPAN_KIND_SERVER, T0, 40).build();
    TraceSpans batch = single(client);
    batch.append(TraceSpans.of(client.getTraceId().toByteArray(), new byte[] {(byte) 0x12, 5, 1}, T0));
    batch.append(single(server));
    harness.processElement(new StreamRecord<>(batch, T0));
    assertThat(edges()).hasSize(1);
    assertThat(function.count(Outcome.DROPPED_MALFORMED)).isEqualTo(1);
  }

  // One hop frontend -> cart in an Istio mesh whose sidecars trace and whose applications are
  // instrumented: app CLIENT (1) -> sidecar's outbound CLIENT (2) -> cart's sidecar's inbound SERVER (3)
  // -> app SERVER (4), each the child of the one before. The sidecars name themselves "<app>.<namespace>" and tag
  // their spans with their canonical service and namespace, as Istio's do.

  private static SpanRecord.Builder appClient(long trace) {
    return span(trace, 1, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 100).setPeerService("cart");
  }

  private static SpanRecord.Builder sidecarClient(long trace) {
    return span(trace, 2, 1, "frontend.shop", SpanKind.SPAN_KIND_CLIENT, T0 + 5, 90)
        .setUpstreamCluster("outbound|8080||cart.shop.svc.cluster.local").setHttpStatusCode(200)
        .setIstioCanonicalService("frontend").setIstioNamespace("shop");
  }

  private static SpanRecord.Builder sidecarServer(long trace) {
    return span(trace, 3, 2, "cart.shop", SpanKind.SPAN_KIND_SERVER, T0 + 10, 80)
        .setUpstreamCluster("inbound|8080||").setHttpStatusCode(200)
        .setIstioCanonicalService("cart").setIstioNamespace("shop");
  }

  private static SpanRecord.Builder appServer(long trace) {
    return span(trace, 4, 3, "cart", SpanKind.SPAN_KIND_SERVER, T0 + 15, 70).setHttpStatusCode(200);
  }

  private static List<SpanRecord.Builder> hop(long trace) {
    return List.of(appClient(trace), sidecarClient(trace), sidecarServer(trace), appServer(trace));
  }

  /** The edge the sidecars' spans make, as the pairing makes it for a trace with no application spans. */
  private static EdgeEvent sidecarsEdge() {
    return Spans.paired(sidecarClient(1).build(), sidecarServer(1).build());
  }

  private static void permutations(List<Integer> prefix, List<Integer> rest, List<List<Integer>> out) {
    if (rest.isEmpty()) {
      out.add(prefix);
      return;
    }
    for (Integer next : rest) {
      List<Integer> p = new ArrayList<>(prefix);
      p.add(next);
      List<Integer> r = new ArrayList<>(rest);
      r.remove(next);
      permutations(p, r, out);
    }
  }

  private void fourSpanHopInEveryArrivalOrderMakesTheSidecarsEdgeOnly(boolean rocksDb) throws Exception {
    start(PairingConfig.defaults(), rocksDb);
    List<List<Integer>> orders = new ArrayList<>();
    permutations(List.of(), List.of(0, 1, 2, 3), orders);
    long trace = 0;
    for (List<Integer> order : orders) {
      for (int mode = 0; mode < 3; mode++) {
        trace++;
        List<SpanRecord.Builder> spans = new ArrayList<>();
        for (int i : order) {
          spans.add(hop(trace).get(i));
        }
        switch (mode) {
          case 0 -> {
            for (SpanRecord.Builder s : spans) {
              send(s);
            }
          }
          case 1 -> sendTogether(spans.toArray(SpanRecord.Builder[]::new));
          default -> {
            // Two batches, the second after the watermark moved on (within the pairing wait).
            sendTogether(spans.get(0), spans.get(1));
            harness.processWatermark(new Watermark(T0 + 5_000));
            sendTogether(spans.get(2), spans.get(3));
          }
        }
      }
    }
    harness.processWatermark(new Watermark(T0 + 3_600_000));

    assertThat(trace).isEqualTo(72);
    assertThat(edges()).hasSize(72).allSatisfy(e -> {
      assertThat(e).isEqualTo(sidecarsEdge());
      assertThat(e.clientName).isEqualTo("frontend"); // the canonical services, not the sidecars' service.name
      assertThat(e.serverName).isEqualTo("cart");
      assertThat(e.clientNamespace).isEqualTo("shop");
      assertThat(e.serverNamespace).isEqualTo("shop");
      assertThat(e.clientLatencySeconds).isEqualTo(0.09); // the proxies' latencies
      assertThat(e.serverLatencySeconds).isEqualTo(0.08);
    });
    assertThat(function.count(Outcome.PAIRED)).isEqualTo(72);
    assertThat(function.count(Outcome.PROXIED)).isEqualTo(144);
    assertThat(function.count(Outcome.EXPIRED_CLIENT) + function.count(Outcome.EXPIRED_SERVER)).isZero();
    assertThat(harness.numEventTimeTimers()).isZero();
  }

  @Test
  void appAndSidecarSpansOfOneHopMakeOneEdgeWhateverTheirOrderAndBatches() throws Exception {
    fourSpanHopInEveryArrivalOrderMakesTheSidecarsEdgeOnly(false);
  }

  @Test
  void appAndSidecarSpansOfOneHopMakeOneEdgeOnRocksDb() throws Exception {
    fourSpanHopInEveryArrivalOrderMakesTheSidecarsEdgeOnly(true);
  }

  @Test
  void appSpansLaterThanThePairingWaitAndAfterARestoreAreStillProxied() throws Exception {
    start();
    sendTogether(sidecarClient(1), sidecarServer(1));
    harness.processWatermark(new Watermark(T0 + 30_000)); // the proxies' pair is long complete
    send(appServer(1));
    send(appClient(1));
    sendTogether(sidecarServer(2), sidecarClient(2));
    assertThat(edges()).hasSize(2).allSatisfy(e -> assertThat(e).isEqualTo(sidecarsEdge()));
    assertThat(function.count(Outcome.PROXIED)).isEqualTo(2);
    restartFromSnapshot(T0);
    sendTogether(appClient(2), appServer(2));
    harness.processWatermark(new Watermark(T0 + 3_600_000));

    assertThat(edges()).isEmpty();
    assertThat(function.count(Outcome.PROXIED)).isEqualTo(2); // the markers came back with the trace
    assertThat(function.count(Outcome.EXPIRED_CLIENT) + function.count(Outcome.EXPIRED_SERVER)).isZero();
  }

  @Test
  void redeliveredAppAndSidecarSpansCountOnce() throws Exception {
    start();
    send(appClient(1));
    send(appServer(1));
    send(appClient(1));
    send(sidecarClient(1));
    send(appServer(1));
    send(sidecarClient(1));
    send(sidecarServer(1));
    sendTogether(hop(1).toArray(SpanRecord.Builder[]::new));
    harness.processWatermark(new Watermark(T0 + 3_600_000));

    assertThat(edges()).singleElement().isEqualTo(sidecarsEdge());
    assertThat(function.count(Outcome.PROXIED)).isEqualTo(2);
    assertThat(function.count(Outcome.DROPPED_DUPLICATE)).isEqualTo(7);
    assertThat(function.count(Outcome.EXPIRED_CLIENT) + function.count(Outcome.EXPIRED_SERVER)).isZero();
  }

  @Test
  void tracesWithoutAppSpansOrWithoutSidecarsPairAsBefore() throws Exception {
    start();
    // Sidecars only (the applications are not instrumented): the sidecar's CLIENT starts the trace.
    SpanRecord.Builder rootSidecarClient = sidecarClient(1).clearParentSpanId();
    send(sidecarServer(1));
    send(rootSidecarClient);
    // Applications only: an app CLIENT, a nested app CLIENT (an HTTP library under a service call), a server.
    send(span(2, 3, 2, "cart", SpanKind.SPAN_KIND_SERVER, T0 + 10, 80));
    send(span(2, 2, 1, "frontend", SpanKind.SPAN_KIND_CLIENT, T0 + 5, 90));
    send(span(2, 1, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 100).setPeerService("cart"));
    harness.processWatermark(new Watermark(T0 + 3_600_000));

    assertThat(edges()).containsExactly(
        Spans.paired(rootSidecarClient.build(), sidecarServer(1).build()),
        Spans.paired(span(2, 2, 1, "frontend", SpanKind.SPAN_KIND_CLIENT, T0 + 5, 90).build(),
            span(2, 3, 2, "cart", SpanKind.SPAN_KIND_SERVER, T0 + 10, 80).build()),
        SpanEdges.unmatchedClient(SpanFields.of(span(2, 1, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, T0, 100)
            .setPeerService("cart").build()), PairingConfig.DEFAULT_PEER_ATTRIBUTES));
    assertThat(function.count(Outcome.PROXIED)).isZero();
    assertThat(function.count(Outcome.EXPIRED_CLIENT)).isEqualTo(1);
  }

  @Test
  void aSidecarSpanKnownByAKeptComponentTagProxiesItsAppSpanAndAProxyChainKeepsEachProxysEdge() throws Exception {
    start();
    // No route at the sidecar: no cluster, so no upstream_cluster; component=proxy kept by --keep-attributes.
    send(appClient(1));
    send(span(1, 2, 1, "frontend.shop", SpanKind.SPAN_KIND_CLIENT, T0 + 5, 1).setHttpStatusCode(404)
        .putAttributes("component", "proxy").setIstioCanonicalService("frontend").setIstioNamespace("shop"));
    // Through an egress gateway: the sidecar's CLIENT and the gateway's CLIENT under it both stay edges.
    send(appClient(2));
    send(sidecarClient(2));
    send(span(2, 3, 2, "istio-egressgateway.istio-system", SpanKind.SPAN_KIND_CLIENT, T0 + 10, 80)
        .setUpstreamCluster("outbound|443||api.example.com").setServerAddress("api.example.com")
        .setIstioCanonicalService("istio-egressgateway").setIstioNamespace("istio-system"));
    harness.processWatermark(new Watermark(T0 + 3_600_000));

    assertThat(edges()).extracting(e -> e.clientName + " -> " + e.serverName).containsExactlyInAnyOrder(
        "frontend -> unknown", "frontend -> unknown", "istio-egressgateway -> api.example.com");
    assertThat(function.count(Outcome.PROXIED)).isEqualTo(2);
    assertThat(function.count(Outcome.EXPIRED_CLIENT)).isEqualTo(3);
  }

  @Test
  void sidecarsAloneNameTheHopByTheirCanonicalServicesAndOtherSpansKeepTheirServiceName() throws Exception {
    start();
    // Istio's sidecars tracing apps that are not instrumented: the hop is named as the access logs name it.
    sendTogether(sidecarClient(1), sidecarServer(1));
    // A plain Envoy (no Istio tags) and an application span that carries a canonical service tag of its own.
    sendTogether(span(2, 2, 1, "edge-proxy", SpanKind.SPAN_KIND_CLIENT, T0, 90).setUpstreamCluster("cart"),
        span(2, 3, 2, "cart", SpanKind.SPAN_KIND_SERVER, T0 + 10, 80).setIstioCanonicalService("cart-v2"));
    harness.processWatermark(new Watermark(T0 + 3_600_000));

    assertThat(edges()).extracting(e -> e.clientNamespace + "/" + e.clientName + " -> " + e.serverNamespace + "/" + e.serverName)
        .containsExactly("shop/frontend -> shop/cart", "/edge-proxy -> /cart");
    assertThat(function.count(Outcome.PAIRED)).isEqualTo(2);
  }
}
