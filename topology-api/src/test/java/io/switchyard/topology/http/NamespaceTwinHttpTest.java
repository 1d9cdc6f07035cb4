package io.switchyard.topology.http;

import static io.switchyard.topology.Fixtures.MINUTE;
import static io.switchyard.topology.Fixtures.T0;
import static io.switchyard.topology.Fixtures.edge;
import static io.switchyard.topology.Fixtures.node;
import static io.switchyard.topology.Fixtures.service;
import static io.switchyard.topology.Fixtures.serviceWindow;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.ServiceAggregate;
import io.switchyard.model.v1.TelemetrySource;
import io.switchyard.serverkit.http.HttpServerKit;
import io.switchyard.testing.MutableClock;
import io.switchyard.topology.metrics.TopologyCollector;
import io.switchyard.topology.query.DecodePool;
import io.switchyard.topology.query.TopologyQueries;
import io.switchyard.topology.store.RocksTopologyStore;
import io.switchyard.topology.store.StoreBatch;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Audit F4 over HTTP: the spans carry no namespace (the OTel SDK default), the sidecars log in m10. Per minute for 10
 * minutes, the same 50 requests (5 failed) are traced as {@code gw -> frontend} and logged as
 * {@code m10/gw -> m10/frontend}, and the same 5 as traced {@code frontend -> postgres} (a bare {@code db.name}) and
 * logged {@code m10/frontend -> m10/postgres}. Every view counts frontend's 500 requests once, not 1,000.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NamespaceTwinHttpTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TelemetrySource MESH = TelemetrySource.TELEMETRY_SOURCE_MESH;
  private static final TelemetrySource TRACE = TelemetrySource.TELEMETRY_SOURCE_TRACE;
  private static final int MINUTES = 10;
  private static final String RANGE = "from=2026-11-25T20:00:00Z&to=2026-11-25T20:10:00Z";
  @TempDir static Path dir;
  private RocksTopologyStore store;
  private HttpServerKit server;
  private final DecodePool decoders = new DecodePool(1);
  private final HttpClient client = HttpClient.newHttpClient();

  @BeforeAll
  void start() throws Exception {
    store = RocksTopologyStore.open(dir);
    NodeRef gw = service("gw", "");
    NodeRef frontend = service("frontend", "");
    NodeRef m10Frontend = service("frontend", "m10");
    NodeRef m10Postgres = service("postgres", "m10");
    StoreBatch b = new StoreBatch();
    for (int m = 0; m < MINUTES; m++) {
      long s = T0 + m * MINUTE;
      putEdge(b, edge(node("user", NodeRef.NodeKind.NODE_KIND_USER), gw, TRACE, s, 50, 5, 0.05));
      putEdge(b, edge(gw, frontend, TRACE, s, 50, 5, 0.04));
      putEdge(b, edge(service("gw", "m10"), m10Frontend, MESH, s, 50, 5, 0.04));
      putEdge(b, edge(frontend, node("postgres", NodeRef.NodeKind.NODE_KIND_VIRTUAL), TRACE, s, 5, 0, 0.004).toBuilder()
          .setConnectionType("database").setProtocol("postgresql").build());
      putEdge(b, edge(m10Frontend, m10Postgres, MESH, s, 5, 0, 0.004).toBuilder().setProtocol("tcp").build());
      putService(b, serviceWindow(gw, TRACE, s, 50, 5, 0.05));
      putService(b, serviceWindow(frontend, TRACE, s, 50, 5, 0.04));
      putService(b, serviceWindow(m10Frontend, MESH, s, 50, 5, 0.04));
      putService(b, serviceWindow(node("postgres", NodeRef.NodeKind.NODE_KIND_VIRTUAL), TRACE, s, 5, 0, 0.004));
      putService(b, serviceWindow(m10Postgres, MESH, s, 5, 0, 0.004));
    }
    store.write(b);
    MutableClock clock = new MutableClock(Instant.ofEpochMilli(T0 + (MINUTES + 2) * MINUTE));
    TopologyQueries q = new TopologyQueries(store, clock, () -> 0, () -> true, decoders);
    PrometheusRegistry registry = new PrometheusRegistry();
    registry.register(new TopologyCollector(store, 100, () -> 0, clock::millis));
    ApiRouter.MetricsEndpoint metrics = new ApiRouter.MetricsEndpoint() {
      @Override
      public String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
      }

      @Override
      public byte[] scrape() throws java.io.IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
        return out.toByteArray();
      }
    };
    server = HttpServerKit.builder("t", 0).host("127.0.0.1")
        .route("/", new ApiRouter(q, AccessPolicy.OPEN, metrics), false).build().start();
  }

  @AfterAll
  void stop() {
    server.close();
    decoders.close();
    store.close();
  }

  private static void putEdge(StoreBatch b, EdgeAggregate e) {
    b.edge(e.getClient().getNamespace() + "/" + e.getClient().getName() + "->" + e.getServer().getNamespace() + "/"
        + e.getServer().getName(), e);
  }

  private static void putService(StoreBatch b, ServiceAggregate s) {
    b.service(s.getService().getNamespace() + "/" + s.getService().getName() + "/" + s.getSource().getNumber(), s);
  }

  private JsonNode get(String pathAndQuery) throws Exception {
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + pathAndQuery))
        .build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    assertThat(r.statusCode()).as(pathAndQuery).isEqualTo(200);
    return pathAndQuery.startsWith("/metrics") ? null : JSON.readTree(r.body());
  }

  private String metrics() throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).body();
  }

  @Test
  void theGraphCountsFrontendsRequestsOnceInItsRequestsInAndTheCallersRequestsOut() throws Exception {
    for (String type : new String[] {"service", "workload", "app"}) {
      JsonNode g = get("/api/v1/graph?" + RANGE + "&type=" + type);
      double frontendIn = 0;
      double requestsOut = 0;
      for (JsonNode n : g.get("nodes")) {
        if (n.get("service").asText().equals("frontend")) {
          frontendIn += n.get("requestsIn").asDouble();
          requestsOut += n.get("requestsOut").asDouble();
        }
      }
      // Before: 1,000 in (500 traced beside 500 logged) and 100 out.
      assertThat(frontendIn).as(type).isEqualTo(500.0);
      assertThat(requestsOut).as(type).isEqualTo(50.0);
      assertThat(g.get("edges")).as(type).hasSize(3);
    }
    assertThat(edgeTelemetry(get("/api/v1/graph?" + RANGE).get("edges"), "source", "target"))
        .containsExactlyInAnyOrder("user->gw trace", "m10/gw->m10/frontend mesh", "m10/frontend->m10/postgres mesh");
  }

  @Test
  void theServicesListHasTheLoggedFrontendAlone() throws Exception {
    List<String> entries = new ArrayList<>();
    for (JsonNode s : get("/api/v1/services?" + RANGE).get("services")) {
      entries.add(s.get("kind").asText() + " " + s.get("namespace").asText() + "/" + s.get("name").asText() + " "
          + s.get("requests").asDouble());
    }
    assertThat(entries).containsExactlyInAnyOrder("service /gw 500.0", "service m10/frontend 500.0",
        "service m10/postgres 50.0");
    // One service across namespaces, as Grafana's service panel asks for it.
    JsonNode frontend = get("/api/v1/services/frontend?" + RANGE + "&step=60s");
    assertThat(frontend.at("/service/requests").asDouble()).isEqualTo(500.0);
    assertThat(frontend.get("series")).hasSize(MINUTES).allSatisfy(p -> assertThat(p.get("requests").asDouble()).isEqualTo(50.0));
  }

  @Test
  void kialiAndTheNodeGraphDrawOneHopIntoFrontend() throws Exception {
    JsonNode kiali = get("/api/namespaces/graph?graphType=service&duration=600s&queryTime="
        + (T0 + MINUTES * MINUTE) / 1000);
    List<String> kialiEdges = new ArrayList<>();
    kiali.at("/elements/edges").forEach(e -> kialiEdges.add(e.at("/data/source").asText() + "->" + e.at("/data/target").asText()));
    assertThat(kialiEdges).containsExactlyInAnyOrder("user->gw", "m10/gw->m10/frontend", "m10/frontend->m10/postgres");
    JsonNode nodeGraph = get("/api/graph/data?" + RANGE);
    List<String> nodeGraphEdges = new ArrayList<>();
    nodeGraph.get("edges").forEach(e -> nodeGraphEdges.add(e.get("source").asText() + "->" + e.get("target").asText()));
    assertThat(nodeGraphEdges).containsExactlyInAnyOrder("user->gw", "m10/gw->m10/frontend", "m10/frontend->m10/postgres");
  }

  @Test
  void metricsHaveOneHopIntoFrontendAndNoSeriesOfTheNamespaceLessOne() throws Exception {
    List<String> lines = metrics().lines()
        .filter(l -> l.startsWith("traces_service_graph_request_total{") || l.startsWith("switchyard_service_requests_total{"))
        .filter(l -> l.contains("\"frontend\"") || l.contains("\"postgres\""))
        .toList();
    assertThat(lines).containsExactlyInAnyOrder(
        "traces_service_graph_request_total{client=\"gw\",client_service_namespace=\"m10\",connection_type=\"\","
            + "server=\"frontend\",server_service_namespace=\"m10\"} 500.0",
        "traces_service_graph_request_total{client=\"frontend\",client_service_namespace=\"m10\",connection_type=\"\","
            + "server=\"postgres\",server_service_namespace=\"m10\"} 50.0",
        "switchyard_service_requests_total{kind=\"service\",namespace=\"m10\",service=\"frontend\"} 500.0",
        "switchyard_service_requests_total{kind=\"service\",namespace=\"m10\",service=\"postgres\"} 50.0");
  }

  private static List<String> edgeTelemetry(JsonNode edges, String source, String target) {
    List<String> ids = new ArrayList<>();
    edges.forEach(e -> ids.add(e.get(source).asText() + "->" + e.get(target).asText() + " " + e.get("telemetry").asText()));
    return ids;
  }
}
