package io.switchyard.ratelimit.config;

import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import java.nio.file.Path;

/** One domain's compiled descriptor tree and the file it came from. */
public record DomainConfig(String domain, DescriptorLevel root, Path source) {

  /**
   * Walks the tree as envoyproxy/ratelimit does: the choice at each level is final (no backtracking),
   * and a limit applies only on the node matched by the last entry. Returns null when nothing applies
   * (no match, depth mismatch, or a whitelisting entry without limits).
   */
  public DescriptorMatch match(RateLimitDescriptor descriptor) {
    int n = descriptor.getEntriesCount();
    if (n == 0) {
      return null;
    }
    DescriptorNode[] path = new DescriptorNode[n];
    DescriptorLevel level = root;
    for (int i = 0; i < n; i++) {
      RateLimitDescriptor.Entry e = descriptor.getEntries(i);
      DescriptorNode node = level.find(e.getKey(), e.getValue());
      if (node == null) {
        return null;
      }
      path[i] = node;
      if (i == n - 1) {
        return node.limits.isEmpty() ? null : new DescriptorMatch(this, node, path);
      }
      if (node.children.isEmpty()) {
        return null;
      }
      level = node.children;
    }
    return null;
  }
}
