package io.switchyard.serverkit.rocksdb;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.rocksdb.NativeLibraryLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads RocksDB's native library from a folder of the data folder. RocksDB's own loader extracts it (15 MB) into a
 * new, randomly named file in java.io.tmpdir at every start and deletes it only on a normal JVM exit, so every
 * crash or kill -9 left one there for good. Given a folder, it writes one file of a fixed name there instead,
 * replaced at the next start. Must run before any other RocksDB class is touched: their static initializers load
 * the library the default way, and a JVM loads it once.
 *
 * <p>Each component has a folder of its own ({@code native/COMPONENT}): the loader deletes and rewrites the file, so two
 * processes of different components starting at once on one data folder must not write the same one. Two of the
 * same component cannot share a data folder anyway (their store's lock).
 *
 * <p>Modules that use it depend on {@code rocksdbjni} themselves; server-kit declares it optional, so that the
 * Flink jobs' JVM, which must never hold it, does not get it through here.
 */
public final class RocksNative {
  private static final Logger log = LoggerFactory.getLogger(RocksNative.class);

  private RocksNative() {}

  /** Loads the library into {@code dataDir/native/component} unless this JVM has it already. */
  public static synchronized void load(Path dataDir, String component) {
    Path dir = dataDir.resolve("native").resolve(component);
    try {
      Files.createDirectories(dir);
      NativeLibraryLoader.getInstance().loadLibrary(dir.toString());
    } catch (IOException | RuntimeException e) {
      // A folder that cannot take it (read-only, full) costs only the temp file: RocksDB loads the library the
      // default way when the store opens.
      log.warn("cannot load RocksDB's native library from {} ({}); it goes to the temp folder", dir, e.toString());
    }
  }
}
