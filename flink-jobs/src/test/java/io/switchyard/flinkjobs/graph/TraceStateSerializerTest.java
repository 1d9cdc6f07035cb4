package io.switchyard.flinkjobs.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchyard.model.v1.SpanRecord;
import io.switchyard.model.v1.SpanRecord.SpanKind;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class TraceStateSerializerTest {
  @Test
  void roundTripsSeenIdsWaitingSpansAndTimersAndRestoresFromItsSnapshot() throws Exception {
    SpanRecord client = Spans.span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_PRODUCER, 1_000, 50).build();
    TraceState t = new TraceState();
    assertThat(t.markSeen(TraceState.seenKey(SpanFields.of(client)))).isTrue();
    assertThat(t.markSeen(TraceState.seenKey(SpanFields.of(client)))).isFalse();
    t.put(pending("c/000000000000000a", client, 11_000, true));
    t.expiryTimer = 11_000;
    t.forgetAt = 42;

    DataOutputSerializer out = new DataOutputSerializer(64);
    TraceStateSerializer.INSTANCE.serialize(t, out);
    TraceState back = TraceStateSerializer.INSTANCE.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));

    assertThat(back.markSeen(TraceState.seenKey(SpanFields.of(client)))).isFalse();
    assertThat(back.pending).singleElement().satisfies(p -> {
      assertThat(p.key()).isEqualTo("c/000000000000000a");
      assertThat(p.raw).isEqualTo(client.toByteArray());
      assertThat(p.span.serviceName).isEqualTo("frontend");
      assertThat(p.span.kind).isEqualTo(SpanKind.SPAN_KIND_PRODUCER_VALUE);
      assertThat(p.deadline).isEqualTo(11_000);
      assertThat(p.matchedProducer).isTrue();
    });
    assertThat(back.expiryTimer).isEqualTo(11_000);
    assertThat(back.forgetAt).isEqualTo(42);

    DataOutputSerializer snap = new DataOutputSerializer(64);
    TypeSerializerSnapshot.writeVersionedSnapshot(snap, TraceStateSerializer.INSTANCE.snapshotConfiguration());
    TypeSerializerSnapshot<TraceState> restored =
        TypeSerializerSnapshot.readVersionedSnapshot(new DataInputDeserializer(snap.getCopyOfBuffer()), getClass().getClassLoader());
    assertThat(restored.restoreSerializer()).isEqualTo(TraceStateSerializer.INSTANCE);
  }

  @Test
  void theSweepsHeaderReadAgreesWithTheDecodedTraceOnRandomTraces() throws Exception {
    Random r = new Random(7);
    for (int i = 0; i < 2_000; i++) {
      TraceState t = randomTrace(r);
      byte[] bytes = bytes(t);
      assertThat(TraceStateSerializer.nothingWaits(bytes)).as("trace %d", i).isEqualTo(t.pending.isEmpty());
      assertThat(TraceStateSerializer.forgetAt(bytes)).as("trace %d", i).isEqualTo(t.forgetAt);
    }
  }

  @Test
  void theSweepsHeaderReadRejectsBytesThatAreNoTrace() throws Exception {
    TraceState completed = new TraceState();
    completed.markSeen(new byte[] {2, 1, 2, 3});
    completed.forgetAt = 5;
    byte[] good = bytes(completed);
    for (byte[] bad : List.of(new byte[0], new byte[] {0, 0, 0}, Arrays.copyOf(good, good.length - 1),
        Arrays.copyOf(good, good.length + 1), new byte[] {-1, -1, -1, -1, 0, 0, 0, 0})) {
      assertThatThrownBy(() -> TraceStateSerializer.nothingWaits(bad)).isInstanceOf(IOException.class);
    }
  }

  private static byte[] bytes(TraceState t) throws IOException {
    DataOutputSerializer out = new DataOutputSerializer(64);
    TraceStateSerializer.INSTANCE.serialize(t, out);
    return out.getCopyOfBuffer();
  }

  /** Up to six seen spans and three waiting ones; any forget time and timer, including the extremes. */
  static TraceState randomTrace(Random r) {
    TraceState t = new TraceState();
    int seen = r.nextInt(7);
    for (int i = 0; i < seen; i++) {
      byte[] id = new byte[1 + r.nextInt(16)];
      r.nextBytes(id);
      t.markSeen(id);
    }
    int waiting = r.nextInt(3) == 0 ? 1 + r.nextInt(3) : 0;
    for (int i = 0; i < waiting; i++) {
      SpanRecord span = Spans.span(r.nextInt(100), 1 + i, 0, "svc-" + r.nextInt(9), SpanKind.SPAN_KIND_CLIENT, r.nextInt(1_000), 5).build();
      t.put(pending("c/" + i, span, r.nextLong(), r.nextBoolean()));
    }
    long[] extremes = {Long.MIN_VALUE, Long.MAX_VALUE, 0, -1};
    t.expiryTimer = r.nextInt(4) == 0 ? extremes[r.nextInt(4)] : r.nextLong();
    t.forgetAt = r.nextInt(4) == 0 ? extremes[r.nextInt(4)] : r.nextLong();
    return t;
  }

  @Test
  void proxyMarkersRoundTripAsSeenEntriesThatNoSpansSeenKeyEquals() throws Exception {
    SpanFields sidecarClient = SpanFields.of(Spans.span(1, 2, 1, "frontend.shop", SpanKind.SPAN_KIND_CLIENT, 0, 5)
        .setUpstreamCluster("outbound|8080||cart").build());
    SpanFields sidecarServer = SpanFields.of(Spans.span(1, 3, 2, "cart.shop", SpanKind.SPAN_KIND_SERVER, 0, 5)
        .setUpstreamCluster("inbound|8080||").build());
    SpanFields appClient = SpanFields.of(Spans.span(1, 1, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, 0, 5).build());
    SpanFields appServer = SpanFields.of(Spans.span(1, 4, 3, "cart", SpanKind.SPAN_KIND_SERVER, 0, 5).build());
    TraceState t = new TraceState();
    assertThat(t.marked(appClient, TraceState.PROXY_CLIENT_PARENT, false)).isFalse();
    t.markSeen(sidecarClient.seenKey());
    t.mark(sidecarClient, TraceState.PROXY_CLIENT_PARENT, true);
    t.markSeen(sidecarServer.seenKey());
    t.mark(sidecarServer, TraceState.PROXY_SERVER, false);
    t.mark(sidecarServer, TraceState.PROXY_SERVER, false); // kept once
    t.forgetAt = 9;
    assertThat(t.seen).hasSize(4);

    byte[] bytes = bytes(t);
    TraceState back = TraceStateSerializer.INSTANCE.deserialize(new DataInputDeserializer(bytes));
    for (TraceState s : List.of(back, back.copy())) {
      assertThat(s.proxyMarks).isTrue();
      assertThat(s.marked(appClient, TraceState.PROXY_CLIENT_PARENT, false)).isTrue();
      assertThat(s.marked(appServer, TraceState.PROXY_SERVER, true)).isTrue();
      assertThat(s.marked(appServer, TraceState.PROXY_CLIENT_PARENT, false)).isFalse();
      // The spans whose ids the markers hold are still new spans, and the seen ones still duplicates.
      assertThat(s.markSeen(appClient.seenKey())).isTrue();
      assertThat(s.markSeen(sidecarServer.seenKey())).isFalse();
    }
    assertThat(TraceStateSerializer.nothingWaits(bytes)).isTrue();
    assertThat(TraceStateSerializer.forgetAt(bytes)).isEqualTo(9);
    TraceState plain = new TraceState();
    plain.markSeen(appClient.seenKey());
    assertThat(TraceStateSerializer.INSTANCE.deserialize(new DataInputDeserializer(bytes(plain))).proxyMarks).isFalse();
    assertThat(sidecarClient.proxy()).isTrue();
    assertThat(SpanFields.parse(Spans.span(1, 2, 1, "frontend.shop", SpanKind.SPAN_KIND_CLIENT, 0, 5)
        .setUpstreamCluster("outbound|8080||cart").build().toByteArray()).proxy()).isTrue();
    assertThat(SpanFields.parse(Spans.span(1, 1, 0, "frontend", SpanKind.SPAN_KIND_CLIENT, 0, 5).build().toByteArray())
        .proxy()).isFalse();
    assertThat(appClient.proxy()).isFalse();
  }

  @Test
  void copyIsDeepForTheListsTheOperatorMutates() {
    TraceState t = new TraceState();
    t.put(pending("c/01", SpanRecord.getDefaultInstance(), 1, false));
    TraceState c = TraceStateSerializer.INSTANCE.copy(t);
    c.pending.get(0).matchedProducer = true;
    c.pending.clear();
    c.seen.add(new byte[] {1});
    assertThat(t.pending).singleElement().satisfies(p -> assertThat(p.matchedProducer).isFalse());
    assertThat(t.seen).isEmpty();
  }

  static TraceState.Pending pending(String key, SpanRecord span, long deadline, boolean matched) {
    return new TraceState.Pending(key, SpanFields.of(span), span.toByteArray(), deadline, matched);
  }
}
