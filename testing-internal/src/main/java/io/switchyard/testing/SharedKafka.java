package io.switchyard.testing;

import io.switchyard.kafkaembedded.EmbeddedKafka;
import io.switchyard.model.TopicSpec;
import io.switchyard.model.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One Kafka broker for every integration test in a test JVM: the embedded KRaft broker by default, or
 * (with {@code -Dswitchyard.test.kafka=testcontainers}) Testcontainers' Kafka where a Docker engine is
 * present; without one that choice skips the tests cleanly. Tests isolate themselves with fresh topic
 * prefixes rather than fresh brokers, so a whole module's ITs pay one broker start.
 *
 * <pre>{@code @RegisterExtension static final SharedKafka kafka = new SharedKafka();}</pre>
 */
public final class SharedKafka implements BeforeAllCallback {
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static volatile Broker broker;

  private interface Broker {
    String bootstrapServers();
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    ensureStarted();
  }

  private static synchronized Broker ensureStarted() {
    if (broker == null) {
      String kind = System.getProperty("switchyard.test.kafka", "embedded");
      broker = "testcontainers".equals(kind) ? Containerized.start() : embedded();
    }
    return broker;
  }

  private static Broker embedded() {
    try {
      Path dir = Files.createTempDirectory("switchyard-test-kafka");
      EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir).build().start();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        kafka.close();
        deleteQuietly(dir);
      }, "shared-kafka-stop"));
      return kafka::bootstrapServers;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Kept in its own class so that Testcontainers is loaded only when asked for. */
  private static final class Containerized {
    static Broker start() {
      Assumptions.assumeTrue(org.testcontainers.DockerClientFactory.instance().isDockerAvailable(),
          "switchyard.test.kafka=testcontainers needs a Docker engine; none is available here");
      org.testcontainers.kafka.KafkaContainer c = new org.testcontainers.kafka.KafkaContainer("apache/kafka:4.2.0");
      c.start();
      Runtime.getRuntime().addShutdownHook(new Thread(c::stop, "shared-kafka-stop"));
      return c::getBootstrapServers;
    }
  }

  public String bootstrapServers() {
    return ensureStarted().bootstrapServers();
  }

  /** A topic prefix no other test in this JVM uses, e.g. "t7.". */
  public String uniquePrefix() {
    return "t" + PREFIXES.incrementAndGet() + ".";
  }

  /**
   * Creates the whole topic catalogue under {@code prefix}, with no time retention. Tests replay
   * fixtures at fixed past event times and the jobs stamp their output with event time, so the
   * catalogue's retention (hours to days) would let the broker's first retention check, 30 s after it
   * started and every 5 minutes after, delete a test's output while the test still reads it.
   */
  public void createTopics(String prefix) {
    try (var admin = org.apache.kafka.clients.admin.Admin.create(
        Map.of("bootstrap.servers", bootstrapServers()))) {
      List<TopicSpec> specs = Topics.all(prefix);
      EmbeddedKafka.createTopics(admin, specs);
      Map<ConfigResource, java.util.Collection<AlterConfigOp>> keepForever = new HashMap<>();
      for (TopicSpec t : specs) {
        if (t.cleanupPolicy() == TopicSpec.CleanupPolicy.DELETE) {
          keepForever.put(new ConfigResource(ConfigResource.Type.TOPIC, t.name()),
              List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "-1"), AlterConfigOp.OpType.SET)));
        }
      }
      admin.incrementalAlterConfigs(keepForever).all().get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics under " + prefix, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot lift the time retention of the topics under " + prefix, e);
    }
  }

  public void createTopic(String name, int partitions) {
    try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.of("bootstrap.servers", bootstrapServers()))) {
      EmbeddedKafka.createTopics(admin, List.of(new io.switchyard.model.TopicSpec(name, partitions,
          io.switchyard.model.TopicSpec.CleanupPolicy.DELETE, Duration.ofHours(1))));
    }
  }

  public KafkaProducer<byte[], byte[]> producer() {
    // One request in flight and patient timeouts: on a starved test machine a timed-out pipelined
    // batch can leave the idempotent producer out of sequence, and a test would then lose fixtures.
    return new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.LINGER_MS_CONFIG, 5,
        ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1,
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 120_000,
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 300_000),
        new ByteArraySerializer(), new ByteArraySerializer());
  }

  public KafkaConsumer<byte[], byte[]> consumer() {
    return new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
        new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /**
   * Reads {@code topic} from the beginning (read_committed) until {@code expected} records arrived or
   * the timeout passed, and returns what arrived; the caller asserts on the count and content.
   */
  public List<ConsumerRecord<byte[], byte[]>> consume(String topic, int expected, Duration timeout) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = consumer()) {
      List<org.apache.kafka.common.TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (out.size() < expected && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    return out;
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // A temp folder left behind is harmless; the JVM is exiting.
    }
  }
}
