package io.switchyard.launcher.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM run in the foreground of a command: its output becomes the command's, its exit code the
 * command's, and stopping {@code switchyard} (Ctrl-C, SIGTERM) stops it first, so no orphan keeps the
 * Flink jobs' checkpoints or ports.
 */
final class ForegroundChild {
  private static final long STOP_GRACE_SECONDS = 30;

  private ForegroundChild() {}

  static int run(List<String> cmd, PrintWriter out) throws IOException, InterruptedException {
    Process child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    Thread stop = new Thread(() -> stop(child), "stop-" + child.pid());
    Runtime.getRuntime().addShutdownHook(stop);
    try (BufferedReader lines = child.inputReader(StandardCharsets.UTF_8)) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        out.println(line);
        out.flush();
      }
      return child.waitFor();
    } finally {
      stop(child);
      try {
        Runtime.getRuntime().removeShutdownHook(stop);
      } catch (IllegalStateException shutdownUnderWay) {
        // The JVM is already stopping: the hook is running or about to, and it stops the child.
      }
    }
  }

  /** SIGTERM, which lets the job shut down cleanly; SIGKILL after the grace period. */
  private static void stop(Process child) {
    if (!child.isAlive()) {
      return;
    }
    child.destroy();
    try {
      if (!child.waitFor(STOP_GRACE_SECONDS, TimeUnit.SECONDS)) {
        child.destroyForcibly();
      }
    } catch (InterruptedException e) {
      child.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
