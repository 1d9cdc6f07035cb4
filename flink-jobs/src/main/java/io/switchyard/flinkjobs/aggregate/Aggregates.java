package io.switchyard.flinkjobs.aggregate;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.model.LatencyBuckets;
import io.switchyard.model.v1.CodeCount;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.LatencyHistogram;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.ServiceAggregate;
import java.util.ArrayList;
import java.util.List;

/**
 * Pure accumulation of edge events into the model's aggregate records (mergeable by addition).
 *
 * <p>A window aggregates one hop (source, client and server namespace and name) or one service
 * (source, namespace and name): the identity of the Kafka key and of the topology store's record. The
 * workloads, versions, kinds, connection types and protocols it sums may differ; a field the summed
 * requests disagree on is left empty (kind: the default, service) rather than taken from one of them,
 * and a field they agree on is kept, so a hop seen under one version gives the record it always gave.
 * Where they differ, an edge record also lists the figures per workload identity in {@code workloads}
 * (graphs that show workloads read them; the totals stay the record's own fields).
 */
public final class Aggregates {
  public static final int SCHEMA_VERSION = 1;
  /** Distinct exact response codes an edge record keeps (field 18); later codes count under their class. */
  static final int MAX_RESPONSE_CODES = 12;

  private Aggregates() {}

  public static EdgeAggregate emptyEdge(EdgeEvent first) {
    return EdgeAggregate.newBuilder().setSchemaVersion(SCHEMA_VERSION).setClient(first.clientNode()).setServer(first.serverNode())
        .setSource(first.telemetrySource()).setConnectionType(first.connectionType).setProtocol(first.protocol).build();
  }

  public static EdgeAggregate merge(EdgeAggregate a, EdgeAggregate b) {
    if (!a.hasClient()) {
      return b;
    }
    if (!b.hasClient()) {
      return a;
    }
    EdgeAggregate.Builder m = a.toBuilder();
    m.setClient(commonNode(a.getClient(), b.getClient())).setServer(commonNode(a.getServer(), b.getServer()))
        .setConnectionType(common(a.getConnectionType(), b.getConnectionType())).setProtocol(common(a.getProtocol(), b.getProtocol()));
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
    for (CodeCount c : b.getResponseCodesList()) {
      addCappedCode(m, c.getCode(), c.getCount());
    }
    m.setSentBytes(a.getSentBytes() + b.getSentBytes()).setReceivedBytes(a.getReceivedBytes() + b.getReceivedBytes());
    if (a.getWorkloadsCount() > 0 || b.getWorkloadsCount() > 0 || !sameWorkload(a, b)) {
      m.clearWorkloads().addAllWorkloads(mergeWorkloads(a, b));
    }
    return m.build();
  }

  /**
   * The per-workload entries of two aggregates of one hop: those of {@code a} (or {@code a} itself as its one
   * entry), each added to by {@code b}'s entry of the same workload identity, then {@code b}'s others.
   */
  private static List<EdgeAggregate> mergeWorkloads(EdgeAggregate a, EdgeAggregate b) {
    List<EdgeAggregate> parts = new ArrayList<>(workloadsOf(a));
    for (EdgeAggregate q : workloadsOf(b)) {
      int i = 0;
      while (i < parts.size() && !sameWorkload(parts.get(i), q)) {
        i++;
      }
      if (i < parts.size()) {
        parts.set(i, merge(parts.get(i), q));
      } else {
        parts.add(q);
      }
    }
    return parts;
  }

  private static List<EdgeAggregate> workloadsOf(EdgeAggregate a) {
    return a.getWorkloadsCount() > 0 ? a.getWorkloadsList() : List.of(partOf(a));
  }

  /** Whether two aggregates (or entries) count requests of one workload identity. */
  static boolean sameWorkload(EdgeAggregate a, EdgeAggregate b) {
    return a.getClient().equals(b.getClient()) && a.getServer().equals(b.getServer())
        && a.getConnectionType().equals(b.getConnectionType()) && a.getProtocol().equals(b.getProtocol());
  }

