package io.switchyard.ratelimit.config;

import java.util.Map;
import java.util.TreeMap;

/** Every loaded domain, immutable; replaced as a whole on reload. */
public final class RateLimitConfig {
  public static final RateLimitConfig EMPTY = new RateLimitConfig(Map.of());

  private final Map<String, DomainConfig> domains;

  public RateLimitConfig(Map<String, DomainConfig> domains) {
    this.domains = Map.copyOf(domains);
  }

  /** Null when the domain is not configured. */
  public DomainConfig domain(String name) {
    return domains.get(name);
  }

  /** Sorted by name, for dumps. */
  public Map<String, DomainConfig> domains() {
    return new TreeMap<>(domains);
  }
}
