package io.switchyard.launcher.cli;

import static io.switchyard.launcher.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class TopicsCommandTest {
  @Test
  void createAgainstABrokerThatDoesNotAnswerSaysSoInOneLine() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    CliRun r = run("topics", "create", "--kafka", "127.0.0.1:" + port, "--kafka-wait", "2");
    assertThat(r.code).isEqualTo(1);
    assertThat(r.err.strip().lines()).hasSize(1);
    assertThat(r.err).contains("127.0.0.1:" + port).contains("--kafka").contains("2 s")
        .doesNotContain("Exception").doesNotContain("null");
    assertThat(r.out).isEmpty();
  }

  @Test
  void createWithAnUnresolvableBrokerSaysSoInOneLine() {
    CliRun r = run("topics", "create", "--kafka", "no-such-host.invalid:9092", "--kafka-wait", "2");
    assertThat(r.code).isEqualTo(1);
    assertThat(r.err.strip().lines()).hasSize(1);
    assertThat(r.err).contains("no-such-host.invalid:9092").contains("--kafka").doesNotContain("Exception");
  }

  @Test
  void zeroKafkaWaitIsAUsageError() {
    CliRun r = run("topics", "create", "--kafka-wait", "0");
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err).contains("--kafka-wait").contains("at least 1");
  }

  @Test
  void minInsyncReplicasAboveTheReplicationFactorIsAUsageError() {
    CliRun r = run("topics", "create", "--replication-factor", "2", "--min-insync-replicas", "3");
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err).contains("--min-insync-replicas 3").contains("--replication-factor 2");
  }

  @Test
  void helpDoesNotPromiseAMinInsyncReplicasDefaultThatFollowsTheReplicationFactor() {
    // Without --min-insync-replicas new topics get the brokers' setting whatever --replication-factor says.
    CliRun r = run("topics", "create", "--help");
    String minIsr = r.out.substring(r.out.indexOf("  --min-insync-replicas="), r.out.indexOf("  --replication-factor="));
    assertThat(minIsr.replaceAll("\\s+", " ")).doesNotContain("; 2 with --replication-factor 3)")
        .contains("give 2 with --replication-factor 3");
  }

  @Test
  void zeroReplicationFactorIsAUsageError() {
    CliRun r = run("topics", "create", "--replication-factor", "0");
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err).contains("--replication-factor").contains("at least 1");
  }
}
