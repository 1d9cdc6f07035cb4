package io.switchyard.flinkjobs.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Which snapshot the local jar resumes from. A restarted child JVM (or a second {@code up} on the same
 * data folder) must continue from its newest complete checkpoint, otherwise client spans waiting for
 * their servers and windows not yet emitted are lost. A cluster restores with {@code flink run -s}; this
 * is never applied there.
 */
final class LocalRestore {
  /** Where snapshots that failed to restore are moved, so the next start does not pick them again. */
  static final String UNRESTORABLE = "unrestorable";

  private LocalRestore() {}

  /** The snapshot a run starts from; {@code automatic} when the runner chose it, not the user. */
  record Choice(Optional<Path> snapshot, boolean automatic) {
    static final Choice FRESH = new Choice(Optional.empty(), false);

    JobOptions apply(JobOptions o) {
      return snapshot.map(p -> o.withRestoreFrom(p.toString())).orElse(o);
    }
  }

  /** An explicit {@code --restore-from} wins; {@code --fresh} skips; else the newest complete snapshot. */
  static Choice choose(JobOptions o) {
    if (!o.restoreFrom().isEmpty()) {
      return new Choice(Optional.of(Path.of(o.restoreFrom())), false);
    }
    if (o.fresh()) {
      return Choice.FRESH;
    }
    Optional<Path> newest = newestComplete(o.checkpointDir(), o.savepointDir());
    return newest.isPresent() ? new Choice(newest, true) : Choice.FRESH;
  }

  /**
   * The most recently completed snapshot: a {@code checkpoints/<job>/chk-N} or {@code savepoints/*}
   * folder holding {@code _metadata}, which Flink writes last, so its modification time is the
   * completion order (across job ids, whose chk numbers are unrelated). Folders without it were
   * interrupted and are ignored.
   */
  static Optional<Path> newestComplete(Path checkpointDir, Path savepointDir) {
    List<Path> candidates = new ArrayList<>();
    for (Path job : children(checkpointDir)) {
      for (Path chk : children(job)) {
        if (chk.getFileName().toString().startsWith("chk-")) {
          candidates.add(chk);
        }
      }
    }
    candidates.addAll(children(savepointDir));
    return candidates.stream().filter(d -> Files.isRegularFile(d.resolve("_metadata")))
        .max(Comparator.comparing((Path d) -> modified(d.resolve("_metadata")))
            .thenComparingLong(LocalRestore::checkpointNumber)
            .thenComparing(Path::toString));
  }

  /**
   * Whether to give up an automatically chosen snapshot and start fresh: the job failed before it
   * completed a checkpoint of its own, so the restore is the suspect (e.g. state of an incompatible
   * older build), and retrying it would fail the same way forever. A snapshot the user named is never
   * given up; a job that failed after checkpointing resumes from its own checkpoint next time.
   */
  static boolean shouldFallBack(Choice choice, boolean ownCheckpointCompleted) {
    return choice.automatic() && choice.snapshot().isPresent() && !ownCheckpointCompleted;
  }

  /**
   * Whether consumer group {@code group} has committed no offset for any of {@code topics} on this broker. A
   * snapshot's source positions are offsets on the broker it was taken on, and the job commits them to
   * its group at every checkpoint, so restoring where the group never committed means other topics (a
   * new broker, a recreated topic), or a broker that expired the group's offsets
   * ({@code offsets.retention.minutes}, 7 days by default). Any of the inputs will do: a mesh that sends
   * access logs and no spans commits nothing for the empty span topic, and was warned about at every restart.
   */
  /** How long the check before a restore waits for the broker. */
  static final Duration OFFSETS_CHECK_TIMEOUT = Duration.ofSeconds(10);

  static boolean groupHasNoOffsetsFor(String bootstrap, String group, List<String> topics, Duration timeout) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        // Kafka refuses an API timeout below the request timeout (30 s by default), so both are set.
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis(),
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis()))) {
      Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return committed.entrySet().stream().noneMatch(e -> topics.contains(e.getKey().topic()) && e.getValue() != null);
    }
  }

  /** Whether job {@code jobId} completed a checkpoint under {@code checkpointDir}. */
  static boolean hasCompletedCheckpoint(Path checkpointDir, String jobId) {
    return children(checkpointDir.resolve(jobId)).stream()
        .anyMatch(d -> d.getFileName().toString().startsWith("chk-") && Files.isRegularFile(d.resolve("_metadata")));
  }

  /**
   * Moves an unrestorable snapshot to {@code DATA/unrestorable/}, kept for inspection. For a checkpoint
   * the whole job folder goes (its older checkpoints share the incompatible state and would fail next).
   */
  static Path moveAside(Path snapshot, Path dataDir) {
    Path what = folderOf(snapshot);
    Path target = dataDir.resolve(UNRESTORABLE).resolve(what.getFileName().toString());
    try {
      Files.createDirectories(target.getParent());
      for (int i = 1; Files.exists(target); i++) {
        target = dataDir.resolve(UNRESTORABLE).resolve(what.getFileName() + "-" + i);
      }
      return Files.move(what, target);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot move " + what + " aside to " + target, e);
    }
  }

  /** What goes with a snapshot when it is set aside: a checkpoint's job folder, else the snapshot itself. */
  static Path folderOf(Path snapshot) {
    Path parent = snapshot.getParent();
    return snapshot.getFileName().toString().startsWith("chk-") && parent != null ? parent : snapshot;
  }

  /**
   * Deletes the checkpoint folders of earlier jobs except the one holding {@code keep}. Flink bounds
   * the checkpoints it retains per job ({@code execution.checkpointing.num-retained}); every restart is
   * a new job id, so without this the data folder would grow by one job folder per restart. Restores
   * do not claim the snapshot (Flink's default), so the new job never references these files.
   * Savepoints are the user's and are left alone.
   */
  static List<Path> pruneOtherJobs(Path checkpointDir, Optional<Path> keep) {
    Optional<Path> keepJob = keep.map(Path::toAbsolutePath).map(Path::getParent);
    List<Path> removed = new ArrayList<>();
    for (Path job : children(checkpointDir)) {
      if (keepJob.isPresent() && keepJob.get().equals(job.toAbsolutePath())) {
        continue;
      }
      deleteRecursively(job);
      removed.add(job);
    }
    return removed;
  }

  private static long checkpointNumber(Path d) {
    String n = d.getFileName().toString();
    try {
      return n.startsWith("chk-") ? Long.parseLong(n.substring(4)) : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static FileTime modified(Path p) {
    try {
      return Files.getLastModifiedTime(p);
    } catch (IOException e) {
      return FileTime.fromMillis(0);
    }
  }

  private static List<Path> children(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(Files::isDirectory).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }
}
