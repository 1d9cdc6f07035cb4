package io.switchyard.topology;

import static io.switchyard.topology.Fixtures.MINUTE;
import static io.switchyard.topology.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchyard.model.Topics;
import io.switchyard.model.v1.AlertState;
import io.switchyard.model.v1.SloAlertRecord;
import io.switchyard.model.v1.SloStatusRecord;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.testing.FreePorts;
import io.switchyard.testing.MutableClock;
import io.switchyard.testing.SharedKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server end to end: aggregates produced to the real topics of the shared embedded broker, materialised,
 * and read back over HTTP with figures computed by hand from {@link MeshScenario}.
 */
class TopologyApiServerIT {
  @RegisterExtension static final SharedKafka kafka = new SharedKafka();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String FROM = "2026-11-25T20:00:00Z";

  @TempDir Path dataDir;
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void servesHandComputedFiguresFromTheTopicsAndRebuildsWhenTheStoreIsLost() throws Exception {
    String prefix = kafka.uniquePrefix();
    kafka.createTopics(prefix);
    String edges = Topics.EDGES.withPrefix(prefix).name();
    try (KafkaProducer<byte[], byte[]> p = kafka.producer()) {
      MeshScenario.edges().forEach(k -> p.send(new ProducerRecord<>(edges, bytes(k.key()), k.value().toByteArray())));
      MeshScenario.services().forEach(k ->
          p.send(new ProducerRecord<>(Topics.SERVICES.withPrefix(prefix).name(), bytes(k.key()), k.value().toByteArray())));
      p.send(new ProducerRecord<>(Topics.SLO_STATUS.withPrefix(prefix).name(), bytes("cart-availability"), sloStatus().toByteArray()));
      for (long at : new long[] {T0 + 3 * MINUTE, T0 + 8 * MINUTE}) {
        SloAlertRecord a = SloAlertRecord.newBuilder().setSlo("cart-availability").setTransitionUnixMs(at)
            .setLongBurnRate(20).setShortBurnRate(at == T0 + 3 * MINUTE ? 30 : 2)
            .setAlert(AlertState.newBuilder().setName("page-1h").setSeverity("page").setFiring(at == T0 + 3 * MINUTE)).build();
        p.send(new ProducerRecord<>(Topics.SLO_ALERTS.withPrefix(prefix).name(), bytes("cart-availability/page-1h"), a.toByteArray()));
      }
      // Unreadable bytes must be skipped, not stop the materialiser.
      p.send(new ProducerRecord<>(edges, bytes("x->y"), new byte[] {(byte) 0xff, 0x01, 0x02}));
      p.flush();
    }
    abortedWindow(edges);

    MutableClock clock = new MutableClock(MeshScenario.NOW);
    TopologyApiOptions options = TopologyApiOptions.defaults(dataDir, kafka.bootstrapServers(), prefix).withPort(0).withHost("127.0.0.1");

    try (TopologyApiServer server = new TopologyApiServer(options, clock, null).start()) {
      await().atMost(Duration.ofSeconds(60)).until(server::caughtUp);
      String base = "http://127.0.0.1:" + server.port();

      JsonNode graph = getJson(base + "/api/v1/graph?from=" + FROM + "&to=now");
      assertThat(graph.at("/window/seconds").asDouble()).isEqualTo(600.0);
      assertThat(graph.at("/freshness/newestCompleteWindow").asText()).isEqualTo("2026-11-25T20:10:00Z");
      JsonNode cart = edge(graph, "shop/frontend->shop/cart");
      // Mesh only (the trace records of the same hop are not added) and the aborted window is invisible.
      assertThat(cart.get("requests").asDouble()).isEqualTo(600.0);
      assertThat(cart.get("requestRate").asDouble()).isEqualTo(1.0);
      assertThat(cart.get("errorPercent").asDouble()).isEqualTo(5.0);
      assertThat(cart.at("/latencyMs/p95").asDouble()).isBetween(20 / 1.415, 20 * 1.415);
      assertThat(edge(graph, "shop/frontend->pay/payments").get("requestRate").asDouble()).isEqualTo(0.05);
      assertThat(node(graph, "user").get("kind").asText()).isEqualTo("user");
      assertThat(node(graph, "db").get("kind").asText()).isEqualTo("virtual");

      JsonNode service = getJson(base + "/api/v1/services/cart?from=" + FROM + "&step=5m");
      assertThat(service.at("/service/requestRate").asDouble()).isEqualTo(1.0);
      assertThat(service.get("series")).hasSize(2);
      assertThat(service.at("/series/0/errorPercent").asDouble()).isEqualTo(5.0);
      assertThat(getJson(base + "/api/v1/services?from=" + FROM).at("/services/0/name").asText()).isEqualTo("cart");

      JsonNode slo = getJson(base + "/api/v1/slos/cart-availability");
      assertThat(slo.get("errorBudgetRemaining").asDouble()).isEqualTo(0.25);
      assertThat(slo.at("/burnRates/1h").asDouble()).isEqualTo(7.5);
      assertThat(slo.get("alertHistory")).hasSize(2);
      assertThat(slo.at("/alertHistory/0/alert/firing").asBoolean()).isTrue();
      assertThat(slo.at("/alertHistory/1/alert/firing").asBoolean()).isFalse();
      assertThat(getJson(base + "/api/v1/slos").get("slos")).hasSize(1);

      long queryTime = MeshScenario.NOW.getEpochSecond();
      JsonNode kiali = getJson(base + "/api/namespaces/graph?graphType=service&duration=600s&queryTime=" + queryTime);
      assertThat(kiali.get("graphType").asText()).isEqualTo("service");
      JsonNode kialiEdge = kialiEdge(kiali, "shop/frontend", "shop/cart");
      assertThat(kialiEdge.at("/data/traffic/protocol").asText()).isEqualTo("http");
      assertThat(kialiEdge.at("/data/traffic/rates/http").asText()).isEqualTo("1.00");
      assertThat(kialiEdge.at("/data/traffic/rates/http5xx").asText()).isEqualTo("0.05");
      assertThat(kialiEdge.at("/data/traffic/rates/httpPercentErr").asText()).isEqualTo("5.0");
      assertThat(kialiEdge.at("/data/traffic/responses/5xx/hosts/cart.shop.svc.cluster.local").asText()).isEqualTo("5.0");
      assertThat(kiali.get("duration").asLong()).isEqualTo(600);
      assertThat(kiali.get("timestamp").asLong()).isEqualTo(queryTime);

      JsonNode nodeGraph = getJson(base + "/api/graph/data?from=" + FROM);
      assertThat(nodeGraph.get("nodes")).anySatisfy(n -> {
        assertThat(n.get("id").asText()).isEqualTo("shop/cart");
        assertThat(n.get("arc__failed").asDouble()).isEqualTo(0.05);
        assertThat(n.get("arc__success").asDouble()).isEqualTo(0.95);
      });
      assertThat(getJson(base + "/api/graph/fields").get("nodes_fields")).isNotEmpty();

      String metrics = get(base + "/metrics").body();
      assertThat(metrics).contains("traces_service_graph_request_total{client=\"frontend\",client_service_namespace=\"shop\",connection_type=\"\",server=\"cart\",server_service_namespace=\"shop\"} 600.0");

      // Late data: the first window of frontend->cart is re-emitted with 120 requests instead of 60.
      try (KafkaProducer<byte[], byte[]> p = kafka.producer()) {
        p.send(new ProducerRecord<>(edges, bytes("frontend->cart"),
            Fixtures.edge(MeshScenario.FRONTEND, MeshScenario.CART, MeshScenario.MESH, T0, 120, 3, 0.02).toByteArray())).get();
      }
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(edge(getJson(base + "/api/v1/graph?from=" + FROM), "shop/frontend->shop/cart").get("requests").asDouble())
              .isEqualTo(660.0));
      assertThat(get(base + "/metrics").body())
          .contains("traces_service_graph_request_total{client=\"frontend\",client_service_namespace=\"shop\",connection_type=\"\",server=\"cart\",server_service_namespace=\"shop\"} 660.0");
    }

