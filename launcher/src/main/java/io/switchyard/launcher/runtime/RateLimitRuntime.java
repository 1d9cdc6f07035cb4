package io.switchyard.launcher.runtime;

import io.switchyard.ratelimit.limiter.LimiterOptions;
import io.switchyard.ratelimit.server.RateLimitServer;
import io.switchyard.ratelimit.storage.RedisCounterStore;
import io.switchyard.ratelimit.storage.StorageOptions;
import io.switchyard.serverkit.tls.TlsOptions;
import java.nio.file.Path;
import java.util.function.Supplier;

/** Starts the rate limit service inside a Switchyard process, the same way for {@code ratelimit} and {@code up}. */
public final class RateLimitRuntime {
  private RateLimitRuntime() {}

  /**
   * Where the counters live, how decisions are made and whether health waits for a domain
   * ({@code HEALTHY_WITH_AT_LEAST_ONE_CONFIG_LOADED}); {@code up} defaults to memory.
   */
  public record Setup(StorageOptions storage, LimiterOptions options, boolean healthyWithAtLeastOneConfigLoaded) {
    public Setup(StorageOptions storage, LimiterOptions options) {
      this(storage, options, false);
    }

    public static Setup memory() {
      return new Setup(StorageOptions.memory(), LimiterOptions.defaults());
    }
  }

  public static RateLimitServer start(SwitchyardProcess p, Path configDir, String host, int port, TlsOptions tls,
      StorageOptions storage, LimiterOptions options, boolean mergeDomains) throws Exception {
    return start(p, configDir, host, port, tls, storage, options, mergeDomains, false);
  }

  public static RateLimitServer start(SwitchyardProcess p, Path configDir, String host, int port, TlsOptions tls,
      StorageOptions storage, LimiterOptions options, boolean mergeDomains, boolean healthyWithAtLeastOneConfigLoaded)
      throws Exception {
    Announcer announcer = new Announcer(p);
    RateLimitServer server = p.own("ratelimit", RateLimitServer.builder(configDir, p.metrics(), p.readiness())
        .host(host).port(port).tls(tls).storage(storage).options(options).mergeDomains(mergeDomains)
        .healthyWithAtLeastOneConfigLoaded(healthyWithAtLeastOneConfigLoaded)
        .redisStartupListener(announcer).build());
    server.start();
    server.adminRoutes().forEach((path, handler) -> p.admin().addRoute(path, handler, path.equals("/rlconfig")));
    // Read when printed: a ready line that waited for a domain counts the domains loaded by then.
    announcer.started(server, () -> "grpc " + host + ":" + server.port() + " (" + storage.kind().cliName()
        + " counters, " + server.config().domains().size() + " domain(s) from " + configDir + ")");
    return server;
  }

  /**
   * The component's line: ready, or waiting (naming Redis, or that no domain is loaded yet) and ready once it is; a
   * Redis that never answers within {@code --redis-startup-max-elapsed-ms} fails the process.
   */
  private static final class Announcer implements RedisCounterStore.StartupListener {
    private final SwitchyardProcess p;
    private boolean gaveUp;

    Announcer(SwitchyardProcess p) {
      this.p = p;
    }

    synchronized void started(RateLimitServer server, Supplier<String> address) {
      if (gaveUp) {
        return; // its failed line is out, the process stops
      }
      String storeNotReady = server.storeNotReady();
      String notReady = storeNotReady != null ? storeNotReady : server.notReady();
      if (notReady == null) {
        p.announce("ratelimit", address.get());
      } else {
        p.announceWaiting("ratelimit", address.get(), notReady
            + (storeNotReady != null ? "; retrying, NOT_SERVING until it answers" : "; NOT_SERVING until one loads"));
        // Once, when Redis answers and (with the setting) a domain is loaded, whichever comes last.
        server.onceReady(() -> p.announce("ratelimit", address.get()));
      }
    }

    @Override
    public void waiting(String reason) {}

    @Override
    public void connected() {}

    @Override
    public void gaveUp(String reason) {
      synchronized (this) {
        gaveUp = true;
      }
      p.fail("ratelimit", reason);
    }
  }
}
