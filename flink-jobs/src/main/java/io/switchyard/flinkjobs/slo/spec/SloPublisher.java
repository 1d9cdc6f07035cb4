package io.switchyard.flinkjobs.slo.spec;

import io.switchyard.model.v1.SloDefinitionRecord;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes a folder of OpenSLO files to the compacted definitions topic as the desired state: one
 * record per SLO (key = name), and a tombstone for every SLO the topic has that the folder no longer
 * defines. Flink-free (Kafka clients only) so the launcher's {@code slo apply} and {@code up} can use it.
 */
public final class SloPublisher {
  /** What a publish changed. */
  public record Outcome(List<String> published, List<String> removed) {}

  private final String bootstrapServers;
  private final String topic;
  private final Clock clock;

  public SloPublisher(String bootstrapServers, String topic, Clock clock) {
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
    this.clock = clock;
  }

  public Outcome publish(List<OpenSloParser.SloDocument> docs) throws Exception {
    Map<String, String> live = liveDefinitions();
    Set<String> wanted = new TreeSet<>();
    List<String> published = new java.util.ArrayList<>();
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (OpenSloParser.SloDocument d : docs) {
        String name = d.spec().name();
        wanted.add(name);
        if (d.yaml().equals(live.get(name))) {
          continue; // unchanged: no record, so the job keeps its counts
        }
        SloDefinitionRecord r = SloDefinitionRecord.newBuilder().setSchemaVersion(1).setName(name)
            .setSourceFile(d.spec().sourceFile()).setOpensloYaml(d.yaml()).setPublishedUnixMs(clock.millis()).build();
        producer.send(new ProducerRecord<>(topic, name.getBytes(StandardCharsets.UTF_8), r.toByteArray())).get();
        published.add(name);
      }
      List<String> removed = new java.util.ArrayList<>();
      for (String name : new TreeSet<>(live.keySet())) {
        if (!wanted.contains(name)) {
          producer.send(new ProducerRecord<>(topic, name.getBytes(StandardCharsets.UTF_8), null)).get();
          removed.add(name);
        }
      }
      return new Outcome(published, removed);
    }
  }

  /** Name -> YAML of every SLO the topic currently defines (last record per key, tombstones removed). */
  public Map<String, String> liveDefinitions() throws Exception {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    Map<String, String> live = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("timed out reading " + topic);
        }
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          if (r.key() == null) {
            continue;
          }
          String name = new String(r.key(), StandardCharsets.UTF_8);
          if (r.value() == null) {
            live.remove(name);
          } else {
            live.put(name, SloDefinitionRecord.parseFrom(r.value()).getOpensloYaml());
          }
        }
      }
    }
    return live;
  }
}
