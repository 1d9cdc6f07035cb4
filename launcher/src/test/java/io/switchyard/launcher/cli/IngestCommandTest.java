package io.switchyard.launcher.cli;

import static io.switchyard.launcher.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.ingest.IngestServer;
import io.switchyard.launcher.Main;
import io.switchyard.launcher.runtime.SwitchyardProcess;
import io.switchyard.testing.FreePorts;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IngestCommandTest {
  @TempDir Path dir;

  @Test
  void startedWithoutKafkaItPrintsAWaitingLineNamingKafkaNotTheReadyLine() throws Exception {
    ByteArrayOutputStream lines = new ByteArrayOutputStream();
    String nowhere = "127.0.0.1:" + FreePorts.next();
    try (SwitchyardProcess p = SwitchyardProcess.start("127.0.0.1", 0, null, new PrintStream(lines, true, StandardCharsets.UTF_8))) {
      IngestServer server = IngestCommand.start(p, IngestCommand.config(nowhere, "", dir).withHost("127.0.0.1").withPorts(0, 0, 0));
      assertThat(lines.toString(StandardCharsets.UTF_8))
          .contains("switchyard: ingest         waiting OTLP gRPC :" + server.otlpGrpcPort())
          .contains("; not ready: Kafka at " + nowhere + " does not answer: ")
          .doesNotContain("ingest         ready");
      assertThat(server.notReady()).startsWith("Kafka at " + nowhere + " does not answer: ");
    }
  }

  @Test
  void helpListsTheReceiverPortsAndFlowControlFlags() {
    CliRun r = run("ingest", "--help");
    assertThat(r.code).isZero();
    assertThat(r.out).contains("--otlp-grpc-port").contains("--otlp-http-port").contains("--als-port")
        .contains("--kafka").contains("--topic-prefix").contains("--data-dir").contains("--keep-attributes")
        .contains("--spool-mb").contains("--client-token-file").contains("--max-message-mb")
        .contains("--max-attributes").contains("--max-attribute-length");
    assertThat(r.out).containsPattern("--max-message-mb=MIB\\s+Largest accepted request[^(]*\\(default: 20\\)");
  }

  @Test
  void tooSmallAttributeValueLimitIsAUsageErrorNamingTheFlag() {
    CliRun r = run("ingest", "--max-attribute-length", "3", "--data-dir", dir.toString());
    assertThat(r.code).isEqualTo(Main.USAGE_ERROR);
    assertThat(r.err).contains("--max-attribute-length").contains("maxValueLength must be >= 16, got 3");
  }

  @Test
  void unknownCompressionIsAUsageErrorNamingTheFlag() {
    CliRun r = run("ingest", "--compression", "brotli", "--data-dir", dir.toString());
    assertThat(r.code).isEqualTo(Main.USAGE_ERROR);
    assertThat(r.err).contains("--compression").contains("brotli");
  }

  /** Before, the config's own names in bytes ("maxMessageBytes must be >= 1024, got 0"), or an int overflow. */
  @Test
  void sizeAndQueueFlagsOutOfRangeAreUsageErrorsNamingTheFlagInItsUnit() {
    String[][] cases = {
        {"--max-message-mb", "0", "--max-message-mb must be 1 to 2047 (MiB), got 0"},
        {"--max-message-mb", "2048", "--max-message-mb must be 1 to 2047 (MiB), got 2048"},
        {"--max-message-mb", "4096", "--max-message-mb must be 1 to 2047 (MiB), got 4096"},
        {"--inflight-mb", "0", "--inflight-mb must be at least 1 (MiB), got 0"},
        {"--spool-mb", "0", "--spool-mb must be at least 1 (MiB), got 0"},
        {"--max-queued-requests", "0", "--max-queued-requests must be at least 1, got 0"},
    };
    for (String[] c : cases) {
      CliRun r = run("ingest", c[0], c[1], "--data-dir", dir.toString());
      assertThat(r.code).as(c[0] + " " + c[1]).isEqualTo(Main.USAGE_ERROR);
      assertThat(r.err).as(c[0] + " " + c[1]).contains(c[2]);
    }
  }

  @Test
  void emptyClientTokenFileIsAUsageError() throws Exception {
    Path token = Files.writeString(dir.resolve("token"), "  \n");
    CliRun r = run("ingest", "--client-token-file", token.toString(), "--data-dir", dir.toString());
    assertThat(r.code).isEqualTo(Main.USAGE_ERROR);
    assertThat(r.err).contains("--client-token-file").contains("is empty");
  }
}
