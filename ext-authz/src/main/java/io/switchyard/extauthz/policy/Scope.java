package io.switchyard.extauthz.policy;

import io.switchyard.extauthz.request.WorkloadRef;
import java.util.List;
import java.util.Map;

/**
 * Which workloads a policy (or RequestAuthentication) applies to: its namespace — every namespace when
 * it lives in the root namespace — narrowed by {@code selector.matchLabels} or by {@code targetRefs}
 * names matched against the workload name.
 */
public record Scope(String namespace, Map<String, String> matchLabels, List<String> targetNames) {
  public Scope {
    matchLabels = Map.copyOf(matchLabels);
    targetNames = List.copyOf(targetNames);
  }

  public boolean appliesTo(WorkloadRef w, String rootNamespace) {
    if (!namespace.equals(rootNamespace) && !namespace.equals(w.namespace())) {
      return false;
    }
    for (Map.Entry<String, String> e : matchLabels.entrySet()) {
      if (!e.getValue().equals(w.labels().get(e.getKey()))) {
        return false;
      }
    }
    return targetNames.isEmpty() || (w.name() != null && targetNames.contains(w.name()));
  }
}
