package io.switchyard.flinkjobs.graph;

import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.TelemetrySource;
import java.util.HexFormat;
import java.util.List;

/** The pure rules that turn spans into edges (Tempo/OTel servicegraph semantics plus our fixes). */
public final class SpanEdges {
  public static final String CONNECTION_DATABASE = "database";
  public static final String CONNECTION_MESSAGING = "messaging_system";
  public static final String CONNECTION_VIRTUAL = "virtual_node";
  public static final String UNKNOWN = "unknown";
  public static final String USER = "user";
  private static final HexFormat HEX = HexFormat.of();
  /** Database client spans name their server by these, then by the database attributes. */
  private static final List<String> DATABASE_PEER =
      List.of("peer.service", "server.address", "network.peer.address", "db.name", "db.system");

  private SpanEdges() {}

  static String hex(byte[] bytes) {
    return HEX.formatHex(bytes);
  }

  static boolean isClientSide(int kind) {
    return kind == SpanFields.KIND_CLIENT || kind == SpanFields.KIND_PRODUCER;
  }

  static boolean isServerSide(int kind) {
    return kind == SpanFields.KIND_SERVER || kind == SpanFields.KIND_CONSUMER;
  }

  /** A CLIENT span talking to a database: its edge completes at once, no server span will come. */
  static boolean isDatabase(SpanFields s) {
    return s.kind == SpanFields.KIND_CLIENT && (!s.dbSystem.isEmpty() || !s.dbName().isEmpty());
  }

  // Nodes are written straight into the edge's fields: building a NodeRef message per side of every
  // request only to copy its fields out again was measurable per span.
  private static String namespace(SpanFields s) {
    return !s.serviceNamespace.isEmpty() ? s.serviceNamespace : s.istioNamespace;
  }

  /**
   * A span's service. An Istio proxy's span is named by the proxy's canonical service, as Istio's telemetry and
   * the access-log edges name it: the sidecars report a {@code service.name} of their own ("cart.shop" by
   * Istio's default {@code APP_LABEL_AND_NAMESPACE}), which no application and no access log uses, so a hop
   * traced by sidecars would be a node of its own beside the service's, and counted again beside its logged
   * figures. Any other span keeps its {@code service.name}.
   */
  private static String service(SpanFields s) {
    String canonical = s.istioCanonicalService;
    return !canonical.isEmpty() && s.proxy() ? canonical : s.serviceName;
  }

  private static void clientService(EdgeEvent e, SpanFields s) {
    e.clientName = service(s);
    e.clientNamespace = namespace(s);
    e.clientWorkload = s.istioWorkload;
    e.clientKind = NodeRef.NodeKind.NODE_KIND_SERVICE_VALUE;
  }

