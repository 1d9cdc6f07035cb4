package io.switchyard.topology.query;

import static io.switchyard.topology.Fixtures.MINUTE;
import static io.switchyard.topology.Fixtures.T0;
import static io.switchyard.topology.Fixtures.edge;
import static io.switchyard.topology.Fixtures.node;
import static io.switchyard.topology.Fixtures.service;
import static io.switchyard.topology.Fixtures.serviceWindow;
import static io.switchyard.topology.query.MeshRuleTest.database;
import static io.switchyard.topology.query.MeshRuleTest.put;
import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.ServiceAggregate;
import io.switchyard.model.v1.TelemetrySource;
import io.switchyard.testing.MutableClock;
import io.switchyard.topology.metrics.TopologyCollector;
import io.switchyard.topology.query.TopologyQueries.GraphRequest;
import io.switchyard.topology.store.RocksTopologyStore;
import io.switchyard.topology.store.StoreBatch;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A traced service without a namespace (an SDK that sets no {@code service.namespace}) against the one logged service
 * of its name (audit F4). Per minute, the spans name no namespace and the sidecars log in m10:
 * <ul>
 *   <li>{@code user -> gw} 50 traced: {@code m10/gw} is logged only as a caller, so nothing stands for it;
 *   <li>{@code gw -> frontend} 50 (5 failed) traced and {@code m10/gw -> m10/frontend} 50 (5 failed) logged, the same
 *       requests (callee side);
 *   <li>{@code frontend -> postgres} (a bare {@code db.name}) 5 traced and {@code m10/frontend -> m10/postgres} 5 logged
 *       (caller side: {@code postgres} resolves in the caller's twin's namespace);
 *   <li>{@code frontend -> cart} 7 traced; {@code shop/web -> shop/cart} 20 logged every minute and
 *       {@code pay/web -> pay/cart} 30 from minute 5 on: one twin in minutes 0-4, two (unresolved) after;
 *   <li>{@code user -> shop/api} 3 traced next to {@code m10/gw -> m10/api} 8 logged: a namespaced traced service is
 *       not matched by name.
 * </ul>
 */
class NamespaceTwinTest {
  private static final TelemetrySource MESH = TelemetrySource.TELEMETRY_SOURCE_MESH;
  private static final TelemetrySource TRACE = TelemetrySource.TELEMETRY_SOURCE_TRACE;
  private static final NodeRef USER = node("user", NodeRef.NodeKind.NODE_KIND_USER);
  private static final NodeRef GW = service("gw", "");
  private static final NodeRef FRONTEND = service("frontend", "");
  private static final NodeRef CART = service("cart", "");
  private static final NodeRef M10_GW = service("gw", "m10");
  private static final NodeRef M10_FRONTEND = service("frontend", "m10");
  private static final NodeRef M10_POSTGRES = service("postgres", "m10");
  private static final NodeRef M10_API = service("api", "m10");
  private static final NodeRef SHOP_API = service("api", "shop");
  private static final NodeRef SHOP_CART = service("cart", "shop");
  private static final NodeRef PAY_CART = service("cart", "pay");

  @TempDir Path dir;

