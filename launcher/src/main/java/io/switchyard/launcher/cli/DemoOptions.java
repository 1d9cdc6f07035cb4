package io.switchyard.launcher.cli;

import io.switchyard.demo.DemoSettings;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The demo's traffic flags, shared by {@code switchyard demo} and {@code switchyard up --demo}. */
public final class DemoOptions {
  @Option(names = "--rps", paramLabel = "N", description = "User requests per second entering the demo mesh (default: ${DEFAULT-VALUE}).")
  double rps = 20;

  @Option(names = "--scenario", paramLabel = "NAME", description = "steady (default) or checkout-outage.")
  String scenario = "steady";

  @Option(names = "--time-scale", paramLabel = "N", description = "Event time runs N times faster than the clock (default: ${DEFAULT-VALUE}).")
  double timeScale = 1;

  @Option(names = "--outage-start", paramLabel = "SECONDS", description = "checkout-outage: seconds after start when checkout breaks (default: ${DEFAULT-VALUE}).")
  long outageStartSeconds = 60;

  @Option(names = "--outage-duration", paramLabel = "SECONDS", description = "checkout-outage: how long checkout stays broken (default: ${DEFAULT-VALUE}).")
  long outageDurationSeconds = 180;

  @Option(names = "--demo-duration", paramLabel = "SECONDS", description = "Stop the demo after this long (default: run until stopped).")
  Long durationSeconds;

  @Option(names = "--jwks-port", paramLabel = "PORT", description = "Port of the demo identity provider's JWKS (default: ${DEFAULT-VALUE}). With up --demo, ext-authz fetches the demo issuer's keys from this port whatever jwksUri the policies name.")
  int jwksPort = DemoSettings.DEFAULT_JWKS_PORT;

  DemoSettings settings(String host, int authz, int ratelimit, int otlp, int als) {
    if (jwksPort < 1 || jwksPort > 65535) {
      // Not 0 either: ext-authz is told the JWKS URI before the demo's server starts.
      throw new IllegalArgumentException("--jwks-port must be 1..65535, got " + jwksPort);
    }
    return new DemoSettings(rps, DemoSettings.Scenario.fromFlag(scenario), timeScale, Duration.ofSeconds(outageStartSeconds),
        Duration.ofSeconds(outageDurationSeconds), durationSeconds == null ? null : Duration.ofSeconds(durationSeconds),
        host, authz, ratelimit, otlp, als, jwksPort, DemoSettings.defaults().seed());
  }
}
