package io.switchyard.launcher.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.serverkit.jvm.JarJvmOptions;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlinkJobsCommandTest {
  @TempDir Path dir;

  private Path jar() throws Exception {
    Manifest m = new Manifest();
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    m.getMainAttributes().putValue(JarJvmOptions.ATTRIBUTE, "-Xmx1g -XX:+UseParallelGC");
    Path jar = dir.resolve("switchyard-flink-local.jar");
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, m)) {
      j.flush();
    }
    return jar;
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
        .doesNotContain("--parallelism"); // the jar's own default
  }

  @Test
  void flinkHeapComesAfterTheJarsFlagsSoItWins() throws Exception {
    List<String> cmd = EmbeddedRuntime.flinkJobsCommand(settings(jar(), List.of("-Xmx3g")), "127.0.0.1:9092");
    assertThat(cmd.subList(1, cmd.indexOf("-jar"))).containsExactly("-Xmx1g", "-XX:+UseParallelGC", "-Xmx3g");
  }
}
