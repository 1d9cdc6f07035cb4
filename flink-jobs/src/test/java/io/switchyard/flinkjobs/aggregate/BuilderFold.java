package io.switchyard.flinkjobs.aggregate;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.model.LatencyBuckets;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.ServiceAggregate;
import java.util.List;

/**
 * The straightforward fold of edge events into protobuf builders, one event at a time: the reference
 * that {@link Partials} must match bit for bit, and against which {@link Aggregates#merge} is checked.
 * Node fields outside the hop's key (workload, version, kind), the connection type and the protocol
 * keep the first event's value while every event agrees on it, and are empty (kind: service) after.
 * From the first event that differs in any of them, the events are also folded per workload identity
 * (both nodes, connection type, protocol) into {@code workloads}, the first entry holding what came before.
 */
final class BuilderFold {
  private BuilderFold() {}

  static EdgeAggregate add(EdgeAggregate acc, EdgeEvent e) {
    boolean first = acc.getRequestCount() == 0 && !acc.hasClient();
    EdgeAggregate.Builder b = first ? Aggregates.emptyEdge(e).toBuilder() : acc.toBuilder();
    EdgeAggregate mine = Aggregates.emptyEdge(e);
    if (!first && (acc.getWorkloadsCount() > 0 || !Aggregates.sameWorkload(acc, mine))) {
      if (acc.getWorkloadsCount() == 0) {
        b.addWorkloads(Aggregates.partOf(acc));
      }
      int i = 0;
      while (i < b.getWorkloadsCount() && !Aggregates.sameWorkload(b.getWorkloads(i), mine)) {
        i++;
      }
      if (i == b.getWorkloadsCount()) {
        b.addWorkloads(Aggregates.partOf(mine));
      }
      EdgeAggregate.Builder entry = b.getWorkloads(i).toBuilder();
      addTo(entry, e);
      b.setWorkloads(i, entry);
    }
    b.setClient(agreed(b.getClient(), e.clientNode())).setServer(agreed(b.getServer(), e.serverNode()));
    if (!b.getConnectionType().equals(e.connectionType)) {
      b.setConnectionType("");
    }
    if (!b.getProtocol().equals(e.protocol)) {
      b.setProtocol("");
    }
    addTo(b, e);
    return b.build();
  }

  private static void addTo(EdgeAggregate.Builder b, EdgeEvent e) {
    b.setRequestCount(b.getRequestCount() + e.weight);
    if (e.failed) {
      b.setFailedCount(b.getFailedCount() + e.weight);
    }
    if (e.clientLatencySeconds >= 0) {
      if (!b.hasClientLatency()) {
        b.setClientLatency(LatencyBuckets.emptyHistogram());
      }
      LatencyBuckets.observe(b.getClientLatencyBuilder(), e.clientLatencySeconds, e.weight);
    }
    if (e.serverLatencySeconds >= 0) {
      if (!b.hasServerLatency()) {
        b.setServerLatency(LatencyBuckets.emptyHistogram());
      }
      LatencyBuckets.observe(b.getServerLatencyBuilder(), e.serverLatencySeconds, e.weight);
    }
    if (e.messagingLatencySeconds >= 0) {
      if (!b.hasMessagingLatency()) {
        b.setMessagingLatency(LatencyBuckets.emptyHistogram());
      }
      LatencyBuckets.observe(b.getMessagingLatencyBuilder(), e.messagingLatencySeconds, e.weight);
    }
    if (!e.responseClass.isEmpty()) {
      Aggregates.addCode(b.getResponsesBuilderList(), b::addResponsesBuilder, e.responseClass, e.weight);
    }
    for (String flag : flags(e.responseFlags)) {
      Aggregates.addCode(b.getResponseFlagsBuilderList(), b::addResponseFlagsBuilder, flag, e.weight);
    }
    if (!e.responseCode.isEmpty()) {
      Aggregates.addCappedCode(b, e.responseCode, e.weight);
    }
    b.setSentBytes(b.getSentBytes() + e.sentBytes * e.weight).setReceivedBytes(b.getReceivedBytes() + e.receivedBytes * e.weight);
  }

  static ServiceAggregate addService(ServiceAggregate acc, EdgeEvent e) {
    ServiceAggregate.Builder b = acc.toBuilder();
    addServiceTo(b, e);
    return b.build();
  }

  private static void addServiceTo(ServiceAggregate.Builder b, EdgeEvent e) {
    if (!b.hasService()) {
      b.setSchemaVersion(Aggregates.SCHEMA_VERSION).setService(e.serverNode()).setSource(e.telemetrySource());
    }
    b.setService(agreed(b.getService(), e.serverNode()));
    b.setRequestCount(b.getRequestCount() + e.weight);
    if (e.failed) {
      b.setFailedCount(b.getFailedCount() + e.weight);
    }
    // Served latency: the server's own measure, else what the caller saw (virtual and mesh-source edges).
    double latency = e.serverLatencySeconds >= 0 ? e.serverLatencySeconds : e.clientLatencySeconds;
    if (latency >= 0) {
      if (!b.hasLatency()) {
        b.setLatency(LatencyBuckets.emptyHistogram());
      }
      LatencyBuckets.observe(b.getLatencyBuilder(), latency, e.weight);
    }
    if (!e.responseClass.isEmpty()) {
      Aggregates.addCode(b.getResponsesBuilderList(), b::addResponsesBuilder, e.responseClass, e.weight);
    }
    for (String flag : flags(e.responseFlags)) {
      Aggregates.addCode(b.getResponseFlagsBuilderList(), b::addResponseFlagsBuilder, flag, e.weight);
    }
  }

  private static NodeRef agreed(NodeRef kept, NodeRef seen) {
    NodeRef.Builder n = kept.toBuilder();
    if (!kept.getWorkload().equals(seen.getWorkload())) {
      n.setWorkload("");
    }
    if (!kept.getVersion().equals(seen.getVersion())) {
      n.setVersion("");
    }
    if (kept.getKind() != seen.getKind()) {
      n.setKind(NodeRef.NodeKind.NODE_KIND_SERVICE);
    }
    return n.build();
  }

  private static List<String> flags(String flags) {
    if (flags.isEmpty()) {
      return List.of();
    }
    return List.of(flags.split(","));
  }
}
