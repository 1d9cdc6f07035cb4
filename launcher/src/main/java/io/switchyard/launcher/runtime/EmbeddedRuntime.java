package io.switchyard.launcher.runtime;

import io.switchyard.demo.DemoSettings;
import io.switchyard.demo.StorefrontDemo;
import io.switchyard.extauthz.ExtAuthzConfig;
import io.switchyard.extauthz.ExtAuthzServer;
import io.switchyard.extauthz.log.DecisionLogger;
import io.switchyard.kafkaembedded.EmbeddedKafka;
import io.switchyard.launcher.cli.IngestCommand;
import io.switchyard.model.DefaultPorts;
import io.switchyard.model.Topics;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.topology.TopologyApiOptions;
import io.switchyard.topology.TopologyApiServer;
import io.switchyard.xds.server.XdsServer;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * The all-in-one runtime behind {@code switchyard up}: the embedded Kafka broker and the catalogue's
 * topics, the admin endpoint, every service in this JVM, the SLO definitions kept in step with the
 * config folder, the Flink jobs in a supervised child JVM, and optionally the demo mesh's traffic.
 * Everything persistent lives under one data folder, so a second {@code up} on it continues where the
 * first stopped.
 */
public final class EmbeddedRuntime {
  /** A line the Flink jobs' JVM prints once its jobs run; marks the flink-jobs component ready. */
  public static final String CHILD_READY_MARKER = "switchyard-ready";
  /** How often {@code up} checks the Flink jobs' JVM answers and checkpoints ({@link FlinkChildHealth}). */
  private static final Duration PROBE_EVERY = Duration.ofSeconds(5);
  private static final String ANY = "0.0.0.0";
  private static final String KAFKA_HOST = "127.0.0.1";

  private EmbeddedRuntime() {}

  /**
   * The listening port of every service; {@link #defaults()} is the documented table.
   *
   * @param flinkMetrics the Flink jobs' Prometheus endpoint, -1 for none
   */
  public record Ports(int ratelimit, int extAuthz, int otlpGrpc, int otlpHttp, int als, int topology, int xds, int flinkMetrics) {
    /** Without the Flink jobs' metrics endpoint (tests that run several runtimes side by side). */
    public Ports(int ratelimit, int extAuthz, int otlpGrpc, int otlpHttp, int als, int topology, int xds) {
      this(ratelimit, extAuthz, otlpGrpc, otlpHttp, als, topology, xds, -1);
    }

    public static Ports defaults() {
      return new Ports(DefaultPorts.RATELIMIT_GRPC, DefaultPorts.EXT_AUTHZ_GRPC, DefaultPorts.OTLP_GRPC, DefaultPorts.OTLP_HTTP,
          DefaultPorts.ACCESS_LOG_GRPC, DefaultPorts.TOPOLOGY_HTTP, DefaultPorts.XDS_GRPC, DefaultPorts.FLINK_METRICS_HTTP);
    }
  }

