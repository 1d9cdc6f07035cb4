package io.switchyard.topology.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.topology.query.Graph;
import io.switchyard.topology.query.GraphType;
import io.switchyard.topology.query.QueryWindow;
import io.switchyard.topology.query.Traffic;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The Kiali view marks nodes as Kiali's outsider finalizer does, and fills Kiali's traffic fields by Kiali's
 * formulas ({@code graph/protocol.go} and {@code graph/config/cytoscape}): every expectation below is computed
 * by hand from those formulas.
 */
class ExternalViewsTest {
  private static final Traffic.Latency NO_LATENCY = new Traffic.Latency(null, null, null, null);

  private static final Graph GRAPH = new Graph(GraphType.SERVICE, new QueryWindow(0, 60_000, 60_000),
      List.of(node("user", "", "user", true), node("shop/frontend", "shop", "service", false),
          node("billing/payments", "billing", "service", false), node("mysql", "", "virtual", false)),
      List.of(edge("user", "shop/frontend"), edge("shop/frontend", "billing/payments"), edge("billing/payments", "mysql")));

  @Test
  void nodesOfNamespacesNotAskedForAreOutside() {
    Map<String, Map<String, Object>> nodes = nodes(ExternalViews.kiali(GRAPH, 60, 60, null, Set.of("shop")));
    assertThat(nodes.get("shop/frontend")).doesNotContainKeys("isOutside", "isInaccessible");
    assertThat(nodes.get("billing/payments")).containsEntry("isOutside", true).doesNotContainKey("isInaccessible");
  }

  @Test
  void withoutNamespacesAskedNoNodeIsOutside() {
    Map<String, Map<String, Object>> nodes = nodes(ExternalViews.kiali(GRAPH, 60, 60, null, Set.of()));
    assertThat(nodes.values()).allSatisfy(d -> assertThat(d).doesNotContainKey("isOutside"));
  }

  @Test
  void appAndWorkloadNodesWithoutTheirOwnLabelAreNamedAsTheGraphNamesThem() {
    for (GraphType type : List.of(GraphType.APP, GraphType.VERSIONED_APP)) {
      Map<String, Object> cart = nodes(ExternalViews.kiali(new Graph(type, GRAPH.window(), GRAPH.nodes(), GRAPH.edges()),
          60, 60, null, Set.of())).get("shop/frontend");
      assertThat(cart).containsEntry("nodeType", "app").containsEntry("app", "frontend").doesNotContainKey("workload");
    }
    Map<String, Object> workload = nodes(ExternalViews.kiali(new Graph(GraphType.WORKLOAD, GRAPH.window(), GRAPH.nodes(),
        GRAPH.edges()), 60, 60, null, Set.of())).get("shop/frontend");
    assertThat(workload).containsEntry("nodeType", "workload").containsEntry("workload", "frontend").doesNotContainKey("app");
    assertThat(nodes(ExternalViews.kiali(GRAPH, 60, 60, null, Set.of())).get("shop/frontend"))
        .containsEntry("nodeType", "service").doesNotContainKeys("app", "workload");
  }

  @Test
  void eachNodeCarriesTheLabelsKialisNodeOfThatTypeKeeps() {
    // Kiali's NewNodeExplicit trims a node's fields by its type: a service node names no workload, app or version; a
    // workload node no service; an app node no service, and no workload or version but in a versionedApp graph.
    Graph.Node labelled = new Graph.Node("shop/cart", "cart", "shop", "cart", "cart-v1", "cart", "v1", "service", false,
        10, 1, 0.0, 10, 1, NO_LATENCY, Map.of("200", 10.0));
    Map<GraphType, Map<String, Object>> byType = new java.util.EnumMap<>(GraphType.class);
    for (GraphType type : GraphType.values()) {
      Graph g = new Graph(type, GRAPH.window(), List.of(labelled), List.of());
      byType.put(type, nodes(ExternalViews.kiali(g, 60, 60, null, Set.of())).get("shop/cart"));
    }
    assertThat(byType.get(GraphType.SERVICE)).containsEntry("nodeType", "service").containsEntry("service", "cart")
        .doesNotContainKeys("workload", "app", "version");
    assertThat(byType.get(GraphType.WORKLOAD)).containsEntry("nodeType", "workload").containsEntry("workload", "cart-v1")
        .containsEntry("app", "cart").containsEntry("version", "v1").doesNotContainKey("service");
    assertThat(byType.get(GraphType.APP)).containsEntry("nodeType", "app").containsEntry("app", "cart")
        .doesNotContainKeys("workload", "version", "service");
    assertThat(byType.get(GraphType.VERSIONED_APP)).containsEntry("nodeType", "app").containsEntry("app", "cart")
        .containsEntry("version", "v1").containsEntry("workload", "cart-v1").doesNotContainKey("service");
  }

