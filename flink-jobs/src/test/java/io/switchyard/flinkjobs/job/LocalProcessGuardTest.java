package io.switchyard.flinkjobs.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalProcessGuardTest {
  @TempDir Path dir;

  @Test
  void runsTheExitActionOnceTheWatchedProcessIsKilled() throws Exception {
    Process parent = new ProcessBuilder("sleep", "600").start();
    CountDownLatch exited = new CountDownLatch(1);
    LocalProcessGuard.onParentExit(parent.pid(), exited::countDown);
    assertThat(exited.getCount()).isEqualTo(1);
    parent.destroyForcibly();
    assertThat(exited.await(Duration.ofMinutes(1).toSeconds(), TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void runsTheExitActionAtOnceWhenTheProcessIsAlreadyGone() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    CountDownLatch exited = new CountDownLatch(1);
    LocalProcessGuard.onParentExit(gone.pid(), exited::countDown);
    assertThat(exited.getCount()).isZero();
  }

  @Test
  void aSecondJobOnTheSameDataFolderIsRefusedWithTheHoldersPid() throws Exception {
    Path data = dir.resolve("flink");
    assertThat(LocalProcessGuard.lockDataDir(data)).isEmpty();
    assertThat(Files.readString(data.resolve(LocalProcessGuard.LOCK_FILE))).isEqualTo(Long.toString(ProcessHandle.current().pid()));

    assertThat(LocalProcessGuard.lockDataDir(data)).hasValueSatisfying(reason -> assertThat(reason)
        .contains(data.toString()).contains("in use by another Flink jobs process")
        .contains("pid " + ProcessHandle.current().pid()).contains("--data-dir"));
    assertThat(LocalProcessGuard.lockDataDir(dir.resolve("other"))).isEmpty();
  }

  @Test
  void theWorkFolderIsEmptiedOfWhatAKilledRunLeftAndItsSizeReported() throws Exception {
    Path work = dir.resolve("flink").resolve("work");
    Path db = Files.createDirectories(work.resolve("minicluster_1").resolve("tm_0").resolve("tmp").resolve("job_x_op_ServiceGraphOperator").resolve("db"));
    Files.write(db.resolve("000012.sst"), new byte[3000]);
    Files.write(work.resolve("flink-rpc-akka_1.jar"), new byte[500]);
    Files.createSymbolicLink(work.resolve("link"), dir); // removed as a link, never followed
    Files.writeString(dir.resolve("outside"), "kept");

    assertThat(LocalProcessGuard.emptyWorkDir(work)).isEqualTo(3500);
    assertThat(work).isEmptyDirectory();
    assertThat(dir.resolve("outside")).hasContent("kept");
    assertThat(LocalProcessGuard.emptyWorkDir(work)).isZero();
  }

  @Test
  void aMissingWorkFolderIsCreated() throws Exception {
    Path work = dir.resolve("new").resolve("work");
    assertThat(LocalProcessGuard.emptyWorkDir(work)).isZero();
    assertThat(work).isEmptyDirectory();
  }

  @Test
  void anotherProcessIsRefusedWhileThisOneRunsEvenAfterCollections() throws Exception {
    Path data = dir.resolve("held");
    assertThat(LocalProcessGuard.lockDataDir(data)).isEmpty();
    for (int i = 0; i < 3; i++) {
      System.gc(); // a collected channel would close and drop the lock
    }
    Process other = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), LockDataDirMain.class.getName(), data.toString())
        .redirectErrorStream(true).start();
    String output = new String(other.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(other.waitFor(1, TimeUnit.MINUTES)).isTrue();
    assertThat(output).contains("in use by another Flink jobs process (pid " + ProcessHandle.current().pid() + ")");
  }

  /** Another JVM asking for the lock: prints the refusal, or "locked". */
  public static final class LockDataDirMain {
    public static void main(String[] args) throws Exception {
      System.out.println(LocalProcessGuard.lockDataDir(Path.of(args[0])).orElse("locked"));
    }
  }
}
