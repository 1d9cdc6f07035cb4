package io.switchyard.launcher.cli;

import io.switchyard.launcher.runtime.EmbeddedRuntime;
import io.switchyard.launcher.runtime.SwitchyardProcess;
import io.switchyard.model.DefaultPorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code switchyard up}: everything on one machine, in one JVM plus the supervised Flink child. */
@Command(name = "up", mixinStandardHelpOptions = true,
    description = {
        "Starts all of Switchyard on this machine: an embedded Kafka broker (KRaft), every service, the admin",
        "endpoint, and the Flink jobs in a supervised child JVM. Data lives under --data-dir; a second 'up' on",
        "the same folder keeps its data. Reads the config folder: ratelimit/, authz/, slo/, mesh.yaml."})
public final class UpCommand implements Callable<Integer> {
  @Option(names = "--data-dir", paramLabel = "DIR", description = "Where Kafka logs, Flink checkpoints and stores live (default: data/ of the install).")
  Path dataDir;

  @Option(names = "--config-dir", paramLabel = "DIR", description = "Config folder (default: config/ in the working directory, else of the install).")
  Path configDir;

  @Option(names = "--kafka-port", paramLabel = "PORT", description = "Embedded Kafka client port (default: ${DEFAULT-VALUE}).")
  int kafkaPort = DefaultPorts.KAFKA;

  @Option(names = "--kafka-controller-port", paramLabel = "PORT", description = "Embedded Kafka KRaft controller port (default: ${DEFAULT-VALUE}).")
  int kafkaControllerPort = DefaultPorts.KAFKA_CONTROLLER;

  @Option(names = "--topic-prefix", paramLabel = "PREFIX", description = "Prefix of every topic name (default: none).")
  String topicPrefix = "";

  @Option(names = "--no-flink", description = "Do not start the Flink jobs' child JVM.")
  boolean noFlink;

  @Option(names = "--flink-jar", paramLabel = "JAR", description = "The Flink jobs' local jar (default: flink-jobs/target/switchyard-flink-local.jar of the install).")
  Path flinkJar;

  @Option(names = "--flink-heap", paramLabel = "SIZE", description = "Heap of the Flink jobs' JVM (default: ${DEFAULT-VALUE}).")
  String flinkHeap = "1g";

  @Mixin AdminOptions admin;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Path home = Installation.home();
    Path data = dataDir != null ? dataDir : home.resolve("data");
    Path config = configDir != null ? configDir : Files.isDirectory(Path.of("config")) ? Path.of("config") : home.resolve("config");
    if (!Files.isDirectory(config)) {
      throw new IllegalArgumentException("config folder not found: " + config + " (--config-dir)");
    }
    Path jar = noFlink ? null : flinkJar != null ? flinkJar : home.resolve("flink-jobs/target/switchyard-flink-local.jar");
    EmbeddedRuntime.Settings settings = new EmbeddedRuntime.Settings(data.toAbsolutePath(), config.toAbsolutePath(),
        admin.host, admin.port, admin.token(), kafkaPort, kafkaControllerPort, topicPrefix, jar,
        List.of("-Xmx" + flinkHeap));
    var out = new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true);
    SwitchyardProcess p = EmbeddedRuntime.start(settings, out);
    out.println("switchyard: up (data in " + settings.dataDir() + ", config from " + settings.configDir() + "); Ctrl-C to stop");
    p.awaitShutdown();
    return 0;
  }
}
