package io.switchyard.ingest.mapping;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.util.Map;

/** The Istio node metadata keys ingest reads, from an Envoy node's metadata struct or OTLP resource attributes. */
record NodeMetadata(
    String name,
    String namespace,
    String workloadName,
    String serviceAccount,
    String trustDomain,
    Map<String, String> labels) {

  static final NodeMetadata EMPTY = new NodeMetadata("", "", "", "", "", Map.of());

  static NodeMetadata of(Struct metadata) {
    if (metadata.getFieldsCount() == 0) {
      return EMPTY;
    }
    Map<String, Value> f = metadata.getFieldsMap();
    Map<String, String> labels = Map.of();
    Value l = f.get("LABELS");
    if (l != null && l.hasStructValue()) {
      var builder = new java.util.HashMap<String, String>();
      l.getStructValue().getFieldsMap().forEach((k, v) -> {
        if (v.hasStringValue()) {
          builder.put(k, v.getStringValue());
        }
      });
      labels = Map.copyOf(builder);
    }
    return new NodeMetadata(str(f, "NAME"), str(f, "NAMESPACE"), str(f, "WORKLOAD_NAME"),
        str(f, "SERVICE_ACCOUNT"), str(f, "TRUST_DOMAIN"), labels);
  }

  String label(String key) {
    return labels.getOrDefault(key, "");
  }

  /** Istio's canonical service from the labels: {@code service.istio.io/canonical-name}, else {@code app}; "" when neither. */
  String canonicalService() {
    String canonical = label("service.istio.io/canonical-name");
    return canonical.isEmpty() ? label("app") : canonical;
  }

  /**
   * Istio's canonical revision from the labels: {@code service.istio.io/canonical-revision}, else {@code version}
   * when that is unset or Istio's default {@code latest}; "" when neither.
   */
  String canonicalRevision() {
    String revision = label("service.istio.io/canonical-revision");
    if (revision.isEmpty() || "latest".equals(revision)) {
      String v = label("version");
      return v.isEmpty() ? revision : v;
    }
    return revision;
  }

  private static String str(Map<String, Value> f, String key) {
    Value v = f.get(key);
    return v != null && v.hasStringValue() ? v.getStringValue() : "";
  }
}
