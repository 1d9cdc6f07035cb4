package io.switchyard.topology.grafana;

import static io.switchyard.topology.Fixtures.MINUTE;
import static io.switchyard.topology.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchyard.model.LatencyBuckets;
import io.switchyard.model.Topics;
import io.switchyard.model.v1.AlertState;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.SloStatusRecord;
import io.switchyard.testing.FreePorts;
import io.switchyard.testing.SharedKafka;
import io.switchyard.topology.Fixtures;
import io.switchyard.topology.MeshScenario;
import io.switchyard.topology.TopologyApiOptions;
import io.switchyard.topology.TopologyApiServer;
import java.io.File;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus server scrapes a topology API filled through the real topics; every PromQL expression of
 * every dashboard panel (and every label_values variable) must parse and return data through Prometheus'
 * HTTP API, and the service map's Infinity queries must find their arrays in the API's answer.
 */
class GrafanaPrometheusIT {
  @RegisterExtension static final SharedKafka kafka = new SharedKafka();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, String> VARIABLES = Map.of("__rate_interval", "1m", "service", "cart", "type", "service");

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  private static Path prometheusBinary() {
    for (String p : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
      Path candidate = Path.of(p, "prometheus");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  @Test
  void everyPanelQueryParsesAndReturnsDataFromARealPrometheus() throws Exception {
    Path binary = prometheusBinary();
    Assumptions.assumeTrue(binary != null,
        "the 'prometheus' binary is not on PATH: install the Debian package 'prometheus' (bin/test does) to run this test");

    String prefix = kafka.uniquePrefix();
    kafka.createTopics(prefix);
    produceWindow(prefix, 0, true);
    TopologyApiOptions options = TopologyApiOptions.defaults(dir.resolve("data"), kafka.bootstrapServers(), prefix)
        .withPort(0).withHost("127.0.0.1");
    try (TopologyApiServer api = new TopologyApiServer(options, Clock.systemUTC(), null).start()) {
      await().atMost(Duration.ofSeconds(60)).until(api::caughtUp);
      int promPort = FreePorts.next();
      Path config = dir.resolve("prometheus.yml");
      Files.writeString(config, """
          global:
            scrape_interval: 1s
          scrape_configs:
            - job_name: topology
              static_configs:
                - targets: ["127.0.0.1:%d"]
          """.formatted(api.port()));
      Process prometheus = new ProcessBuilder(binary.toString(), "--config.file=" + config,
          "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + promPort)
          .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
      try {
        String prom = "http://127.0.0.1:" + promPort;
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
            .until(() -> get(prom + "/-/ready").statusCode() == 200);
        // A first scrape of the totals, then more windows, so rates and increases are above zero.
        await().atMost(Duration.ofSeconds(30)).until(() -> !query(prom, "traces_service_graph_request_total").isEmpty());
        for (int i = 1; i <= 3; i++) {
          produceWindow(prefix, i, false);
          int window = i;
          await().atMost(Duration.ofSeconds(30)).until(() -> {
            JsonNode r = query(prom, "max(traces_service_graph_request_total{server=\"cart\"})");
            return !r.isEmpty() && r.get(0).at("/value/1").asDouble() >= 60.0 * (window + 1);
          });
        }

        List<Dashboards.PromQuery> queries = Dashboards.promQueries(VARIABLES);
        assertThat(queries).hasSizeGreaterThan(20);
        for (Dashboards.PromQuery q : queries) {
          JsonNode result = query(prom, q.expr());
          assertThat(result).as(q.dashboard() + " / " + q.panel() + ": " + q.expr() + " returned no data").isNotEmpty();
          for (JsonNode sample : result) {
            assertThat(sample.at("/value/1").asText()).as(q.dashboard() + " / " + q.panel() + ": " + q.expr())
                .isNotIn("NaN", "+Inf", "-Inf");
          }
        }

        // The latency rule `slo rules` writes for that SLO finds its bucket: every request took 20 ms, so all are bad.
        String le = "le=\"" + LatencyBuckets.upperBoundSeconds(15) + "\"";
        JsonNode latencyErrors = query(prom, "1 - sum(rate(traces_service_graph_request_server_seconds_bucket{server=\"cart\", " + le
            + "}[5m])) / sum(rate(traces_service_graph_request_server_seconds_count{server=\"cart\"}[5m]))");
        assertThat(latencyErrors).as("latency SLO rule over " + le).hasSize(1);
        assertThat(latencyErrors.get(0).at("/value/1").asDouble()).isEqualTo(1.0);

        // The service map's Infinity queries: the API answers the panel's URL with the arrays it selects.
        for (JsonNode p : Dashboards.panels(Dashboards.all().get("service-map.json"))) {
          for (JsonNode t : p.path("targets")) {
            if (!t.has("url")) {
              continue;
            }
            StringBuilder url = new StringBuilder("http://127.0.0.1:" + api.port() + t.get("url").asText() + "?");
            long now = System.currentTimeMillis();
            for (JsonNode param : t.at("/url_options/params")) {
              String v = Dashboards.substitute(param.get("value").asText(),
                  Map.of("__from", Long.toString(T0), "__to", Long.toString(now), "type", "service"));
              url.append(param.get("key").asText()).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8)).append('&');
            }
            HttpResponse<String> r = get(url.toString());
            assertThat(r.statusCode()).as(url + " " + r.body()).isEqualTo(200);
            assertThat(JSON.readTree(r.body()).get(t.get("root_selector").asText())).as(url.toString()).isNotEmpty();
          }
        }
      } finally {
        prometheus.destroy();
        if (!prometheus.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
          prometheus.destroyForcibly();
        }
      }
    }
  }

  /** Window {@code i} of the scenario's edges, with cart's service window and (first time) the SLO status. */
  private static void produceWindow(String prefix, int i, boolean withSlo) throws Exception {
    long start = T0 + (10 + i) * MINUTE;
    try (KafkaProducer<byte[], byte[]> p = kafka.producer()) {
      String edges = Topics.EDGES.withPrefix(prefix).name();
      send(p, edges, "user->frontend", Fixtures.edge(MeshScenario.USER, MeshScenario.FRONTEND, MeshScenario.MESH, start, 120, 0, 0.05).toByteArray());
      send(p, edges, "frontend->cart", Fixtures.edge(MeshScenario.FRONTEND, MeshScenario.CART, MeshScenario.MESH, start, 60, 3, 0.02).toByteArray());
      send(p, edges, "frontend->payments",
          Fixtures.edge(MeshScenario.FRONTEND, MeshScenario.PAYMENTS, MeshScenario.MESH, start, 6, 1, 0.2).toByteArray());
      // A call leaving the mesh: only the caller's sidecar reported it, so the hop has no server-side histogram.
      send(p, edges, "frontend->api.stripe.com", Fixtures.edge(MeshScenario.FRONTEND,
          NodeRef.newBuilder().setName("api.stripe.com").setKind(NodeRef.NodeKind.NODE_KIND_VIRTUAL).build(),
          MeshScenario.MESH, start, 6, 0, 0.1).toBuilder().clearServerLatency().build().toByteArray());
      send(p, edges, "cart->db", Fixtures.edge(MeshScenario.CART, MeshScenario.DB, MeshScenario.TRACE, start, 30, 0, 0.005).toBuilder()
          .setConnectionType("database").build().toByteArray());
      // The demo's messaging hop (PRODUCER -> CONSUMER spans), for the queue-latency panel: messages wait 1.5 s.
      send(p, edges, "cart->shipping", Fixtures.edge(MeshScenario.CART, Fixtures.service("shipping", "shop"), MeshScenario.TRACE,
          start, 12, 0, 0.01).toBuilder().setConnectionType("messaging_system").setProtocol("kafka")
          .setMessagingLatency(Fixtures.histogram(12, 1.5)).build().toByteArray());
      send(p, Topics.SERVICES.withPrefix(prefix).name(), "cart",
          Fixtures.serviceWindow(MeshScenario.CART, MeshScenario.MESH, start, 60, 3, 0.02).toByteArray());
      if (withSlo) {
        SloStatusRecord.Builder s = SloStatusRecord.newBuilder().setName("cart-availability").setService("cart")
            .setSliKind("availability").setObjective(0.99).setTimeWindow("28d").setEvaluatedAtUnixMs(start)
            .setGoodEvents(95).setTotalEvents(100).setSli(0.95).setErrorBudgetRemaining(-4)
            .addAlerts(AlertState.newBuilder().setName("page-1h").setSeverity("page").setFiring(true).setLongWindow("1h")
                .setShortWindow("5m").setThreshold(13.44))
            .addAlerts(AlertState.newBuilder().setName("ticket-3d").setSeverity("ticket").setLongWindow("3d").setShortWindow("6h")
                .setThreshold(1))
            // An OpenSLO AlertPolicy's alert of a severity of its own: one window.
            .addAlerts(AlertState.newBuilder().setName("cart-sev1").setSeverity("sev1").setLongWindow("30m").setShortWindow("30m")
                .setThreshold(10).setOp("gte").setAlertAfter("5m"));
        for (String w : List.of("5m", "30m", "1h", "6h", "2h", "1d", "3d")) {
          s.addBurnRates(SloStatusRecord.BurnRate.newBuilder().setWindow(w).setRate(5));
        }
        send(p, Topics.SLO_STATUS.withPrefix(prefix).name(), "cart-availability", s.build().toByteArray());
        // A latency SLO on cart whose threshold (18.1 ms) lies between the every-fourth bounds of the client histograms.
        send(p, Topics.SLO_STATUS.withPrefix(prefix).name(), "cart-latency", SloStatusRecord.newBuilder().setName("cart-latency")
            .setService("cart").setSliKind("latency").setObjective(0.99).setTimeWindow("28d").setEvaluatedAtUnixMs(start)
            .setTargetServer("cart").setLatencyThresholdSeconds(LatencyBuckets.upperBoundSeconds(15)).build().toByteArray());
      }
      p.flush();
    }
  }

  private static void send(KafkaProducer<byte[], byte[]> p, String topic, String key, byte[] value) {
    p.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value));
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Runs an instant query; fails on a parse error, returns the result vector. */
  private JsonNode query(String prom, String expr) throws Exception {
    HttpResponse<String> r = get(prom + "/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8));
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.path("status").asText()).as(expr + " -> " + r.body()).isEqualTo("success");
    JsonNode result = body.at("/data/result");
    if (body.at("/data/resultType").asText().equals("scalar")) {
      List<JsonNode> one = new ArrayList<>();
      one.add(JSON.createObjectNode().set("value", result));
      return JSON.valueToTree(one);
    }
    return result;
  }
}
