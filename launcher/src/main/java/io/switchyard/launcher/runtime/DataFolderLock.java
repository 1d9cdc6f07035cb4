package io.switchyard.launcher.runtime;

import io.switchyard.launcher.Main;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One {@code up} per data folder, held from before anything starts until everything stopped. Kafka's combined
 * (broker and controller) node locks its log folder only when its broker starts, after its controller has opened the
 * metadata log in that folder (KAFKA-14557 added a lock for controller-only nodes and separate metadata folders only):
 * a second {@code up} on the same folder wrote into the first one's metadata log before its broker failed on the lock,
 * and the first process halted on "Unexpected error in raft IO thread".
 */
public final class DataFolderLock implements AutoCloseable {
  /** The lock file in the data folder. */
  public static final String FILE = "up.lock";
  /**
   * Folders locked by this JVM. A second lock of the same file from this JVM throws instead of failing, and closing
   * that second channel would drop the first one's lock with it (POSIX locks belong to the process), so it is never
   * opened.
   */
  private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

  private final Path key;
  private final FileChannel channel;
  private final FileLock lock;

  private DataFolderLock(Path key, FileChannel channel, FileLock lock) {
    this.key = key;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Creates {@code dataDir} if needed and locks it.
   *
   * @throws Main.UsageException when another {@code up} (of this JVM or another process) holds it
   */
  public static DataFolderLock acquire(Path dataDir) throws IOException {
    Files.createDirectories(dataDir);
    Path key = dataDir.toRealPath();
    if (!HELD.add(key)) {
      throw inUse(dataDir);
    }
    FileChannel channel = null;
    try {
      channel = FileChannel.open(key.resolve(FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = channel.tryLock();
      if (lock == null) {
        throw inUse(dataDir);
      }
      return new DataFolderLock(key, channel, lock);
    } catch (IOException | RuntimeException e) {
      if (channel != null) {
        channel.close();
      }
      HELD.remove(key);
      throw e;
    }
  }

  private static Main.UsageException inUse(Path dataDir) {
    return new Main.UsageException("data folder " + dataDir + " is in use by another switchyard up; stop it, or give another --data-dir");
  }

  @Override
  public void close() throws IOException {
    try {
      lock.release();
      channel.close();
    } finally {
      HELD.remove(key);
    }
  }
}
