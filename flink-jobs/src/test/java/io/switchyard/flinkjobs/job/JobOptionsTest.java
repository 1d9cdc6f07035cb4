package io.switchyard.flinkjobs.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchyard.flinkjobs.graph.PairingConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JobOptionsTest {
  @Test
  void defaultsMatchTheDocumentedOnes() {
    JobOptions o = JobOptions.defaults();
    assertThat(o.window()).isEqualTo(Duration.ofMinutes(1));
    assertThat(o.checkpointInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(o.transactionTimeout()).isLessThanOrEqualTo(Duration.ofMinutes(15)); // broker's default max
    assertThat(o.pairing()).isEqualTo(PairingConfig.defaults());
    assertThat(o.restPort()).isEqualTo(-1);
    assertThat(o.bounded()).isFalse();
    assertThat(o.metricsPort()).isEqualTo(9249);
    assertThat(o.parallelism()).isEqualTo(1); // the span path's single chain; see SpanPathShapeTest
    assertThat(JobOptions.parse(new String[] {"--parallelism", "1", "--parallelism", "3"}).parallelism()).isEqualTo(3);
    assertThat(SwitchyardPipeline.flinkConfiguration(o).toMap()).containsEntry("metrics.reporter.prom.port", "9249")
        .containsEntry("metrics.reporter.prom.factory.class", "io.switchyard.flinkjobs.metrics.FreshnessReporterFactory");
  }

  @Test
  void restoreFromStartsFromThatSnapshotAndRefusesUnclaimedState() {
    assertThat(SwitchyardPipeline.flinkConfiguration(JobOptions.defaults()).toMap()).doesNotContainKey("execution.state-recovery.path")
        .containsEntry("pipeline.object-reuse", "true");
    JobOptions o = JobOptions.parse(new String[] {"--restore-from", "/data/flink/checkpoints/abc/chk-7"});
    assertThat(SwitchyardPipeline.flinkConfiguration(o).toMap())
        .containsEntry("execution.state-recovery.path", "/data/flink/checkpoints/abc/chk-7")
        .containsEntry("execution.state-recovery.ignore-unclaimed-state", "false");
  }

  @Test
  void freshIsAFlagAndExcludesRestoreFrom() {
    assertThat(JobOptions.defaults().fresh()).isFalse();
    assertThat(JobOptions.parse(new String[] {"--fresh"}).fresh()).isTrue();
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--fresh", "--restore-from", "/x/chk-1"}))
        .hasMessageStartingWith("--fresh and --restore-from exclude each other");
  }

  @Test
  void meshPairingWaitDefaultsToTenSecondsAndMustBePositive() {
    assertThat(JobOptions.defaults().meshPairingWait()).isEqualTo(Duration.ofSeconds(10));
    assertThat(JobOptions.parse(new String[] {"--mesh-pairing-wait", "30s"}).meshPairingWait()).isEqualTo(Duration.ofSeconds(30));
    assertThat(JobOptions.parse(new String[] {"--mesh-pairing-wait", "30s"}).withRestoreFrom("/x").meshPairingWait())
        .isEqualTo(Duration.ofSeconds(30));
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--mesh-pairing-wait", "0s"}))
        .hasMessageStartingWith("--mesh-pairing-wait must be positive");
  }

  @Test
  void theMeshDedupeMemoryLastsWhileACopysEdgeCouldStillCount() {
    assertThat(JobOptions.defaults().meshDedupeMemory()).isEqualTo(Duration.ofMinutes(6));
    assertThat(JobOptions.parse(new String[] {"--window", "30s", "--allowed-lateness", "1m"}).meshDedupeMemory())
        .isEqualTo(Duration.ofSeconds(90));
  }

  @Test
  void exitWithParentNamesAProcessAndIsOffByDefault() {
    assertThat(JobOptions.defaults().exitWithParent()).isZero();
    assertThat(JobOptions.parse(new String[] {"--exit-with-parent", "4242"}).withRestoreFrom("/x").exitWithParent()).isEqualTo(4242);
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--exit-with-parent", "-3"}))
        .hasMessageStartingWith("--exit-with-parent must be a process id");
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--exit-with-parent", "up"}))
        .hasMessageStartingWith("--exit-with-parent: 'up' is not an integer");
  }

  @Test
  void metricsPortMinusOneTurnsTheReporterOff() {
    JobOptions o = JobOptions.parse(new String[] {"--metrics-port", "-1"});
    assertThat(SwitchyardPipeline.flinkConfiguration(o).toMap()).doesNotContainKey("metrics.reporters")
        .doesNotContainKey("metrics.reporter.prom.factory.class");
  }

  @Test
  void parsesBothArgumentStylesAndPlacesCheckpointsUnderTheDataDir() {
    JobOptions o = JobOptions.parse(new String[] {"--kafka", "k:9092", "--topic-prefix=t1.", "--data-dir", "/tmp/x",
        "--window", "30s", "--pairing-time", "processing", "--bounded"});
    assertThat(o.kafka()).isEqualTo("k:9092");
    assertThat(o.topic(io.switchyard.model.Topics.EDGES)).isEqualTo("t1.switchyard.edges");
    assertThat(o.checkpointDir()).isEqualTo(Path.of("/tmp/x/checkpoints"));
    assertThat(o.pairing().timeDomain()).isEqualTo(PairingConfig.TimeDomain.PROCESSING);
    assertThat(o.bounded()).isTrue();
    var conf = SwitchyardPipeline.flinkConfiguration(o).toMap();
    assertThat(conf).containsEntry("pipeline.generic-types", "false").containsEntry("state.backend.type", "rocksdb")
        .containsEntry("restart-strategy.type", "fixed-delay").containsEntry("rest.bind-port", "0")
        .containsEntry("execution.checkpointing.dir", Path.of("/tmp/x/checkpoints").toUri().toString())
        .containsEntry("io.tmp.dirs", "/tmp/x/work").containsEntry("web.tmpdir", "/tmp/x/work");
  }

  @Test
  void aClusterSubmissionLeavesParallelismFoldersAndClientSettingsToFlinkUnlessNamed() {
    var plain = SwitchyardPipeline.clusterConfiguration(JobOptions.parse(new String[] {"--kafka", "k:9092"})).toMap();
    // Flink lays the job's settings over `flink run`'s: any of these would silently beat -p N, -m host:port
    // or the cluster's checkpoint folders.
    assertThat(plain).doesNotContainKeys("parallelism.default", "execution.checkpointing.dir", "execution.checkpointing.savepoint-dir",
            "rest.address", "rest.bind-port", "metrics.reporters", "io.tmp.dirs", "web.tmpdir")
        .containsEntry("state.backend.type", "rocksdb").containsEntry("pipeline.generic-types", "false");
    var named = SwitchyardPipeline.clusterConfiguration(JobOptions.parse(new String[] {"--parallelism", "3", "--data-dir", "/shared/flink"})).toMap();
    assertThat(named).containsEntry("parallelism.default", "3")
        .containsEntry("execution.checkpointing.dir", Path.of("/shared/flink/checkpoints").toUri().toString())
        .containsEntry("execution.checkpointing.savepoint-dir", Path.of("/shared/flink/savepoints").toUri().toString())
        .doesNotContainKey("io.tmp.dirs"); // a TaskManager's working files are its cluster's business
  }

  @Test
  void consumerPropertiesRepeatRoundTripAndMayNotChangeWhatTheJobSetsItself() {
    assertThat(JobOptions.defaults().consumerProperties()).isEmpty();
    JobOptions o = JobOptions.parse(new String[] {"--consumer-property", "max.poll.records=5000",
        "--consumer-property=fetch.min.bytes=1", "--consumer-property", "max.poll.records=3000"});
    assertThat(o.consumerProperties()).containsExactlyInAnyOrderEntriesOf(Map.of("max.poll.records", "3000", "fetch.min.bytes", "1"));
    assertThat(o.given("--consumer-property")).isTrue();
    assertThat(o.withRestoreFrom("/x").consumerProperties()).isEqualTo(o.consumerProperties());
    assertThat(JobOptions.parse(o.toArgs().toArray(String[]::new)).consumerProperties()).isEqualTo(o.consumerProperties());
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--consumer-property", "max.poll.records"}))
        .hasMessageStartingWith("--consumer-property: 'max.poll.records' is not KEY=VALUE");
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--consumer-property", "isolation.level=read_uncommitted"}))
        .hasMessageStartingWith("--consumer-property: isolation.level is set by the job itself");
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--consumer-property", "group.id=other"}))
        .hasMessageContaining("(use --group-id)");
  }

  @Test
  void spanLanesAreAutoUntilTheRunnerChoosesACountAndGivenOnesAreChecked() {
    JobOptions auto = JobOptions.defaults();
    assertThat(auto.spanLanes()).isEqualTo(JobOptions.AUTO_LANES);
    assertThat(SwitchyardPipeline.lanes(auto)).isEqualTo(1); // unresolved, e.g. on a cluster: one lane
    assertThat(auto.withSpanLanes(3).spanLanes()).isEqualTo(3);
    assertThat(JobOptions.parse(new String[] {"--span-lanes", "2"}).spanLanes()).isEqualTo(2);
    assertThat(JobOptions.parse(new String[] {"--span-lanes", "2"}).toArgs()).containsSubsequence("--span-lanes", "2");
    assertThat(JobOptions.parse(new String[] {"--span-lanes", "auto"}).spanLanes()).isEqualTo(JobOptions.AUTO_LANES);
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--span-lanes", "0"}))
        .hasMessageStartingWith("--span-lanes must be auto or 1 to 64");
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--span-lanes", "two"}))
        .hasMessageStartingWith("--span-lanes: 'two' is not auto or a count");
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--span-lanes", "2", "--parallelism", "2"}))
        .hasMessageStartingWith("--span-lanes applies at --parallelism 1 only");
  }

  @Test
  void badArgumentsAreNamed() {
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--window", "soon"})).hasMessageStartingWith("--window: 'soon'");
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--frobnicate", "1"})).hasMessageStartingWith("unknown option --frobnicate");
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--rest-port", "8081"})).hasMessageContaining("rate-limit");
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--metrics-port", "8081"})).hasMessageContaining("--metrics-port");
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--metrics-port", "70000"})).hasMessageContaining("--metrics-port");
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--peer-attributes", "nope"})).hasMessageContaining("unknown peer attribute");
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--parallelism", "99999999999"}))
        .hasMessageStartingWith("--parallelism: '99999999999' is out of range");
  }

  @Test
  void theClockSkewBoundStaysWithinTheAllowedLateness() {
    assertThat(JobOptions.defaults().maxClockSkew()).isEqualTo(Duration.ofMinutes(1));
    assertThat(JobOptions.parse(new String[] {"--max-clock-skew", "3m"}).maxClockSkew()).isEqualTo(Duration.ofMinutes(3));
    assertThat(JobOptions.parse(new String[] {"--allowed-lateness", "20s"}).maxClockSkew()).isEqualTo(Duration.ofSeconds(20));
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--max-clock-skew", "10m"}))
        .hasMessageStartingWith("--max-clock-skew 10m must be at most --allowed-lateness 5m");
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--max-clock-skew", "-1s"}))
        .hasMessageStartingWith("--max-clock-skew");
    assertThat(JobOptions.USAGE).contains("--max-clock-skew 1m");
  }

  @Test
  void aProducerWaitsTheMessagingWaitWithinWhatTheWindowsCanStillTake() {
    assertThat(JobOptions.defaults().pairing().messagingWait()).isEqualTo(Duration.ofMinutes(4));
    assertThat(JobOptions.parse(new String[] {"--messaging-wait", "90s"}).pairing().messagingWait())
        .isEqualTo(Duration.ofSeconds(90));
    assertThat(JobOptions.parse(new String[] {"--messaging-wait", "10m", "--allowed-lateness", "15m"}).pairing().messagingWait())
        .isEqualTo(Duration.ofMinutes(10));
    // Not given: capped by a shorter allowed lateness, never below the pairing wait (the advice of earlier
    // builds was to raise --pairing-wait for lagging queues; such a command line keeps its meaning).
    assertThat(JobOptions.parse(new String[] {"--allowed-lateness", "1m"}).pairing().messagingWait())
        .isEqualTo(Duration.ofMinutes(1));
    assertThat(JobOptions.parse(new String[] {"--pairing-wait", "5m"}).pairing().messagingWait())
        .isEqualTo(Duration.ofMinutes(5));
    assertThat(JobOptions.parse(new String[] {"--pairing-wait", "30s", "--allowed-lateness", "0s"}).pairing().messagingWait())
        .isEqualTo(Duration.ofSeconds(30));
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--messaging-wait", "5s"}))
        .hasMessageStartingWith("--messaging-wait 5s must be at least --pairing-wait 10s");
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--messaging-wait", "10m"}))
        .hasMessageStartingWith("--messaging-wait 10m must be at most --allowed-lateness 5m");
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--messaging-wait", "soon"}))
        .hasMessageStartingWith("--messaging-wait: ");
    assertThat(JobOptions.USAGE).contains("--messaging-wait 4m");
  }

  @Test
  void valuesFlinkOrTheJobWouldRefuseAfterTheStartAreRefusedUpFrontNamingTheOption() {
    // Each of these used to pass parsing and then end in a stack trace (exit 1), an unnamed Java message or
    // a job failing over until its restart attempts ran out.
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--pairing-time", "foo"}))
        .hasMessageStartingWith("--pairing-time: 'foo' is not event or processing");
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--pairing-wait", "0s"}))
        .hasMessageStartingWith("--pairing-wait must be positive");
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--dedupe-ttl", "1s"}))
        .hasMessageStartingWith("--dedupe-ttl 1s must be at least --pairing-wait 10s");
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--peer-attributes", "nope"}))
        .hasMessageStartingWith("--peer-attributes: unknown peer attribute 'nope'");
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--max-nodes", "0"})).hasMessageStartingWith("--max-nodes must be >= 1");
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--checkpoint-interval", "0s"}))
        .hasMessageStartingWith("--checkpoint-interval must be at least 10ms");
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--restart-attempts", "-1"}))
        .hasMessageStartingWith("--restart-attempts must be >= 0");
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--transaction-timeout", "0s"}))
        .hasMessageStartingWith("--transaction-timeout must be positive");
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--idleness", "0s"})).hasMessageStartingWith("--idleness must be positive");
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--rest-port", "70000"})).hasMessageStartingWith("--rest-port must be");
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--kafka", "b:9092", "--window"}))
        .hasMessageStartingWith("--window needs a value");
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--data-dir", "--exit-with-parent", "12474"}))
        .hasMessageStartingWith("--data-dir needs a value");
    assertThat(JobOptions.parse(new String[] {"--pairing-time", "PROCESSING"}).pairing().timeDomain())
        .isEqualTo(PairingConfig.TimeDomain.PROCESSING);
    assertThat(JobOptions.parse(new String[] {"--restart-attempts", "0", "--rest-port", "0"}).restartAttempts()).isZero();
  }

  @Test
  void sloAlertWindowsAreTheScaledWorkbookOnesUnlessListedAndAnUnusableListIsRefusedAtStart() {
    assertThat(JobOptions.defaults().alertWindows()).isEqualTo(io.switchyard.flinkjobs.slo.spec.AlertPolicy.DEFAULT);
    assertThat(JobOptions.parse(new String[] {"--slo-alert-windows", "auto"}).alertWindows().scaled()).isTrue();
    assertThat(JobOptions.parse(new String[] {"--slo-alert-windows", "page:1h/5m:0.02"}).alertWindows().scaled()).isFalse();
    assertThatThrownBy(() -> JobOptions.parse(new String[] {"--slo-alert-windows", "ticket:3d/6h:0.01"}))
        .hasMessageStartingWith("--slo-alert-windows: alert ticket-3d (0.01 of the budget in 3d) would burn slower than 1x");
  }
}
