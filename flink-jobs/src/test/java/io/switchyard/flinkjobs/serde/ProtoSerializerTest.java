package io.switchyard.flinkjobs.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.model.v1.SpanRecord;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class ProtoSerializerTest {
  @Test
  void roundTripsAndRestoresFromItsSnapshot() throws Exception {
    TypeSerializer<SpanRecord> s = ProtoTypeInfo.forMessage(SpanRecord.class).createSerializer(new SerializerConfigImpl());
    SpanRecord span = SpanRecord.newBuilder().setServiceName("checkout").setSamplingProbability(0.5).build();
    DataOutputSerializer out = new DataOutputSerializer(64);
    s.serialize(span, out);
    assertThat(s.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()))).isEqualTo(span);

    DataOutputSerializer snap = new DataOutputSerializer(64);
    TypeSerializerSnapshot.writeVersionedSnapshot(snap, s.snapshotConfiguration());
    TypeSerializerSnapshot<SpanRecord> restored =
        TypeSerializerSnapshot.readVersionedSnapshot(new DataInputDeserializer(snap.getCopyOfBuffer()), getClass().getClassLoader());
    assertThat(restored.restoreSerializer()).isEqualTo(s);
    assertThat(s.snapshotConfiguration().resolveSchemaCompatibility(restored).isCompatibleAsIs()).isTrue();
  }
}
