package io.switchyard.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A crash, for tests: a main class run in a child JVM on the test's class path, killed with SIGKILL at a line it prints. */
public final class KilledChildJvm {
  private KilledChildJvm() {}

  /**
   * Starts {@code main} with {@code jvmArgs} and {@code args}, waits until it prints {@code line}, then kills it (no
   * shutdown hooks, no deleteOnExit) and waits for it to end.
   *
   * @throws AssertionError when the child ends before printing the line, or does not die
   */
  public static void runUntil(String line, List<String> jvmArgs, Class<?> main, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmArgs);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      StringBuilder before = new StringBuilder();
      String read;
      while ((read = out.readLine()) != null && !read.equals(line)) {
        before.append(read).append('\n');
      }
      if (read == null) {
        throw new AssertionError(main.getName() + " ended without printing '" + line + "':\n" + before);
      }
      p.destroyForcibly();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        throw new AssertionError(main.getName() + " did not die within 30 s of SIGKILL");
      }
    } finally {
      p.destroyForcibly();
    }
  }
}
