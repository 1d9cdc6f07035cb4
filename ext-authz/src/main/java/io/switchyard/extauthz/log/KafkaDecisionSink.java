package io.switchyard.extauthz.log;

import io.switchyard.extauthz.metrics.ExtAuthzMetrics;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Decision records to a Kafka topic (key = workload), sent asynchronously in batches. */
public final class KafkaDecisionSink implements DecisionLogSink {
  private final KafkaProducer<String, byte[]> producer;
  private final String topic;
  private final ExtAuthzMetrics metrics;

  public KafkaDecisionSink(String bootstrapServers, String topic, ExtAuthzMetrics metrics) {
    this.topic = topic;
    this.metrics = metrics;
    this.producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ProducerConfig.CLIENT_ID_CONFIG, "switchyard-ext-authz-decisions",
        ProducerConfig.ACKS_CONFIG, "1",
        ProducerConfig.LINGER_MS_CONFIG, 20,
        ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
        // A slow or absent broker must stall only the logger thread, briefly; the queue then drops.
        ProducerConfig.MAX_BLOCK_MS_CONFIG, 2_000),
        new StringSerializer(), new ByteArraySerializer());
  }

  @Override
  public void write(String key, byte[] record) {
    // The logger hands over each record's own array; the producer may hold it until the batch is sent.
    producer.send(new ProducerRecord<>(topic, key, record), (md, err) -> {
      if (err != null) {
        metrics.logRecords.labelValues("failed").inc();
      }
    });
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }
}
