package io.switchyard.launcher.cli;

import io.switchyard.kafkaembedded.EmbeddedKafka;
import io.switchyard.model.TopicSpec;
import io.switchyard.model.Topics;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParameterException;

/** Creates Switchyard's topics on an external cluster (scale-out mode; `up` does this by itself). */
@Command(name = "topics", mixinStandardHelpOptions = true, description = "Creates or lists Switchyard's Kafka topics.",
    subcommands = {TopicsCommand.Create.class, TopicsCommand.ListTopics.class})
public final class TopicsCommand implements Runnable {
  /**
   * The create command's admin client id: log4j2.xml drops this client's connection-failure warnings, as an
   * unreachable broker ends the command in one line (a warning per retry stood above it).
   */
  static final String PROBE_CLIENT_ID = "switchyard-probe-topics-create";

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Creates every topic of the catalogue that does not exist yet; reports existing topics whose partitions or configs differ from it.")
  static final class Create implements Callable<Integer> {
    @Mixin KafkaOptions kafka;
    @picocli.CommandLine.Option(names = "--kafka-wait", paramLabel = "SECONDS",
        description = "How long the brokers have to answer before the command gives up (default: ${DEFAULT-VALUE}).")
    int kafkaWaitSeconds = 30;
    @picocli.CommandLine.Option(names = "--replication-factor", paramLabel = "N",
        description = "Replicas of each new topic (default: the brokers' default.replication.factor, which Kafka sets to 1; use 3 on a production cluster).")
    Short replicationFactor;
    @picocli.CommandLine.Option(names = "--min-insync-replicas", paramLabel = "N",
        description = "min.insync.replicas of each new topic: how many replicas must have a record before an acks=all producer (ingest, the Flink jobs) gets its acknowledgement (default: the brokers' min.insync.replicas, 1 unless the cluster sets it, whatever --replication-factor says; give 2 with --replication-factor 3).")
    Integer minInsyncReplicas;
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      if (kafkaWaitSeconds < 1) {
        throw new ParameterException(spec.commandLine(), "--kafka-wait must be at least 1 (seconds), got " + kafkaWaitSeconds);
      }
      if (replicationFactor != null && replicationFactor < 1) {
        throw new ParameterException(spec.commandLine(), "--replication-factor must be at least 1, got " + replicationFactor);
      }
      if (minInsyncReplicas != null && minInsyncReplicas < 1) {
        throw new ParameterException(spec.commandLine(), "--min-insync-replicas must be at least 1, got " + minInsyncReplicas);
      }
      if (minInsyncReplicas != null && replicationFactor != null && minInsyncReplicas > replicationFactor) {
        // Kafka creates such a topic, but then refuses every acks=all write to it (NOT_ENOUGH_REPLICAS).
        throw new ParameterException(spec.commandLine(), "--min-insync-replicas " + minInsyncReplicas
            + " exceeds --replication-factor " + replicationFactor + ": no acks=all write could ever succeed");
      }
      // A broker that is down, or a typo in --kafka, used to end in a stack trace ("cannot list topics: null")
      // after a minute: ask for the cluster id first and say in one line what could not be reached.
      String where = "Kafka at " + kafka.bootstrapServers + " (--kafka)";
      EmbeddedKafka.EnsuredTopics ensured;
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers,
          AdminClientConfig.CLIENT_ID_CONFIG, PROBE_CLIENT_ID,
          AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, kafkaWaitSeconds * 1000,
          AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, kafkaWaitSeconds * 1000))) {
        try {
          admin.describeCluster(new DescribeClusterOptions().timeoutMs(kafkaWaitSeconds * 1000))
              .clusterId().get(kafkaWaitSeconds + 5L, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
          return fail("cannot reach " + where + " within " + kafkaWaitSeconds + " s (--kafka-wait): no broker answered");
        }
        ensured = EmbeddedKafka.ensureTopics(admin, Topics.all(kafka.topicPrefix),
            replicationFactor == null ? -1 : replicationFactor,
            minInsyncReplicas == null ? Map.of() : Map.of("min.insync.replicas", minInsyncReplicas.toString()));
      } catch (KafkaException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        return fail("cannot reach " + where + ": " + cause.getMessage());
      } catch (IllegalStateException e) {
        return fail("on " + where + ": " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return fail("interrupted");
      }
      // One line a topic, what this run did to it: a second run on the same cluster says so rather than
      // repeating the settings it did not apply.
      for (TopicSpec t : Topics.all(kafka.topicPrefix)) {
        if (ensured.created().contains(t.name())) {
          spec.commandLine().getOut().printf("created %s partitions=%d %s%n", t.name(), t.partitions(), t.kafkaConfigs());
        } else {
          spec.commandLine().getOut().printf("exists  %s%n", t.name());
        }
      }
      // Existing topics are left as they are, but said so: other partitions or retention are the operator's
      // choice (a warning); another cleanup.policy changes what the jobs read back (an error, exit 1).
      boolean broken = false;
      for (EmbeddedKafka.TopicDrift d : ensured.drift()) {
        broken |= d.changesSemantics();
        spec.commandLine().getErr().println("switchyard: topics create: " + (d.changesSemantics() ? "" : "warning: ") + d
            + (d.changesSemantics() ? "; Switchyard needs " + d.expected() + ": recreate the topic or change it with kafka-configs" : ""));
      }
      return broken ? 1 : 0;
    }

    private int fail(String reason) {
      spec.commandLine().getErr().println("switchyard: topics create: " + reason);
      return 1;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Prints the topic catalogue.")
  static final class ListTopics implements Callable<Integer> {
    @picocli.CommandLine.Option(names = "--topic-prefix", description = "Prefix of every topic name.")
    String prefix = "";
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      for (TopicSpec t : Topics.all(prefix)) {
        spec.commandLine().getOut().printf("%s partitions=%d %s%n", t.name(), t.partitions(), t.kafkaConfigs());
      }
      return 0;
    }
  }
}
