package io.switchyard.ratelimit.storage;

import io.switchyard.serverkit.rocksdb.RocksNative;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counters that survive a restart on one node. Decisions are made on the in-memory counters (so the hot
 * path never waits on disk once a key is loaded); changed counters are written behind in batches every
 * {@code flushInterval} with the WAL on and no fsync, and a first-seen key is read once from disk. A
 * crash of the process loses nothing already flushed; a crash of the machine can lose what the OS had
 * not written. Expired windows are swept off disk periodically and compacted away.
 */
public final class RocksDbCounterStore implements CounterStore {
  private static final Logger log = LoggerFactory.getLogger(RocksDbCounterStore.class);
  private static final Duration SWEEP_EVERY = Duration.ofSeconds(30);

  private final RocksDB db;
  private final Options options;
  private final WriteOptions writeOptions;
  private final MemoryCounterStore memory;
  private final Clock clock;
  private final ScheduledExecutorService flusher;
  private long lastSweepMillis;

  private RocksDbCounterStore(RocksDB db, Options options, Clock clock, long maxKeys, Duration flushInterval) {
    this.db = db;
    this.options = options;
    this.clock = clock;
    this.writeOptions = new WriteOptions().setSync(false).setDisableWAL(false);
    this.memory = new MemoryCounterStore(clock, maxKeys, this::load);
    this.lastSweepMillis = clock.millis();
    this.flusher = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ratelimit-rocksdb-flush");
      t.setDaemon(true);
      return t;
    });
    long every = Math.max(1, flushInterval.toMillis());
    flusher.scheduleWithFixedDelay(this::flushQuietly, every, every, TimeUnit.MILLISECONDS);
  }

  public static RocksDbCounterStore open(Path dir, Clock clock, long maxKeys, Duration flushInterval)
      throws CounterStoreException {
    RocksNative.load(dir.toAbsolutePath().getParent(), "ratelimit");
    try {
      Files.createDirectories(dir);
      Options options = new Options().setCreateIfMissing(true);
      return new RocksDbCounterStore(RocksDB.open(options, dir.toString()), options, clock, maxKeys, flushInterval);
    } catch (RocksDBException | java.io.IOException e) {
      throw new CounterStoreException("io", "cannot open RocksDB counters in " + dir + ": " + e.getMessage(), e);
    }
  }

  private long load(String key, long expireAtMillis) {
    try {
      byte[] v = db.get(key.getBytes(StandardCharsets.UTF_8));
      if (v == null || v.length != 16) {
        return 0;
      }
      ByteBuffer b = ByteBuffer.wrap(v);
      long value = b.getLong();
      long expireAt = b.getLong();
      return expireAt > clock.millis() ? value : 0;
    } catch (RocksDBException e) {
      // Fail open on the read: a counter that starts at 0 is what a fresh window would give anyway.
      log.warn("RocksDB read of counter {} failed: {}", key, e.getMessage());
      return 0;
    }
  }

  @Override
  public long[] addAndGet(String[] keys, long[] hits, long[] expireAtMillis) throws CounterStoreException {
    return memory.addAndGet(keys, hits, expireAtMillis);
  }

  @Override
  public long[] takeTokens(String[] keys, long[] hits, long[] limits, long[] periodMicros, long nowMicros)
      throws CounterStoreException {
    return memory.takeTokens(keys, hits, limits, periodMicros, nowMicros);
  }

  /** Writes every changed counter now; called by the flusher and on close. */
  public synchronized void flush() throws CounterStoreException {
    try (WriteBatch batch = new WriteBatch()) {
      memory.drainDirty((key, value, expireAt, tokenBucket) -> {
        try {
          batch.put(key.getBytes(StandardCharsets.UTF_8), ByteBuffer.allocate(16).putLong(value).putLong(expireAt).array());
        } catch (RocksDBException e) {
          throw new IllegalStateException(e);
        }
      });
      if (batch.count() > 0) {
        db.write(writeOptions, batch);
      }
      long now = clock.millis();
      if (now - lastSweepMillis >= SWEEP_EVERY.toMillis()) {
        sweep(now);
        lastSweepMillis = now;
      }
    } catch (RocksDBException | IllegalStateException e) {
      throw new CounterStoreException("io", "RocksDB flush failed: " + e.getMessage(), e);
    }
  }

  /** Deletes windows that have ended; compaction then drops them from the files. */
  synchronized int sweep(long now) throws RocksDBException {
    int deleted = 0;
    try (RocksIterator it = db.newIterator(); WriteBatch batch = new WriteBatch()) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        byte[] v = it.value();
        if (v.length != 16 || ByteBuffer.wrap(v, 8, 8).getLong() <= now) {
          batch.delete(it.key());
          deleted++;
        }
      }
      if (deleted > 0) {
        db.write(writeOptions, batch);
      }
    }
    return deleted;
  }

  private void flushQuietly() {
    try {
      flush();
    } catch (CounterStoreException | RuntimeException e) {
      log.warn("RocksDB counter flush failed; will retry: {}", e.getMessage());
    }
  }

  @Override
  public String name() {
    return "rocksdb";
  }

  @Override
  public void close() {
    flusher.shutdownNow();
    try {
      flusher.awaitTermination(5, TimeUnit.SECONDS);
      flush();
    } catch (CounterStoreException e) {
      log.error("final RocksDB counter flush failed: {}", e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    memory.close();
    writeOptions.close();
    db.close();
    options.close();
  }
}
