package io.switchyard.ratelimit.limiter;

import java.util.Objects;

/**
 * Service-wide switches, named after the reference's environment settings where one exists.
 *
 * @param globalShadowMode SHADOW_MODE: evaluate and count, but always answer OK overall
 * @param countRejectedHits false = STOP_CACHE_KEY_INCREMENT_WHEN_OVERLIMIT: a request that is over any
 *     limit adds to no counter
 * @param localCache over-limit cache: keys known over their limit are answered without touching the store
 * @param nearLimitRatio NEAR_LIMIT_RATIO for the near_limit stat
 * @param onBackendError what to answer when the store fails (timeout, key cap, outage)
 * @param headers which rate-limit response headers to add, if any
 * @param headersForAllDescriptors list every limited descriptor's policy, not only the closest one
 * @param cacheKeyPrefix CACHE_KEY_PREFIX, prepended to every counter key
 * @param responseDynamicMetadata RESPONSE_DYNAMIC_METADATA: answer with the reference's dynamic metadata (the
 *     request's domain and descriptors, and the {@code metadata} of the limits that passed)
 * @param globalQuotaMode QUOTA_MODE: every descriptor is in quota mode, as if each rule set {@code quota_mode}
 */
public record LimiterOptions(
    boolean globalShadowMode,
    boolean countRejectedHits,
    boolean localCache,
    double nearLimitRatio,
    BackendErrorPolicy onBackendError,
    HeaderStyle headers,
    boolean headersForAllDescriptors,
    String cacheKeyPrefix,
    boolean responseDynamicMetadata,
    boolean globalQuotaMode) {

  /** Fail open or closed when the counter store cannot answer. */
  public enum BackendErrorPolicy { ALLOW, DENY }

  /** Response header naming: none, the IETF draft's {@code RateLimit-*}, or the older {@code X-RateLimit-*}. */
  public enum HeaderStyle {
    NONE(null, null, null),
    RATELIMIT("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"),
    X_RATELIMIT("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset");

    final String limit;
    final String remaining;
    final String reset;

    HeaderStyle(String limit, String remaining, String reset) {
      this.limit = limit;
      this.remaining = remaining;
      this.reset = reset;
    }
  }

  public LimiterOptions {
    Objects.requireNonNull(onBackendError, "onBackendError");
    Objects.requireNonNull(headers, "headers");
    Objects.requireNonNull(cacheKeyPrefix, "cacheKeyPrefix");
    if (!(nearLimitRatio > 0 && nearLimitRatio <= 1)) {
      throw new IllegalArgumentException("nearLimitRatio must be in (0, 1]");
    }
  }

  /** The reference's defaults; fail open on backend errors. */
  public static LimiterOptions defaults() {
    return new LimiterOptions(false, true, true, 0.8, BackendErrorPolicy.ALLOW, HeaderStyle.NONE, false, "", false, false);
  }

  public LimiterOptions withGlobalShadowMode(boolean v) {
    return new LimiterOptions(v, countRejectedHits, localCache, nearLimitRatio, onBackendError, headers,
        headersForAllDescriptors, cacheKeyPrefix, responseDynamicMetadata, globalQuotaMode);
  }

  public LimiterOptions withCountRejectedHits(boolean v) {
    return new LimiterOptions(globalShadowMode, v, localCache, nearLimitRatio, onBackendError, headers,
        headersForAllDescriptors, cacheKeyPrefix, responseDynamicMetadata, globalQuotaMode);
  }

  public LimiterOptions withLocalCache(boolean v) {
    return new LimiterOptions(globalShadowMode, countRejectedHits, v, nearLimitRatio, onBackendError, headers,
        headersForAllDescriptors, cacheKeyPrefix, responseDynamicMetadata, globalQuotaMode);
  }

  public LimiterOptions withOnBackendError(BackendErrorPolicy v) {
    return new LimiterOptions(globalShadowMode, countRejectedHits, localCache, nearLimitRatio, v, headers,
        headersForAllDescriptors, cacheKeyPrefix, responseDynamicMetadata, globalQuotaMode);
  }

  public LimiterOptions withHeaders(HeaderStyle v, boolean allDescriptors) {
    return new LimiterOptions(globalShadowMode, countRejectedHits, localCache, nearLimitRatio, onBackendError, v,
        allDescriptors, cacheKeyPrefix, responseDynamicMetadata, globalQuotaMode);
  }

  public LimiterOptions withNearLimitRatio(double v) {
    return new LimiterOptions(globalShadowMode, countRejectedHits, localCache, v, onBackendError, headers,
        headersForAllDescriptors, cacheKeyPrefix, responseDynamicMetadata, globalQuotaMode);
  }

  public LimiterOptions withCacheKeyPrefix(String v) {
    return new LimiterOptions(globalShadowMode, countRejectedHits, localCache, nearLimitRatio, onBackendError,
        headers, headersForAllDescriptors, v, responseDynamicMetadata, globalQuotaMode);
  }

  public LimiterOptions withResponseDynamicMetadata(boolean v) {
    return new LimiterOptions(globalShadowMode, countRejectedHits, localCache, nearLimitRatio, onBackendError,
        headers, headersForAllDescriptors, cacheKeyPrefix, v, globalQuotaMode);
  }

  public LimiterOptions withGlobalQuotaMode(boolean v) {
    return new LimiterOptions(globalShadowMode, countRejectedHits, localCache, nearLimitRatio, onBackendError,
        headers, headersForAllDescriptors, cacheKeyPrefix, responseDynamicMetadata, v);
  }
}
