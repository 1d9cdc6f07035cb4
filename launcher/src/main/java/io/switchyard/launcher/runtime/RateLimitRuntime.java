package io.switchyard.launcher.runtime;

import io.switchyard.ratelimit.limiter.LimiterOptions;
import io.switchyard.ratelimit.server.RateLimitServer;
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
    RateLimitServer server = p.own("ratelimit", RateLimitServer.builder(configDir, p.metrics(), p.readiness())
        .host(host).port(port).tls(tls).storage(storage).options(options).mergeDomains(mergeDomains).build());
    server.start();
    server.adminRoutes().forEach((path, handler) -> p.admin().addRoute(path, handler, path.equals("/rlconfig")));
    p.announce("ratelimit", "grpc " + host + ":" + server.port() + " (" + storage.kind().cliName() + " counters, "
        + server.config().domains().size() + " domain(s) from " + configDir + ")");
    return server;
  }
}
