package io.switchyard.demo;

import java.time.Duration;
import java.util.Objects;

/**
 * What the demo sends and where. Targets default to Switchyard's default ports on loopback.
 *
 * @param rps user requests per second entering the mesh at the frontend
 * @param scenario traffic shape over time
 * @param timeScale event time runs this many times faster than the wall clock (spans, access logs); above 1 only
 *     with a duration: event time then starts in the past so that it reaches the wall clock when the demo ends
 * @param outageStart for {@link Scenario#CHECKOUT_OUTAGE}: wall-clock time after start when checkout breaks
 * @param outageDuration for {@link Scenario#CHECKOUT_OUTAGE}: how long it stays broken
 * @param duration stop after this long; null runs until closed
 */
public record DemoSettings(
    double rps,
    Scenario scenario,
    double timeScale,
    Duration outageStart,
    Duration outageDuration,
    Duration duration,
    String host,
    int authzPort,
    int ratelimitPort,
    int otlpGrpcPort,
    int alsPort,
    int jwksPort,
    long seed) {

  public enum Scenario {
    STEADY("steady"),
    CHECKOUT_OUTAGE("checkout-outage");

    private final String flag;

    Scenario(String flag) {
      this.flag = flag;
    }

    public String flag() {
      return flag;
    }

    public static Scenario fromFlag(String flag) {
      for (Scenario s : values()) {
        if (s.flag.equals(flag)) {
          return s;
        }
      }
      throw new IllegalArgumentException("unknown scenario '" + flag + "' (steady, checkout-outage)");
    }
  }

  public DemoSettings {
    Objects.requireNonNull(scenario, "scenario");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(outageStart, "outageStart");
    Objects.requireNonNull(outageDuration, "outageDuration");
    if (!(rps > 0) || rps > 5000) {
      throw new IllegalArgumentException("--rps must be in (0, 5000]: " + rps);
    }
    if (!(timeScale >= 1) || timeScale > 10_000) {
      throw new IllegalArgumentException("--time-scale must be in [1, 10000]: " + timeScale);
    }
    if (timeScale > 1 && duration == null) {
      // Without an end, sped-up event time would run ahead of the clock, and the jobs do not follow event time more
      // than --max-clock-skew past the time ingest received the data: the windows would stand still.
      throw new IllegalArgumentException("--time-scale above 1 needs --demo-duration: a sped-up run starts in the past so"
          + " that its event time meets the clock when it ends");
    }
  }

  /** The defaults: 20 rps, steady, real time, Switchyard's default ports on 127.0.0.1, JWKS on 8089. */
  public static DemoSettings defaults() {
    return new DemoSettings(20, Scenario.STEADY, 1, Duration.ofSeconds(60), Duration.ofMinutes(3), null,
        "127.0.0.1", 9191, 8081, 4317, 9001, DEFAULT_JWKS_PORT, 42);
  }

  public static final int DEFAULT_JWKS_PORT = 8089;

  public DemoSettings withPorts(int authz, int ratelimit, int otlp, int als, int jwks) {
    return new DemoSettings(rps, scenario, timeScale, outageStart, outageDuration, duration, host, authz, ratelimit, otlp, als, jwks, seed);
  }

  public DemoSettings with(double rps, Scenario scenario, double timeScale, Duration outageStart, Duration outageDuration, Duration duration) {
    return new DemoSettings(rps, scenario, timeScale, outageStart, outageDuration, duration, host, authzPort, ratelimitPort, otlpGrpcPort, alsPort, jwksPort, seed);
  }
}
