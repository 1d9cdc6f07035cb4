package io.switchyard.launcher.cli;

import io.switchyard.launcher.Main.UsageException;
import io.switchyard.launcher.runtime.ListenPorts;
import io.switchyard.model.DefaultPorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The admin endpoint flags every service command shares. */
public final class AdminOptions {
  @Option(names = "--admin-port", paramLabel = "PORT", description = "Admin HTTP port: /healthz, /readyz, /metrics (default: ${DEFAULT-VALUE}).")
  public int port = DefaultPorts.ADMIN_HTTP;

  @Option(names = "--admin-host", paramLabel = "HOST", description = "Address the admin endpoint binds to (default: ${DEFAULT-VALUE}, loopback only).")
  public String host = "127.0.0.1";

  @Option(names = "--admin-token-file", paramLabel = "FILE", description = "File holding a bearer token that admin endpoints revealing configuration require.")
  public Path tokenFile;

  @Option(names = "--drain-seconds", paramLabel = "SECONDS",
      description = {"On SIGTERM or Ctrl-C, answer not ready (/readyz 503, gRPC health NOT_SERVING) for this long while still serving,",
          "then stop, so that Kubernetes and Envoy stop sending first (default: 0, stop at once; 5 behind a load balancer)."})
  void drainSeconds(int seconds) {
    if (seconds < 0) {
      throw new ParameterException(mixee.commandLine(), "--drain-seconds must be 0 or more, got " + seconds);
    }
    drain = Duration.ofSeconds(seconds);
  }

  private Duration drain = Duration.ZERO;

  @Spec(Spec.Target.MIXEE) CommandSpec mixee;

  /** The drain before shutdown. */
  public Duration drain() {
    return drain;
  }

  /** The ports a service command listens on, starting with the admin port; the command adds its own. */
  public ListenPorts listenPorts() {
    return new ListenPorts().add("--admin-port", host, port);
  }

  /** The token, or null when none is configured. */
  public String token() {
    if (tokenFile == null) {
      return null;
    }
    try {
      String t = Files.readString(tokenFile).strip();
      if (t.isEmpty()) {
        throw new UsageException("--admin-token-file " + tokenFile + " is empty");
      }
      return t;
    } catch (IOException e) {
      throw new UsageException("cannot read --admin-token-file " + tokenFile + ": " + e.getMessage());
    }
  }
}
