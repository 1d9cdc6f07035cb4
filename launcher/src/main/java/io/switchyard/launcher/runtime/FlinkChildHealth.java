package io.switchyard.launcher.runtime;

import io.switchyard.serverkit.health.Readiness;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The flink-jobs component of {@code up}'s readiness. A live child process is not enough: a child that is
 * stopped (SIGSTOP), wedged in GC, or whose job fails over and over stays alive. So once the child said it
 * runs, its Prometheus endpoint is scraped every few seconds and the component is not ready while
 * <ul>
 *   <li>the endpoint has not answered for {@link #SILENT_BOUND} (the child is hung), or
 *   <li>the job's {@code lastCheckpointCompletedTimestamp} has not moved for {@link #CHECKPOINT_BOUND} (the
 *       job restarts in a loop or is stuck; checkpoints complete every 5 s even without input).
 * </ul>
 * It is ready again as soon as both hold again. A child that exited is not ready, with its exit code and
 * the last {@code error: } line it printed, until the supervisor's restart prints the ready marker.
 */
final class FlinkChildHealth {
  static final Duration SILENT_BOUND = Duration.ofSeconds(30);
  static final Duration CHECKPOINT_BOUND = Duration.ofMinutes(2);
  static final String CHECKPOINT_GAUGE = "flink_jobmanager_job_lastCheckpointCompletedTimestamp";
  private static final Logger log = LoggerFactory.getLogger(FlinkChildHealth.class);

  /** One scrape of the child's metrics endpoint; throws when it does not answer in time. */
  interface Scrape {
    String metrics() throws Exception;
  }

  private final Readiness.Component component;
  private final Scrape scrape;
  private final String endpoint;
  private final Clock clock;

  private boolean running;
  private Instant lastAnswer;
  private double lastCheckpoint = Double.NaN;
  private Instant checkpointMoved;
  private String lastError;
  private String unhealthy;

  /** {@code scrape} null: no metrics endpoint, so only the child's life and ready marker count. */
  FlinkChildHealth(Readiness.Component component, Scrape scrape, String endpoint, Clock clock) {
    this.component = component;
    this.scrape = scrape;
    this.endpoint = endpoint;
    this.clock = clock;
  }

  /** The child printed its ready marker: the job runs. */
  synchronized void started() {
    running = true;
    lastAnswer = clock.instant();
    checkpointMoved = lastAnswer;
    lastCheckpoint = Double.NaN;
    unhealthy = null;
    component.ready();
  }

  /** A line the child printed; an {@code error: } line is kept as the reason of a following exit. */
  synchronized void line(String line) {
    if (line.startsWith("error: ")) {
      lastError = line.substring("error: ".length());
    }
  }

  synchronized void exited(int code, Duration restartIn) {
    running = false;
    String reason = "the Flink jobs' JVM exited with code " + code + (lastError == null ? "" : ": " + lastError)
        + "; restarting in " + restartIn.toSeconds() + " s";
    lastError = null;
    component.notReady(reason);
  }

  /** One health check; {@code up} runs it every few seconds. */
  void probe() {
    if (scrape == null) {
      return;
    }
    synchronized (this) {
      if (!running) {
        return;
      }
    }
    String body;
    try {
      body = scrape.metrics();
    } catch (Exception e) {
      body = null;
    }
    synchronized (this) {
      if (!running) {
        return;
      }
      Instant now = clock.instant();
      if (body != null) {
        lastAnswer = now;
        double checkpoint = newestCheckpoint(body);
        if (!Double.isNaN(checkpoint) && checkpoint != lastCheckpoint) {
          lastCheckpoint = checkpoint;
          checkpointMoved = now;
        }
      }
      Duration silent = Duration.between(lastAnswer, now);
      Duration noCheckpoint = Duration.between(checkpointMoved, now);
      String problem = null;
      if (silent.compareTo(SILENT_BOUND) > 0) {
        problem = "the Flink jobs' JVM is hung: its metrics endpoint " + endpoint + " has not answered for " + silent.toSeconds()
            + " s (bound " + SILENT_BOUND.toSeconds() + " s)";
      } else if (noCheckpoint.compareTo(CHECKPOINT_BOUND) > 0) {
        problem = "the Flink jobs make no progress: no checkpoint completed for " + noCheckpoint.toSeconds() + " s (bound "
            + CHECKPOINT_BOUND.toSeconds() + " s)";
      }
      if (problem != null) {
        if (unhealthy == null) {
          log.warn("flink-jobs not ready: {}", problem);
        }
        unhealthy = problem;
        component.notReady(problem);
      } else if (unhealthy != null) {
        log.info("flink-jobs ready again (was: {})", unhealthy);
        unhealthy = null;
        component.ready();
      }
    }
  }

  /** The largest value of the checkpoint gauge in a Prometheus text body, NaN when it is not there or not a time. */
  static double newestCheckpoint(String body) {
    double newest = Double.NaN;
    for (String line : body.split("\n")) {
      if (!line.startsWith(CHECKPOINT_GAUGE)) {
        continue;
      }
      char next = line.length() > CHECKPOINT_GAUGE.length() ? line.charAt(CHECKPOINT_GAUGE.length()) : ' ';
      if (next != '{' && next != ' ') {
        continue;
      }
      try {
        double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim());
        if (v > 0 && (Double.isNaN(newest) || v > newest)) {
          newest = v;
        }
      } catch (NumberFormatException e) {
        // Not a sample line of this gauge.
      }
    }
    return newest;
  }
}
