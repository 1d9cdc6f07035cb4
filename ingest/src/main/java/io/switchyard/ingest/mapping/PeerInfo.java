package io.switchyard.ingest.mapping;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.util.Map;

/**
 * What Istio's metadata exchange learned about the other end of a connection ({@code downstream_peer},
 * {@code upstream_peer}; before Istio 1.24 {@code wasm.downstream_peer}, {@code wasm.upstream_peer}). Accepts both
 * the node-metadata spelling (NAME, NAMESPACE, WORKLOAD_NAME, LABELS) and the flattened lower-case one (workload,
 * name, namespace, service, revision, version) that newer proxies serialise.
 */
record PeerInfo(String workload, String namespace, String service, String version) {
  static final PeerInfo NONE = new PeerInfo("", "", "", "");

  boolean isKnown() {
    return !workload.isEmpty() || !namespace.isEmpty();
  }

  static PeerInfo of(Struct s) {
    Map<String, Value> f = s.getFieldsMap();
    String workload = first(f, "WORKLOAD_NAME", "workload");
    String namespace = first(f, "NAMESPACE", "namespace");
    String service = first(f, "service");
    // Istio's flattened form (1.24+) has the canonical revision as "revision" and the version label as "version":
    // the revision wins unless it is Istio's default "latest", as NodeMetadata#canonicalRevision reads the labels.
    String revision = first(f, "revision");
    String version = revision.isEmpty() || "latest".equals(revision) ? first(f, "version") : revision;
    if (service.isEmpty() || version.isEmpty()) {
      NodeMetadata md = NodeMetadata.of(s);
      service = service.isEmpty() ? md.canonicalService() : service;
      version = version.isEmpty() ? md.canonicalRevision() : version;
    }
    if (version.isEmpty()) {
      version = revision;
    }
    if (workload.isEmpty()) {
      String name = first(f, "NAME", "name");
      workload = name.isEmpty() ? "" : IstioNode.workloadOfPod(name);
    }
    return new PeerInfo(workload, namespace, service, version);
  }

  /** A peer known only by its Istio node id ({@code wasm.*_peer_id}). */
  static PeerInfo ofNodeId(String nodeId) {
    IstioNode n = IstioNode.of(nodeId, "", NodeMetadata.EMPTY);
    if (!n.isIstio()) {
      return NONE;
    }
    return new PeerInfo(n.workload(), n.namespace(), "", "");
  }

  private static String first(Map<String, Value> f, String... keys) {
    for (String k : keys) {
      Value v = f.get(k);
      if (v != null && v.hasStringValue() && !v.getStringValue().isEmpty()) {
        return v.getStringValue();
      }
    }
    return "";
  }
}
