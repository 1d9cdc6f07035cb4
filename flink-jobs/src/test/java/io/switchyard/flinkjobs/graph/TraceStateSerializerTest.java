package io.switchyard.flinkjobs.graph;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.model.v1.SpanRecord;
import io.switchyard.model.v1.SpanRecord.SpanKind;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class TraceStateSerializerTest {
  @Test
  void roundTripsSeenIdsWaitingSpansAndTimersAndRestoresFromItsSnapshot() throws Exception {
    SpanRecord client = Spans.span(1, 10, 0, "frontend", SpanKind.SPAN_KIND_PRODUCER, 1_000, 50).build();
    TraceState t = new TraceState();
    assertThat(t.markSeen(TraceState.seenKey(client))).isTrue();
    assertThat(t.markSeen(TraceState.seenKey(client))).isFalse();
    t.put(new TraceState.Pending("c/000000000000000a", client, 11_000, true));
    t.expiryTimer = 11_000;
    t.forgetAt = 42;

    DataOutputSerializer out = new DataOutputSerializer(64);
    TraceStateSerializer.INSTANCE.serialize(t, out);
    TraceState back = TraceStateSerializer.INSTANCE.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));

    assertThat(back.markSeen(TraceState.seenKey(client))).isFalse();
    assertThat(back.pending).singleElement().satisfies(p -> {
      assertThat(p.key).isEqualTo("c/000000000000000a");
      assertThat(p.span).isEqualTo(client);
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
  void copyIsDeepForTheListsTheOperatorMutates() {
    TraceState t = new TraceState();
    t.put(new TraceState.Pending("c/01", SpanRecord.getDefaultInstance(), 1, false));
    TraceState c = TraceStateSerializer.INSTANCE.copy(t);
    c.pending.get(0).matchedProducer = true;
    c.pending.clear();
    c.seen.add(new byte[] {1});
    assertThat(t.pending).singleElement().satisfies(p -> assertThat(p.matchedProducer).isFalse());
    assertThat(t.seen).isEmpty();
  }
}
