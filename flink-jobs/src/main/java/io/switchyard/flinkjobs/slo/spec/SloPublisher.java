package io.switchyard.flinkjobs.slo.spec;

import io.switchyard.model.Topics;
import io.switchyard.model.v1.SloDefinitionRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes a folder of OpenSLO files to the compacted definitions topic as the desired state of that
 * folder: one record per SLO (key = name), and a tombstone for every SLO published from the same folder
 * that it no longer defines. SLOs published from other folders (another {@code slo apply}, or {@code up}'s
 * {@code config/slo/}) are kept unless the publish prunes {@link Prune#ALL}. A record of a build that did
 * not name its folder is kept too, and claimed by the first folder that defines the same SLO (the job
 * ignores a definition whose YAML did not change, so claiming keeps the SLO's counts). Flink-free (Kafka clients only) so the launcher's
 * {@code slo apply} and {@code up} can use it.
 */
public final class SloPublisher {
  /** What a publish changed, and the SLOs of other folders it left alone. */
  public record Outcome(List<String> published, List<String> removed, List<String> keptFromOtherFolders) {}

  /** Which SLOs missing from the folder a publish removes. */
  public enum Prune {
    /** Only those published from the same folder. */
    FOLDER,
    /** Every SLO the folder does not define, wherever it was published from. */
    ALL;

    static Prune parse(String value) {
      return switch (value) {
        case "folder" -> FOLDER;
        case "all" -> ALL;
        default -> throw new IllegalArgumentException("--prune: expected 'folder' or 'all', got '" + value + "'");
      };
    }
  }

  /** A definition the topic holds: its YAML and the folder it was published from ("" before folders were recorded). */
  public record Live(String yaml, String sourceFolder) {}

  /** The broker did not answer, or lacks the definitions topic; the message names the broker and what to check. */
  public static final class KafkaUnusable extends Exception {
    private static final long serialVersionUID = 1L;

    KafkaUnusable(String message) {
      super(message);
    }
  }

  /**
   * The definitions reader's client id: log4j2.xml drops this client's connection-failure warnings, as an
   * unreachable broker ends `slo apply` in one line (a warning per retry stood above it).
   */
  public static final String PROBE_CLIENT_ID = "switchyard-probe-slo-apply";

  /** How long the broker has to answer the first metadata request. */
  static final Duration METADATA_WAIT = Duration.ofSeconds(30);

  private final String bootstrapServers;
  private final String topic;
  private final Clock clock;
  private final Duration metadataWait;

  public SloPublisher(String bootstrapServers, String topic, Clock clock) {
    this(bootstrapServers, topic, clock, METADATA_WAIT);
  }

  SloPublisher(String bootstrapServers, String topic, Clock clock, Duration metadataWait) {
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
    this.clock = clock;
    this.metadataWait = metadataWait;
  }

  /** Publishes {@code docs}, read from {@code folder}, pruning as {@code prune} says. */
  public Outcome publish(List<OpenSloParser.SloDocument> docs, Path folder, Prune prune) throws Exception {
    String source = folder.toAbsolutePath().normalize().toString();
    Map<String, Live> live = liveDefinitions();
    Set<String> wanted = new TreeSet<>();
    List<String> published = new ArrayList<>();
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (OpenSloParser.SloDocument d : docs) {
        String name = d.spec().name();
        wanted.add(name);
        Live current = live.get(name);
        if (current != null && d.yaml().equals(current.yaml()) && source.equals(current.sourceFolder())) {
          continue; // unchanged: no record
        }
        SloDefinitionRecord r = SloDefinitionRecord.newBuilder().setSchemaVersion(1).setName(name)
            .setSourceFile(d.spec().sourceFile()).setOpensloYaml(d.yaml()).setPublishedUnixMs(clock.millis())
            .setSourceFolder(source).build();
        producer.send(new ProducerRecord<>(topic, name.getBytes(StandardCharsets.UTF_8), r.toByteArray())).get();
        published.add(name);
      }
      List<String> removed = new ArrayList<>();
      List<String> kept = new ArrayList<>();
      for (Map.Entry<String, Live> e : new TreeMap<>(live).entrySet()) {
        String name = e.getKey();
        if (wanted.contains(name)) {
          continue;
        }
        String from = e.getValue().sourceFolder();
        if (prune == Prune.ALL || from.equals(source)) {
          producer.send(new ProducerRecord<>(topic, name.getBytes(StandardCharsets.UTF_8), null)).get();
          removed.add(name);
        } else {
          kept.add(name + " (" + (from.isEmpty() ? "folder not recorded" : from) + ")");
        }
      }
      return new Outcome(published, removed, kept);
    }
  }

  /** Every SLO the topic currently defines, by name (last record per key, tombstones removed). */
  public Map<String, Live> liveDefinitions() throws Exception {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, PROBE_CLIENT_ID);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    // A missing topic is an error below, never one the broker creates with its defaults (not compacted).
    p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
    Map<String, Live> live = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<PartitionInfo> infos;
      try {
        infos = c.partitionsFor(topic, metadataWait);
      } catch (TimeoutException e) {
        throw new KafkaUnusable("cannot reach Kafka at " + bootstrapServers + " (--kafka) within " + metadataWait.toSeconds()
            + " s: " + e.getMessage());
      }
      if (infos.isEmpty()) {
        // Without this the producer waited 60 s for the topic and failed in a TimeoutException.
        String base = Topics.SLO_DEFINITIONS.name();
        String prefix = topic.endsWith(base) ? topic.substring(0, topic.length() - base.length()) : "";
        throw new KafkaUnusable("topic " + topic + " not found on the broker at " + bootstrapServers + " (--kafka): create it with"
            + " switchyard topics create --kafka " + bootstrapServers + (prefix.isEmpty() ? "" : " --topic-prefix " + prefix)
            + ", or check --topic-prefix");
      }
      List<TopicPartition> parts = infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
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
            SloDefinitionRecord d = SloDefinitionRecord.parseFrom(r.value());
            live.put(name, new Live(d.getOpensloYaml(), d.getSourceFolder()));
          }
        }
      }
    }
    return live;
  }
}