  @Test
  void aNamespaceLessServiceIsItsOneLoggedTwinOnTheCalleeAndTheCallerSide() {
    MeshRule.Twins twins = new MeshRule.Twins();
    twins.logged(M10_GW);
    twins.logged(M10_FRONTEND);
    twins.logged(SHOP_CART);
    twins.logged(PAY_CART);
    twins.logged(SHOP_API);
    // Callee side: the traced frontend is m10's.
    assertThat(MeshRule.serverOf(GW, FRONTEND, twins)).isEqualTo("m10/frontend");
    // Caller side: a bare peer name resolves in the namespace of the caller's twin.
    NodeRef postgres = node("postgres", NodeRef.NodeKind.NODE_KIND_VIRTUAL);
    assertThat(MeshRule.serverOf(FRONTEND, postgres, twins)).isEqualTo("m10/postgres");
    assertThat(MeshRule.serverOf(FRONTEND, postgres)).isNull();
    // Two namespaces have a cart: never guessed.
    assertThat(MeshRule.serverOf(FRONTEND, CART, twins)).isEqualTo("/cart");
    assertThat(MeshRule.serverOf(CART, postgres, twins)).isNull();
    // No logged service of the name: itself.
    assertThat(MeshRule.serverOf(GW, service("search", ""), twins)).isEqualTo("/search");
    // A namespaced service is never matched by name, nor are a user and an unknown caller.
    assertThat(MeshRule.serverOf(USER, service("frontend", "shop"), twins)).isEqualTo("shop/frontend");
    assertThat(MeshRule.serverOf(USER, postgres, twins)).isNull();
    assertThat(MeshRule.serverOf(node("frontend", NodeRef.NodeKind.NODE_KIND_UNKNOWN), postgres, twins)).isNull();
    assertThat(MeshRule.twinName(GW, FRONTEND)).isEqualTo("frontend");
    assertThat(MeshRule.twinName(FRONTEND, postgres)).isEqualTo("frontend");
    assertThat(MeshRule.twinName(M10_FRONTEND, postgres)).isNull();
    assertThat(MeshRule.twinName(USER, SHOP_API)).isNull();
  }

  @Test
  void aNameInTwoNamespacesOfWhichOneIsLoggedInOnlySomeMinutesOfABucketIsUndecided() {
    MeshRule.Twins twins = new MeshRule.Twins();
    twins.logged(SHOP_CART, true);
    twins.logged(PAY_CART, false);
    twins.logged(M10_FRONTEND, false);
    assertThat(twins.undecided("cart")).isTrue();
    assertThat(twins.undecided("frontend")).isFalse();
    twins.logged(PAY_CART, true);
    assertThat(twins.undecided("cart")).as("two namespaces in every minute: no minute has one twin").isFalse();
  }

