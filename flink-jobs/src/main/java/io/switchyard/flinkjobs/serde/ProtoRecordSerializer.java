package io.switchyard.flinkjobs.serde;

import com.google.protobuf.Message;
import java.nio.charset.StandardCharsets;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes a protobuf record as the Kafka value, keyed by a string the topic catalogue prescribes.
 *
 * <p>The record carries no timestamp of its own, so the producer stamps it with the time it was
 * written. The window's event time is in the value; as the Kafka timestamp it would let the broker's
 * time retention delete the output of a replay or backfill older than the topic's retention
 * minutes after the job wrote it.
 */
public final class ProtoRecordSerializer<T extends Message> implements KafkaRecordSerializationSchema<T> {
  private static final long serialVersionUID = 1L;
  private final String topic;
  private final SerializableFunction<T, String> key;

  public ProtoRecordSerializer(String topic, SerializableFunction<T, String> key) {
    this.topic = topic;
    this.key = key;
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long timestamp) {
    return new ProducerRecord<>(topic, null, null, key.apply(element).getBytes(StandardCharsets.UTF_8), element.toByteArray());
  }
}
