package io.switchyard.launcher.cli;

import io.switchyard.kafkaembedded.EmbeddedKafka;
import io.switchyard.model.TopicSpec;
import io.switchyard.model.Topics;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Creates Switchyard's topics on an external cluster (scale-out mode; `up` does this by itself). */
@Command(name = "topics", mixinStandardHelpOptions = true, description = "Creates or lists Switchyard's Kafka topics.",
    subcommands = {TopicsCommand.Create.class, TopicsCommand.ListTopics.class})
public final class TopicsCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Creates every topic of the catalogue that does not exist yet.")
  static final class Create implements Callable<Integer> {
    @Mixin KafkaOptions kafka;
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers))) {
        EmbeddedKafka.createTopics(admin, Topics.all(kafka.topicPrefix));
      }
      for (TopicSpec t : Topics.all(kafka.topicPrefix)) {
        spec.commandLine().getOut().printf("%s partitions=%d %s%n", t.name(), t.partitions(), t.kafkaConfigs());
      }
      return 0;
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
