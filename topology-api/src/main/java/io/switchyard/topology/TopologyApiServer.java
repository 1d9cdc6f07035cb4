package io.switchyard.topology;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.serverkit.http.HttpServerKit;
import io.switchyard.topology.http.AccessPolicy;
import io.switchyard.topology.http.ApiRouter;
import io.switchyard.topology.http.PrometheusEndpoint;
import io.switchyard.topology.materialise.Materialiser;
import io.switchyard.topology.materialise.MaterialiserOptions;
import io.switchyard.topology.metrics.TopologyCollector;
import io.switchyard.topology.query.DecodePool;
import io.switchyard.topology.query.TopologyQueries;
import io.switchyard.topology.store.RocksTopologyStore;
import io.switchyard.topology.store.TopologyStore;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The topology API: materialises the aggregate topics into a RocksDB store under the data folder and serves
 * the graph, RED, SLO, Kiali, Grafana Node Graph and Prometheus views of it on one HTTP(S) port. Started the
 * same way by the launcher and by tests.
 */
public final class TopologyApiServer implements AutoCloseable {
  private static final String MATERIALISING = "materialising the aggregate topics";
  private final TopologyApiOptions options;
  private final Clock clock;
  private final Readiness.Component readiness;
  private TopologyStore store;
  private Materialiser materialiser;
  private HttpServerKit http;
  private DecodePool decoders;
  private ScheduledExecutorService readinessPoller;

  /** @param readiness registers component "topology-api", ready once the store caught up with Kafka; may be null */
  public TopologyApiServer(TopologyApiOptions options, Clock clock, Readiness readiness) {
    this.options = options;
    this.clock = clock;
    this.readiness = readiness == null ? null : readiness.register("topology-api");
    if (this.readiness != null) {
      this.readiness.notReady(MATERIALISING);
    }
  }

  public TopologyApiServer start() throws IOException {
    AccessPolicy access = new AccessPolicy(
        options.tokensFile() == null ? List.of() : AccessPolicy.readTokens(options.tokensFile()), options.corsOrigins());
    store = RocksTopologyStore.open(options.dataDir().resolve("topology-store"));
    try {
      materialiser = new Materialiser(new MaterialiserOptions(options.bootstrapServers(), options.topicPrefix(), null,
          options.retention(), null, null), store, clock).start();
      decoders = DecodePool.forMachine();
      TopologyQueries queries = new TopologyQueries(store, clock, materialiser::consumerLag, materialiser::caughtUp,
          decoders, options.caches().pieceBytes(), options.caches().graphs());
      PrometheusRegistry dataRegistry = new PrometheusRegistry();
      dataRegistry.register(new TopologyCollector(store, options.maxSeries(), materialiser::consumerLag, clock::millis));
      // OpenMetrics or the classic text format, as the scrape's Accept header asks.
      ApiRouter.MetricsEndpoint metrics = new PrometheusEndpoint(dataRegistry);
      // Routes are prefixes: "/" takes everything so the router can answer unknown paths with JSON 404s.
      // A static UI would be routed here as its own prefix ahead of "/".
      http = HttpServerKit.builder("topology-api", options.port())
          .host(options.host())
          .tls(options.tls())
          .route("/", new ApiRouter(queries, access, metrics, options.caches().graphBodies()), false)
          .build()
          .start();
      if (readiness != null) {
        readinessPoller = Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "topology-api-readiness");
          t.setDaemon(true);
          return t;
        });
        // Once here first, so that the start can say what readiness says.
        updateReadiness();
        if (!readinessPoller.isShutdown()) {
          readinessPoller.scheduleWithFixedDelay(this::updateReadiness, 500, 500, TimeUnit.MILLISECONDS);
        }
      }
      return this;
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  private void updateReadiness() {
    if (materialiser.caughtUp()) {
      readiness.ready();
      readinessPoller.shutdown();
      return;
    }
    String unreachable = materialiser.kafkaUnreachable();
    if (unreachable != null) {
      readiness.notReady(unreachable);
      return;
    }
    List<String> missing = materialiser.missingTopics();
    readiness.notReady(missing.isEmpty() ? MATERIALISING
        : "waiting for Kafka topics not found on the broker: " + String.join(", ", missing)
        + " (create them with `" + materialiser.createTopicsCommand() + "`)");
  }

  public int port() {
    return http.port();
  }

  /** Why the API is not ready now (materialising, Kafka away, topics missing), or null when it is. */
  public String notReady() {
    return readiness == null || readiness.isReady() ? null : readiness.reason();
  }

  /** Runs {@code r} once, the first time the API is ready from this call on (at once if it is now). */
  public void onceReady(Runnable r) {
    readiness.onceReady(r);
  }

  /** True once the store holds everything the topics held when this server started. */
  public boolean caughtUp() {
    return materialiser != null && materialiser.caughtUp();
  }

  public long materialisedRecords() {
    return materialiser == null ? 0 : materialiser.materialisedRecords();
  }

  @Override
  public void close() {
    if (readinessPoller != null) {
      readinessPoller.shutdownNow();
    }
    if (http != null) {
      http.close();
    }
    // After the HTTP server: no request can still be decoding.
    if (decoders != null) {
      decoders.close();
    }
    if (materialiser != null) {
      materialiser.close();
    }
    if (store != null) {
      store.close();
    }
  }
}
