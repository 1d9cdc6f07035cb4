package io.switchyard.flinkjobs.serde;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.metrics.Counter;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.util.Collector;

/**
 * Reads one protobuf record per Kafka value. A record that does not parse (or a tombstone) is
 * skipped and counted instead of failing the job: one bad producer must not stop the graph.
 */
public final class ProtoRecordDeserializer<T extends Message> implements KafkaRecordDeserializationSchema<T> {
  private static final long serialVersionUID = 1L;
  private final Class<T> type;
  private transient Parser<T> parser;
  private transient Counter malformed;

  public ProtoRecordDeserializer(Class<T> type) {
    this.type = type;
  }

  @Override
  @SuppressWarnings("unchecked")
  public void open(DeserializationSchema.InitializationContext context) throws Exception {
    parser = (Parser<T>) ((Message) type.getMethod("getDefaultInstance").invoke(null)).getParserForType();
    malformed = context.getMetricGroup().counter("malformed_records");
  }

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<T> out) {
    if (record.value() == null) {
      return;
    }
    try {
      out.collect(parser.parseFrom(record.value()));
    } catch (InvalidProtocolBufferException e) {
      malformed.inc();
    }
  }

  @Override
  public TypeInformation<T> getProducedType() {
    return ProtoTypeInfo.forMessage(type);
  }
}