  @Test
  void unknownAndVirtualNodesAreInaccessibleNotOutside() {
    Map<String, Map<String, Object>> nodes = nodes(ExternalViews.kiali(GRAPH, 60, 60, null, Set.of("shop")));
    assertThat(nodes.get("user")).containsEntry("nodeType", "unknown").containsEntry("isRoot", true)
        .containsEntry("isInaccessible", true).doesNotContainKey("isOutside");
    // A peer named from span attributes is a service outside the mesh, in no namespace Kiali knows.
    assertThat(nodes.get("mysql")).containsEntry("nodeType", "service").containsEntry("namespace", "unknown")
        .containsEntry("isInaccessible", true).doesNotContainKey("isOutside");
  }

  @Test
  void edgesCarryNoMtlsShareTheRecordsDoNotHave() {
    Map<String, Object> body = ExternalViews.kiali(GRAPH, 60, 60, 95, Set.of());
    assertThat(elements(body, "edges")).hasSize(3).allSatisfy(d -> assertThat(d).doesNotContainKey("isMTLS"));
  }

  // One minute of traffic: counts / 60 are the rates.
  private static final Graph TRAFFIC = new Graph(GraphType.SERVICE, new QueryWindow(0, 60_000, 60_000),
      List.of(node("user", "", "user", true), node("shop/frontend", "shop", "service", false),
          node("shop/cart", "shop", "service", false), node("shop/catalog", "shop", "service", false),
          node("billing/payments", "billing", "service", false), node("billing/ledger", "billing", "service", false),
          node("shop/redis", "shop", "service", false), node("postgres", "", "virtual", false)),
      List.of(
          edge("user", "shop/frontend", "", "http", 600, 60,
              Map.of("2xx", 420.0, "4xx", 120.0, "5xx", 30.0, "-", 30.0), Map.of("RL", 60.0, "UAEX", 45.0, "UH", 30.0, "DC", 30.0)),
          edge("shop/frontend", "shop/cart", "", "http", 180, 0, Map.of("2xx", 150.0, "3xx", 30.0), Map.of()),
          edge("shop/frontend", "shop/catalog", "", "http", 60, 0, Map.of("2xx", 60.0), Map.of()),
          // An access-log gRPC hop: statuses show only in the failed count (18, of which 6 got no response).
          edge("shop/frontend", "billing/payments", "", "grpc", 60, 18, Map.of("2xx", 54.0, "-", 6.0), Map.of()),
          // A span gRPC hop: statuses by number.
          edge("billing/payments", "billing/ledger", "", "", 6, 3, Map.of("grpc_0", 3.0, "grpc_14", 3.0), Map.of()),
          edge("shop/cart", "postgres", "database", "postgresql", 6, 1, Map.of("", 6.0), Map.of()),
          edge("shop/cart", "shop/redis", "", "tcp", 12, 0, Map.of("", 12.0), Map.of("UF", 3.0))));

