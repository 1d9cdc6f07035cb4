package io.switchyard.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Held routes and the stream's end: what the library does when a stream closes (close callback, then cancel of every
 * watch) leaves nothing behind and sends nothing, also when a later request or snapshot would have released them.
 */
class RoutesAfterClustersTest {
  static final long STREAM = 7;

  final OrderedSnapshotCache cache = new OrderedSnapshotCache(Node::getCluster);
  final RoutesAfterClusters order = new RoutesAfterClusters(cache, cache::getSnapshot);
  final ConfigWatcher watcher = order.outer(order.inner());
  final List<String> sent = new CopyOnWriteArrayList<>();

  /** The stream was sent clusters of version 1 and has not answered them; it asks for routes it has at version 1. */
  Watch heldRoutes() {
    cache.setSnapshot("edge", OrderedSnapshotCacheTest.snapshot("v1", "1"));
    // The stream asked for clusters (a response always follows a request of its stream).
    order.onV3StreamRequest(STREAM, DiscoveryRequest.newBuilder().setNode(OrderedSnapshotCacheTest.NODE)
        .setTypeUrl(AdsClient.CDS).build());
    order.onV3StreamResponse(STREAM, DiscoveryRequest.getDefaultInstance(), DiscoveryResponse.newBuilder()
        .setTypeUrl(AdsClient.CDS).setVersionInfo("1").setNonce("0").build());
    cache.setSnapshot("edge", OrderedSnapshotCacheTest.snapshot("v2", "2"));
    DiscoveryRequest routes = DiscoveryRequest.newBuilder().setNode(OrderedSnapshotCacheTest.NODE)
        .setTypeUrl(AdsClient.RDS).setVersionInfo("1").addResourceNames("http.8080").build();
    order.onV3StreamRequest(STREAM, routes);
    Watch w = watcher.createWatch(true, XdsRequest.create(routes), Set.of("http.8080"),
        r -> sent.add(r.request().getTypeUrl()), false, false);
    assertThat(sent).isEmpty();
    return w;
  }

  @Test
  void routesOfASnapshotWhoseClustersAreOwedAreHeld() {
    heldRoutes();
    assertThat(sent).isEmpty();
    // The clusters' ACK releases them (answered here by a cluster watch of the same stream).
    DiscoveryRequest ack = DiscoveryRequest.newBuilder().setNode(OrderedSnapshotCacheTest.NODE)
        .setTypeUrl(AdsClient.CDS).setVersionInfo("1").setResponseNonce("0").build();
    order.onV3StreamRequest(STREAM, ack);
    watcher.createWatch(true, XdsRequest.create(ack), Set.of(), r -> {
      order.onV3StreamResponse(STREAM, ack, DiscoveryResponse.newBuilder().setTypeUrl(AdsClient.CDS)
          .setVersionInfo(r.version()).setNonce("1").build());
      sent.add(r.request().getTypeUrl());
    }, false, false);
    assertThat(sent).containsExactly(AdsClient.CDS, AdsClient.RDS);
  }

  @Test
  void aClosedStreamKeepsNothingAndIsSentNothing() {
    Watch held = heldRoutes();
    order.onStreamClose(STREAM, "");
    held.cancel();
    assertThat(order.tracks(STREAM)).isFalse();

    cache.setSnapshot("edge", OrderedSnapshotCacheTest.snapshot("v3", "3"));
    assertThat(sent).isEmpty();
    assertThat(cache.statusInfo("edge").numWatches()).isZero();
  }

  /**
   * The library runs the close callbacks before it cancels the stream's watches, so a snapshot pushed meanwhile still
   * sends on the closing stream: that response must not bring the stream's state back.
   */
  @Test
  void aResponseSentWhileTheStreamClosesKeepsNothing() {
    heldRoutes();
    order.onStreamClose(STREAM, "");
    order.onV3StreamResponse(STREAM, DiscoveryRequest.getDefaultInstance(), DiscoveryResponse.newBuilder()
        .setTypeUrl(AdsClient.CDS).setVersionInfo("2").setNonce("1").build());
    order.onV3StreamDeltaResponse(STREAM, DeltaDiscoveryRequest.getDefaultInstance(),
        DeltaDiscoveryResponse.newBuilder().setTypeUrl(AdsClient.EDS).setSystemVersionInfo("2").setNonce("1").build());
    assertThat(order.tracks(STREAM)).isFalse();
  }

  @Test
  void aNewRequestForTheHeldTypeReplacesTheHeldWatch() {
    Watch held = heldRoutes();
    held.cancel(); // what the library does before it opens the watch of the client's next route request
    DiscoveryRequest ack = DiscoveryRequest.newBuilder().setNode(OrderedSnapshotCacheTest.NODE)
        .setTypeUrl(AdsClient.CDS).setVersionInfo("1").setResponseNonce("0").build();
    order.onV3StreamRequest(STREAM, ack);
    watcher.createWatch(true, XdsRequest.create(ack), Set.of(), r -> sent.add(r.request().getTypeUrl()), false,
        false);
    // The clusters go out; the cancelled routes do not follow them.
    assertThat(sent).containsExactly(AdsClient.CDS);
    assertThat(cache.statusInfo("edge").numWatches()).isZero();
  }
}