    // Restarted on the same store: resumes from the stored offsets, reads nothing again.
    try (TopologyApiServer server = new TopologyApiServer(options, clock, null).start()) {
      await().atMost(Duration.ofSeconds(60)).until(server::caughtUp);
      assertThat(server.materialisedRecords()).isZero();
    }

    // Store lost: rebuilt from the topics, same figures, counters not double counted.
    try (Stream<Path> files = Files.walk(dataDir.resolve("topology-store"))) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
    try (TopologyApiServer server = new TopologyApiServer(options, clock, null).start()) {
      await().atMost(Duration.ofSeconds(60)).until(server::caughtUp);
      String base = "http://127.0.0.1:" + server.port();
      assertThat(server.materialisedRecords()).isGreaterThan(60);
      assertThat(edge(getJson(base + "/api/v1/graph?from=" + FROM), "shop/frontend->shop/cart").get("requests").asDouble())
          .isEqualTo(660.0);
      assertThat(get(base + "/metrics").body())
          .contains("traces_service_graph_request_total{client=\"frontend\",client_service_namespace=\"shop\",connection_type=\"\",server=\"cart\",server_service_namespace=\"shop\"} 660.0");
    }
  }

  @Test
  void findsTopicsCreatedAfterItStartedEvenWithAFrozenClock() throws Exception {
    String prefix = kafka.uniquePrefix();
    MutableClock frozen = new MutableClock(MeshScenario.NOW);
    TopologyApiOptions options = TopologyApiOptions.defaults(dataDir, kafka.bootstrapServers(), prefix).withPort(0).withHost("127.0.0.1");
    try (TopologyApiServer server = new TopologyApiServer(options, frozen, null).start()) {
      String base = "http://127.0.0.1:" + server.port();
      assertThat(getJson(base + "/api/v1/graph").at("/freshness/caughtUp").asBoolean()).isFalse();
      kafka.createTopics(prefix);
      try (KafkaProducer<byte[], byte[]> p = kafka.producer()) {
        p.send(new ProducerRecord<>(Topics.EDGES.withPrefix(prefix).name(), bytes("frontend->cart"),
            Fixtures.edge(MeshScenario.FRONTEND, MeshScenario.CART, MeshScenario.MESH, T0, 60, 0, 0.02).toByteArray())).get();
      }
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(getJson(base + "/api/v1/graph?from=" + FROM).get("edges")).hasSize(1));
    }
  }

  @Test
  void readinessSaysKafkaCannotBeReachedRatherThanThatTopicsAreMissing() throws Exception {
    String nowhere = "127.0.0.1:" + FreePorts.next();
    Readiness readiness = new Readiness();
    TopologyApiOptions options = TopologyApiOptions.defaults(dataDir, nowhere, "").withPort(0).withHost("127.0.0.1");
    try (TopologyApiServer server = new TopologyApiServer(options, new MutableClock(MeshScenario.NOW), readiness).start()) {
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(readiness.snapshot().get("topology-api"))
          .isEqualTo("cannot reach Kafka at " + nowhere + " (--kafka): no answer within 5 s"));
      assertThat(readiness.isReady()).isFalse();
    }
  }

  @Test
  void readinessNamesTheTopicsTheBrokerLacksUntilTheyAreCreated() throws Exception {
    String prefix = kafka.uniquePrefix();
    String edges = Topics.EDGES.withPrefix(prefix).name();
    kafka.createTopic(edges, 1);
    List<String> lacking = List.of(Topics.SERVICES.withPrefix(prefix).name(), Topics.SLO_STATUS.withPrefix(prefix).name(),
        Topics.SLO_ALERTS.withPrefix(prefix).name());
    Readiness readiness = new Readiness();
    TopologyApiOptions options = TopologyApiOptions.defaults(dataDir, kafka.bootstrapServers(), prefix).withPort(0).withHost("127.0.0.1");
    try (TopologyApiServer server = new TopologyApiServer(options, new MutableClock(MeshScenario.NOW), readiness).start()) {
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        String reason = readiness.snapshot().get("topology-api");
        assertThat(reason).contains(lacking).doesNotContain(edges + ",").doesNotEndWith(edges)
            .contains("switchyard topics create --kafka " + kafka.bootstrapServers() + " --topic-prefix " + prefix);
      });
      assertThat(readiness.isReady()).isFalse();
      kafka.createTopics(prefix);
      await().atMost(Duration.ofSeconds(30)).until(readiness::isReady);
      assertThat(readiness.snapshot()).containsEntry("topology-api", "ready");
    }
  }

  /** A window written in a transaction that is then aborted; a read_committed consumer never sees it. */
  private static void abortedWindow(String topic) {
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ProducerConfig.TRANSACTIONAL_ID_CONFIG, "topology-it-" + System.nanoTime()),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      p.initTransactions();
      p.beginTransaction();
      p.send(new ProducerRecord<>(topic, bytes("frontend->cart"),
          Fixtures.edge(MeshScenario.FRONTEND, MeshScenario.CART, MeshScenario.MESH, T0, 1_000_000, 0, 0.02).toByteArray()));
      p.flush();
      p.abortTransaction();
    }
  }

  private static SloStatusRecord sloStatus() {
    return SloStatusRecord.newBuilder().setName("cart-availability").setService("cart").setSliKind("availability")
        .setObjective(0.99).setTimeWindow("28d").setEvaluatedAtUnixMs(T0 + 10 * MINUTE).setGoodEvents(99_250)
        .setTotalEvents(100_000).setSli(0.9925).setErrorBudgetRemaining(0.25)
        .addBurnRates(SloStatusRecord.BurnRate.newBuilder().setWindow("5m").setRate(2))
        .addBurnRates(SloStatusRecord.BurnRate.newBuilder().setWindow("1h").setRate(7.5))
        .addAlerts(AlertState.newBuilder().setName("page-1h").setSeverity("page").setFiring(false).setThreshold(14.4)
            .setLongWindow("1h").setShortWindow("5m"))
        .build();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode getJson(String url) throws Exception {
    HttpResponse<String> r = get(url);
    assertThat(r.statusCode()).as(url + " -> " + r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  private static JsonNode edge(JsonNode graph, String id) {
    for (JsonNode e : graph.get("edges")) {
      if (e.get("id").asText().equals(id)) {
        return e;
      }
    }
    throw new AssertionError("no edge " + id + " in " + graph);
  }

  private static JsonNode node(JsonNode graph, String id) {
    for (JsonNode n : graph.get("nodes")) {
      if (n.get("id").asText().equals(id)) {
        return n;
      }
    }
    throw new AssertionError("no node " + id + " in " + graph);
  }

  private static JsonNode kialiEdge(JsonNode kiali, String source, String target) {
    for (JsonNode e : kiali.at("/elements/edges")) {
      if (e.at("/data/source").asText().equals(source) && e.at("/data/target").asText().equals(target)) {
        return e;
      }
    }
    throw new AssertionError("no Kiali edge " + source + " -> " + target + " in " + kiali);
  }
}
