package io.switchyard.flinkjobs.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalRestoreTest {
  @TempDir Path data;

  private Path complete(String relative, long completedAtMs) throws IOException {
    Path dir = Files.createDirectories(data.resolve(relative));
    Path metadata = Files.write(dir.resolve("_metadata"), new byte[] {1});
    Files.setLastModifiedTime(metadata, FileTime.fromMillis(completedAtMs));
    return dir;
  }

  private JobOptions options(String... extra) {
    String[] args = new String[extra.length + 2];
    args[0] = "--data-dir";
    args[1] = data.toString();
    System.arraycopy(extra, 0, args, 2, extra.length);
    return JobOptions.parse(args);
  }

  @Test
  void choosesTheLastCompletedSnapshotAcrossJobsNotTheHighestNumber() throws IOException {
    complete("checkpoints/aaaa/chk-12", 1_000);
    Path newest = complete("checkpoints/bbbb/chk-3", 5_000);
    complete("checkpoints/bbbb/chk-2", 4_000);
    complete("savepoints/savepoint-aaaa-1", 3_000);
    // An interrupted checkpoint: no _metadata, however new.
    Files.createDirectories(data.resolve("checkpoints/bbbb/chk-4"));
    Files.createDirectories(data.resolve("checkpoints/bbbb/shared"));

    LocalRestore.Choice c = LocalRestore.choose(options());

    assertThat(c.snapshot()).contains(newest);
    assertThat(c.automatic()).isTrue();
    assertThat(c.apply(options()).restoreFrom()).isEqualTo(newest.toString());
  }

  @Test
  void aSavepointNewerThanEveryCheckpointIsChosen() throws IOException {
    complete("checkpoints/aaaa/chk-7", 1_000);
    Path savepoint = complete("savepoints/savepoint-aaaa-2", 2_000);
    assertThat(LocalRestore.choose(options()).snapshot()).contains(savepoint);
  }

  @Test
  void startsFreshWhenNothingCompletedOrWhenToldTo() throws IOException {
    Files.createDirectories(data.resolve("checkpoints/aaaa/chk-1"));
    assertThat(LocalRestore.choose(options())).isEqualTo(LocalRestore.Choice.FRESH);
    complete("checkpoints/aaaa/chk-2", 1_000);
    assertThat(LocalRestore.choose(options("--fresh"))).isEqualTo(LocalRestore.Choice.FRESH);
  }

  @Test
  void anExplicitRestoreFromWinsAndIsNotAutomatic() throws IOException {
    complete("checkpoints/aaaa/chk-9", 9_000);
    LocalRestore.Choice c = LocalRestore.choose(options("--restore-from", "/elsewhere/chk-1"));
    assertThat(c.snapshot()).contains(Path.of("/elsewhere/chk-1"));
    assertThat(c.automatic()).isFalse();
  }

  @Test
  void fallsBackOnlyFromAnAutomaticChoiceThatNeverCheckpointed() {
    LocalRestore.Choice auto = new LocalRestore.Choice(Optional.of(Path.of("/d/checkpoints/a/chk-1")), true);
    LocalRestore.Choice named = new LocalRestore.Choice(Optional.of(Path.of("/d/checkpoints/a/chk-1")), false);
    assertThat(LocalRestore.shouldFallBack(auto, false)).isTrue();
    // It checkpointed after the restore: the failure is not the restore's; next start resumes from it.
    assertThat(LocalRestore.shouldFallBack(auto, true)).isFalse();
    // The user named the snapshot: fail loudly rather than silently drop it.
    assertThat(LocalRestore.shouldFallBack(named, false)).isFalse();
    assertThat(LocalRestore.shouldFallBack(LocalRestore.Choice.FRESH, false)).isFalse();
  }

  @Test
  void anUnrestorableCheckpointIsMovedAsideWithItsJobAndNotChosenAgain() throws IOException {
    Path older = complete("checkpoints/aaaa/chk-4", 1_000);
    Path bad = complete("checkpoints/bbbb/chk-8", 2_000);
    complete("checkpoints/bbbb/chk-7", 1_500);

    Path moved = LocalRestore.moveAside(bad, data);

    assertThat(moved).isEqualTo(data.resolve("unrestorable/bbbb"));
    assertThat(moved.resolve("chk-8/_metadata")).exists();
    assertThat(data.resolve("checkpoints/bbbb")).doesNotExist();
    assertThat(LocalRestore.choose(options()).snapshot()).contains(older);
    assertThat(LocalRestore.hasCompletedCheckpoint(data.resolve("checkpoints"), "aaaa")).isTrue();
    assertThat(LocalRestore.hasCompletedCheckpoint(data.resolve("checkpoints"), "bbbb")).isFalse();
  }

  @Test
  void pruningKeepsOnlyTheChosenCheckpointsJobAndTheSavepoints() throws IOException {
    complete("checkpoints/aaaa/chk-4", 1_000);
    Files.createDirectories(data.resolve("checkpoints/cccc/chk-1"));
    Path chosen = complete("checkpoints/bbbb/chk-8", 2_000);
    Path savepoint = complete("savepoints/savepoint-aaaa-1", 500);

    LocalRestore.pruneOtherJobs(data.resolve("checkpoints"), Optional.of(chosen));

    assertThat(data.resolve("checkpoints/aaaa")).doesNotExist();
    assertThat(data.resolve("checkpoints/cccc")).doesNotExist();
    assertThat(chosen.resolve("_metadata")).exists();
    assertThat(savepoint.resolve("_metadata")).exists();
  }
}
