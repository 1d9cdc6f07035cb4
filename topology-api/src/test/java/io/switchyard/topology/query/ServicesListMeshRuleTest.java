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

import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.ServiceAggregate;
import io.switchyard.model.v1.TelemetrySource;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.testing.MutableClock;
import io.switchyard.topology.metrics.TopologyCollector;
import io.switchyard.topology.store.RocksTopologyStore;
import io.switchyard.topology.store.StoreBatch;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The graph's virtual-peer resolution on the services list. Per minute: cart (storefront) -> storefront/postgres 50
 * logged, and the same requests traced as cart -> postgres (db.name, virtual) 5; checkout (storefront) ->
 * postgres.storefront.svc.cluster.local 3 traced; cart -> orders (a db.name that is no service) 7 traced; cart and
 * pay/refunds -> ledger traced 2 each, where storefront/ledger is logged but pay/ledger is not listed.
 */
class ServicesListMeshRuleTest {
  private static final TelemetrySource MESH = TelemetrySource.TELEMETRY_SOURCE_MESH;
  private static final TelemetrySource TRACE = TelemetrySource.TELEMETRY_SOURCE_TRACE;
  private static final NodeRef CART = service("cart", "storefront");
  private static final NodeRef CHECKOUT = service("checkout", "storefront");
  private static final NodeRef REFUNDS = service("refunds", "pay");
  private static final NodeRef POSTGRES = service("postgres", "storefront");
  private static final NodeRef LEDGER = service("ledger", "storefront");
  private static final int MINUTES = 10;

  @TempDir Path dir;

  @Test
  void aVirtualPeerThatResolvesToALoggedServiceIsLeftOutAndOthersAreMarkedVirtual() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      write(store);
      TopologyQueries queries = new TopologyQueries(store, new MutableClock(Instant.ofEpochMilli(T0 + (MINUTES + 2) * MINUTE)),
          () -> 0, () -> true, new DecodePool(0));
      QueryWindow w = queries.window(T0, T0 + MINUTES * MINUTE);
      List<TopologyQueries.ServiceSummary> list = queries.services(w, null);
      assertThat(list).extracting(s -> s.kind() + " " + s.namespace() + "/" + s.name() + " " + s.telemetry() + " " + s.requests())
          .containsExactlyInAnyOrder(
              "service storefront/postgres mesh 500.0",
              "service storefront/ledger mesh 200.0",
              // Resolves to storefront/ledger from cart, to pay/ledger from refunds: not one service.
              "virtual /ledger trace 40.0",
              "virtual /orders trace 70.0");
      // The same rule with series.
      assertThat(queries.servicesWithSeries(w, null, MINUTES * MINUTE)).extracting(s -> s.service().kind() + " " + s.service().name())
          .containsExactlyInAnyOrder("service postgres", "service ledger", "virtual ledger", "virtual orders");
    }
  }

  @Test
  void metricsExposeTheServicesTheListHasWithTheirKind() throws Exception {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      write(store);
      // Before: every virtual peer was a switchyard_service_* series like a service (postgres twice: its own
      // sidecar's 500 and its callers' traced 50), and nothing told the two kinds apart.
      PrometheusRegistry registry = new PrometheusRegistry();
      registry.register(new TopologyCollector(store, 100, () -> 0, () -> T0 + (MINUTES + 2) * MINUTE));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
      assertThat(out.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("switchyard_service_requests_total{")))
          .containsExactlyInAnyOrder(
              "switchyard_service_requests_total{kind=\"service\",namespace=\"storefront\",service=\"postgres\"} 500.0",
              "switchyard_service_requests_total{kind=\"service\",namespace=\"storefront\",service=\"ledger\"} 200.0",
              "switchyard_service_requests_total{kind=\"virtual\",namespace=\"\",service=\"ledger\"} 40.0",
              "switchyard_service_requests_total{kind=\"virtual\",namespace=\"\",service=\"orders\"} 70.0");
    }
  }

  @Test
  void withoutAccessLogsOfTheServiceTheVirtualPeerStays() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      StoreBatch b = new StoreBatch();
      for (int m = 0; m < MINUTES; m++) {
        long s = T0 + m * MINUTE;
        put(b, database(CART, "postgres", s, 5));
        putService(b, serviceWindow(node("postgres", NodeRef.NodeKind.NODE_KIND_VIRTUAL), TRACE, s, 5, 0, 0.004));
        putService(b, serviceWindow(POSTGRES, TRACE, s, 1, 0, 0.004));
      }
      store.write(b);
      TopologyQueries queries = new TopologyQueries(store, new MutableClock(Instant.ofEpochMilli(T0 + (MINUTES + 2) * MINUTE)),
          () -> 0, () -> true, new DecodePool(0));
      assertThat(queries.services(queries.window(T0, T0 + MINUTES * MINUTE), null))
          .extracting(s -> s.kind() + " " + s.namespace() + "/" + s.name())
          .containsExactlyInAnyOrder("service storefront/postgres", "virtual /postgres");
    }
  }

  private static void write(RocksTopologyStore store) {
    StoreBatch b = new StoreBatch();
    NodeRef virtualPostgres = node("postgres", NodeRef.NodeKind.NODE_KIND_VIRTUAL);
    for (int m = 0; m < MINUTES; m++) {
      long s = T0 + m * MINUTE;
      put(b, edge(CART, POSTGRES, MESH, s, 50, 0, 0.005));
      put(b, database(CART, "postgres", s, 5));
      put(b, database(CHECKOUT, "postgres.storefront.svc.cluster.local", s, 3));
      put(b, database(CART, "orders", s, 7));
      put(b, database(CART, "ledger", s, 2));
      put(b, database(REFUNDS, "ledger", s, 2));
      put(b, edge(CART, LEDGER, MESH, s, 20, 0, 0.005));
      putService(b, serviceWindow(POSTGRES, MESH, s, 50, 0, 0.005));
      putService(b, serviceWindow(virtualPostgres, TRACE, s, 5, 0, 0.004));
      putService(b, serviceWindow(node("postgres.storefront.svc.cluster.local", NodeRef.NodeKind.NODE_KIND_VIRTUAL), TRACE, s, 3, 0, 0.004));
      putService(b, serviceWindow(node("orders", NodeRef.NodeKind.NODE_KIND_VIRTUAL), TRACE, s, 7, 0, 0.004));
      putService(b, serviceWindow(node("ledger", NodeRef.NodeKind.NODE_KIND_VIRTUAL), TRACE, s, 4, 0, 0.004));
      putService(b, serviceWindow(LEDGER, MESH, s, 20, 0, 0.005));
    }
    store.write(b);
  }

  private static void putService(StoreBatch b, ServiceAggregate s) {
    b.service(s.getService().getNamespace() + "/" + s.getService().getName() + "/" + s.getSource().getNumber(), s);
  }
}
