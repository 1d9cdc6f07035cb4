package io.switchyard.flinkjobs.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * The local jar names the JVM flags it runs with (read by {@code switchyard up} and the benchmark);
 * checked on the jar the build just packaged.
 */
class LocalJarManifestIT {
  @Test
  void theLocalJarNamesItsJvmFlagsAndItsMainClass() throws Exception {
    Path jar = Path.of(System.getProperty("basedir", "."), "target", "switchyard-flink-local.jar");
    assertThat(jar).exists();
    try (JarFile file = new JarFile(jar.toFile())) {
      var attributes = file.getManifest().getMainAttributes();
      assertThat(attributes.getValue("Main-Class")).isEqualTo(FlinkJobsMain.class.getName());
      List<String> flags = List.of(attributes.getValue("Switchyard-Jvm-Options").trim().split("\\s+"));
      assertThat(flags).contains("-Xmx1g", "-XX:+UseParallelGC", "-XX:MetaspaceSize=256m").allMatch(f -> f.startsWith("-X"));
      // C2 waits for four times the JDK's invocation and loop counts (docs/flink-jobs.md, "The child JVM")
      assertThat(flags).contains("-XX:Tier4InvocationThreshold=20000", "-XX:Tier4MinInvocationThreshold=2400",
          "-XX:Tier4CompileThreshold=60000", "-XX:Tier4BackEdgeThreshold=160000", "-XX:Tier4LoadFeedback=1");
      // A compile command that names a method this build no longer has would be silently ignored (quiet).
      List<String> kept = flags.stream().filter(f -> f.startsWith("-XX:CompileCommand=dontinline,")).toList();
      assertThat(kept).isNotEmpty();
      for (String flag : kept) {
        String[] classAndMethod = flag.substring(flag.indexOf(',') + 1).split("::");
        Class<?> type = Class.forName(classAndMethod[0]);
        assertThat(Arrays.stream(type.getDeclaredMethods()).map(Method::getName)).as(flag).contains(classAndMethod[1]);
      }
    }
    assertThat(Files.size(jar)).isGreaterThan(0);
  }
}
