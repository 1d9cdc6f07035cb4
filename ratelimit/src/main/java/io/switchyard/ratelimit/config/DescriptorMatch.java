package io.switchyard.ratelimit.config;

import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;

/** The node a request descriptor reached, with the node matched at every level on the way. */
public record DescriptorMatch(DomainConfig domain, DescriptorNode rule, DescriptorNode[] path) {

  /**
   * The reference's stat path (src/config/config_impl.go GetLimit). Usually the one computed at load: exact entries
   * appear as {@code key_value}, value-less ones as {@code key} and wildcards as {@code key_pattern}. It depends on
   * the request where {@code value_to_metric} or {@code detailed_metric} put the request's value in, and where the
   * request's key is not the configured one (a '*' in the configured key, or an '_' that moves the key/value split),
   * because the reference builds the path from the request's keys.
   */
  public String statsKey(RateLimitDescriptor descriptor) {
    if (!rule.detailedMetric) {
      boolean fixed = true;
      for (int i = 0; i < path.length && fixed; i++) {
        DescriptorNode n = path[i];
        fixed = !(n.valueToMetric && !n.shareThreshold && n.kind != DescriptorNode.Kind.EXACT)
            && n.plainKey && n.key.equals(descriptor.getEntries(i).getKey());
      }
      if (fixed) {
        return rule.statsKey;
      }
    }
    return requestStatsKey(descriptor);
  }

  /** GetLimit's path built from the request's entries, for the cases the load-time path does not cover. */
  private String requestStatsKey(RateLimitDescriptor descriptor) {
    StringBuilder b = new StringBuilder(domain.domain());
    if (rule.detailedMetric) {
      // detailedMetricFullKey writes key_value always; shareThresholdMetricKey, used once an entry shares a
      // pattern, writes the pattern there and key_value elsewhere only for a non-empty value.
      boolean shared = false;
      for (int i = 0; i < path.length && !shared; i++) {
        shared = sharedPattern(path[i], descriptor.getEntries(i)) != null;
      }
      for (int i = 0; i < path.length; i++) {
        RateLimitDescriptor.Entry e = descriptor.getEntries(i);
        String pattern = sharedPattern(path[i], e);
        b.append('.').append(e.getKey());
        if (pattern != null) {
          b.append('_').append(pattern);
        } else if (!shared || !e.getValue().isEmpty()) {
          b.append('_').append(e.getValue());
        }
      }
      return b.toString();
    }
    // valueToMetricFullKey, which GetLimit uses whenever it differs from the load-time path.
    for (int i = 0; i < path.length; i++) {
      RateLimitDescriptor.Entry e = descriptor.getEntries(i);
      DescriptorNode n = path[i];
      String value;
      if (matchedAsKeyValue(n, e)) {
        value = e.getValue();
      } else if (n.kind == DescriptorNode.Kind.WILDCARD) {
        value = n.valueToMetric && !n.shareThreshold ? e.getValue() : n.patternValueFor(e.getKey());
      } else {
        value = n.valueToMetric ? e.getValue() : "";
      }
      b.append('.').append(e.getKey());
      if (!value.isEmpty()) {
        b.append('_').append(value);
      }
    }
    return b.toString();
  }

  /** Whether the level's lookup of the request's {@code key_value} found {@code n} (tried before wildcards). */
  private static boolean matchedAsKeyValue(DescriptorNode n, RateLimitDescriptor.Entry e) {
    String k = e.getKey();
    String v = e.getValue();
    String c = n.composite;
    return c.length() == k.length() + 1 + v.length() && c.charAt(k.length()) == '_' && c.startsWith(k)
        && c.endsWith(v);
  }

  /** The pattern GetLimit records for a share_threshold entry it reached through the wildcard, else null. */
  private static String sharedPattern(DescriptorNode n, RateLimitDescriptor.Entry e) {
    return n.shareThreshold && !matchedAsKeyValue(n, e) ? n.patternValueFor(e.getKey()) : null;
  }

  /**
   * The reference's counter key without its window suffix: {@code domain_k1_v1_k2_v2_}. The request's
   * values are used (so value-less and wildcard entries count per distinct value) except where an entry
   * has {@code share_threshold}, whose pattern stands for every value it matches.
   */
  public String counterKeyBase(RateLimitDescriptor descriptor) {
    return appendCounterKeyBase(new StringBuilder(64), descriptor).toString();
  }

  /** {@link #counterKeyBase} appended to {@code b}, so a caller builds a whole key in one builder. */
  public StringBuilder appendCounterKeyBase(StringBuilder b, RateLimitDescriptor descriptor) {
    b.append(domain.domain()).append('_');
    for (int i = 0; i < path.length; i++) {
      RateLimitDescriptor.Entry e = descriptor.getEntries(i);
      DescriptorNode n = path[i];
      b.append(e.getKey()).append('_').append(n.shareThreshold ? n.patternValueFor(e.getKey()) : e.getValue())
          .append('_');
    }
    return b;
  }

  /** Same base for a descriptor that matched nothing in config but carries an override limit. */
  public static String counterKeyBase(String domain, RateLimitDescriptor descriptor) {
    return appendCounterKeyBase(new StringBuilder(64), domain, descriptor).toString();
  }

  /** {@link #counterKeyBase(String, RateLimitDescriptor)} appended to {@code b}. */
  public static StringBuilder appendCounterKeyBase(StringBuilder b, String domain, RateLimitDescriptor descriptor) {
    b.append(domain).append('_');
    for (int i = 0; i < descriptor.getEntriesCount(); i++) {
      RateLimitDescriptor.Entry e = descriptor.getEntries(i);
      b.append(e.getKey()).append('_').append(e.getValue()).append('_');
    }
    return b;
  }

  /** The counter key base's length with the request's own values, to size its builder once. */
  public static int counterKeyBaseCapacity(String domain, RateLimitDescriptor descriptor) {
    int n = domain.length() + 1;
    for (int i = 0; i < descriptor.getEntriesCount(); i++) {
      RateLimitDescriptor.Entry e = descriptor.getEntries(i);
      n += e.getKey().length() + e.getValue().length() + 2;
    }
    return n;
  }

  /** The reference's stat key for an override limit: entries joined by '.', {@code key_value} or {@code key}. */
  public static String overrideStatsKey(String domain, RateLimitDescriptor descriptor) {
    StringBuilder b = new StringBuilder(domain);
    for (int i = 0; i < descriptor.getEntriesCount(); i++) {
      RateLimitDescriptor.Entry e = descriptor.getEntries(i);
      b.append('.').append(e.getKey());
      if (!e.getValue().isEmpty()) {
        b.append('_').append(e.getValue());
      }
    }
    return b.toString();
  }
}
