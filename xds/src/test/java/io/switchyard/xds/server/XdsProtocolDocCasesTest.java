package io.switchyard.xds.server;

import static io.switchyard.xds.server.XdsProtocolTest.DETAILS;
import static io.switchyard.xds.server.XdsProtocolTest.RATINGS;
import static io.switchyard.xds.server.XdsProtocolTest.REVIEWS;
import static io.switchyard.xds.server.XdsProtocolTest.deltaAck;
import static io.switchyard.xds.server.XdsProtocolTest.deltaNames;
import static io.switchyard.xds.server.XdsProtocolTest.mesh;
import static io.switchyard.xds.server.XdsProtocolTest.meshWithDetails;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.rpc.Status;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Envoy's xDS protocol document (docs/root/api-docs/xds_protocol.rst) read as a conformance corpus: each case states
 * one documented rule, names its section, and drives the real {@link XdsServer} over loopback gRPC with a raw ADS
 * client. Rules {@link XdsProtocolTest} and {@link XdsServerIT} already cover (wildcard examples, stale SotW nonce,
 * CDS before EDS, routes after clusters, delta removals of missing names) are not repeated here.
 */
class XdsProtocolDocCasesTest extends XdsLoopbackTest {
  void start(String meshText) throws Exception {
    start(meshText, Duration.ZERO);
  }

  static List<String> names(DiscoveryResponse r) {
    return r.getResourcesList().stream().map(XdsProtocolDocCasesTest::name).toList();
  }