  @Test
  void httpPercentErrCountsNoResponse4xxAnd5xxAsKialiDoes() {
    Map<String, Object> traffic = edgeTraffic(ExternalViews.kiali(TRAFFIC, 60, 60, null, Set.of()), "user", "shop/frontend");
    assertThat(traffic).containsEntry("protocol", "http");
    // (30 no response + 120 4xx + 30 5xx) / 600 = 30 %; the 4xx alone would have been left out before.
    assertThat(rates(traffic)).containsExactly(Map.entry("http", "10.00"), Map.entry("httpNoResponse", "0.50"),
        Map.entry("http4xx", "2.00"), Map.entry("http5xx", "0.50"), Map.entry("httpPercentErr", "30.0"),
        Map.entry("httpPercentReq", "100.0"));
  }

  @Test
  void aSlowEdgesErrorPercentIsReadFromItsCountsNotFromItsRoundedRate() {
    // 10 requests, 1 failed with a 5xx, over 35 minutes: the graph's requestRate is 10 / 2100 rounded to 0.0048.
    Graph.Edge slow = new Graph.Edge("user>shop/frontend", "user", "shop/frontend", "", "http", "trace", 10, 1, 0.0048, 10.0,
        NO_LATENCY, NO_LATENCY, null, Map.of("2xx", 9.0, "5xx", 1.0), Map.of(), null, null, null, null, null);
    Graph g = new Graph(GraphType.SERVICE, new QueryWindow(0, 2_100_000, 60_000),
        List.of(node("user", "", "user", true), node("shop/frontend", "shop", "service", false)), List.of(slow));
    Map<String, Object> traffic = edgeTraffic(ExternalViews.kiali(g, 2100, 2100, null, Set.of()), "user", "shop/frontend");
    assertThat(rates(traffic)).containsEntry("http", "0.005").containsEntry("http5xx", "0.0005")
        .containsEntry("httpPercentErr", "10.0").containsEntry("httpPercentReq", "100.0");
  }

  @Test
  void tracedFailuresWithoutAnHttpStatusCountAsNoResponseSoKialisErrorPercentMatchesTheGraphs() {
    // 10 traced requests, 3 failed with span status ERROR and no HTTP status: no class holds them.
    Graph g = new Graph(GraphType.SERVICE, new QueryWindow(0, 60_000, 60_000),
        List.of(node("audit/plain-c", "audit", "service", true), node("audit/plain-s", "audit", "service", false)),
        List.of(edge("audit/plain-c", "audit/plain-s", "", "http", 10, 3, Map.of(), Map.of())));
    Map<String, Object> traffic = edgeTraffic(ExternalViews.kiali(g, 60, 60, null, Set.of()), "audit/plain-c", "audit/plain-s");
    // 3 / 60 s = 0.05 per second, 3 of 10 = 30 %: the graph API's errorPercent.
    assertThat(rates(traffic)).containsEntry("httpNoResponse", "0.05").containsEntry("httpPercentErr", "30.0");
    assertThat(responses(traffic)).containsOnlyKeys("-");
    assertThat(responses(traffic).get("-").get("flags")).containsExactly(Map.entry("-", "30.0"));

    // The same when the spans carry no status at all (keyed "-" as Kiali keys an empty code, not a failure).
    Graph noStatus = new Graph(GraphType.SERVICE, g.window(), g.nodes(),
        List.of(edge("audit/plain-c", "audit/plain-s", "", "http", 10, 3, Map.of("", 10.0), Map.of())));
    Map<String, Object> t = edgeTraffic(ExternalViews.kiali(noStatus, 60, 60, null, Set.of()), "audit/plain-c", "audit/plain-s");
    assertThat(rates(t)).containsEntry("httpNoResponse", "0.05").containsEntry("httpPercentErr", "30.0");
  }

