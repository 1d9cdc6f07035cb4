package io.switchyard.xds.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.controlplane.cache.CacheStatusInfo;
import io.envoyproxy.controlplane.cache.DeltaCacheStatusInfo;
import io.envoyproxy.controlplane.cache.DeltaXdsRequest;
import io.envoyproxy.controlplane.cache.Resources.ResourceType;
import io.envoyproxy.controlplane.cache.XdsRequest;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The push order holds when a request reaches the cache while a snapshot is being set. java-control-plane's cache
 * stores the new snapshot first and answers the open watches after; a request arriving in between (typically the
 * client's ACK of the previous routes) was answered at once from the new snapshot, before the open cluster watch,
 * so routes to a new cluster went out before the cluster.
 */
class OrderedSnapshotCacheTest {
  static final Node NODE = Node.newBuilder().setId("sidecar~10.0.0.1~a.default~default.svc.cluster.local")
      .setCluster("edge").build();

  /** Runs {@code between} on the publishing thread after the snapshot is stored and before watches are answered. */
  static final class InterleavingCache extends OrderedSnapshotCache {
    volatile Runnable between;

    InterleavingCache() {
      super(Node::getCluster);
    }

    @Override
    protected void respondWithSpecificOrder(String group, Snapshot previous, Snapshot snapshot,
        Map<ResourceType, CacheStatusInfo<String>> status, Map<ResourceType, DeltaCacheStatusInfo<String>> delta) {
      Runnable r = between;
      if (r != null) {
        r.run();
      }
      super.respondWithSpecificOrder(group, previous, snapshot, status, delta);
    }
  }

  static Snapshot snapshot(String cluster, String version) {
    RouteConfiguration routes = RouteConfiguration.newBuilder().setName("http.8080")
        .addVirtualHosts(VirtualHost.newBuilder().setName("all").addDomains("*")
            .addRoutes(Route.newBuilder().setRoute(RouteAction.newBuilder().setCluster(cluster))))
        .build();
    return Snapshot.create(List.of(Cluster.newBuilder().setName(cluster).build()), version, List.of(), version,
        List.of(), version, List.of(routes), version, List.of(), version);
  }

  /**
   * Starts {@code request} on its own thread from the publishing thread and lets the publish go on once the request
   * is done or waits for the publish, as a request arriving from another stream thread at that moment would.
   */
  static Runnable arrivingNow(Runnable request) {
    return () -> {
      CompletableFuture<Void> done = new CompletableFuture<>();
      Thread t = new Thread(() -> {
        request.run();
        done.complete(null);
      }, "rds-ack");
      t.start();
      await().atMost(Duration.ofSeconds(10))
          .until(() -> done.isDone() || t.getState() == Thread.State.WAITING);
    };
  }

  @Test
  void sotwRouteAckArrivingWhileASnapshotIsSetIsAnsweredAfterTheClusters() {
    InterleavingCache cache = new InterleavingCache();
    cache.setSnapshot("edge", snapshot("v1", "1"));
    List<String> sent = new CopyOnWriteArrayList<>();
    // The client holds clusters and routes of version 1 and ACKed the clusters: a CDS watch is open.
    cache.createWatch(true, XdsRequest.create(DiscoveryRequest.newBuilder().setNode(NODE)
            .setTypeUrl(AdsClient.CDS).setVersionInfo("1").build()),
        Set.of(), r -> sent.add(r.request().getTypeUrl()), false, false);
    // Its ACK of the routes arrives while version 2 (routes to the new cluster v2) is being set.
    cache.between = arrivingNow(() -> cache.createWatch(true, XdsRequest.create(DiscoveryRequest.newBuilder()
            .setNode(NODE).setTypeUrl(AdsClient.RDS).setVersionInfo("1").addResourceNames("http.8080").build()),
        Set.of("http.8080"), r -> sent.add(r.request().getTypeUrl()), false, false));

    cache.setSnapshot("edge", snapshot("v2", "2"));

    await().atMost(Duration.ofSeconds(10)).until(() -> sent.size() == 2);
    assertThat(sent).containsExactly(AdsClient.CDS, AdsClient.RDS);
  }

  @Test
  void deltaRouteAckArrivingWhileASnapshotIsSetIsAnsweredAfterTheClusters() {
    InterleavingCache cache = new InterleavingCache();
    cache.setSnapshot("edge", snapshot("v1", "1"));
    List<String> sent = new CopyOnWriteArrayList<>();
    cache.createDeltaWatch(DeltaXdsRequest.create(DeltaDiscoveryRequest.newBuilder().setNode(NODE)
            .setTypeUrl(AdsClient.CDS).build()),
        "1", Map.of("v1", "1"), Set.of(), true, r -> sent.add(r.request().getTypeUrl()), false);
    cache.between = arrivingNow(() -> cache.createDeltaWatch(DeltaXdsRequest.create(DeltaDiscoveryRequest
            .newBuilder().setNode(NODE).setTypeUrl(AdsClient.RDS).build()),
        "1", Map.of("http.8080", "1"), Set.of(), false, r -> sent.add(r.request().getTypeUrl()), false));

    cache.setSnapshot("edge", snapshot("v2", "2"));

    await().atMost(Duration.ofSeconds(10)).until(() -> sent.size() == 2);
    assertThat(sent).containsExactly(AdsClient.CDS, AdsClient.RDS);
  }

  /**
   * java-control-plane answers an ADS watch only from a snapshot that has every name it asks for, and dropped the watch
   * unanswered when a snapshot lacked one: once a later snapshot had it again (e.g. a listener port moved and moved
   * back before the client saw it), the client, which had nothing new to ask for, was never sent it.
   */
  @Test
  void sotwAdsWatchNamingAResourceASnapshotLacksIsAnsweredByALaterSnapshotThatHasIt() {
    OrderedSnapshotCache cache = new OrderedSnapshotCache(Node::getCluster);
    cache.setSnapshot("edge", snapshot("v1", "1"));
    List<String> sent = new CopyOnWriteArrayList<>();
    cache.createWatch(true, XdsRequest.create(DiscoveryRequest.newBuilder().setNode(NODE).setTypeUrl(AdsClient.RDS)
            .setVersionInfo("1").addResourceNames("http.8080").build()),
        Set.of("http.8080"), r -> sent.add(r.version()), false, false);

    cache.setSnapshot("edge", Snapshot.create(List.of(Cluster.newBuilder().setName("v1").build()), "2", List.of(), "2",
        List.of(), "2",
        List.of(RouteConfiguration.newBuilder().setName("http.8081").build()), "2", List.of(), "2"));
    assertThat(sent).isEmpty();
    cache.setSnapshot("edge", snapshot("v3", "3"));

    assertThat(sent).containsExactly("3");
    assertThat(cache.statusInfo("edge").numWatches()).isZero();
  }

  /** The same for a request naming what the snapshot lacks next to new names it has: it was dropped at once. */
  @Test
  void sotwAdsRequestForNewNamesASnapshotLacksIsAnsweredByALaterSnapshotThatHasThem() {
    OrderedSnapshotCache cache = new OrderedSnapshotCache(Node::getCluster);
    cache.setSnapshot("edge", snapshot("v1", "1"));
    List<String> sent = new CopyOnWriteArrayList<>();
    cache.createWatch(true, XdsRequest.create(DiscoveryRequest.newBuilder().setNode(NODE).setTypeUrl(AdsClient.RDS)
            .addResourceNames("http.8080").addResourceNames("http.9090").build()),
        Set.of(), r -> sent.add(r.version()), false, false);
    assertThat(sent).isEmpty();

    cache.setSnapshot("edge", Snapshot.create(List.of(), "2", List.of(), "2", List.of(), "2",
        List.of(RouteConfiguration.newBuilder().setName("http.8080").build(),
            RouteConfiguration.newBuilder().setName("http.9090").build()), "2", List.of(), "2"));

    assertThat(sent).containsExactly("2");
  }
}
