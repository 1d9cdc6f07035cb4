package io.switchyard.flinkjobs.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.flinkjobs.slo.SloFunction;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.ServiceAggregate;
import io.switchyard.model.v1.SloStatusRecord;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class ProtoRecordSerializerTest {
  @Test
  void outputLeavesTheTimestampToTheProducerSoOldWindowsOutliveRetention() {
    ProtoRecordSerializer<ServiceAggregate> serializer = new ProtoRecordSerializer<>("switchyard.services", a -> a.getService().getName());
    long windowEventTime = 1_767_225_659_999L; // 2026-01-01T00:00:59.999Z, months before "now"
    ServiceAggregate aggregate = ServiceAggregate.newBuilder()
        .setService(NodeRef.newBuilder().setName("checkout"))
        .setWindowStartUnixMs(windowEventTime - 59_999)
        .setRequestCount(3)
        .build();

    ProducerRecord<byte[], byte[]> record = serializer.serialize(aggregate, null, windowEventTime);

    assertThat(record.timestamp()).isNull();
    assertThat(record.topic()).isEqualTo("switchyard.services");
    assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("checkout");
    assertThat(record.value()).isEqualTo(aggregate.toByteArray());
  }

  @Test
  void anElementTheTombstoneTestAcceptsIsWrittenWithANullValueUnderItsKey() {
    ProtoRecordSerializer<SloStatusRecord> serializer = new ProtoRecordSerializer<>("switchyard.slo-status",
        SloStatusRecord::getName, SloFunction::isRemoval);
    ProducerRecord<byte[], byte[]> removed = serializer.serialize(SloFunction.removal("checkout-availability"), null, 0L);
    assertThat(new String(removed.key(), StandardCharsets.UTF_8)).isEqualTo("checkout-availability");
    assertThat(removed.value()).isNull();

    SloStatusRecord evaluated = SloStatusRecord.newBuilder().setName("checkout-availability").setSliKind("availability").build();
    assertThat(serializer.serialize(evaluated, null, 0L).value()).isEqualTo(evaluated.toByteArray());
  }
}
