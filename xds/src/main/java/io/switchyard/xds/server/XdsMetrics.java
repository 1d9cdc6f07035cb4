package io.switchyard.xds.server;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.switchyard.serverkit.metrics.Metrics;

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

  static String shortType(String typeUrl) {
    return typeUrl.substring(typeUrl.lastIndexOf('.') + 1);
  }
}
