package io.switchyard.topology.query;

import static io.switchyard.topology.Fixtures.MINUTE;
import static io.switchyard.topology.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchyard.testing.MutableClock;
import io.switchyard.topology.Fixtures;
import io.switchyard.topology.MeshScenario;
import io.switchyard.topology.query.TopologyQueries.GraphRequest;
import io.switchyard.topology.store.RocksTopologyStore;
import io.switchyard.topology.store.StoreBatch;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TopologyQueriesTest {
  /** A percentile read off a log bucket is within one bucket (factor 2^(1/2)) of the true value. */
  private static final double BUCKET = Math.sqrt(2) * 1.0001;

  @TempDir Path dir;
  private RocksTopologyStore store;
  private MutableClock clock;
  private TopologyQueries queries;

  @BeforeEach
  void fill() {
    store = RocksTopologyStore.open(dir);
    StoreBatch b = new StoreBatch();
    MeshScenario.edges().forEach(k -> b.edge(k.key(), k.value()));
    MeshScenario.services().forEach(k -> b.service(k.key(), k.value()));
    store.write(b);
    clock = new MutableClock(MeshScenario.NOW);
    queries = new TopologyQueries(store, clock, () -> 0, () -> true, new DecodePool(0));
  }

  @AfterEach
  void close() {
    store.close();
  }

  private Graph graph(long from, long to, String namespace, String service, Integer depth, GraphType type) {
    return queries.graph(new GraphRequest(from, to, namespace, service, depth, type));
  }

  @Test
  void graphRatesErrorsAndLatencyMatchHandComputedFigures() {
    Graph g = graph(T0, clock.millis(), null, null, null, GraphType.SERVICE);

    assertThat(g.window().fromMs()).isEqualTo(T0);
    assertThat(g.window().toMs()).isEqualTo(T0 + 10 * MINUTE);
    assertThat(g.window().seconds()).isEqualTo(600.0);
    Map<String, Graph.Edge> edges = g.edges().stream().collect(Collectors.toMap(Graph.Edge::id, Function.identity()));
    assertThat(edges).containsOnlyKeys("user->shop/frontend", "shop/frontend->shop/cart", "shop/cart->db",
        "shop/frontend->pay/payments");

    Graph.Edge cart = edges.get("shop/frontend->shop/cart");
    // Mesh figures only: 10 x 60 requests, 10 x 3 failed; the 10 x 30 trace requests are not added.
    assertThat(cart.requests()).isEqualTo(600.0);
    assertThat(cart.requestRate()).isEqualTo(1.0);
    assertThat(cart.errorPercent()).isEqualTo(5.0);
    assertThat(cart.telemetry()).isEqualTo("mesh");
    assertThat(cart.responses()).containsEntry("2xx", 570.0).containsEntry("5xx", 30.0);
    assertThat(cart.latencyMs().p50()).isBetween(20 / BUCKET, 20 * BUCKET);
    assertThat(cart.latencyMs().p99()).isBetween(20 / BUCKET, 20 * BUCKET);
    assertThat(cart.clientLatencyMs().p95()).isBetween(22 / BUCKET, 22 * BUCKET);

    Graph.Edge payments = edges.get("shop/frontend->pay/payments");
    assertThat(payments.requestRate()).isEqualTo(0.05); // 30 requests over 600 s
    assertThat(payments.errorPercent()).isEqualTo(16.667); // 5 of 30

    Graph.Edge db = edges.get("shop/cart->db");
    assertThat(db.telemetry()).isEqualTo("trace");
    assertThat(db.connectionType()).isEqualTo("database");
    assertThat(db.requestRate()).isEqualTo(0.5);
  }

  @Test
  void nodesCarryInboundOutboundTrafficAndKinds() {
    Graph g = graph(T0, clock.millis(), null, null, null, GraphType.SERVICE);
    Map<String, Graph.Node> nodes = g.nodes().stream().collect(Collectors.toMap(Graph.Node::id, Function.identity()));

    assertThat(nodes.get("user").kind()).isEqualTo("user");
    assertThat(nodes.get("user").root()).isTrue();
    assertThat(nodes.get("db").kind()).isEqualTo("virtual");
    Graph.Node frontend = nodes.get("shop/frontend");
    assertThat(frontend.root()).isFalse();
    assertThat(frontend.requestRateIn()).isEqualTo(2.0);
    // Out: 600 to cart + 30 to payments over 600 s.
    assertThat(frontend.requestRateOut()).isEqualTo(1.05);
    Graph.Node cart = nodes.get("shop/cart");
    assertThat(cart.errorPercentIn()).isEqualTo(5.0);
    assertThat(cart.requestRateOut()).isEqualTo(0.5);
    assertThat(cart.latencyMs().p95()).isBetween(20 / BUCKET, 20 * BUCKET);
  }

  @Test
  void narrowerRangeDividesByItsOwnSpan() {
    Graph g = graph(T0, T0 + 5 * MINUTE, null, null, null, GraphType.SERVICE);
    assertThat(g.window().seconds()).isEqualTo(300.0);
    Graph.Edge payments = g.edges().stream().filter(e -> e.target().equals("pay/payments")).findFirst().orElseThrow();
    assertThat(payments.requestRate()).isEqualTo(0.1);
  }

  @Test
  void rangeBeyondTheNewestWindowIsCappedSoRatesAreNotDiluted() {
    clock.advance(Duration.ofMinutes(5));
    Graph g = graph(T0, clock.millis(), null, null, null, GraphType.SERVICE);
    assertThat(g.window().toMs()).isEqualTo(T0 + 10 * MINUTE);
    assertThat(g.edges()).filteredOn(e -> e.id().equals("shop/frontend->shop/cart"))
        .singleElement().extracting(Graph.Edge::requestRate).isEqualTo(1.0);
    assertThat(queries.freshness().stale()).isTrue();
    assertThat(queries.freshness().pipelineLagSeconds()).isEqualTo(330.0);
  }

  @Test
  void freshAfterHalfAMinute() {
    TopologyQueries.FreshnessView f = queries.freshness();
    assertThat(f.newestCompleteWindow()).isEqualTo("2026-11-25T20:10:00Z");
    assertThat(f.pipelineLagSeconds()).isEqualTo(30.0);
    assertThat(f.stale()).isFalse();
  }

  @Test
  void namespaceFilterKeepsEdgesWithAnEndInside() {
    Graph g = graph(T0, clock.millis(), "pay", null, null, GraphType.SERVICE);
    assertThat(g.edges()).extracting(Graph.Edge::id).containsExactly("shop/frontend->pay/payments");
    assertThat(g.nodes()).extracting(Graph.Node::id).containsExactlyInAnyOrder("shop/frontend", "pay/payments");
  }

  @Test
  void serviceFilterWalksTheRequestedNumberOfHops() {
    assertThat(graph(T0, clock.millis(), null, "cart", null, GraphType.SERVICE).edges()).extracting(Graph.Edge::id)
        .containsExactlyInAnyOrder("shop/frontend->shop/cart", "shop/cart->db");
    assertThat(graph(T0, clock.millis(), null, "cart", 2, GraphType.SERVICE).edges()).extracting(Graph.Edge::id)
        .containsExactlyInAnyOrder("shop/frontend->shop/cart", "shop/cart->db", "user->shop/frontend",
            "shop/frontend->pay/payments");
  }

  @Test
  void workloadGraphNamesNodesByWorkloadAndKeepsVirtualNodes() {
    Graph g = graph(T0, clock.millis(), null, null, null, GraphType.WORKLOAD);
    assertThat(g.nodes()).extracting(Graph.Node::id)
        .containsExactlyInAnyOrder("user", "shop/frontend-v1", "shop/cart-v1", "db", "pay/payments-v1");
  }

  @Test
  void badRangesAndDepthWithoutServiceAreRejected() {
    assertThatThrownBy(() -> graph(T0 + MINUTE, T0, null, null, null, GraphType.SERVICE))
        .isInstanceOf(BadParameterException.class).extracting("parameter").isEqualTo("from");
    assertThatThrownBy(() -> graph(T0, T0 + MINUTE, null, null, 2, GraphType.SERVICE))
        .isInstanceOf(BadParameterException.class).extracting("parameter").isEqualTo("depth");
  }

  @Test
  void servicesOfTheSameNameInTwoNamespacesAreListedApartAndSeriesTakeANamespace() {
    StoreBatch b = new StoreBatch();
    b.service("cart.outlet", Fixtures.serviceWindow(MeshScenario.CART.toBuilder().setNamespace("outlet").build(),
        MeshScenario.MESH, T0, 60, 6, 0.02));
    store.write(b);
    QueryWindow w = queries.window(T0, clock.millis());
    assertThat(queries.services(w, null)).extracting(s -> s.namespace() + "/" + s.name() + " " + s.requests())
        .containsExactly("outlet/cart 60.0", "shop/cart 600.0");
    assertThat(queries.service("cart", "outlet", w, null).summary().requests()).isEqualTo(60.0);
    assertThat(queries.service("cart", "shop", w, null).summary().requests()).isEqualTo(600.0);
    assertThat(queries.service("cart", null, w, null).summary().requests()).isEqualTo(660.0);
    assertThat(queries.service("cart", "pay", w, null)).isNull();
    // Several namespaces separated by commas, as the graph's namespace takes them.
    assertThat(queries.services(w, "shop, outlet")).hasSize(2);
    assertThat(queries.services(w, "outlet,nope")).extracting(s -> s.namespace()).containsExactly("outlet");
    assertThat(queries.services(w, ",")).hasSize(2);
    assertThat(queries.service("cart", "shop,outlet", w, null).summary().requests()).isEqualTo(660.0);
    assertThat(queries.servicesWithSeries(w, "outlet,shop", 5 * MINUTE)).hasSize(2);
  }

  @Test
  void servicesPreferMeshAndSeriesSplitByStep() {
    QueryWindow w = queries.window(T0, clock.millis());
    assertThat(queries.services(w, null)).singleElement().satisfies(s -> {
      assertThat(s.name()).isEqualTo("cart");
      assertThat(s.requests()).isEqualTo(600.0);
      assertThat(s.requestRate()).isEqualTo(1.0);
      assertThat(s.errorPercent()).isEqualTo(5.0);
      assertThat(s.telemetry()).isEqualTo("mesh");
    });
    TopologyQueries.ServiceDetail d = queries.service("cart", null, w, 5 * MINUTE);
    assertThat(d.series()).hasSize(2);
    assertThat(d.series()).allSatisfy(p -> {
      assertThat(p.requests()).isEqualTo(300.0);
      assertThat(p.requestRate()).isEqualTo(1.0);
      assertThat(p.errorPercent()).isEqualTo(5.0);
    });
    assertThat(d.series().get(1).time()).isEqualTo("2026-11-25T20:05:00Z");
    assertThat(queries.service("nope", null, w, null)).isNull();
    assertThatThrownBy(() -> queries.service("cart", null, w, 90_000L))
        .isInstanceOf(BadParameterException.class).extracting("parameter").isEqualTo("step");
  }

  @Test
  void theServicesListWithAStepGivesEachServiceTheSeriesItsOwnQueryGives() {
    StoreBatch b = new StoreBatch();
    b.service("cart.outlet", Fixtures.serviceWindow(MeshScenario.CART.toBuilder().setNamespace("outlet").build(),
        MeshScenario.MESH, T0 + 7 * MINUTE, 60, 6, 0.02));
    store.write(b);
    QueryWindow w = queries.window(T0, clock.millis());
    List<TopologyQueries.ServiceSeries> all = queries.servicesWithSeries(w, null, 5 * MINUTE);
    assertThat(all).extracting(s -> s.service().namespace() + "/" + s.service().name()).containsExactly("outlet/cart", "shop/cart");
    for (TopologyQueries.ServiceSeries s : all) {
      TopologyQueries.ServiceDetail one = queries.service("cart", s.service().namespace(), w, 5 * MINUTE);
      assertThat(s.service()).isEqualTo(one.summary());
      assertThat(s.series()).isEqualTo(one.series());
    }
    assertThat(all.get(0).series()).extracting(TopologyQueries.SeriesPoint::requests).containsExactly(0.0, 60.0);
    assertThat(queries.servicesWithSeries(w, "outlet", 5 * MINUTE)).hasSize(1);
    assertThatThrownBy(() -> queries.servicesWithSeries(w, null, 90_000L))
        .isInstanceOf(BadParameterException.class).extracting("parameter").isEqualTo("step");
  }

  @Test
  void aRangeReachingBeforeTheOldestStoredMinuteStartsThere() {
    // from=0 would otherwise plan a read for every minute since 1970.
    Graph g = graph(0, clock.millis(), null, null, null, GraphType.SERVICE);
    assertThat(g.window().fromMs()).isEqualTo(T0);
    assertThat(g.window().seconds()).isEqualTo(600.0);
    assertThat(g.edges()).isNotEmpty();
    assertThat(queries.window(T0 + 2 * MINUTE, clock.millis()).fromMs()).isEqualTo(T0 + 2 * MINUTE);
  }

  @Test
  void anEmptyStoreAnswersAnyRangeWithAnEmptyWindow(@TempDir Path empty) {
    try (RocksTopologyStore none = RocksTopologyStore.open(empty)) {
      TopologyQueries q = new TopologyQueries(none, clock, () -> 0, () -> true, new DecodePool(0));
      Graph g = q.graph(new GraphRequest(0, clock.millis(), null, null, null, GraphType.SERVICE));
      assertThat(g.window().seconds()).isZero();
      assertThat(g.nodes()).isEmpty();
      assertThat(none.oldestWindowStartMs()).isEqualTo(Long.MAX_VALUE);
    }
  }
}
