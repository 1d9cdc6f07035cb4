package io.switchyard.demo;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The demo mesh at work: user requests enter a simulated storefront at the configured rate; each is
 * checked with ext_authz and the rate limiter exactly as the frontend's sidecar would, and the calls it
 * makes inside the mesh are reported as the applications' OTel SDKs (spans) and the sidecars (access
 * logs) would report them. A progress line shows what was sent and how Switchyard answered.
 */
public final class StorefrontDemo implements AutoCloseable {
  private static final long TICK_MILLIS = 100;
  private static final int MAX_IN_FLIGHT = 512;
  /** A crawler behind one address sends a fifth of the traffic, without a token, and gets rate limited. */
  private static final String BOT_IP = "198.51.100.66";
  private static final List<String> USERS = List.of("alice", "bob", "carol", "dave", "anonymous", "mallory");

  private final DemoSettings settings;
  private final PrintStream progress;
  private final boolean interactive;
  private final DemoCounters counters = new DemoCounters();
  private final Random random;
  private final RequestSimulator simulator;
  private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
  private final CountDownLatch done = new CountDownLatch(1);

  private DemoTokens tokens;
  private ManagedChannel authzChannel;
  private ManagedChannel ratelimitChannel;
  private ManagedChannel alsChannel;
  private SpanEmitter spans;
  private AccessLogEmitter accessLogs;
  private PolicyClient policy;
  private ScheduledExecutorService ticker;
  private long startNano;
  private long startEpochNanos;
  private long scheduled;
  private long ticks;
  private boolean keysStopped;

  public StorefrontDemo(DemoSettings settings, PrintStream progress, boolean interactive) {
    this.settings = settings;
    this.progress = progress;
    this.interactive = interactive;
    this.random = new Random(settings.seed());
    this.simulator = new RequestSimulator(random);
  }

  public DemoCounters counters() {
    return counters;
  }

  /** The issuer of the demo's tokens (the demo policies' RequestAuthentication). */
  public static final String ISSUER = DemoTokens.ISSUER;

  /**
   * Where the demo serves its JWKS with these settings. {@code up --demo} hands it to ext-authz for
   * {@link #ISSUER}, so the policies' jwksUri need not follow {@code --jwks-port}.
   */
  public static String jwksUri(DemoSettings settings) {
    return "http://" + settings.host() + ":" + settings.jwksPort() + DemoTokens.JWKS_PATH;
  }

  /** The port the demo's JWKS is served on. */
  public int jwksPort() {
    return tokens.port();
  }

  /**
   * Serves the demo's JWKS (the keys its tokens are signed with) ahead of the traffic, so that ext-authz, started
   * after this, finds the keys at its first fetch; {@link #start} does it otherwise. The handle stops serving them,
   * as {@link #close} also does.
   */
  public synchronized AutoCloseable serveKeys() throws IOException {
    if (tokens == null) {
      tokens = new DemoTokens(settings.host(), settings.jwksPort());
    }
    return this::stopKeys;
  }

  private synchronized void stopKeys() {
    if (tokens != null && !keysStopped) {
      keysStopped = true;
      tokens.close();
    }
  }

