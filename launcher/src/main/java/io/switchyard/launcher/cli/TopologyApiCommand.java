package io.switchyard.launcher.cli;

import io.switchyard.launcher.Main.UsageException;
import io.switchyard.launcher.runtime.SwitchyardProcess;
import io.switchyard.model.DefaultPorts;
import io.switchyard.topology.TopologyApiOptions;
import io.switchyard.topology.TopologyApiServer;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code switchyard topology-api}: one replica of the topology API against an external Kafka cluster. */
@Command(name = "topology-api",
    header = "Serves the service graph, RED series and SLOs over HTTP.",
    mixinStandardHelpOptions = true,
    description = {
        "Materialises the Flink jobs' edge, service and SLO topics into a RocksDB store under --data-dir and "
            + "serves the service graph, RED series, SLOs, a Kiali-compatible graph, Grafana's Node Graph API and "
            + "Prometheus series (/metrics) on one HTTP port. Several replicas each build their own store from the "
            + "topics."})
public final class TopologyApiCommand implements Callable<Integer> {
  @Option(names = "--port", paramLabel = "PORT", description = "HTTP port of the API (default: ${DEFAULT-VALUE}).")
  int port = DefaultPorts.TOPOLOGY_HTTP;

  @Option(names = "--host", paramLabel = "HOST", description = "Address the API binds to (default: ${DEFAULT-VALUE}).")
  String host = "0.0.0.0";

  @Option(names = "--data-dir", paramLabel = "DIR", required = true,
      description = "Folder of the store (DIR/topology-store); delete that folder to rebuild it from Kafka.")
  Path dataDir;

  @Option(names = "--retention", paramLabel = "DURATION", description = "Age after which aggregate windows are dropped, e.g. 3d, 12h (default: ${DEFAULT-VALUE}).")
  String retention = "3d";

  @Option(names = "--tokens-file", paramLabel = "FILE", description = "Bearer tokens, one a line: every API route but /api/health then needs one (not the built-in page, which holds no data).")
  Path tokensFile;

  @Option(names = "--cors-origin", paramLabel = "ORIGIN", description = "Browser origin allowed to read responses (repeatable; * = any).")
  List<String> corsOrigins = new ArrayList<>();

  @Option(names = "--max-series", paramLabel = "N", description = "Most edges and most services exposed at /metrics (default: ${DEFAULT-VALUE}).")
  int maxSeries = TopologyApiOptions.DEFAULT_MAX_SERIES;

  @Mixin TopologyCacheOptions caches;

  @Mixin KafkaOptions kafka;
  @Mixin TlsOptionsMixin tls;
  @Mixin AdminOptions admin;

  @Override
  public Integer call() throws Exception {
    Duration keep = parseRetention(retention);
    // Ports first: TopologyApiOptions refuses a port out of range without naming the flag.
    admin.listenPorts().add("--port", host, port).check();
    TopologyApiOptions options;
    try {
      options = new TopologyApiOptions(host, port, dataDir.toAbsolutePath(), kafka.bootstrapServers, kafka.topicPrefix, keep,
          tls.tls().orElse(null), tokensFile, Set.copyOf(corsOrigins), maxSeries,
          caches.caches());
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true);
    SwitchyardProcess p = SwitchyardProcess.start(admin.host, admin.port, admin.token(), out);
    try {
      start(p, options);
    } catch (Exception | Error e) {
      p.close();
      if (storeLocked(e)) {
        throw new UsageException("topology store " + options.dataDir().resolve("topology-store")
            + " is in use by another topology-api or switchyard up; stop it, or give this one another --data-dir");
      }
      throw e;
    }
    p.awaitShutdown(admin.drain());
    return 0;
  }

  /**
   * Starts the API alone in a process and prints its line: "waiting" with why while the store has not caught up with
   * Kafka (the API answers from the store meanwhile, /readyz says 503), then "ready" once it has.
   */
  static TopologyApiServer start(SwitchyardProcess p, TopologyApiOptions options) throws IOException {
    TopologyApiServer server = p.own("topology-api", new TopologyApiServer(options, Clock.systemUTC(), p.readiness()));
    server.start();
    String address = (options.tls() == null ? "http://" : "https://") + options.host() + ":" + server.port()
        + "/api/v1/graph (store in " + options.dataDir().resolve("topology-store") + ", Kafka " + options.bootstrapServers() + ")";
    String notReady = server.notReady();
    if (notReady == null) {
      p.announce("topology-api", address);
    } else {
      p.announceWaiting("topology-api", address, notReady + "; /readyz 503 until then");
      server.onceReady(() -> p.announce("topology-api", address));
    }
    return server;
  }

  /**
   * RocksDB's refusal of a store another process has open ("While lock file: DIR/LOCK: Resource temporarily
   * unavailable") or this one ("lock hold by current process, …: DIR/LOCK: No locks available"). Each replica needs a
   * store of its own, so this is a wrong --data-dir, not a crash.
   */
  static boolean storeLocked(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      String m = c.getMessage();
      if (c instanceof org.rocksdb.RocksDBException && m != null
          && (m.contains("While lock file") || m.contains("lock hold by current process"))) {
        return true;
      }
    }
    return false;
  }

  private static Duration parseRetention(String value) {
    String v = value.trim();
    if (!v.matches("\\d+[smhd]")) {
      throw new UsageException("--retention: expected a number and a unit (s, m, h, d), e.g. 3d; got '" + value + "'");
    }
    long n = Long.parseLong(v.substring(0, v.length() - 1));
    return switch (v.charAt(v.length() - 1)) {
      case 's' -> Duration.ofSeconds(n);
      case 'm' -> Duration.ofMinutes(n);
      case 'h' -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }
}