  @Test
  void tracedFailuresWithA4xxStatusAreKialis4xxErrorsNotAlsoNoResponse() {
    // 20 traced requests, 10 answered 404 by the server; the OTel client spans of those have status ERROR, so the
    // jobs count them failed.
    Graph g = new Graph(GraphType.SERVICE, new QueryWindow(0, 60_000, 60_000),
        List.of(node("audit/four-a", "audit", "service", true), node("audit/four-b", "audit", "service", false)),
        List.of(edge("audit/four-a", "audit/four-b", "", "", 20, 10, Map.of("2xx", 10.0, "4xx", 10.0), Map.of())));
    Map<String, Object> traffic = edgeTraffic(ExternalViews.kiali(g, 60, 60, null, Set.of()), "audit/four-a", "audit/four-b");
    // 10 of 20 = 50 %, the graph API's errorPercent (before: 10 4xx + the same 10 again as no response = 100 %).
    assertThat(rates(traffic)).containsEntry("http4xx", "0.17").containsEntry("httpPercentErr", "50.0")
        .doesNotContainKey("httpNoResponse");
    assertThat(responses(traffic)).doesNotContainKey("-");
  }

  @Test
  void percentReqIsTheEdgesShareOfItsSourcesOutboundTrafficOfThatProtocol() {
    Map<String, Object> body = ExternalViews.kiali(TRAFFIC, 60, 60, null, Set.of());
    // frontend sends 3/s to cart and 1/s to catalog over HTTP (4/s), and 1/s over gRPC to payments.
    assertThat(rates(edgeTraffic(body, "shop/frontend", "shop/cart"))).containsEntry("httpPercentReq", "75.0")
        .containsEntry("http3xx", "0.50").doesNotContainKeys("http4xx", "http5xx", "httpNoResponse", "httpPercentErr");
    assertThat(rates(edgeTraffic(body, "shop/frontend", "shop/catalog"))).containsEntry("httpPercentReq", "25.0");
    assertThat(rates(edgeTraffic(body, "shop/frontend", "billing/payments"))).containsEntry("grpcPercentReq", "100.0");
  }

  @Test
  void grpcErrorsAreNonZeroStatusesAndNoResponsesCountInPercentErr() {
    Map<String, Object> body = ExternalViews.kiali(TRAFFIC, 60, 60, null, Set.of());
    Map<String, Object> mesh = edgeTraffic(body, "shop/frontend", "billing/payments");
    assertThat(mesh).containsEntry("protocol", "grpc");
    // (18 failed - 6 without response) / 60 = 0.2/s errors, 0.1/s no response: 30 % of 1/s.
    assertThat(rates(mesh)).containsExactly(Map.entry("grpc", "1.00"), Map.entry("grpcNoResponse", "0.10"),
        Map.entry("grpcErr", "0.20"), Map.entry("grpcPercentErr", "30.0"), Map.entry("grpcPercentReq", "100.0"));
    Map<String, Object> spans = edgeTraffic(body, "billing/payments", "billing/ledger");
    assertThat(spans).containsEntry("protocol", "grpc");
    assertThat(rates(spans)).containsEntry("grpcErr", "0.05").containsEntry("grpcPercentErr", "50.0");
    assertThat(responses(spans)).containsOnlyKeys("0", "14");
  }

  @Test
  void responsesPutEachFlagUnderTheCodeEnvoyAnswersItWithAsShareOfTheEdge() {
    Map<String, Map<String, Map<String, String>>> r = responses(edgeTraffic(ExternalViews.kiali(TRAFFIC, 60, 60, null, Set.of()),
        "user", "shop/frontend"));
    String host = "frontend.shop.svc.cluster.local";
    assertThat(r).containsOnlyKeys("2xx", "4xx", "5xx", "-");
    assertThat(r.get("2xx")).isEqualTo(Map.of("flags", Map.of("-", "70.0"), "hosts", Map.of(host, "70.0")));
    // RL (429) and UAEX (403) are 4xx replies: 60 and 45 of the 120; the other 15 carried no flag.
    assertThat(r.get("4xx")).isEqualTo(Map.of("flags", Map.of("RL", "10.0", "UAEX", "7.5", "-", "2.5"), "hosts", Map.of(host, "20.0")));
    assertThat(r.get("5xx")).isEqualTo(Map.of("flags", Map.of("UH", "5.0"), "hosts", Map.of(host, "5.0")));
    assertThat(r.get("-")).isEqualTo(Map.of("flags", Map.of("DC", "5.0"), "hosts", Map.of(host, "5.0")));
  }

