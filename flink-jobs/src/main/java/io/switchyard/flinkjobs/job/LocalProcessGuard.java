package io.switchyard.flinkjobs.job;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.FileVisitResult;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What keeps one local jar the only job on its data folder. Two jobs on one folder would read the same topics, write
 * the same transactional output and checkpoints, and a later start could resume from either one's snapshot: exactly
 * what exactly-once must exclude. A launcher killed with SIGKILL cannot stop its child, so the child watches its
 * launcher ({@code --exit-with-parent}) and exits with it; the folder lock catches any other second job.
 */
final class LocalProcessGuard {
  static final String LOCK_FILE = "job.lock";
  /**
   * The locked channels, held for the life of the JVM: a channel nothing references is closed when it is collected,
   * and closing it releases the lock.
   */
  private static final List<FileChannel> HELD = new CopyOnWriteArrayList<>();

  private LocalProcessGuard() {}

  /** Runs {@code onExit} once process {@code pid} has exited (at once when it is already gone). */
  static void onParentExit(long pid, Runnable onExit) {
    Optional<ProcessHandle> parent = ProcessHandle.of(pid);
    if (parent.isEmpty() || !parent.get().isAlive()) {
      onExit.run();
      return;
    }
    parent.get().onExit().thenRun(onExit);
  }

  /**
   * Locks {@code dataDir} for this process until it exits (the operating system releases the lock of a killed
   * process), recording its pid in the lock file. Empty when another process holds it: then the message names it.
   */
  static Optional<String> lockDataDir(Path dataDir) throws IOException {
    Files.createDirectories(dataDir);
    Path file = dataDir.resolve(LOCK_FILE);
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null; // held by this very JVM (tests)
    }
    if (lock == null) {
      String holder = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).trim();
      channel.close();
      return Optional.of(dataDir + " is in use by another Flink jobs process" + (holder.isEmpty() ? "" : " (pid " + holder + ")")
          + ": stop it first, or give this one its own --data-dir");
    }
    channel.truncate(0);
    channel.write(ByteBuffer.wrap(Long.toString(ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8)));
    channel.force(false);
    HELD.add(channel);
    return Optional.empty();
  }

  /**
   * Empties {@code workDir} (creating it if needed) and returns the bytes it held: what a killed run left there, its
   * RocksDB instances and the RPC jar Flink extracts at every start. Only for a process holding the data folder's
   * lock, as no other job can be using the folder then. A file that is gone by the time it is reached (a stopping
   * MiniCluster of this folder's previous job still cleaning up) is simply not counted.
   */
  static long emptyWorkDir(Path workDir) throws IOException {
    long[] bytes = {0};
    if (Files.isDirectory(workDir, LinkOption.NOFOLLOW_LINKS)) {
      Files.walkFileTree(workDir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          if (attrs.isRegularFile()) {
            bytes[0] += attrs.size();
          }
          Files.deleteIfExists(file); // a link is removed, never followed
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
          if (e instanceof NoSuchFileException) {
            return FileVisitResult.CONTINUE;
          }
          throw e;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
          if (e != null && !(e instanceof NoSuchFileException)) {
            throw e;
          }
          if (!dir.equals(workDir)) {
            Files.deleteIfExists(dir);
          }
          return FileVisitResult.CONTINUE;
        }
      });
    }
    Files.createDirectories(workDir);
    return bytes[0];
  }
}