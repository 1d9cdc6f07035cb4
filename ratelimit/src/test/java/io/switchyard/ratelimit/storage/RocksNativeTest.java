package io.switchyard.ratelimit.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RocksDB's own loader extracts its 15 MB native library into a new, randomly named file in java.io.tmpdir at every
 * start and deletes it only on a normal JVM exit: each crash or kill -9 of a process holding its counters left one there
 * for good. Runs the store in child JVMs, since a JVM loads the library once.
 */
class RocksNativeTest {
  @TempDir Path tmp;

  @Test
  void aKilledProcessLeavesNoNativeLibraryInTheTempFolderAndARestartReplacesItsOwn() throws Exception {
    Path javaTmp = Files.createDirectories(tmp.resolve("java-tmp"));
    Path data = tmp.resolve("data");

    openThenKill(javaTmp, data.resolve("ratelimit"));
    openThenKill(javaTmp, data.resolve("ratelimit"));

    assertThat(list(javaTmp)).noneMatch(f -> f.getFileName().toString().contains("rocksdb"));
    assertThat(list(data.resolve("native"))).hasSize(1);
  }

  private static void openThenKill(Path javaTmp, Path store) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Djava.io.tmpdir=" + javaTmp, "-cp", System.getProperty("java.class.path"), OpenStore.class.getName(),
        store.toString()).redirectErrorStream(true).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null && !line.equals("open")) {
        // log lines of the child before the store is open
      }
      assertThat(line).as("the child opened the store").isEqualTo("open");
      p.destroyForcibly(); // SIGKILL: no shutdown hooks, no deleteOnExit
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
  }

  private static List<Path> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    }
  }

  /** The child: opens a store, says so, then waits to be killed. */
  public static final class OpenStore {
    public static void main(String[] args) throws Exception {
      RocksDbCounterStore store = RocksDbCounterStore.open(Path.of(args[0]), java.time.Clock.systemUTC(), 1000,
          java.time.Duration.ofMillis(100));
      System.out.println("open");
      System.out.flush();
      Thread.currentThread().join();
      store.close();
    }
  }
}