  @Test
  void databaseAndTcpHopsAreTcpWithTcpNodeRates() {
    Map<String, Object> body = ExternalViews.kiali(TRAFFIC, 60, 60, null, Set.of());
    Map<String, Object> db = edgeTraffic(body, "shop/cart", "postgres");
    assertThat(db).containsEntry("protocol", "tcp");
    assertThat(rates(db)).containsExactly(Map.entry("tcp", "0.10"));
    assertThat(responses(db)).isEqualTo(Map.of("-", Map.of("flags", Map.of("-", "100.0"), "hosts", Map.of("postgres", "100.0"))));
    Map<String, Object> redis = edgeTraffic(body, "shop/cart", "shop/redis");
    assertThat(responses(redis)).isEqualTo(Map.of("-", Map.of("flags", Map.of("UF", "25.0", "-", "75.0"),
        "hosts", Map.of("redis.shop.svc.cluster.local", "100.0"))));
    Map<String, Map<String, Object>> nodes = nodes(body);
    assertThat(nodes.get("postgres").get("traffic")).isEqualTo(List.of(Map.of("protocol", "tcp", "rates", Map.of("tcpIn", "0.10"))));
    assertThat(nodes.get("shop/cart").get("traffic")).isEqualTo(List.of(
        Map.of("protocol", "http", "rates", Map.of("httpIn", "3.00", "httpIn3xx", "0.50")),
        Map.of("protocol", "tcp", "rates", Map.of("tcpOut", "0.30"))));
  }

  // One minute of access-logged traffic with exact codes and TCP bytes.
  private static final Graph MESH = new Graph(GraphType.SERVICE, new QueryWindow(0, 60_000, 60_000),
      List.of(node("shop/productpage", "shop", "service", true), node("shop/reviews", "shop", "service", false),
          node("shop/ratings", "shop", "service", false), node("shop/mongodb", "shop", "service", false)),
      List.of(
          // 540 x 200 and 60 x 503, the 503s with UF (upstream connection failure).
          exact(edge("shop/productpage", "shop/reviews", "", "http", 600, 60, Map.of("2xx", 540.0, "5xx", 60.0),
              Map.of("UF", 60.0)), Map.of("200", 540.0, "503", 60.0), null, null),
          // gRPC statuses by number: 48 OK, 6 UNAVAILABLE (14), 6 without a response.
          exact(edge("shop/reviews", "shop/ratings", "", "grpc", 60, 12, Map.of("2xx", 54.0, "-", 6.0), Map.of()),
              Map.of("0", 48.0, "14", 6.0, "-", 6.0), null, null),
          // 12 connections, 300,000 bytes sent and 60,000 received by mongodb in the minute.
          exact(edge("shop/reviews", "shop/mongodb", "", "tcp", 12, 0, Map.of(), Map.of()), null, 5000.0, 1000.0)));

  @Test
  void exactCodesKeyResponsesWithTheirFlagsAndHostShares() {
    Map<String, Object> traffic = edgeTraffic(ExternalViews.kiali(MESH, 60, 60, null, Set.of()), "shop/productpage",
        "shop/reviews");
    String host = "reviews.shop.svc.cluster.local";
    // 540 / 600 = 90 %, 60 / 600 = 10 %; UF is a 5xx reply, so it goes with the 503s.
    assertThat(responses(traffic)).isEqualTo(Map.of(
        "200", Map.of("flags", Map.of("-", "90.0"), "hosts", Map.of(host, "90.0")),
        "503", Map.of("flags", Map.of("UF", "10.0"), "hosts", Map.of(host, "10.0"))));
    assertThat(rates(traffic)).containsExactly(Map.entry("http", "10.00"), Map.entry("http5xx", "1.00"),
        Map.entry("httpPercentErr", "10.0"), Map.entry("httpPercentReq", "100.0"));
  }

