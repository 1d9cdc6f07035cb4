package io.switchyard.flinkjobs.graph;

import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.SpanRecord;
import io.switchyard.model.v1.SpanRecord.SpanKind;
import io.switchyard.model.v1.SpanRecord.StatusCode;
import io.switchyard.model.v1.TelemetrySource;
import java.util.HexFormat;
import java.util.List;


/**
 * The edge rules on parsed {@code SpanRecord} messages (with the attribute lookup they used), kept as
 * the oracle that {@link SpanFieldsEquivalenceTest} compares the one-pass read and {@link SpanEdges}
 * against; a rule change is made in both.
 */
final class ProtoSpanEdges {
  public static final String CONNECTION_DATABASE = "database";
  public static final String CONNECTION_MESSAGING = "messaging_system";
  public static final String CONNECTION_VIRTUAL = "virtual_node";
  public static final String UNKNOWN = "unknown";
  public static final String USER = "user";
  private static final HexFormat HEX = HexFormat.of();
  /** Database client spans name their server by these, then by the database attributes. */
  private static final List<String> DATABASE_PEER =
      List.of("peer.service", "server.address", "network.peer.address", "db.name", "db.system");

  private ProtoSpanEdges() {}

  public static String hex(com.google.protobuf.ByteString bytes) {
    return HEX.formatHex(bytes.toByteArray());
  }

  public static boolean isClientSide(SpanKind k) {
    return k == SpanKind.SPAN_KIND_CLIENT || k == SpanKind.SPAN_KIND_PRODUCER;
  }

  public static boolean isServerSide(SpanKind k) {
    return k == SpanKind.SPAN_KIND_SERVER || k == SpanKind.SPAN_KIND_CONSUMER;
  }

  /** A CLIENT span talking to a database: its edge completes at once, no server span will come. */
  public static boolean isDatabase(SpanRecord s) {
    return s.getKind() == SpanKind.SPAN_KIND_CLIENT && (!s.getDbSystem().isEmpty() || !s.getDbName().isEmpty());
  }

  // Nodes are written straight into the edge's fields: building a NodeRef message per side of every
  // request only to copy its fields out again was measurable per span.
  private static String namespace(SpanRecord s) {
    return !s.getServiceNamespace().isEmpty() ? s.getServiceNamespace() : s.getIstioNamespace();
  }

  /** An Istio proxy's span is named by its canonical service, any other by its service.name. */
  private static String service(SpanRecord s) {
    boolean proxy = !s.getUpstreamCluster().isEmpty() || "proxy".equals(s.getAttributesMap().get("component"));
    return proxy && !s.getIstioCanonicalService().isEmpty() ? s.getIstioCanonicalService() : s.getServiceName();
  }

  private static void clientService(EdgeEvent e, SpanRecord s) {
    e.clientName = service(s);
    e.clientNamespace = namespace(s);
    e.clientWorkload = s.getIstioWorkload();
    e.clientKind = NodeRef.NodeKind.NODE_KIND_SERVICE_VALUE;
  }

  private static void serverService(EdgeEvent e, SpanRecord s) {
    e.serverName = service(s);
    e.serverNamespace = namespace(s);
    e.serverWorkload = s.getIstioWorkload();
    e.serverKind = NodeRef.NodeKind.NODE_KIND_SERVICE_VALUE;
  }

  /** A peer named by attributes is a virtual node; an unnamed one falls back to unknown / user. */
  private static void clientVirtual(EdgeEvent e, String name, NodeRef.NodeKind fallbackKind, String fallbackName) {
    e.clientName = name.isEmpty() ? fallbackName : name;
    e.clientKind = name.isEmpty() ? fallbackKind.getNumber() : NodeRef.NodeKind.NODE_KIND_VIRTUAL_VALUE;
  }

  private static void serverVirtual(EdgeEvent e, String name, NodeRef.NodeKind fallbackKind, String fallbackName) {
    e.serverName = name.isEmpty() ? fallbackName : name;
    e.serverKind = name.isEmpty() ? fallbackKind.getNumber() : NodeRef.NodeKind.NODE_KIND_VIRTUAL_VALUE;
  }

  static double durationSeconds(SpanRecord s) {
    if (s.getStartTimeUnixNano() == 0 || s.getEndTimeUnixNano() == 0) {
      return -1;
    }
    long d = s.getEndTimeUnixNano() - s.getStartTimeUnixNano();
    return d > 0 ? d / 1e9 : 0;
  }

  static double weight(SpanRecord s) {
    double p = s.getSamplingProbability();
    return p > 0 && p <= 1 ? 1 / p : 1;
  }

  static boolean failed(SpanRecord s) {
    return s.getStatus() == StatusCode.STATUS_CODE_ERROR || (s.getHttpStatusCode() >= 500 && s.getHttpStatusCode() < 600)
        || s.getRpcGrpcStatusCode() > 0;
  }