  /** {@code a} as an entry of {@code workloads}: its identity and figures, without window, source or entries. */
  static EdgeAggregate partOf(EdgeAggregate a) {
    return a.toBuilder().clearSchemaVersion().clearSource().clearWindowStartUnixMs().clearWindowEndUnixMs()
        .clearEmittedUnixMs().clearWorkloads().build();
  }

  /** The service this event was served by, as the first state of a per-service accumulator. */
  public static ServiceAggregate.Builder emptyService(EdgeEvent first) {
    return ServiceAggregate.newBuilder().setSchemaVersion(SCHEMA_VERSION).setService(first.serverNode())
        .setSource(first.telemetrySource());
  }

  public static ServiceAggregate mergeService(ServiceAggregate a, ServiceAggregate b) {
    if (!a.hasService()) {
      return b;
    }
    if (!b.hasService()) {
      return a;
    }
    ServiceAggregate.Builder m = a.toBuilder();
    m.setService(commonNode(a.getService(), b.getService()));
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

  /** {@code kept} where the two agree, else empty: the neutral value of a field the key does not fix. */
  static String common(String kept, String seen) {
    return kept.equals(seen) ? kept : "";
  }

  /** {@code kept} where the two agree, else the default kind (a service). */
  static int commonKind(int kept, int seen) {
    return kept == seen ? kept : NodeRef.NodeKind.NODE_KIND_SERVICE_VALUE;
  }

  /** The node of two aggregates of one key: its name and namespace, and each other field where they agree. */
  private static NodeRef commonNode(NodeRef a, NodeRef b) {
    if (a.equals(b)) {
      return a;
    }
    return a.toBuilder().setWorkload(common(a.getWorkload(), b.getWorkload())).setApp(common(a.getApp(), b.getApp()))
        .setVersion(common(a.getVersion(), b.getVersion())).setKindValue(commonKind(a.getKindValue(), b.getKindValue())).build();
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

  /** Adds a code to {@code m}'s exact codes, under its class once the record keeps {@link #MAX_RESPONSE_CODES}. */
  static void addCappedCode(EdgeAggregate.Builder m, String code, double count) {
    List<CodeCount.Builder> existing = m.getResponseCodesBuilderList();
    for (CodeCount.Builder c : existing) {
      if (c.getCode().equals(code)) {
        c.setCount(c.getCount() + count);
        return;
      }
    }
    String kept = existing.size() < MAX_RESPONSE_CODES ? code : codeClass(code);
    addCode(existing, m::addResponseCodesBuilder, kept, count);
  }

  /** The class a response code past the cap counts under: "4xx" for an HTTP status, "grpc" for a gRPC status. */
  static String codeClass(String code) {
    if (code.length() == 3 && Character.isDigit(code.charAt(0))) {
      return code.charAt(0) + "xx";
    }
    return code.equals("-") || code.endsWith("xx") || code.equals("grpc") ? code : "grpc";
  }

  static void addCode(List<CodeCount.Builder> existing, java.util.function.Supplier<CodeCount.Builder> adder,
      String code, double count) {
    for (CodeCount.Builder c : existing) {
      if (c.getCode().equals(code)) {
        c.setCount(c.getCount() + count);
        return;
      }
    }
    adder.get().setCode(code).setCount(count);
  }

  /** Kafka key of an edge aggregate: "client->server" as the topic catalogue says. */
  public static String edgeKafkaKey(EdgeAggregate a) {
    return nodeLabel(a.getClient()) + "->" + nodeLabel(a.getServer());
  }

  public static String serviceKafkaKey(ServiceAggregate a) {
    return nodeLabel(a.getService());
  }

  private static String nodeLabel(NodeRef n) {
    return n.getNamespace().isEmpty() ? n.getName() : n.getName() + "." + n.getNamespace();
  }
}