  @Test
  void anEdgeWhoseExactCodesCoverPartOfItsRequestsIsKeyedByClass() {
    // 600 requests, of which the access-logged minutes gave exact codes for 400 (the rest traced).
    Graph mixed = new Graph(GraphType.SERVICE, new QueryWindow(0, 60_000, 60_000),
        List.of(node("shop/productpage", "shop", "service", true), node("shop/reviews", "shop", "service", false)),
        List.of(exact(edge("shop/productpage", "shop/reviews", "", "http", 600, 60, Map.of("2xx", 540.0, "5xx", 60.0),
            Map.of()), Map.of("200", 360.0, "503", 40.0), null, null)));
    Map<String, Object> traffic = edgeTraffic(ExternalViews.kiali(mixed, 60, 60, null, Set.of()), "shop/productpage",
        "shop/reviews");
    String host = "reviews.shop.svc.cluster.local";
    assertThat(responses(traffic)).isEqualTo(Map.of(
        "2xx", Map.of("flags", Map.of("-", "90.0"), "hosts", Map.of(host, "90.0")),
        "5xx", Map.of("flags", Map.of("-", "10.0"), "hosts", Map.of(host, "10.0"))));
  }

  @Test
  void exactGrpcStatusesKeyResponsesAndCountNonZeroAsErrors() {
    Map<String, Object> traffic = edgeTraffic(ExternalViews.kiali(MESH, 60, 60, null, Set.of()), "shop/reviews",
        "shop/ratings");
    String host = "ratings.shop.svc.cluster.local";
    assertThat(responses(traffic)).isEqualTo(Map.of(
        "0", Map.of("flags", Map.of("-", "80.0"), "hosts", Map.of(host, "80.0")),
        "14", Map.of("flags", Map.of("-", "10.0"), "hosts", Map.of(host, "10.0")),
        "-", Map.of("flags", Map.of("-", "10.0"), "hosts", Map.of(host, "10.0"))));
    // 6 x status 14 = 0.1/s errors, 6 without response 0.1/s: 20 % of 1/s.
    assertThat(rates(traffic)).containsExactly(Map.entry("grpc", "1.00"), Map.entry("grpcNoResponse", "0.10"),
        Map.entry("grpcErr", "0.10"), Map.entry("grpcPercentErr", "20.0"), Map.entry("grpcPercentReq", "100.0"));
  }

  @Test
  void aTcpEdgeWithBytesRatesSentBytesPerSecondAsKialisDefaultRateTcp() {
    Map<String, Object> body = ExternalViews.kiali(MESH, 60, 60, null, Set.of());
    Map<String, Object> traffic = edgeTraffic(body, "shop/reviews", "shop/mongodb");
    assertThat(traffic).containsEntry("protocol", "tcp");
    assertThat(rates(traffic)).containsExactly(Map.entry("tcp", "5000.00"));
    assertThat(responses(traffic)).isEqualTo(Map.of("-", Map.of("flags", Map.of("-", "100.0"),
        "hosts", Map.of("mongodb.shop.svc.cluster.local", "100.0"))));
    Map<String, Map<String, Object>> nodes = nodes(body);
    assertThat(nodes.get("shop/mongodb").get("traffic")).isEqualTo(List.of(
        Map.of("protocol", "tcp", "rates", Map.of("tcpIn", "5000.00"))));
    assertThat(nodes.get("shop/reviews").get("traffic")).isEqualTo(List.of(
        Map.of("protocol", "grpc", "rates", Map.of("grpcOut", "1.00")),
        Map.of("protocol", "http", "rates", Map.of("httpIn", "10.00", "httpIn5xx", "1.00")),
        Map.of("protocol", "tcp", "rates", Map.of("tcpOut", "5000.00"))));
  }

