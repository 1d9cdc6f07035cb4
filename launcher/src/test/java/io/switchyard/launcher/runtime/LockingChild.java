package io.switchyard.launcher.runtime;

import java.nio.file.Path;

/** A child process for {@link DataFolderLockTest}: locks the data folder it is given, says so, and holds it until stopped. */
public final class LockingChild {
  private LockingChild() {}

  public static void main(String[] args) throws Exception {
    try (DataFolderLock lock = DataFolderLock.acquire(Path.of(args[0]))) {
      System.out.println("locked");
      System.out.flush();
      Thread.sleep(Long.MAX_VALUE);
    }
  }
}
