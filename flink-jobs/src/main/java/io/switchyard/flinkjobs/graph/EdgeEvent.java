package io.switchyard.flinkjobs.graph;

import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.TelemetrySource;
import java.util.Objects;

/**
 * One request between two nodes, as paired from spans or read from an access log: the unit the
 * aggregation windows count. A Flink POJO (public fields, no-arg constructor) so its state and
 * network format come from Flink's PojoSerializer, never Kryo. Latencies below zero mean "not
 * observed": a virtual edge records only the side that exists instead of a fake zero.
 */
public class EdgeEvent {
  public String clientName = "";
  public String clientNamespace = "";
  public String clientWorkload = "";
  public String clientVersion = "";
  public int clientKind;
  public String serverName = "";
  public String serverNamespace = "";
  public String serverWorkload = "";
  public String serverVersion = "";
  public int serverKind;
  /** {@link TelemetrySource} number. */
  public int source;
  public String connectionType = "";
  public String protocol = "";
  public long timestampMs;
  /** Requests this event stands for: 1 / sampling probability for spans, 1 for access logs. */
  public double weight = 1;
  public boolean failed;
  public double clientLatencySeconds = -1;
  public double serverLatencySeconds = -1;
  public double messagingLatencySeconds = -1;
  /** "2xx", "4xx", "5xx", "grpc_14", "-" (no response) or "" (unknown). */
  public String responseClass = "";
  /** Envoy short response flags, comma separated, "" when none. */
  public String responseFlags = "";
  /**
   * The exact code as Kiali keys it ("200", a gRPC status "14", "-" for no response), "" when unknown or TCP;
   * access-log edges only.
   */
  public String responseCode = "";
  /** Bytes from the server to the client and from the client to the server (access-log edges; 0 otherwise). */
  public long sentBytes;
  public long receivedBytes;

  public EdgeEvent() {}

  public void client(NodeRef n) {
    clientName = n.getName();
    clientNamespace = n.getNamespace();
    clientWorkload = n.getWorkload();
    clientVersion = n.getVersion();
    clientKind = n.getKindValue();
  }

  public void server(NodeRef n) {
    serverName = n.getName();
    serverNamespace = n.getNamespace();
    serverWorkload = n.getWorkload();
    serverVersion = n.getVersion();
    serverKind = n.getKindValue();
  }

  public NodeRef clientNode() {
    return node(clientName, clientNamespace, clientWorkload, clientVersion, clientKind);
  }

  public NodeRef serverNode() {
    return node(serverName, serverNamespace, serverWorkload, serverVersion, serverKind);
  }

  private static NodeRef node(String name, String ns, String workload, String version, int kind) {
    return NodeRef.newBuilder().setName(name).setNamespace(ns).setWorkload(workload).setVersion(version)
        .setKindValue(kind).build();
  }

  public TelemetrySource telemetrySource() {
    return TelemetrySource.forNumber(source);
  }

  /**
   * Identity of the edge a window aggregates over: the source and both nodes' namespace and name, the
   * identity the edges topic's Kafka key and the topology store give a record. Workloads, versions,
   * kinds, the connection type and the protocol of one hop are summed into the same window (the store
   * keeps one record per key, minute and source, so separate windows would overwrite each other).
   */
  public String edgeKey() {
    return source + "|" + clientNamespace + "/" + clientName + "->" + serverNamespace + "/" + serverName;
  }

  /** Identity of the serving node for per-service aggregates: the source, namespace and name. */
  public String serviceKey() {
    return source + "|" + serverNamespace + "/" + serverName;
  }

  // The fields of edgeKey() and serviceKey() compared and hashed in place: the pre-aggregation looks a
  // partial up once per request and builds the key string only once per partial.

  /** A hash of the fields {@link #edgeKey()} is made of. */
  public int edgeHash() {
    return 31 * (31 * serviceHash() + clientNamespace.hashCode()) + clientName.hashCode();
  }

  /** Whether {@code o} has the same fields as this in {@link #edgeKey()}. */
  public boolean sameEdge(EdgeEvent o) {
    return sameService(o) && clientName.equals(o.clientName) && clientNamespace.equals(o.clientNamespace);
  }

  /** A hash of the fields {@link #serviceKey()} is made of. */
  public int serviceHash() {
    return 31 * (31 * source + serverNamespace.hashCode()) + serverName.hashCode();
  }

  /** Whether {@code o} has the same fields as this in {@link #serviceKey()}. */
  public boolean sameService(EdgeEvent o) {
    return source == o.source && serverName.equals(o.serverName) && serverNamespace.equals(o.serverNamespace);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof EdgeEvent e)) {
      return false;
    }
    return clientKind == e.clientKind && serverKind == e.serverKind && source == e.source && timestampMs == e.timestampMs
        && Double.compare(weight, e.weight) == 0 && failed == e.failed
        && Double.compare(clientLatencySeconds, e.clientLatencySeconds) == 0
        && Double.compare(serverLatencySeconds, e.serverLatencySeconds) == 0
        && Double.compare(messagingLatencySeconds, e.messagingLatencySeconds) == 0
        && clientName.equals(e.clientName) && clientNamespace.equals(e.clientNamespace)
        && clientWorkload.equals(e.clientWorkload) && clientVersion.equals(e.clientVersion)
        && serverName.equals(e.serverName) && serverNamespace.equals(e.serverNamespace)
        && serverWorkload.equals(e.serverWorkload) && serverVersion.equals(e.serverVersion)
        && connectionType.equals(e.connectionType) && protocol.equals(e.protocol)
        && responseClass.equals(e.responseClass) && responseFlags.equals(e.responseFlags)
        && responseCode.equals(e.responseCode) && sentBytes == e.sentBytes && receivedBytes == e.receivedBytes;
  }

  @Override
  public int hashCode() {
    return Objects.hash(clientName, serverName, connectionType, timestampMs);
  }

  @Override
  public String toString() {
    return clientName + "(" + clientKind + ") -> " + serverName + "(" + serverKind + ") [" + connectionType + ", source="
        + source + ", failed=" + failed + ", weight=" + weight + ", client=" + clientLatencySeconds + "s, server="
        + serverLatencySeconds + "s, queue=" + messagingLatencySeconds + "s, code=" + responseClass + ", t=" + timestampMs + "]";
  }
}
