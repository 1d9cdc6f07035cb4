package io.switchyard.flinkjobs.aggregate;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.model.LatencyBuckets;
import io.switchyard.model.v1.CodeCount;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.LatencyHistogram;
import io.switchyard.model.v1.ServiceAggregate;
import java.util.List;

/** Pure accumulation of edge events into the model's aggregate records (mergeable by addition). */
public final class Aggregates {
  public static final int SCHEMA_VERSION = 1;

  private Aggregates() {}

  public static EdgeAggregate emptyEdge(EdgeEvent first) {
    return EdgeAggregate.newBuilder().setSchemaVersion(SCHEMA_VERSION).setClient(first.clientNode()).setServer(first.serverNode())
        .setSource(first.telemetrySource()).setConnectionType(first.connectionType).setProtocol(first.protocol).build();
  }

  public static EdgeAggregate add(EdgeAggregate acc, EdgeEvent e) {
    EdgeAggregate.Builder b = acc.getRequestCount() == 0 && !acc.hasClient() ? emptyEdge(e).toBuilder() : acc.toBuilder();
    b.setRequestCount(b.getRequestCount() + e.weight);
    if (e.failed) {
      b.setFailedCount(b.getFailedCount() + e.weight);
    }
    if (e.clientLatencySeconds >= 0) {
      b.setClientLatency(observe(b.hasClientLatency() ? b.getClientLatency() : null, e.clientLatencySeconds, e.weight));
    }
    if (e.serverLatencySeconds >= 0) {
      b.setServerLatency(observe(b.hasServerLatency() ? b.getServerLatency() : null, e.serverLatencySeconds, e.weight));
    }
    if (e.messagingLatencySeconds >= 0) {
      b.setMessagingLatency(observe(b.hasMessagingLatency() ? b.getMessagingLatency() : null, e.messagingLatencySeconds, e.weight));
    }
    if (!e.responseClass.isEmpty()) {
      addCode(b.getResponsesBuilderList(), b::addResponsesBuilder, e.responseClass, e.weight);
    }
    for (String flag : flags(e.responseFlags)) {
      addCode(b.getResponseFlagsBuilderList(), b::addResponseFlagsBuilder, flag, e.weight);
    }
    return b.build();
  }

  public static EdgeAggregate merge(EdgeAggregate a, EdgeAggregate b) {
    if (!a.hasClient()) {
      return b;
    }
    if (!b.hasClient()) {
      return a;
    }
    EdgeAggregate.Builder m = a.toBuilder();
    m.setRequestCount(a.getRequestCount() + b.getRequestCount());
    m.setFailedCount(a.getFailedCount() + b.getFailedCount());
    m.setClientLatency(mergeHistograms(a.hasClientLatency() ? a.getClientLatency() : null, b.hasClientLatency() ? b.getClientLatency() : null));
    m.setServerLatency(mergeHistograms(a.hasServerLatency() ? a.getServerLatency() : null, b.hasServerLatency() ? b.getServerLatency() : null));
    if (a.hasMessagingLatency() || b.hasMessagingLatency()) {
      m.setMessagingLatency(mergeHistograms(a.hasMessagingLatency() ? a.getMessagingLatency() : null,
          b.hasMessagingLatency() ? b.getMessagingLatency() : null));
    }
    for (CodeCount c : b.getResponsesList()) {
      addCode(m.getResponsesBuilderList(), m::addResponsesBuilder, c.getCode(), c.getCount());
    }
    for (CodeCount c : b.getResponseFlagsList()) {
      addCode(m.getResponseFlagsBuilderList(), m::addResponseFlagsBuilder, c.getCode(), c.getCount());
    }
    return m.build();
  }

  public static ServiceAggregate addService(ServiceAggregate acc, EdgeEvent e) {
    ServiceAggregate.Builder b = acc.toBuilder();
    if (!b.hasService()) {
      b.setSchemaVersion(SCHEMA_VERSION).setService(e.serverNode()).setSource(e.telemetrySource());
    }
    b.setRequestCount(b.getRequestCount() + e.weight);
    if (e.failed) {
      b.setFailedCount(b.getFailedCount() + e.weight);
    }
    // Served latency: the server's own measure, else what the caller saw (virtual and mesh-source edges).
    double latency = e.serverLatencySeconds >= 0 ? e.serverLatencySeconds : e.clientLatencySeconds;
    if (latency >= 0) {
      b.setLatency(observe(b.hasLatency() ? b.getLatency() : null, latency, e.weight));
    }
    if (!e.responseClass.isEmpty()) {
      addCode(b.getResponsesBuilderList(), b::addResponsesBuilder, e.responseClass, e.weight);
    }
    for (String flag : flags(e.responseFlags)) {
      addCode(b.getResponseFlagsBuilderList(), b::addResponseFlagsBuilder, flag, e.weight);
    }
    return b.build();
  }

  public static ServiceAggregate mergeService(ServiceAggregate a, ServiceAggregate b) {
    if (!a.hasService()) {
      return b;
    }
    if (!b.hasService()) {
      return a;
    }
    ServiceAggregate.Builder m = a.toBuilder();
    m.setRequestCount(a.getRequestCount() + b.getRequestCount());
    m.setFailedCount(a.getFailedCount() + b.getFailedCount());
    m.setLatency(mergeHistograms(a.hasLatency() ? a.getLatency() : null, b.hasLatency() ? b.getLatency() : null));
    for (CodeCount c : b.getResponsesList()) {
      addCode(m.getResponsesBuilderList(), m::addResponsesBuilder, c.getCode(), c.getCount());
    }
    for (CodeCount c : b.getResponseFlagsList()) {
      addCode(m.getResponseFlagsBuilderList(), m::addResponseFlagsBuilder, c.getCode(), c.getCount());
    }
    return m.build();
  }

  private static LatencyHistogram observe(LatencyHistogram h, double seconds, double weight) {
    LatencyHistogram.Builder b = h == null ? LatencyBuckets.emptyHistogram() : h.toBuilder();
    LatencyBuckets.observe(b, seconds, weight);
    return b.build();
  }

  private static LatencyHistogram mergeHistograms(LatencyHistogram a, LatencyHistogram b) {
    LatencyHistogram.Builder m = LatencyBuckets.emptyHistogram();
    if (a != null) {
      LatencyBuckets.merge(m, a);
    }
    if (b != null) {
      LatencyBuckets.merge(m, b);
    }
    return m.build();
  }

  private static void addCode(List<CodeCount.Builder> existing, java.util.function.Supplier<CodeCount.Builder> adder,
      String code, double count) {
    for (CodeCount.Builder c : existing) {
      if (c.getCode().equals(code)) {
        c.setCount(c.getCount() + count);
        return;
      }
    }
    adder.get().setCode(code).setCount(count);
  }

  private static List<String> flags(String flags) {
    if (flags.isEmpty()) {
      return List.of();
    }
    return List.of(flags.split(","));
  }

  /** Kafka key of an edge aggregate: "client->server" as the topic catalogue says. */
  public static String edgeKafkaKey(EdgeAggregate a) {
    return nodeLabel(a.getClient()) + "->" + nodeLabel(a.getServer());
  }

  public static String serviceKafkaKey(ServiceAggregate a) {
    return nodeLabel(a.getService());
  }

  private static String nodeLabel(io.switchyard.model.v1.NodeRef n) {
    return n.getNamespace().isEmpty() ? n.getName() : n.getName() + "." + n.getNamespace();
  }
}
