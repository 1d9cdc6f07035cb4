package io.switchyard.launcher.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchyard.launcher.Main;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataFolderLockTest {
  @TempDir Path dir;

  private static String inUse(Path data) {
    return "data folder " + data + " is in use by another switchyard up; stop it, or give another --data-dir";
  }

  @Test
  void aFolderLockedByAnotherProcessIsRefusedNamingItAndFreeOnceThatProcessIsGone() throws Exception {
    Path data = dir.resolve("data");
    Process child = new ProcessBuilder(ChildProcessSupervisor.javaCommand(List.of("-Xmx32m"), LockingChild.class.getName(),
        List.of(data.toString()))).redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("locked");
      assertThatThrownBy(() -> DataFolderLock.acquire(data)).isInstanceOf(Main.UsageException.class).hasMessage(inUse(data));
      // Refused again: the refusal left the other process's lock in place.
      assertThatThrownBy(() -> DataFolderLock.acquire(data)).isInstanceOf(Main.UsageException.class).hasMessage(inUse(data));
    } finally {
      child.destroyForcibly();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    try (DataFolderLock lock = DataFolderLock.acquire(data)) {
      assertThat(data.resolve(DataFolderLock.FILE)).exists();
    }
  }

  @Test
  void aSecondLockInThisJvmIsRefusedWithoutLosingTheFirstAndCloseFreesTheFolder() throws Exception {
    Path data = dir.resolve("data");
    try (DataFolderLock first = DataFolderLock.acquire(data)) {
      assertThatThrownBy(() -> DataFolderLock.acquire(data)).isInstanceOf(Main.UsageException.class).hasMessage(inUse(data));
      // The refused attempt opened no channel of its own, whose close would have dropped the first one's lock.
      Process child = new ProcessBuilder(ChildProcessSupervisor.javaCommand(List.of("-Xmx32m"), LockingChild.class.getName(),
          List.of(data.toString()))).redirectErrorStream(true).start();
      String said = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(child.exitValue()).as(said).isNotZero();
      assertThat(said).contains(inUse(data)).doesNotContain("locked");
    }
    DataFolderLock.acquire(data).close();
  }
}
