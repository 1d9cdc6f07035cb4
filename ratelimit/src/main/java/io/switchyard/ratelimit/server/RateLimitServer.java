package io.switchyard.ratelimit.server;

import com.sun.net.httpserver.HttpHandler;
import io.switchyard.ratelimit.config.RateLimitConfig;
import io.switchyard.ratelimit.config.RateLimitConfigLoader;
import io.switchyard.ratelimit.limiter.LimiterOptions;
import io.switchyard.ratelimit.limiter.RateLimitStats;
import io.switchyard.ratelimit.limiter.RateLimiter;
import io.switchyard.ratelimit.storage.CounterStore;
import io.switchyard.ratelimit.storage.CounterStoreException;
import io.switchyard.ratelimit.storage.CounterStores;
import io.switchyard.ratelimit.storage.RedisCounterStore;
import io.switchyard.ratelimit.storage.StorageOptions;
import io.switchyard.serverkit.config.ConfigException;
import io.switchyard.serverkit.config.ConfigReloader;
import io.switchyard.serverkit.grpc.GrpcServer;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.serverkit.metrics.Metrics;
import io.switchyard.serverkit.tls.TlsOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The rate limit service: Envoy's RLS v3 over gRPC (default port 8081), fed by a hot-reloaded folder of
 * envoyproxy/ratelimit YAML files, counting in the chosen store. The launcher and tests start it the
 * same way; {@link #adminRoutes()} are mounted on the admin server ({@code /json}, {@code /rlconfig}).
 */
public final class RateLimitServer implements AutoCloseable {
  public static final int DEFAULT_PORT = 8081;

  private final Builder b;
  private ConfigReloader<RateLimitConfig> reloader;
  private CounterStore store;
  private GrpcServer grpc;
  private ExecutorService blockingExecutor;
  private RateLimiter limiter;
  private RateLimitStats stats;
  private RateLimitGrpcService.ServerMetrics serverMetrics;
  private Readiness.Component component;
  /** Guards the readiness decision between start(), the Redis connect thread and config reloads. */
  private final Object redisState = new Object();
  private boolean started;
  private String redisNotConnected;
  /** With healthyWithAtLeastOneConfigLoaded, why the loaded config does not make the service healthy; else null. */
  private String configNotReady;

  private RateLimitServer(Builder b) {
    this.b = b;
  }

  public static Builder builder(Path configDir, Metrics metrics, Readiness readiness) {
    return new Builder(configDir, metrics, readiness);
  }

  /** Loads the config (failing on an invalid one), opens the store and starts serving. */
  public synchronized RateLimitServer start() throws IOException, ConfigException, CounterStoreException {
    Readiness.Component ready = b.readiness.register("ratelimit");
    component = ready;
    ready.notReady("starting");
    stats = new RateLimitStats(b.metrics, b.maxStatKeys);
    serverMetrics = new RateLimitGrpcService.ServerMetrics(b.metrics);
    RateLimitConfigLoader loader = new RateLimitConfigLoader(b.mergeDomains);
    reloader = ConfigReloader.<RateLimitConfig>builder("ratelimit", b.configDir, dir -> {
      try {
        RateLimitConfig c = loader.loadDirectory(dir);
        stats.configLoaded(true);
        return c;
      } catch (ConfigException e) {
        stats.configLoaded(false);
        throw e;
      }
    }).metrics(b.metrics).pollInterval(b.pollInterval).onChange(c -> configLoaded(ready, c)).build();
    configLoaded(ready, reloader.start());
    try {
      store = CounterStores.open(b.storage, b.clock, redisReadiness(ready));
      limiter = new RateLimiter(reloader::current, store, b.clock, b.options, stats);
      GrpcServer.Builder gb = GrpcServer.builder("ratelimit", b.port)
          .host(b.host)
          .tls(b.tls)
          .maxInboundMessageBytes(b.maxRequestBytes)
          .addService(new RateLimitGrpcService(limiter, stats, serverMetrics, b.maxDescriptors))
          // the reference's gRPC health name (src/server/server_impl.go), which probes written for it ask about
          .healthName("ratelimit")
          .readiness(ready);
      if (b.storage.kind() == StorageOptions.Kind.REDIS) {
        // Redis round trips block the handler; keep them off the transport threads.
        blockingExecutor = Executors.newFixedThreadPool(b.redisThreads, r -> {
          Thread t = new Thread(r, "ratelimit-redis-call");
          t.setDaemon(true);
          return t;
        });
        gb.executor(blockingExecutor);
      }
      grpc = gb.build().start();
    } catch (IOException | CounterStoreException | RuntimeException e) {
      close();
      throw e;
    }
    synchronized (redisState) {
      started = true;
      updateReadiness(ready);
    }
    return this;
  }

  /**
   * With {@link Builder#healthyWithAtLeastOneConfigLoaded}, as the reference's SetConfig does for each config it
   * loads: healthy when it has a domain, unhealthy when it has none. A refused load is never installed, so it leaves
   * health as it was (the reference returns before touching health too).
   */
  private void configLoaded(Readiness.Component ready, RateLimitConfig c) {
    if (!b.healthyWithAtLeastOneConfigLoaded) {
      return;
    }
    synchronized (redisState) {
      configNotReady = c.domains().isEmpty()
          ? "no rate limit domain loaded from " + b.configDir + " (healthy with at least one config loaded)"
          : null;
      updateReadiness(ready);
    }
  }

  /** Not ready while Redis does not answer (named first: it is what the start line waits for) or no domain is loaded. */
  private void updateReadiness(Readiness.Component ready) {
    assert Thread.holdsLock(redisState);
    String why = redisNotConnected != null ? redisNotConnected : configNotReady;
    if (why != null) {
      ready.notReady(why);
    } else if (started) {
      ready.ready();
    }
  }

  /**
   * Not ready while Redis does not answer, naming it (envoyproxy/ratelimit's health starts with Redis unhealthy and
   * turns OK once connected). After that, an outage leaves readiness alone, as there by default
   * ({@code REDIS_HEALTH_CHECK_ACTIVE_CONNECTION=false}): calls are answered by the backend-error policy meanwhile.
   * With {@link StorageOptions#redisHealthCheckActiveConnection}, readiness follows the connection instead, as the
   * reference's {@code poolTrace} fails its {@code redis} health component when no connection is left and marks it OK
   * on the next one.
   */
  private RedisCounterStore.StartupListener redisReadiness(Readiness.Component ready) {
    boolean followConnection = b.storage.redisHealthCheckActiveConnection();
    return new RedisCounterStore.StartupListener() {
      @Override
      public void waiting(String reason) {
        markNotReady(ready, reason);
        b.redisListener.waiting(reason);
      }

      @Override
      public void connected() {
        markReady(ready);
        b.redisListener.connected();
      }

      @Override
      public void gaveUp(String reason) {
        markNotReady(ready, reason);
        b.redisListener.gaveUp(reason);
      }

      @Override
      public void lost(String reason) {
        if (followConnection) {
          markNotReady(ready, reason);
        }
        b.redisListener.lost(reason);
      }

      @Override
      public void back() {
        if (followConnection) {
          markReady(ready);
        }
        b.redisListener.back();
      }
    };
  }

  private void markNotReady(Readiness.Component ready, String reason) {
    synchronized (redisState) {
      redisNotConnected = reason;
      updateReadiness(ready);
    }
  }

  /** Ready again unless no domain is loaded (with the setting), or the server has not started yet (start() decides then). */
  private void markReady(Readiness.Component ready) {
    synchronized (redisState) {
      redisNotConnected = null;
      updateReadiness(ready);
    }
  }

  /**
   * Null when the store is ready to count, else why not (Redis not answering since start, or, with
   * {@link StorageOptions#redisHealthCheckActiveConnection}, its connection lost).
   */
  public String storeNotReady() {
    synchronized (redisState) {
      return redisNotConnected;
    }
  }

  /**
   * Null when ready as far as the service itself goes, else why not: the store (as {@link #storeNotReady}) or, with
   * {@link Builder#healthyWithAtLeastOneConfigLoaded}, no domain loaded.
   */
  public String notReady() {
    synchronized (redisState) {
      return redisNotConnected != null ? redisNotConnected : configNotReady;
    }
  }

  /** Runs {@code r} once, the first time the service is ready (at once if it is now): for the start line. */
  public void onceReady(Runnable r) {
    component.onceReady(r);
  }

  public int port() {
    return grpc.port();
  }

  public RateLimiter limiter() {
    return limiter;
  }

  public RateLimitConfig config() {
    return reloader.current();
  }

  public long configVersion() {
    return reloader.version();
  }

  /** Reloads the config folder now if it changed; false when unchanged or invalid (old config kept). */
  public boolean reloadNow() {
    return reloader.reloadNow();
  }

  /** Handlers for the admin server: {@code /json} (the reference's HTTP API) and {@code /rlconfig}. */
  public Map<String, HttpHandler> adminRoutes() {
    Map<String, HttpHandler> routes = new LinkedHashMap<>();
    routes.put("/json", new JsonEndpoint(limiter, stats, b.maxDescriptors, b.maxRequestBytes));
    routes.put("/rlconfig", new ConfigDumpEndpoint(reloader::current, reloader::version));
    return routes;
  }

  @Override
  public synchronized void close() {
    if (grpc != null) {
      grpc.close();
      grpc = null;
    }
    if (blockingExecutor != null) {
      blockingExecutor.shutdown();
      blockingExecutor = null;
    }
    if (store != null) {
      store.close();
      store = null;
    }
    if (reloader != null) {
      reloader.close();
    }
  }

  public static final class Builder {
    private final Path configDir;
    private final Metrics metrics;
    private final Readiness readiness;
    private int port = DEFAULT_PORT;
    private String host = "0.0.0.0";
    private TlsOptions tls;
    private StorageOptions storage = StorageOptions.memory();
    private LimiterOptions options = LimiterOptions.defaults();
    private Clock clock = Clock.systemUTC();
    private Duration pollInterval = Duration.ofSeconds(1);
    private boolean mergeDomains;
    private boolean healthyWithAtLeastOneConfigLoaded;
    private int maxDescriptors = 64;
    private int maxRequestBytes = 64 * 1024;
    private int maxStatKeys = 10_000;
    private int redisThreads = 32;
    private RedisCounterStore.StartupListener redisListener = RedisCounterStore.StartupListener.NONE;

    private Builder(Path configDir, Metrics metrics, Readiness readiness) {
      this.configDir = Objects.requireNonNull(configDir, "configDir");
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      this.readiness = Objects.requireNonNull(readiness, "readiness");
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder host(String host) {
      this.host = Objects.requireNonNull(host);
      return this;
    }

    public Builder tls(TlsOptions tls) {
      this.tls = tls;
      return this;
    }

    public Builder storage(StorageOptions storage) {
      this.storage = Objects.requireNonNull(storage);
      return this;
    }

    public Builder options(LimiterOptions options) {
      this.options = Objects.requireNonNull(options);
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    /** How often the config folder is checked for changes; zero turns watching off. */
    public Builder pollInterval(Duration d) {
      this.pollInterval = Objects.requireNonNull(d);
      return this;
    }

    /** MERGE_DOMAIN_CONFIG: several files may name one domain. */
    public Builder mergeDomains(boolean v) {
      this.mergeDomains = v;
      return this;
    }

    /**
     * HEALTHY_WITH_AT_LEAST_ONE_CONFIG_LOADED: health (gRPC and /readyz) is NOT_SERVING while the loaded config has no
     * domain, from start on, and again whenever a reload leaves none; the service still answers meanwhile.
     */
    public Builder healthyWithAtLeastOneConfigLoaded(boolean v) {
      this.healthyWithAtLeastOneConfigLoaded = v;
      return this;
    }

    /** More descriptors in one request are refused with RESOURCE_EXHAUSTED. */
    public Builder maxDescriptors(int n) {
      this.maxDescriptors = n;
      return this;
    }

    /** Larger requests are refused with RESOURCE_EXHAUSTED (gRPC) or 413 (/json). */
    public Builder maxRequestBytes(int n) {
      this.maxRequestBytes = n;
      return this;
    }

    /** Cap on distinct stat label sets (see RateLimitStats). */
    public Builder maxStatKeys(int n) {
      this.maxStatKeys = n;
      return this;
    }

    /** Also told how connecting to Redis goes at start (the launcher prints it, and exits when it gives up). */
    public Builder redisStartupListener(RedisCounterStore.StartupListener l) {
      this.redisListener = Objects.requireNonNull(l);
      return this;
    }

    public RateLimitServer build() {
      return new RateLimitServer(this);
    }
  }
}