  @Test
  void onlyHttpAndGrpcEdgesHaveAResponseTimeAsKialisRequestDurationHasNoTcpSeries() {
    // Kiali reads responseTime from istio_request_duration, which Envoy records for HTTP and gRPC requests only, so a
    // TCP edge (a logged TCP hop, or a traced database hop, which Kiali draws as TCP) never has one.
    Traffic.Latency latency = new Traffic.Latency(5.0, 9.0, 12.0, 20.0);
    Graph timed = new Graph(GraphType.SERVICE, new QueryWindow(0, 60_000, 60_000),
        List.of(node("shop/frontend", "shop", "service", true), node("shop/cart", "shop", "service", false),
            node("shop/ratings", "shop", "service", false), node("shop/mongodb", "shop", "service", false),
            node("postgres", "", "virtual", false)),
        List.of(timed(edge("shop/frontend", "shop/cart", "", "http", 60, 0, Map.of("2xx", 60.0), Map.of()), latency),
            timed(edge("shop/frontend", "shop/ratings", "", "grpc", 60, 0, Map.of("grpc_0", 60.0), Map.of()), latency),
            timed(edge("shop/cart", "shop/mongodb", "", "tcp", 12, 0, Map.of(), Map.of()), latency),
            timed(edge("shop/cart", "postgres", "database", "", 30, 0, Map.of(), Map.of()), latency)));
    Map<String, Map<String, Object>> edges = new java.util.HashMap<>();
    elements(ExternalViews.kiali(timed, 60, 60, 95, Set.of()), "edges").forEach(e -> edges.put((String) e.get("target"), e));
    assertThat(edges.get("shop/cart")).containsEntry("responseTime", "12");
    assertThat(edges.get("shop/ratings")).containsEntry("responseTime", "12");
    assertThat(edges.get("shop/mongodb")).doesNotContainKey("responseTime");
    assertThat(edges.get("postgres")).doesNotContainKey("responseTime");
  }

  private static Graph.Edge timed(Graph.Edge e, Traffic.Latency latency) {
    return new Graph.Edge(e.id(), e.source(), e.target(), e.connectionType(), e.protocol(), e.telemetry(), e.requests(),
        e.failed(), e.requestRate(), e.errorPercent(), latency, latency, e.queueLatencyMs(), e.responses(), e.responseFlags(),
        e.responseCodes(), e.bytesSent(), e.bytesReceived(), e.bytesSentRate(), e.bytesReceivedRate());
  }

  /** {@code e} with access-log figures: exact codes, and TCP bytes per second (totals over the minute). */
  private static Graph.Edge exact(Graph.Edge e, Map<String, Double> codes, Double sentRate, Double receivedRate) {
    return new Graph.Edge(e.id(), e.source(), e.target(), e.connectionType(), e.protocol(), e.telemetry(), e.requests(),
        e.failed(), e.requestRate(), e.errorPercent(), e.latencyMs(), e.clientLatencyMs(), e.queueLatencyMs(),
        e.responses(), e.responseFlags(), codes, sentRate == null ? null : sentRate * 60,
        receivedRate == null ? null : receivedRate * 60, sentRate, receivedRate);
  }

  @Test
  void nodeRatesAreTheSumsOfTheirEdgesPerProtocolInKialisOrder() {
    Map<String, Map<String, Object>> nodes = nodes(ExternalViews.kiali(TRAFFIC, 60, 60, null, Set.of()));
    assertThat(nodes.get("shop/frontend").get("traffic")).isEqualTo(List.of(
        Map.of("protocol", "grpc", "rates", Map.of("grpcOut", "1.00")),
        Map.of("protocol", "http", "rates", Map.of("httpIn", "10.00", "httpInNoResponse", "0.50", "httpIn4xx", "2.00",
            "httpIn5xx", "0.50", "httpOut", "4.00"))));
    assertThat(nodes.get("billing/payments").get("traffic")).isEqualTo(List.of(Map.of("protocol", "grpc", "rates",
        Map.of("grpcIn", "1.00", "grpcInNoResponse", "0.10", "grpcInErr", "0.20", "grpcOut", "0.10"))));
    assertThat(nodes.get("user").get("traffic")).isEqualTo(List.of(Map.of("protocol", "http", "rates", Map.of("httpOut", "10.00"))));
  }

  @Test
  void aNodeWithoutTrafficHasNoTrafficField() {
    Graph idle = new Graph(GraphType.SERVICE, new QueryWindow(0, 60_000, 60_000), List.of(node("shop/idle", "shop", "service", false)),
        List.of());
    assertThat(nodes(ExternalViews.kiali(idle, 60, 60, null, Set.of())).get("shop/idle")).doesNotContainKey("traffic");
  }

