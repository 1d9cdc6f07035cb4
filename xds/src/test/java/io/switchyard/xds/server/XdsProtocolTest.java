package io.switchyard.xds.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.rpc.Status;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Protocol corner cases of the xDS server, over real gRPC on loopback with a raw ADS client. */
class XdsProtocolTest extends XdsLoopbackTest {
  static final String REVIEWS = "outbound|9080||reviews.default.svc.cluster.local";
  static final String RATINGS = "outbound|9090||ratings.default.svc.cluster.local";

  static String mesh(String reviewsAddress) {
    return """
        services:
          - name: reviews
            namespace: default
            ports: [{port: 9080}]
            endpoints: [{address: %s}]
          - name: ratings
            namespace: default
            ports: [{port: 9090, protocol: grpc}]
            endpoints: [{address: 10.0.0.9}]
        workloads:
          - name: gateway
            namespace: default
            serviceAccount: client
            nodeGroup: edge
            listenerPort: 8080
            routes:
              - to: [{service: reviews}]
        """.formatted(reviewsAddress);
  }

  void start(String meshText) throws Exception {
    start(meshText, Duration.ofSeconds(5));
  }

  static String address(ClusterLoadAssignment cla) {
    return cla.getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress().getSocketAddress().getAddress();
  }

  static List<String> deltaNames(DeltaDiscoveryResponse r) {
    return r.getResourcesList().stream().map(Resource::getName).toList();
  }

  /** After a delta NACK of a named resource, the fixed resource is delivered once the mesh changes. */
  @Test
  void deltaNackedNamedResourceIsSentAgainWhenItChanges() throws Exception {
    start(mesh("10.0.0.1"));
    try (AdsClient ads = new AdsClient(channel, true)) {
      ads.send(DeltaDiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.EDS)
          .addResourceNamesSubscribe(REVIEWS).build());
      DeltaDiscoveryResponse first = ads.nextDelta();
      assertThat(deltaNames(first)).containsExactly(REVIEWS);
      ads.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(AdsClient.EDS).setResponseNonce(first.getNonce())
          .setErrorDetail(Status.newBuilder().setCode(3).setMessage("endpoint rejected by test")).build());

