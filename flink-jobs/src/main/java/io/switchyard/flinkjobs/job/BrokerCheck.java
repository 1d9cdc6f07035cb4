package io.switchyard.flinkjobs.job;

import io.switchyard.flinkjobs.slo.spec.Durations;
import io.switchyard.model.Topics;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;

/**
 * The local jar asks the broker for its cluster id before it starts the MiniCluster. Without this, an
 * unreachable {@code --kafka} shows up only as the Kafka source's failovers until the restart attempts
 * run out, and the launcher then ends with Flink's "MiniCluster is not yet running" instead of a reason.
 */
final class BrokerCheck {
  /**
   * The start check's client id: log4j2.xml drops this client's connection-failure warnings, as the check ends
   * in one line naming the broker (a warning per retry stood above it).
   */
  static final String PROBE_CLIENT_ID = "switchyard-probe-broker-check";

  private BrokerCheck() {}

  /** Empty when a broker at {@code bootstrap} answered within {@code wait}, else the one-line reason. */
  static Optional<String> unreachable(String bootstrap, Duration wait) {
    int ms = (int) Math.max(1, wait.toMillis());
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        AdminClientConfig.CLIENT_ID_CONFIG, PROBE_CLIENT_ID,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms,
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, ms))) {
      admin.describeCluster(new DescribeClusterOptions().timeoutMs(ms)).clusterId().get(ms + 1000L, TimeUnit.MILLISECONDS);
      return Optional.empty();
    } catch (KafkaException e) {
      // Admin.create fails at once when no bootstrap name resolves ("No resolvable bootstrap urls").
      return Optional.of(reason(bootstrap, wait, rootMessage(e)));
    } catch (ExecutionException | TimeoutException e) {
      return Optional.of(reason(bootstrap, wait, "no broker answered"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of(reason(bootstrap, wait, "interrupted"));
    }
  }

  /** How long topics missing from the broker's listing may take to appear (created just before the start). */
  private static final Duration TOPICS_SETTLE = Duration.ofSeconds(5);

  /**
   * Empty when the broker at {@code options.kafka()} holds every topic the job reads and writes and takes
   * the sinks' transaction timeout, else the one-line reason. Without this, a topic prefix that was never
   * created, or a {@code --transaction-timeout} above the broker's {@code transaction.max.timeout.ms}, let the
   * job print its ready line and then fail over until its restart attempts ran out, in a few hundred lines
   * of stack traces naming neither the option nor the fix. A broker that does not answer these questions
   * within the wait (e.g. ACLs deny describing its configuration) is not judged: the job starts as before.
   */
  static Optional<String> unusable(JobOptions options) {
    int ms = waitMs(options);
    try (Admin admin = admin(options, ms)) {
      Optional<String> topics = missingTopics(admin, options, ms);
      return topics.isPresent() ? topics : transactionTimeoutTooLong(admin, options, ms);
    } catch (KafkaException | ExecutionException | TimeoutException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /**
   * The partition count of the topic the job reads spans from, which bounds the span lanes (each lane reads
   * its own share of the partitions). Asked like {@link #unusable}, waiting at most {@code --kafka-wait}.
   */
  static int spanPartitions(JobOptions options) throws ExecutionException, InterruptedException, TimeoutException {
    String topic = options.topic(Topics.SPANS);
    int ms = waitMs(options);
    try (Admin admin = admin(options, ms)) {
      return admin.describeTopics(List.of(topic), new DescribeTopicsOptions().timeoutMs(ms)).allTopicNames()
          .get(ms + 1000L, TimeUnit.MILLISECONDS).get(topic).partitions().size();
    }
  }

  private static int waitMs(JobOptions options) {
    return (int) Math.max(1, options.kafkaWait().toMillis());
  }

  /** An admin client of the job's broker whose every call gives up after {@code ms}. */
  private static Admin admin(JobOptions options, int ms) {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, options.kafka(),
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms,
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, ms));
  }

  private static Optional<String> missingTopics(Admin admin, JobOptions options, int ms)
      throws ExecutionException, InterruptedException, TimeoutException {
    // A broker learns of topics created a moment ago (by `up` just before it starts this job) with a short delay.
    long deadline = System.nanoTime() + Math.min(ms, TOPICS_SETTLE.toMillis()) * 1_000_000L;
    List<String> missing;
    while (true) {
      Set<String> present = admin.listTopics(new ListTopicsOptions().timeoutMs(ms)).names().get(ms + 1000L, TimeUnit.MILLISECONDS);
      missing = jobTopics(options).stream().filter(t -> !present.contains(t)).toList();
      if (missing.isEmpty()) {
        return Optional.empty();
      }
      if (System.nanoTime() >= deadline) {
        break;
      }
      Thread.sleep(200);
    }
    return Optional.of("topics not found on the broker at " + options.kafka() + " (--kafka): " + String.join(", ", missing)
        + " (create them with switchyard topics create --kafka " + options.kafka()
        + (options.topicPrefix().isEmpty() ? "" : " --topic-prefix " + options.topicPrefix()) + ", or check --topic-prefix)");
  }

  /** The topics the job reads (spans, access logs, SLO definitions) and writes (aggregates, SLO status and alerts). */
  static List<String> jobTopics(JobOptions options) {
    return List.of(Topics.SPANS, Topics.ACCESS_LOGS, Topics.SLO_DEFINITIONS, Topics.EDGES, Topics.SERVICES, Topics.SLO_STATUS,
        Topics.SLO_ALERTS).stream().map(options::topic).toList();
  }

  private static Optional<String> transactionTimeoutTooLong(Admin admin, JobOptions options, int ms)
      throws ExecutionException, InterruptedException, TimeoutException {
    Collection<Node> nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs(ms)).nodes().get(ms + 1000L, TimeUnit.MILLISECONDS);
    if (nodes.isEmpty()) {
      return Optional.empty();
    }
    ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, nodes.iterator().next().idString());
    Config config = admin.describeConfigs(List.of(broker)).all().get(ms + 1000L, TimeUnit.MILLISECONDS).get(broker);
    ConfigEntry max = config == null ? null : config.get("transaction.max.timeout.ms");
    if (max == null || max.value() == null) {
      return Optional.empty();
    }
    long maxMs = Long.parseLong(max.value());
    if (options.transactionTimeout().toMillis() <= maxMs) {
      return Optional.empty();
    }
    return Optional.of("--transaction-timeout " + Durations.format(options.transactionTimeout())
        + " is above the broker's transaction.max.timeout.ms (" + Durations.format(Duration.ofMillis(maxMs))
        + "): the sinks could not open a transaction; lower it, or raise the broker's setting");
  }

  private static String reason(String bootstrap, Duration wait, String why) {
    return "cannot reach Kafka at " + bootstrap + " (--kafka) within " + wait.toSeconds() + " s (--kafka-wait): " + why;
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }
}
