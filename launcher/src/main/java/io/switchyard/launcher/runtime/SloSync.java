package io.switchyard.launcher.runtime;

import io.switchyard.serverkit.config.ConfigException;
import io.switchyard.serverkit.config.ConfigReloader;
import io.switchyard.serverkit.metrics.Metrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the SLO definitions topic in step with a folder of OpenSLO files: validates the folder and, when
 * valid, publishes it (one record per SLO, tombstones for removed ones) whenever it changes; an invalid
 * edit is rejected with file:line and the SLOs already published keep being evaluated.
 *
 * <p>The OpenSLO parser lives with the Flink jobs, and the main JVM never loads Flink's code: this runs
 * the jobs' own jar as a short-lived tool ({@code slo check} / {@code slo apply}), found by path.
 */
public final class SloSync implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SloSync.class);
  /** {@code slo check}'s refusal: {@code error: FILE:LINE: reason}, with a column after the line where it knows one. */
  private static final Pattern LOCATED = Pattern.compile("^error: (.+?):(\\d+)(?::(\\d+))?: (.*)$", Pattern.DOTALL);

  /** The first wait before publishing again after a failed publish; doubled after each failure, up to {@link #MAX_RETRY}. */
  static final Duration FIRST_RETRY = Duration.ofSeconds(5);
  static final Duration MAX_RETRY = Duration.ofMinutes(1);

  private final Path sloDir;
  private final String kafka;
  private final String topicPrefix;
  private final Function<List<String>, Result> tool;
  private final ScheduledExecutorService retries;
  private final Duration firstRetry;
  private final ConfigReloader<Path> reloader;
  private ScheduledFuture<?> retry;
  private Duration nextRetry;

  public SloSync(Path jar, Path sloDir, String kafka, String topicPrefix, Metrics metrics) {
    this(sloDir, kafka, topicPrefix, metrics, args -> run(jar, args), Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "slo-publish-retry");
      t.setDaemon(true);
      return t;
    }), FIRST_RETRY);
  }

  SloSync(Path sloDir, String kafka, String topicPrefix, Metrics metrics, Function<List<String>, Result> tool,
      ScheduledExecutorService retries, Duration firstRetry) {
    this.sloDir = sloDir;
    this.kafka = kafka;
    this.topicPrefix = topicPrefix;
    this.tool = tool;
    this.retries = retries;
    this.firstRetry = firstRetry;
    this.nextRetry = firstRetry;
    this.reloader = ConfigReloader.builder("slo", sloDir, this::check).metrics(metrics)
        .pollInterval(Duration.ofSeconds(2)).onChange(d -> apply()).build();
  }

  /** Validates and publishes the folder, then watches it. Throws when the folder is invalid at start. */
  public String start() throws ConfigException {
    reloader.start();
    return apply();
  }

  private Path check(Path dir) throws ConfigException {
    Result r = tool.apply(List.of("slo", "check", dir.toString()));
    if (r.exitCode == 0) {
      return dir;
    }
    throw refusal(dir, r.output);
  }

  /** What {@code slo check DIR} printed when it refused the folder, as the file, line and reason it names. */
  static ConfigException refusal(Path dir, String output) {
    String msg = output.strip();
    Matcher m = LOCATED.matcher(msg);
    if (m.matches()) {
      return new ConfigException(Path.of(m.group(1)), Integer.parseInt(m.group(2)),
          m.group(3) == null ? 0 : Integer.parseInt(m.group(3)), m.group(4));
    }
    return new ConfigException(dir, 0, 0, msg.startsWith("error: ") ? msg.substring(7) : msg);
  }

  /**
   * Publishes the folder. A publish that fails (Kafka unavailable, the tool timed out) is tried again, 5 s later and
   * then at doubling intervals up to a minute, until one succeeds or the folder changes: the reloader had taken the
   * valid folder as loaded, so nothing else would ever publish it, and the SLO job kept evaluating the old SLOs.
   */
  private synchronized String apply() {
    if (retry != null) {
      retry.cancel(false);
      retry = null;
    }
    List<String> args = new ArrayList<>(List.of("slo", "apply", sloDir.toString(), "--kafka", kafka));
    if (!topicPrefix.isEmpty()) {
      args.addAll(List.of("--topic-prefix", topicPrefix));
    }
    Result r = tool.apply(args);
    if (r.exitCode != 0) {
      log.error("publishing SLOs from {} failed, trying again in {} s: {}", sloDir, nextRetry.toSeconds(), r.output.strip());
      try {
        retry = retries.schedule(this::apply, nextRetry.toMillis(), TimeUnit.MILLISECONDS);
        Duration doubled = nextRetry.multipliedBy(2);
        nextRetry = doubled.compareTo(MAX_RETRY) > 0 ? MAX_RETRY : doubled;
      } catch (RejectedExecutionException e) {
        // Closing: nothing publishes any more.
      }
      return "not published (trying again): " + r.output.strip();
    }
    nextRetry = firstRetry;
    log.info("SLOs from {}: {}", sloDir, r.output.strip());
    return r.output.strip();
  }

  /** What one run of the jobs' jar as a tool ended with, and printed. */
  record Result(int exitCode, String output) {}

  private static Result run(Path jar, List<String> args) {
    List<String> cmd = LocalFlinkJar.toolCommand(jar, args);
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Result(-1, "timed out: " + String.join(" ", args));
      }
      return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return new Result(-1, "cannot run " + jar + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, "interrupted");
    }
  }

  @Override
  public void close() {
    reloader.close();
    retries.shutdownNow();
  }
}
