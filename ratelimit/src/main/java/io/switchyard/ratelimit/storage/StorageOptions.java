package io.switchyard.ratelimit.storage;

import io.lettuce.core.RedisURI;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * Which counter store to use and how.
 *
 * @param kind memory, rocksdb or redis
 * @param maxKeys cap on live counters held in memory (memory and rocksdb)
 * @param dataDir RocksDB folder (rocksdb only)
 * @param flushInterval how often dirty counters are written to RocksDB (no fsync per request)
 * @param redisUri e.g. {@code redis://127.0.0.1:6379} (redis only)
 * @param redisTimeout bound on one Redis round trip; past it the backend-error policy answers
 * @param redisStartup how long and how often to retry when Redis does not answer at start
 * @param redisHealthCheckActiveConnection health follows the Redis connection after start, NOT_SERVING while it is
 *     down (envoyproxy/ratelimit's {@code REDIS_HEALTH_CHECK_ACTIVE_CONNECTION}, off by default there too)
 */
public record StorageOptions(Kind kind, long maxKeys, Path dataDir, Duration flushInterval, URI redisUri,
    Duration redisTimeout, RedisStartup redisStartup, boolean redisHealthCheckActiveConnection) {

  /** The {@code --storage} values. */
  public enum Kind {
    MEMORY, ROCKSDB, REDIS;

    public static Kind parse(String s) {
      return valueOf(s.toUpperCase(Locale.ROOT));
    }

    public String cliName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public StorageOptions {
    Objects.requireNonNull(kind, "kind");
    if (kind == Kind.ROCKSDB) {
      Objects.requireNonNull(dataDir, "dataDir is required for rocksdb storage");
    }
    if (kind == Kind.REDIS) {
      Objects.requireNonNull(redisUri, "redisUri is required for redis storage");
      // A URL that can never work fails here, at start; only a Redis that does not answer is retried.
      try {
        RedisURI.create(redisUri);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("not a Redis URL (redis://[[user:]password@]host[:port][/db], rediss://... "
            + "or redis-socket://path): '" + redisUri + "': " + e.getMessage(), e);
      }
    }
    flushInterval = flushInterval == null ? Duration.ofMillis(100) : flushInterval;
    redisTimeout = redisTimeout == null ? Duration.ofMillis(50) : redisTimeout;
    redisStartup = redisStartup == null ? RedisStartup.defaults() : redisStartup;
  }

  public StorageOptions(Kind kind, long maxKeys, Path dataDir, Duration flushInterval, URI redisUri,
      Duration redisTimeout) {
    this(kind, maxKeys, dataDir, flushInterval, redisUri, redisTimeout, null, false);
  }

  public StorageOptions withRedisStartup(RedisStartup startup) {
    return new StorageOptions(kind, maxKeys, dataDir, flushInterval, redisUri, redisTimeout, startup,
        redisHealthCheckActiveConnection);
  }

  public StorageOptions withRedisHealthCheckActiveConnection(boolean on) {
    return new StorageOptions(kind, maxKeys, dataDir, flushInterval, redisUri, redisTimeout, redisStartup, on);
  }

  public static StorageOptions memory() {
    return new StorageOptions(Kind.MEMORY, 1_000_000, null, null, null, null);
  }

  public static StorageOptions rocksdb(Path dataDir) {
    return new StorageOptions(Kind.ROCKSDB, 1_000_000, dataDir, null, null, null);
  }

  public static StorageOptions redis(URI uri, Duration timeout) {
    return new StorageOptions(Kind.REDIS, 1_000_000, null, null, uri, timeout);
  }
}
