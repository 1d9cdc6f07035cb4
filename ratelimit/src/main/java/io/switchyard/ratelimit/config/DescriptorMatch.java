package io.switchyard.ratelimit.config;

import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;

/** The node a request descriptor reached, with the node matched at every level on the way. */
public record DescriptorMatch(DomainConfig domain, DescriptorNode rule, DescriptorNode[] path) {

  /**
   * The reference's stat path. Exact entries appear as {@code key_value}, value-less ones as {@code key}
   * and wildcards as {@code key_pattern}; {@code value_to_metric} on an entry (or {@code detailed_metric}
   * on the rule) puts the request's value there instead, which is why metrics cap label cardinality.
   * An entry with {@code share_threshold} keeps its pattern in every case, as its values share one counter.
   */
  public String statsKey(RateLimitDescriptor descriptor) {
    boolean dynamic = rule.detailedMetric;
    if (!dynamic) {
      for (DescriptorNode n : path) {
        if (n.valueToMetric && !n.shareThreshold) {
          dynamic = true;
          break;
        }
      }
    }
    if (!dynamic) {
      return rule.statsKey;
    }
    StringBuilder b = new StringBuilder(domain.domain());
    for (int i = 0; i < path.length; i++) {
      DescriptorNode n = path[i];
      b.append('.');
      if (n.kind != DescriptorNode.Kind.EXACT && !n.shareThreshold && (n.valueToMetric || rule.detailedMetric)) {
        String value = descriptor.getEntries(i).getValue();
        b.append(n.key);
        // As the reference: detailed_metric writes key_value always, value_to_metric leaves out an empty value.
        if (!value.isEmpty() || rule.detailedMetric) {
          b.append('_').append(value);
        }
      } else {
        b.append(n.statsSegment);
      }
    }
    return b.toString();
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
