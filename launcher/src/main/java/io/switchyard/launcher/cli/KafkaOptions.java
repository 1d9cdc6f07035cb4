package io.switchyard.launcher.cli;

import picocli.CommandLine.Option;

/** Where a service finds Kafka, and the deployment's topic prefix. */
public final class KafkaOptions {
  @Option(names = "--kafka", paramLabel = "HOST:PORT,...", description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}).")
  public String bootstrapServers = "127.0.0.1:9092";

  @Option(names = "--topic-prefix", paramLabel = "PREFIX", description = "Prefix of every Switchyard topic name (default: none).")
  public String topicPrefix = "";
}
