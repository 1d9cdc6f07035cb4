package io.switchyard.serverkit.jvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JarJvmOptionsTest {
  @TempDir Path dir;

  private Path jar(String options) throws IOException {
    Manifest m = new Manifest();
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    if (options != null) {
      m.getMainAttributes().putValue(JarJvmOptions.ATTRIBUTE, options);
    }
    Path jar = dir.resolve("app.jar");
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, m)) {
      j.flush();
    }
    return jar;
  }

  @Test
  void readsTheManifestsFlagsInOrder() throws IOException {
    assertThat(JarJvmOptions.of(jar("-Xmx1g  -XX:+UseParallelGC -XX:MetaspaceSize=192m ")))
        .containsExactly("-Xmx1g", "-XX:+UseParallelGC", "-XX:MetaspaceSize=192m");
  }

  @Test
  void aJarThatNamesNoFlagsHasNone() throws IOException {
    assertThat(JarJvmOptions.of(jar(null))).isEmpty();
    assertThat(JarJvmOptions.of(jar(" "))).isEmpty();
  }

  @Test
  void aMissingJarIsAnError() {
    assertThatThrownBy(() -> JarJvmOptions.of(dir.resolve("absent.jar"))).isInstanceOf(IOException.class);
  }
}
