package io.switchyard.ratelimit.limiter;

import java.util.Objects;

/**
 * Service-wide switches, named after the reference's environment settings where one exists.
 *
 * @param globalShadowMode SHADOW_MODE: evaluate and count, but always answer OK overall
 * @param countRejectedHits false = STOP_CACHE_KEY_INCREMENT_WHEN_OVERLIMIT: a request that goes over a
 *     limit adds only to the counters it takes over
 * @param localCache over-limit cache: keys known over their limit are answered without touching the store
 * @param nearLimitRatio NEAR_LIMIT_RATIO for the near_limit stat
 * @param onBackendError what to answer when the store fails (timeout, key cap, outage)
 * @param headers which rate-limit response headers to add, if any
 * @param headersForAllDescriptors list every limited descriptor's policy, not only the closest one
 * @param cacheKeyPrefix CACHE_KEY_PREFIX, prepended to every counter key
 * @param responseDynamicMetadata RESPONSE_DYNAMIC_METADATA: answer with the reference's dynamic metadata (the
 *     request's domain and descriptors, and the {@code metadata} of the limits that passed)
 * @param globalQuotaMode QUOTA_MODE: every descriptor is in quota mode, as if each rule set {@code quota_mode}
 * @param headerNames LIMIT_LIMIT_HEADER, LIMIT_REMAINING_HEADER, LIMIT_RESET_HEADER: the response header names;
 *     one left null keeps the name of {@code headers}
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
    boolean globalQuotaMode,
    HeaderNames headerNames) {

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

  /**
   * Custom response header names, each null to keep the header style's name. The reference takes any string; these
   * must be HTTP tokens (RFC 9110 section 5.6.2), the only valid header names, so that a typo (a space, a colon) is
   * refused at start rather than sent to clients that would drop or reject it.
   */
  public record HeaderNames(String limit, String remaining, String reset) {
    static final HeaderNames DEFAULT = new HeaderNames(null, null, null);

    public HeaderNames {
      check("limit", limit);
      check("remaining", remaining);
      check("reset", reset);
    }

    private static void check(String which, String name) {
      String error = name == null ? null : headerNameError(name);
      if (error != null) {
        throw new IllegalArgumentException(which + " header name: " + error);
      }
    }
  }

  public LimiterOptions {
    Objects.requireNonNull(onBackendError, "onBackendError");
    Objects.requireNonNull(headers, "headers");
    Objects.requireNonNull(cacheKeyPrefix, "cacheKeyPrefix");
    Objects.requireNonNull(headerNames, "headerNames");
    if (!(nearLimitRatio > 0 && nearLimitRatio <= 1)) {
      throw new IllegalArgumentException("nearLimitRatio must be in (0, 1]");
    }
    HeaderStyle style = styleForNames(headers);
    String limit = or(headerNames.limit(), style.limit);
    String remaining = or(headerNames.remaining(), style.remaining);
    String reset = or(headerNames.reset(), style.reset);
    // Envoy would add both values under one name, and a client could not tell which is which.
    if (remaining.equalsIgnoreCase(limit)) {
      throw new IllegalArgumentException("remaining header name: '" + remaining + "' is already the limit header name");
    }
    if (reset.equalsIgnoreCase(limit)) {
      throw new IllegalArgumentException("reset header name: '" + reset + "' is already the limit header name");
    }
    if (reset.equalsIgnoreCase(remaining)) {
      throw new IllegalArgumentException("reset header name: '" + reset + "' is already the remaining header name");
    }
  }

  /**
   * Why {@code name} cannot be a response header name, or null when it can: it must be a non-empty HTTP token
   * (letters, digits and {@code !#$%&'*+-.^_`|~}); case does not matter to HTTP and is sent as given.
   */
  public static String headerNameError(String name) {
    if (name.isEmpty()) {
      return "an HTTP header name must not be empty";
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!isTokenChar(c)) {
        return "'" + printable(name) + "' is not an HTTP header name: character "
            + (c > ' ' && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c)) + " at " + (i + 1)
            + " is not allowed (letters, digits and !#$%&'*+-.^_`|~ only)";
      }
    }
    return null;
  }

  private static boolean isTokenChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < ' ' || c == 0x7f) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  /** The limit header's name: the custom one, else the style's ({@code RateLimit-Limit} when headers are off). */
  public String limitHeaderName() {
    return or(headerNames.limit(), styleForNames(headers).limit);
  }

  public String remainingHeaderName() {
    return or(headerNames.remaining(), styleForNames(headers).remaining);
  }

  public String resetHeaderName() {
    return or(headerNames.reset(), styleForNames(headers).reset);
  }

  private static HeaderStyle styleForNames(HeaderStyle headers) {
    return headers == HeaderStyle.NONE ? HeaderStyle.RATELIMIT : headers;
  }

  private static String or(String custom, String fallback) {
    return custom != null ? custom : fallback;
  }

  /** The reference's defaults; fail open on backend errors. */
  public static LimiterOptions defaults() {
    return new LimiterOptions(false, true, true, 0.8, BackendErrorPolicy.ALLOW, HeaderStyle.NONE, false, "", false, false,
        HeaderNames.DEFAULT);
  }

  public LimiterOptions withGlobalShadowMode(boolean v) {
    return new LimiterOptions(v, countRejectedHits, localCache, nearLimitRatio, onBackendError, headers,
        headersForAllDescriptors, cacheKeyPrefix, responseDynamicMetadata, globalQuotaMode, headerNames);
  }

  public LimiterOptions withCountRejectedHits(boolean v) {
    return new LimiterOptions(globalShadowMode, v, localCache, nearLimitRatio, onBackendError, headers,
        headersForAllDescriptors, cacheKeyPrefix, responseDynamicMetadata, globalQuotaMode, headerNames);
  }

  public LimiterOptions withLocalCache(boolean v) {
    return new LimiterOptions(globalShadowMode, countRejectedHits, v, nearLimitRatio, onBackendError, headers,
        headersForAllDescriptors, cacheKeyPrefix, responseDynamicMetadata, globalQuotaMode, headerNames);
  }

  public LimiterOptions withOnBackendError(BackendErrorPolicy v) {
    return new LimiterOptions(globalShadowMode, countRejectedHits, localCache, nearLimitRatio, v, headers,
        headersForAllDescriptors, cacheKeyPrefix, responseDynamicMetadata, globalQuotaMode, headerNames);
  }

  public LimiterOptions withHeaders(HeaderStyle v, boolean allDescriptors) {
    return new LimiterOptions(globalShadowMode, countRejectedHits, localCache, nearLimitRatio, onBackendError, v,
        allDescriptors, cacheKeyPrefix, responseDynamicMetadata, globalQuotaMode, headerNames);
  }

  public LimiterOptions withNearLimitRatio(double v) {
    return new LimiterOptions(globalShadowMode, countRejectedHits, localCache, v, onBackendError, headers,
        headersForAllDescriptors, cacheKeyPrefix, responseDynamicMetadata, globalQuotaMode, headerNames);
  }

  public LimiterOptions withCacheKeyPrefix(String v) {
    return new LimiterOptions(globalShadowMode, countRejectedHits, localCache, nearLimitRatio, onBackendError,
        headers, headersForAllDescriptors, v, responseDynamicMetadata, globalQuotaMode, headerNames);
  }

  public LimiterOptions withResponseDynamicMetadata(boolean v) {
    return new LimiterOptions(globalShadowMode, countRejectedHits, localCache, nearLimitRatio, onBackendError,
        headers, headersForAllDescriptors, cacheKeyPrefix, v, globalQuotaMode, headerNames);
  }

  public LimiterOptions withGlobalQuotaMode(boolean v) {
    return new LimiterOptions(globalShadowMode, countRejectedHits, localCache, nearLimitRatio, onBackendError,
        headers, headersForAllDescriptors, cacheKeyPrefix, responseDynamicMetadata, v, headerNames);
  }

  /**
   * Custom response header names (the reference's LIMIT_LIMIT_HEADER, LIMIT_REMAINING_HEADER, LIMIT_RESET_HEADER);
   * null keeps the header style's name. Set after {@link #withHeaders}: the three names must differ.
   *
   * @throws IllegalArgumentException naming the header ("limit header name: ...") when a name is not an HTTP token
   *     or two names are equal ignoring case
   */
  public LimiterOptions withHeaderNames(String limit, String remaining, String reset) {
    return new LimiterOptions(globalShadowMode, countRejectedHits, localCache, nearLimitRatio, onBackendError,
        headers, headersForAllDescriptors, cacheKeyPrefix, responseDynamicMetadata, globalQuotaMode,
        new HeaderNames(limit, remaining, reset));
  }
}
