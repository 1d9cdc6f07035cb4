package io.switchyard.kafkaembedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.switchyard.model.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaIT {
  @TempDir Path dataDir;

  @Test
  void survivesAHundredThousandRecordsAndKeepsThemAcrossARestart() throws Exception {
    int port;
    int controllerPort;
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dataDir).build().start()) {
      port = kafka.port();
      controllerPort = kafka.controllerPort();
      kafka.createTopics(Topics.all());
      try (Admin admin = kafka.admin()) {
        Map<String, TopicDescription> spans = admin.describeTopics(List.of(Topics.SPANS.name())).allTopicNames().get(30, TimeUnit.SECONDS);
        assertThat(spans.get(Topics.SPANS.name()).partitions()).hasSize(Topics.SPANS.partitions());
      }
      produce(kafka.bootstrapServers(), 100_000, false);
      assertThat(consumeAll(kafka.bootstrapServers(), 100_000)).hasSize(100_000);
    }
    try (EmbeddedKafka again = EmbeddedKafka.builder().dataDir(dataDir).port(port).controllerPort(controllerPort).build().start()) {
      assertThat(consumeAll(again.bootstrapServers(), 100_000)).hasSize(100_000);
      // Creating the catalogue again on existing topics is a no-op, not an error.
      again.createTopics(Topics.all());
    }
  }

  @Test
  void ownTopicsGetTheCatalogueConfigsTheyLeftAtTheBrokerDefaultAndKeepTheOnesSetOnThem() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dataDir).build().start(); Admin admin = kafka.admin()) {
      // As an earlier build made it: no segment.ms (Kafka's default, 7 days), and a retention tuned by hand.
      admin.createTopics(List.of(new NewTopic(Topics.SPANS.name(), Topics.SPANS.partitions(), (short) -1)
          .configs(Map.of("cleanup.policy", "delete", "retention.ms", "7200000", "max.message.bytes",
              Topics.SPANS.kafkaConfigs().get("max.message.bytes"))))).all().get(30, TimeUnit.SECONDS);

      EmbeddedKafka.OwnTopics topics = kafka.ensureOwnTopics(List.of(Topics.SPANS));

      String segmentMs = Topics.SPANS.kafkaConfigs().get("segment.ms");
      assertThat(topics.created()).isEmpty();
      assertThat(topics.completed()).containsExactly(
          new EmbeddedKafka.TopicDrift(Topics.SPANS.name(), "segment.ms", "604800000", segmentMs));
      assertThat(topics.drift()).containsExactly(
          new EmbeddedKafka.TopicDrift(Topics.SPANS.name(), "retention.ms", "7200000", Topics.SPANS.kafkaConfigs().get("retention.ms")));
      ConfigResource spans = new ConfigResource(ConfigResource.Type.TOPIC, Topics.SPANS.name());
      // The broker applies an accepted config change from its metadata log a moment later: describe until it did.
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        Config config = admin.describeConfigs(List.of(spans)).all().get(30, TimeUnit.SECONDS).get(spans);
        assertThat(config.get("segment.ms").value()).isEqualTo(segmentMs);
        assertThat(config.get("retention.ms").value()).isEqualTo("7200000");
      });
      // Once set, the next start has nothing to complete.
      assertThat(kafka.ensureOwnTopics(List.of(Topics.SPANS)).completed()).isEmpty();
    }
  }

  @Test
  void transactionsCommitOnASingleNode() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dataDir).build().start()) {
      kafka.createTopics(Topics.all());
      produce(kafka.bootstrapServers(), 1_000, true);
      assertThat(consumeAll(kafka.bootstrapServers(), 1_000)).hasSize(1_000);
    }
  }

  private static void produce(String bootstrap, int n, boolean transactional) {
    Map<String, Object> conf = new java.util.HashMap<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.LINGER_MS_CONFIG, 5,
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        // Patient timeouts: on a starved machine a timed-out batch must be retried, not dropped.
        ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1,
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 120_000,
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 300_000));
    if (transactional) {
      conf.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "it-tx");
    }
    try (KafkaProducer<String, String> p = new KafkaProducer<>(conf, new StringSerializer(), new StringSerializer())) {
      if (transactional) {
        p.initTransactions();
        p.beginTransaction();
      }
      java.util.concurrent.atomic.AtomicReference<Exception> failed = new java.util.concurrent.atomic.AtomicReference<>();
      for (int i = 0; i < n; i++) {
        p.send(new ProducerRecord<>(Topics.SPANS.name(), "k" + (i % 97), "{\"n\":" + i + ",\"pad\":\"0123456789abcdef\"}"),
            (meta, e) -> {
              if (e != null) {
                failed.compareAndSet(null, e);
              }
            });
      }
      p.flush();
      assertThat(failed.get()).as("a send failed").isNull();
      if (transactional) {
        p.commitTransaction();
      }
      p.flush();
    }
  }

  private static Set<String> consumeAll(String bootstrap, int expected) {
    Set<String> seen = new HashSet<>();
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000), new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(Topics.SPANS.name()).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (seen.size() < expected && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(r -> seen.add(new String(r.value().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)));
      }
    }
    return seen;
  }
}