  @Test
  void ratesWidenTheirPrecisionUntilASignificantDigitShowsAsKialisRateToString() {
    assertThat(ExternalViews.rate(1.234)).isEqualTo("1.23");
    assertThat(ExternalViews.rate(0.05)).isEqualTo("0.05");
    assertThat(ExternalViews.rate(0.004)).isEqualTo("0.004");
    assertThat(ExternalViews.rate(0.0001234)).isEqualTo("0.0001");
    assertThat(ExternalViews.rate(0.00001234)).isEqualTo("0.00001");
    assertThat(ExternalViews.rate(0.000001)).isEqualTo("0.00000");
    // 300,000 requests over 100,000,000 s: 0.003/s shows three decimals, not "0.00".
    Graph slow = new Graph(GraphType.SERVICE, new QueryWindow(0, 100_000_000_000L, 60_000),
        List.of(node("a/x", "a", "service", false), node("a/y", "a", "service", false)),
        List.of(new Graph.Edge("a/x>a/y", "a/x", "a/y", "", "http", "mesh", 300_000, 0, 0.003, 0.0, NO_LATENCY, NO_LATENCY, null,
            Map.of("2xx", 300_000.0), Map.of(), null, null, null, null, null)));
    assertThat(rates(edgeTraffic(ExternalViews.kiali(slow, 0, 100_000_000, null, Set.of()), "a/x", "a/y"))).containsEntry("http", "0.003");
  }

  @Test
  void timestampAndDurationAreTheQueryTimeAndDurationAsked() {
    Map<String, Object> body = ExternalViews.kiali(TRAFFIC, 1_700_000_000L, 600, null, Set.of());
    assertThat(body).containsEntry("timestamp", 1_700_000_000L).containsEntry("duration", 600L);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> edgeTraffic(Map<String, Object> body, String source, String target) {
    return elements(body, "edges").stream().filter(d -> d.get("source").equals(source) && d.get("target").equals(target))
        .map(d -> (Map<String, Object>) d.get("traffic")).findFirst().orElseThrow();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> rates(Map<String, Object> traffic) {
    return (Map<String, String>) traffic.get("rates");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Map<String, Map<String, String>>> responses(Map<String, Object> traffic) {
    return (Map<String, Map<String, Map<String, String>>>) traffic.get("responses");
  }

  private static Graph.Edge edge(String source, String target, String connectionType, String protocol, double requests,
      double failed, Map<String, Double> responses, Map<String, Double> flags) {
    return new Graph.Edge(source + ">" + target, source, target, connectionType, protocol, "mesh", requests, failed,
        requests / 60, failed / requests * 100, NO_LATENCY, NO_LATENCY, null, responses, flags, null, null, null, null, null);
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> elements(Map<String, Object> body, String kind) {
    Map<String, List<Map<String, Object>>> elements = (Map<String, List<Map<String, Object>>>) body.get("elements");
    return elements.get(kind).stream().map(e -> (Map<String, Object>) e.get("data")).toList();
  }

  private static Map<String, Map<String, Object>> nodes(Map<String, Object> body) {
    return elements(body, "nodes").stream().collect(java.util.stream.Collectors.toMap(d -> (String) d.get("id"), d -> d));
  }

  private static Graph.Node node(String id, String namespace, String kind, boolean root) {
    String name = id.substring(id.indexOf('/') + 1);
    return new Graph.Node(id, name, namespace, name, "", "", "", kind, root, 10, 1, 0.0, 10, 1, NO_LATENCY, Map.of("200", 10.0));
  }

  private static Graph.Edge edge(String source, String target) {
    return new Graph.Edge(source + ">" + target, source, target, "", "http", "mesh", 10, 0, 1, 0.0, NO_LATENCY, NO_LATENCY,
        null, Map.of("200", 10.0), Map.of(), null, null, null, null, null);
  }
}
