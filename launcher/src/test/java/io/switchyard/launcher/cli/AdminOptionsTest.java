package io.switchyard.launcher.cli;

import static io.switchyard.launcher.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.launcher.Main;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class AdminOptionsTest {
  @Test
  void everyServiceCommandTakesADrainInSeconds() {
    for (String command : new String[] {"up", "ext-authz", "ratelimit", "ingest", "topology-api", "xds"}) {
      CommandLine.ParseResult parsed = command.equals("topology-api")
          ? Main.commandLine().parseArgs(command, "--data-dir", "data", "--drain-seconds", "5")
          : Main.commandLine().parseArgs(command, "--drain-seconds", "5");
      AdminOptions admin = adminOf(parsed);
      assertThat(admin.drain()).as(command).isEqualTo(Duration.ofSeconds(5));
    }
  }

  @Test
  void withoutTheFlagAProcessStopsAtOnce() {
    CommandLine.ParseResult parsed = Main.commandLine().parseArgs("ingest");
    assertThat(adminOf(parsed).drain()).isZero();
  }

  @Test
  void aNegativeDrainIsAUsageErrorNamingTheFlag() {
    CliRun r = run("ingest", "--drain-seconds", "-1", "--admin-port", "0");
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err).contains("--drain-seconds must be 0 or more, got -1");
  }

  private static AdminOptions adminOf(CommandLine.ParseResult parsed) {
    return (AdminOptions) parsed.subcommand().commandSpec().mixins().get("admin").userObject();
  }
}