  /** Response class from the HTTP status, else the gRPC status, else "" (unknown). */
  static String responseClass(SpanRecord s) {
    int http = s.getHttpStatusCode();
    if (http >= 100 && http < 600) {
      return (http / 100) + "xx";
    }
    // proto3 default 0 is also gRPC OK; ingest writes -1 when the attribute is absent.
    if (s.getRpcGrpcStatusCode() >= 0) {
      return "grpc_" + s.getRpcGrpcStatusCode();
    }
    return "";
  }

  private static EdgeEvent base(SpanRecord timeSource) {
    EdgeEvent e = new EdgeEvent();
    e.source = TelemetrySource.TELEMETRY_SOURCE_TRACE_VALUE;
    long t = timeSource.getStartTimeUnixNano() != 0 ? timeSource.getStartTimeUnixNano() : timeSource.getEndTimeUnixNano();
    e.timestampMs = t / 1_000_000;
    return e;
  }

  /** A completed client/server pair. */
  public static EdgeEvent paired(SpanRecord client, SpanRecord server) {
    EdgeEvent e = base(client);
    clientService(e, client);
    serverService(e, server);
    boolean messaging = client.getKind() == SpanKind.SPAN_KIND_PRODUCER || server.getKind() == SpanKind.SPAN_KIND_CONSUMER;
    e.connectionType = messaging ? CONNECTION_MESSAGING : "";
    e.protocol = messaging ? client.getMessagingSystem() : "";
    e.weight = client.getSamplingProbability() > 0 ? weight(client) : weight(server);
    e.failed = failed(client) || failed(server);
    e.clientLatencySeconds = durationSeconds(client);
    e.serverLatencySeconds = durationSeconds(server);
    if (messaging) {
      long queue = server.getStartTimeUnixNano() - client.getEndTimeUnixNano();
      // Clock skew between hosts can make this negative: then it is unknown, not zero.
      boolean known = server.getStartTimeUnixNano() != 0 && client.getEndTimeUnixNano() != 0 && queue > 0;
      e.messagingLatencySeconds = known ? queue / 1e9 : -1;
    }
    String code = responseClass(server);
    e.responseClass = code.isEmpty() ? responseClass(client) : code;
    e.responseFlags = server.getResponseFlags().isEmpty() ? client.getResponseFlags() : server.getResponseFlags();
    return e;
  }

  /** A database client span: complete at once, both latencies are the client's. */
  public static EdgeEvent database(SpanRecord client) {
    EdgeEvent e = base(client);
    clientService(e, client);
    serverVirtual(e, firstOf(client, DATABASE_PEER), NodeRef.NodeKind.NODE_KIND_UNKNOWN, UNKNOWN);
    e.connectionType = CONNECTION_DATABASE;
    e.protocol = client.getDbSystem();
    e.weight = weight(client);
    e.failed = failed(client);
    e.clientLatencySeconds = durationSeconds(client);
    e.serverLatencySeconds = e.clientLatencySeconds;
    e.responseClass = responseClass(client);
    e.responseFlags = client.getResponseFlags();
    return e;
  }

  /** A client (or producer) whose server never came: the server is named from peer attributes. */
  public static EdgeEvent unmatchedClient(SpanRecord client, List<String> peerAttributes) {
    EdgeEvent e = base(client);
    clientService(e, client);
    serverVirtual(e, firstOf(client, peerAttributes), NodeRef.NodeKind.NODE_KIND_UNKNOWN, UNKNOWN);
    e.connectionType = CONNECTION_VIRTUAL;
    e.weight = weight(client);
    e.failed = failed(client);
    e.clientLatencySeconds = durationSeconds(client);
    e.responseClass = responseClass(client);
    e.responseFlags = client.getResponseFlags();
    return e;
  }

  /** A root server (or consumer) span: its caller is uninstrumented, named by peer.service or "user". */
  public static EdgeEvent rootServer(SpanRecord server) {
    EdgeEvent e = base(server);
    clientVirtual(e, server.getPeerService(), NodeRef.NodeKind.NODE_KIND_USER, USER);
    serverService(e, server);
    e.connectionType = CONNECTION_VIRTUAL;
    e.weight = weight(server);
    e.failed = failed(server);
    e.serverLatencySeconds = durationSeconds(server);
    e.responseClass = responseClass(server);
    e.responseFlags = server.getResponseFlags();
    return e;
  }

  static String get(SpanRecord s, String attribute) {
    return switch (attribute) {
      case "peer.service" -> s.getPeerService();
      case "server.address" -> s.getServerAddress();
      case "network.peer.address" -> s.getNetworkPeerAddress();
      case "db.name" -> s.getDbName();
      case "db.system" -> s.getDbSystem();
      case "messaging.destination.name" -> s.getMessagingDestination();
      case "messaging.system" -> s.getMessagingSystem();
      case "upstream_cluster" -> s.getUpstreamCluster();
      default -> s.getAttributesOrDefault(attribute, "");
    };
  }

  /** The first non-empty attribute in order, or "" when none is set. */
  static String firstOf(SpanRecord s, List<String> attributes) {
    for (String a : attributes) {
      String v = get(s, a);
      if (!v.isEmpty()) {
        return v;
      }
    }
    return "";
  }
}