  /**
   * Everything {@code up} needs to know.
   *
   * @param flinkJar the Flink jobs' local jar; null runs without the jobs (and without SLO publishing)
   * @param demo traffic of the demo mesh to send once everything runs; null for none
   * @param ratelimit the rate limit service's storage and options; null for memory counters
   */
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
      Ports ports,
      DemoSettings demo,
      RateLimitRuntime.Setup ratelimit) {
    public Settings(Path dataDir, Path configDir, String adminHost, int adminPort, String adminToken, int kafkaPort,
        int kafkaControllerPort, String topicPrefix, Path flinkJar, List<String> flinkJvmArgs, Ports ports,
        DemoSettings demo) {
      this(dataDir, configDir, adminHost, adminPort, adminToken, kafkaPort, kafkaControllerPort, topicPrefix, flinkJar,
          flinkJvmArgs, ports, demo, null);
    }

    public Settings {
      Objects.requireNonNull(dataDir, "dataDir");
      Objects.requireNonNull(configDir, "configDir");
      Objects.requireNonNull(ports, "ports");
      topicPrefix = topicPrefix == null ? "" : topicPrefix;
      flinkJvmArgs = flinkJvmArgs == null ? List.of() : List.copyOf(flinkJvmArgs);
      ratelimit = ratelimit == null ? RateLimitRuntime.Setup.memory() : ratelimit;
    }
  }

  /** Starts everything; on failure stops what already started and rethrows. */
  public static SwitchyardProcess start(Settings s, PrintStream out) throws Exception {
    return start(s, out, UnaryOperator.identity());
  }

  /** As {@link #start(Settings, PrintStream)}, with ext-authz's config adjusted by {@code extAuthzTuning}. */
  public static SwitchyardProcess start(Settings s, PrintStream out, UnaryOperator<ExtAuthzConfig> extAuthzTuning) throws Exception {
    return start(s, out, extAuthzTuning, TopologyApiOptions.Caches.DEFAULT);
  }

  /** As {@link #start(Settings, PrintStream, UnaryOperator)}, with the topology API's cache sizes. */
  public static SwitchyardProcess start(Settings s, PrintStream out, UnaryOperator<ExtAuthzConfig> extAuthzTuning,
      TopologyApiOptions.Caches topologyCaches) throws Exception {
    if (s.flinkJar() != null && !Files.isRegularFile(s.flinkJar())) {
      throw new IllegalArgumentException("Flink jobs jar not found at " + s.flinkJar()
          + " (build it with: mvn -pl flink-jobs -am package -DskipTests, or start with --no-flink)");
    }
    listenPorts(s).check();
    DataFolderLock folder = DataFolderLock.acquire(s.dataDir());
    SwitchyardProcess p;
    try {
      p = SwitchyardProcess.start(s.adminHost(), s.adminPort(), s.adminToken(), out);
    } catch (Exception | Error e) {
      folder.close();
      throw e;
    }
    // Released after every component started later has stopped.
    p.own("data-folder", folder);
    try {
      String kafka = startKafka(p, s, out);
      startRateLimit(p, s, out);
      StorefrontDemo demo = s.demo() == null ? null : new StorefrontDemo(s.demo(), out, false);
      if (demo != null) {
        // Its JWKS before ext-authz, whose first fetch of the demo issuer's keys then finds them.
        p.own("demo-jwks", demo.serveKeys());
      }
      startExtAuthz(p, s, kafka, out, extAuthzTuning);
      IngestCommand.start(p, IngestCommand.config(kafka, s.topicPrefix(), s.dataDir())
          .withPorts(s.ports().otlpGrpc(), s.ports().otlpHttp(), s.ports().als()));
      startTopologyApi(p, s, kafka, topologyCaches);
      startXds(p, s, out);
      startSloSync(p, s, kafka, out);
      startFlinkJobs(p, s, kafka, out);
      startDemo(p, s, demo);
      p.started();
      return p;
    } catch (Exception | Error e) {
      p.close();
      throw e;
    }
  }

  /**
   * Every port {@code up} is about to listen on with the flag that sets it: the same conditions as the
   * start methods below, so a component that stays off (no config folder, --no-flink) is not checked.
   */
  static ListenPorts listenPorts(Settings s) {
    Ports ports = s.ports();
    ListenPorts l = new ListenPorts().add("--admin-port", s.adminHost(), s.adminPort())
        .add("--kafka-port", KAFKA_HOST, s.kafkaPort()).add("--kafka-controller-port", KAFKA_HOST, s.kafkaControllerPort());
    if (Files.isDirectory(s.configDir().resolve("ratelimit"))) {
      l.add("--ratelimit-port", ANY, ports.ratelimit());
    }
    if (Files.isDirectory(s.configDir().resolve("authz"))) {
      l.add("--ext-authz-port", ANY, ports.extAuthz());
    }
    l.add("--otlp-grpc-port", ANY, ports.otlpGrpc()).add("--otlp-http-port", ANY, ports.otlpHttp())
        .add("--als-port", ANY, ports.als()).add("--topology-port", ANY, ports.topology());
    if (Files.isRegularFile(s.configDir().resolve("mesh.yaml"))) {
      l.add("--xds-port", ANY, ports.xds());
    }
    if (s.flinkJar() != null) {
      // The child's Prometheus reporter binds every interface; taken, it logs and runs on without metrics. The child
      // refuses ratelimit's default port whatever up's --ratelimit-port is: said here, not in a restart loop.
      if (ports.flinkMetrics() == DefaultPorts.RATELIMIT_GRPC) {
        throw new ListenPorts.InUseException("port " + DefaultPorts.RATELIMIT_GRPC + " (--flink-metrics-port) is the "
            + "rate-limit service's default port, which the Flink jobs' JVM refuses: give another, or -1 for off");
      }
      l.addOrOff("--flink-metrics-port", ANY, ports.flinkMetrics());
    }
    if (s.demo() != null) {
      l.add("--jwks-port", s.demo().host(), s.demo().jwksPort());
    }
    return l;
  }

  private static String startKafka(SwitchyardProcess p, Settings s, PrintStream out) {
    Readiness.Component ready = p.readiness().register("kafka");
    EmbeddedKafka kafka = p.own("kafka", EmbeddedKafka.builder()
        .dataDir(s.dataDir().resolve("kafka")).host(KAFKA_HOST).port(s.kafkaPort()).controllerPort(s.kafkaControllerPort()).build());
    kafka.start();
    EmbeddedKafka.OwnTopics topics = kafka.ensureOwnTopics(Topics.all(s.topicPrefix()));
    for (EmbeddedKafka.TopicDrift d : topics.completed()) {
      // Topics of an older data folder, whose catalogue lacked the setting: they ran on the broker's default.
      out.printf("switchyard: %-14s topic %s: set %s=%s (the catalogue's; it had the broker's default %s)%n", "kafka",
          d.topic(), d.setting(), d.expected(), d.actual());
    }
    for (EmbeddedKafka.TopicDrift d : topics.drift()) {
      // Changed by hand: they keep their settings, but not silently.
      out.printf("switchyard: %-14s warning: topic %s%n", "kafka", d);
    }
    ready.ready();
    p.announce("kafka", kafka.bootstrapServers() + " (KRaft; data in " + s.dataDir().resolve("kafka") + ")");
    return kafka.bootstrapServers();
  }

  private static void startRateLimit(SwitchyardProcess p, Settings s, PrintStream out) throws Exception {
    Path dir = s.configDir().resolve("ratelimit");
    if (!Files.isDirectory(dir)) {
      off(out, "ratelimit", "no " + dir + " folder");
      return;
    }
    RateLimitRuntime.start(p, dir, ANY, s.ports().ratelimit(), null, s.ratelimit().storage(), s.ratelimit().options(), false,
        s.ratelimit().healthyWithAtLeastOneConfigLoaded());
  }

  /** ext-authz with policies from {@code <config>/authz/}, decision records to the embedded broker. */
  private static void startExtAuthz(SwitchyardProcess p, Settings s, String kafka, PrintStream out,
      UnaryOperator<ExtAuthzConfig> tuning) throws Exception {
    Path authz = s.configDir().resolve("authz");
    if (!Files.isDirectory(authz)) {
      off(out, "ext-authz", "no " + authz + " folder");
      return;
    }
    ExtAuthzConfig config = tuning.apply(ExtAuthzConfig.defaults(authz).withListener(ANY, s.ports().extAuthz(), null)
        .withDecisionLog(true, kafka, Topics.AUTHZ_DECISIONS.withPrefix(s.topicPrefix()).name(), 10_000, DecisionLogger.DEFAULT_REDACTED));
    if (s.demo() != null) {
      // The demo policies name the default JWKS port; the keys are wherever --jwks-port put the demo's server.
      config = config.withJwksUri(StorefrontDemo.ISSUER, URI.create(StorefrontDemo.jwksUri(s.demo())));
    }
    ExtAuthzServer server = p.own("ext-authz", new ExtAuthzServer(config, p.metrics(), Clock.systemUTC(), p.readiness()));
    server.start();
    p.announce("ext-authz", "grpc " + ANY + ":" + server.port() + " (policies from " + authz + ")");
  }

  private static void startTopologyApi(SwitchyardProcess p, Settings s, String kafka, TopologyApiOptions.Caches caches)
      throws Exception {
    TopologyApiServer topology = p.own("topology-api", new TopologyApiServer(
        TopologyApiOptions.defaults(s.dataDir(), kafka, s.topicPrefix()).withPort(s.ports().topology()).withCaches(caches),
        Clock.systemUTC(), p.readiness()));
    topology.start();
    p.announce("topology-api", "http://" + ANY + ":" + topology.port() + "/ (page), /api/v1/graph, /metrics");
  }

  private static void startXds(SwitchyardProcess p, Settings s, PrintStream out) throws Exception {
    Path mesh = s.configDir().resolve("mesh.yaml");
    if (!Files.isRegularFile(mesh)) {
      off(out, "xds", "no mesh.yaml in " + s.configDir());
      return;
    }
    XdsServer xds = p.own("xds", XdsServer.builder(mesh, p.metrics()).port(s.ports().xds()).readiness(p.readiness()).build());
    xds.start();
    xds.adminRoutes().forEach((path, handler) -> p.admin().addRoute(path, handler, true));
    p.announce("xds", "grpc " + ANY + ":" + xds.port() + " (ADS; mesh " + mesh + ")");
  }

  /** Publishes {@code <config>/slo/} to the SLO definitions topic, and again on every valid change. */
  private static void startSloSync(SwitchyardProcess p, Settings s, String kafka, PrintStream out) throws Exception {
    Path dir = s.configDir().resolve("slo");
    if (!Files.isDirectory(dir) || s.flinkJar() == null) {
      off(out, "slo", s.flinkJar() == null ? "--no-flink" : "no " + dir + " folder");
      return;
    }
    SloSync sync = p.own("slo", new SloSync(s.flinkJar(), dir, kafka, s.topicPrefix(), p.metrics()));
    p.announce("slo", sync.start());
  }

  /** The Flink jobs' child JVM ({@link LocalFlinkJar#command}) with this runtime's broker, data folder and ports. */
  static List<String> flinkJobsCommand(Settings s, String kafka) throws java.io.IOException {
    // --exit-with-parent: an `up` killed with SIGKILL cannot stop its child, so the child stops itself.
    List<String> args = new ArrayList<>(List.of("--kafka", kafka, "--data-dir", s.dataDir().resolve("flink").toString(),
        "--metrics-port", Integer.toString(s.ports().flinkMetrics()),
        "--exit-with-parent", Long.toString(ProcessHandle.current().pid())));
    if (!s.topicPrefix().isEmpty()) {
      args.addAll(List.of("--topic-prefix", s.topicPrefix()));
    }
    return LocalFlinkJar.command(s.flinkJar(), s.flinkJvmArgs(), args);
  }

  private static void startFlinkJobs(SwitchyardProcess p, Settings s, String kafka, PrintStream out) throws Exception {
    if (s.flinkJar() == null) {
      off(out, "flink-jobs", "--no-flink");
      return;
    }
    int metricsPort = s.ports().flinkMetrics();
    String endpoint = "http://127.0.0.1:" + metricsPort + "/metrics";
    FlinkChildHealth health = new FlinkChildHealth(p.readiness().register("flink-jobs"),
        metricsPort > 0 ? scrape(URI.create(endpoint)) : null, endpoint, Clock.systemUTC());
    List<String> cmd = flinkJobsCommand(s, kafka);
    ChildProcessSupervisor child = ChildProcessSupervisor.builder("flink-jobs", cmd)
        .output(line -> {
          if (line.contains(CHILD_READY_MARKER)) {
            health.started();
            p.announce("flink-jobs", "child JVM (local MiniCluster; checkpoints in " + s.dataDir().resolve("flink")
                + (metricsPort > 0 ? "; metrics on :" + metricsPort + "/metrics" : "") + ")");
          } else {
            health.line(line);
            out.println("[flink-jobs] " + line);
          }
        })
        .onExit(health::exited)
        .build();
    if (metricsPort > 0) {
      ScheduledExecutorService probes = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "flink-jobs-health");
        t.setDaemon(true);
        return t;
      });
      p.own("flink-jobs-health", (AutoCloseable) probes::shutdownNow);
      probes.scheduleWithFixedDelay(health::probe, PROBE_EVERY.toSeconds(), PROBE_EVERY.toSeconds(), TimeUnit.SECONDS);
    }
    p.own("flink-jobs", child).start();
  }

  /** A GET of the child's metrics page that gives up after {@link #PROBE_EVERY}, so a hung child counts as silent. */
  private static FlinkChildHealth.Scrape scrape(URI uri) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(PROBE_EVERY).build();
    HttpRequest get = HttpRequest.newBuilder(uri).timeout(PROBE_EVERY).GET().build();
    return () -> {
      HttpResponse<String> r = http.send(get, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new java.io.IOException(uri + " answered " + r.statusCode());
      }
      return r.body();
    };
  }

  private static void startDemo(SwitchyardProcess p, Settings s, StorefrontDemo demo) throws Exception {
    if (demo == null) {
      return;
    }
    p.own("demo", demo.start());
    p.announce("demo", s.demo().rps() + " requests/s of the storefront mesh (" + s.demo().scenario().flag()
        + ", JWKS on :" + demo.jwksPort() + ")");
  }

  private static void off(PrintStream out, String component, String why) {
    out.printf("switchyard: %-14s off    (%s)%n", component, why);
  }
}
