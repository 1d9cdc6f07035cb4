package io.switchyard.topology.query;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/** A service graph over a time window. Rates are requests per second over the window. */
public record Graph(GraphType type, QueryWindow window, List<Node> nodes, List<Edge> edges) {

  /**
   * @param kind service, virtual, unknown, user or grouped (virtual, unknown and user nodes are not
   *     workloads of the mesh)
   */
  public record Node(
      String id,
      String name,
      String namespace,
      String service,
      String workload,
      String app,
      String version,
      String kind,
      boolean root,
      double requestsIn,
      double requestRateIn,
      Double errorPercentIn,
      double requestsOut,
      double requestRateOut,
      Traffic.Latency latencyMs,
      Map<String, Double> responsesIn) {}

  /**
   * @param telemetry "mesh" (access logs), "trace" (paired spans) or "mesh+trace" when different windows
   *     came from different sources; within one window mesh figures replace trace figures, never add
   * @param queueLatencyMs for messaging hops, the time a message waited between its producer's end and its
   *     consumer's start; null (left out of the JSON) for other hops
   * @param responseCodes requests by exact response code (HTTP status, gRPC status number, "-" for no response)
   *     as access logs report them; null (left out) when no window of the edge had any (traces keep only the
   *     class in {@code responses}; TCP has no code)
   * @param bytesSent for TCP edges with access-log windows, bytes the server sent over the window; null (left
   *     out) for other edges (traces count no bytes)
   * @param bytesReceived for TCP edges, bytes the server received; null for other edges
   * @param bytesSentRate {@code bytesSent} per second; null for other edges
   * @param bytesReceivedRate {@code bytesReceived} per second; null for other edges
   */
  public record Edge(
      String id,
      String source,
      String target,
      String connectionType,
      String protocol,
      String telemetry,
      double requests,
      double failed,
      double requestRate,
      Double errorPercent,
      Traffic.Latency latencyMs,
      Traffic.Latency clientLatencyMs,
      @JsonInclude(JsonInclude.Include.NON_NULL) Traffic.Latency queueLatencyMs,
      Map<String, Double> responses,
      Map<String, Double> responseFlags,
      @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Double> responseCodes,
      @JsonInclude(JsonInclude.Include.NON_NULL) Double bytesSent,
      @JsonInclude(JsonInclude.Include.NON_NULL) Double bytesReceived,
      @JsonInclude(JsonInclude.Include.NON_NULL) Double bytesSentRate,
      @JsonInclude(JsonInclude.Include.NON_NULL) Double bytesReceivedRate) {}
}
