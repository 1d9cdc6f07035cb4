package io.switchyard.launcher.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.serverkit.health.Readiness;
import io.switchyard.testing.MutableClock;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class FlinkChildHealthTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-26T20:00:00Z"));
  /** What the fake child's metrics endpoint answers; null: it does not answer (SIGSTOPped). */
  private String page;
  private final Readiness readiness = new Readiness();
  private final FlinkChildHealth health = new FlinkChildHealth(readiness.register("flink-jobs"), () -> {
    if (page == null) {
      throw new IOException("timed out");
    }
    return page;
  }, "http://127.0.0.1:49249/metrics", clock);

  private static String checkpointAt(long millis) {
    return "# TYPE flink_jobmanager_job_lastCheckpointCompletedTimestamp gauge\n"
        + "flink_jobmanager_job_lastCheckpointCompletedTimestamp{job_id=\"j\",job_name=\"switchyard\",} " + millis + ".0\n"
        + "flink_jobmanager_job_lastCheckpointCompletedTimestampOther 9.0E12\n";
  }

  private void tick(Duration d, String answer) {
    clock.advance(d);
    page = answer;
    health.probe();
  }

  @Test
  void aChildWhoseEndpointStopsAnsweringIsNotReadyAfterTheBoundAndReadyAgainWhenItAnswers() {
    health.started();
    tick(Duration.ofSeconds(5), checkpointAt(1));
    assertThat(readiness.isReady()).isTrue();
    for (int i = 0; i < 6; i++) {
      tick(Duration.ofSeconds(5), null);
      assertThat(readiness.isReady()).as("silent for %d s", 5 * (i + 1)).isTrue();
    }
    tick(Duration.ofSeconds(5), null);
    assertThat(readiness.isReady()).isFalse();
    assertThat(readiness.snapshot().get("flink-jobs"))
        .isEqualTo("the Flink jobs' JVM is hung: its metrics endpoint http://127.0.0.1:49249/metrics has not answered for 35 s"
            + " (bound 30 s)");
    tick(Duration.ofSeconds(5), checkpointAt(2));
    assertThat(readiness.isReady()).isTrue();
    assertThat(readiness.snapshot().get("flink-jobs")).isEqualTo("ready");
  }

  @Test
  void aJobWhoseCheckpointsStopIsNotReadyAfterTheBoundAndReadyAgainWhenOneCompletes() {
    health.started();
    tick(Duration.ofSeconds(5), checkpointAt(1000));
    for (int i = 0; i < 24; i++) {
      tick(Duration.ofSeconds(5), checkpointAt(1000));
    }
    assertThat(readiness.isReady()).as("125 s - 5 s since the checkpoint moved").isTrue();
    tick(Duration.ofSeconds(5), checkpointAt(1000));
    assertThat(readiness.snapshot().get("flink-jobs"))
        .isEqualTo("the Flink jobs make no progress: no checkpoint completed for 125 s (bound 120 s)");
    tick(Duration.ofSeconds(5), checkpointAt(6000));
    assertThat(readiness.isReady()).isTrue();
  }

  @Test
  void aChildThatExitedIsNotReadyWithItsErrorLineUntilTheRestartedChildRuns() {
    health.started();
    health.line("some log line");
    health.line("error: cannot reach Kafka at broker-1:9092 (--kafka) within 30 s (--kafka-wait): no broker answered");
    health.exited(1, Duration.ofSeconds(2));
    assertThat(readiness.snapshot().get("flink-jobs")).isEqualTo("the Flink jobs' JVM exited with code 1: cannot reach Kafka at"
        + " broker-1:9092 (--kafka) within 30 s (--kafka-wait): no broker answered; restarting in 2 s");
    tick(Duration.ofMinutes(5), null);
    assertThat(readiness.isReady()).as("no probe verdict while the child is down").isFalse();
    health.exited(137, Duration.ofSeconds(4));
    assertThat(readiness.snapshot().get("flink-jobs")).isEqualTo("the Flink jobs' JVM exited with code 137; restarting in 4 s");
    health.started();
    assertThat(readiness.isReady()).isTrue();
    tick(Duration.ofSeconds(5), checkpointAt(7));
    assertThat(readiness.isReady()).as("the silence before the restart does not count").isTrue();
  }

  @Test
  void theNewestCheckpointIsReadFromTheGaugeOnly() {
    assertThat(FlinkChildHealth.newestCheckpoint(checkpointAt(1234))).isEqualTo(1234.0);
    assertThat(FlinkChildHealth.newestCheckpoint(
        "flink_jobmanager_job_lastCheckpointCompletedTimestamp{job_id=\"j\",} -1.0\n")).isNaN();
    assertThat(FlinkChildHealth.newestCheckpoint("other 5\n")).isNaN();
  }
}
