package io.switchyard.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.controlplane.cache.XdsRequest;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.metrics.Metrics;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class NackGuardTest {
  static final long STREAM = 7;

  final PrometheusRegistry registry = new PrometheusRegistry();
  final NackGuard guard = new NackGuard(new SimpleCache<String>(Node::getCluster),
      new XdsMetrics(new Metrics(registry)), Clock.systemUTC(), "edge"::equals);

  /** The library runs the close callbacks before it cancels the stream's watches: a push may still answer one. */
  @Test
  void aResponseSentWhileTheStreamClosesKeepsNothing() {
    guard.onV3StreamRequest(STREAM, DiscoveryRequest.newBuilder().setNode(AdsClient.node("edge"))
        .setTypeUrl(AdsClient.CDS).build());
    guard.onV3StreamResponse(STREAM, DiscoveryRequest.getDefaultInstance(), DiscoveryResponse.newBuilder()
        .setTypeUrl(AdsClient.CDS).setVersionInfo("1").setNonce("0").build());
    assertThat(guard.tracks(STREAM)).isTrue();

    guard.onStreamClose(STREAM, "");
    guard.onV3StreamResponse(STREAM, DiscoveryRequest.getDefaultInstance(), DiscoveryResponse.newBuilder()
        .setTypeUrl(AdsClient.RDS).setVersionInfo("2").setNonce("1").build());
    guard.onV3StreamDeltaResponse(STREAM, DeltaDiscoveryRequest.getDefaultInstance(),
        DeltaDiscoveryResponse.newBuilder().setTypeUrl(AdsClient.EDS).setSystemVersionInfo("2").setNonce("1").build());
    assertThat(guard.tracks(STREAM)).isFalse();
  }

  /** Type URLs and node clusters are whatever a client sends: as label values they would grow /metrics without end. */
  @Test
  void metricLabelsStayBoundedWhateverTypeUrlsAndNodeGroupsClientsSend() {
    for (int i = 0; i < 50; i++) {
      long stream = 100 + i;
      Node node = AdsClient.node("random-" + i);
      String type = "type.googleapis.com/made.up.Type" + i;
      guard.onV3StreamRequest(stream, DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(type).build());
      guard.onV3StreamDeltaRequest(stream, DeltaDiscoveryRequest.newBuilder().setNode(node).setTypeUrl(type).build());
      nack(node, type);
      guard.onStreamClose(stream, "");
    }
    nack(AdsClient.node("edge"), AdsClient.CDS);

    assertThat(labels("switchyard_xds_requests", "type")).containsExactlyInAnyOrder("_unknown_");
    assertThat(labels("switchyard_xds_nacks", "node_group")).containsExactlyInAnyOrder("_unknown_", "edge");
    assertThat(labels("switchyard_xds_nacks", "type")).containsExactlyInAnyOrder("_unknown_", "Cluster");
  }

  private void nack(Node node, String type) {
    XdsRequest request = XdsRequest.create(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(type)
        .setResponseNonce("0").setErrorDetail(com.google.rpc.Status.newBuilder().setMessage("rejected")).build());
    try {
      guard.createWatch(true, request, Set.of(), r -> { }, false, false);
    } catch (RuntimeException e) {
      // The cache refuses a type it does not serve, after the NACK was counted (the library then ends the stream).
    }
  }

  private Set<String> labels(String metric, String label) {
    MetricSnapshot m = registry.scrape().stream().filter(s -> s.getMetadata().getName().equals(metric)).findFirst()
        .orElseThrow();
    List<? extends DataPointSnapshot> points = m.getDataPoints();
    return points.stream().map(p -> p.getLabels().get(label)).collect(Collectors.toSet());
  }
}