  private static void serverService(EdgeEvent e, SpanFields s) {
    e.serverName = service(s);
    e.serverNamespace = namespace(s);
    e.serverWorkload = s.istioWorkload;
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

  /**
   * -1 (unknown, not observed) when a timestamp is missing: ingest keeps such spans, as the Collector does, and a
   * missing start would otherwise count as decades of latency. An end before the start (clock steps) counts as 0,
   * as the Collector's spanmetrics connector does.
   */
  static double durationSeconds(SpanFields s) {
    if (s.startTimeUnixNano == 0 || s.endTimeUnixNano == 0) {
      return -1;
    }
    long d = s.endTimeUnixNano - s.startTimeUnixNano;
    return d > 0 ? d / 1e9 : 0;
  }

  static double weight(SpanFields s) {
    double p = s.samplingProbability;
    return p > 0 && p <= 1 ? 1 / p : 1;
  }

  /**
   * Status ERROR, or a response the access-log rule counts as failed: an HTTP 5xx or a gRPC status other
   * than OK. Instrumentations that never set the span status (Envoy's tracer before 1.31, nginx's
   * module) report failures only through the status code.
   */
  static boolean failed(SpanFields s) {
    return s.status == SpanFields.STATUS_ERROR || (s.httpStatusCode >= 500 && s.httpStatusCode < 600) || s.rpcGrpcStatusCode > 0;
  }

  /** Response classes by HTTP status / 100, and gRPC's codes 0-16: one shared String each, none built per span. */
  private static final String[] HTTP_CLASSES = {"", "1xx", "2xx", "3xx", "4xx", "5xx"};
  private static final String[] GRPC_CODES = new String[17];

  static {
    for (int i = 0; i < GRPC_CODES.length; i++) {
      GRPC_CODES[i] = "grpc_" + i;
    }
  }

  /** Response class from the HTTP status, else the gRPC status, else "" (unknown). */
  static String responseClass(SpanFields s) {
    int http = s.httpStatusCode;
    if (http >= 100 && http < 600) {
      return HTTP_CLASSES[http / 100];
    }
    // Ingest writes -1 when the attribute is absent, so 0 (proto3's default, not on the wire) is gRPC OK.
    int grpc = s.rpcGrpcStatusCode;
    if (grpc >= 0) {
      return grpc < GRPC_CODES.length ? GRPC_CODES[grpc] : "grpc_" + grpc;
    }
    return "";
  }

  /**
   * Envoy tags both sidecars' spans with their own flags. The server side's count, as its response code does and as
   * the access-log path takes the destination's report for the outcome (Istio's reporter rule); the client's only
   * when the server saw none, so flags only the caller's sidecar raised are not lost. Envoy's "-" (none) arrives
   * as "" from ingest.
   */
  static String responseFlags(SpanFields client, SpanFields server) {
    return server.responseFlags.isEmpty() ? client.responseFlags : server.responseFlags;
  }

  private static EdgeEvent base(SpanFields timeSource) {
    EdgeEvent e = new EdgeEvent();
    e.source = TelemetrySource.TELEMETRY_SOURCE_TRACE_VALUE;
    // A span without a start time is timed by its end, not put in a 1970 window that drops it as late.
    long t = timeSource.startTimeUnixNano != 0 ? timeSource.startTimeUnixNano : timeSource.endTimeUnixNano;
    e.timestampMs = t / 1_000_000;
    return e;
  }

  /** A completed client/server pair. */
  static EdgeEvent paired(SpanFields client, SpanFields server) {
    EdgeEvent e = base(client);
    clientService(e, client);
    serverService(e, server);
    boolean messaging = client.kind == SpanFields.KIND_PRODUCER || server.kind == SpanFields.KIND_CONSUMER;
    e.connectionType = messaging ? CONNECTION_MESSAGING : "";
    e.protocol = messaging ? client.messagingSystem : "";
    e.weight = client.samplingProbability > 0 ? weight(client) : weight(server);
    e.failed = failed(client) || failed(server);
    e.clientLatencySeconds = durationSeconds(client);
    e.serverLatencySeconds = durationSeconds(server);
    if (messaging) {
      long queue = server.startTimeUnixNano - client.endTimeUnixNano;
      // Clock skew between hosts can make this negative, a missing timestamp absurd: then it is unknown, not zero.
      boolean known = server.startTimeUnixNano != 0 && client.endTimeUnixNano != 0 && queue > 0;
      e.messagingLatencySeconds = known ? queue / 1e9 : -1;
    }
    String code = responseClass(server);
    e.responseClass = code.isEmpty() ? responseClass(client) : code;
    e.responseFlags = responseFlags(client, server);
    return e;
  }

  /** A database client span: complete at once, both latencies are the client's. */
  static EdgeEvent database(SpanFields client) {
    EdgeEvent e = base(client);
    clientService(e, client);
    serverVirtual(e, SpanAttributes.firstOf(client, DATABASE_PEER), NodeRef.NodeKind.NODE_KIND_UNKNOWN, UNKNOWN);
    e.connectionType = CONNECTION_DATABASE;
    e.protocol = client.dbSystem;
    e.weight = weight(client);
    e.failed = failed(client);
    e.clientLatencySeconds = durationSeconds(client);
    e.serverLatencySeconds = e.clientLatencySeconds;
    e.responseClass = responseClass(client);
    e.responseFlags = client.responseFlags;
    return e;
  }

  /** A client (or producer) whose server never came: the server is named from peer attributes. */
  static EdgeEvent unmatchedClient(SpanFields client, List<String> peerAttributes) {
    EdgeEvent e = base(client);
    clientService(e, client);
    serverVirtual(e, SpanAttributes.firstOf(client, peerAttributes), NodeRef.NodeKind.NODE_KIND_UNKNOWN, UNKNOWN);
    e.connectionType = CONNECTION_VIRTUAL;
    e.weight = weight(client);
    e.failed = failed(client);
    e.clientLatencySeconds = durationSeconds(client);
    e.responseClass = responseClass(client);
    e.responseFlags = client.responseFlags;
    return e;
  }

  /** A root server (or consumer) span: its caller is uninstrumented, named by peer.service or "user". */
  static EdgeEvent rootServer(SpanFields server) {
    EdgeEvent e = base(server);
    clientVirtual(e, server.peerService(), NodeRef.NodeKind.NODE_KIND_USER, USER);
    serverService(e, server);
    e.connectionType = CONNECTION_VIRTUAL;
    e.weight = weight(server);
    e.failed = failed(server);
    e.serverLatencySeconds = durationSeconds(server);
    e.responseClass = responseClass(server);
    e.responseFlags = server.responseFlags;
    return e;
  }
}
