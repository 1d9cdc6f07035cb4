package io.switchyard.ratelimit.config;

import java.util.List;
import java.util.Map;

/**
 * One level of a domain's descriptor tree: entries by composite key ({@code key_value} or {@code key}),
 * and the wildcard entries in declaration order, because the first declared pattern wins.
 */
public final class DescriptorLevel {
  static final DescriptorLevel EMPTY = new DescriptorLevel(Map.of(), List.of(), List.of());

  final Map<String, DescriptorNode> byComposite;
  final DescriptorNode[] wildcards;
  final List<DescriptorNode> declared;

  DescriptorLevel(Map<String, DescriptorNode> byComposite, List<DescriptorNode> wildcards,
      List<DescriptorNode> declared) {
    this.byComposite = Map.copyOf(byComposite);
    this.wildcards = wildcards.toArray(DescriptorNode[]::new);
    this.declared = List.copyOf(declared);
  }

  public boolean isEmpty() {
    return declared.isEmpty();
  }

  /** Entries in declaration order. */
  public List<DescriptorNode> entries() {
    return declared;
  }

  /** The reference's lookup at one level: exact {@code k_v}, then wildcards in order, then value-less {@code k}. */
  DescriptorNode find(String key, String value) {
    String composite = key + "_" + value;
    DescriptorNode node = byComposite.get(composite);
    if (node == null) {
      for (DescriptorNode w : wildcards) {
        if (w.glob.matches(composite)) {
          return w;
        }
      }
      node = byComposite.get(key);
    }
    return node;
  }
}
