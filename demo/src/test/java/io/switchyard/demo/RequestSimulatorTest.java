package io.switchyard.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RequestSimulatorTest {
  private static final long T0 = 1_700_000_000_000_000_000L;

  @Test
  void productsRequestReachesCatalogAndTheDatabase() {
    SimulatedCall entry = new RequestSimulator(new Random(1)).simulate("GET", "/api/products", T0, false);
    List<String> edges = edges(entry);
    assertThat(edges).contains("istio-ingressgateway->frontend", "frontend->catalog", "catalog->postgres", "frontend->currency");
  }

  @Test
  void callsNestInsideTheirCallersTime() {
    SimulatedCall entry = new RequestSimulator(new Random(2)).simulate("POST", "/api/checkout", T0, false);
    entry.forEach(c -> {
      assertThat(c.clientEndNanos()).isGreaterThanOrEqualTo(c.clientStartNanos());
      if (c.callee().kind() == Storefront.Kind.HTTP) {
        assertThat(c.serverStartNanos()).isGreaterThanOrEqualTo(c.clientStartNanos());
        assertThat(c.serverEndNanos()).isLessThanOrEqualTo(c.clientEndNanos());
      }
    });
  }

  @Test
  void queueConsumerStartsAfterTheProducerEnds() {
    RequestSimulator sim = new RequestSimulator(new Random(3));
    SimulatedCall entry = sim.simulate("POST", "/api/checkout", T0, false);
    List<SimulatedCall> publishes = new ArrayList<>();
    entry.forEach(c -> {
      if (c.callee().kind() == Storefront.Kind.QUEUE) {
        publishes.add(c);
      }
    });
    assertThat(publishes).isNotEmpty();
    for (SimulatedCall p : publishes) {
      assertThat(p.children()).singleElement().satisfies(consumer -> {
        assertThat(consumer.callee().name()).isEqualTo("shipping");
        assertThat(consumer.serverStartNanos()).isGreaterThan(p.clientEndNanos());
      });
    }
  }

  @Test
  void checkoutOutageFailsManyMoreCheckoutsAndSlowsThem() {
    RequestSimulator steady = new RequestSimulator(new Random(4));
    RequestSimulator outage = new RequestSimulator(new Random(4));
    int steadyFailed = 0;
    int outageFailed = 0;
    long steadyTime = 0;
    long outageTime = 0;
    for (int i = 0; i < 2000; i++) {
      SimulatedCall a = steady.simulate("POST", "/api/checkout", T0, false);
      SimulatedCall b = outage.simulate("POST", "/api/checkout", T0, true);
      steadyFailed += a.failed() ? 1 : 0;
      outageFailed += b.failed() ? 1 : 0;
      steadyTime += a.serverDurationNanos();
      outageTime += b.serverDurationNanos();
    }
    assertThat(outageFailed).isGreaterThan(steadyFailed * 5).isGreaterThan(500);
    assertThat(outageTime).isGreaterThan(steadyTime * 2);
  }

  @Test
  void rejectedRequestsStopAtTheFrontend() {
    SimulatedCall r = new RequestSimulator(new Random(5)).rejected("GET", "/admin/stats", T0, 403);
    assertThat(r.children()).isEmpty();
    assertThat(r.httpStatus()).isEqualTo(403);
    assertThat(r.failed()).isFalse();
  }

  private static List<String> edges(SimulatedCall entry) {
    List<String> out = new ArrayList<>();
    entry.forEach(c -> out.add(c.caller().name() + "->" + c.callee().name()));
    return out;
  }
}
