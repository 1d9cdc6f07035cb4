package io.switchyard.launcher.runtime;

import io.switchyard.serverkit.jvm.JarJvmOptions;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/** Empty jars whose manifest names JVM flags, as the Flink jobs' local jar does. */
public final class ManifestJars {
  private ManifestJars() {}

  /** {@code dir/switchyard-flink-local.jar} naming {@code -Xmx1g -XX:+UseParallelGC}. */
  public static Path localFlinkJar(Path dir) throws IOException {
    Manifest m = new Manifest();
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    m.getMainAttributes().putValue(JarJvmOptions.ATTRIBUTE, "-Xmx1g -XX:+UseParallelGC");
    Path jar = dir.resolve("switchyard-flink-local.jar");
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, m)) {
      j.flush();
    }
    return jar;
  }
}
