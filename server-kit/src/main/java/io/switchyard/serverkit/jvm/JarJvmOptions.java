package io.switchyard.serverkit.jvm;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * The JVM flags a runnable jar asks to be started with, from its manifest's {@value #ATTRIBUTE}
 * entry (flags separated by spaces, none containing one). The jar is the one source of truth for
 * them: whatever starts it as a child JVM (the launcher's {@code up}, the benchmarks) reads them here,
 * so a tuning the jar was built with is the tuning every runner measures and ships.
 */
public final class JarJvmOptions {
  public static final String ATTRIBUTE = "Switchyard-Jvm-Options";

  private JarJvmOptions() {}

  /** The jar's flags in order; empty when its manifest names none (an older build). */
  public static List<String> of(Path jar) throws IOException {
    try (JarFile file = new JarFile(jar.toFile())) {
      Manifest manifest = file.getManifest();
      String value = manifest == null ? null : manifest.getMainAttributes().getValue(ATTRIBUTE);
      return value == null || value.isBlank() ? List.of() : List.of(value.trim().split("\\s+"));
    }
  }
}
