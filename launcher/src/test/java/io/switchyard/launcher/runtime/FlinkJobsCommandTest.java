package io.switchyard.launcher.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlinkJobsCommandTest {
  @TempDir Path dir;

  private Path jar() throws Exception {
    return ManifestJars.localFlinkJar(dir);
  }

  private EmbeddedRuntime.Settings settings(Path jar, List<String> jvmArgs) {
    EmbeddedRuntime.Ports ports = new EmbeddedRuntime.Ports(1, 2, 3, 4, 5, 6, 7, 9249);
    return new EmbeddedRuntime.Settings(dir.resolve("data"), dir, "127.0.0.1", 0, null, 9092, 9093, "", jar, jvmArgs, ports, null);
  }

  @Test
  void theChildStartsWithTheJarsOwnFlagsBeforeTheJar() throws Exception {
    Path jar = jar();
    List<String> cmd = EmbeddedRuntime.flinkJobsCommand(settings(jar, List.of()), "127.0.0.1:9092");
    assertThat(cmd.subList(1, cmd.indexOf("-jar"))).containsExactly("-Xmx1g", "-XX:+UseParallelGC");
    assertThat(cmd.get(cmd.indexOf("-jar") + 1)).isEqualTo(jar.toString());
    assertThat(cmd).containsSequence("--kafka", "127.0.0.1:9092").containsSequence("--metrics-port", "9249")
        .containsSequence("--exit-with-parent", Long.toString(ProcessHandle.current().pid()))
        .doesNotContain("--parallelism"); // the jar's own default
  }

  @Test
  void flinkHeapComesAfterTheJarsFlagsSoItWins() throws Exception {
    List<String> cmd = EmbeddedRuntime.flinkJobsCommand(settings(jar(), List.of("-Xmx3g")), "127.0.0.1:9092");
    assertThat(cmd.subList(1, cmd.indexOf("-jar"))).containsExactly("-Xmx1g", "-XX:+UseParallelGC", "-Xmx3g");
  }
}
