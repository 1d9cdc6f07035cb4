package io.switchyard.topology.materialise;

import com.google.protobuf.InvalidProtocolBufferException;
import io.switchyard.model.Topics;
import io.switchyard.model.v1.ServiceAggregate;
import io.switchyard.model.v1.SloAlertRecord;
import io.switchyard.model.v1.SloStatusRecord;
import io.switchyard.topology.store.StoreBatch;
import io.switchyard.topology.store.TopologyStore;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes the edge, service, SLO status and SLO alert topics into a {@link TopologyStore}. Every replica
 * assigns itself all partitions (no consumer group), starts from the offsets stored with its data, or from
 * the beginning when the store is new, so a missing store is rebuilt from Kafka.
 */
public final class Materialiser implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Materialiser.class);
  private static final Duration TOPIC_RETRY = Duration.ofSeconds(2);
  /**
   * Records gathered into one store write while catching up. Each write re-encodes every hop total it
   * touches, and consecutive minutes of a hop lie a mesh's worth of records apart, so bigger writes share more.
   */
  static final int RECORDS_PER_WRITE = 20_000;
  /** Bounds the wait for a full write, so that a slow trickle is still stored promptly. */
  private static final long GATHER_NANOS = Duration.ofMillis(250).toNanos();

  private final TopologyStore store;
  private final Clock clock;
  private final Duration retention;
  private final Duration retentionSweepEvery;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String edgesTopic;
  private final String servicesTopic;
  private final String statusTopic;
  private final String alertsTopic;
  private final String createTopicsCommand;
  private final Thread thread;
  private final StoreWriter writer;
  private final AtomicLong badRecords = new AtomicLong();
  private final Set<TopicPartition> assigned = new HashSet<>();
  private final Set<String> assignedTopics = new HashSet<>();
  /** The topics the last check did not find, in catalogue order; empty before the first check. */
  private volatile List<String> missingTopics = List.of();
  /** How long one topic's metadata may take before the brokers count as unreachable. */
  private static final Duration TOPIC_CHECK_TIMEOUT = Duration.ofSeconds(5);
  /** Why the last check got no answer from the brokers at all; null when they answered. */
  private volatile String unreachable;
  private final String bootstrapServers;
  private volatile boolean running = true;
  /** Counts assignments of new partitions; the store is caught up once the writer reached the current one. */
  private volatile long assignment;
  private boolean readCaughtUp;
  private volatile long consumerLag = -1;
  private Map<TopicPartition, Long> catchUpTargets = Map.of();
  private long nextTopicCheckNanos = System.nanoTime();
  private long nextSweepMs;

  public Materialiser(MaterialiserOptions options, TopologyStore store, Clock clock) {
    this.store = store;
    this.clock = clock;
    this.retention = options.retention();
    this.retentionSweepEvery = options.retentionSweepEvery();
    String prefix = options.topicPrefix();
    this.edgesTopic = Topics.EDGES.withPrefix(prefix).name();
    this.servicesTopic = Topics.SERVICES.withPrefix(prefix).name();
    this.statusTopic = Topics.SLO_STATUS.withPrefix(prefix).name();
    this.alertsTopic = Topics.SLO_ALERTS.withPrefix(prefix).name();
    this.bootstrapServers = options.bootstrapServers();
    this.createTopicsCommand = "switchyard topics create --kafka " + options.bootstrapServers()
        + (prefix.isEmpty() ? "" : " --topic-prefix " + prefix);
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers());
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, options.clientId());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
    p.putAll(options.extraConsumerProperties());
    this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.thread = new Thread(this::run, "topology-materialiser");
    this.thread.setDaemon(true);
    this.writer = new StoreWriter(store, "topology-store-writer");
  }

  public Materialiser start() {
    writer.start();
    thread.start();
    return this;
  }

  /**
   * True once every topic is assigned, and consumed and stored up to the end offsets seen when it was assigned.
   */
  public boolean caughtUp() {
    return writer.caughtUpMark() == assignment;
  }

  /**
   * The aggregate topics the broker did not list (or did not answer for) at the last check (every few seconds until all four exist),
   * so that an operator learns which ones to create; empty once all exist, and before the first check.
   */
  public List<String> missingTopics() {
    return missingTopics;
  }

  /**
   * Why the brokers did not answer the last check, naming their address; null when they answered (the topics may
   * still be missing: {@link #missingTopics()}).
   */
  public String kafkaUnreachable() {
    return unreachable;
  }

  /** The command that creates the topics this replica reads, on its broker and with its prefix. */
  public String createTopicsCommand() {
    return createTopicsCommand;
  }

  /** Records still to read across the assigned partitions; -1 before the first poll. */
  public long consumerLag() {
    return consumerLag;
  }

  /** Records read and stored. */
  public long materialisedRecords() {
    return writer.stored();
  }

  public long badRecords() {
    return badRecords.get();
  }

  private void run() {
    try {
      while (running && writer.healthy()) {
        long now = clock.millis();
        // Topic discovery runs on the machine's monotonic time: the injected clock is data time, and a
        // test's frozen clock must not stop the materialiser from finding topics created later.
        long tick = System.nanoTime();
        if (assignedTopics.size() < 4 && tick - nextTopicCheckNanos >= 0) {
          assignNewPartitions();
          nextTopicCheckNanos = tick + TOPIC_RETRY.toNanos();
        }
        if (now >= nextSweepMs) {
          if (!retention.isZero()) {
            writer.deleteOlderThan(now - retention.toMillis());
          }
          nextSweepMs = now + retentionSweepEvery.toMillis();
        }
        if (assigned.isEmpty()) {
          // No topic exists yet; the poll below would return at once, so wait for the next check instead.
          synchronized (this) {
            wait(Math.max(1, TOPIC_RETRY.toMillis() / 4));
          }
          continue;
        }
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
        if (!records.isEmpty()) {
          StoreBatch batch = new StoreBatch();
          long read = addTo(batch, records);
          // Whatever the consumer already holds goes into the same write (poll(0) returns only that).
          long deadline = System.nanoTime() + GATHER_NANOS;
          while (batch.size() < RECORDS_PER_WRITE && System.nanoTime() - deadline < 0) {
            ConsumerRecords<byte[], byte[]> more = consumer.poll(Duration.ZERO);
            if (more.isEmpty()) {
              break;
            }
            read += addTo(batch, more);
          }
          writer.write(batch, read);
        } else {
          // Nothing more to read: no partition holds minutes of the buckets that have ended.
          writer.completeRollups();
        }
        updateLag();
      }
    } catch (WakeupException e) {
      if (running) {
        LOG.error("materialiser woken up unexpectedly", e);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.error("materialiser stopped: {}", e.toString(), e);
    } finally {
      consumer.close(Duration.ofSeconds(2));
    }
  }

  private void assignNewPartitions() {
    List<TopicPartition> found = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    String noAnswer = null;
    for (String topic : List.of(edgesTopic, servicesTopic, statusTopic, alertsTopic)) {
      List<PartitionInfo> infos;
      try {
        infos = consumer.partitionsFor(topic, TOPIC_CHECK_TIMEOUT);
      } catch (org.apache.kafka.common.errors.TimeoutException e) {
        // No broker answered: the topics are not known to be missing, and asking for the others would wait as long.
        noAnswer = "cannot reach Kafka at " + bootstrapServers + " (--kafka): no answer within "
            + TOPIC_CHECK_TIMEOUT.toSeconds() + " s";
        break;
      } catch (RuntimeException e) {
        LOG.debug("topic {} not available yet: {}", topic, e.toString());
        missing.add(topic);
        continue;
      }
      if (infos == null || infos.isEmpty()) {
        missing.add(topic);
        continue;
      }
      assignedTopics.add(topic);
      for (PartitionInfo info : infos) {
        TopicPartition tp = new TopicPartition(info.topic(), info.partition());
        if (!assigned.contains(tp)) {
          found.add(tp);
        }
      }
    }
    if (noAnswer != null) {
      if (unreachable == null) {
        LOG.warn("{}; waiting for it", noAnswer);
      }
      unreachable = noAnswer;
      return;
    }
    if (unreachable != null) {
      LOG.info("Kafka at {} answers again", bootstrapServers);
      unreachable = null;
    }
    if (!missing.equals(missingTopics)) {
      // Once per change, not every retry: the replica waits for these and is not ready until they exist.
      if (missing.isEmpty()) {
        LOG.info("all aggregate topics exist now");
      } else {
        LOG.warn("waiting for Kafka topics not found on the broker: {} (create them with `{}`)",
            String.join(", ", missing), createTopicsCommand);
      }
      missingTopics = List.copyOf(missing);
    }
    if (found.isEmpty()) {
      return;
    }
    assigned.addAll(found);
    consumer.assign(assigned);
    Map<String, Long> offsets = store.offsets();
    for (TopicPartition tp : found) {
      Long next = offsets.get(tp.topic() + "#" + tp.partition());
      if (next != null) {
        consumer.seek(tp, next);
      } else {
        consumer.seekToBeginning(List.of(tp));
      }
    }
    Map<TopicPartition, Long> targets = new HashMap<>(catchUpTargets);
    targets.putAll(consumer.endOffsets(found));
    catchUpTargets = targets;
    readCaughtUp = false;
    assignment++;
    LOG.info("materialising {} new partitions ({} in all)", found.size(), assigned.size());
  }

  private void updateLag() throws InterruptedException {
    long lag = 0;
    boolean complete = assignedTopics.size() == 4;
    for (TopicPartition tp : assigned) {
      OptionalLong l = consumer.currentLag(tp);
      if (l.isPresent()) {
        lag += l.getAsLong();
      }
    }
    consumerLag = lag;
    if (!readCaughtUp && complete) {
      for (Map.Entry<TopicPartition, Long> t : catchUpTargets.entrySet()) {
        if (consumer.position(t.getKey(), Duration.ofSeconds(5)) < t.getValue()) {
          return;
        }
      }
      readCaughtUp = true;
      // Caught up once the writer has stored what was read up to here.
      writer.caughtUp(assignment);
      LOG.info("materialiser read up to the end offsets seen at assignment");
    }
  }

  /** Returns the number of records added. */
  private long addTo(StoreBatch batch, ConsumerRecords<byte[], byte[]> records) {
    long read = 0;
    for (TopicPartition tp : records.partitions()) {
      List<ConsumerRecord<byte[], byte[]>> part = records.records(tp);
      boolean edges = tp.topic().equals(edgesTopic);
      for (ConsumerRecord<byte[], byte[]> r : part) {
        try {
          if (edges) {
            // The hot topic: its bytes go to the store as they are, decoded once for the sums.
            if (r.value() != null) {
              batch.edge(r.key(), r.value());
            }
          } else {
            addOther(batch, r);
          }
          read++;
        } catch (InvalidProtocolBufferException e) {
          badRecords.incrementAndGet();
          LOG.warn("skipping unreadable record {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
        }
      }
      if (!part.isEmpty()) {
        batch.offset(tp.topic(), tp.partition(), part.get(part.size() - 1).offset() + 1);
      }
    }
    return read;
  }

  private void addOther(StoreBatch batch, ConsumerRecord<byte[], byte[]> r) throws InvalidProtocolBufferException {
    String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
    if (r.topic().equals(servicesTopic)) {
      if (r.value() != null) {
        batch.service(key, ServiceAggregate.parseFrom(r.value()));
      }
    } else if (r.topic().equals(statusTopic)) {
      if (r.value() == null) {
        if (key != null) {
          batch.sloDeleted(key);
        }
      } else {
        batch.sloStatus(key, SloStatusRecord.parseFrom(r.value()));
      }
    } else if (r.topic().equals(alertsTopic) && r.value() != null) {
      batch.sloAlert(SloAlertRecord.parseFrom(r.value()));
    }
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    synchronized (this) {
      notifyAll();
    }
    try {
      thread.join(Duration.ofSeconds(10).toMillis());
      writer.close(Duration.ofSeconds(10).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
