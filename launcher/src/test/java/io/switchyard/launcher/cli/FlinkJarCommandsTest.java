package io.switchyard.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.launcher.runtime.ManifestJars;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class FlinkJarCommandsTest {
  @TempDir Path dir;

  private static final String MY_PID = Long.toString(ProcessHandle.current().pid());

  private Path jar() throws Exception {
    return ManifestJars.localFlinkJar(dir);
  }

  private static List<String> afterJar(List<String> cmd) {
    return cmd.subList(cmd.indexOf("-jar") + 2, cmd.size());
  }

  private List<String> flinkJobs(String... args) throws Exception {
    FlinkJobsCommand c = new FlinkJobsCommand();
    new CommandLine(c).parseArgs(args);
    return c.command(dir);
  }

  private List<String> slo(String... args) {
    SloCommand c = new SloCommand();
    new CommandLine(c).parseArgs(args);
    return c.command(dir);
  }

  @Test
  void flinkJobsPassesEveryOtherArgumentToTheJobInOrderAndKeepsCheckpointsUnderTheInstallationsDataFolder() throws Exception {
    Path jar = jar();
    List<String> cmd = flinkJobs("--flink-jar", jar.toString(), "--kafka", "broker:9092", "--parallelism", "2");
    assertThat(cmd.subList(1, cmd.indexOf("-jar"))).containsExactly("-Xmx1g", "-XX:+UseParallelGC");
    assertThat(cmd.get(cmd.indexOf("-jar") + 1)).isEqualTo(jar.toString());
    assertThat(afterJar(cmd)).containsExactly("--kafka", "broker:9092", "--parallelism", "2",
        "--data-dir", dir.resolve("data/flink").toAbsolutePath().toString(), "--exit-with-parent", MY_PID);
  }

  @Test
  void flinkJobsKeepsTheUsersDataFolderAndPutsTheHeapAfterTheJarsFlags() throws Exception {
    List<String> cmd = flinkJobs("--flink-jar", jar().toString(), "--flink-heap", "3g", "--data-dir", "/srv/flink");
    assertThat(cmd.subList(1, cmd.indexOf("-jar"))).containsExactly("-Xmx1g", "-XX:+UseParallelGC", "-Xmx3g");
    assertThat(afterJar(cmd)).containsExactly("--data-dir", "/srv/flink", "--exit-with-parent", MY_PID);
  }

  @Test
  void aHeapSizeTheJvmWouldRefuseIsAUsageErrorNamingTheOption() throws Exception {
    Path jar = jar();
    for (String size : List.of("foo", "0", "2", "1.5g", "-1g")) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> flinkJobs("--flink-jar", jar.toString(), "--flink-heap", size))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("--flink-heap: '" + size + "' is not a heap size like 512m or 2g");
    }
    assertThat(flinkJobs("--flink-jar", jar.toString(), "--flink-heap", "512M")).contains("-Xmx512M");
  }

  @Test
  void jobHelpAsksTheJobForItsOptions() throws Exception {
    assertThat(afterJar(flinkJobs("--flink-jar", jar().toString(), "--job-help"))).containsExactly("--help");
  }

  @Test
  void sloApplyPublishesToUpsBrokerByDefault() throws Exception {
    Path jar = jar();
    List<String> cmd = slo("apply", "slos", "--flink-jar", jar.toString(), "--topic-prefix", "t.");
    assertThat(afterJar(cmd)).containsExactly("slo", "apply", Path.of("slos").toAbsolutePath().toString(),
        "--kafka", SloCommand.DEFAULT_KAFKA, "--topic-prefix", "t.");
    assertThat(afterJar(slo("apply", "slos", "--flink-jar", jar.toString(), "--prune", "all")))
        .containsExactly("slo", "apply", Path.of("slos").toAbsolutePath().toString(), "--kafka", SloCommand.DEFAULT_KAFKA,
            "--prune", "all");
    assertThat(afterJar(slo("rules", "slos", "--flink-jar", jar.toString(), "--window", "30s")))
        .containsExactly("slo", "rules", Path.of("slos").toAbsolutePath().toString(), "--window", "30s");
    // check and apply judge the SLOs against the job's alert windows, so they take the same list as rules.
    assertThat(afterJar(slo("check", "slos", "--flink-jar", jar.toString(), "--slo-alert-windows", "page:1h/5m:0.02")))
        .containsExactly("slo", "check", Path.of("slos").toAbsolutePath().toString(), "--slo-alert-windows", "page:1h/5m:0.02");
  }

  @Test
  void anUnknownSloActionOrAnOptionOfAnotherActionIsAUsageError() throws Exception {
    String jar = jar().toString();
    CliRun unknown = CliRun.run("slo", "publish", "slos", "--flink-jar", jar);
    assertThat(unknown.code).isEqualTo(2);
    assertThat(unknown.err).contains("unknown slo action 'publish'");
    CliRun misplaced = CliRun.run("slo", "check", "slos", "--flink-jar", jar, "--topic-prefix", "t.");
    assertThat(misplaced.code).isEqualTo(2);
    assertThat(misplaced.err).contains("--topic-prefix applies to 'slo apply' only");
    CliRun prune = CliRun.run("slo", "rules", "slos", "--flink-jar", jar, "--prune", "all");
    assertThat(prune.code).isEqualTo(2);
    assertThat(prune.err).contains("--prune applies to 'slo apply' only");
  }

  @Test
  void aMissingLocalJarIsAUsageErrorThatSaysHowToBuildIt() {
    CliRun run = CliRun.run("flink-jobs", "--flink-jar", dir.resolve("absent.jar").toString());
    assertThat(run.code).isEqualTo(2);
    assertThat(run.err).contains("the Flink jobs' local jar is missing").contains("mvn -pl flink-jobs -am package");
  }
}
