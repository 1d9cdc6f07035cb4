package io.switchyard.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.metrics.Metrics;
import java.time.Clock;
import org.junit.jupiter.api.Test;

class NackGuardTest {
  static final long STREAM = 7;

  final NackGuard guard = new NackGuard(new SimpleCache<String>(Node::getCluster),
      new XdsMetrics(new Metrics(new PrometheusRegistry())), Clock.systemUTC());

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
}
