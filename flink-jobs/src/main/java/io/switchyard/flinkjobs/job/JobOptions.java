package io.switchyard.flinkjobs.job;

import io.switchyard.flinkjobs.graph.PairingConfig;
import io.switchyard.flinkjobs.slo.spec.AlertPolicy;
import io.switchyard.flinkjobs.slo.spec.Durations;
import java.io.Serializable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Arguments shared by the local jar and the cluster job jar, parsed and validated once. Unknown or
 * malformed arguments are an error naming the argument.
 */
public record JobOptions(
    String kafka,
    String topicPrefix,
    Path dataDir,
    Duration window,
    Duration outOfOrderness,
    Duration allowedLateness,
    Duration idleness,
    Duration maxClockSkew,
    PairingConfig pairing,
    int maxNodes,
    Duration checkpointInterval,
    Duration transactionTimeout,
    int parallelism,
    int spanLanes,
    String groupId,
    boolean bounded,
    int restartAttempts,
    int restPort,
    int metricsPort,
    String restoreFrom,
    boolean fresh,
    AlertPolicy alertWindows,
    Duration meshPairingWait,
    Duration kafkaWait,
    long exitWithParent,
    Map<String, String> consumerProperties,
    Set<String> given) implements Serializable {

  /**
   * Consumer settings the job sets itself and {@code --consumer-property} may not change: offsets,
   * transactions (exactly-once reads committed records only), what is read and how it is decoded.
   */
  static final Set<String> JOB_CONSUMER_SETTINGS = Set.of("bootstrap.servers", "group.id", "client.id.prefix",
      "isolation.level", "enable.auto.commit", "auto.offset.reset", "key.deserializer", "value.deserializer",
      "partition.discovery.interval.ms");

  /** {@link #spanLanes()} before the runner has chosen the count ({@code --span-lanes auto}). */
  public static final int AUTO_LANES = 0;
  /** More lanes than this would only split the span topic's partitions thinner than any machine needs. */
  static final int MAX_LANES = 64;

  static final String USAGE = """
      Usage: switchyard-flink-local.jar [options]          (or: flink run switchyard-flink-jobs.jar [options])
             switchyard-flink-local.jar slo apply DIR --kafka HOST:PORT [--topic-prefix P] [--prune folder|all]
                                        [--window 1m] [--slo-alert-windows ...]
             switchyard-flink-local.jar slo check DIR [--window 1m] [--slo-alert-windows ...]
             switchyard-flink-local.jar slo rules DIR [--window 1m] [--slo-alert-windows ...]
        --kafka HOST:PORT           Kafka bootstrap servers (default 127.0.0.1:9092)
        --kafka-wait 30s            local jar: how long to wait for the broker to answer at start
                                    before exiting with code 1 and the reason
        --exit-with-parent PID      local jar: exit when process PID exits (up and switchyard flink-jobs
                                    pass their own, so a killed launcher leaves no job running)
        --topic-prefix P            prefix of every topic name (default none)
        --data-dir DIR              Flink data folder: DIR/checkpoints, DIR/savepoints (default ./data/flink;
                                    on a cluster: its execution.checkpointing.dir and savepoint-dir)
        --window 1m                 aggregation window (event time)
        --out-of-orderness 5s       watermark lag behind the newest event
        --allowed-lateness 5m       late events re-emit their window up to this long after it closed
        --idleness 10s              a quiet partition stops holding the watermark; then event time follows the clock
        --max-clock-skew 1m         live runs: a record later than its Kafka append time plus this moves event
                                    time only that far (a host whose clock runs ahead); at most
                                    --allowed-lateness, which also caps the default
        --pairing-wait 10s          how long a span waits for the other side of its edge
        --messaging-wait 4m         how long a PRODUCER span waits for its consumers (the longest queue
                                    latency that still makes an edge; at least --pairing-wait, at most
                                    --allowed-lateness, which also caps the default)
        --pairing-time event        event | processing: the clock of that wait
        --mesh-pairing-wait 10s     how long an access-log report waits for the other sidecar's report
                                    of the same request (same clock as --pairing-time)
        --dedupe-ttl 10m            how long a (trace, span, kind) is remembered to drop redeliveries
        --peer-attributes LIST      attributes naming a virtual server, comma separated
        --max-nodes 10000           distinct node names per subtask before grouping into "other"
        --checkpoint-interval 5s    exactly-once commit interval: results appear after window + this
        --transaction-timeout 10m   Kafka sink transaction.timeout.ms (<= broker transaction.max.timeout.ms)
        --parallelism 1             subtasks per operator; at 1 the span path runs as one chain with no
                                    keyed shuffle (the local default); above 1 spans are shuffled by trace.
                                    On a cluster the default is flink run -p N, else the cluster's default
        --span-lanes auto           local jar, at --parallelism 1: span pairing chains, each reading its own
                                    share of the span topic's partitions (a trace is in one partition);
                                    auto = the lanes of the snapshot it resumes, else one per two cores, at most
                                    4 and a divisor of the partition count. Cluster: auto = 1
        --group-id switchyard-flink consumer group for offsets
        --bounded                   stop at the topics' current end (tests, benchmarks, backfills)
        --restart-attempts 3        fixed-delay restarts before the job fails
        --rest-port -1              local MiniCluster web/REST port, -1 = any free one (never 8081: ratelimit's)
        --metrics-port 9249         local jar: Prometheus metrics at http://HOST:PORT/metrics, -1 = off
        --restore-from PATH         start from this checkpoint or savepoint (a folder with _metadata);
                                    state no operator claims is an error
        --fresh                     local jar: do not resume from the newest complete checkpoint or
                                    savepoint under --data-dir (the default), start from the
                                    consumer group's committed offsets
        --slo-alert-windows auto    burn-rate alerts: auto = the workbook's page:1h/5m:0.02,page:6h/30m:0.05,
                                    ticket:1d/2h:0.1,ticket:3d/6h:0.1 for 28d/30d SLOs, scaled with any other
                                    SLO window; or a list severity:long/short:budget-fraction used as given
        --consumer-property K=V     a Kafka consumer setting of the job's sources, over the job's own
                                    (e.g. max.poll.records=500, Kafka's default; the job polls 2000);
                                    repeat for several
      """;

  public static JobOptions defaults() {
    return parse(new String[0]);
  }

  public static JobOptions parse(String[] args) {
    Map<String, String> m = new LinkedHashMap<>();
    Map<String, String> consumer = new LinkedHashMap<>();
    List<String> flags = List.of("--bounded", "--fresh");
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (flags.contains(a)) {
        m.put(a, "true");
        continue;
      }
      String value;
      if (a.startsWith("--") && a.contains("=")) {
        value = a.substring(a.indexOf('=') + 1);
        a = a.substring(0, a.indexOf('='));
      } else if (a.startsWith("--") && i + 1 < args.length && !args[i + 1].startsWith("--")) {
        value = args[++i];
      } else if (a.startsWith("--")) {
        // No option takes a value starting with "--": the next word is another option, e.g. the launcher's
        // --exit-with-parent after a user's trailing --data-dir.
        throw new IllegalArgumentException(a + " needs a value\n" + USAGE);
      } else {
        throw new IllegalArgumentException("unexpected argument '" + a + "'");
      }
      if (a.equals("--consumer-property")) {
        consumerProperty(consumer, value);
      }
      m.put(a, value);
    }
    Map<String, String> left = new LinkedHashMap<>(m);
    left.remove("--consumer-property"); // read above, as often as given
    try {
      Duration window = dur(left, "--window", "1m");
      if (window.toMillis() < 1000) {
        throw new IllegalArgumentException("--window must be at least 1s");
      }
      Duration allowedLateness = dur(left, "--allowed-lateness", "5m");
      PairingConfig pairing = pairing(left, allowedLateness);
      String alerts = str(left, "--slo-alert-windows", "");
      JobOptions o = new JobOptions(
          str(left, "--kafka", "127.0.0.1:9092"),
          str(left, "--topic-prefix", ""),
          Path.of(str(left, "--data-dir", "data/flink")).toAbsolutePath(),
          window,
          dur(left, "--out-of-orderness", "5s"),
          allowedLateness,
          dur(left, "--idleness", "10s"),
          maxClockSkew(left, allowedLateness),
          pairing,
          integer(left, "--max-nodes", "10000"),
          dur(left, "--checkpoint-interval", "5s"),
          dur(left, "--transaction-timeout", "10m"),
          integer(left, "--parallelism", "1"),
          spanLanes(str(left, "--span-lanes", "auto")),
          str(left, "--group-id", "switchyard-flink"),
          Boolean.parseBoolean(str(left, "--bounded", "false")),
          integer(left, "--restart-attempts", "3"),
          integer(left, "--rest-port", "-1"),
          integer(left, "--metrics-port", "9249"),
          str(left, "--restore-from", ""),
          Boolean.parseBoolean(str(left, "--fresh", "false")),
          alertPolicy(alerts),
          dur(left, "--mesh-pairing-wait", "10s"),
          dur(left, "--kafka-wait", "30s"),
          longInteger(left, "--exit-with-parent", "0"),
          Map.copyOf(consumer),
          Set.copyOf(m.keySet()));
      if (!left.isEmpty()) {
        throw new IllegalArgumentException("unknown option " + left.keySet().iterator().next());
      }
      if (o.parallelism() < 1) {
        throw new IllegalArgumentException("--parallelism must be >= 1");
      }
      if (o.spanLanes() > 1 && o.parallelism() > 1) {
        throw new IllegalArgumentException("--span-lanes applies at --parallelism 1 only (above 1, spans are shuffled by trace)");
      }
      if (o.maxNodes() < 1) {
        throw new IllegalArgumentException("--max-nodes must be >= 1");
      }
      if (o.checkpointInterval().toMillis() < 10) {
        // Flink's own minimum; below it the job failed at build time with a stack trace.
        throw new IllegalArgumentException("--checkpoint-interval must be at least 10ms");
      }
      if (o.restartAttempts() < 0) {
        throw new IllegalArgumentException("--restart-attempts must be >= 0");
      }
      if (o.transactionTimeout().isZero() || o.transactionTimeout().isNegative()) {
        throw new IllegalArgumentException("--transaction-timeout must be positive");
      }
      if (o.idleness().isZero() || o.idleness().isNegative()) {
        throw new IllegalArgumentException("--idleness must be positive");
      }
      if (o.restPort() < -1 || o.restPort() > 65535) {
        throw new IllegalArgumentException("--rest-port must be a port, 0 or -1 for any free one");
      }
      if (o.restPort() == 8081) {
        throw new IllegalArgumentException("--rest-port 8081 is the rate-limit service's port; pick another or -1");
      }
      if (o.metricsPort() == 8081 || o.metricsPort() == 0 || o.metricsPort() < -1 || o.metricsPort() > 65535) {
        throw new IllegalArgumentException("--metrics-port must be a port other than 8081 (the rate-limit service's), or -1 for off");
      }
      if (o.meshPairingWait().isZero() || o.meshPairingWait().isNegative()) {
        throw new IllegalArgumentException("--mesh-pairing-wait must be positive");
      }
      if (o.kafkaWait().isZero() || o.kafkaWait().isNegative()) {
        throw new IllegalArgumentException("--kafka-wait must be positive");
      }
      if (o.exitWithParent() < 0) {
        throw new IllegalArgumentException("--exit-with-parent must be a process id");
      }
      if (o.fresh() && !o.restoreFrom().isEmpty()) {
        throw new IllegalArgumentException("--fresh and --restore-from exclude each other");
      }
      return o;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage() + "\n" + USAGE, e);
    }
  }

  /** The span pairing's options, each error naming the option it is about rather than the record's fields. */
  /**
   * {@code --max-clock-skew}: at most the allowed lateness, so that current records behind an event time pushed
   * ahead by a skewed clock are late but still counted (they update their window); the default is 1m, or the
   * allowed lateness when that is shorter.
   */
  private static Duration maxClockSkew(Map<String, String> left, Duration allowedLateness) {
    Duration dflt = Duration.ofMinutes(1).compareTo(allowedLateness) <= 0 ? Duration.ofMinutes(1) : allowedLateness;
    boolean given = left.containsKey("--max-clock-skew");
    Duration skew = dur(left, "--max-clock-skew", Durations.format(dflt));
    if (skew.isNegative()) {
      throw new IllegalArgumentException("--max-clock-skew must not be negative");
    }
    if (given && skew.compareTo(allowedLateness) > 0) {
      throw new IllegalArgumentException("--max-clock-skew " + Durations.format(skew) + " must be at most --allowed-lateness "
          + Durations.format(allowedLateness) + " (records behind an event time pushed that far ahead would be dropped as too"
          + " late; raise --allowed-lateness too)");
    }
    return skew;
  }

  private static PairingConfig pairing(Map<String, String> left, Duration allowedLateness) {
    Duration wait = dur(left, "--pairing-wait", "10s");
    boolean messagingGiven = left.containsKey("--messaging-wait");
    Duration messaging = dur(left, "--messaging-wait", Durations.format(PairingConfig.DEFAULT_MESSAGING_WAIT));
    String time = str(left, "--pairing-time", "event");
    Duration ttl = dur(left, "--dedupe-ttl", "10m");
    String peers = str(left, "--peer-attributes", String.join(",", PairingConfig.DEFAULT_PEER_ATTRIBUTES));
    PairingConfig.TimeDomain domain = switch (time.toLowerCase(java.util.Locale.ROOT)) {
      case "event" -> PairingConfig.TimeDomain.EVENT;
      case "processing" -> PairingConfig.TimeDomain.PROCESSING;
      default -> throw new IllegalArgumentException("--pairing-time: '" + time + "' is not event or processing");
    };
    if (wait.isZero() || wait.isNegative()) {
      throw new IllegalArgumentException("--pairing-wait must be positive");
    }
    if (!messagingGiven) {
      // The default shrinks to what the windows can still take and never undercuts the pairing wait.
      messaging = max(wait, allowedLateness.compareTo(messaging) < 0 ? allowedLateness : messaging);
    } else if (messaging.compareTo(wait) < 0) {
      throw new IllegalArgumentException("--messaging-wait " + Durations.format(messaging) + " must be at least --pairing-wait "
          + Durations.format(wait) + " (a producer waits for its consumers at least as long as any span for its partner)");
    } else if (messaging.compareTo(allowedLateness) > 0) {
      throw new IllegalArgumentException("--messaging-wait " + Durations.format(messaging) + " must be at most --allowed-lateness "
          + Durations.format(allowedLateness) + " (an edge it makes lands in its producer's window and would come after that "
          + "window closed; raise --allowed-lateness too)");
    }
    if (ttl.compareTo(wait) < 0) {
      throw new IllegalArgumentException("--dedupe-ttl " + Durations.format(ttl) + " must be at least --pairing-wait "
          + Durations.format(wait) + " (a span must be remembered while its partner may still come)");
    }
    try {
      return new PairingConfig(wait, messaging, domain, ttl, List.of(peers.split(",")));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--peer-attributes: " + e.getMessage(), e);
    }
  }

  /** {@code auto} is {@link #AUTO_LANES}; else a count of at least 1. */
  private static int spanLanes(String text) {
    if (text.equals("auto")) {
      return AUTO_LANES;
    }
    int lanes;
    try {
      lanes = Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--span-lanes: '" + text + "' is not auto or a count", e);
    }
    if (lanes < 1 || lanes > MAX_LANES) {
      throw new IllegalArgumentException("--span-lanes must be auto or 1 to " + MAX_LANES);
    }
    return lanes;
  }

  private static AlertPolicy alertPolicy(String text) {
    try {
      return AlertPolicy.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--slo-alert-windows: " + e.getMessage(), e);
    }
  }

  /** One {@code --consumer-property KEY=VALUE}; a key given again replaces its value. */
  private static void consumerProperty(Map<String, String> into, String setting) {
    int eq = setting.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException("--consumer-property: '" + setting + "' is not KEY=VALUE");
    }
    String key = setting.substring(0, eq).trim();
    if (JOB_CONSUMER_SETTINGS.contains(key)) {
      throw new IllegalArgumentException("--consumer-property: " + key + " is set by the job itself and cannot be changed"
          + (key.equals("bootstrap.servers") ? " (use --kafka)" : key.equals("group.id") ? " (use --group-id)" : ""));
    }
    into.put(key, setting.substring(eq + 1).trim());
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  private static String str(Map<String, String> m, String key, String def) {
    String v = m.remove(key);
    return v == null ? def : v;
  }

  private static Duration dur(Map<String, String> m, String key, String def) {
    try {
      return Durations.parse(str(m, key, def));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
    }
  }

  private static int integer(Map<String, String> m, String key, String def) {
    long v = longInteger(m, key, def);
    if (v != (int) v) {
      throw new IllegalArgumentException(key + ": '" + v + "' is out of range");
    }
    return (int) v;
  }

  private static long longInteger(Map<String, String> m, String key, String def) {
    String v = str(m, key, def);
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + ": '" + v + "' is not an integer", e);
    }
  }

  public String topic(io.switchyard.model.TopicSpec spec) {
    return spec.withPrefix(topicPrefix).name();
  }

  /** Whether the command line named {@code option} (e.g. "--parallelism"), rather than its default applying. */
  public boolean given(String option) {
    return given.contains(option);
  }

  public Path checkpointDir() {
    return dataDir.resolve("checkpoints");
  }

  public Path savepointDir() {
    return dataDir.resolve("savepoints");
  }

  /**
   * The local MiniCluster's working files ({@code io.tmp.dirs}): the running job's RocksDB instances, its blobs and
   * Flink's extracted RPC jar. Nothing in it is needed to resume (that is the checkpoints' job), so the local jar
   * empties it at start, under the folder's lock.
   */
  public Path workDir() {
    return dataDir.resolve("work");
  }

  /**
   * How long the access-log pairing remembers a request after its wait ended, to drop late copies of its
   * reports (a retried export): as long as an edge of such a copy could still count. The edge's window
   * closes for good {@code --allowed-lateness} after its end, and the request started at most a window
   * before that end; a copy coming later would be dropped as too late anyway.
   */
  public Duration meshDedupeMemory() {
    return allowedLateness.plus(window);
  }

  /** The same options starting from {@code snapshot}. */
  public JobOptions withRestoreFrom(String snapshot) {
    return new JobOptions(kafka, topicPrefix, dataDir, window, outOfOrderness, allowedLateness, idleness, maxClockSkew, pairing,
        maxNodes, checkpointInterval, transactionTimeout, parallelism, spanLanes, groupId, bounded, restartAttempts, restPort, metricsPort, snapshot,
        false, alertWindows, meshPairingWait, kafkaWait, exitWithParent, consumerProperties, given);
  }

  /** The same options with {@code lanes} span lanes (the runner's choice for {@code --span-lanes auto}). */
  public JobOptions withSpanLanes(int lanes) {
    if (lanes < 1 || lanes > MAX_LANES) {
      throw new IllegalArgumentException("span lanes must be 1 to " + MAX_LANES + ": " + lanes);
    }
    return new JobOptions(kafka, topicPrefix, dataDir, window, outOfOrderness, allowedLateness, idleness, maxClockSkew, pairing,
        maxNodes, checkpointInterval, transactionTimeout, parallelism, lanes, groupId, bounded, restartAttempts, restPort, metricsPort,
        restoreFrom, fresh, alertWindows, meshPairingWait, kafkaWait, exitWithParent, consumerProperties, given);
  }

  /** The options back as arguments (the launcher and tests build command lines with this). */
  public List<String> toArgs() {
    List<String> a = new ArrayList<>(List.of("--kafka", kafka, "--topic-prefix", topicPrefix, "--data-dir", dataDir.toString(),
        "--window", Durations.format(window), "--parallelism", Integer.toString(parallelism),
        "--span-lanes", spanLanes == AUTO_LANES ? "auto" : Integer.toString(spanLanes)));
    if (bounded) {
      a.add("--bounded");
    }
    consumerProperties.forEach((k, v) -> a.addAll(List.of("--consumer-property", k + "=" + v)));
    return a;
  }
}
