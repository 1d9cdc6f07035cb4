package io.switchyard.launcher.cli;

import io.switchyard.launcher.Main.UsageException;
import io.switchyard.ratelimit.limiter.LimiterOptions;
import io.switchyard.ratelimit.storage.RedisStartup;
import io.switchyard.ratelimit.storage.StorageOptions;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.Option;

/** The rate limit service's flags (storage and decision switches), named after the reference's settings. */
public final class RateLimitOptions {
  @Option(names = "--storage", paramLabel = "KIND", description = "Counter store: memory, rocksdb or redis (default: ${DEFAULT-VALUE}).")
  String storage = "memory";

  @Option(names = "--data-dir", paramLabel = "DIR", description = "RocksDB counters folder (--storage rocksdb; default: ${DEFAULT-VALUE}).")
  Path dataDir = Path.of("data/ratelimit");

  @Option(names = "--redis-url", paramLabel = "URL", description = "Redis to share counters through (--storage redis; default: ${DEFAULT-VALUE}).")
  URI redisUrl = URI.create("redis://127.0.0.1:6379");

  @Option(names = "--redis-timeout-ms", paramLabel = "MS", description = "Bound on one Redis round trip (default: ${DEFAULT-VALUE}).")
  long redisTimeoutMs = 50;

  @Option(names = "--redis-startup-max-elapsed-ms", paramLabel = "MS", description = "Give up (exit 1) when Redis has not answered this long after start; 0: keep trying (the reference's REDIS_STARTUP_MAX_ELAPSED_TIME; default: ${DEFAULT-VALUE}).")
  long redisStartupMaxElapsedMs = 0;

  @Option(names = "--redis-startup-initial-interval-ms", paramLabel = "MS", description = "First wait before trying Redis again when it does not answer at start, doubling with jitter (the reference's REDIS_STARTUP_INITIAL_INTERVAL; default: ${DEFAULT-VALUE}).")
  long redisStartupInitialIntervalMs = 1_000;

  @Option(names = "--redis-startup-max-interval-ms", paramLabel = "MS", description = "Longest wait between tries of Redis at start (the reference's REDIS_STARTUP_MAX_INTERVAL; default: ${DEFAULT-VALUE}).")
  long redisStartupMaxIntervalMs = 30_000;

  @Option(names = "--redis-health-check-active-connection", description = "Health follows the Redis connection after start: NOT_SERVING while it is lost, SERVING again once lettuce reconnects (the reference's REDIS_HEALTH_CHECK_ACTIVE_CONNECTION; default: stays SERVING).")
  boolean redisHealthCheckActiveConnection;

  @Option(names = "--on-backend-error", paramLabel = "allow|deny", description = "Answer when the store fails or times out (default: ${DEFAULT-VALUE}).")
  String onBackendError = "allow";

  @Option(names = "--max-keys", paramLabel = "N", description = "Cap on live counters in memory (memory, rocksdb; default: ${DEFAULT-VALUE}).")
  long maxKeys = 1_000_000;

  @Option(names = "--shadow-mode", description = "Global shadow mode: count and report, always answer OK overall.")
  boolean shadowMode;

  @Option(names = "--stop-increment-when-over-limit", description = "A request going over a limit charges only the limits it takes over (the reference's STOP_CACHE_KEY_INCREMENT_WHEN_OVERLIMIT).")
  boolean stopIncrement;

  @Option(names = "--no-local-cache", negatable = false, description = "Turn off the local over-limit cache.")
  boolean noLocalCache;

  @Option(names = "--near-limit-ratio", paramLabel = "R", description = "near_limit stat threshold (default: ${DEFAULT-VALUE}).")
  float nearLimitRatio = 0.8f; // float, as the reference parses NEAR_LIMIT_RATIO (ParseFloat(s, 32)): no double rounding first

  @Option(names = "--response-headers", paramLabel = "STYLE", description = "none, ratelimit (RateLimit-*) or x-ratelimit (X-RateLimit-*) (default: ${DEFAULT-VALUE}).")
  String responseHeaders = "none";

  @Option(names = "--limit-header", paramLabel = "NAME", description = "Name of the limit header (the reference's LIMIT_LIMIT_HEADER; default: the style's).")
  String limitHeader;

  @Option(names = "--remaining-header", paramLabel = "NAME", description = "Name of the remaining header (the reference's LIMIT_REMAINING_HEADER; default: the style's).")
  String remainingHeader;

  @Option(names = "--reset-header", paramLabel = "NAME", description = "Name of the reset header (the reference's LIMIT_RESET_HEADER; default: the style's).")
  String resetHeader;

  @Option(names = "--headers-all-descriptors", description = "List every limited descriptor in the limit header, not only the closest one.")
  boolean headersAll;

  @Option(names = "--quota-mode", description = "Every descriptor in quota mode: over-limit only when all of a request's descriptors are over, one without a limit never is (the reference's QUOTA_MODE).")
  boolean quotaMode;

