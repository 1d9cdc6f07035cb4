package io.switchyard.topology.query;

import static io.switchyard.topology.Fixtures.MINUTE;
import static io.switchyard.topology.Fixtures.T0;
import static io.switchyard.topology.Fixtures.edge;
import static io.switchyard.topology.Fixtures.node;
import static io.switchyard.topology.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.TelemetrySource;
import io.switchyard.testing.MutableClock;
import io.switchyard.topology.query.TopologyQueries.GraphRequest;
import io.switchyard.topology.store.RocksTopologyStore;
import io.switchyard.topology.store.StoreBatch;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-server mesh rule against figures computed by hand. Per minute: ingress -> frontend 100 logged (10 failed)
 * and user -> frontend 10 traced (1 failed), the same requests; cart -> storefront/postgres 50 logged and
 * cart -> postgres (virtual, named from peer.service) 5 traced; checkout -> postgres.storefront.svc.cluster.local 3
 * traced (no logged hop of its own); cart -> orders (a db.name that is no service) 7 and frontend -> api.stripe.com 2
 * traced; frontend -> reviews 4 traced every minute, and ingress -> reviews 20 logged from minute 5 on only (the
 * sidecar arrives then).
 */
class MeshRuleTest {
  private static final TelemetrySource MESH = TelemetrySource.TELEMETRY_SOURCE_MESH;
  private static final TelemetrySource TRACE = TelemetrySource.TELEMETRY_SOURCE_TRACE;
  private static final NodeRef USER = node("user", NodeRef.NodeKind.NODE_KIND_USER);
  private static final NodeRef INGRESS = service("istio-ingressgateway", "istio-system");
  private static final NodeRef FRONTEND = service("frontend", "storefront");
  private static final NodeRef CART = service("cart", "storefront");
  private static final NodeRef CHECKOUT = service("checkout", "storefront");
  private static final NodeRef POSTGRES = service("postgres", "storefront");
  private static final NodeRef REVIEWS = service("reviews", "storefront");

  @TempDir Path dir;

  @Test
  void peerNamesResolveAsAPodsResolverExpandsThem() {
    assertThat(MeshRule.resolve("postgres", "storefront")).isEqualTo("storefront/postgres");
    assertThat(MeshRule.resolve("postgres.storefront", "pay")).isEqualTo("storefront/postgres");
    assertThat(MeshRule.resolve("postgres.storefront.svc", "pay")).isEqualTo("storefront/postgres");
    assertThat(MeshRule.resolve("Postgres.storefront.svc.cluster.local:5432", "")).isEqualTo("storefront/postgres");
    assertThat(MeshRule.resolve("postgres.storefront.svc.cluster.local.", "")).isEqualTo("storefront/postgres");
    assertThat(MeshRule.resolve("postgres", "")).isNull();
    assertThat(MeshRule.resolve("api.stripe.com", "storefront")).isNull();
    assertThat(MeshRule.resolve("10.0.0.7", "storefront")).isNull();
    assertThat(MeshRule.resolve("", "storefront")).isNull();
  }

