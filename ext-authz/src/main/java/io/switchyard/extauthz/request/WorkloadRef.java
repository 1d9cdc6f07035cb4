package io.switchyard.extauthz.request;

import java.util.Map;
import java.util.TreeMap;

/**
 * The workload a request is for: its namespace (null when unknown), name (null when unknown) and labels.
 * Policies are scoped by these, so they are part of every decision cache key.
 */
public record WorkloadRef(String namespace, String name, Map<String, String> labels) {
  public static final WorkloadRef UNKNOWN = new WorkloadRef(null, null, Map.of());

  public WorkloadRef {
    labels = Map.copyOf(labels);
  }

  /** A stable text form: same workload, same string, whatever the label order. */
  public String canonical() {
    StringBuilder b = new StringBuilder();
    b.append(namespace == null ? "-" : namespace).append('|').append(name == null ? "-" : name);
    for (Map.Entry<String, String> e : new TreeMap<>(labels).entrySet()) {
      b.append('|').append(e.getKey().length()).append(':').append(e.getKey()).append('=')
          .append(e.getValue().length()).append(':').append(e.getValue());
    }
    return b.toString();
  }
}
