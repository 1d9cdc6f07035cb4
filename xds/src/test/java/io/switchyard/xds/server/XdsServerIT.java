package io.switchyard.xds.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.rpc.Status;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.config.ConfigException;
import io.switchyard.serverkit.metrics.Metrics;
import io.switchyard.serverkit.tls.TlsOptions;
import io.switchyard.testing.MutableClock;
import io.switchyard.testing.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The xDS server over real gRPC on loopback, driven by a raw ADS client built from the Envoy protos. */
class XdsServerIT {
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
          - name: other
            namespace: default
            serviceAccount: other
            nodeGroup: other
            routes:
              - to: [{service: ratings}]
        """.formatted(reviewsAddress);
  }

  /** The same mesh plus one service: changes CDS (and EDS) for every group. */
  static String meshWithDetails(String reviewsAddress) {
    return mesh(reviewsAddress).replace("workloads:",
        "  - name: details\n    namespace: default\n    ports: [{port: 9081}]\n    endpoints: [{address: 10.0.0.3}]\n"
            + "workloads:");
  }

  @TempDir Path dir;
  Path meshFile;
  XdsServer server;
  ManagedChannel channel;
  final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));

  XdsServer start(String meshText, TlsOptions tls) throws Exception {
    meshFile = dir.resolve("mesh.yaml");
    Files.writeString(meshFile, meshText);
    server = XdsServer.builder(meshFile, new Metrics(new PrometheusRegistry()))
        .port(0).host("127.0.0.1").tls(tls)
        .pollInterval(Duration.ZERO).collectInterval(Duration.ZERO).idleGroupTtl(Duration.ofMinutes(5))
        .clock(clock)
        .build().start();
    if (tls == null) {
      channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(), InsecureChannelCredentials.create()).build();
    }
    return server;
  }

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.close();
    }
  }

  void editMesh(String text) throws Exception {
    Files.writeString(meshFile, text);
  }

  static List<String> names(DiscoveryResponse r) throws Exception {
    List<String> out = new java.util.ArrayList<>();
    for (com.google.protobuf.Any a : r.getResourcesList()) {
      if (a.is(Cluster.class)) {
        out.add(a.unpack(Cluster.class).getName());
      } else if (a.is(ClusterLoadAssignment.class)) {
        out.add(a.unpack(ClusterLoadAssignment.class).getClusterName());
      }
    }
    return out;
  }

  @Test
  void nackIsParkedUntilTheNextSnapshotInsteadOfResentInALoop() throws Exception {
    start(mesh("10.0.0.1"), null);
    try (AdsClient ads = new AdsClient(channel, false)) {
      ads.send(DiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.CDS).build());
      DiscoveryResponse first = ads.next();
      assertThat(names(first)).contains("outbound|9080||reviews.default.svc.cluster.local");

      // Reject it, as Envoy does: error_detail set, version_info = last good (none yet), nonce of the response.
      ads.send(DiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.CDS)
          .setResponseNonce(first.getNonce())
          .setErrorDetail(Status.newBuilder().setCode(3).setMessage("cluster rejected by test")).build());
      await().atMost(Duration.ofSeconds(10)).until(() -> server.lastRejection("edge").isPresent());
      assertThat(server.lastRejection("edge").orElseThrow())
          .contains("Cluster version " + first.getVersionInfo()).contains("cluster rejected by test");

      // A fixed mesh is the next thing the client hears about; the rejected version never comes back.
      editMesh(meshWithDetails("10.0.0.1"));
      assertThat(server.reloadNow()).isTrue();
      DiscoveryResponse next = ads.next();
      assertThat(next.getVersionInfo()).isNotEqualTo(first.getVersionInfo());
      assertThat(Long.parseLong(next.getVersionInfo())).isGreaterThan(Long.parseLong(first.getVersionInfo()));
      assertThat(ads.responses).isEmpty();
    }
  }

  @Test
  void nodeSentOnlyOnTheFirstRequestStillSelectsTheNodeGroup() throws Exception {
    start(mesh("10.0.0.1"), null);
    try (AdsClient ads = new AdsClient(channel, false)) {
      ads.send(DiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.CDS).build());
      DiscoveryResponse cds = ads.next();
      // From here on no node, as with set_node_on_first_message_only: true.
      ads.send(AdsClient.ack(cds, List.of()));
      ads.send(DiscoveryRequest.newBuilder().setTypeUrl(AdsClient.EDS)
          .addResourceNames("outbound|9080||reviews.default.svc.cluster.local").build());
      DiscoveryResponse eds = ads.next();
      assertThat(eds.getTypeUrl()).isEqualTo(AdsClient.EDS);
      ClusterLoadAssignment cla = eds.getResources(0).unpack(ClusterLoadAssignment.class);
      assertThat(cla.getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress().getSocketAddress().getAddress())
          .isEqualTo("10.0.0.1");
    }
  }

  @Test
  void meshEditPushesClustersBeforeEndpointsAndAnInvalidEditKeepsTheLastGoodSnapshot() throws Exception {
    start(mesh("10.0.0.1"), null);
    String v1 = server.snapshotVersion("edge").orElseThrow();
    try (AdsClient ads = new AdsClient(channel, false)) {
      ads.send(DiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.CDS).build());
      DiscoveryResponse cds = ads.next();
      List<String> edsNames = List.of("outbound|9080||reviews.default.svc.cluster.local",
          "outbound|9090||ratings.default.svc.cluster.local");
      ads.send(DiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.EDS)
          .addAllResourceNames(edsNames).build());
      DiscoveryResponse eds = ads.next();
      ads.send(AdsClient.ack(cds, List.of()));
      ads.send(AdsClient.ack(eds, edsNames));

      editMesh("services: [ {name: reviews\n");
      assertThat(server.reloadNow()).isFalse();
      assertThat(server.snapshotVersion("edge")).contains(v1);

      editMesh(meshWithDetails("10.0.0.7"));
      assertThat(server.reloadNow()).isTrue();
      String v2 = server.snapshotVersion("edge").orElseThrow();
      assertThat(v2).isNotEqualTo(v1);
      DiscoveryResponse first = ads.next();
      DiscoveryResponse second = ads.next();
      assertThat(List.of(first.getTypeUrl(), second.getTypeUrl())).containsExactly(AdsClient.CDS, AdsClient.EDS);
      assertThat(second.getVersionInfo()).isEqualTo(v2);
      assertThat(second.getResourcesList()).anySatisfy(a -> assertThat(a.unpack(ClusterLoadAssignment.class)
          .getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress().getSocketAddress().getAddress())
          .isEqualTo("10.0.0.7"));
    }
  }

  @Test
  void unchangedGroupsKeepTheirVersionAcrossReloads() throws Exception {
    start(mesh("10.0.0.1"), null);
    String other = server.snapshotVersion("other").orElseThrow();
    String edge = server.snapshotVersion("edge").orElseThrow();
    // Every group lists every service's clusters, so an endpoint change touches all groups; moving one
    // workload's listener touches only its own group.
    editMesh(mesh("10.0.0.1").replace("nodeGroup: other", "nodeGroup: other\n    listenerPort: 9999"));
    assertThat(server.reloadNow()).isTrue();
    assertThat(server.snapshotVersion("edge")).contains(edge);
    assertThat(server.snapshotVersion("other")).isNotEqualTo(java.util.Optional.of(other));
  }

  @Test
  void endpointOnlyEditPushesEndpointsButNotClustersAgain() throws Exception {
    start(mesh("10.0.0.1"), null);
    try (AdsClient ads = new AdsClient(channel, false)) {
      ads.send(DiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.CDS).build());
      DiscoveryResponse cds = ads.next();
      List<String> edsNames = List.of("outbound|9080||reviews.default.svc.cluster.local");
      ads.send(DiscoveryRequest.newBuilder().setTypeUrl(AdsClient.EDS).addAllResourceNames(edsNames).build());
      DiscoveryResponse eds = ads.next();
      ads.send(AdsClient.ack(cds, List.of()));
      ads.send(AdsClient.ack(eds, edsNames));

      editMesh(mesh("10.0.0.8"));
      assertThat(server.reloadNow()).isTrue();
      DiscoveryResponse next = ads.next();
      assertThat(next.getTypeUrl()).isEqualTo(AdsClient.EDS);
      assertThat(next.getResources(0).unpack(ClusterLoadAssignment.class).getEndpoints(0).getLbEndpoints(0)
          .getEndpoint().getAddress().getSocketAddress().getAddress()).isEqualTo("10.0.0.8");
      // Send another ACK round trip: had CDS been re-sent, it would be queued ahead of this EDS answer.
      ads.send(AdsClient.ack(next, edsNames));
      editMesh(mesh("10.0.0.9"));
      assertThat(server.reloadNow()).isTrue();
      assertThat(ads.next().getTypeUrl()).isEqualTo(AdsClient.EDS);
    }
  }

  @Test
  void deltaAdsSendsResourcesAndLaterRemovals() throws Exception {
    start(mesh("10.0.0.1"), null);
    try (AdsClient ads = new AdsClient(channel, true)) {
      ads.send(DeltaDiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.CDS).build());
      DeltaDiscoveryResponse first = ads.nextDelta();
      assertThat(first.getResourcesList()).extracting(Resource::getName)
          .contains("outbound|9080||reviews.default.svc.cluster.local", "outbound|9090||ratings.default.svc.cluster.local");
      assertThat(first.getResources(0).getResource().is(Cluster.class)).isTrue();
      ads.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(AdsClient.CDS).setResponseNonce(first.getNonce()).build());

      // Remove ratings (and the workload routing to it): the next delta names it as removed.
      String withoutRatings = mesh("10.0.0.1")
          .replace("  - name: ratings\n    namespace: default\n    ports: [{port: 9090, protocol: grpc}]\n"
              + "    endpoints: [{address: 10.0.0.9}]\n", "")
          .substring(0, mesh("10.0.0.1").indexOf("  - name: other") - 0);
      editMesh(withoutRatings.substring(0, withoutRatings.indexOf("  - name: other")));
      assertThat(server.reloadNow()).isTrue();
      DeltaDiscoveryResponse removal = ads.nextDelta();
      assertThat(removal.getRemovedResourcesList()).containsExactly("outbound|9090||ratings.default.svc.cluster.local");
    }
  }

  @Test
  void deltaNackIsNotAnsweredWithTheSameConfig() throws Exception {
    start(mesh("10.0.0.1"), null);
    try (AdsClient ads = new AdsClient(channel, true)) {
      ads.send(DeltaDiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.CDS).build());
      DeltaDiscoveryResponse first = ads.nextDelta();
      ads.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(AdsClient.CDS).setResponseNonce(first.getNonce())
          .setErrorDetail(Status.newBuilder().setCode(3).setMessage("delta rejected by test")).build());
      await().atMost(Duration.ofSeconds(10)).until(() -> server.lastRejection("edge").isPresent());
      assertThat(server.lastRejection("edge").orElseThrow()).contains("delta rejected by test");

      editMesh(meshWithDetails("10.0.0.1"));
      assertThat(server.reloadNow()).isTrue();
      DeltaDiscoveryResponse next = ads.nextDelta();
      assertThat(next.getSystemVersionInfo()).isNotEqualTo(first.getSystemVersionInfo());
      assertThat(next.getResourcesList()).extracting(Resource::getName)
          .contains("outbound|9081||details.default.svc.cluster.local");
    }
  }

  @Test
  void groupsNotInTheMeshAreForgottenAfterTheirLastStreamCloses() throws Exception {
    start(mesh("10.0.0.1"), null);
    try (AdsClient ads = new AdsClient(channel, false)) {
      ads.send(DiscoveryRequest.newBuilder().setNode(AdsClient.node("ghost")).setTypeUrl(AdsClient.CDS).build());
      await().atMost(Duration.ofSeconds(10)).until(() -> server.knownGroups().contains("ghost"));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      clock.advance(Duration.ofMinutes(6));
      return server.collectIdleGroups() == 1;
    });
    assertThat(server.knownGroups()).doesNotContain("ghost");
  }

  @Test
  void withMtlsAClientCanOnlyReadTheGroupOfItsOwnIdentity() throws Exception {
    TestCertificates certs = TestCertificates.create(dir.resolve("pki"));
    start(mesh("10.0.0.1"), new TlsOptions(certs.serverCert(), certs.serverKey(), certs.caCert()));
    channel = Grpc.newChannelBuilderForAddress("localhost", server.port(), TlsChannelCredentials.newBuilder()
        .trustManager(certs.caCert().toFile())
        .keyManager(certs.clientCert().toFile(), certs.clientKey().toFile())
        .build()).build();
    try (AdsClient own = new AdsClient(channel, false)) {
      own.send(DiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.CDS).build());
      assertThat(own.next().getResourcesCount()).isGreaterThan(0);
    }
    try (AdsClient foreign = new AdsClient(channel, false)) {
      foreign.send(DiscoveryRequest.newBuilder().setNode(AdsClient.node("other")).setTypeUrl(AdsClient.CDS).build());
      io.grpc.Status status = foreign.closed.get(10, TimeUnit.SECONDS);
      assertThat(status.getCode()).isEqualTo(io.grpc.Status.Code.PERMISSION_DENIED);
      assertThat(status.getDescription()).contains("spiffe://cluster.local/ns/default/sa/other");
      assertThat(foreign.responses).isEmpty();
    }
  }

  @Test
  void invalidMeshAtStartIsAConfigErrorWithItsLine() {
    assertThatThrownBy(() -> start("workloads:\n  - name: a\n    namespace: default\n    bogus: 1\n", null))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).line()).isEqualTo(4))
        .hasMessageContaining("unknown field 'bogus'");
  }

  static final String REVIEWS = "outbound|9080||reviews.default.svc.cluster.local";
  static final String RATINGS = "outbound|9090||ratings.default.svc.cluster.local";

  static List<String> deltaNames(DeltaDiscoveryResponse r) {
    return r.getResourcesList().stream().map(Resource::getName).toList();
  }

  @Test
  void explicitWildcardNameGetsEveryClusterAndListener() throws Exception {
    start(mesh("10.0.0.1"), null);
    try (AdsClient ads = new AdsClient(channel, false)) {
      ads.send(DiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.CDS)
          .addResourceNames("*").build());
      assertThat(names(ads.next())).containsExactlyInAnyOrder(REVIEWS, RATINGS);
      ads.send(DiscoveryRequest.newBuilder().setTypeUrl(AdsClient.LDS).addResourceNames("*").build());
      DiscoveryResponse lds = ads.next();
      assertThat(lds.getTypeUrl()).isEqualTo(AdsClient.LDS);
      assertThat(lds.getResources(0).unpack(io.envoyproxy.envoy.config.listener.v3.Listener.class).getName())
          .isEqualTo("0.0.0.0_8080");
    }
  }

  /** The protocol's own SotW example: legacy wildcard, "*" plus a name, the name alone, "*" again, then nothing. */
  @Test
  void sotwSubscriptionsFollowTheProtocolsWildcardRules() throws Exception {
    start(mesh("10.0.0.1"), null);
    try (AdsClient ads = new AdsClient(channel, false)) {
      ads.send(DiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.CDS).build());
      DiscoveryResponse all = ads.next();
      assertThat(names(all)).containsExactlyInAnyOrder(REVIEWS, RATINGS);
      ads.send(AdsClient.ack(all, List.of("*", RATINGS)));
      ads.send(DiscoveryRequest.newBuilder().setTypeUrl(AdsClient.CDS).setVersionInfo(all.getVersionInfo())
          .setResponseNonce(all.getNonce()).addResourceNames(RATINGS).build());
      // From one name back to "*": every other cluster is newly requested and comes again although unchanged.
      ads.send(DiscoveryRequest.newBuilder().setTypeUrl(AdsClient.CDS).setVersionInfo(all.getVersionInfo())
          .setResponseNonce(all.getNonce()).addResourceNames("*").build());
      DiscoveryResponse again = ads.next();
      assertThat(again.getVersionInfo()).isEqualTo(all.getVersionInfo());
      assertThat(names(again)).containsExactlyInAnyOrder(REVIEWS, RATINGS);

      // An empty list after names is no longer the legacy wildcard: the stream now wants no cluster at all, so a
      // mesh edit pushes no clusters; the endpoints it asks for next are the first thing it hears.
      ads.send(DiscoveryRequest.newBuilder().setTypeUrl(AdsClient.CDS).setVersionInfo(again.getVersionInfo())
          .setResponseNonce(again.getNonce()).build());
      editMesh(meshWithDetails("10.0.0.1"));
      assertThat(server.reloadNow()).isTrue();
      ads.send(DiscoveryRequest.newBuilder().setTypeUrl(AdsClient.EDS)
          .addResourceNames("outbound|9081||details.default.svc.cluster.local").build());
      assertThat(ads.next().getTypeUrl()).isEqualTo(AdsClient.EDS);
      assertThat(ads.responses).isEmpty();
    }
  }

  @Test
  void deltaStreamNamingOneClusterGetsOnlyThatCluster() throws Exception {
    start(mesh("10.0.0.1"), null);
    try (AdsClient ads = new AdsClient(channel, true)) {
      ads.send(DeltaDiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.CDS)
          .addResourceNamesSubscribe(RATINGS).build());
      assertThat(deltaNames(ads.nextDelta())).containsExactly(RATINGS);
    }
  }

  /** The protocol's delta example: a name, then "*" added (the rest arrives), then "*" removed (the rest stops). */
  @Test
  void deltaWildcardCanBeAddedAndRemovedNextToANamedSubscription() throws Exception {
    start(mesh("10.0.0.1"), null);
    try (AdsClient ads = new AdsClient(channel, true)) {
      ads.send(DeltaDiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.CDS)
          .addResourceNamesSubscribe(RATINGS).build());
      DeltaDiscoveryResponse named = ads.nextDelta();
      assertThat(deltaNames(named)).containsExactly(RATINGS);
      ads.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(AdsClient.CDS).setResponseNonce(named.getNonce()).build());

      ads.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(AdsClient.CDS).addResourceNamesSubscribe("*").build());
      DeltaDiscoveryResponse rest = ads.nextDelta();
      assertThat(deltaNames(rest)).containsExactly(REVIEWS);
      ads.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(AdsClient.CDS).setResponseNonce(rest.getNonce()).build());

      ads.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(AdsClient.CDS).addResourceNamesUnsubscribe("*").build());
      // Both clusters change; only the one still named explicitly is sent. An unsubscription has no answer, so the
      // server may reload before it has read it: then both come once, and the next change shows the unsubscription.
      for (int seconds = 2; ; seconds++) {
        String timeout = "    connectTimeout: " + seconds + "s\n";
        editMesh(mesh("10.0.0.1")
            .replace("    endpoints: [{address: 10.0.0.1}]\n", "    endpoints: [{address: 10.0.0.1}]\n" + timeout)
            .replace("    endpoints: [{address: 10.0.0.9}]\n", "    endpoints: [{address: 10.0.0.9}]\n" + timeout));
        assertThat(server.reloadNow()).isTrue();
        DeltaDiscoveryResponse changed = ads.nextDelta();
        if (deltaNames(changed).equals(List.of(RATINGS))) {
          break;
        }
        assertThat(seconds).as("still sent after the unsubscription: " + deltaNames(changed)).isLessThan(5);
        ads.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(AdsClient.CDS).setResponseNonce(changed.getNonce()).build());
      }
    }
  }

  @Test
  void nacksAreListedOnTheAdminRouteBehindTheToken() throws Exception {
    start(mesh("10.0.0.1"), null);
    io.switchyard.serverkit.admin.AdminServer admin = io.switchyard.serverkit.admin.AdminServer
        .builder(new Metrics(new PrometheusRegistry()), new io.switchyard.serverkit.health.Readiness())
        .port(0).bearerToken("s3cret").build().start();
    try (AdsClient ads = new AdsClient(channel, false)) {
      server.adminRoutes().forEach((path, handler) -> admin.addRoute(path, handler, true));
      ads.send(DiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.CDS).build());
      DiscoveryResponse first = ads.next();
      ads.send(DiscoveryRequest.newBuilder().setTypeUrl(AdsClient.CDS).setResponseNonce(first.getNonce())
          .setErrorDetail(Status.newBuilder().setCode(3).setMessage("bad cluster: no lb_policy")).build());
      await().atMost(Duration.ofSeconds(10)).until(() -> server.lastRejection("edge").isPresent());

      java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
      java.net.URI uri = java.net.URI.create("http://127.0.0.1:" + admin.port() + "/xds/nacks");
      java.net.http.HttpResponse<String> denied = http.send(java.net.http.HttpRequest.newBuilder(uri).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(denied.statusCode()).isEqualTo(401);
      java.net.http.HttpResponse<String> ok = http.send(java.net.http.HttpRequest.newBuilder(uri)
          .header("Authorization", "Bearer s3cret").build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(ok.statusCode()).isEqualTo(200);
      com.fasterxml.jackson.databind.JsonNode nack = new com.fasterxml.jackson.databind.ObjectMapper()
          .readTree(ok.body()).get("nacks").get(0);
      assertThat(nack.get("node_group").asText()).isEqualTo("edge");
      assertThat(nack.get("node_id").asText()).isEqualTo(AdsClient.node("edge").getId());
      assertThat(nack.get("type_url").asText()).isEqualTo(AdsClient.CDS);
      assertThat(nack.get("version").asText()).isEqualTo(first.getVersionInfo());
      assertThat(nack.get("nonce").asText()).isEqualTo(first.getNonce());
      assertThat(nack.get("error_detail").asText()).isEqualTo("bad cluster: no lb_policy");
      assertThat(nack.get("time").asText()).isEqualTo("2026-01-01T00:00:00Z");
      java.net.http.HttpResponse<String> other = http.send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create(uri + "?node_group=other")).header("Authorization", "Bearer s3cret").build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(other.body()).isEqualTo("{\"nacks\":[]}");
    } finally {
      admin.close();
    }
  }

  @Test
  void aRequestCarryingAStaleNonceIsIgnored() throws Exception {
    start(mesh("10.0.0.1"), null);
    try (AdsClient ads = new AdsClient(channel, false)) {
      ads.send(DiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(AdsClient.CDS).build());
      DiscoveryResponse first = ads.next();
      ads.send(AdsClient.ack(first, List.of()));
      editMesh(meshWithDetails("10.0.0.1"));
      assertThat(server.reloadNow()).isTrue();
      DiscoveryResponse second = ads.next();
      assertThat(second.getNonce()).isNotEqualTo(first.getNonce());

      // A NACK of the first response arriving after the second was sent answers nothing current: ignored.
      ads.send(DiscoveryRequest.newBuilder().setTypeUrl(AdsClient.CDS).setResponseNonce(first.getNonce())
          .setErrorDetail(Status.newBuilder().setCode(3).setMessage("late")).build());
      // Requests on one stream are handled in order, so once this answer is here the stale one has been seen.
      ads.send(DiscoveryRequest.newBuilder().setTypeUrl(AdsClient.EDS)
          .addResourceNames("outbound|9081||details.default.svc.cluster.local").build());
      assertThat(ads.next().getTypeUrl()).isEqualTo(AdsClient.EDS);
      assertThat(server.lastRejection("edge")).isEmpty();
      assertThat(ads.responses).isEmpty();
    }
  }
}
