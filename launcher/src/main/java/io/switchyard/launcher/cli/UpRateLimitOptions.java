package io.switchyard.launcher.cli;

import io.switchyard.launcher.Main.UsageException;
import io.switchyard.launcher.runtime.RateLimitRuntime;
import java.net.URI;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The rate limit storage flags of {@code up}: those of {@code switchyard ratelimit} under a
 * {@code --ratelimit-} prefix (up's own {@code --data-dir} is the parent of the RocksDB folder),
 * converted by the same {@link RateLimitOptions} code.
 */
public final class UpRateLimitOptions {
  @Option(names = "--ratelimit-storage", paramLabel = "KIND", description = "Rate limit counter store: memory, rocksdb (in <data-dir>/ratelimit) or redis (default: ${DEFAULT-VALUE}).")
  String storage = "memory";

  @Option(names = "--ratelimit-redis-url", paramLabel = "URL", description = "Redis to share rate limit counters through (--ratelimit-storage redis; default: ${DEFAULT-VALUE}).")
  URI redisUrl = URI.create("redis://127.0.0.1:6379");

  @Option(names = "--ratelimit-redis-timeout-ms", paramLabel = "MS", description = "Bound on one Redis round trip (default: ${DEFAULT-VALUE}).")
  long redisTimeoutMs = 50;

  @Option(names = "--ratelimit-redis-startup-max-elapsed-ms", paramLabel = "MS", description = "Give up (exit 1) when Redis has not answered this long after start; 0: keep trying (default: ${DEFAULT-VALUE}).")
  long redisStartupMaxElapsedMs = 0;

  @Option(names = "--ratelimit-redis-startup-initial-interval-ms", paramLabel = "MS", description = "First wait before trying Redis again when it does not answer at start, doubling with jitter (default: ${DEFAULT-VALUE}).")
  long redisStartupInitialIntervalMs = 1_000;

  @Option(names = "--ratelimit-redis-startup-max-interval-ms", paramLabel = "MS", description = "Longest wait between tries of Redis at start (default: ${DEFAULT-VALUE}).")
  long redisStartupMaxIntervalMs = 30_000;

  @Option(names = "--ratelimit-redis-health-check-active-connection", description = "Rate limit health follows the Redis connection after start: NOT_SERVING while it is lost (default: stays SERVING).")
  boolean redisHealthCheckActiveConnection;

  @Option(names = "--ratelimit-healthy-with-at-least-one-config-loaded", description = "Rate limit health is NOT_SERVING while <config-dir>/ratelimit has no domain (default: an empty folder is healthy).")
  boolean healthyWithAtLeastOneConfigLoaded;

  @Option(names = "--ratelimit-on-backend-error", paramLabel = "allow|deny", description = "Rate limit answer when the store fails or times out (default: ${DEFAULT-VALUE}).")
  String onBackendError = "allow";

  @Option(names = "--ratelimit-max-keys", paramLabel = "N", description = "Cap on live rate limit counters in memory (memory, rocksdb; default: ${DEFAULT-VALUE}).")
  long maxKeys = 1_000_000;

  /** The storage and decision options; a bad value is a one-line usage error naming the flag. */
  public RateLimitRuntime.Setup setup(Path dataDir) {
    RateLimitOptions o = new RateLimitOptions();
    o.storage = storage;
    o.dataDir = dataDir.resolve("ratelimit");
    o.redisUrl = redisUrl;
    o.redisTimeoutMs = redisTimeoutMs;
    o.redisStartupMaxElapsedMs = redisStartupMaxElapsedMs;
    o.redisStartupInitialIntervalMs = redisStartupInitialIntervalMs;
    o.redisStartupMaxIntervalMs = redisStartupMaxIntervalMs;
    o.redisHealthCheckActiveConnection = redisHealthCheckActiveConnection;
    o.onBackendError = onBackendError;
    o.maxKeys = maxKeys;
    try {
      return new RateLimitRuntime.Setup(o.storageOptions(), o.limiterOptions(), healthyWithAtLeastOneConfigLoaded);
    } catch (UsageException e) {
      // The shared conversion names the ratelimit command's flags; name up's instead.
      String m = e.getMessage();
      throw new UsageException(m.startsWith("--") ? "--ratelimit-" + m.substring(2) : m);
    }
  }
}
