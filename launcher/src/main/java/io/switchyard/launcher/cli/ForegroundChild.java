package io.switchyard.launcher.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM run in the foreground of a command: its output and error output become the command's, its exit code the
 * command's, and stopping {@code switchyard} (Ctrl-C, SIGTERM) stops it first, so no orphan keeps the
 * Flink jobs' checkpoints or ports.
 */
final class ForegroundChild {
  private static final long STOP_GRACE_SECONDS = 30;

  private ForegroundChild() {}

  static int run(List<String> cmd, PrintWriter out, PrintWriter err) throws IOException, InterruptedException {
    // Two streams, as the jar run on its own has: `slo rules DIR > rules.yaml` must show an error on the
    // terminal, not write it into the rules file.
    Process child = new ProcessBuilder(cmd).start();
    Thread stop = new Thread(() -> stop(child), "stop-" + child.pid());
    Runtime.getRuntime().addShutdownHook(stop);
    Thread errors = new Thread(() -> copy(child.errorReader(StandardCharsets.UTF_8), err), "stderr-" + child.pid());
    errors.setDaemon(true);
    errors.start();
    try {
      copy(child.inputReader(StandardCharsets.UTF_8), out);
      int code = child.waitFor();
      errors.join();
      return code;
    } finally {
      stop(child);
      try {
        Runtime.getRuntime().removeShutdownHook(stop);
      } catch (IllegalStateException shutdownUnderWay) {
        // The JVM is already stopping: the hook is running or about to, and it stops the child.
      }
    }
  }

  /** Line by line, flushed at once, so the child's progress shows as it happens. */
  private static void copy(BufferedReader lines, PrintWriter to) {
    try (lines) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        synchronized (to) {
          to.println(line);
          to.flush();
        }
      }
    } catch (IOException closed) {
      // The child is gone (stopped with the command): nothing more to copy.
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
