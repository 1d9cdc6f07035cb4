package io.switchyard.topology.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.model.LatencyBuckets;
import io.switchyard.model.v1.AlertState;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.SloStatusRecord;
import io.switchyard.topology.Fixtures;
import io.switchyard.topology.MeshScenario;
import io.switchyard.topology.store.RocksTopologyStore;
import io.switchyard.topology.store.StoreBatch;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TopologyCollectorTest {
  @TempDir Path dir;

  private static String scrape(TopologyCollector collector) throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    registry.register(collector);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, registry.scrape());
    return out.toString(StandardCharsets.UTF_8);
  }

  private static RocksTopologyStore filled(Path dir) {
    RocksTopologyStore store = RocksTopologyStore.open(dir);
    StoreBatch b = new StoreBatch();
    MeshScenario.edges().forEach(k -> b.edge(k.key(), k.value()));
    MeshScenario.services().forEach(k -> b.service(k.key(), k.value()));
    b.sloStatus("cart-availability", SloStatusRecord.newBuilder().setName("cart-availability").setService("cart")
        .setObjective(0.99).setSli(0.95).setErrorBudgetRemaining(-4)
        .addBurnRates(SloStatusRecord.BurnRate.newBuilder().setWindow("1m").setRate(20))
        .addBurnRates(SloStatusRecord.BurnRate.newBuilder().setWindow("1h").setRate(5))
        .addBurnRates(SloStatusRecord.BurnRate.newBuilder().setWindow("14m").setRate(15))
        .addAlerts(AlertState.newBuilder().setName("page-1h").setSeverity("page").setFiring(true).setLongWindow("14m")
            .setShortWindow("1m").setThreshold(14.4))
        .addAlerts(AlertState.newBuilder().setName("page-6h").setSeverity("page").setLongWindow("1m").setShortWindow("1m")
            .setThreshold(6)).build());
    store.write(b);
    return store;
  }

  @Test
  void exposesTempoSeriesFromMeshTotalsWithExactBuckets() throws Exception {
    try (RocksTopologyStore store = filled(dir)) {
      String text = scrape(new TopologyCollector(store, 100, () -> 0, () -> MeshScenario.NOW.toEpochMilli()));
      // Mesh totals (10 x 60), not mesh + trace (10 x 90).
      assertThat(text).contains("traces_service_graph_request_total{client=\"frontend\",client_service_namespace=\"shop\",connection_type=\"\",server=\"cart\",server_service_namespace=\"shop\"} 600.0");
      assertThat(text).contains("traces_service_graph_request_failed_total{client=\"frontend\",client_service_namespace=\"shop\",connection_type=\"\",server=\"cart\",server_service_namespace=\"shop\"} 30.0");
      assertThat(text).contains("traces_service_graph_request_total{client=\"cart\",client_service_namespace=\"shop\",connection_type=\"database\",server=\"db\",server_service_namespace=\"\"} 300.0");
      // 20 ms lies between the exposed bounds 6.4 ms and 25.6 ms.
      assertThat(text).contains(
          "traces_service_graph_request_server_seconds_bucket{client=\"frontend\",client_service_namespace=\"shop\",connection_type=\"\",server=\"cart\",server_service_namespace=\"shop\",le=\"0.0064\"} 0");
      assertThat(text).contains(
          "traces_service_graph_request_server_seconds_bucket{client=\"frontend\",client_service_namespace=\"shop\",connection_type=\"\",server=\"cart\",server_service_namespace=\"shop\",le=\"0.0256\"} 600");
      assertThat(text).contains(
          "traces_service_graph_request_server_seconds_count{client=\"frontend\",client_service_namespace=\"shop\",connection_type=\"\",server=\"cart\",server_service_namespace=\"shop\"} 600");
      assertThat(text).contains("traces_service_graph_request_client_seconds_bucket");
      assertThat(text).contains("switchyard_service_requests_total{kind=\"service\",namespace=\"shop\",service=\"cart\"} 600.0");
      assertThat(text).contains("switchyard_slo_error_budget_remaining{service=\"cart\",slo=\"cart-availability\"} -4.0");
      assertThat(text).contains("switchyard_slo_burn_rate{service=\"cart\",slo=\"cart-availability\",window=\"1h\"} 5.0");
      assertThat(text).contains("switchyard_slo_alert_firing{alert=\"page-1h\",service=\"cart\",severity=\"page\",slo=\"cart-availability\"} 1.0");
      // Each alert's own windows (a 7-day SLO's page-1h looks back 14m/1m) and threshold, so dashboards need no window names.
      assertThat(text).contains(
          "switchyard_slo_alert_burn_rate{alert=\"page-1h\",service=\"cart\",severity=\"page\",slo=\"cart-availability\",window=\"14m\"} 15.0",
          "switchyard_slo_alert_burn_rate{alert=\"page-1h\",service=\"cart\",severity=\"page\",slo=\"cart-availability\",window=\"1m\"} 20.0",
          "switchyard_slo_alert_threshold{alert=\"page-1h\",service=\"cart\",severity=\"page\",slo=\"cart-availability\"} 14.4");
      // An alert whose two windows are one (a 1-hour SLO at its one-minute floor) is one series.
      assertThat(text.lines().filter(l -> l.startsWith("switchyard_slo_alert_burn_rate{alert=\"page-6h\"")))
          .containsExactly("switchyard_slo_alert_burn_rate{alert=\"page-6h\",service=\"cart\",severity=\"page\",slo=\"cart-availability\",window=\"1m\"} 20.0");
      assertThat(text).contains("switchyard_topology_pipeline_lag_seconds 30.0");
    }
  }

  @Test
  void messagingEdgesExposeTempoQueueLatencySeriesPerNamespaceAndOtherEdgesNone() throws Exception {
    try (RocksTopologyStore store = filled(dir)) {
      StoreBatch b = new StoreBatch();
      // orders -> shipping in two namespaces: shop's 30 messages at 2 s, outlet's 10 at 50 ms.
      for (String ns : new String[] {"shop", "outlet"}) {
        boolean shop = ns.equals("shop");
        b.edge(ns + "/orders->" + ns + "/shipping", Fixtures.edge(Fixtures.service("orders", ns), Fixtures.service("shipping", ns),
            MeshScenario.TRACE, Fixtures.T0, shop ? 30 : 10, 0, 0.01).toBuilder().setConnectionType("messaging_system")
            .setMessagingLatency(Fixtures.histogram(shop ? 30 : 10, shop ? 2.0 : 0.05)).build());
      }
      store.write(b);
      String text = scrape(new TopologyCollector(store, 100, () -> 0, () -> MeshScenario.NOW.toEpochMilli()));
      String series = "traces_service_graph_request_messaging_system_seconds";
      String shop = "client=\"orders\",client_service_namespace=\"shop\",connection_type=\"messaging_system\",server=\"shipping\","
          + "server_service_namespace=\"shop\"";
      String outlet = shop.replace("\"shop\"", "\"outlet\"");
      // The exposed bounds are the other Tempo histograms': 0.1 ms x 4^k; 50 ms lies under 0.1024 s, 2 s under 6.5536 s.
      assertThat(text).contains(series + "_bucket{" + shop + ",le=\"1.6384\"} 0", series + "_bucket{" + shop + ",le=\"6.5536\"} 30",
          series + "_bucket{" + shop + ",le=\"+Inf\"} 30", series + "_count{" + shop + "} 30", series + "_sum{" + shop + "} 60.0");
      assertThat(text).contains(series + "_bucket{" + outlet + ",le=\"0.0256\"} 0", series + "_bucket{" + outlet + ",le=\"0.1024\"} 10",
          series + "_bucket{" + outlet + ",le=\"+Inf\"} 10", series + "_count{" + outlet + "} 10", series + "_sum{" + outlet + "} 0.5");
      // Only the messaging hops have the series.
      assertThat(text.lines().filter(l -> l.startsWith(series + "_count"))).hasSize(2);
    }
  }

  @Test
  void serverLatencyShowsEveryBoundAnSloThresholdCanUseBeforeAnySloIsApplied() throws Exception {
    try (RocksTopologyStore store = filled(dir)) {
      String text = scrape(new TopologyCollector(store, 100, () -> 0, () -> MeshScenario.NOW.toEpochMilli()));
      String series = "traces_service_graph_request_server_seconds_bucket{client=\"frontend\",client_service_namespace=\"shop\",connection_type=\"\",server=\"cart\",server_service_namespace=\"shop\",";
      // 18.1 ms and 36.2 ms lie between the every-fourth bounds (6.4, 25.6, 102.4 ms). Every request took 20 ms: none at
      // or under 18.1 ms, all under 25.6 ms and 36.2 ms; the counts stay cumulative. A latency SLO applied later finds its
      // series already as old as the hop, so the rules' rates over any window are right from the start.
      assertThat(text).contains(series + "le=\"0.0064\"} 0", series + "le=\"0.018101933598375617\"} 0",
          series + "le=\"0.0256\"} 600", series + "le=\"0.036203867196751234\"} 600", series + "le=\"+Inf\"} 600");
      assertThat(text.lines().filter(l -> l.startsWith(series))).hasSize(LatencyBuckets.FINITE + 1);
      // Every hop has the same bounds: histogram_quantile over a caller's hops to several servers needs one layout.
      assertThat(text).contains("server=\"db\",server_service_namespace=\"\",le=\"0.018101933598375617\"");
      // Client latency and the services' histograms keep the every-fourth bounds.
      assertThat(text).doesNotContain("client_seconds_bucket{client=\"frontend\",client_service_namespace=\"shop\",connection_type=\"\",server=\"cart\",server_service_namespace=\"shop\",le=\"0.018101933598375617\"");
      assertThat(text).doesNotContain("service=\"cart\",le=\"0.018101933598375617\"");
    }
  }

  @Test
  void aHopIntoAnUninstrumentedPeerShowsTheCallerSeenLatencyAsItsServerLatencyAsTheSloJobJudgesIt() throws Exception {
    try (RocksTopologyStore store = filled(dir)) {
      StoreBatch b = new StoreBatch();
      // 10 calls of an external API, 55 ms as the caller saw them; no server span ever comes, so no server histogram.
      b.edge("ipc.shop->api.pay.example", Fixtures.edge(Fixtures.service("ipc", "shop"),
          Fixtures.node("api.pay.example", NodeRef.NodeKind.NODE_KIND_VIRTUAL), MeshScenario.TRACE, Fixtures.T0, 10, 0, 0.05)
          .toBuilder().clearServerLatency().build());
      store.write(b);
      String text = scrape(new TopologyCollector(store, 100, () -> 0, () -> MeshScenario.NOW.toEpochMilli()));
      String series = "traces_service_graph_request_server_seconds";
      String labels = "client=\"ipc\",client_service_namespace=\"shop\",connection_type=\"\",server=\"api.pay.example\","
          + "server_service_namespace=\"\"";
      // Every shared bound, as for any hop: a 50 ms latency SLO's rules read le 36.2 ms (none) over the count (10), as the job.
      assertThat(text).contains(series + "_bucket{" + labels + ",le=\"0.036203867196751234\"} 0",
          series + "_bucket{" + labels + ",le=\"0.1024\"} 10", series + "_count{" + labels + "} 10");
      assertThat(text.lines().filter(l -> l.startsWith(series + "_bucket{" + labels))).hasSize(LatencyBuckets.FINITE + 1);
      // A hop with a server measure keeps it: frontend -> cart's server saw 20 ms, its caller 22 ms (sum 600 x 0.02, 13.2 for the caller).
      assertThat(text).contains(series + "_sum{client=\"frontend\",client_service_namespace=\"shop\",connection_type=\"\","
          + "server=\"cart\",server_service_namespace=\"shop\"} 11.999999999999998");
    }
  }

  @Test
  void hopsWithTheSameNamesInTwoNamespacesAreTwoSeriesLabelledWithTheirNamespaces() throws Exception {
    try (RocksTopologyStore store = filled(dir)) {
      NodeRef outletFrontend = MeshScenario.FRONTEND.toBuilder().setNamespace("outlet").build();
      NodeRef outletCart = MeshScenario.CART.toBuilder().setNamespace("outlet").build();
      StoreBatch b = new StoreBatch();
      b.edge("frontend.outlet->cart.outlet", Fixtures.edge(outletFrontend, outletCart, MeshScenario.TRACE, Fixtures.T0, 40, 4, 0.02));
      store.write(b);
      String text = scrape(new TopologyCollector(store, 100, () -> 0, () -> MeshScenario.NOW.toEpochMilli()));
      // shop's mesh total (600; its trace figure is still not added) and outlet's trace-only hop (40), each under its
      // namespaces (Tempo's service.namespace dimension), so a rule can select one namespace's cart.
      String shop = "{client=\"frontend\",client_service_namespace=\"shop\",connection_type=\"\",server=\"cart\",server_service_namespace=\"shop\"}";
      String outlet = shop.replace("\"shop\"", "\"outlet\"");
      assertThat(text).contains("traces_service_graph_request_total" + shop + " 600.0", "traces_service_graph_request_total" + outlet + " 40.0",
          "traces_service_graph_request_failed_total" + shop + " 30.0", "traces_service_graph_request_failed_total" + outlet + " 4.0",
          "traces_service_graph_request_server_seconds_count" + shop + " 600", "traces_service_graph_request_server_seconds_count" + outlet + " 40");
      assertThat(text.lines().filter(l -> l.startsWith("traces_service_graph_request_total{") && l.contains("server=\"cart\"")))
          .containsExactlyInAnyOrder("traces_service_graph_request_total" + shop + " 600.0", "traces_service_graph_request_total" + outlet + " 40.0");
    }
  }

  @Test
  void aServerWithAccessLogTotalsExposesNoTracedHopIntoItNamedAnyWay() throws Exception {
    try (RocksTopologyStore store = filled(dir)) {
      NodeRef ingress = Fixtures.service("ingress", "shop");
      NodeRef postgres = Fixtures.service("postgres", "shop");
      StoreBatch b = new StoreBatch();
      // Traced requests into frontend from an unknown caller (20) next to the logged ones from ingress (120): the same requests.
      b.edge("ingress.shop->frontend.shop", Fixtures.edge(ingress, MeshScenario.FRONTEND, MeshScenario.MESH, Fixtures.T0, 120, 0, 0.05));
      b.edge("unknown->frontend.shop", Fixtures.edge(Fixtures.node("unknown", NodeRef.NodeKind.NODE_KIND_UNKNOWN),
          MeshScenario.FRONTEND, MeshScenario.TRACE, Fixtures.T0, 20, 0, 0.05));
      // cart -> postgres traced as the virtual "postgres" (database) and logged as shop/postgres.
      b.edge("cart.shop->postgres.shop", Fixtures.edge(MeshScenario.CART, postgres, MeshScenario.MESH, Fixtures.T0, 50, 0, 0.005));
      b.edge("cart.shop->postgres", Fixtures.edge(MeshScenario.CART, Fixtures.node("postgres", NodeRef.NodeKind.NODE_KIND_VIRTUAL),
          MeshScenario.TRACE, Fixtures.T0, 5, 0, 0.005).toBuilder().setConnectionType("database").build());
      store.write(b);
      String text = scrape(new TopologyCollector(store, 100, () -> 0, () -> MeshScenario.NOW.toEpochMilli()));
      assertThat(text).contains("traces_service_graph_request_total{client=\"ingress\",client_service_namespace=\"shop\",connection_type=\"\",server=\"frontend\",server_service_namespace=\"shop\"} 120.0");
      assertThat(text).contains("traces_service_graph_request_total{client=\"cart\",client_service_namespace=\"shop\",connection_type=\"\",server=\"postgres\",server_service_namespace=\"shop\"} 50.0");
      assertThat(text).doesNotContain("client=\"unknown\"")
          .doesNotContain("connection_type=\"database\",server=\"postgres\"");
      // db is a virtual peer no logged service stands for: its traced hop stays.
      assertThat(text).contains("traces_service_graph_request_total{client=\"cart\",client_service_namespace=\"shop\",connection_type=\"database\",server=\"db\",server_service_namespace=\"\"} 300.0");
    }
  }

  @Test
  void aTimeslicesSloExposesItsSliceCountsAndSliceLengthAndAnOccurrencesSloNone() throws Exception {
    try (RocksTopologyStore store = filled(dir)) {
      StoreBatch b = new StoreBatch();
      // 1 h of 1-minute slices, one of them bad: sli 59/60.
      b.sloStatus("cart-slices", SloStatusRecord.newBuilder().setName("cart-slices").setService("cart").setObjective(0.9)
          .setGoodEvents(79).setTotalEvents(100).setBudgetingMethod("Timeslices").setGoodSlices(59).setTotalSlices(60)
          .setTimeSliceWindow("1m").setSli(59.0 / 60).setErrorBudgetRemaining(0.8333).build());
      store.write(b);
      String text = scrape(new TopologyCollector(store, 100, () -> 0, () -> MeshScenario.NOW.toEpochMilli()));
      assertThat(text.lines().filter(l -> l.startsWith("switchyard_slo_") && l.contains("slice")))
          .containsExactlyInAnyOrder(
              "switchyard_slo_good_slices{service=\"cart\",slo=\"cart-slices\"} 59.0",
              "switchyard_slo_total_slices{service=\"cart\",slo=\"cart-slices\"} 60.0",
              "switchyard_slo_time_slice_window_seconds{service=\"cart\",slo=\"cart-slices\"} 60.0",
              "switchyard_slo_sli{service=\"cart\",slo=\"cart-slices\"} 0.9833333333333333",
              "switchyard_slo_objective{service=\"cart\",slo=\"cart-slices\"} 0.9",
              "switchyard_slo_error_budget_remaining{service=\"cart\",slo=\"cart-slices\"} 0.8333");
    }
  }

  @Test
  void seriesCapBoundsCardinalityAndCountsWhatWasLeftOut() throws Exception {
    try (RocksTopologyStore store = filled(dir)) {
      String text = scrape(new TopologyCollector(store, 2, () -> 0, () -> MeshScenario.NOW.toEpochMilli()));
      assertThat(text.lines().filter(l -> l.startsWith("traces_service_graph_request_total{"))).hasSize(2);
      assertThat(text).contains("switchyard_topology_series_dropped{kind=\"edge\"} 2.0");
    }
  }
}
