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
  private final SerializablePredicate<T> tombstone;

  public ProtoRecordSerializer(String topic, SerializableFunction<T, String> key) {
    this(topic, key, element -> false);
  }

  /** As the two-argument form, but an element {@code tombstone} accepts is written with a null value. */
  public ProtoRecordSerializer(String topic, SerializableFunction<T, String> key, SerializablePredicate<T> tombstone) {
    this.topic = topic;
    this.key = key;
    this.tombstone = tombstone;
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long timestamp) {
    byte[] value = tombstone.test(element) ? null : element.toByteArray();
    return new ProducerRecord<>(topic, null, null, key.apply(element).getBytes(StandardCharsets.UTF_8), value);
  }

  /** A predicate the sink can ship with the job graph. */
  public interface SerializablePredicate<T> extends java.util.function.Predicate<T>, java.io.Serializable {}
}
