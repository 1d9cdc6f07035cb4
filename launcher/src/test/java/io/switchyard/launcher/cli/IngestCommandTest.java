package io.switchyard.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.launcher.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class IngestCommandTest {
  @TempDir Path dir;

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    CommandLine cl = Main.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    return new Run(cl.execute(args), out.toString(), err.toString());
  }

  @Test
  void helpListsTheReceiverPortsAndFlowControlFlags() {
    Run r = run("ingest", "--help");
    assertThat(r.code).isZero();
    assertThat(r.out).contains("--otlp-grpc-port").contains("--otlp-http-port").contains("--als-port")
        .contains("--kafka").contains("--topic-prefix").contains("--data-dir").contains("--keep-attributes")
        .contains("--spool-mb").contains("--client-token-file").contains("--max-message-mb")
        .contains("--max-attributes").contains("--max-attribute-length");
  }

  @Test
  void tooSmallAttributeValueLimitIsAUsageErrorNamingTheFlag() {
    Run r = run("ingest", "--max-attribute-length", "3", "--data-dir", dir.toString());
    assertThat(r.code).isEqualTo(Main.USAGE_ERROR);
    assertThat(r.err).contains("--max-attribute-length").contains("maxValueLength must be >= 16, got 3");
  }

  @Test
  void unknownCompressionIsAUsageErrorNamingTheSetting() {
    Run r = run("ingest", "--compression", "brotli", "--data-dir", dir.toString());
    assertThat(r.code).isEqualTo(Main.USAGE_ERROR);
    assertThat(r.err).contains("compression").contains("brotli");
  }

  @Test
  void emptyClientTokenFileIsAUsageError() throws Exception {
    Path token = Files.writeString(dir.resolve("token"), "  \n");
    Run r = run("ingest", "--client-token-file", token.toString(), "--data-dir", dir.toString());
    assertThat(r.code).isEqualTo(Main.USAGE_ERROR);
    assertThat(r.err).contains("--client-token-file").contains("is empty");
  }
}
