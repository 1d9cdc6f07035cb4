package io.switchyard.flinkjobs.mesh;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.model.v1.AccessLogRecord;
import io.switchyard.model.v1.AccessLogRecord.Reporter;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.TelemetrySource;
import java.util.Optional;

/**
 * Turns Envoy access-log records into edges. Records with a request id, and TCP records with their
 * connection's addresses, are paired first ({@link AccessLogPairing}); the others follow Istio's reporter rule (as Kiali and Istio's
 * dashboards use it): the destination's record counts whenever the destination is in the mesh; the
 * source's record counts only when no destination sidecar will report (no destination workload known,
 * or traffic leaving through PassthroughCluster / BlackHoleCluster).
 */
public final class AccessLogEdges {
  private AccessLogEdges() {}

  /**
   * The edge this record stands for under the reporter rule, or empty when the other reporter's record
   * counts instead. Only for records that cannot be paired by request id ({@link AccessLogPairing}).
   */
  public static Optional<EdgeEvent> toEdge(AccessLogRecord r) {
    if (r.getReporter() != Reporter.REPORTER_SOURCE) {
      return Optional.of(edge(null, r));
    }
    return destinationInMesh(r) ? Optional.empty() : Optional.of(edge(r, null));
  }

  /**
   * One edge from the two reports of one request, either of which may be missing (not both): each client
   * field as the source sidecar saw itself, else as the destination saw its downstream peer; each server
   * field as the destination sidecar saw itself, else as the source saw its upstream (the destination
   * report of an OTLP log never knows its own version, the source's {@code outbound|port|v2|fqdn} does);
   * each side's latency from its own report, and the outcome from the destination report when there is
   * one. A record with no reporter stands in as the destination report, as the reporter rule counts it.
   */
  static EdgeEvent edge(AccessLogRecord source, AccessLogRecord destination) {
    AccessLogRecord outcome = destination != null ? destination : source;
    AccessLogRecord client = source != null ? source : destination;
    EdgeEvent e = new EdgeEvent();
    e.source = TelemetrySource.TELEMETRY_SOURCE_MESH_VALUE;
    e.timestampMs = client.getStartTimeUnixNano() / 1_000_000;
    e.client(clientNode(client, outcome));
    e.server(serverNode(outcome, client));
    AccessLogRecord.Protocol protocol = outcome.getProtocol();
    e.protocol = switch (protocol) {
      case PROTOCOL_GRPC -> "grpc";
      case PROTOCOL_TCP -> "tcp";
      case PROTOCOL_HTTP -> "http";
      default -> "";
    };
    int code = outcome.getResponseCode();
    boolean grpcFailed = protocol == AccessLogRecord.Protocol.PROTOCOL_GRPC && outcome.getGrpcStatus() > 0;
    e.failed = code >= 500 || grpcFailed || (code == 0 && protocol != AccessLogRecord.Protocol.PROTOCOL_TCP);
    e.responseClass = code == 0 ? (protocol == AccessLogRecord.Protocol.PROTOCOL_TCP ? "" : "-") : (code / 100) + "xx";
    e.responseFlags = outcome.getResponseFlags().equals("-") ? "" : outcome.getResponseFlags();
    e.responseCode = exactCode(outcome);
    // The outcome's report measured the bytes of the whole exchange with its own downstream: received from
    // it is the request, sent to it the response (Istio's sent/received bytes read the same way).
    e.receivedBytes = outcome.getRequestBytes();
    e.sentBytes = outcome.getResponseBytes();
    if (source != null) {
      e.clientLatencySeconds = source.getDurationMicros() / 1e6;
    }
    if (destination != null) {
      e.serverLatencySeconds = destination.getDurationMicros() / 1e6;
    }
    return e;
  }

  /**
   * The code Kiali keys a response by: a gRPC call's status number (Kiali reads grpc_response_status for
   * gRPC), else the HTTP status, "-" when there was no response, "" for TCP (no codes).
   */
  static String exactCode(AccessLogRecord r) {
    if (r.getProtocol() == AccessLogRecord.Protocol.PROTOCOL_TCP) {
      return "";
    }
    if (r.getProtocol() == AccessLogRecord.Protocol.PROTOCOL_GRPC && r.getGrpcStatus() >= 0) {
      return Integer.toString(r.getGrpcStatus());
    }
    return r.getResponseCode() == 0 ? "-" : Integer.toString(r.getResponseCode());
  }

  static boolean destinationInMesh(AccessLogRecord r) {
    return !leavesMesh(r) && !r.getDestinationWorkload().isEmpty();
  }

