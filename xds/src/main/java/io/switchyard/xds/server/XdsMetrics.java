package io.switchyard.xds.server;

import io.envoyproxy.controlplane.cache.Resources;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.switchyard.serverkit.metrics.Metrics;
import java.util.Set;

/** The xDS server's Prometheus metrics, registered once per process. */
final class XdsMetrics {
  final Gauge streams;
  final Counter requests;
  final Counter responses;
  final Counter nacks;
  final Counter deniedStreams;
  final Gauge snapshotVersion;
  final Counter groupsCollected;

  XdsMetrics(Metrics m) {
    streams = m.gauge("switchyard_xds_streams", "Open xDS streams.");
    requests = m.counter("switchyard_xds_requests_total",
        "xDS discovery requests by type and kind (initial, ack, nack).", "type", "kind");
    responses = m.counter("switchyard_xds_responses_total", "xDS responses sent by type.", "type");
    nacks = m.counter("switchyard_xds_nacks_total", "Config rejected by a client, by node group and type.",
        "node_group", "type");
    deniedStreams = m.counter("switchyard_xds_denied_streams_total",
        "Streams refused because the node does not match the client certificate, by reason.", "reason");
    snapshotVersion = m.gauge("switchyard_xds_snapshot_version", "Snapshot version served to a node group.",
        "node_group");
    groupsCollected = m.counter("switchyard_xds_groups_collected_total",
        "Node groups forgotten after their last stream closed.");
  }

  /** The label value of anything a client names that is not one of a bounded set. */
  static final String UNKNOWN = "_unknown_";
  private static final Set<String> SERVED_TYPES = Set.copyOf(Resources.V3.TYPE_URLS);

  /**
   * The type label: a client may send any type URL (java-control-plane passes each one to the callbacks), so only
   * the types the server knows keep their name and every other one is counted under {@link #UNKNOWN}.
   */
  static String typeLabel(String typeUrl) {
    return SERVED_TYPES.contains(typeUrl) ? shortType(typeUrl) : UNKNOWN;
  }

  static String shortType(String typeUrl) {
    return typeUrl.substring(typeUrl.lastIndexOf('.') + 1);
  }
}
