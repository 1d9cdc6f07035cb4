package io.switchyard.launcher.runtime;

import io.switchyard.ratelimit.limiter.LimiterOptions;
import io.switchyard.ratelimit.server.RateLimitServer;
import io.switchyard.ratelimit.storage.RedisCounterStore;
import io.switchyard.ratelimit.storage.StorageOptions;
import io.switchyard.serverkit.tls.TlsOptions;
import java.nio.file.Path;

/** Starts the rate limit service inside a Switchyard process, the same way for {@code ratelimit} and {@code up}. */
public final class RateLimitRuntime {
  private RateLimitRuntime() {}

  /** Where the counters live and how decisions are made; {@code up} defaults to memory. */
  public record Setup(StorageOptions storage, LimiterOptions options) {
    public static Setup memory() {
      return new Setup(StorageOptions.memory(), LimiterOptions.defaults());
    }
  }

  public static RateLimitServer start(SwitchyardProcess p, Path configDir, String host, int port, TlsOptions tls,
      StorageOptions storage, LimiterOptions options, boolean mergeDomains) throws Exception {
    Announcer announcer = new Announcer(p);
    RateLimitServer server = p.own("ratelimit", RateLimitServer.builder(configDir, p.metrics(), p.readiness())
        .host(host).port(port).tls(tls).storage(storage).options(options).mergeDomains(mergeDomains)
        .redisStartupListener(announcer).build());
    server.start();
    server.adminRoutes().forEach((path, handler) -> p.admin().addRoute(path, handler, path.equals("/rlconfig")));
    announcer.started(server, "grpc " + host + ":" + server.port() + " (" + storage.kind().cliName() + " counters, "
        + server.config().domains().size() + " domain(s) from " + configDir + ")");
    return server;
  }

  /**
   * The component's line: ready, or waiting (naming Redis) and ready once Redis answers; a Redis that never answers
   * within {@code --redis-startup-max-elapsed-ms} fails the process.
   */
  private static final class Announcer implements RedisCounterStore.StartupListener {
    private final SwitchyardProcess p;
    private String address;
    private boolean waitingShown;
    private boolean gaveUp;

    Announcer(SwitchyardProcess p) {
      this.p = p;
    }

    synchronized void started(RateLimitServer server, String address) {
      this.address = address;
      if (gaveUp) {
        return; // its failed line is out, the process stops
      }
      String notReady = server.storeNotReady();
      if (notReady == null) {
        p.announce("ratelimit", address);
      } else {
        waitingShown = true;
        p.announceWaiting("ratelimit", address, notReady + "; retrying, NOT_SERVING until it answers");
      }
    }

    @Override
    public void waiting(String reason) {}

    @Override
    public synchronized void connected() {
      // Before started(), the start itself prints the ready line.
      if (waitingShown) {
        p.announce("ratelimit", address);
      }
    }

    @Override
    public void gaveUp(String reason) {
      synchronized (this) {
        gaveUp = true;
      }
      p.fail("ratelimit", reason);
    }
  }
}
