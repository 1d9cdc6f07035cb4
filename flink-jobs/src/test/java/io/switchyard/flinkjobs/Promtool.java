package io.switchyard.flinkjobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Prometheus' own rule engine for tests: {@code promtool test rules}, from the Debian package {@code prometheus} that
 * bin/test installs. A test that needs it is skipped, with that reason, where it is missing.
 */
public final class Promtool {
  private Promtool() {}

  /** Runs {@code promtool test rules TEST_FILE} in {@code dir} and requires every test case in it to pass. */
  public static void assertRuleTestsPass(Path dir, String testFile, Path rulesFile) throws IOException, InterruptedException {
    assertSucceeds(dir, rulesFile, "test", "rules", testFile);
  }

  /** Runs {@code promtool check rules RULES_FILE}: the file loads into Prometheus (YAML, PromQL, names, duplicates). */
  public static void assertRulesLoad(Path rulesFile) throws IOException, InterruptedException {
    assertSucceeds(rulesFile.toAbsolutePath().getParent(), rulesFile, "check", "rules", rulesFile.toAbsolutePath().toString());
  }

  private static void assertSucceeds(Path dir, Path rulesFile, String... args) throws IOException, InterruptedException {
    Path promtool = find();
    Assumptions.assumeTrue(promtool != null,
        "'promtool' is not on PATH: install the Debian package 'prometheus' (bin/test does) to run this test");
    List<String> command = new ArrayList<>();
    command.add(promtool.toString());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output + "\nrules:\n" + Files.readString(rulesFile)).isZero();
    assertThat(output).contains("SUCCESS");
  }

  private static Path find() {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(d, "promtool");
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }
}