  @Test
  void aServersLoggedMinutesReplaceEveryTracedRequestIntoItAndVirtualPeersMergeByName() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      write(store, 10);
      Graph g = queries(store, 10).graph(new GraphRequest(T0, T0 + 10 * MINUTE, null, null, null, GraphType.SERVICE));
      assertHandComputed(g, 10);
    }
  }

  @Test
  void rollUpsGiveTheFiguresOfTheirMinutesAlsoForAServerLoggedInSomeMinutesOnly() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      write(store, 120);
      store.completeRollups();
      TopologyQueries queries = queries(store, 120);
      // The hour's reviews roll-ups are ambiguous (logged in 55 of 60 minutes): read from its minutes.
      for (long[] range : new long[][] {{T0, T0 + 60 * MINUTE}, {T0, T0 + 120 * MINUTE}, {T0 + 3 * MINUTE, T0 + 97 * MINUTE}}) {
        Graph g = queries.graph(new GraphRequest(range[0], range[1], null, null, null, GraphType.SERVICE));
        Graph minutes = new TopologyQueries(store, new MutableClock(Instant.ofEpochMilli(T0 + 122 * MINUTE)), () -> 0,
            () -> true, new DecodePool(0), 0, 0).graph(new GraphRequest(range[0], range[1], null, null, null,
            GraphType.WORKLOAD));
        long m = (range[1] - range[0]) / MINUTE;
        long unlogged = Math.max(0, Math.min(5, range[1] / MINUTE - T0 / MINUTE) - (range[0] - T0) / MINUTE);
        Map<String, Graph.Node> nodes = byId(g.nodes(), Graph.Node::id);
        assertThat(nodes.get("storefront/frontend").requestsIn()).isEqualTo(100.0 * m);
        assertThat(nodes.get("storefront/reviews").requestsIn()).as("range %s", range[0])
            .isEqualTo(4.0 * unlogged + 20.0 * (m - unlogged));
        assertThat(byId(g.edges(), Graph.Edge::id).get("storefront/frontend->storefront/reviews").requests())
            .isEqualTo(4.0 * unlogged);
        assertThat(nodes.get("storefront/postgres").requestsIn()).isEqualTo(50.0 * m);
        assertThat(nodes).doesNotContainKeys("user", "postgres", "storefront/checkout");
        // The workload graph reads minutes only: the same node totals.
        Map<String, Graph.Node> workloads = byId(minutes.nodes(), Graph.Node::id);
        assertThat(workloads.get("storefront/reviews-v1").requestsIn())
            .isEqualTo(nodes.get("storefront/reviews").requestsIn());
        assertThat(workloads.get("storefront/frontend-v1").requestsIn()).isEqualTo(100.0 * m);
      }
    }
  }

  private static void assertHandComputed(Graph g, int minutes) {
    Map<String, Graph.Node> nodes = byId(g.nodes(), Graph.Node::id);
    Map<String, Graph.Edge> edges = byId(g.edges(), Graph.Edge::id);
    assertThat(edges.keySet()).containsExactlyInAnyOrder(
        "istio-system/istio-ingressgateway->storefront/frontend",
        "storefront/cart->storefront/postgres",
        "storefront/cart->orders",
        "storefront/frontend->api.stripe.com",
        "storefront/frontend->storefront/reviews",
        "istio-system/istio-ingressgateway->storefront/reviews");
    Graph.Node frontend = nodes.get("storefront/frontend");
    assertThat(frontend.requestsIn()).isEqualTo(100.0 * minutes);
    assertThat(frontend.errorPercentIn()).isEqualTo(10.0);
    // Its own outbound: 2 to the external peer and 4 traced into reviews while reviews had no sidecar (minutes 0-4).
    assertThat(frontend.requestsOut()).isEqualTo(2.0 * minutes + 4.0 * 5);
    assertThat(nodes.get("storefront/postgres").requestsIn()).isEqualTo(50.0 * minutes);
    assertThat(nodes.get("storefront/cart").requestsOut()).isEqualTo(50.0 * minutes + 7.0 * minutes);
    assertThat(nodes.get("orders").requestsIn()).isEqualTo(7.0 * minutes);
    assertThat(nodes.get("storefront/reviews").requestsIn()).isEqualTo(4.0 * 5 + 20.0 * (minutes - 5));
    assertThat(edges.get("storefront/frontend->storefront/reviews").telemetry()).isEqualTo("trace");
    assertThat(nodes.get("istio-system/istio-ingressgateway").requestsOut())
        .isEqualTo(100.0 * minutes + 20.0 * (minutes - 5));
    // Nothing traced is left of user, of the virtual postgres or of checkout (whose only hop went to the meshed postgres).
    assertThat(nodes).doesNotContainKeys("user", "postgres", "postgres.storefront.svc.cluster.local", "storefront/checkout");
  }

  private static void write(RocksTopologyStore store, int minutes) {
    StoreBatch b = new StoreBatch();
    for (int m = 0; m < minutes; m++) {
      long s = T0 + m * MINUTE;
      put(b, edge(INGRESS, FRONTEND, MESH, s, 100, 10, 0.05));
      put(b, edge(USER, FRONTEND, TRACE, s, 10, 1, 0.05));
      put(b, edge(CART, POSTGRES, MESH, s, 50, 0, 0.005).toBuilder().setProtocol("tcp").build());
      put(b, database(CART, "postgres", s, 5));
      put(b, database(CHECKOUT, "postgres.storefront.svc.cluster.local", s, 3));
      put(b, database(CART, "orders", s, 7));
      put(b, edge(FRONTEND, node("api.stripe.com", NodeRef.NodeKind.NODE_KIND_VIRTUAL), TRACE, s, 2, 0, 0.1));
      put(b, edge(FRONTEND, REVIEWS, TRACE, s, 4, 0, 0.02));
      if (m >= 5) {
        put(b, edge(INGRESS, REVIEWS, MESH, s, 20, 0, 0.02));
      }
    }
    store.write(b);
  }

  static EdgeAggregate database(NodeRef client, String peer, long start, double requests) {
    return edge(client, node(peer, NodeRef.NodeKind.NODE_KIND_VIRTUAL), TRACE, start, requests, 0, 0.004).toBuilder()
        .setConnectionType("database").setProtocol("postgresql").build();
  }

  static void put(StoreBatch b, EdgeAggregate e) {
    b.edge(e.getClient().getNamespace() + "/" + e.getClient().getName() + "->" + e.getServer().getNamespace() + "/"
        + e.getServer().getName(), e);
  }

  private static TopologyQueries queries(RocksTopologyStore store, int minutes) {
    return new TopologyQueries(store, new MutableClock(Instant.ofEpochMilli(T0 + (minutes + 2) * MINUTE)), () -> 0,
        () -> true, new DecodePool(0));
  }

  private static <T> Map<String, T> byId(java.util.List<T> items, Function<T, String> id) {
    return items.stream().collect(Collectors.toMap(id, Function.identity()));
  }
}