  public StorefrontDemo start() throws IOException {
    serveKeys();
    authzChannel = channel(settings.authzPort());
    ratelimitChannel = channel(settings.ratelimitPort());
    alsChannel = channel(settings.alsPort());
    spans = new SpanEmitter(settings.host(), settings.otlpGrpcPort(), counters);
    accessLogs = new AccessLogEmitter(alsChannel, counters);
    policy = new PolicyClient(authzChannel, ratelimitChannel);
    startNano = System.nanoTime();
    Instant now = Instant.now();
    startEpochNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    if (settings.duration() != null && settings.timeScale() > 1) {
      // A bounded, sped-up run starts in the past so that its event time meets the wall clock when it
      // ends: everything it reports is history by then, never in the future of the readers' "now".
      startEpochNanos -= (long) ((settings.timeScale() - 1) * settings.duration().toNanos());
    }
    ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "demo-traffic");
      t.setDaemon(true);
      return t;
    });
    ticker.scheduleAtFixedRate(this::tick, 0, TICK_MILLIS, TimeUnit.MILLISECONDS);
    return this;
  }

  /** Blocks until the configured duration has passed (or forever without one). */
  public void awaitDone() throws InterruptedException {
    done.await();
  }

  private ManagedChannel channel(int port) {
    return Grpc.newChannelBuilderForAddress(settings.host(), port, InsecureChannelCredentials.create()).build();
  }

  /** Event time: runs {@code timeScale} times faster than the wall clock from the demo's start. */
  long eventNanos() {
    return startEpochNanos + (long) ((System.nanoTime() - startNano) * settings.timeScale());
  }

  boolean outageActive() {
    if (settings.scenario() != DemoSettings.Scenario.CHECKOUT_OUTAGE) {
      return false;
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - startNano);
    return elapsed.compareTo(settings.outageStart()) >= 0
        && elapsed.compareTo(settings.outageStart().plus(settings.outageDuration())) < 0;
  }

  private void tick() {
    try {
      ticks++;
      Duration elapsed = Duration.ofNanos(System.nanoTime() - startNano);
      if (settings.duration() != null && elapsed.compareTo(settings.duration()) >= 0) {
        accessLogs.flush();
        done.countDown();
        ticker.shutdown();
        return;
      }
      // Owed requests follow the wall clock, not the tick count, so a delayed tick catches up (in bursts
      // of at most one second's worth) and the rate holds on a busy machine.
      long target = (long) (settings.rps() * elapsed.toNanos() / 1e9);
      long burst = Math.min(target - scheduled, Math.max(1, (long) settings.rps()));
      for (long i = 0; i < burst; i++) {
        scheduled++;
        sendOne();
      }
      if (ticks % 5 == 0) {
        accessLogs.flush();
      }
      if (ticks % 10 == 0) {
        printProgress();
      }
    } catch (RuntimeException e) {
      // One bad tick must not stop the demo; the next one carries on.
      progress.println("demo: tick failed: " + e);
    }
  }

  private void printProgress() {
    String line = counters.progressLine() + (outageActive() ? "  [checkout outage]" : "");
    if (interactive) {
      progress.print("\r" + line);
      progress.flush();
    } else if (ticks % 50 == 0) {
      progress.println(line);
    }
  }

  private void sendOne() {
    if (!inFlight.tryAcquire()) {
      counters.unanswered.increment();
      return;
    }
    String path;
    String ip;
    String token;
    synchronized (simulator) {
      path = simulator.pickPath();
      boolean bot = random.nextDouble() < 0.2;
      ip = bot ? BOT_IP : "203.0.113." + (10 + random.nextInt(40));
      String user = bot ? "anonymous" : USERS.get(random.nextInt(USERS.size()));
      token = user.equals("anonymous") ? null : tokens.token(user, user.equals("mallory"));
    }
    String method = path.startsWith("/api/checkout") ? "POST" : "GET";
    long start = eventNanos();
    boolean outage = outageActive();
    counters.sent.increment();
    policy.decide(method, path, ip, token, status -> {
      try {
        finish(method, path, start, outage, status);
      } finally {
        inFlight.release();
      }
    });
  }

  private void finish(String method, String path, long start, boolean outage, int status) {
    if (status < 0) {
      counters.unanswered.increment();
      return;
    }
    SimulatedCall call;
    synchronized (simulator) {
      call = status == 200 ? simulator.simulate(method, path, start, outage) : simulator.rejected(method, path, start, status);
    }
    switch (status) {
      case 200 -> {
        counters.allowed.increment();
        if (call.failed()) {
          counters.failed.increment();
        }
        spans.emit(call);
      }
      case 401 -> counters.unauthenticated.increment();
      case 403 -> counters.denied.increment();
      case 429 -> counters.limited.increment();
      default -> throw new IllegalStateException("unexpected status " + status);
    }
    accessLogs.record(call);
  }

  @Override
  public void close() {
    if (ticker != null) {
      ticker.shutdownNow();
    }
    if (interactive) {
      progress.println();
    }
    progress.println(counters.progressLine());
    if (accessLogs != null) {
      accessLogs.close();
    }
    if (spans != null) {
      spans.close();
    }
    for (ManagedChannel c : new ManagedChannel[] {authzChannel, ratelimitChannel, alsChannel}) {
      if (c != null) {
        c.shutdown();
        try {
          c.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    stopKeys();
    done.countDown();
  }
}