      reload(mesh("10.0.0.7"));
      DeltaDiscoveryResponse fixed = ads.nextDelta();
      assertThat(fixed.getTypeUrl()).isEqualTo(AdsClient.EDS);
      assertThat(deltaNames(fixed)).containsExactly(REVIEWS);
      assertThat(address(fixed.getResources(0).getResource().unpack(ClusterLoadAssignment.class)))
          .isEqualTo("10.0.0.7");
    }
  }

  /** A reconnecting delta client names what it has; what the server no longer has is reported as removed. */
  @Test
  void deltaReconnectRemovesResourcesTheClientStillHasFromInitialResourceVersions() throws Exception {
    start(mesh("10.0.0.1"));
    String gone = "outbound|9081||details.default.svc.cluster.local";
    try (AdsClient ads = new AdsClient(channel, true)) {
      ads.send(DeltaDiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.CDS)
          .putInitialResourceVersions(REVIEWS, "old").putInitialResourceVersions(gone, "old").build());
      DeltaDiscoveryResponse first = ads.nextDelta();
      assertThat(deltaNames(first)).contains(REVIEWS, RATINGS);
      assertThat(first.getRemovedResourcesList()).containsExactly(gone);
      ads.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(AdsClient.CDS).setResponseNonce(first.getNonce()).build());

      // The removal is not repeated with the next update.
      reload(mesh("10.0.0.1").replace("ports: [{port: 9080}]", "ports: [{port: 9080}]\n    connectTimeout: 3s"));
      DeltaDiscoveryResponse next = ads.nextDelta();
      assertThat(deltaNames(next)).containsExactly(REVIEWS);
      assertThat(next.getRemovedResourcesList()).isEmpty();
    }
  }

  static DeltaDiscoveryRequest deltaAck(DeltaDiscoveryResponse r) {
    return DeltaDiscoveryRequest.newBuilder().setTypeUrl(r.getTypeUrl()).setResponseNonce(r.getNonce()).build();
  }

  /**
   * Envoy may ACK the same delta response twice (e.g. after re-subscribing). java-control-plane 1.0.49 looks the nonce
   * up, finds nothing the second time and throws, which closes the stream.
   */
  @Test
  void deltaDuplicateAckKeepsTheStreamOpen() throws Exception {
    start(mesh("10.0.0.1"));
    try (AdsClient ads = new AdsClient(channel, true)) {
      ads.send(DeltaDiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.EDS)
          .addResourceNamesSubscribe(REVIEWS).build());
      DeltaDiscoveryResponse first = ads.nextDelta();
      ads.send(deltaAck(first));
      ads.send(deltaAck(first));

      // The stream still answers: a new subscription is served, and so is a later change.
      ads.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(AdsClient.EDS).addResourceNamesSubscribe(RATINGS).build());
      DeltaDiscoveryResponse ratings = ads.nextDelta();
      assertThat(deltaNames(ratings)).containsExactly(RATINGS);
      ads.send(deltaAck(ratings));
      reload(mesh("10.0.0.7"));
      DeltaDiscoveryResponse changed = ads.nextDelta();
      assertThat(deltaNames(changed)).containsExactly(REVIEWS);
      assertThat(ads.closed).isNotDone();
    }
  }

  /**
   * A duplicate ACK that also changes the subscription: the change still counts (the protocol says subscriptions change
   * even with a stale nonce), only the acknowledgement is not applied twice.
   */
  @Test
  void deltaDuplicateAckWithANewSubscriptionIsServed() throws Exception {
    start(mesh("10.0.0.1"));
    try (AdsClient ads = new AdsClient(channel, true)) {
      ads.send(DeltaDiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.EDS)
          .addResourceNamesSubscribe(REVIEWS).build());
      DeltaDiscoveryResponse first = ads.nextDelta();
      ads.send(deltaAck(first));
      ads.send(deltaAck(first).toBuilder().addResourceNamesSubscribe(RATINGS).build());
      DeltaDiscoveryResponse ratings = ads.nextDelta();
      assertThat(deltaNames(ratings)).containsExactly(RATINGS);
      assertThat(ads.closed).isNotDone();
    }
  }

  static final String DETAILS = "outbound|9081||details.default.svc.cluster.local";

  static String meshWithDetails() {
    return mesh("10.0.0.1").replace("workloads:", """
          - name: details
            namespace: default
            ports: [{port: 9081}]
            endpoints: [{address: 10.0.0.5}]
        workloads:""");
  }

  /** The mesh of {@link #meshWithDetails()} with the gateway's route moved to details, a cluster the edit adds. */
  static String meshRoutingToDetails() {
    return meshWithDetails().replace("- to: [{service: reviews}]", "- to: [{service: details}]");
  }

  /**
   * xds_protocol.rst, incremental "Knowing When a Requested Resource Does Not Exist": a subscribed name the server does
   * not have comes back in removed_resources, so the client need not wait for its initial fetch timeout.
   */
  @Test
  void deltaSubscriptionToAMissingResourceIsAnsweredWithItsRemoval() throws Exception {
    start(mesh("10.0.0.1"));
    try (AdsClient ads = new AdsClient(channel, true)) {
      ads.send(DeltaDiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.EDS)
          .addResourceNamesSubscribe(REVIEWS).addResourceNamesSubscribe(DETAILS).build());
      DeltaDiscoveryResponse first = ads.nextDelta();
      assertThat(deltaNames(first)).containsExactly(REVIEWS);
      assertThat(first.getRemovedResourcesList()).containsExactly(DETAILS);
    }
  }

  /**
   * A later subscription (the stream is up to date) to a missing name is answered too, only once, and the name stays
   * subscribed: when the resource appears it is sent.
   */
  @Test
  void deltaMissingResourceIsReportedOnceAndSentWhenItAppears() throws Exception {
    start(mesh("10.0.0.1"));
    try (AdsClient ads = new AdsClient(channel, true)) {
      ads.send(DeltaDiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.EDS)
          .addResourceNamesSubscribe(REVIEWS).build());
      ads.send(deltaAck(ads.nextDelta()));
      ads.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(AdsClient.EDS).addResourceNamesSubscribe(DETAILS).build());
      DeltaDiscoveryResponse missing = ads.nextDelta();
      assertThat(deltaNames(missing)).isEmpty();
      assertThat(missing.getRemovedResourcesList()).containsExactly(DETAILS);
      ads.send(deltaAck(missing));

      // Were the removal repeated after the ACK, it would come before the answer to this subscription.
      ads.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(AdsClient.EDS).addResourceNamesSubscribe(RATINGS).build());
      DeltaDiscoveryResponse ratings = ads.nextDelta();
      assertThat(deltaNames(ratings)).containsExactly(RATINGS);
      assertThat(ratings.getRemovedResourcesList()).isEmpty();
      ads.send(deltaAck(ratings));

      reload(meshWithDetails());
      DeltaDiscoveryResponse appeared = ads.nextDelta();
      assertThat(deltaNames(appeared)).containsExactly(DETAILS);
      assertThat(appeared.getRemovedResourcesList()).isEmpty();
    }
  }

  /** Subscribing again to a name reported missing asks again: it is reported again. */
  @Test
  void deltaResubscriptionToAMissingResourceIsAnsweredAgain() throws Exception {
    start(mesh("10.0.0.1"));
    try (AdsClient ads = new AdsClient(channel, true)) {
      ads.send(DeltaDiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.EDS)
          .addResourceNamesSubscribe(DETAILS).build());
      DeltaDiscoveryResponse missing = ads.nextDelta();
      assertThat(missing.getRemovedResourcesList()).containsExactly(DETAILS);
      ads.send(deltaAck(missing));
      ads.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(AdsClient.EDS).addResourceNamesSubscribe(DETAILS).build());
      DeltaDiscoveryResponse again = ads.nextDelta();
      assertThat(again.getRemovedResourcesList()).containsExactly(DETAILS);
    }
  }

  /** Clusters too: a delta stream naming a cluster the group does not have is told so (on-demand CDS relies on it). */
  @Test
  void deltaClusterSubscriptionToAMissingClusterIsAnsweredWithItsRemoval() throws Exception {
    start(mesh("10.0.0.1"));
    try (AdsClient ads = new AdsClient(channel, true)) {
      ads.send(DeltaDiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.CDS)
          .addResourceNamesSubscribe(REVIEWS).addResourceNamesSubscribe(DETAILS).build());
      DeltaDiscoveryResponse first = ads.nextDelta();
      assertThat(deltaNames(first)).containsExactly(REVIEWS);
      assertThat(first.getRemovedResourcesList()).containsExactly(DETAILS);
    }
  }

  static DeltaDiscoveryRequest subscribe(String typeUrl, String... names) {
    return DeltaDiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(typeUrl)
        .addAllResourceNamesSubscribe(List.of(names)).build();
  }

  /**
   * xds_protocol.rst: a resource the server removed stays subscribed; when it exists again it is sent. The library
   * forgets a named resource once it sent its removal, so it never came back.
   */
  @Test
  void deltaNamedResourceRemovedByTheServerIsSentAgainWhenItComesBack() throws Exception {
    start(meshWithDetails(), Duration.ZERO);
    try (AdsClient ads = new AdsClient(channel, true)) {
      ads.send(subscribe(AdsClient.EDS, DETAILS));
      DeltaDiscoveryResponse first = ads.nextDelta();
      assertThat(deltaNames(first)).containsExactly(DETAILS);
      ads.send(deltaAck(first));

      reload(mesh("10.0.0.1"));
      DeltaDiscoveryResponse removed = ads.nextDelta();
      assertThat(deltaNames(removed)).isEmpty();
      assertThat(removed.getRemovedResourcesList()).containsExactly(DETAILS);
      ads.send(deltaAck(removed));

      reload(meshWithDetails());
      DeltaDiscoveryResponse back = ads.nextDelta();
      assertThat(back.getTypeUrl()).isEqualTo(AdsClient.EDS);
      assertThat(deltaNames(back)).containsExactly(DETAILS);
      assertThat(back.getRemovedResourcesList()).isEmpty();
    }
  }

  /** The same for a cluster a non-wildcard delta CDS stream names (on-demand CDS). */
  @Test
  void deltaNamedClusterRemovedByTheServerIsSentAgainWhenItComesBack() throws Exception {
    start(meshWithDetails(), Duration.ZERO);
    try (AdsClient ads = new AdsClient(channel, true)) {
      ads.send(subscribe(AdsClient.CDS, DETAILS));
      DeltaDiscoveryResponse first = ads.nextDelta();
      assertThat(deltaNames(first)).containsExactly(DETAILS);
      ads.send(deltaAck(first));

      reload(mesh("10.0.0.1"));
      DeltaDiscoveryResponse removed = ads.nextDelta();
      assertThat(removed.getRemovedResourcesList()).containsExactly(DETAILS);
      ads.send(deltaAck(removed));

      reload(meshWithDetails());
      DeltaDiscoveryResponse back = ads.nextDelta();
      assertThat(deltaNames(back)).containsExactly(DETAILS);
    }
  }

  /**
   * A reconnecting client's initial_resource_versions name endpoints it holds, hence wants: one the server no longer
   * has is removed, and sent when it comes back.
   */
  @Test
  void deltaReconnectedEndpointRemovedByTheServerIsSentWhenItComesBack() throws Exception {
    start(mesh("10.0.0.1"), Duration.ZERO);
    try (AdsClient ads = new AdsClient(channel, true)) {
      ads.send(DeltaDiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.EDS)
          .putInitialResourceVersions(DETAILS, "old").build());
      DeltaDiscoveryResponse removed = ads.nextDelta();
      assertThat(removed.getRemovedResourcesList()).containsExactly(DETAILS);
      ads.send(deltaAck(removed));

      reload(meshWithDetails());
      DeltaDiscoveryResponse back = ads.nextDelta();
      assertThat(deltaNames(back)).containsExactly(DETAILS);
    }
  }

  /** The server's removal counts as the answer for the name: the ACK of it is not followed by another removal. */
  @Test
  void deltaRemovalByTheServerIsNotRepeated() throws Exception {
    start(meshWithDetails(), Duration.ZERO);
    try (AdsClient ads = new AdsClient(channel, true)) {
      ads.send(subscribe(AdsClient.EDS, DETAILS));
      ads.send(deltaAck(ads.nextDelta()));
      reload(mesh("10.0.0.1"));
      DeltaDiscoveryResponse removed = ads.nextDelta();
      assertThat(removed.getRemovedResourcesList()).containsExactly(DETAILS);
      ads.send(deltaAck(removed));

      // Were the removal repeated after the ACK, it would come before the answer to this subscription.
      ads.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(AdsClient.EDS).addResourceNamesSubscribe(RATINGS).build());
      DeltaDiscoveryResponse ratings = ads.nextDelta();
      assertThat(deltaNames(ratings)).containsExactly(RATINGS);
      assertThat(ratings.getRemovedResourcesList()).isEmpty();
      ads.send(deltaAck(ratings));
      // Nor with the next update of another resource.
      reload(mesh("10.0.0.1").replace("10.0.0.9", "10.0.0.8"));
      DeltaDiscoveryResponse changed = ads.nextDelta();
      assertThat(deltaNames(changed)).containsExactly(RATINGS);
      assertThat(changed.getRemovedResourcesList()).isEmpty();
    }
  }

  /** A name the client unsubscribed from after its removal is not sent when it comes back. */
  @Test
  void deltaUnsubscribedNameIsNotSentWhenItComesBack() throws Exception {
    start(meshWithDetails(), Duration.ZERO);
    try (AdsClient ads = new AdsClient(channel, true)) {
      ads.send(subscribe(AdsClient.EDS, DETAILS, RATINGS));
      ads.send(deltaAck(ads.nextDelta()));
      reload(mesh("10.0.0.1"));
      DeltaDiscoveryResponse removed = ads.nextDelta();
      assertThat(removed.getRemovedResourcesList()).containsExactly(DETAILS);
      ads.send(deltaAck(removed).toBuilder().addResourceNamesUnsubscribe(DETAILS).build());

      // Details comes back and ratings changes in the same edit: only ratings is sent.
      reload(meshWithDetails().replace("10.0.0.9", "10.0.0.8"));
      DeltaDiscoveryResponse next = ads.nextDelta();
      assertThat(deltaNames(next)).containsExactly(RATINGS);
    }
  }

  static DeltaDiscoveryRequest deltaNack(DeltaDiscoveryResponse r) {
    return deltaAck(r).toBuilder()
        .setErrorDetail(Status.newBuilder().setCode(3).setMessage("rejected by test")).build();
  }

  /**
   * A rejected delta cluster update still counts as held after the next ACK (found by XdsOrderingFuzzTest):
   * java-control-plane applies a response to what it tracks only on its ACK, so the removal of a NACKed update was
   * forgotten once a later update was ACKed; when the cluster came back it was never sent, and the routes to it went
   * out to a client that did not have it.
   */
  @Test
  void deltaClusterRemovedByARejectedUpdateIsSentWhenItComesBackAfterALaterAck() throws Exception {
    start(meshWithDetails(), Duration.ZERO);
    try (AdsClient ads = new AdsClient(channel, true)) {
      ads.send(DeltaDiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.CDS).build());
      DeltaDiscoveryResponse all = ads.nextDelta();
      assertThat(deltaNames(all)).contains(DETAILS);
      ads.send(deltaAck(all));

      reload(mesh("10.0.0.1"));
      DeltaDiscoveryResponse removed = ads.nextDelta();
      assertThat(removed.getRemovedResourcesList()).containsExactly(DETAILS);
      ads.send(deltaNack(removed));
      reload(mesh("10.0.0.1").replace("ports: [{port: 9080}]", "ports: [{port: 9080}]\n    connectTimeout: 3s"));
      DeltaDiscoveryResponse changed = ads.nextDelta();
      assertThat(deltaNames(changed)).containsExactly(REVIEWS);
      ads.send(deltaAck(changed));

      reload(meshRoutingToDetails());
      DeltaDiscoveryResponse back = ads.nextDelta();
      assertThat(back.getTypeUrl()).isEqualTo(AdsClient.CDS);
      assertThat(deltaNames(back)).contains(DETAILS);
    }
  }

  /** The other half: a cluster a rejected delta update added is removed when the mesh drops it after a later ACK. */
  @Test
  void deltaClusterAddedByARejectedUpdateIsRemovedAfterALaterAck() throws Exception {
    start(mesh("10.0.0.1"), Duration.ZERO);
    try (AdsClient ads = new AdsClient(channel, true)) {
      ads.send(DeltaDiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.CDS).build());
      ads.send(deltaAck(ads.nextDelta()));

      reload(meshWithDetails());
      DeltaDiscoveryResponse added = ads.nextDelta();
      assertThat(deltaNames(added)).containsExactly(DETAILS);
      ads.send(deltaNack(added));
      reload(meshWithDetails().replace("ports: [{port: 9080}]", "ports: [{port: 9080}]\n    connectTimeout: 3s"));
      DeltaDiscoveryResponse changed = ads.nextDelta();
      assertThat(deltaNames(changed)).containsExactly(REVIEWS);
      ads.send(deltaAck(changed));

      reload(mesh("10.0.0.1").replace("10.0.0.9", "10.0.0.8"));
      DeltaDiscoveryResponse dropped = ads.nextDelta();
      assertThat(dropped.getTypeUrl()).isEqualTo(AdsClient.CDS);
      assertThat(dropped.getRemovedResourcesList()).containsExactly(DETAILS);
    }
  }

  /**
   * A state-of-the-world client holds only what it asks for: routes it dropped (its listener went away) and asks for
   * again at the version it last accepted (the listener came back) are sent again. java-control-plane took them for
   * known, as the client had ACKed them once, and left the client without routes until they next changed.
   */
  @Test
  void sotwRoutesDroppedAndAskedForAgainAreSentAgain() throws Exception {
    start(mesh("10.0.0.1"));
    try (AdsClient ads = new AdsClient(channel, false)) {
      ads.send(DiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.RDS)
          .addResourceNames("http.8080").build());
      DiscoveryResponse rds = ads.next();
      assertThat(rds.getTypeUrl()).isEqualTo(AdsClient.RDS);
      assertThat(rds.getResourcesCount()).isEqualTo(1);
      ads.send(AdsClient.ack(rds, List.of()));
      ads.send(AdsClient.ack(rds, List.of("http.8080")));
      DiscoveryResponse again = ads.next();
      assertThat(again.getTypeUrl()).isEqualTo(AdsClient.RDS);
      assertThat(again.getResources(0).unpack(RouteConfiguration.class).getName()).isEqualTo("http.8080");
    }
  }

  /** An EDS request naming no resource wants none: nothing is sent, not every endpoint of the group. */
  @Test
  void sotwEndpointRequestWithoutNamesGetsNoEndpoints() throws Exception {
    start(mesh("10.0.0.1"));
    try (AdsClient ads = new AdsClient(channel, false)) {
      ads.send(DiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.EDS).build());
      reload(mesh("10.0.0.7"));
      // Requests on one stream are handled in order: once this answer is here, the EDS one has been seen.
      ads.send(DiscoveryRequest.newBuilder().setTypeUrl(AdsClient.CDS).build());
      DiscoveryResponse cds = ads.next();
      assertThat(cds.getTypeUrl()).isEqualTo(AdsClient.CDS);
      assertThat(ads.responses.poll(300, TimeUnit.MILLISECONDS)).isNull();
    }
  }

  /** Moving a service block in the mesh file changes no resource: no node group gets a new version. */
  @Test
  void reorderedMeshWithTheSameResourcesKeepsTheSnapshotVersion() throws Exception {
    start(mesh("10.0.0.1"));
    String before = server.snapshotVersion("edge").orElseThrow();
    String reviews = "  - name: reviews\n    namespace: default\n    ports: [{port: 9080}]\n"
        + "    endpoints: [{address: 10.0.0.1}]\n";
    String reordered = mesh("10.0.0.1").replace(reviews, "").replace("workloads:", reviews + "workloads:");
    assertThat(reordered).isNotEqualTo(mesh("10.0.0.1"));
    Files.writeString(meshFile, reordered);
    server.reloadNow();
    assertThat(server.snapshotVersion("edge")).contains(before);
  }

  static String subsetMesh(String subset) {
    return """
        services:
          - name: reviews
            namespace: default
            ports: [{port: 9080}]
            endpoints:
              - {address: 10.0.0.1, labels: {version: v1}}
              - {address: 10.0.0.2, labels: {version: v2}}
        workloads:
          - name: gateway
            namespace: default
            nodeGroup: edge
            listenerPort: 8080
            routes:
              - to: [{service: reviews, subset: %s}]
        """.formatted(subset);
  }

  static final String REVIEWS_V1 = "outbound|9080|v1|reviews.default.svc.cluster.local";
  static final String REVIEWS_V2 = "outbound|9080|v2|reviews.default.svc.cluster.local";

  static List<String> clusterNames(DiscoveryResponse r) throws Exception {
    List<String> out = new java.util.ArrayList<>();
    for (com.google.protobuf.Any a : r.getResourcesList()) {
      out.add(a.unpack(io.envoyproxy.envoy.config.cluster.v3.Cluster.class).getName());
    }
    return out;
  }

  /**
   * Make before break: moving a route from one cluster to another that replaces it keeps the old cluster until the
   * new routes are out; only then is it removed.
   */
  @Test
  void clusterDroppedByAnEditIsRemovedOnlyAfterTheRoutesMovedAway() throws Exception {
    start(subsetMesh("v1"), Duration.ofMillis(500));
    try (AdsClient ads = new AdsClient(channel, false)) {
      ads.send(DiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.CDS).build());
      DiscoveryResponse cds = ads.next();
      assertThat(clusterNames(cds)).contains(REVIEWS_V1).doesNotContain(REVIEWS_V2);
      ads.send(AdsClient.ack(cds, List.of()));
      ads.send(DiscoveryRequest.newBuilder().setTypeUrl(AdsClient.RDS).addResourceNames("http.8080").build());
      DiscoveryResponse rds = ads.next();
      assertThat(rds.getTypeUrl()).isEqualTo(AdsClient.RDS);
      ads.send(AdsClient.ack(rds, List.of("http.8080")));

      reload(subsetMesh("v2"));
      DiscoveryResponse both = ads.next();
      assertThat(both.getTypeUrl()).isEqualTo(AdsClient.CDS);
      assertThat(clusterNames(both)).contains(REVIEWS_V1, REVIEWS_V2);
      ads.send(AdsClient.ack(both, List.of()));
      DiscoveryResponse rerouted = ads.next();
      assertThat(rerouted.getTypeUrl()).isEqualTo(AdsClient.RDS);
      assertThat(rerouted.getResources(0).unpack(io.envoyproxy.envoy.config.route.v3.RouteConfiguration.class)
          .getVirtualHosts(0).getRoutes(0).getRoute().getCluster()).isEqualTo(REVIEWS_V2);
      ads.send(AdsClient.ack(rerouted, List.of("http.8080")));

      DiscoveryResponse after = ads.next();
      assertThat(after.getTypeUrl()).isEqualTo(AdsClient.CDS);
      assertThat(clusterNames(after)).contains(REVIEWS_V2).doesNotContain(REVIEWS_V1);
      assertThat(ads.responses.poll(700, TimeUnit.MILLISECONDS)).isNull();
    }
  }

  static final String ROUTES = "http.8080";

  static String routedCluster(DiscoveryResponse rds) throws Exception {
    return rds.getResources(0).unpack(io.envoyproxy.envoy.config.route.v3.RouteConfiguration.class)
        .getVirtualHosts(0).getRoutes(0).getRoute().getCluster();
  }

  static String routedCluster(DeltaDiscoveryResponse rds) throws Exception {
    return rds.getResources(0).getResource().unpack(io.envoyproxy.envoy.config.route.v3.RouteConfiguration.class)
        .getVirtualHosts(0).getRoutes(0).getRoute().getCluster();
  }

  /** A delta sidecar of group edge that asked for and ACKed every cluster, these endpoints and the routes. */
  static void holdClustersEndpointsAndRoutes(AdsClient ads, String... endpoints) throws Exception {
    ads.send(DeltaDiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.CDS).build());
    ads.send(deltaAck(ads.nextDelta()));
    ads.send(subscribe(AdsClient.EDS, endpoints));
    ads.send(deltaAck(ads.nextDelta()));
    ads.send(subscribe(AdsClient.RDS, ROUTES));
    ads.send(deltaAck(ads.nextDelta()));
  }

  static List<String> endpointNames(DiscoveryResponse eds) throws Exception {
    List<String> out = new java.util.ArrayList<>();
    for (com.google.protobuf.Any a : eds.getResourcesList()) {
      out.add(a.unpack(ClusterLoadAssignment.class).getClusterName());
    }
    return out;
  }

  /** The next response of the type; it and those before it are added to {@code seen}. */
  static DiscoveryResponse nextOf(AdsClient ads, String typeUrl, List<DiscoveryResponse> seen) throws Exception {
    while (true) {
      DiscoveryResponse r = ads.next();
      seen.add(r);
      if (r.getTypeUrl().equals(typeUrl)) {
        return r;
      }
    }
  }

  /**
   * An Envoy-like SotW ADS client that subscribed to everything and ACKed it all: CDS, EDS, LDS, RDS (the responses,
   * in that order).
   */
  static List<DiscoveryResponse> subscribeAll(AdsClient ads) throws Exception {
    ads.send(DiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.CDS).build());
    DiscoveryResponse cds = ads.next();
    assertThat(cds.getTypeUrl()).isEqualTo(AdsClient.CDS);
    ads.send(AdsClient.ack(cds, List.of()));
    ads.send(DiscoveryRequest.newBuilder().setTypeUrl(AdsClient.EDS).addAllResourceNames(clusterNames(cds)).build());
    DiscoveryResponse eds = ads.next();
    assertThat(eds.getTypeUrl()).isEqualTo(AdsClient.EDS);
    ads.send(AdsClient.ack(eds, clusterNames(cds)));
    ads.send(DiscoveryRequest.newBuilder().setTypeUrl(AdsClient.LDS).build());
    DiscoveryResponse lds = ads.next();
    assertThat(lds.getTypeUrl()).isEqualTo(AdsClient.LDS);
    ads.send(AdsClient.ack(lds, List.of()));
    ads.send(DiscoveryRequest.newBuilder().setTypeUrl(AdsClient.RDS).addResourceNames(ROUTES).build());
    DiscoveryResponse rds = ads.next();
    assertThat(rds.getTypeUrl()).isEqualTo(AdsClient.RDS);
    ads.send(AdsClient.ack(rds, List.of(ROUTES)));
    return List.of(cds, eds, lds, rds);
  }

  static String withReviewsTimeout(String mesh, String timeout) {
    return mesh.replace("ports: [{port: 9080}]", "ports: [{port: 9080}]\n    connectTimeout: " + timeout);
  }

  /**
   * xds_protocol.rst "Eventual consistency considerations": routes go out after the clusters and endpoints they use.
   * An edit adds a cluster and a route to it while the client still owes the ACK of an earlier cluster update: the
   * routes wait for that ACK, which is answered with the new clusters, and for the endpoints the client then asks for.
   * java-control-plane alone sent the routes at once, a round trip ahead of their cluster (Envoy: 503 NC meanwhile).
   */
  @Test
  void sotwRoutesToANewClusterWaitForTheClusterUpdateTheClientHasNotAckedYet() throws Exception {
    start(mesh("10.0.0.1"));
    try (AdsClient ads = new AdsClient(channel, false)) {
      subscribeAll(ads);

      // A cluster-changing edit: the client gets the clusters and does not ACK them yet.
      reload(withReviewsTimeout(mesh("10.0.0.1"), "3s"));
      DiscoveryResponse changed = ads.next();
      assertThat(changed.getTypeUrl()).isEqualTo(AdsClient.CDS);
      assertThat(clusterNames(changed)).doesNotContain(DETAILS);

      // A second edit adds the details cluster and moves the route to it while that ACK is on its way.
      reload(withReviewsTimeout(meshRoutingToDetails(), "3s"));
      ads.send(AdsClient.ack(changed, List.of()));
      List<DiscoveryResponse> seen = new ArrayList<>();
      DiscoveryResponse clusters = nextOf(ads, AdsClient.CDS, seen);
      assertThat(seen).extracting(DiscoveryResponse::getTypeUrl).doesNotContain(AdsClient.RDS, AdsClient.LDS);
      assertThat(clusterNames(clusters)).contains(DETAILS);

      // As Envoy, the client ACKs the clusters and asks for the endpoints of the new one.
      ads.send(AdsClient.ack(clusters, List.of()));
      DiscoveryResponse lastEds = seen.stream().filter(r -> r.getTypeUrl().equals(AdsClient.EDS))
          .reduce((a, b) -> b).orElseThrow();
      ads.send(AdsClient.ack(lastEds, clusterNames(clusters)));
      DiscoveryResponse routes = nextOf(ads, AdsClient.RDS, seen);
      assertThat(routedCluster(routes)).isEqualTo(DETAILS);
      assertThat(seen.subList(0, seen.size() - 1)).filteredOn(r -> r.getTypeUrl().equals(AdsClient.EDS))
          .last().satisfies(eds -> assertThat(endpointNames(eds)).contains(DETAILS));
    }
  }

  /** Held routes go out from the newest snapshot: an edit made while they wait replaces them, never sent stale. */
  @Test
  void sotwHeldRoutesAreThoseOfTheNewestSnapshot() throws Exception {
    start(mesh("10.0.0.1"));
    try (AdsClient ads = new AdsClient(channel, false)) {
      subscribeAll(ads);
      reload(withReviewsTimeout(mesh("10.0.0.1"), "3s"));
      DiscoveryResponse changed = ads.next();
      assertThat(changed.getTypeUrl()).isEqualTo(AdsClient.CDS);
      reload(withReviewsTimeout(meshRoutingToDetails(), "3s"));
      // While those routes wait, the route moves on to ratings (details stays: it is still a service).
      reload(withReviewsTimeout(meshWithDetails(), "3s").replace("- to: [{service: reviews}]",
          "- to: [{service: ratings}]"));

      ads.send(AdsClient.ack(changed, List.of()));
      List<DiscoveryResponse> seen = new ArrayList<>();
      DiscoveryResponse clusters = nextOf(ads, AdsClient.CDS, seen);
      ads.send(AdsClient.ack(clusters, List.of()));
      DiscoveryResponse lastEds = seen.stream().filter(r -> r.getTypeUrl().equals(AdsClient.EDS))
          .reduce((a, b) -> b).orElseThrow();
      ads.send(AdsClient.ack(lastEds, clusterNames(clusters)));
      DiscoveryResponse routes = nextOf(ads, AdsClient.RDS, seen);
      assertThat(routedCluster(routes)).isEqualTo(RATINGS);
    }
  }

  /**
   * A client that rejects the new clusters asks for nothing more the routes could wait for: they go out on its NACK
   * rather than wait for the next edit (as without the hold; the NACK itself is parked as before).
   */
  @Test
  void sotwHeldRoutesGoOutWhenTheClientRejectsTheClusters() throws Exception {
    start(mesh("10.0.0.1"));
    try (AdsClient ads = new AdsClient(channel, false)) {
      subscribeAll(ads);
      reload(withReviewsTimeout(mesh("10.0.0.1"), "3s"));
      DiscoveryResponse changed = ads.next();
      reload(withReviewsTimeout(meshRoutingToDetails(), "3s"));
      ads.send(AdsClient.ack(changed, List.of()));
      List<DiscoveryResponse> seen = new ArrayList<>();
      DiscoveryResponse clusters = nextOf(ads, AdsClient.CDS, seen);
      assertThat(clusterNames(clusters)).contains(DETAILS);

      ads.send(AdsClient.ack(changed, List.of()).toBuilder().setResponseNonce(clusters.getNonce())
          .setErrorDetail(Status.newBuilder().setCode(3).setMessage("clusters rejected by test")).build());
      DiscoveryResponse routes = nextOf(ads, AdsClient.RDS, seen);
      assertThat(routedCluster(routes)).isEqualTo(DETAILS);
    }
  }

  /**
   * A client's endpoint request that names a cluster the newest snapshot dropped is left unanswered (java-control-plane
   * answers an ADS request only once it has every name), so endpoints it asks for there have not been sent: the routes
   * to them wait until the client, given the clusters without the dropped one, asks again and is answered.
   */
  @Test
  void sotwRoutesWaitForEndpointsAskedInARequestNamingADroppedCluster() throws Exception {
    start(mesh("10.0.0.1"), Duration.ZERO);
    try (AdsClient ads = new AdsClient(channel, false)) {
      subscribeAll(ads);
      reload(meshWithDetails());
      DiscoveryResponse withDetails = ads.next();
      assertThat(withDetails.getTypeUrl()).isEqualTo(AdsClient.CDS);
      assertThat(clusterNames(withDetails)).contains(REVIEWS, RATINGS, DETAILS);
      DiscoveryResponse eds = ads.next();
      assertThat(eds.getTypeUrl()).isEqualTo(AdsClient.EDS);

      // Before the client answers, an edit drops ratings and routes to details.
      String ratings = """
            - name: ratings
              namespace: default
              ports: [{port: 9090, protocol: grpc}]
              endpoints: [{address: 10.0.0.9}]
          """;
      assertThat(meshRoutingToDetails()).contains(ratings);
      reload(meshRoutingToDetails().replace(ratings, ""));
      // As Envoy, the client asks for the endpoints of the clusters it holds (ratings among them), and ACKs them.
      ads.send(AdsClient.ack(eds, clusterNames(withDetails)));
      ads.send(AdsClient.ack(withDetails, List.of()));
      List<DiscoveryResponse> seen = new ArrayList<>();
      DiscoveryResponse clusters = nextOf(ads, AdsClient.CDS, seen);
      assertThat(clusterNames(clusters)).contains(DETAILS).doesNotContain(RATINGS);

      ads.send(AdsClient.ack(eds, clusterNames(clusters)));
      ads.send(AdsClient.ack(clusters, List.of()));
      DiscoveryResponse routes = nextOf(ads, AdsClient.RDS, seen);
      assertThat(routedCluster(routes)).isEqualTo(DETAILS);
      assertThat(seen.subList(0, seen.size() - 1)).filteredOn(r -> r.getTypeUrl().equals(AdsClient.EDS))
          .as("endpoints sent before the routes").isNotEmpty()
          .last().satisfies(e -> assertThat(endpointNames(e)).contains(DETAILS));
    }
  }

  /**
   * A client that accepted the removal of a cluster drops its endpoints from its endpoint request; until it has, that
   * request still names them, which does not ask for the endpoints of the cluster when an edit brings it back. Routes
   * to it wait for the request that asks for them again.
   */
  @Test
  void sotwRoutesToAClusterBroughtBackWaitForItsEndpointsToBeAskedAgain() throws Exception {
    start(meshWithDetails(), Duration.ZERO);
    try (AdsClient ads = new AdsClient(channel, false)) {
      DiscoveryResponse eds = subscribeAll(ads).get(1);
      assertThat(endpointNames(eds)).contains(DETAILS);
      reload(mesh("10.0.0.1"));
      DiscoveryResponse withoutDetails = ads.next();
      assertThat(withoutDetails.getTypeUrl()).isEqualTo(AdsClient.CDS);
      assertThat(clusterNames(withoutDetails)).doesNotContain(DETAILS);
      // The client ACKs the clusters; its endpoint request without details follows, after the edit bringing it back.
      ads.send(AdsClient.ack(withoutDetails, List.of()));
      reload(meshRoutingToDetails());
      ads.send(AdsClient.ack(eds, List.of(REVIEWS, RATINGS)));

      List<DiscoveryResponse> seen = new ArrayList<>();
      DiscoveryResponse clusters = nextOf(ads, AdsClient.CDS, seen);
      assertThat(clusterNames(clusters)).contains(DETAILS);
      int back = seen.size();
      ads.send(AdsClient.ack(clusters, List.of()));
      List<String> all = List.of(REVIEWS, RATINGS, DETAILS);
      DiscoveryResponse lastEds = seen.stream().filter(r -> r.getTypeUrl().equals(AdsClient.EDS))
          .reduce((a, b) -> b).orElse(eds);
      ads.send(AdsClient.ack(lastEds, all));
      DiscoveryResponse r;
      do {
        r = ads.next();
        seen.add(r);
        if (r.getTypeUrl().equals(AdsClient.EDS)) {
          ads.send(AdsClient.ack(r, all));
        }
      } while (!r.getTypeUrl().equals(AdsClient.RDS));
      assertThat(routedCluster(r)).isEqualTo(DETAILS);
      assertThat(seen.subList(back, seen.size() - 1)).as("endpoints sent once details is back, before the routes")
          .filteredOn(x -> x.getTypeUrl().equals(AdsClient.EDS)).isNotEmpty()
          .last().satisfies(e -> assertThat(endpointNames(e)).contains(DETAILS));
    }
  }

  /** Routes that need no new cluster are not held: not even while the client still owes an up-to-date cluster ACK. */
  @Test
  void sotwRouteOnlyEditIsSentAtOnceWhenTheClientHasTheClusters() throws Exception {
    start(meshWithDetails());
    try (AdsClient ads = new AdsClient(channel, false)) {
      subscribeAll(ads);

      reload(withReviewsTimeout(meshWithDetails(), "3s"));
      DiscoveryResponse changed = ads.next();
      assertThat(changed.getTypeUrl()).isEqualTo(AdsClient.CDS);
      // Not ACKed: the routes of the next edit use clusters the client has already been sent.
      reload(withReviewsTimeout(meshRoutingToDetails(), "3s"));
      DiscoveryResponse routes = ads.next();
      assertThat(routes.getTypeUrl()).isEqualTo(AdsClient.RDS);
      assertThat(routedCluster(routes)).isEqualTo(DETAILS);
    }
  }

  /** The next delta response of the type; it and those before it are added to {@code seen}. */
  static DeltaDiscoveryResponse nextDeltaOf(AdsClient ads, String typeUrl, List<DeltaDiscoveryResponse> seen)
      throws Exception {
    while (true) {
      DeltaDiscoveryResponse r = ads.nextDelta();
      seen.add(r);
      if (r.getTypeUrl().equals(typeUrl)) {
        return r;
      }
    }
  }

  /** The same race over delta ADS: the library opens a type's watch only once its previous response is answered. */
  @Test
  void deltaRoutesToANewClusterWaitForTheClusterUpdateTheClientHasNotAckedYet() throws Exception {
    start(mesh("10.0.0.1"));
    try (AdsClient ads = new AdsClient(channel, true)) {
      ads.send(DeltaDiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.CDS).build());
      ads.send(deltaAck(ads.nextDelta()));
      ads.send(subscribe(AdsClient.EDS, REVIEWS, RATINGS));
      ads.send(deltaAck(ads.nextDelta()));
      ads.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(AdsClient.LDS).build());
      ads.send(deltaAck(ads.nextDelta()));
      ads.send(subscribe(AdsClient.RDS, ROUTES));
      DeltaDiscoveryResponse rds = ads.nextDelta();
      assertThat(rds.getTypeUrl()).isEqualTo(AdsClient.RDS);
      ads.send(deltaAck(rds));

      reload(withReviewsTimeout(mesh("10.0.0.1"), "3s"));
      DeltaDiscoveryResponse changed = ads.nextDelta();
      assertThat(changed.getTypeUrl()).isEqualTo(AdsClient.CDS);

      reload(withReviewsTimeout(meshRoutingToDetails(), "3s"));
      ads.send(deltaAck(changed));
      List<DeltaDiscoveryResponse> seen = new ArrayList<>();
      DeltaDiscoveryResponse clusters = nextDeltaOf(ads, AdsClient.CDS, seen);
      assertThat(seen).extracting(DeltaDiscoveryResponse::getTypeUrl).doesNotContain(AdsClient.RDS, AdsClient.LDS);
      assertThat(deltaNames(clusters)).contains(DETAILS);

      ads.send(deltaAck(clusters));
      ads.send(subscribe(AdsClient.EDS, DETAILS));
      DeltaDiscoveryResponse routes = nextDeltaOf(ads, AdsClient.RDS, seen);
      assertThat(routedCluster(routes)).isEqualTo(DETAILS);
      assertThat(seen.subList(0, seen.size() - 1)).filteredOn(r -> r.getTypeUrl().equals(AdsClient.EDS))
          .last().satisfies(eds -> assertThat(deltaNames(eds)).contains(DETAILS));
    }
  }

  /**
   * Delta: java-control-plane opens no endpoint watch while an endpoint response is unanswered, so a subscription
   * made then is fetched only with the answer to that response. Routes to the subscribed cluster wait for it.
   */
  @Test
  void deltaRoutesWaitForEndpointsSubscribedWhileAnEndpointResponseIsUnanswered() throws Exception {
    start(mesh("10.0.0.1"));
    try (AdsClient ads = new AdsClient(channel, true)) {
      holdClustersEndpointsAndRoutes(ads, REVIEWS, RATINGS);

      // An edit adds details and moves reviews' endpoint; a route-only edit then moves the route to details before
      // the client answered either update.
      reload(meshWithDetails().replace("address: 10.0.0.1}", "address: 10.0.0.7}"));
      List<DeltaDiscoveryResponse> seen = new ArrayList<>();
      DeltaDiscoveryResponse clusters = nextDeltaOf(ads, AdsClient.CDS, seen);
      assertThat(deltaNames(clusters)).contains(DETAILS);
      DeltaDiscoveryResponse endpoints = nextDeltaOf(ads, AdsClient.EDS, seen);
      assertThat(deltaNames(endpoints)).containsExactly(REVIEWS);
      reload(meshRoutingToDetails().replace("address: 10.0.0.1}", "address: 10.0.0.7}"));

      // As Envoy, the client subscribes to details' endpoints and ACKs the clusters, then the endpoint update.
      ads.send(subscribe(AdsClient.EDS, DETAILS));
      ads.send(deltaAck(clusters));
      ads.send(deltaAck(endpoints));
      DeltaDiscoveryResponse routes = nextDeltaOf(ads, AdsClient.RDS, seen);
      assertThat(routedCluster(routes)).isEqualTo(DETAILS);
      assertThat(seen.subList(0, seen.size() - 1)).filteredOn(r -> r.getTypeUrl().equals(AdsClient.EDS))
          .last().satisfies(eds -> assertThat(deltaNames(eds)).contains(DETAILS));
    }
  }

  /**
   * Delta cluster responses carry changes only: a cluster update sent on the ACK of the one adding details names only
   * the changed cluster, yet the client still has to ask for details' endpoints before routes to it go out.
   */
  @Test
  void deltaRoutesWaitForANewClusterWhoseAckBroughtTheNextClusterUpdate() throws Exception {
    start(mesh("10.0.0.1"));
    try (AdsClient ads = new AdsClient(channel, true)) {
      holdClustersEndpointsAndRoutes(ads, REVIEWS, RATINGS);

      reload(meshWithDetails());
      List<DeltaDiscoveryResponse> seen = new ArrayList<>();
      DeltaDiscoveryResponse withDetails = nextDeltaOf(ads, AdsClient.CDS, seen);
      assertThat(deltaNames(withDetails)).containsExactly(DETAILS);
      // Before the client answers, an edit routes to details and changes reviews' cluster.
      reload(withReviewsTimeout(meshRoutingToDetails(), "3s"));
      ads.send(deltaAck(withDetails));
      DeltaDiscoveryResponse reviews = nextDeltaOf(ads, AdsClient.CDS, seen);
      assertThat(deltaNames(reviews)).containsExactly(REVIEWS);
      ads.send(subscribe(AdsClient.EDS, DETAILS));
      ads.send(deltaAck(reviews));
      DeltaDiscoveryResponse routes = nextDeltaOf(ads, AdsClient.RDS, seen);
      assertThat(routedCluster(routes)).isEqualTo(DETAILS);
      assertThat(seen.subList(0, seen.size() - 1)).filteredOn(r -> r.getTypeUrl().equals(AdsClient.EDS))
          .last().satisfies(eds -> assertThat(deltaNames(eds)).contains(DETAILS));
    }
  }

  /** Delta too: routes that need no new cluster go out at once, even while a cluster ACK is still owed. */
  @Test
  void deltaRouteOnlyEditIsSentAtOnceWhenTheClientHasTheClusters() throws Exception {
    start(meshWithDetails());
    try (AdsClient ads = new AdsClient(channel, true)) {
      holdClustersEndpointsAndRoutes(ads, REVIEWS, RATINGS, DETAILS);

      reload(withReviewsTimeout(meshWithDetails(), "3s"));
      DeltaDiscoveryResponse changed = ads.nextDelta();
      assertThat(changed.getTypeUrl()).isEqualTo(AdsClient.CDS);
      reload(withReviewsTimeout(meshRoutingToDetails(), "3s"));
      DeltaDiscoveryResponse routes = ads.nextDelta();
      assertThat(routes.getTypeUrl()).isEqualTo(AdsClient.RDS);
    }
  }

  /**
   * A stream refused for its first node (here: no node.cluster) is closed by the server before any request reaches
   * java-control-plane, which hears of the close only through its request observer; switchyard_xds_streams ("open
   * streams") must come back down, as it does for a stream the client ends.
   */
  @Test
  void refusedStreamsAreNotCountedAsOpen() throws Exception {
    start(mesh("10.0.0.1"));
    try (AdsClient sotw = new AdsClient(channel, false); AdsClient delta = new AdsClient(channel, true)) {
      sotw.send(DiscoveryRequest.newBuilder().setNode(AdsClient.node("")).setTypeUrl(AdsClient.CDS).build());
      delta.send(DeltaDiscoveryRequest.newBuilder().setNode(AdsClient.node("")).setTypeUrl(AdsClient.CDS).build());
      assertThat(sotw.closed.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(io.grpc.Status.Code.PERMISSION_DENIED);
      assertThat(delta.closed.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(io.grpc.Status.Code.PERMISSION_DENIED);
    }
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(openStreams()).isZero());
  }

  private double openStreams() {
    return registry.scrape().stream().filter(s -> s.getMetadata().getName().equals("switchyard_xds_streams"))
        .map(s -> (GaugeSnapshot) s).findFirst().orElseThrow().getDataPoints().get(0).getValue();
  }
}
