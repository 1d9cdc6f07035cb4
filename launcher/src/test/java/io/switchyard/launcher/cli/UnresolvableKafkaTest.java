package io.switchyard.launcher.cli;

import static io.switchyard.launcher.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.launcher.Main;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code --kafka} whose host names do not resolve (a typo, a Service not created yet) stops a service with one line
 * naming the flag and exit code 2, as {@code topics create} and {@code flink-jobs} report it: Kafka's client cannot be
 * created without one address that resolves. Before, each service printed Kafka's "Failed to construct kafka producer"
 * stack trace and exited 1.
 */
class UnresolvableKafkaTest {
  private static final String NOWHERE = "kafka.switchyard-test.invalid:9092";
  private static final String LINE = "switchyard: cannot reach Kafka at " + NOWHERE
      + " (--kafka): No resolvable bootstrap urls given in bootstrap.servers";

  @TempDir Path dir;

  @Test
  void ingestStopsWithOneLineNamingTheKafkaFlag() {
    CliRun r = run("ingest", "--kafka", NOWHERE, "--data-dir", dir.toString(), "--otlp-grpc-port", "0",
        "--otlp-http-port", "0", "--als-port", "0", "--admin-port", "0");
    assertThat(r.code).isEqualTo(Main.USAGE_ERROR);
    assertThat(r.err.strip()).isEqualTo(LINE);
  }

  @Test
  void topologyApiStopsWithOneLineNamingTheKafkaFlag() {
    CliRun r = run("topology-api", "--kafka", NOWHERE, "--data-dir", dir.toString(), "--port", "0", "--admin-port", "0");
    assertThat(r.code).isEqualTo(Main.USAGE_ERROR);
    assertThat(r.err.strip()).isEqualTo(LINE);
  }

  @Test
  void extAuthzWithADecisionLogToKafkaStopsWithOneLineNamingTheKafkaFlag() {
    CliRun r = run("ext-authz", "--kafka", NOWHERE, "--policy-dir", dir.toString(), "--port", "0", "--admin-port", "0");
    assertThat(r.code).isEqualTo(Main.USAGE_ERROR);
    assertThat(r.err.strip()).isEqualTo(LINE);
  }
}
