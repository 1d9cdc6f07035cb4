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
    addTo(b, e);
    return b.build();
  }

  /** Adds one edge event into a builder in place (the pre-aggregation's mutable accumulator). */
  public static void addTo(EdgeAggregate.Builder b, EdgeEvent e) {
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
      addCode(b.getResponsesBuilderList(), b::addResponsesBuilder, e.responseClass, e.weight);
    }
    for (String flag : flags(e.responseFlags)) {
      addCode(b.getResponseFlagsBuilderList(), b::addResponseFlagsBuilder, flag, e.weight);
    }
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
    addServiceTo(b, e);
    return b.build();
  }

  /** The service this event was served by, as the first state of a per-service accumulator. */
  public static ServiceAggregate.Builder emptyService(EdgeEvent first) {
    return ServiceAggregate.newBuilder().setSchemaVersion(SCHEMA_VERSION).setService(first.serverNode())
        .setSource(first.telemetrySource());
  }

  /** Adds one edge event into a per-service builder in place. */
  public static void addServiceTo(ServiceAggregate.Builder b, EdgeEvent e) {
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
      if (!b.hasLatency()) {
        b.setLatency(LatencyBuckets.emptyHistogram());
      }
      LatencyBuckets.observe(b.getLatencyBuilder(), latency, e.weight);
    }
    if (!e.responseClass.isEmpty()) {
      addCode(b.getResponsesBuilderList(), b::addResponsesBuilder, e.responseClass, e.weight);
    }
    for (String flag : flags(e.responseFlags)) {
      addCode(b.getResponseFlagsBuilderList(), b::addResponseFlagsBuilder, flag, e.weight);
    }
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
