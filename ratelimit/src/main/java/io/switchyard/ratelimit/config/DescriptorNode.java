package io.switchyard.ratelimit.config;

import com.google.protobuf.Struct;
import java.util.List;

/**
 * One configured descriptor entry: how it matches ({@link Kind}), what limits it carries, and the
 * next level. {@code statsKey} is the reference's stat path ({@code domain.key_value.key2}) computed at
 * load time.
 */
public final class DescriptorNode {
  /** How the entry matched the request's (key, value). */
  public enum Kind { EXACT, WILDCARD, VALUELESS }

  final String key;
  final String value;
  final Kind kind;
  /** No '*' in the key: the request's key then names the entry in stat paths as the configured key does. */
  final boolean plainKey;
  final Glob glob;
  final String composite;
  final List<Limit> limits;
  final boolean shadowMode;
  final boolean quotaMode;
  final boolean detailedMetric;
  final boolean valueToMetric;
  final boolean shareThreshold;
  final Struct metadata;
  final DescriptorLevel children;
  final String statsKey;
  final int line;

  DescriptorNode(String key, String value, List<Limit> limits, boolean shadowMode, boolean quotaMode,
      boolean detailedMetric, boolean valueToMetric, boolean shareThreshold, Struct metadata,
      DescriptorLevel children, String parentStatsKey, int line) {
    this.key = key;
    this.value = value;
    this.composite = value == null ? key : key + "_" + value;
    // As the reference, a '*' anywhere in key_value (the key's included) makes the entry a wildcard.
    this.kind = composite.indexOf('*') >= 0 ? Kind.WILDCARD : value == null ? Kind.VALUELESS : Kind.EXACT;
    this.plainKey = key.indexOf('*') < 0;
    this.glob = kind == Kind.WILDCARD ? Glob.compile(composite) : null;
    this.limits = List.copyOf(limits);
    this.shadowMode = shadowMode;
    this.quotaMode = quotaMode;
    this.detailedMetric = detailedMetric;
    this.valueToMetric = valueToMetric;
    this.shareThreshold = shareThreshold;
    this.metadata = metadata;
    this.children = children;
    this.statsKey = parentStatsKey + "." + composite;
    this.line = line;
  }

  /**
   * The reference's {@code TrimPrefix(pattern, requestKey + "_")}, what a wildcard stands for in counter keys and
   * stat names: the configured value when the request's key is this entry's, else the whole pattern unless it
   * starts with that key and '_' (as it does not when the '*' is in the configured key).
   */
  String patternValueFor(String requestKey) {
    if (value != null && requestKey.equals(key)) {
      return value;
    }
    int k = requestKey.length();
    return composite.length() > k && composite.charAt(k) == '_' && composite.startsWith(requestKey)
        ? composite.substring(k + 1) : composite;
  }

  public String key() {
    return key;
  }

  /** Null for a value-less entry (which is still a wildcard when its key holds a '*'). */
  public String value() {
    return value;
  }

  public Kind kind() {
    return kind;
  }

  public List<Limit> limits() {
    return limits;
  }

  public boolean shadowMode() {
    return shadowMode;
  }

  public boolean quotaMode() {
    return quotaMode;
  }

  public boolean detailedMetric() {
    return detailedMetric;
  }

  public boolean valueToMetric() {
    return valueToMetric;
  }

  public boolean shareThreshold() {
    return shareThreshold;
  }

  /** Null when the entry has none. */
  public Struct metadata() {
    return metadata;
  }

  public DescriptorLevel children() {
    return children;
  }

  public String statsKey() {
    return statsKey;
  }

  public int line() {
    return line;
  }
}
