package io.switchyard.launcher.runtime;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a child process (the Flink jobs' JVM) under supervision: its output is forwarded line by line
 * with a prefix, it is restarted with exponential back-off when it dies, and it is stopped (SIGTERM, then
 * SIGKILL after a grace) when the supervisor closes. The back-off resets once a child has run stably.
 */
public final class ChildProcessSupervisor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ChildProcessSupervisor.class);

  private final String name;
  private final List<String> command;
  private final Path workingDir;
  private final Map<String, String> env;
  private final Consumer<String> output;
  private final ExitListener onExit;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final Duration stableAfter;
  private final Duration stopGrace;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final AtomicInteger starts = new AtomicInteger();

  private Process process;
  private Instant startedAt;
  private Duration nextBackoff;
  private boolean stopping;

  private ChildProcessSupervisor(Builder b) {
    this.name = b.name;
    this.command = List.copyOf(b.command);
    this.workingDir = b.workingDir;
    this.env = Map.copyOf(b.env);
    this.output = b.output != null ? b.output : line -> {
      System.out.println("[" + b.name + "] " + line);
    };
    this.onExit = b.onExit;
    this.initialBackoff = b.initialBackoff;
    this.maxBackoff = b.maxBackoff;
    this.stableAfter = b.stableAfter;
    this.stopGrace = b.stopGrace;
    this.clock = b.clock;
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "supervisor-" + b.name);
      t.setDaemon(true);
      return t;
    });
    this.nextBackoff = initialBackoff;
  }

  public static Builder builder(String name, List<String> command) {
    return new Builder(name, command);
  }

  /** Starts the child; throws when it cannot be started at all (e.g. the program does not exist). */
  public synchronized ChildProcessSupervisor start() throws IOException {
    launch();
    return this;
  }

  /** How many times the child has been started (1 + restarts). */
  public int starts() {
    return starts.get();
  }

  public synchronized boolean isAlive() {
    return process != null && process.isAlive();
  }

  public synchronized long pid() {
    return process == null ? -1 : process.pid();
  }

  private synchronized void launch() throws IOException {
    if (stopping) {
      return;
    }
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    if (workingDir != null) {
      pb.directory(workingDir.toFile());
    }
    pb.environment().putAll(env);
    pb.environment().put("SWITCHYARD_PARENT_PID", Long.toString(ProcessHandle.current().pid()));
    Process p = pb.start();
    process = p;
    startedAt = clock.instant();
    starts.incrementAndGet();
    Thread pump = new Thread(() -> pump(p), "output-" + name);
    pump.setDaemon(true);
    pump.start();
    p.onExit().thenAccept(this::exited);
  }

  private void pump(Process p) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        output.accept(line);
      }
    } catch (IOException e) {
      // The stream closes when the child dies; nothing is lost that the child wrote before.
      log.debug("{} output closed", name, e);
    }
  }

  private synchronized void exited(Process p) {
    if (stopping || p != process) {
      return;
    }
    Duration ran = Duration.between(startedAt, clock.instant());
    if (ran.compareTo(stableAfter) >= 0) {
      nextBackoff = initialBackoff;
    }
    Duration delay = nextBackoff;
    nextBackoff = nextBackoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : nextBackoff.multipliedBy(2);
    log.warn("{} exited with code {} after {} s; restarting in {} ms", name, p.exitValue(), ran.toSeconds(), delay.toMillis());
    onExit.exited(p.exitValue(), delay);
    scheduler.schedule(() -> {
      try {
        launch();
      } catch (IOException | RuntimeException e) {
        log.error("{} could not be restarted", name, e);
        synchronized (this) {
          if (!stopping) {
            scheduler.schedule(() -> exited(p), nextBackoff.toMillis(), TimeUnit.MILLISECONDS);
          }
        }
      }
    }, delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Stops the child: SIGTERM, then SIGKILL if it has not exited within the grace. No restart follows. */
  @Override
  public void close() {
    Process p;
    synchronized (this) {
      stopping = true;
      p = process;
    }
    scheduler.shutdownNow();
    if (p == null || !p.isAlive()) {
      return;
    }
    p.descendants().forEach(ProcessHandle::destroy);
    p.destroy();
    try {
      if (!p.waitFor(stopGrace.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("{} did not stop within {}; killing it", name, stopGrace);
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** Told of each unexpected exit of the child, before its restart. */
  public interface ExitListener {
    void exited(int code, Duration restartIn);
  }

  public static final class Builder {
    private final String name;
    private final List<String> command;
    private Path workingDir;
    private final Map<String, String> env = new HashMap<>();
    private Consumer<String> output;
    private ExitListener onExit = (code, restartIn) -> { };
    private Duration initialBackoff = Duration.ofSeconds(1);
    private Duration maxBackoff = Duration.ofSeconds(60);
    private Duration stableAfter = Duration.ofMinutes(1);
    private Duration stopGrace = Duration.ofSeconds(20);
    private Clock clock = Clock.systemUTC();

    private Builder(String name, List<String> command) {
      this.name = Objects.requireNonNull(name);
      if (command.isEmpty()) {
        throw new IllegalArgumentException("empty command");
      }
      this.command = command;
    }

    public Builder workingDir(Path dir) {
      this.workingDir = dir;
      return this;
    }

    public Builder env(String key, String value) {
      env.put(key, value);
      return this;
    }

    /** Where each output line goes; by default stdout with a "[name] " prefix. */
    public Builder output(Consumer<String> output) {
      this.output = output;
      return this;
    }

    /** Called on each unexpected exit (not after {@link #close()}), with the exit code and the delay before the restart. */
    public Builder onExit(ExitListener onExit) {
      this.onExit = Objects.requireNonNull(onExit);
      return this;
    }

    public Builder backoff(Duration initial, Duration max) {
      this.initialBackoff = initial;
      this.maxBackoff = max;
      return this;
    }

    /** A child that ran at least this long resets the back-off. */
    public Builder stableAfter(Duration d) {
      this.stableAfter = d;
      return this;
    }

    public Builder stopGrace(Duration d) {
      this.stopGrace = d;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    public ChildProcessSupervisor build() {
      return new ChildProcessSupervisor(this);
    }
  }

  /** The command line that starts a Java main class of this JVM's class path in a new JVM (for tests and tools). */
  public static List<String> javaCommand(List<String> jvmArgs, String mainClass, List<String> args) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new java.util.ArrayList<>();
    cmd.add(java);
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    return cmd;
  }
}
