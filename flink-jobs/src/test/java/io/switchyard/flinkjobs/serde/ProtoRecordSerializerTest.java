package io.switchyard.flinkjobs.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.ServiceAggregate;
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
}
