package io.switchyard.kafkaembedded;

import io.switchyard.model.TopicSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker in KRaft mode (broker and controller in one process) running inside
 * this JVM, from the official broker artifact. Its log folder persists: a second start on the same data
 * folder keeps every record. Internal topics (offsets, transaction state) get replication factor and
 * min ISR 1 so that transactions and consumer groups work on one node.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);

  private final Path dataDir;
  private final String host;
  private final int port;
  private final int controllerPort;
  private final Map<String, String> overrides;
  private KafkaRaftServer server;

  private EmbeddedKafka(Builder b) {
    this.dataDir = b.dataDir;
    this.host = b.host;
    this.port = b.port == 0 ? freePort() : b.port;
    this.controllerPort = b.controllerPort == 0 ? freePort() : b.controllerPort;
    this.overrides = Map.copyOf(b.overrides);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Starts the broker and waits until it serves requests. */
  public synchronized EmbeddedKafka start() {
    if (server != null) {
      throw new IllegalStateException("already started");
    }
    try {
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create Kafka data folder " + dataDir, e);
    }
    KafkaConfig config = KafkaConfig.fromProps(brokerProperties(), false);
    formatIfNew(config);
    server = new KafkaRaftServer(config, Time.SYSTEM);
    server.startup();
    awaitServing(Duration.ofSeconds(60));
    log.info("Kafka broker ready on {} (data in {})", bootstrapServers(), dataDir);
    return this;
  }

  private Properties brokerProperties() {
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.voters", "1@" + host + ":" + controllerPort);
    p.put("listeners", "PLAINTEXT://" + host + ":" + port + ",CONTROLLER://" + host + ":" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://" + host + ":" + port);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("log.dirs", dataDir.resolve("logs").toString());
    for (String k : List.of("offsets.topic.replication.factor", "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr", "share.coordinator.state.topic.replication.factor",
        "share.coordinator.state.topic.min.isr", "default.replication.factor", "min.insync.replicas")) {
      p.put(k, "1");
    }
    p.put("offsets.topic.num.partitions", "5");
    p.put("transaction.state.log.num.partitions", "5");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("num.partitions", "3");
    // The default log-cleaner dedupe buffer is 128 MiB on heap; compacted topics here are small.
    p.put("log.cleaner.dedupe.buffer.size", String.valueOf(8 << 20));
    // Flink's exactly-once sink asks for transaction timeouts up to this bound.
    p.put("transaction.max.timeout.ms", String.valueOf(Duration.ofMinutes(15).toMillis()));
    p.put("auto.create.topics.enable", "false");
    p.putAll(overrides);
    return p;
  }

  private static void formatIfNew(KafkaConfig config) {
    // Format only on first start: formatting again with a new cluster id would make the broker refuse
    // its own existing logs.
    if (Files.exists(Path.of(config.metadataLogDir(), "meta.properties"))) {
      return;
    }
    try {
      new Formatter()
          .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
          .setNodeId(config.nodeId())
          .setClusterId(Uuid.randomUuid().toString())
          .setControllerListenerName(config.controllerListenerNames().get(0))
          .setMetadataLogDirectory(config.metadataLogDir())
          .setDirectories(new java.util.TreeSet<>(config.logDirs()))
          .run();
    } catch (Exception e) {
      throw new IllegalStateException("cannot format Kafka storage in " + config.metadataLogDir(), e);
    }
  }

  private void awaitServing(Duration timeout) {
    try (Admin admin = admin()) {
      admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for Kafka", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("Kafka broker did not start serving within " + timeout, e);
    }
  }

  public String bootstrapServers() {
    return host + ":" + port;
  }

  public int port() {
    return port;
  }

  public int controllerPort() {
    return controllerPort;
  }

  public Path dataDir() {
    return dataDir;
  }

  public Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
  }

  /**
   * Creates the topics that do not exist yet; existing ones are left as they are, and each way they differ from
   * the catalogue is returned (see {@link #createTopics(Admin, List)}).
   */
  public List<TopicDrift> createTopics(List<TopicSpec> topics) {
    try (Admin admin = admin()) {
      return createTopics(admin, topics);
    }
  }

  /**
   * What {@link #ensureOwnTopics} did: the topics it created, the catalogue configs it set on existing topics that
   * left them at the broker's default ({@code completed}), and the differences it left as they are ({@code drift}).
   */
  public record OwnTopics(List<String> created, List<TopicDrift> completed, List<TopicDrift> drift) {
    public OwnTopics {
      created = List.copyOf(created);
      completed = List.copyOf(completed);
      drift = List.copyOf(drift);
    }
  }

  /**
   * For this broker's own topics ({@code up}'s): creates the missing ones, and on existing ones sets each catalogue
   * config that the topic does not set itself. Such a topic was created by a build whose catalogue lacked that
   * config (segment.ms came later) and runs on the broker's default, which is not a choice anyone made; a value set
   * on the topic (by hand, or by an earlier catalogue) is left and reported, as {@link #createTopics(Admin, List)}
   * does, and so is a cleanup policy, which changes what readers see. External clusters are never changed this way.
   */
  public OwnTopics ensureOwnTopics(List<TopicSpec> topics) {
    try (Admin admin = admin()) {
      EnsuredTopics ensured = ensureTopics(admin, topics, (short) -1, Map.of());
      List<ConfigResource> drifted = ensured.drift().stream().map(d -> new ConfigResource(ConfigResource.Type.TOPIC, d.topic()))
          .distinct().toList();
      Map<ConfigResource, Config> configs = drifted.isEmpty() ? Map.of()
          : admin.describeConfigs(drifted).all().get(30, TimeUnit.SECONDS);
      Map<ConfigResource, java.util.Collection<AlterConfigOp>> set = new java.util.LinkedHashMap<>();
      List<TopicDrift> completed = new ArrayList<>();
      List<TopicDrift> drift = new ArrayList<>();
      for (TopicDrift d : ensured.drift()) {
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, d.topic());
        ConfigEntry entry = configs.get(topic).get(d.setting());
        if (entry != null && entry.source() != ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG && !d.changesSemantics()) {
          set.computeIfAbsent(topic, t -> new ArrayList<>())
              .add(new AlterConfigOp(new ConfigEntry(d.setting(), d.expected()), AlterConfigOp.OpType.SET));
          completed.add(d);
        } else {
          drift.add(d);
        }
      }
      if (!set.isEmpty()) {
        admin.incrementalAlterConfigs(set).all().get(30, TimeUnit.SECONDS);
      }
      return new OwnTopics(ensured.created(), completed, drift);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking the topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot set the catalogue's configs on the existing topics: " + e.getMessage(), e);
    }
  }

  /**
   * How an existing topic differs from the catalogue: its partition count or one of the catalogue's topic configs
   * ({@code setting} is "partitions" or the config's name).
   */
  public record TopicDrift(String topic, String setting, String actual, String expected) {
    /**
     * Whether the difference changes what readers see rather than cost or reach: a compacted topic cleaned by
     * retention loses the latest value of keys that are not written again, a deleted one keeps only the latest.
     */
    public boolean changesSemantics() {
      return setting.equals("cleanup.policy");
    }

    @Override
    public String toString() {
      return topic + " exists with " + setting + "=" + actual + " (catalogue: " + expected + ")";
    }
  }

  /**
   * Creates the topics that do not exist yet with any admin client (also against external clusters). Topics that
   * exist are not changed (partitions cannot shrink, and an operator may have tuned retention on purpose), but
   * their partition count and the catalogue's configs are compared, and every difference is returned so that the
   * caller reports it instead of running on settings it did not ask for.
   */
  public static List<TopicDrift> createTopics(Admin admin, List<TopicSpec> topics) {
    return createTopics(admin, topics, (short) -1, Map.of());
  }

  /**
   * As {@link #createTopics(Admin, List)}, with a replication factor ({@code -1}: the brokers'
   * {@code default.replication.factor}, which is 1 unless the cluster sets it) and topic configs beyond the
   * catalogue's for every topic (e.g. {@code min.insync.replicas}); both are compared on existing topics too.
   */
  public static List<TopicDrift> createTopics(Admin admin, List<TopicSpec> topics, short replicationFactor,
      Map<String, String> extraConfigs) {
    return ensureTopics(admin, topics, replicationFactor, extraConfigs).drift();
  }

  /**
   * What {@link #ensureTopics} did: the topics it created ({@code created}, in catalogue order) and how the others,
   * which existed, differ from the catalogue ({@code drift}).
   */
  public record EnsuredTopics(List<String> created, List<TopicDrift> drift) {
    public EnsuredTopics {
      created = List.copyOf(created);
      drift = List.copyOf(drift);
    }
  }

  /** As {@link #createTopics(Admin, List, short, Map)}, also saying which topics it created. */
  public static EnsuredTopics ensureTopics(Admin admin, List<TopicSpec> topics, short replicationFactor,
      Map<String, String> extraConfigs) {
    try {
      Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      List<NewTopic> create = new ArrayList<>();
      List<TopicSpec> present = new ArrayList<>();
      for (TopicSpec t : topics) {
        if (existing.contains(t.name())) {
          present.add(t);
        } else {
          create.add(new NewTopic(t.name(), t.partitions(), replicationFactor).configs(configs(t, extraConfigs)));
        }
      }
      Set<String> created = new HashSet<>();
      for (var e : admin.createTopics(create).values().entrySet()) {
        try {
          e.getValue().get(30, TimeUnit.SECONDS);
          created.add(e.getKey());
        } catch (ExecutionException ex) {
          if (!(ex.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("cannot create topic " + e.getKey() + ": " + ex.getCause().getMessage(), ex.getCause());
          }
          // Created meanwhile, or not yet in the listed metadata: compared like any existing topic.
          topics.stream().filter(t -> t.name().equals(e.getKey())).forEach(present::add);
        }
      }
      return new EnsuredTopics(topics.stream().map(TopicSpec::name).filter(created::contains).toList(),
          drift(admin, present, replicationFactor, extraConfigs));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot list topics: " + e.getMessage(), e);
    }
  }

  private static Map<String, String> configs(TopicSpec t, Map<String, String> extraConfigs) {
    Map<String, String> all = new TreeMap<>(extraConfigs);
    all.putAll(t.kafkaConfigs());
    return all;
  }

  private static List<TopicDrift> drift(Admin admin, List<TopicSpec> present, short replicationFactor,
      Map<String, String> extraConfigs) throws InterruptedException, TimeoutException {
    if (present.isEmpty()) {
      return List.of();
    }
    List<String> names = present.stream().map(TopicSpec::name).toList();
    Map<String, TopicDescription> described;
    Map<ConfigResource, Config> configs;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        described = admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
        configs = admin.describeConfigs(names.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList())
            .all().get(30, TimeUnit.SECONDS);
        break;
      } catch (ExecutionException e) {
        // A topic another client just created is known to the controller before every broker's metadata has it.
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
          throw new IllegalStateException("cannot check the settings of the existing topics: " + e.getCause().getMessage(), e.getCause());
        }
        Thread.sleep(200);
      }
    }
    List<TopicDrift> drift = new ArrayList<>();
    for (TopicSpec t : present) {
      List<TopicPartitionInfo> partitions = described.get(t.name()).partitions();
      if (partitions.size() != t.partitions()) {
        drift.add(new TopicDrift(t.name(), "partitions", Integer.toString(partitions.size()), Integer.toString(t.partitions())));
      }
      int replicas = partitions.stream().mapToInt(p -> p.replicas().size()).min().orElse(0);
      if (replicationFactor > 0 && replicas != replicationFactor) {
        drift.add(new TopicDrift(t.name(), "replication.factor", Integer.toString(replicas), Short.toString(replicationFactor)));
      }
      Config config = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, t.name()));
      for (var want : configs(t, extraConfigs).entrySet()) {
        ConfigEntry have = config.get(want.getKey());
        String actual = have == null || have.value() == null ? "(unset)" : have.value();
        if (!actual.equals(want.getValue())) {
          drift.add(new TopicDrift(t.name(), want.getKey(), actual, want.getValue()));
        }
      }
    }
    return drift;
  }

  /** Stops the broker cleanly; its data stays in the data folder. */
  @Override
  public synchronized void close() {
    if (server != null) {
      server.shutdown();
      server.awaitShutdown();
      server = null;
      log.info("Kafka broker on {} stopped", bootstrapServers());
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static final class Builder {
    private Path dataDir;
    private String host = "127.0.0.1";
    private int port;
    private int controllerPort;
    private final Map<String, String> overrides = new java.util.HashMap<>();

    public Builder dataDir(Path dataDir) {
      this.dataDir = dataDir;
      return this;
    }

    public Builder host(String host) {
      this.host = Objects.requireNonNull(host);
      return this;
    }

    /** The client port; 0 (default) picks a free one. */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder controllerPort(int port) {
      this.controllerPort = port;
      return this;
    }

    /** A broker property to set or override. */
    public Builder brokerProperty(String key, String value) {
      overrides.put(key, value);
      return this;
    }

    public EmbeddedKafka build() {
      Objects.requireNonNull(dataDir, "dataDir");
      return new EmbeddedKafka(this);
    }
  }
}
