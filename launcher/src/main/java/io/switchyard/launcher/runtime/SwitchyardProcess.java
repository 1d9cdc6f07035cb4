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
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every Switchyard process shares, whether it runs one service or all of them ({@code up}): one
 * metrics registry, one readiness, one admin endpoint, and the components it started, closed in reverse
 * order on shutdown (Ctrl-C or SIGTERM), also when the stop comes while the process is still starting them.
 */
public final class SwitchyardProcess implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SwitchyardProcess.class);

  private final Metrics metrics;
  private final Readiness readiness;
  private final AdminServer admin;
  private final PrintStream out;
  private final Deque<Owned> owned = new ArrayDeque<>();
  private final CountDownLatch stopped = new CountDownLatch(1);
  /** Counted down once the starting thread is out of a component's start: it started all, handed over, or closed. */
  private final CountDownLatch startEnded = new CountDownLatch(1);
  private final Thread hook = new Thread(this::onStopSignal, "switchyard-shutdown");
  /** The thread starting the components, until they all started. */
  private Thread starter = Thread.currentThread();
  private boolean stopRequested;
  private boolean closed;
  private volatile Duration drain = Duration.ZERO;
  private volatile String failure;

  /** How long a stop lets the component start in progress return before it interrupts it, and then before it closes anyway. */
  static final Duration START_RETURN_WAIT = Duration.ofSeconds(10);
  static final Duration INTERRUPTED_START_WAIT = Duration.ofSeconds(5);

  /** Thrown by {@link #own} and {@link #started} once a stop was asked for: the start in progress ends here. */
  public static final class StoppedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StoppedException(String what) {
      super("stopped while starting (" + what + ")");
    }
  }

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
    // From here on, not only once everything started: a SIGTERM during a start of many seconds (up's broker, stores,
    // Flink child) used to end the JVM with the broker not shut down and the child left to notice on its own.
    Runtime.getRuntime().addShutdownHook(p.hook);
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

  /**
   * Takes ownership: {@code resource} is closed when the process stops, after everything started later. Once a stop
   * was asked for, closes {@code resource} at once and throws {@link StoppedException}: a component owned before its
   * start is then never started.
   */
  public <T extends AutoCloseable> T own(String name, T resource) {
    Objects.requireNonNull(resource);
    synchronized (this) {
      if (!stopRequested && !closed) {
        owned.push(new Owned(name, resource));
        return resource;
      }
    }
    // Closed before the stop may go on: the component started last closes first, before those started earlier.
    closeOne(name, resource);
    startEnded.countDown();
    throw new StoppedException(name);
  }

  /**
   * Everything is started (each component registered its readiness): /readyz now follows the components. Throws
   * {@link StoppedException} when a stop was asked for meanwhile (the stop closes everything).
   */
  public void started() {
    if (!markStarted()) {
      throw new StoppedException("all started");
    }
  }

  private synchronized boolean markStarted() {
    starter = null;
    startEnded.countDown();
    if (stopRequested || closed) {
      return false;
    }
    readiness.started();
    return true;
  }

  /** Prints the one line per component that tells the user it is up and where (not once a stop was asked for). */
  public void announce(String component, String address) {
    if (stopping()) {
      return;
    }
    out.printf("switchyard: %-14s ready  %s%n", component, address);
    out.flush();
  }

  /** The line of a component that is up but not ready yet, and why (it says so again with a ready line once it is). */
  public void announceWaiting(String component, String address, String why) {
    if (stopping()) {
      return;
    }
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
    this.drain = Objects.requireNonNull(drain, "drain");
    markStarted();
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

  private synchronized boolean stopping() {
    return stopRequested || closed;
  }

  /** The JVM's shutdown hook (SIGTERM, Ctrl-C), at any time from {@link #start} on. */
  private void onStopSignal() {
    stop(drain, d -> Thread.sleep(d.toMillis()));
    stopped.countDown();
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
   * the calls they still send meanwhile. While the components are still being started, see
   * {@link #stop(Duration, Pause, Duration, Duration)}.
   */
  void stop(Duration drain, Pause pause) {
    stop(drain, pause, START_RETURN_WAIT, INTERRUPTED_START_WAIT);
  }

  /**
   * As {@link #stop(Duration, Pause)}; while the components are still being started, lets the start in progress
   * return (closing a broker or store under its own start could leave it half open), interrupts it if it has not
   * within {@code beforeInterrupt} (a start waiting on something), closes everything after {@code afterInterrupt}
   * more at the latest, and does not drain: nothing was ready yet.
   */
  void stop(Duration drain, Pause pause, Duration beforeInterrupt, Duration afterInterrupt) {
    boolean starting;
    synchronized (this) {
      stopRequested = true;
      // The starting thread itself stopping is out of any start.
      starting = starter != null && starter != Thread.currentThread();
    }
    if (starting) {
      awaitStartReturned(beforeInterrupt, afterInterrupt);
      close();
      return;
    }
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

  private void awaitStartReturned(Duration beforeInterrupt, Duration afterInterrupt) {
    try {
      if (startEnded.await(beforeInterrupt.toMillis(), TimeUnit.MILLISECONDS)) {
        return;
      }
      synchronized (this) {
        // Under the lock: never once the starting thread handed over, e.g. while it closes what it started.
        if (startEnded.getCount() > 0 && starter != null) {
          log.warn("stopping while a component still starts after {}: interrupting its start", beforeInterrupt);
          starter.interrupt();
        }
      }
      if (!startEnded.await(afterInterrupt.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("a component's start did not return within {} of its interrupt: closing everything anyway", afterInterrupt);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public synchronized void close() {
    startEnded.countDown();
    if (closed) {
      return;
    }
    closed = true;
    if (Thread.currentThread() != hook) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // The JVM is stopping: the hook runs, and finds everything closed.
      }
    }
    // A start interrupted by the stop may leave its thread's flag set: closing waits (a child's exit) must still wait.
    boolean interrupted = Thread.interrupted();
    while (!owned.isEmpty()) {
      Owned o = owned.pop();
      closeOne(o.name, o.resource);
    }
    out.println("switchyard: stopped");
    out.flush();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeOne(String name, AutoCloseable resource) {
    try {
      resource.close();
    } catch (Exception e) {
      log.warn("stopping {} failed", name, e);
    }
  }
}