  static String name(Any any) {
    try {
      return switch (any.getTypeUrl()) {
        case AdsClient.EDS -> any.unpack(ClusterLoadAssignment.class).getClusterName();
        case AdsClient.CDS -> any.unpack(io.envoyproxy.envoy.config.cluster.v3.Cluster.class).getName();
        default -> throw new AssertionError("unexpected type " + any.getTypeUrl());
      };
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  static DiscoveryRequest first(String typeUrl, String... names) {
    return DiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(typeUrl)
        .addAllResourceNames(List.of(names)).build();
  }

  static DeltaDiscoveryRequest firstDelta(String typeUrl, String... subscribe) {
    return DeltaDiscoveryRequest.newBuilder().setNode(AdsClient.node("edge")).setTypeUrl(typeUrl)
        .addAllResourceNamesSubscribe(List.of(subscribe)).build();
  }

  static DeltaDiscoveryRequest subscribe(String typeUrl, String name) {
    return DeltaDiscoveryRequest.newBuilder().setTypeUrl(typeUrl).addResourceNamesSubscribe(name).build();
  }

  /** Sends a request the server answers for sure, so that every response to what was sent before is in the queue. */
  static DiscoveryResponse sotwBarrier(AdsClient ads, String typeUrl) throws InterruptedException {
    // Requests of one stream are handled in order: once this answer is here, earlier requests have been handled.
    // Its type must be one the case does not watch otherwise: a request replaces the watch of its type.
    DiscoveryRequest.Builder r = DiscoveryRequest.newBuilder().setTypeUrl(typeUrl);
    if (typeUrl.equals(AdsClient.EDS)) {
      r.addResourceNames(RATINGS);
    }
    ads.send(r.build());
    DiscoveryResponse answer = ads.next();
    assertThat(answer.getTypeUrl()).isEqualTo(typeUrl);
    return answer;
  }

  /** State of the world: "ACK/NACK and resource type instance version", "When to send an update". */
  @Nested
  class StateOfTheWorld {
    /**
     * "The management server should only send updates to the Envoy client when the resources in the
     * DiscoveryResponse have changed": an ACK (version_info and response_nonce of the last response) is not answered.
     */
    @Test
    void ackCarryingTheLastVersionAndNonceIsNotAnsweredWithTheSameResources() throws Exception {
      start(mesh("10.0.0.1"));
      try (AdsClient ads = new AdsClient(channel, false)) {
        ads.send(first(AdsClient.CDS));
        DiscoveryResponse cds = ads.next();
        ads.send(AdsClient.ack(cds, List.of()));
        sotwBarrier(ads, AdsClient.EDS);
        assertThat(ads.responses).isEmpty();
      }
    }

    /**
     * "NACK": error_detail set, version_info the last good one (empty at first). The rejected version is not sent
     * again; "After a NACK, an API update may succeed at a new version Y", which the client then ACKs.
     */
    @Test
    void nackWithThePreviousVersionIsFollowedOnlyByANewVersion() throws Exception {
      start(mesh("10.0.0.1"));
      try (AdsClient ads = new AdsClient(channel, false)) {
        ads.send(first(AdsClient.EDS, REVIEWS));
        DiscoveryResponse x = ads.next();
        ads.send(DiscoveryRequest.newBuilder().setTypeUrl(AdsClient.EDS).setVersionInfo("")
            .setResponseNonce(x.getNonce()).addResourceNames(REVIEWS)
            .setErrorDetail(Status.newBuilder().setCode(3).setMessage("rejected by test")).build());
        sotwBarrier(ads, AdsClient.CDS);
        assertThat(ads.responses).isEmpty();
        assertThat(server.lastRejection("edge")).hasValueSatisfying(r -> assertThat(r).contains("rejected by test"));

        reload(mesh("10.0.0.7"));
        DiscoveryResponse y = ads.next();
        assertThat(y.getTypeUrl()).isEqualTo(AdsClient.EDS);
        assertThat(y.getVersionInfo()).isNotEqualTo(x.getVersionInfo());
        assertThat(names(y)).contains(REVIEWS);
      }
    }

    /**
     * "How the client specifies what resources to return": "When the client sends a new request that changes the set
     * of resources being requested, the server must resend any newly requested resources"; only named ones are sent
     * for a type without wildcard.
     */
    @Test
    void endpointNamesAddedByAnAckAreSentAndNothingUnnamed() throws Exception {
      start(meshWithDetails());
      try (AdsClient ads = new AdsClient(channel, false)) {
        ads.send(first(AdsClient.EDS, REVIEWS));
        DiscoveryResponse one = ads.next();
        assertThat(names(one)).containsExactly(REVIEWS);
        ads.send(AdsClient.ack(one, List.of(REVIEWS, DETAILS)));
        DiscoveryResponse two = ads.next();
        assertThat(names(two)).contains(DETAILS).doesNotContain(RATINGS);
      }
    }

    /**
     * "Knowing When a Requested Resource Does Not Exist": "Management servers must remember the set of resources being
     * requested by the client, and if one of those resources springs into existence later, the server must send an
     * update to the client informing it of the new resource."
     */
    @Test
    void requestedEndpointsThatAppearLaterAreSent() throws Exception {
      start(mesh("10.0.0.1"));
      try (AdsClient ads = new AdsClient(channel, false)) {
        ads.send(first(AdsClient.EDS, DETAILS));
        reload(meshWithDetails());
        DiscoveryResponse appeared = ads.next();
        assertThat(names(appeared)).containsExactly(DETAILS);
      }
    }
  }

  /** Incremental xDS ("Incremental xDS" and its subsections). */
  @Nested
  class Delta {
    /**
     * "Subscribing to Resources": "A resource_names_subscribe field may contain resource names that the server
     * believes the client is already subscribed to, and furthermore has the most recent versions of. However, the
     * server must still provide those resources in the response".
     */
    @Test
    void subscribingAgainToAHeldResourceSendsItAgain() throws Exception {
      start(mesh("10.0.0.1"));
      try (AdsClient ads = new AdsClient(channel, true)) {
        ads.send(firstDelta(AdsClient.EDS, REVIEWS));
        DeltaDiscoveryResponse one = ads.nextDelta();
        ads.send(deltaAck(one));
        ads.send(subscribe(AdsClient.EDS, REVIEWS));
        DeltaDiscoveryResponse again = ads.nextDelta();
        assertThat(deltaNames(again)).containsExactly(REVIEWS);
      }
    }

    /**
     * "Unsubscribing from Resources": with a wildcard and a specific name, "if the client unsubscribes from that
     * specific resource name ... the server must send a response that includes the specific resource in either the
     * removed_resources field (if it is not included in the wildcard) or in the resources field (if it is)".
     */
    @Test
    void unsubscribingANameTheWildcardAlsoCoversResendsIt() throws Exception {
      start(mesh("10.0.0.1"));
      try (AdsClient ads = new AdsClient(channel, true)) {
        ads.send(firstDelta(AdsClient.CDS, "*", RATINGS));
        DeltaDiscoveryResponse all = ads.nextDelta();
        assertThat(deltaNames(all)).containsExactlyInAnyOrder(REVIEWS, RATINGS);
        ads.send(deltaAck(all));
        ads.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(AdsClient.CDS).addResourceNamesUnsubscribe(RATINGS)
            .build());
        DeltaDiscoveryResponse kept = ads.nextDelta();
        assertThat(deltaNames(kept)).containsExactly(RATINGS);
        assertThat(kept.getRemovedResourcesList()).isEmpty();
      }
    }

    /** The same exception, for a name the wildcard does not cover: it comes back in removed_resources. */
    @Test
    void unsubscribingANameOutsideTheWildcardRemovesIt() throws Exception {
      start(mesh("10.0.0.1"));
      try (AdsClient ads = new AdsClient(channel, true)) {
        ads.send(firstDelta(AdsClient.CDS, "*"));
        ads.send(deltaAck(ads.nextDelta()));
        ads.send(subscribe(AdsClient.CDS, DETAILS));
        DeltaDiscoveryResponse missing = ads.nextDelta();
        assertThat(missing.getRemovedResourcesList()).containsExactly(DETAILS);
        ads.send(deltaAck(missing));
        ads.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(AdsClient.CDS).addResourceNamesUnsubscribe(DETAILS)
            .build());
        DeltaDiscoveryResponse removed = ads.nextDelta();
        assertThat(deltaNames(removed)).isEmpty();
        assertThat(removed.getRemovedResourcesList()).containsExactly(DETAILS);
      }
    }

    /**
     * "Unsubscribing from Resources": "A resource_names_unsubscribe field may contain superfluous resource names ...
     * The server must cleanly process such a request; it can simply ignore these phantom unsubscriptions."
     */
    @Test
    void phantomUnsubscriptionIsIgnored() throws Exception {
      start(mesh("10.0.0.1"));
      try (AdsClient ads = new AdsClient(channel, true)) {
        ads.send(firstDelta(AdsClient.EDS, REVIEWS));
        ads.send(deltaAck(ads.nextDelta()));
        ads.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(AdsClient.EDS).addResourceNamesUnsubscribe(DETAILS)
            .build());
        ads.send(subscribe(AdsClient.EDS, RATINGS));
        DeltaDiscoveryResponse ratings = ads.nextDelta();
        assertThat(deltaNames(ratings)).containsExactly(RATINGS);
        assertThat(ratings.getRemovedResourcesList()).isEmpty();
        ads.send(deltaAck(ratings));
        reload(mesh("10.0.0.7"));
        assertThat(deltaNames(ads.nextDelta())).containsExactly(REVIEWS);
        assertThat(ads.closed).isNotDone();
      }
    }

