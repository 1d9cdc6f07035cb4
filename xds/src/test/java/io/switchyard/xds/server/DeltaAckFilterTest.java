package io.switchyard.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.Status;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What reaches java-control-plane of a delta request that names a response nonce. */
class DeltaAckFilterTest {
  static DeltaDiscoveryRequest ack(String type, String nonce) {
    return DeltaDiscoveryRequest.newBuilder().setTypeUrl(type).setResponseNonce(nonce).build();
  }

  @Test
  void ackOfAnUnansweredResponsePassesOnceAndItsRepeatIsDropped() {
    Map<String, String> unanswered = new HashMap<>(Map.of("3", AdsClient.EDS));
    DeltaDiscoveryRequest ack = ack(AdsClient.EDS, "3");
    assertThat(DeltaAckFilter.filter(ack, unanswered)).isSameAs(ack);
    assertThat(unanswered).isEmpty();
    assertThat(DeltaAckFilter.filter(ack, unanswered)).isNull();
  }

  @Test
  void ackUnderAnotherTypeThanItsResponseIsDropped() {
    Map<String, String> unanswered = new HashMap<>(Map.of("3", AdsClient.CDS));
    assertThat(DeltaAckFilter.filter(ack(AdsClient.EDS, "3"), unanswered)).isNull();
    // The response stays unanswered: its own ACK still counts.
    assertThat(unanswered).containsEntry("3", AdsClient.CDS);
  }

  @Test
  void ackWithoutTypeOfASingleTypeStreamMatchesByNonce() {
    Map<String, String> unanswered = new HashMap<>(Map.of("3", AdsClient.CDS));
    DeltaDiscoveryRequest ack = ack("", "3");
    assertThat(DeltaAckFilter.filter(ack, unanswered)).isSameAs(ack);
  }

  @Test
  void nackOfAnUnknownNonceStillPasses() {
    DeltaDiscoveryRequest nack = ack(AdsClient.EDS, "9").toBuilder()
        .setErrorDetail(Status.newBuilder().setMessage("rejected")).build();
    assertThat(DeltaAckFilter.filter(nack, new HashMap<>())).isSameAs(nack);
  }

  @Test
  void unknownAckThatChangesTheSubscriptionPassesWithoutItsNonce() {
    DeltaDiscoveryRequest r = ack(AdsClient.EDS, "9").toBuilder().addResourceNamesSubscribe("a")
        .addResourceNamesUnsubscribe("b").build();
    DeltaDiscoveryRequest passed = DeltaAckFilter.filter(r, new HashMap<>());
    assertThat(passed.getResponseNonce()).isEmpty();
    assertThat(passed.getResourceNamesSubscribeList()).containsExactly("a");
    assertThat(passed.getResourceNamesUnsubscribeList()).containsExactly("b");
  }
}