  @Test
  void theTracedHopNextToItsLoggedTwinIsDroppedSoTheRequestsCountOnce() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      write(store, 10);
      Graph g = queries(store, 10).graph(new GraphRequest(T0, T0 + 10 * MINUTE, null, null, null, GraphType.SERVICE));
      assertHandComputed(g, 0, 10);
    }
  }

  @Test
  void rollUpsGiveTheFiguresOfTheirMinutesAlsoWhenATwinIsLoggedInSomeMinutesOnly() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      write(store, 120);
      store.completeRollups();
      TopologyQueries queries = queries(store, 120);
      for (long[] range : new long[][] {{0, 5}, {0, 60}, {0, 120}, {3, 97}, {60, 120}}) {
        GraphRequest request = new GraphRequest(T0 + range[0] * MINUTE, T0 + range[1] * MINUTE, null, null, null,
            GraphType.SERVICE);
        assertHandComputed(queries.graph(request), range[0], range[1]);
        // Asked again: from the cached and the stored pieces.
        assertHandComputed(queries.graph(request), range[0], range[1]);
      }
    }
  }

  private static void assertHandComputed(Graph g, long from, long to) {
    long m = to - from;
    // Minutes of the range in which cart has one logged twin (minutes 0-4).
    long oneCart = Math.max(0, Math.min(5, to) - from);
    Map<String, Graph.Node> nodes = byId(g.nodes(), Graph.Node::id);
    Map<String, Graph.Edge> edges = byId(g.edges(), Graph.Edge::id);
    String range = from + "-" + to;
    assertThat(edges).as(range).doesNotContainKeys("gw->frontend", "frontend->postgres");
    // F4: 50 requests a minute into frontend, whichever node draws them, not 100.
    double frontendIn = g.nodes().stream().filter(n -> n.name().equals("frontend")).mapToDouble(Graph.Node::requestsIn).sum();
    assertThat(frontendIn).as(range).isEqualTo(50.0 * m);
    assertThat(nodes.get("m10/frontend").requestsIn()).isEqualTo(50.0 * m);
    assertThat(nodes.get("m10/frontend").errorPercentIn()).isEqualTo(10.0);
    assertThat(nodes.get("m10/postgres").requestsIn()).isEqualTo(5.0 * m);
    // Not matched: gw's twin logs no request into it; cart in two namespaces; the namespaced shop/api.
    assertThat(edges.get("user->gw").requests()).isEqualTo(50.0 * m);
    assertThat(nodes.get("shop/api").requestsIn()).isEqualTo(3.0 * m);
    assertThat(nodes.get("m10/api").requestsIn()).isEqualTo(8.0 * m);
    if (oneCart == m) {
      assertThat(edges).as(range).doesNotContainKey("frontend->cart");
      assertThat(nodes).as(range).doesNotContainKeys("frontend", "cart");
    } else {
      assertThat(edges.get("frontend->cart").requests()).as(range).isEqualTo(7.0 * (m - oneCart));
      assertThat(nodes.get("frontend").requestsOut()).as(range).isEqualTo(7.0 * (m - oneCart));
    }
    assertThat(nodes.get("shop/cart").requestsIn()).isEqualTo(20.0 * m);
    assertThat(nodes.get("m10/gw").requestsOut()).isEqualTo(58.0 * m);
  }

  private static void write(RocksTopologyStore store, int minutes) {
    StoreBatch b = new StoreBatch();
    NodeRef web = service("web", "shop");
    for (int m = 0; m < minutes; m++) {
      long s = T0 + m * MINUTE;
      put(b, edge(USER, GW, TRACE, s, 50, 5, 0.05));
      put(b, edge(GW, FRONTEND, TRACE, s, 50, 5, 0.04));
      put(b, edge(M10_GW, M10_FRONTEND, MESH, s, 50, 5, 0.04));
      put(b, database(FRONTEND, "postgres", s, 5));
      put(b, edge(M10_FRONTEND, M10_POSTGRES, MESH, s, 5, 0, 0.004).toBuilder().setProtocol("tcp").build());
      put(b, edge(FRONTEND, CART, TRACE, s, 7, 0, 0.01));
      put(b, edge(web, SHOP_CART, MESH, s, 20, 0, 0.01));
      if (m >= 5) {
        put(b, edge(service("web", "pay"), PAY_CART, MESH, s, 30, 0, 0.01));
      }
      put(b, edge(USER, SHOP_API, TRACE, s, 3, 0, 0.02));
      put(b, edge(M10_GW, M10_API, MESH, s, 8, 0, 0.02));
    }
    store.write(b);
  }

  @Test
  void theServicesListLeavesOutANamespaceLessServiceWhoseOneLoggedTwinCountsItsRequests() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      writeWithServices(store);
      TopologyQueries queries = queries(store, 10);
      QueryWindow w = queries.window(T0, T0 + 10 * MINUTE);
      List<String> expected = List.of("service /gw", "service m10/frontend", "service m10/postgres", "service /cart",
          "service shop/cart", "service pay/cart", "service shop/api", "service m10/api");
      assertThat(queries.services(w, null)).extracting(s -> s.kind() + " " + s.namespace() + "/" + s.name())
          .containsExactlyInAnyOrderElementsOf(expected);
      assertThat(queries.servicesWithSeries(w, null, 10 * MINUTE))
          .extracting(s -> s.service().kind() + " " + s.service().namespace() + "/" + s.service().name())
          .containsExactlyInAnyOrderElementsOf(expected);
      // One service's series over every namespace of its name leaves out the same entries: frontend's 500, not 1,000.
      TopologyQueries.ServiceDetail frontend = queries.service("frontend", null, w, MINUTE);
      assertThat(frontend.summary().requests()).isEqualTo(500.0);
      assertThat(frontend.summary().namespace()).isEqualTo("m10");
      assertThat(frontend.series()).hasSize(10).allSatisfy(p -> assertThat(p.requests()).isEqualTo(50.0));
      assertThat(queries.service("postgres", null, w, MINUTE).summary().requests()).isEqualTo(50.0);
      // cart is logged in two namespaces: its namespace-less entry stays, summed with both.
      assertThat(queries.service("cart", null, w, MINUTE).summary().requests()).isEqualTo(70.0 + 200.0 + 300.0);
      assertThat(queries.service("frontend", "m10", w, MINUTE).summary().requests()).isEqualTo(500.0);
    }
  }

  @Test
  void metricsExposeNoTracedHopIntoALoggedTwinAndNoSeriesOfTheNamespaceLessService() throws Exception {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      writeWithServices(store);
      PrometheusRegistry registry = new PrometheusRegistry();
      registry.register(new TopologyCollector(store, 100, () -> 0, () -> T0 + 12 * MINUTE));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
      String text = out.toString(StandardCharsets.UTF_8);
      List<String> hops = text.lines().filter(l -> l.startsWith("traces_service_graph_request_total{"))
          .map(l -> l.replaceAll(".*client=\"([^\"]*)\",client_service_namespace=\"([^\"]*)\".*server=\"([^\"]*)\","
              + "server_service_namespace=\"([^\"]*)\"} (.*)", "$2/$1->$4/$3 $5"))
          .toList();
      assertThat(hops).containsExactlyInAnyOrder("/user->/gw 500.0", "m10/gw->m10/frontend 500.0",
          "m10/frontend->m10/postgres 50.0", "/frontend->/cart 70.0", "shop/web->shop/cart 200.0",
          "pay/web->pay/cart 150.0", "/user->shop/api 30.0", "m10/gw->m10/api 80.0");
      assertThat(text.lines().filter(l -> l.startsWith("switchyard_service_requests_total{")))
          .extracting(l -> l.replaceAll(".*namespace=\"([^\"]*)\",service=\"([^\"]*)\".*", "$1/$2"))
          .containsExactlyInAnyOrder("/gw", "m10/frontend", "m10/postgres", "/cart", "shop/cart", "pay/cart",
              "shop/api", "m10/api");
    }
  }

  /** The edges of {@link #write} for 10 minutes, and the services' records the jobs write beside them. */
  private static void writeWithServices(RocksTopologyStore store) {
    write(store, 10);
    StoreBatch b = new StoreBatch();
    for (int m = 0; m < 10; m++) {
      long s = T0 + m * MINUTE;
      putService(b, serviceWindow(GW, TRACE, s, 50, 5, 0.05));
      putService(b, serviceWindow(FRONTEND, TRACE, s, 50, 5, 0.04));
      putService(b, serviceWindow(M10_FRONTEND, MESH, s, 50, 5, 0.04));
      putService(b, serviceWindow(node("postgres", NodeRef.NodeKind.NODE_KIND_VIRTUAL), TRACE, s, 5, 0, 0.004));
      putService(b, serviceWindow(M10_POSTGRES, MESH, s, 5, 0, 0.004));
      putService(b, serviceWindow(CART, TRACE, s, 7, 0, 0.01));
      putService(b, serviceWindow(SHOP_CART, MESH, s, 20, 0, 0.01));
      putService(b, serviceWindow(PAY_CART, MESH, s, 30, 0, 0.01));
      putService(b, serviceWindow(SHOP_API, TRACE, s, 3, 0, 0.02));
      putService(b, serviceWindow(M10_API, MESH, s, 8, 0, 0.02));
    }
    store.write(b);
  }

  private static void putService(StoreBatch b, ServiceAggregate s) {
    b.service(s.getService().getNamespace() + "/" + s.getService().getName() + "/" + s.getSource().getNumber(), s);
  }

  private static TopologyQueries queries(RocksTopologyStore store, int minutes) {
    return new TopologyQueries(store, new MutableClock(Instant.ofEpochMilli(T0 + (minutes + 2) * MINUTE)), () -> 0,
        () -> true, new DecodePool(0));
  }

  private static <T> Map<String, T> byId(List<T> items, Function<T, String> id) {
    return items.stream().collect(Collectors.toMap(id, Function.identity()));
  }
}
