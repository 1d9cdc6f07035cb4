package io.switchyard.flinkjobs.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.model.LatencyBuckets;
import io.switchyard.model.v1.CodeCount;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.ServiceAggregate;
import io.switchyard.model.v1.TelemetrySource;
import org.junit.jupiter.api.Test;

class AggregatesTest {
  private static EdgeEvent event(double weight, boolean failed, double client, double server, String code, String flags) {
    EdgeEvent e = new EdgeEvent();
    e.clientName = "frontend";
    e.serverName = "checkout";
    e.source = TelemetrySource.TELEMETRY_SOURCE_TRACE_VALUE;
    e.weight = weight;
    e.failed = failed;
    e.clientLatencySeconds = client;
    e.serverLatencySeconds = server;
    e.responseClass = code;
    e.responseFlags = flags;
    return e;
  }

  @Test
  void countsFailuresLatenciesCodesAndFlagsWeightedBySampling() {
    EdgeAggregate a = EdgeAggregate.getDefaultInstance();
    a = BuilderFold.add(a, event(1, false, 0.010, 0.008, "2xx", ""));
    a = BuilderFold.add(a, event(4, true, 0.200, -1, "5xx", "UF,URX"));
    assertThat(a.getClient().getName()).isEqualTo("frontend");
    assertThat(a.getRequestCount()).isEqualTo(5);
    assertThat(a.getFailedCount()).isEqualTo(4);
    assertThat(a.getClientLatency().getCount()).isEqualTo(5);
    assertThat(a.getServerLatency().getCount()).isEqualTo(1); // the unobserved side records nothing
    assertThat(a.getResponsesList()).extracting(CodeCount::getCode, CodeCount::getCount)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("2xx", 1.0), org.assertj.core.groups.Tuple.tuple("5xx", 4.0));
    assertThat(a.getResponseFlagsList()).extracting(CodeCount::getCode).containsExactly("UF", "URX");
    assertThat(LatencyBuckets.quantile(a.getClientLatency(), 0.5)).isCloseTo(0.2, within(0.2 * 0.42));
  }

  @Test
  void exactCodesAreCappedPerRecordThePastTheCapCountingUnderTheirClassInPartialsAndMerges() {
    EdgeAggregate folded = EdgeAggregate.getDefaultInstance();
    EdgeAggregate first = EdgeAggregate.getDefaultInstance();
    EdgeAggregate second = EdgeAggregate.getDefaultInstance();
    for (int i = 0; i < Aggregates.MAX_RESPONSE_CODES + 3; i++) {
      EdgeEvent e = event(1, false, 0.01, 0.01, "4xx", "");
      e.responseCode = Integer.toString(400 + i);
      e.sentBytes = 10;
      e.receivedBytes = 1;
      folded = BuilderFold.add(folded, e);
      if (i < 8) {
        first = BuilderFold.add(first, e);
      } else {
        second = BuilderFold.add(second, e);
      }
    }
    assertThat(folded.getResponseCodesCount()).isEqualTo(Aggregates.MAX_RESPONSE_CODES + 1);
    assertThat(folded.getResponseCodes(Aggregates.MAX_RESPONSE_CODES - 1).getCode()).isEqualTo("411");
    assertThat(folded.getResponseCodes(Aggregates.MAX_RESPONSE_CODES)).isEqualTo(CodeCount.newBuilder().setCode("4xx").setCount(3).build());
    assertThat(folded.getSentBytes()).isEqualTo(150);
    assertThat(folded.getReceivedBytes()).isEqualTo(15);
    EdgeAggregate merged = Aggregates.merge(first, second);
    assertThat(merged.getResponseCodesList()).isEqualTo(folded.getResponseCodesList());
    assertThat(merged.getSentBytes()).isEqualTo(150);
    assertThat(Aggregates.codeClass("503")).isEqualTo("5xx");
    assertThat(Aggregates.codeClass("14")).isEqualTo("grpc");
    assertThat(Aggregates.codeClass("-")).isEqualTo("-");
  }

  @Test
  void mergeEqualsAddingEverythingToOneAccumulator() {
    EdgeEvent x = event(1, false, 0.01, 0.009, "2xx", "");
    EdgeEvent y = event(2, true, 0.5, 0.4, "5xx", "UH");
    EdgeAggregate one = BuilderFold.add(BuilderFold.add(EdgeAggregate.getDefaultInstance(), x), y);
    EdgeAggregate merged = Aggregates.merge(BuilderFold.add(EdgeAggregate.getDefaultInstance(), x),
        BuilderFold.add(EdgeAggregate.getDefaultInstance(), y));
    assertThat(merged).isEqualTo(one);
  }

  @Test
  void mergeLeavesEmptyWhatTheMergedAggregatesDisagreeOnAndKeepsTheRest() {
    EdgeEvent v1 = event(1, false, 0.01, 0.009, "2xx", "");
    v1.serverVersion = "v1";
    v1.serverWorkload = "checkout-v1";
    v1.protocol = "http";
    EdgeEvent v2 = event(2, true, 0.5, 0.4, "5xx", "UH");
    v2.serverVersion = "v2";
    v2.serverWorkload = "checkout-v2";
    v2.protocol = "http";
    v2.serverKind = 1;
    EdgeEvent v1Again = event(1, false, 0.02, 0.01, "2xx", "");
    v1Again.serverVersion = "v1";
    v1Again.serverWorkload = "checkout-v1";
    v1Again.protocol = "grpc";

    EdgeAggregate merged = Aggregates.merge(Aggregates.merge(BuilderFold.add(EdgeAggregate.getDefaultInstance(), v1),
        BuilderFold.add(EdgeAggregate.getDefaultInstance(), v2)), BuilderFold.add(EdgeAggregate.getDefaultInstance(), v1Again));

    assertThat(merged.getServer()).isEqualTo(NodeRef.newBuilder().setName("checkout").build()); // once empty, stays empty
    assertThat(merged.getClient()).isEqualTo(v1.clientNode());
    assertThat(merged.getProtocol()).isEmpty();
    assertThat(merged.getRequestCount()).isEqualTo(4);
    assertThat(merged).isEqualTo(BuilderFold.add(BuilderFold.add(BuilderFold.add(EdgeAggregate.getDefaultInstance(), v1), v2), v1Again));
    assertThat(Aggregates.merge(BuilderFold.add(EdgeAggregate.getDefaultInstance(), v1),
        BuilderFold.add(EdgeAggregate.getDefaultInstance(), v1Again)).getServer()).isEqualTo(v1.serverNode());

    ServiceAggregate service = Aggregates.mergeService(BuilderFold.addService(ServiceAggregate.getDefaultInstance(), v1),
        BuilderFold.addService(ServiceAggregate.getDefaultInstance(), v2));
    assertThat(service.getService()).isEqualTo(NodeRef.newBuilder().setName("checkout").build());
    assertThat(service.getRequestCount()).isEqualTo(3);
  }

  @Test
  void serviceAggregateUsesServerLatencyElseClientLatency() {
    ServiceAggregate s = ServiceAggregate.getDefaultInstance();
    s = BuilderFold.addService(s, event(1, false, 0.3, 0.1, "2xx", ""));
    s = BuilderFold.addService(s, event(1, false, 0.3, -1, "2xx", ""));
    assertThat(s.getService().getName()).isEqualTo("checkout");
    assertThat(s.getRequestCount()).isEqualTo(2);
    assertThat(s.getLatency().getSumSeconds()).isCloseTo(0.4, within(1e-9));
  }

  @Test
  void kafkaKeysNameClientAndServer() {
    EdgeAggregate a = BuilderFold.add(EdgeAggregate.getDefaultInstance(), event(1, false, 0.1, 0.1, "", ""));
    assertThat(Aggregates.edgeKafkaKey(a)).isEqualTo("frontend->checkout");
  }
}
