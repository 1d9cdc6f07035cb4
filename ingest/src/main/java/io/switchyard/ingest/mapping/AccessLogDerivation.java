package io.switchyard.ingest.mapping;

import io.switchyard.model.v1.AccessLogRecord;

/**
 * Source and destination of an access-log entry, derived the way Istio's own telemetry does: the upstream cluster
 * says which side of the request the reporting proxy is on, the node says who that proxy is, and the peer
 * metadata or the peer certificate's SPIFFE id says who the other side is.
 */
final class AccessLogDerivation {
  static final int SCHEMA_VERSION = 1;
  private static final String DEFAULT_DOMAIN = "cluster.local";

  private AccessLogDerivation() {}

  static AccessLogRecord derive(AccessLogFacts f, long receivedUnixNano, MappingOptions options) {
    IstioNode node = f.node;
    UpstreamCluster uc = UpstreamCluster.parse(f.upstreamCluster);
    String domain = clusterDomain(node.id());
    AccessLogRecord.Builder b = AccessLogRecord.newBuilder()
        .setSchemaVersion(SCHEMA_VERSION)
        .setNodeId(options.cut(node.id()))
        .setNodeCluster(options.cut(node.cluster()))
        .setProtocol(f.protocol)
        .setMethod(options.cut(f.method))
        .setAuthority(options.cut(f.authority))
        .setPath(options.cut(f.path))
        .setRouteName(options.cut(f.routeName))
        .setResponseCode(Math.max(0, f.responseCode))
        .setResponseFlags(f.responseFlags)
        .setGrpcStatus(f.grpcStatus)
        .setUpstreamCluster(options.cut(f.upstreamCluster))
        .setStartTimeUnixNano(f.startUnixNano)
        .setDurationMicros(Math.max(0, f.durationMicros))
        .setRequestBytes(Math.max(0, f.requestBytes))
        .setResponseBytes(Math.max(0, f.responseBytes))
        .setTraceId(f.traceId)
        .setRequestId(options.cut(f.requestId))
        .setReceivedUnixNano(receivedUnixNano);

    if (uc.receivedByThisProxy()) {
      b.setReporter(AccessLogRecord.Reporter.REPORTER_DESTINATION);
      b.setDestinationWorkload(node.workload())
          .setDestinationNamespace(node.namespace())
          .setDestinationVersion(node.version())
          .setDestinationAddress(node.ip())
          .setDestinationPort(uc.port());
      String service = uc.fqdn();
      if (service.isEmpty()) {
        service = serviceOfAuthority(f.authority, node.namespace(), domain);
      }
      if (service.isEmpty()) {
        service = node.serviceFqdn(domain);
      }
      b.setDestinationService(options.cut(service));

      String principal = Spiffe.first(f.downstreamPeerUriSans);
      b.setSourcePrincipal(options.cut(principal)).setSourceAddress(f.downstreamRemoteAddress);
      // The inbound sidecar sees the connection from the caller's sidecar as its downstream.
      b.setConnectionClientAddress(options.cut(f.downstreamRemoteAddress))
          .setConnectionServerAddress(options.cut(f.downstreamLocalAddress));
      PeerInfo peer = f.downstreamPeer;
      b.setSourceWorkload(peer.workload())
          .setSourceService(options.cut(peer.service()))
          .setSourceVersion(options.cut(peer.version()));
      b.setSourceNamespace(peer.namespace().isEmpty() ? Spiffe.namespace(principal) : peer.namespace());
      return b.build();
    }

    b.setReporter(uc.direction() == UpstreamCluster.Direction.NONE
        ? AccessLogRecord.Reporter.REPORTER_UNSPECIFIED
        : AccessLogRecord.Reporter.REPORTER_SOURCE);
    b.setSourceWorkload(node.workload())
        .setSourceService(options.cut(node.canonicalService()))
        .setSourceVersion(options.cut(node.version()))
        .setSourceNamespace(node.namespace())
        .setSourcePrincipal(node.principal())
        .setSourceAddress(node.isIstio() ? node.ip() : f.downstreamRemoteAddress);
    // The outbound sidecar opened the connection the destination's sidecar accepts: its upstream.
    b.setConnectionClientAddress(options.cut(f.upstreamLocalAddress))
        .setConnectionServerAddress(options.cut(f.upstreamRemoteAddress));

    String service;
    switch (uc.direction()) {
      case OUTBOUND:
        service = uc.fqdn();
        break;
      case PASSTHROUGH_OUT:
        service = hostOf(f.authority);
        if (service.isEmpty()) {
          service = hostOf(f.upstreamRemoteAddress);
        }
        break;
      case BLACKHOLE:
      case OTHER:
        service = uc.raw();
        break;
      default:
        service = hostOf(f.authority);
        break;
    }
    b.setDestinationService(options.cut(service));
    PeerInfo peer = f.upstreamPeer;
    String upstreamPrincipal = Spiffe.first(f.upstreamPeerUriSans);
    String ns = peer.namespace();
    if (ns.isEmpty()) {
      ns = namespaceOfFqdn(uc.fqdn());
    }
    if (ns.isEmpty()) {
      ns = Spiffe.namespace(upstreamPrincipal);
    }
    b.setDestinationWorkload(peer.workload())
        .setDestinationNamespace(ns)
        .setDestinationVersion(uc.subset().isEmpty() ? peer.version() : uc.subset())
        .setDestinationAddress(f.upstreamRemoteAddress)
        .setDestinationPort(uc.port() != 0 ? uc.port() : portOf(f.upstreamRemoteAddress));
    return b.build();
  }

