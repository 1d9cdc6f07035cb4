package io.switchyard.ratelimit.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.testing.KilledChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
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
    Path store = tmp.resolve("data").resolve("ratelimit");

    KilledChildJvm.runUntil("open", List.of("-Djava.io.tmpdir=" + javaTmp), OpenStore.class, store.toString());
    KilledChildJvm.runUntil("open", List.of("-Djava.io.tmpdir=" + javaTmp), OpenStore.class, store.toString());

    assertThat(list(javaTmp)).noneMatch(f -> f.getFileName().toString().contains("rocksdb"));
    assertThat(list(tmp.resolve("data/native/ratelimit"))).hasSize(1);
  }

  private static List<Path> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    }
  }

  /** The child: opens the counters, says so, then waits to be killed. */
  public static final class OpenStore {
    public static void main(String[] args) throws Exception {
      try (RocksDbCounterStore store = RocksDbCounterStore.open(Path.of(args[0]), Clock.systemUTC(), 1000, Duration.ofMillis(100))) {
        System.out.println("open");
        System.out.flush();
        Thread.currentThread().join();
      }
    }
  }
}
