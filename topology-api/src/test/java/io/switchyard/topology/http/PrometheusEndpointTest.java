package io.switchyard.topology.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.http.HttpServerKit;
import io.switchyard.testing.MutableClock;
import io.switchyard.topology.MeshScenario;
import io.switchyard.topology.metrics.TopologyCollector;
import io.switchyard.topology.query.DecodePool;
import io.switchyard.topology.query.TopologyQueries;
import io.switchyard.topology.store.RocksTopologyStore;
import io.switchyard.topology.store.StoreBatch;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** {@code /metrics} answers in the exposition format the scraper's {@code Accept} header asks for. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PrometheusEndpointTest {
  /** What Prometheus 2.x and 3.x send by default: OpenMetrics first, the classic text format as fallback. */
  private static final String PROMETHEUS_ACCEPT = "application/openmetrics-text;version=1.0.0,"
      + "application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
  private static final String EDGE = "{client=\"frontend\",client_service_namespace=\"shop\",connection_type=\"\","
      + "server=\"cart\",server_service_namespace=\"shop\"";

  @TempDir static Path dir;
  private RocksTopologyStore store;
  private HttpServerKit server;
  private final DecodePool decoders = new DecodePool(1);
  private final HttpClient client = HttpClient.newHttpClient();

  @BeforeAll
  void start() throws Exception {
    store = RocksTopologyStore.open(dir);
    StoreBatch b = new StoreBatch();
    MeshScenario.edges().forEach(k -> b.edge(k.key(), k.value()));
    MeshScenario.services().forEach(k -> b.service(k.key(), k.value()));
    store.write(b);
    MutableClock clock = new MutableClock(MeshScenario.NOW);
    TopologyQueries q = new TopologyQueries(store, clock, () -> 0, () -> true, decoders);
    PrometheusRegistry registry = new PrometheusRegistry();
    registry.register(new TopologyCollector(store, 100, () -> 0, clock::millis));
    server = HttpServerKit.builder("t", 0).host("127.0.0.1")
        .route("/", new ApiRouter(q, AccessPolicy.OPEN, new PrometheusEndpoint(registry)), false).build().start();
  }

  @AfterAll
  void stop() {
    server.close();
    decoders.close();
    store.close();
  }

  private HttpResponse<String> metrics(String accept) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics"));
    if (accept != null) {
      r.header("Accept", accept);
    }
    return client.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aScrapeAskingForOpenMetricsGetsOpenMetricsEndingInEof() throws Exception {
    HttpResponse<String> r = metrics(PROMETHEUS_ACCEPT);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
        t -> assertThat(t).startsWith("application/openmetrics-text").contains("version=1.0.0"));
    assertThat(r.headers().allValues("Vary")).anySatisfy(v -> assertThat(v).containsIgnoringCase("Accept"));
    String body = r.body();
    assertThat(body).endsWith("# EOF\n");
    // OpenMetrics names the counter family without _total and its sample with it.
    assertThat(body).contains("# TYPE traces_service_graph_request counter\n", "# TYPE traces_service_graph_request_failed counter\n");
    assertThat(body).contains("traces_service_graph_request_total" + EDGE + "} 600.0\n");
    assertThat(body).contains("traces_service_graph_request_server_seconds_bucket" + EDGE + ",le=\"+Inf\"} 600\n",
        "traces_service_graph_request_server_seconds_count" + EDGE + "} 600\n");
  }

  @Test
  void aScrapeWithoutOpenMetricsInItsAcceptGetsTheClassicTextFormat() throws Exception {
    for (String accept : new String[] {null, "text/plain;version=0.0.4", "*/*"}) {
      HttpResponse<String> r = metrics(accept);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Type")).as(accept).hasValueSatisfying(
          t -> assertThat(t).startsWith("text/plain").contains("version=0.0.4"));
      assertThat(r.body()).as(accept).doesNotContain("# EOF")
          .contains("# TYPE traces_service_graph_request_total counter\n")
          .contains("traces_service_graph_request_total" + EDGE + "} 600.0\n");
    }
  }
}
