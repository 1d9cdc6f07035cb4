package io.switchyard.launcher.runtime;

import io.switchyard.serverkit.jvm.JarJvmOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The Flink jobs' local jar (jobs plus the Flink runtime) and the child JVM that runs it. Flink's RocksDB
 * library must never share a JVM with the topology store's, so {@code up}, {@code switchyard flink-jobs} and
 * {@code switchyard slo} all start this jar as a separate process, built here the same way for each.
 */
public final class LocalFlinkJar {
  /** Where the jar is, relative to the installation, once {@code mvn -pl flink-jobs -am package} built it. */
  public static final String DEFAULT_PATH = "flink-jobs/target/switchyard-flink-local.jar";

  private LocalFlinkJar() {}

  /** The jar to run: {@code explicit} when given, else the installation's; rejected when it is not there. */
  public static Path locate(Path home, Path explicit) {
    Path jar = explicit != null ? explicit : home.resolve(DEFAULT_PATH);
    if (!Files.isRegularFile(jar)) {
      throw new IllegalArgumentException("the Flink jobs' local jar is missing: " + jar
          + " (build it with: mvn -pl flink-jobs -am package -DskipTests, or pass --flink-jar)");
    }
    return jar;
  }

  /**
   * The JVM flag for {@code --flink-heap SIZE} (none when not given). A size the JVM refuses used to reach the
   * child as {@code -Xmx<SIZE>}: `switchyard flink-jobs` then ended with the JVM's "Invalid maximum heap size",
   * and `up` restarted a child that could never start.
   */
  public static List<String> heapFlag(String size) {
    if (size == null) {
      return List.of();
    }
    if (!size.matches("[1-9][0-9]*[mMgGtT]")) {
      throw new IllegalArgumentException("--flink-heap: '" + size + "' is not a heap size like 512m or 2g");
    }
    return List.of("-Xmx" + size);
  }

  /**
   * {@code java}, the flags the jar's manifest names ({@link JarJvmOptions}: heap, GC and metaspace chosen
   * for the job, the ones its benchmark runs with), then {@code jvmArgs}, which win where they name the same
   * flag because the JVM takes the last, then {@code -jar JAR} and {@code args}.
   */
  public static List<String> command(Path jar, List<String> jvmArgs, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(java()));
    cmd.addAll(JarJvmOptions.of(jar));
    cmd.addAll(jvmArgs);
    cmd.add("-jar");
    cmd.add(jar.toString());
    cmd.addAll(args);
    return cmd;
  }

  /**
   * The jar as a short-lived tool ({@code slo check|apply|rules}): a small heap and the quick compiler tier
   * only, since the tool reads a folder and exits within seconds and never runs the jobs.
   */
  public static List<String> toolCommand(Path jar, List<String> args) {
    List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx128m", "-XX:TieredStopAtLevel=1", "-jar", jar.toString()));
    cmd.addAll(args);
    return cmd;
  }

  /** The {@code java} of the JVM running {@code switchyard}, so the child runs the same Java. */
  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
