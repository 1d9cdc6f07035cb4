package io.switchyard.launcher.runtime;

import io.switchyard.extauthz.ExtAuthzConfig;
import io.switchyard.extauthz.ExtAuthzServer;
import io.switchyard.extauthz.log.DecisionLogger;
import io.switchyard.kafkaembedded.EmbeddedKafka;
import io.switchyard.model.DefaultPorts;
import io.switchyard.model.Topics;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.topology.TopologyApiOptions;
import io.switchyard.topology.TopologyApiServer;
import io.switchyard.xds.server.XdsServer;
import java.io.PrintStream;
import io.switchyard.ratelimit.limiter.LimiterOptions;
import io.switchyard.ratelimit.storage.StorageOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
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
      List<String> flinkJvmArgs,
      int topologyPort) {
    /** Defaults the ports of the services added after the first version of these settings. */
    public Settings(Path dataDir, Path configDir, String adminHost, int adminPort, String adminToken, int kafkaPort,
        int kafkaControllerPort, String topicPrefix, Path flinkJar, List<String> flinkJvmArgs) {
      this(dataDir, configDir, adminHost, adminPort, adminToken, kafkaPort, kafkaControllerPort, topicPrefix, flinkJar,
          flinkJvmArgs, DefaultPorts.TOPOLOGY_HTTP);
    }

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
      io.switchyard.launcher.cli.IngestCommand.start(p,
          io.switchyard.launcher.cli.IngestCommand.config(kafka.bootstrapServers(), s.topicPrefix(), s.dataDir()));
      TopologyApiServer topology = p.own("topology-api", new TopologyApiServer(
          TopologyApiOptions.defaults(s.dataDir(), kafka.bootstrapServers(), s.topicPrefix()).withPort(s.topologyPort()),
          Clock.systemUTC(), null));
      topology.start();
      p.announce("topology-api", "http://0.0.0.0:" + topology.port() + "/api/v1/graph (store in " + s.dataDir().resolve("topology-store") + ")");
      startExtAuthz(p, s, kafka.bootstrapServers());
      startXds(p, s, out);
      if (Files.isDirectory(s.configDir().resolve("ratelimit"))) {
        RateLimitRuntime.start(p, s.configDir().resolve("ratelimit"), "0.0.0.0", DefaultPorts.RATELIMIT_GRPC, null,
            StorageOptions.memory(), LimiterOptions.defaults(), false);
      }
      startFlinkJobs(p, s, kafka.bootstrapServers(), out);
      return p;
    } catch (Exception | Error e) {
      p.close();
      throw e;
    }
  }

  /** ext-authz on its default port, policies from {@code <config>/authz/}, decision records to the embedded broker. */
  private static void startExtAuthz(SwitchyardProcess p, Settings s, String kafka) throws Exception {
    Path authz = s.configDir().resolve("authz");
    if (!Files.isDirectory(authz)) {
      p.announce("ext-authz", "off (no " + authz + " folder)");
      return;
    }
    ExtAuthzConfig config = ExtAuthzConfig.defaults(authz).withDecisionLog(true, kafka,
        Topics.AUTHZ_DECISIONS.withPrefix(s.topicPrefix()).name(), 10_000, DecisionLogger.DEFAULT_REDACTED);
    ExtAuthzServer server = p.own("ext-authz", new ExtAuthzServer(config, p.metrics(), java.time.Clock.systemUTC(), p.readiness()));
    server.start();
    p.announce("ext-authz", "grpc://0.0.0.0:" + server.port() + " (policies from " + authz + ")");
  }

  private static void startXds(SwitchyardProcess p, Settings s, PrintStream out) throws Exception {
    Path mesh = s.configDir().resolve("mesh.yaml");
    if (!Files.isRegularFile(mesh)) {
      out.println("switchyard: xds            off    (no mesh.yaml in " + s.configDir() + ")");
      return;
    }
    XdsServer xds = p.own("xds", XdsServer.builder(mesh, p.metrics()).port(DefaultPorts.XDS_GRPC)
        .readiness(p.readiness()).build());
    xds.start();
    p.announce("xds", "0.0.0.0:" + xds.port() + " (ADS; mesh " + mesh + ")");
  }

  private static void startFlinkJobs(SwitchyardProcess p, Settings s, String kafka, PrintStream out) throws Exception {
    if (s.flinkJar() == null) {
      out.printf("switchyard: %-14s off    (--no-flink)%n", "flink-jobs");
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
