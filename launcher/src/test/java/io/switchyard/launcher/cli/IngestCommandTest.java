package io.switchyard.launcher.cli;

import static io.switchyard.launcher.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.launcher.Main;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IngestCommandTest {
  @TempDir Path dir;

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
  void unknownCompressionIsAUsageErrorNamingTheSetting() {
    CliRun r = run("ingest", "--compression", "brotli", "--data-dir", dir.toString());
    assertThat(r.code).isEqualTo(Main.USAGE_ERROR);
    assertThat(r.err).contains("compression").contains("brotli");
  }

  @Test
  void emptyClientTokenFileIsAUsageError() throws Exception {
    Path token = Files.writeString(dir.resolve("token"), "  \n");
    CliRun r = run("ingest", "--client-token-file", token.toString(), "--data-dir", dir.toString());
    assertThat(r.code).isEqualTo(Main.USAGE_ERROR);
    assertThat(r.err).contains("--client-token-file").contains("is empty");
  }
}