  @Option(names = "--response-dynamic-metadata", description = "Answer with the reference's dynamic metadata: domain, descriptors and the metadata of the limits that passed (the reference's RESPONSE_DYNAMIC_METADATA).")
  boolean responseDynamicMetadata;

  @Option(names = "--cache-key-prefix", paramLabel = "P", description = "Prefix of every counter key (default: none).")
  String cacheKeyPrefix = "";

  @Option(names = "--healthy-with-at-least-one-config-loaded", description = "Health (gRPC and /readyz) is NOT_SERVING while no domain is loaded: at start until one loads, and whenever a reload leaves none (the reference's HEALTHY_WITH_AT_LEAST_ONE_CONFIG_LOADED; default: an empty folder is healthy).")
  boolean healthyWithAtLeastOneConfigLoaded;

  @Option(names = "--merge-domains", description = "Merge files that name the same domain (the reference's MERGE_DOMAIN_CONFIG).")
  boolean mergeDomains;

  public StorageOptions storageOptions() {
    StorageOptions.Kind kind;
    try {
      kind = StorageOptions.Kind.parse(storage);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--storage must be memory, rocksdb or redis, not '" + storage + "'");
    }
    if (redisStartupMaxElapsedMs < 0) {
      throw new UsageException("--redis-startup-max-elapsed-ms must be 0 (keep trying) or more, not " + redisStartupMaxElapsedMs);
    }
    if (redisStartupInitialIntervalMs <= 0) {
      throw new UsageException("--redis-startup-initial-interval-ms must be more than 0, not " + redisStartupInitialIntervalMs);
    }
    if (redisStartupMaxIntervalMs < redisStartupInitialIntervalMs) {
      // The reference's backoff silently waits the max every time then; a max below the first wait is a mistake.
      throw new UsageException("--redis-startup-max-interval-ms must be at least --redis-startup-initial-interval-ms ("
          + redisStartupInitialIntervalMs + "), not " + redisStartupMaxIntervalMs);
    }
    RedisStartup startup = new RedisStartup(Duration.ofMillis(redisStartupInitialIntervalMs),
        Duration.ofMillis(redisStartupMaxIntervalMs), Duration.ofMillis(redisStartupMaxElapsedMs));
    try {
      return new StorageOptions(kind, maxKeys, dataDir.toAbsolutePath(), null, redisUrl,
          Duration.ofMillis(redisTimeoutMs), startup, redisHealthCheckActiveConnection);
    } catch (IllegalArgumentException e) {
      // Only the Redis URL is checked here; a URL that can never work fails at start, unlike an unreachable Redis.
      throw new UsageException("--redis-url: " + e.getMessage());
    }
  }

  public LimiterOptions limiterOptions() {
    LimiterOptions.BackendErrorPolicy policy = switch (onBackendError.toLowerCase(Locale.ROOT)) {
      case "allow" -> LimiterOptions.BackendErrorPolicy.ALLOW;
      case "deny" -> LimiterOptions.BackendErrorPolicy.DENY;
      default -> throw new UsageException("--on-backend-error must be allow or deny, not '" + onBackendError + "'");
    };
    LimiterOptions.HeaderStyle headers = switch (responseHeaders.toLowerCase(Locale.ROOT)) {
      case "none" -> LimiterOptions.HeaderStyle.NONE;
      case "ratelimit" -> LimiterOptions.HeaderStyle.RATELIMIT;
      case "x-ratelimit" -> LimiterOptions.HeaderStyle.X_RATELIMIT;
      default -> throw new UsageException("--response-headers must be none, ratelimit or x-ratelimit");
    };
    if (!(nearLimitRatio > 0 && nearLimitRatio <= 1)) {
      throw new UsageException("--near-limit-ratio must be in (0, 1]");
    }
    if (headers == LimiterOptions.HeaderStyle.NONE && (limitHeader != null || remainingHeader != null || resetHeader != null)) {
      // The reference ignores the names without LIMIT_RESPONSE_HEADERS_ENABLED; a name given for nothing is a mistake.
      throw new UsageException("--limit-header, --remaining-header and --reset-header name the headers of "
          + "--response-headers ratelimit or x-ratelimit, which is none");
    }
    LimiterOptions options = LimiterOptions.defaults().withGlobalShadowMode(shadowMode).withCountRejectedHits(!stopIncrement)
        .withLocalCache(!noLocalCache).withNearLimitRatio(nearLimitRatio).withOnBackendError(policy)
        .withHeaders(headers, headersAll).withCacheKeyPrefix(cacheKeyPrefix)
        .withResponseDynamicMetadata(responseDynamicMetadata).withGlobalQuotaMode(quotaMode);
    try {
      return options.withHeaderNames(limitHeader, remainingHeader, resetHeader);
    } catch (IllegalArgumentException e) {
      // "limit header name: ..." names the flag it came from.
      String m = e.getMessage();
      int colon = m.indexOf(" header name: ");
      throw new UsageException(colon < 0 ? m : "--" + m.substring(0, colon) + "-header: " + m.substring(colon + " header name: ".length()));
    }
  }
}
