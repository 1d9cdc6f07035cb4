package io.switchyard.launcher.cli;

import static io.switchyard.launcher.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.switchyard.model.Topics;
import io.switchyard.testing.SharedKafka;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class TopicsCommandIT {
  @RegisterExtension static final SharedKafka kafka = new SharedKafka();

  @Test
  void spanTopicTakesARecordAsLargeAsIngestsProducerSends() throws Exception {
    String prefix = kafka.uniquePrefix();
    CliRun r = run("topics", "create", "--kafka", kafka.bootstrapServers(), "--topic-prefix", prefix);
    assertThat(r.code).as(r.err).isZero();

    // 2 MiB of incompressible bytes: over the broker's default message.max.bytes (1 MiB), under the
    // max.request.size ingest's producer allows, so a span with large resource attributes fits.
    byte[] value = new byte[2 << 20];
    new Random(7).nextBytes(value);
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_MESSAGE_BYTES), new ByteArraySerializer(), new ByteArraySerializer())) {
      p.send(new ProducerRecord<>(prefix + Topics.SPANS.name(), "trace".getBytes(), value)).get(60, TimeUnit.SECONDS);
    }
  }

  @Test
  void createReportsTopicsThatExistWithOtherPartitionsOrConfigs() throws Exception {
    String prefix = kafka.uniquePrefix();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      admin.createTopics(List.of(
          new NewTopic(prefix + Topics.SPANS.name(), 2, (short) -1),
          new NewTopic(prefix + Topics.SLO_DEFINITIONS.name(), 1, (short) -1).configs(Map.of("cleanup.policy", "delete"))))
          .all().get(30, TimeUnit.SECONDS);
    }
    CliRun r = run("topics", "create", "--kafka", kafka.bootstrapServers(), "--topic-prefix", prefix);

    assertThat(r.err).contains(prefix + Topics.SPANS.name() + " exists with partitions=2 (catalogue: 6)")
        .contains(prefix + Topics.SPANS.name() + " exists with retention.ms=604800000 (catalogue: 21600000)")
        .contains(prefix + Topics.SLO_DEFINITIONS.name() + " exists with cleanup.policy=delete (catalogue: compact)")
        .doesNotContain(prefix + Topics.ACCESS_LOGS.name());
    // A delete policy on a compacted topic loses SLO definitions after the retention: not a setting to leave.
    assertThat(r.code).isEqualTo(1);
  }

  @Test
  void createAgainOnTheCatalogueReportsNothing() {
    String prefix = kafka.uniquePrefix();
    assertThat(run("topics", "create", "--kafka", kafka.bootstrapServers(), "--topic-prefix", prefix).code).isZero();
    CliRun again = run("topics", "create", "--kafka", kafka.bootstrapServers(), "--topic-prefix", prefix);
    assertThat(again.code).isZero();
    assertThat(again.err).isEmpty();
    assertThat(again.out.lines()).hasSize(Topics.all(prefix).size())
        .allSatisfy(line -> assertThat(line).startsWith("exists  " + prefix));
  }

  @Test
  void createSaysWhichTopicsItCreatedAndWhichExisted() throws Exception {
    String prefix = kafka.uniquePrefix();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(prefix + Topics.SPANS.name(), 6, (short) -1))).all().get(30, TimeUnit.SECONDS);
    }
    CliRun r = run("topics", "create", "--kafka", kafka.bootstrapServers(), "--topic-prefix", prefix);

    assertThat(r.code).as(r.err).isZero();
    assertThat(r.out).contains("exists  " + prefix + Topics.SPANS.name() + "\n")
        .contains("created " + prefix + Topics.ACCESS_LOGS.name() + " partitions=" + Topics.ACCESS_LOGS.partitions())
        .doesNotContain(prefix + Topics.SPANS.name() + " partitions=");
  }

  @Test
  void minInsyncReplicasIsSetOnEveryCreatedTopic() throws Exception {
    String prefix = kafka.uniquePrefix();
    CliRun r = run("topics", "create", "--kafka", kafka.bootstrapServers(), "--topic-prefix", prefix,
        "--replication-factor", "1", "--min-insync-replicas", "1");
    assertThat(r.code).as(r.err).isZero();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      ConfigResource spans = new ConfigResource(ConfigResource.Type.TOPIC, prefix + Topics.SPANS.name());
      // The broker this client asks may learn of the new topic a moment after the controller created it.
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
        ConfigEntry minIsr = admin.describeConfigs(List.of(spans)).all().get(30, TimeUnit.SECONDS).get(spans).get("min.insync.replicas");
        assertThat(minIsr.source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
        assertThat(minIsr.value()).isEqualTo("1");
      });
    }
    CliRun again = run("topics", "create", "--kafka", kafka.bootstrapServers(), "--topic-prefix", prefix,
        "--replication-factor", "1", "--min-insync-replicas", "1");
    assertThat(again.err).isEmpty();
  }

  @Test
  void aReplicationFactorTheClusterCannotPlaceFailsInOneLine() {
    CliRun r = run("topics", "create", "--kafka", kafka.bootstrapServers(), "--topic-prefix", kafka.uniquePrefix(),
        "--replication-factor", "2");
    assertThat(r.code).isEqualTo(1);
    assertThat(r.err.strip().lines()).hasSize(1);
    assertThat(r.err).contains("replication factor of 2").doesNotContain("Exception");
  }
}
