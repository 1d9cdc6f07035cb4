package io.switchyard.launcher.runtime;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.admin.AdminServer;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.serverkit.metrics.Metrics;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every Switchyard process shares, whether it runs one service or all of them ({@code up}): one
 * metrics registry, one readiness, one admin endpoint, and the components it started, closed in reverse
 * order on shutdown (Ctrl-C or SIGTERM).
 */
public final class SwitchyardProcess implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SwitchyardProcess.class);

  private final Metrics metrics;
  private final Readiness readiness;
  private final AdminServer admin;
  private final PrintStream out;
  private final Deque<Owned> owned = new ArrayDeque<>();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private boolean closed;
  private volatile String failure;

  private record Owned(String name, AutoCloseable resource) {}

  private SwitchyardProcess(Metrics metrics, Readiness readiness, AdminServer admin, PrintStream out) {
    this.metrics = metrics;
    this.readiness = readiness;
    this.admin = admin;
    this.out = out;
  }

  /** Starts the admin endpoint on {@code adminHost:adminPort} (port 0 picks a free one). */
  public static SwitchyardProcess start(String adminHost, int adminPort, String adminToken, PrintStream out) throws IOException {
    Metrics metrics = new Metrics(new PrometheusRegistry());
    Readiness readiness = new Readiness();
    // The admin endpoint answers before any component exists: not ready until everything was started.
    readiness.starting();
    AdminServer admin = AdminServer.builder(metrics, readiness).host(adminHost).port(adminPort).bearerToken(adminToken).build().start();
    SwitchyardProcess p = new SwitchyardProcess(metrics, readiness, admin, out);
    p.own("admin", admin);
    p.announce("admin", "http://" + adminHost + ":" + admin.port() + " (/healthz /readyz /metrics)");
    return p;
  }

  public Metrics metrics() {
    return metrics;
  }

  public Readiness readiness() {
    return readiness;
  }

  public AdminServer admin() {
    return admin;
  }

  /** Takes ownership: {@code resource} is closed when the process stops, after everything started later. */
  public synchronized <T extends AutoCloseable> T own(String name, T resource) {
    owned.push(new Owned(name, Objects.requireNonNull(resource)));
    return resource;
  }

  /** Everything is started (each component registered its readiness): /readyz now follows the components. */
  public void started() {
    readiness.started();
  }

  /** Prints the one line per component that tells the user it is up and where. */
  public void announce(String component, String address) {
    out.printf("switchyard: %-14s ready  %s%n", component, address);
    out.flush();
  }

  /** The line of a component that is up but not ready yet, and why (it says so again with a ready line once it is). */
  public void announceWaiting(String component, String address, String why) {
    out.printf("switchyard: %-14s waiting %s; not ready: %s%n", component, address, why);
    out.flush();
  }

  /**
   * A component gave up for good (Redis did not answer within its limit): prints why, and {@link #awaitShutdown}
   * returns at once (having closed everything) with {@link #exitCode} 1, so that a supervisor restarts the process.
   */
  public void fail(String component, String why) {
    out.printf("switchyard: %-14s failed %s%n", component, why);
    out.flush();
    failure = component + ": " + why;
    stopped.countDown();
  }

  /** 0, or 1 once a component failed. */
  public int exitCode() {
    return failure == null ? 0 : 1;
  }

  /**
   * Blocks until the JVM is asked to stop (SIGTERM, Ctrl-C), then drains for {@code drain} (not at all when
   * zero) and closes everything this process owns; or until a component {@link #fail}s, then closes at once.
   */
  public void awaitShutdown(Duration drain) throws InterruptedException {
    Objects.requireNonNull(drain, "drain");
    started();
    Thread hook = new Thread(() -> {
      stop(drain, d -> Thread.sleep(d.toMillis()));
      stopped.countDown();
    }, "switchyard-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    stopped.await();
    if (failure != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        return; // the JVM is stopping already: the hook closes everything
      }
      close();
    }
  }

  /** How a drain waits: the shutdown thread sleeps; tests look at the process instead. */
  @FunctionalInterface
  interface Pause {
    void pause(Duration d) throws InterruptedException;
  }

  /**
   * Drains, then closes. Draining turns /readyz and every gRPC health answer not ready while the servers
   * still take calls: Kubernetes takes a pod out of its Service's endpoints, and Envoy's health checks take
   * a host out of its cluster, only some time after the pod was told to stop. Stopping at once would fail
   * the calls they still send meanwhile.
   */
  void stop(Duration drain, Pause pause) {
    if (!drain.isZero() && !readiness.isDraining()) {
      readiness.drain();
      out.println("switchyard: draining for " + drain.toSeconds() + " s (not ready, still serving)");
      out.flush();
      try {
        pause.pause(drain);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    close();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    while (!owned.isEmpty()) {
      Owned o = owned.pop();
      try {
        o.resource.close();
      } catch (Exception e) {
        log.warn("stopping {} failed", o.name, e);
      }
    }
    out.println("switchyard: stopped");
    out.flush();
  }
}
