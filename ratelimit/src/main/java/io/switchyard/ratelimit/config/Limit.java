package io.switchyard.ratelimit.config;

import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import java.util.Set;

/**
 * One limit of a descriptor rule. {@code unit} is null when {@code unlimited}. {@code index} is the
 * limit's position on its rule (0 for the reference's single {@code rate_limit}); it keeps counter
 * keys of several limits on one descriptor apart. {@code proto} and {@code quotaPolicy} are precomputed for responses.
 *
 * <p>{@code quotaPolicy} is the limit as Envoy writes a quota policy in {@code X-RateLimit-Limit}:
 * {@code , <limit>;w=<window seconds>}, with {@code ;name="<name>"} for a named limit
 * (source/extensions/filters/http/ratelimit/ratelimit_headers.cc, XRateLimitHeaderUtils::create); empty when unlimited.
 */
public record Limit(
    String name,
    long requestsPerUnit,
    RateLimitUnit unit,
    boolean unlimited,
    Set<String> replaces,
    Algorithm algorithm,
    int index,
    RateLimitResponse.RateLimit proto,
    String quotaPolicy) {

  public static final long MAX_REQUESTS_PER_UNIT = 0xFFFF_FFFFL;

  public Limit {
    replaces = Set.copyOf(replaces);
  }

  public static Limit of(String name, long requestsPerUnit, RateLimitUnit unit, boolean unlimited,
      Set<String> replaces, Algorithm algorithm, int index) {
    RateLimitResponse.RateLimit proto = null;
    String quotaPolicy = "";
    if (!unlimited) {
      quotaPolicy = ", " + requestsPerUnit + ";w=" + unit.seconds()
          + (name != null && !name.isEmpty() ? ";name=\"" + name + '"' : "");
      RateLimitResponse.RateLimit.Builder b = RateLimitResponse.RateLimit.newBuilder()
          .setRequestsPerUnit((int) requestsPerUnit)
          .setUnit(unit.proto());
      if (name != null && !name.isEmpty()) {
        b.setName(name);
      }
      proto = b.build();
    }
    return new Limit(name == null ? "" : name, requestsPerUnit, unit, unlimited, replaces, algorithm, index, proto,
        quotaPolicy);
  }

  /** The limit Envoy sends in {@code descriptor.limit}: no name, no shadow, no replaces, fixed window. */
  public static Limit override(long requestsPerUnit, RateLimitUnit unit) {
    return of("", requestsPerUnit, unit, false, Set.of(), Algorithm.FIXED_WINDOW, 0);
  }

  public boolean named() {
    return !name.isEmpty();
  }
}