    /**
     * "Incremental xDS": "the server must honor changes to the subscription state even if the nonce is stale. The
     * nonce ... should not be used to reject stale requests."
     */
    @Test
    void subscriptionChangeCarryingAStaleNonceIsHonoured() throws Exception {
      start(meshWithDetails());
      try (AdsClient ads = new AdsClient(channel, true)) {
        ads.send(firstDelta(AdsClient.EDS, REVIEWS));
        DeltaDiscoveryResponse one = ads.nextDelta();
        ads.send(deltaAck(one));
        ads.send(subscribe(AdsClient.EDS, RATINGS));
        ads.send(deltaAck(ads.nextDelta()));
        // Nonce of the first response, superseded since.
        ads.send(deltaAck(one).toBuilder().addResourceNamesSubscribe(DETAILS).build());
        assertThat(deltaNames(ads.nextDelta())).containsExactly(DETAILS);
      }
    }

    /**
     * "Incremental xDS", reconnect: initial_resource_versions tells the server what the client holds "to avoid
     * resending them"; a wildcard subscriber gets only what it lacks or holds at another version.
     */
    @Test
    void reconnectWithCurrentVersionsGetsOnlyWhatItLacks() throws Exception {
      start(mesh("10.0.0.1"));
      Map<String, String> held;
      try (AdsClient ads = new AdsClient(channel, true)) {
        ads.send(firstDelta(AdsClient.CDS));
        held = ads.nextDelta().getResourcesList().stream()
            .collect(Collectors.toMap(Resource::getName, Resource::getVersion));
      }
      try (AdsClient ads = new AdsClient(channel, true)) {
        ads.send(firstDelta(AdsClient.CDS).toBuilder().putInitialResourceVersions(REVIEWS, held.get(REVIEWS)).build());
        DeltaDiscoveryResponse rest = ads.nextDelta();
        assertThat(deltaNames(rest)).containsExactly(RATINGS);
        assertThat(rest.getRemovedResourcesList()).isEmpty();
      }
    }

    /** system_version_info is "present for debugging purposes only": the type's version, here that of the snapshot. */
    @Test
    void responsesCarryASystemVersion() throws Exception {
      start(mesh("10.0.0.1"));
      try (AdsClient ads = new AdsClient(channel, true)) {
        ads.send(firstDelta(AdsClient.CDS));
        assertThat(ads.nextDelta().getSystemVersionInfo()).isNotEmpty();
      }
    }
  }

  /**
   * A type URL the server does not serve: the document says nothing but that each type is its own sub-stream of ADS
   * ("Aggregated Discovery Service"), so asking for one must not break the others.
   */
  @Nested
  class UnknownType {
    static final String UNKNOWN = "type.googleapis.com/envoy.example.v3.NotAType";

    @Test
    void sotwRequestForAnUnknownTypeLeavesTheStreamServingTheOthers() throws Exception {
      start(mesh("10.0.0.1"));
      try (AdsClient ads = new AdsClient(channel, false)) {
        ads.send(first(UNKNOWN, "x"));
        ads.send(DiscoveryRequest.newBuilder().setTypeUrl(AdsClient.CDS).build());
        DiscoveryResponse cds = ads.next();
        assertThat(cds.getTypeUrl()).isEqualTo(AdsClient.CDS);
        assertThat(ads.closed).isNotDone();
      }
    }

    @Test
    void deltaRequestForAnUnknownTypeLeavesTheStreamServingTheOthers() throws Exception {
      start(mesh("10.0.0.1"));
      try (AdsClient ads = new AdsClient(channel, true)) {
        ads.send(firstDelta(UNKNOWN, "x"));
        ads.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(AdsClient.CDS).build());
        DeltaDiscoveryResponse cds = ads.nextDelta();
        assertThat(cds.getTypeUrl()).isEqualTo(AdsClient.CDS);
        assertThat(ads.closed).isNotDone();
      }
    }
  }
}
