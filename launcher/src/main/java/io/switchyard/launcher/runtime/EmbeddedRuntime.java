package io.switchyard.launcher.runtime;

import io.switchyard.kafkaembedded.EmbeddedKafka;
import io.switchyard.model.Topics;
import io.switchyard.serverkit.health.Readiness;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The all-in-one runtime behind {@code switchyard up}: the embedded Kafka broker and the catalogue's
 * topics, the admin endpoint, every service in this JVM, and the Flink jobs in a supervised child JVM.
 * Everything persistent lives under one data folder, so a second {@code up} on it continues where the
 * first stopped.
 */
public final class EmbeddedRuntime {
  /** A line the Flink jobs' JVM prints once its jobs run; marks the flink-jobs component ready. */
  public static final String CHILD_READY_MARKER = "switchyard-ready";

  private EmbeddedRuntime() {}

  /** Everything {@code up} needs to know. */
  public record Settings(
      Path dataDir,
      Path configDir,
      String adminHost,
      int adminPort,
      String adminToken,
      int kafkaPort,
      int kafkaControllerPort,
      String topicPrefix,
      Path flinkJar,
      List<String> flinkJvmArgs) {
    public Settings {
      Objects.requireNonNull(dataDir, "dataDir");
      Objects.requireNonNull(configDir, "configDir");
      topicPrefix = topicPrefix == null ? "" : topicPrefix;
      flinkJvmArgs = flinkJvmArgs == null ? List.of() : List.copyOf(flinkJvmArgs);
    }
  }

  /** Starts everything; on failure stops what already started and rethrows. */
  public static SwitchyardProcess start(Settings s, PrintStream out) throws Exception {
    Files.createDirectories(s.dataDir());
    SwitchyardProcess p = SwitchyardProcess.start(s.adminHost(), s.adminPort(), s.adminToken(), out);
    try {
      Readiness.Component kafkaReady = p.readiness().register("kafka");
      EmbeddedKafka kafka = p.own("kafka", EmbeddedKafka.builder()
          .dataDir(s.dataDir().resolve("kafka")).port(s.kafkaPort()).controllerPort(s.kafkaControllerPort()).build());
      kafka.start();
      kafka.createTopics(Topics.all(s.topicPrefix()));
      kafkaReady.ready();
      p.announce("kafka", kafka.bootstrapServers() + " (KRaft; data in " + s.dataDir().resolve("kafka") + ")");
      startFlinkJobs(p, s, kafka.bootstrapServers(), out);
      return p;
    } catch (Exception | Error e) {
      p.close();
      throw e;
    }
  }

  private static void startFlinkJobs(SwitchyardProcess p, Settings s, String kafka, PrintStream out) throws Exception {
    if (s.flinkJar() == null) {
      out.println("switchyard: flink-jobs      off    (--no-flink)");
      return;
    }
    if (!Files.isRegularFile(s.flinkJar())) {
      throw new IllegalArgumentException("Flink jobs jar not found at " + s.flinkJar()
          + " (build it with: mvn -pl flink-jobs -am package -DskipTests, or start with --no-flink)");
    }
    Readiness.Component ready = p.readiness().register("flink-jobs");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(s.flinkJvmArgs());
    cmd.add("-jar");
    cmd.add(s.flinkJar().toString());
    cmd.addAll(List.of("--kafka", kafka, "--data-dir", s.dataDir().resolve("flink").toString()));
    if (!s.topicPrefix().isEmpty()) {
      cmd.addAll(List.of("--topic-prefix", s.topicPrefix()));
    }
    ChildProcessSupervisor child = ChildProcessSupervisor.builder("flink-jobs", cmd)
        .output(line -> {
          if (line.contains(CHILD_READY_MARKER)) {
            ready.ready();
            p.announce("flink-jobs", "child JVM (local MiniCluster; checkpoints in " + s.dataDir().resolve("flink") + ")");
          } else {
            out.println("[flink-jobs] " + line);
          }
        })
        .build();
    p.own("flink-jobs", child).start();
  }
}
