package io.switchyard.ratelimit.config;

import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import java.util.Locale;

/** The reference's units; month is 30 days and year 365 days, as envoyproxy/ratelimit counts them. */
public enum RateLimitUnit {
  SECOND(1, RateLimitResponse.RateLimit.Unit.SECOND),
  MINUTE(60, RateLimitResponse.RateLimit.Unit.MINUTE),
  HOUR(3_600, RateLimitResponse.RateLimit.Unit.HOUR),
  DAY(86_400, RateLimitResponse.RateLimit.Unit.DAY),
  WEEK(604_800, RateLimitResponse.RateLimit.Unit.WEEK),
  MONTH(2_592_000, RateLimitResponse.RateLimit.Unit.MONTH),
  YEAR(31_536_000, RateLimitResponse.RateLimit.Unit.YEAR);

  private final long seconds;
  private final RateLimitResponse.RateLimit.Unit proto;

  RateLimitUnit(long seconds, RateLimitResponse.RateLimit.Unit proto) {
    this.seconds = seconds;
    this.proto = proto;
  }

  public long seconds() {
    return seconds;
  }

  public RateLimitResponse.RateLimit.Unit proto() {
    return proto;
  }

  /** Case-insensitive, like the reference; null when the name is not a unit. */
  public static RateLimitUnit parse(String name) {
    if (name == null) {
      return null;
    }
    try {
      return valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Unit of an override limit sent by Envoy; null for UNKNOWN or unrecognised values. */
  public static RateLimitUnit fromOverride(io.envoyproxy.envoy.type.v3.RateLimitUnit unit) {
    return unit == io.envoyproxy.envoy.type.v3.RateLimitUnit.UNRECOGNIZED ? null : parse(unit.name());
  }

  /** Null for UNKNOWN or unrecognised values. */
  public static RateLimitUnit fromProto(RateLimitResponse.RateLimit.Unit unit) {
    for (RateLimitUnit u : values()) {
      if (u.proto == unit) {
        return u;
      }
    }
    return null;
  }
}
