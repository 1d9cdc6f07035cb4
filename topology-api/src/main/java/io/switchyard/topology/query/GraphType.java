package io.switchyard.topology.query;

import io.switchyard.model.v1.NodeRef;
import java.util.Locale;

/** How edges are grouped into nodes. */
public enum GraphType {
  SERVICE,
  WORKLOAD,
  APP,
  VERSIONED_APP;

  public static GraphType parse(String parameter, String value) {
    if (value == null || value.isBlank()) {
      return SERVICE;
    }
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "service" -> SERVICE;
      case "workload" -> WORKLOAD;
      case "app" -> APP;
      case "versionedapp", "versioned_app" -> VERSIONED_APP;
      default -> throw new BadParameterException(parameter, "expected service, workload, app or versionedApp, got '" + value + "'");
    };
  }

  public String wireName() {
    return this == VERSIONED_APP ? "versionedApp" : name().toLowerCase(Locale.ROOT);
  }

  /** Whether nodes name workloads or versions, so a hop's records count apart per workload. */
  boolean showsWorkloads() {
    return this == WORKLOAD || this == VERSIONED_APP;
  }

  /** The node label of a reference under this grouping; virtual nodes keep their own name. */
  String label(NodeRef ref) {
    if (ref.getKind() != NodeRef.NodeKind.NODE_KIND_SERVICE) {
      return ref.getName();
    }
    return switch (this) {
      case SERVICE -> ref.getName();
      case WORKLOAD -> ref.getWorkload().isEmpty() ? ref.getName() : ref.getWorkload();
      case APP -> ref.getApp().isEmpty() ? ref.getName() : ref.getApp();
      case VERSIONED_APP -> {
        String app = ref.getApp().isEmpty() ? ref.getName() : ref.getApp();
        yield ref.getVersion().isEmpty() ? app : app + "@" + ref.getVersion();
      }
    };
  }

  String nodeId(NodeRef ref) {
    String label = label(ref);
    return ref.getNamespace().isEmpty() ? label : ref.getNamespace() + "/" + label;
  }
}