  /** Traffic to a destination no sidecar fronts: only the source's record will ever exist. */
  static boolean leavesMesh(AccessLogRecord r) {
    String cluster = r.getUpstreamCluster();
    return cluster.equals("PassthroughCluster") || cluster.equals("BlackHoleCluster");
  }

  /**
   * The caller, named as Istio's telemetry names it: by its canonical service, else its workload; its
   * workload and version kept so workload and versioned-app graphs still split them. {@code other} is
   * the request's other report (or {@code r} itself), read for the fields {@code r} lacks.
   */
  static NodeRef clientNode(AccessLogRecord r, AccessLogRecord other) {
    NodeRef.Builder n = NodeRef.newBuilder().setKind(NodeRef.NodeKind.NODE_KIND_SERVICE);
    String workload = either(r.getSourceWorkload(), other.getSourceWorkload());
    String service = either(r.getSourceService(), other.getSourceService());
    if (!workload.isEmpty() || !service.isEmpty()) {
      return n.setName(service.isEmpty() ? workload : service).setWorkload(workload)
          .setVersion(either(r.getSourceVersion(), other.getSourceVersion()))
          .setNamespace(either(r.getSourceNamespace(), other.getSourceNamespace())).build();
    }
    Spiffe id = Spiffe.parse(r.getSourcePrincipal());
    if (id != null) {
      return n.setName(id.serviceAccount()).setNamespace(id.namespace()).build();
    }
    if (!r.getSourceAddress().isEmpty()) {
      return n.setName(hostOf(r.getSourceAddress())).setKind(NodeRef.NodeKind.NODE_KIND_VIRTUAL).build();
    }
    return n.setName("unknown").setKind(NodeRef.NodeKind.NODE_KIND_UNKNOWN).build();
  }

  /** The callee; {@code other} is the request's other report (or {@code r} itself), read for the fields {@code r} lacks. */
  static NodeRef serverNode(AccessLogRecord r, AccessLogRecord other) {
    String workload = either(r.getDestinationWorkload(), other.getDestinationWorkload());
    String namespace = either(r.getDestinationNamespace(), other.getDestinationNamespace());
    NodeRef.Builder n = NodeRef.newBuilder().setKind(NodeRef.NodeKind.NODE_KIND_SERVICE)
        .setWorkload(workload).setVersion(either(r.getDestinationVersion(), other.getDestinationVersion()));
    String fqdn = either(r.getDestinationService(), other.getDestinationService());
    if (!fqdn.isEmpty()) {
      // The first two labels by index, not String.split (a regex and an array per edge).
      int dot = fqdn.indexOf('.');
      boolean clusterLocal = fqdn.endsWith(".svc.cluster.local");
      String ns = !namespace.isEmpty() ? namespace
          : clusterLocal ? fqdn.substring(dot + 1, fqdn.indexOf('.', dot + 1)) : "";
      boolean inCluster = clusterLocal || !workload.isEmpty();
      n.setName(inCluster ? (dot < 0 ? fqdn : fqdn.substring(0, dot)) : fqdn).setNamespace(ns);
      if (!inCluster) {
        n.setKind(NodeRef.NodeKind.NODE_KIND_VIRTUAL);
      }
      return n.build();
    }
    if (!workload.isEmpty()) {
      return n.setName(workload).setNamespace(namespace).build();
    }
    if (!r.getAuthority().isEmpty()) {
      return n.setName(hostOf(r.getAuthority())).setKind(NodeRef.NodeKind.NODE_KIND_VIRTUAL).build();
    }
    if (!r.getDestinationAddress().isEmpty()) {
      return n.setName(hostOf(r.getDestinationAddress())).setKind(NodeRef.NodeKind.NODE_KIND_VIRTUAL).build();
    }
    return n.setName("unknown").setKind(NodeRef.NodeKind.NODE_KIND_UNKNOWN).build();
  }

  private static String either(String own, String others) {
    return own.isEmpty() ? others : own;
  }

  /** Host part of "host:port" or "[v6]:port". */
  static String hostOf(String address) {
    if (address.startsWith("[")) {
      int end = address.indexOf(']');
      return end > 0 ? address.substring(1, end) : address;
    }
    int colon = address.indexOf(':');
    return colon > 0 && address.indexOf(':', colon + 1) < 0 ? address.substring(0, colon) : address;
  }

  record Spiffe(String namespace, String serviceAccount) {
    static Spiffe parse(String uri) {
      // spiffe://<trust-domain>/ns/<ns>/sa/<sa>
      if (!uri.startsWith("spiffe://")) {
        return null;
      }
      String[] parts = uri.substring("spiffe://".length()).split("/");
      if (parts.length == 5 && parts[1].equals("ns") && parts[3].equals("sa")) {
        return new Spiffe(parts[2], parts[4]);
      }
      return null;
    }
  }
}