  /** The Kafka key of an access-log record: the destination service, so one service's traffic stays ordered. */
  static String key(AccessLogRecord r) {
    if (!r.getDestinationService().isEmpty()) {
      return r.getDestinationService();
    }
    if (!r.getDestinationWorkload().isEmpty()) {
      return r.getDestinationWorkload() + "." + r.getDestinationNamespace();
    }
    return "unknown";
  }

  /** {@code ns.svc.cluster.local} in the node id's last part names the cluster DNS domain. */
  static String clusterDomain(String nodeId) {
    int tilde = nodeId.lastIndexOf('~');
    String dns = tilde >= 0 ? nodeId.substring(tilde + 1) : "";
    int svc = dns.indexOf(".svc.");
    return svc > 0 ? dns.substring(svc + 5) : DEFAULT_DOMAIN;
  }

  /** Expands an HTTP authority the way Kubernetes DNS resolves it from the caller's namespace. */
  static String serviceOfAuthority(String authority, String namespace, String domain) {
    String host = hostOf(authority);
    if (host.isEmpty() || Character.isDigit(host.charAt(0)) && host.chars().allMatch(c -> c == '.' || Character.isDigit(c))) {
      return "";
    }
    long dots = host.chars().filter(c -> c == '.').count();
    if (dots == 0) {
      return namespace.isEmpty() ? host : host + "." + namespace + ".svc." + domain;
    }
    if (dots == 1) {
      return host + ".svc." + domain;
    }
    if (host.endsWith(".svc")) {
      return host + "." + domain;
    }
    return host;
  }

  static String namespaceOfFqdn(String fqdn) {
    String[] labels = fqdn.split("\\.");
    return labels.length >= 3 && labels[2].equals("svc") ? labels[1] : "";
  }

  static String hostOf(String authorityOrAddress) {
    if (authorityOrAddress == null || authorityOrAddress.isEmpty()) {
      return "";
    }
    String s = authorityOrAddress;
    if (s.startsWith("[")) {
      int end = s.indexOf(']');
      return end > 0 ? s.substring(1, end) : s;
    }
    int colon = s.lastIndexOf(':');
    if (colon > 0 && s.indexOf(':') == colon) {
      return s.substring(0, colon);
    }
    return s;
  }

  static int portOf(String address) {
    int colon = address.lastIndexOf(':');
    if (colon < 0) {
      return 0;
    }
    try {
      int port = Integer.parseInt(address.substring(colon + 1));
      return port >= 0 && port <= 65535 ? port : 0;
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
