package io.switchyard.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code switchyard flink-jobs} and {@code switchyard slo} running the real local jar in a child JVM. */
class FlinkJarCommandsIT {
  private static final Path REPO = Path.of("").toAbsolutePath().getParent();
  private static final String FLINK_JAR = REPO.resolve("flink-jobs/target/switchyard-flink-local.jar").toString();

  @TempDir Path dir;

  @Test
  void sloCheckValidatesTheDemoDefinitions() {
    CliRun run = CliRun.run("slo", "check", REPO.resolve("config/demo/slo").toString(), "--flink-jar", FLINK_JAR);
    assertThat(run.code).as(run.out + run.err).isZero();
    assertThat(run.out).contains("SLO(s) valid");
  }

  @Test
  void sloCheckValidatesTheDefaultConfigFolderTheDocsName() {
    CliRun run = CliRun.run("slo", "check", REPO.resolve("config/slo").toString(), "--flink-jar", FLINK_JAR);
    assertThat(run.code).as(run.out + run.err).isZero();
    assertThat(run.out).contains("2 SLO(s) valid");
  }

  @Test
  void sloCheckRejectsABrokenFileWithItsLineAndExitCodeOne() throws Exception {
    Files.writeString(dir.resolve("broken.yaml"), """
        apiVersion: openslo/v1
        kind: SLO
        metadata:
          name: checkout
        spec:
          budgetingMethod: Sometimes
        """);
    CliRun run = CliRun.run("slo", "check", dir.toString(), "--flink-jar", FLINK_JAR);
    assertThat(run.code).isEqualTo(1);
    assertThat(run.err).as("the jar's stderr stays stderr").contains(dir.resolve("broken.yaml") + ":");
    assertThat(run.out).doesNotContain("error:");
  }

  @Test
  void sloRulesPrintPrometheusRules() {
    CliRun run = CliRun.run("slo", "rules", REPO.resolve("config/demo/slo").toString(), "--flink-jar", FLINK_JAR);
    assertThat(run.code).as(run.out + run.err).isZero();
    assertThat(run.out).contains("groups:").contains("expr:");
  }

  @Test
  void flinkJobsJobHelpPrintsTheJobsOwnOptions() {
    CliRun run = CliRun.run("flink-jobs", "--job-help", "--flink-jar", FLINK_JAR);
    assertThat(run.code).as(run.out + run.err).isZero();
    assertThat(run.out).contains("--data-dir").contains("--parallelism");
  }

  @Test
  void flinkJobsReturnsTheJobsExitCodeForABadFlag() {
    CliRun run = CliRun.run("flink-jobs", "--flink-jar", FLINK_JAR, "--window", "soon", "--data-dir", dir.toString());
    assertThat(run.code).isEqualTo(2);
    assertThat(run.err).contains("error:").contains("--window");
  }

  @Test
  void flinkJobsWithABrokerItCannotReachExitsWithOneLineNamingKafka() throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    CliRun run = CliRun.run("flink-jobs", "--flink-jar", FLINK_JAR, "--kafka", "127.0.0.1:" + port, "--kafka-wait", "2s",
        "--data-dir", dir.toString(), "--metrics-port", "-1");
    assertThat(run.code).as(run.out + run.err).isEqualTo(1);
    assertThat(run.out + run.err)
        .contains("error: cannot reach Kafka at 127.0.0.1:" + port + " (--kafka) within 2 s (--kafka-wait): no broker answered")
        .doesNotContain("MiniCluster");
  }
}
