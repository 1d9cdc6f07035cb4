package io.switchyard.launcher.cli;

import io.switchyard.launcher.runtime.EmbeddedRuntime;
import io.switchyard.launcher.runtime.LocalFlinkJar;
import io.switchyard.launcher.runtime.RateLimitRuntime;
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
@Command(name = "up",
    header = "Runs everything on this machine, Kafka and Flink included.",
    mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Starts all of Switchyard on this machine: an embedded Kafka broker (KRaft), every service, the admin "
            + "endpoint, and the Flink jobs in a supervised child JVM. Data lives under --data-dir; a second 'up' "
            + "on the same folder keeps its data. Reads the config folder: ratelimit/, authz/, slo/, mesh.yaml. "
            + "With --demo, also sends a simulated storefront mesh's traffic (config from config/demo/)."})
public final class UpCommand implements Callable<Integer> {
  @Option(names = "--data-dir", paramLabel = "DIR", description = "Where Kafka logs, Flink checkpoints and stores live (default: data/ of the install).")
  Path dataDir;

  @Option(names = "--config-dir", paramLabel = "DIR", description = "Config folder (default: config/, or config/demo/ with --demo; in the working directory, else of the install).")
  Path configDir;

  @Option(names = "--demo", description = "Send the demo storefront mesh's traffic once everything runs.")
  boolean demo;

  @Mixin DemoOptions demoOptions;

  @Option(names = "--kafka-port", paramLabel = "PORT", description = "Embedded Kafka client port (default: ${DEFAULT-VALUE}).")
  int kafkaPort = DefaultPorts.KAFKA;

  @Option(names = "--kafka-controller-port", paramLabel = "PORT", description = "Embedded Kafka KRaft controller port (default: ${DEFAULT-VALUE}).")
  int kafkaControllerPort = DefaultPorts.KAFKA_CONTROLLER;

  @Option(names = "--topic-prefix", paramLabel = "PREFIX", description = "Prefix of every topic name (default: none).")
  String topicPrefix = "";

  @Option(names = "--ratelimit-port", paramLabel = "PORT", description = "Rate limit gRPC port (default: ${DEFAULT-VALUE}).")
  int ratelimitPort = DefaultPorts.RATELIMIT_GRPC;

  @Option(names = "--ext-authz-port", paramLabel = "PORT", description = "ext_authz gRPC port (default: ${DEFAULT-VALUE}).")
  int extAuthzPort = DefaultPorts.EXT_AUTHZ_GRPC;

  @Option(names = "--otlp-grpc-port", paramLabel = "PORT", description = "OTLP gRPC port (default: ${DEFAULT-VALUE}).")
  int otlpGrpcPort = DefaultPorts.OTLP_GRPC;

  @Option(names = "--otlp-http-port", paramLabel = "PORT", description = "OTLP HTTP port (default: ${DEFAULT-VALUE}).")
  int otlpHttpPort = DefaultPorts.OTLP_HTTP;

  @Option(names = "--als-port", paramLabel = "PORT", description = "Envoy access-log service gRPC port (default: ${DEFAULT-VALUE}).")
  int alsPort = DefaultPorts.ACCESS_LOG_GRPC;

  @Option(names = "--topology-port", paramLabel = "PORT", description = "Topology API HTTP port (default: ${DEFAULT-VALUE}).")
  int topologyPort = DefaultPorts.TOPOLOGY_HTTP;

  @Option(names = "--xds-port", paramLabel = "PORT", description = "xDS gRPC port (default: ${DEFAULT-VALUE}).")
  int xdsPort = DefaultPorts.XDS_GRPC;

  @Option(names = "--no-flink", description = "Do not start the Flink jobs' child JVM.")
  boolean noFlink;

  @Option(names = "--flink-jar", paramLabel = "JAR", description = "The Flink jobs' local jar (default: " + LocalFlinkJar.DEFAULT_PATH + " of the install).")
  Path flinkJar;

  @Option(names = "--flink-heap", paramLabel = "SIZE",
      description = "Heap of the Flink jobs' JVM (default: the one the jar's manifest names with its other JVM flags, 1g).")
  String flinkHeap;

  @Mixin UpRateLimitOptions ratelimit;

  @Option(names = "--flink-metrics-port", paramLabel = "PORT",
      description = "Prometheus endpoint of the Flink jobs' JVM (consumer lag, watermark delay, checkpoint age); -1 = off (default: ${DEFAULT-VALUE}).")
  int flinkMetricsPort = DefaultPorts.FLINK_METRICS_HTTP;

  @Mixin ExtAuthzTuningOptions extAuthz;

  @Mixin TopologyCacheOptions topologyCaches;

  @Mixin AdminOptions admin;

  @Override
  public Integer call() throws Exception {
    var caches = topologyCaches.caches();
    Path home = Installation.home();
    Path data = dataDir != null ? dataDir : home.resolve("data");
    RateLimitRuntime.Setup ratelimitSetup = ratelimit.setup(data.toAbsolutePath());
    Path config = configDir != null ? configDir : defaultConfig(home, demo ? "config/demo" : "config");
    if (!Files.isDirectory(config)) {
      throw new IllegalArgumentException("config folder not found: " + config + " (--config-dir)");
    }
    Path jar = noFlink ? null : flinkJar != null ? flinkJar : home.resolve(LocalFlinkJar.DEFAULT_PATH);
    EmbeddedRuntime.Ports ports = new EmbeddedRuntime.Ports(ratelimitPort, extAuthzPort, otlpGrpcPort, otlpHttpPort, alsPort,
        topologyPort, xdsPort, flinkMetricsPort);
    EmbeddedRuntime.Settings settings = new EmbeddedRuntime.Settings(data.toAbsolutePath(), config.toAbsolutePath(),
        admin.host, admin.port, admin.token(), kafkaPort, kafkaControllerPort, topicPrefix, jar,
        LocalFlinkJar.heapFlag(flinkHeap), ports,
        demo ? demoOptions.settings("127.0.0.1", extAuthzPort, ratelimitPort, otlpGrpcPort, alsPort) : null,
        ratelimitSetup);
    var out = new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true);
    SwitchyardProcess p = EmbeddedRuntime.start(settings, out, extAuthz::applyTo, caches);
    out.println("switchyard: up (data in " + settings.dataDir() + ", config from " + settings.configDir() + "); Ctrl-C to stop");
    if (demo) {
      out.println("switchyard: open http://localhost:" + topologyPort + "/ for the live service graph and SLOs");
    }
    p.awaitShutdown(admin.drain());
    return p.exitCode();
  }

  private static Path defaultConfig(Path home, String relative) {
    Path local = Path.of(relative);
    return Files.isDirectory(local) ? local : home.resolve(relative);
  }
}
