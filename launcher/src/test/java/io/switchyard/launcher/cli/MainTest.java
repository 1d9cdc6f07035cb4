package io.switchyard.launcher.cli;

import static io.switchyard.launcher.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.launcher.Main;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {
  @Test
  void versionPrintsTheVersion() {
    CliRun r = run("version");
    assertThat(r.code).isZero();
    assertThat(r.out).startsWith("switchyard ");
  }

  @Test
  void everyCommandHasHelp() {
    List<List<String>> paths = new ArrayList<>();
    collect(Main.commandLine(), new ArrayList<>(), paths);
    assertThat(paths).hasSizeGreaterThan(3);
    for (List<String> path : paths) {
      List<String> args = new ArrayList<>(path);
      args.add("--help");
      CliRun r = run(args.toArray(String[]::new));
      assertThat(r.code).as("exit code of %s", args).isZero();
      assertThat(r.out).as("help of %s", args).contains("Usage:");
    }
  }

  @Test
  void everyOptionOfEveryCommandSaysWhatItDoes() {
    List<List<String>> paths = new ArrayList<>();
    collect(Main.commandLine(), new ArrayList<>(), paths);
    List<String> undescribed = new ArrayList<>();
    for (List<String> path : paths) {
      CommandLine cl = at(path);
      for (CommandLine.Model.OptionSpec o : cl.getCommandSpec().options()) {
        if (String.join("", o.description()).isBlank()) {
          undescribed.add(String.join(" ", path) + " " + o.longestName());
        }
      }
    }
    assertThat(undescribed).as("options whose --help line is empty").isEmpty();
  }

  @Test
  void everyCommandListsItsSubcommandsWithWholeSentences() {
    List<List<String>> paths = new ArrayList<>();
    collect(Main.commandLine(), new ArrayList<>(), paths);
    List<String> cut = new ArrayList<>();
    for (List<String> path : paths) {
      CommandLine cl = at(path);
      // The command list of a --help shows the header's first line, else the description's first line.
      CommandLine.Model.UsageMessageSpec usage = cl.getCommandSpec().usageMessage();
      String[] summary = usage.header().length > 0 ? usage.header() : usage.description();
      if (!path.isEmpty() && (summary.length == 0 || !summary[0].strip().endsWith("."))) {
        cut.add(String.join(" ", path) + ": " + (summary.length == 0 ? "(none)" : summary[0]));
      }
    }
    assertThat(cut).as("commands listed in their parent's --help with a cut-off sentence").isEmpty();
    // The top-level list, the one a new user reads first, keeps each summary on one line.
    String help = run("--help").out;
    Main.commandLine().getSubcommands().forEach((name, sub) -> {
      CommandLine.Model.UsageMessageSpec usage = sub.getCommandSpec().usageMessage();
      String summary = (usage.header().length > 0 ? usage.header() : usage.description())[0];
      assertThat(help).as("switchyard --help lists %s on one line", name).contains("  " + summary + "\n");
    });
  }

  /**
   * Picocli wraps a description line longer than the usage width (80 columns) wherever it runs out of room: fine for
   * prose, but it breaks the columns of lines laid out by hand (indented ones; {@code slo --help} had them).
   */
  @Test
  void everyCommandsHandLaidOutDescriptionLinesFitTheUsageWidth() {
    List<List<String>> paths = new ArrayList<>();
    collect(Main.commandLine(), new ArrayList<>(), paths);
    List<String> tooLong = new ArrayList<>();
    for (List<String> path : paths) {
      CommandLine cl = at(path);
      int width = cl.getCommandSpec().usageMessage().width();
      for (String line : cl.getCommandSpec().usageMessage().description()) {
        for (String l : line.split("\n")) {
          if (l.startsWith(" ") && l.length() > width) {
            tooLong.add(String.join(" ", path) + ": " + l);
          }
        }
      }
    }
    assertThat(tooLong).as("indented description lines longer than the usage width").isEmpty();
  }

  @Test
  void demoTakesUpsNameForTheExtAuthzPort() {
    CommandLine.ParseResult r = Main.commandLine().parseArgs("demo", "--ext-authz-port", "32491");
    assertThat(r.subcommand().<Integer>matchedOptionValue("--authz-port", 0)).isEqualTo(32491);
  }

  @Test
  void unknownFlagExitsWithTwoAndOneLine() {
    CliRun r = run("up", "--no-such-flag");
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err.strip().lines()).hasSize(1);
    assertThat(r.err).contains("--no-such-flag").doesNotContain("Exception");
  }

  @Test
  void missingConfigFolderExitsWithTwoAndOneLine() {
    CliRun r = run("up", "--config-dir", "/nonexistent/config", "--no-flink");
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err.strip()).isEqualTo("switchyard: config folder not found: /nonexistent/config (--config-dir)");
  }

  /** The command at {@code path} below {@code switchyard}, in a fresh command line. */
  private static CommandLine at(List<String> path) {
    CommandLine cl = Main.commandLine();
    for (String name : path) {
      cl = cl.getSubcommands().get(name);
    }
    return cl;
  }

  private static void collect(CommandLine cl, List<String> prefix, List<List<String>> out) {
    out.add(prefix);
    cl.getSubcommands().forEach((name, sub) -> {
      if (!name.equals("help")) {
        List<String> p = new ArrayList<>(prefix);
        p.add(name);
        collect(sub, p, out);
      }
    });
  }
}
