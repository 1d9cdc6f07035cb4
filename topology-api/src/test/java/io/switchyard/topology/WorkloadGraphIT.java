package io.switchyard.topology;

import static io.switchyard.topology.Fixtures.MINUTE;
import static io.switchyard.topology.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.TextFormat;
import io.switchyard.model.Topics;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.TelemetrySource;
import io.switchyard.testing.MutableClock;
import io.switchyard.testing.SharedKafka;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Istio bookinfo's productpage calling reviews v1, v2 and v3: the edge windows the Flink job makes of it
 * ({@code fixtures/bookinfo-edges.txt}, which flink-jobs' {@code BookinfoWorkloadsFixtureTest} checks its functions
 * still produce) go through the real edges topic into the store. A workload graph shows each reviews pod with its
 * own counts, a service graph the hop's total. Records of the previous build (one merged record per hop and minute,
 * no per-workload entries) are published first: the one of a minute the new build re-emits is replaced, never
 * added; the one of a minute only it wrote counts once, under the service's name.
 */
class WorkloadGraphIT {
  @RegisterExtension static final SharedKafka kafka = new SharedKafka();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String RANGE = "from=2026-11-25T20:00:00Z&to=2026-11-25T20:03:00Z";

  @TempDir Path dataDir;
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void aWorkloadGraphShowsEachReviewsVersionWithItsOwnCountsAndAServiceGraphTheirSum() throws Exception {
    String prefix = kafka.uniquePrefix();
    kafka.createTopics(prefix);
    String edges = Topics.EDGES.withPrefix(prefix).name();
    NodeRef productpage = NodeRef.newBuilder().setName("productpage-v1").setNamespace("bookinfo").setWorkload("productpage-v1").build();
    NodeRef reviews = NodeRef.newBuilder().setName("reviews").setNamespace("bookinfo").build();
    String hop = "productpage-v1.bookinfo->reviews.bookinfo";
    try (KafkaProducer<byte[], byte[]> p = kafka.producer()) {
      // The previous build: minute 0 as one merged record (replaced below by the new build's re-emit), minute 2 only here.
      p.send(new ProducerRecord<>(edges, bytes(hop), Fixtures.edge(productpage, reviews, TelemetrySource.TELEMETRY_SOURCE_MESH, T0, 4, 1, 0.25)
          .toByteArray()));
      p.send(new ProducerRecord<>(edges, bytes(hop), Fixtures.edge(productpage, reviews, TelemetrySource.TELEMETRY_SOURCE_MESH, T0 + 2 * MINUTE,
          5, 0, 0.25).toByteArray()));
      for (String line : fixture().split("\n")) {
        String[] keyAndRecord = line.split("\t", 2);
        EdgeAggregate.Builder a = EdgeAggregate.newBuilder();
        TextFormat.merge(keyAndRecord[1], a);
        p.send(new ProducerRecord<>(edges, bytes(keyAndRecord[0]), a.build().toByteArray()));
      }
      p.flush();
    }

    MutableClock clock = new MutableClock(Instant.ofEpochMilli(T0 + 4 * MINUTE));
    TopologyApiOptions options = TopologyApiOptions.defaults(dataDir, kafka.bootstrapServers(), prefix).withPort(0).withHost("127.0.0.1");
    try (TopologyApiServer server = new TopologyApiServer(options, clock, null).start()) {
      await().atMost(Duration.ofSeconds(60)).until(server::caughtUp);
      String base = "http://127.0.0.1:" + server.port();

      Map<String, JsonNode> workloads = edges(getJson(base + "/api/v1/graph?type=workload&" + RANGE));
      assertThat(workloads).containsOnlyKeys("bookinfo/productpage-v1->bookinfo/reviews-v1",
          "bookinfo/productpage-v1->bookinfo/reviews-v2", "bookinfo/productpage-v1->bookinfo/reviews-v3",
          "bookinfo/productpage-v1->bookinfo/reviews", "bookinfo/reviews-v2->bookinfo/ratings-v1");
      // Minute 0 was logged and traced: the access-log figures of the hop, for each of its workloads; the trace's 2
      // requests to reviews-v1 are not added (its records name no version, so a per-workload choice would add them).
      assertThat(requests(workloads, "reviews-v1")).isEqualTo(2.0);
      assertThat(workloads.get("bookinfo/productpage-v1->bookinfo/reviews-v1").get("telemetry").asText()).isEqualTo("mesh");
      // Minute 1 traced only: 2 (one span sampled at 1/2) and 1 more.
      assertThat(requests(workloads, "reviews-v2")).isEqualTo(1.0 + 2.0);
      assertThat(workloads.get("bookinfo/productpage-v1->bookinfo/reviews-v2").get("telemetry").asText()).isEqualTo("mesh+trace");
      assertThat(requests(workloads, "reviews-v3")).isEqualTo(1.0 + 1.0);
      assertThat(workloads.get("bookinfo/productpage-v1->bookinfo/reviews-v3").get("failed").asDouble()).isEqualTo(1.0);
      assertThat(workloads.get("bookinfo/productpage-v1->bookinfo/reviews-v3").at("/responseFlags/UF").asDouble()).isEqualTo(1.0);
      // Minute 2, written by the previous build only: its merged record, under the service's name.
      assertThat(requests(workloads, "reviews")).isEqualTo(5.0);
      // Exact codes come from the access-logged minute 0 only, per workload and summed for the service.
      assertThat(workloads.get("bookinfo/productpage-v1->bookinfo/reviews-v1").get("responseCodes").toString())
          .isEqualTo("{\"200\":2.0}");
      assertThat(workloads.get("bookinfo/productpage-v1->bookinfo/reviews-v3").get("responseCodes").toString())
          .isEqualTo("{\"503\":1.0}");
      assertThat(workloads.get("bookinfo/productpage-v1->bookinfo/reviews").has("responseCodes")).isFalse();

      Map<String, JsonNode> services = edges(getJson(base + "/api/v1/graph?type=service&" + RANGE));
      assertThat(services.get("bookinfo/productpage-v1->bookinfo/reviews").get("requests").asDouble()).isEqualTo(4 + 3 + 5);
      assertThat(services.get("bookinfo/reviews-v2->bookinfo/ratings").get("requests").asDouble()).isEqualTo(1.0);
      assertThat(services.get("bookinfo/productpage-v1->bookinfo/reviews").get("responseCodes").toString())
          .isEqualTo("{\"200\":3.0,\"503\":1.0}");
      assertThat(services.get("bookinfo/reviews-v2->bookinfo/ratings").get("responseCodes").toString())
          .isEqualTo("{\"200\":1.0}");
      // The counter is the hop's access-log total since the start (a hop with access logs exports those): the new
      // minute 0 (4, replacing the previous build's 4) and the previous build's minute 2 (5).
      assertThat(get(base + "/metrics").body())
          .contains("traces_service_graph_request_total{client=\"productpage-v1\",client_service_namespace=\"bookinfo\",connection_type=\"\",server=\"reviews\",server_service_namespace=\"bookinfo\"} 9.0");

      // Versioned apps: v1 2, v2 1, v3 1 (minute 0, logged with versions); the traced minute names no version, so its
      // 3 requests and the previous build's 5 show under the app alone.
      Map<String, Double> reviewsIn = new HashMap<>();
      for (JsonNode n : getJson(base + "/api/v1/graph?type=versionedApp&" + RANGE).get("nodes")) {
        if (n.get("service").asText().equals("reviews")) {
          reviewsIn.put(n.get("id").asText(), n.get("requestsIn").asDouble());
        }
      }
      assertThat(reviewsIn).containsOnly(Map.entry("bookinfo/reviews@v1", 2.0), Map.entry("bookinfo/reviews@v2", 1.0),
          Map.entry("bookinfo/reviews@v3", 1.0), Map.entry("bookinfo/reviews", 8.0));
      // Kiali's versioned-app graph names the same nodes.
      JsonNode kiali = getJson(base + "/api/namespaces/graph?graphType=versionedApp&duration=180s&queryTime="
          + (T0 + 3 * MINUTE) / 1000);
      assertThat(kiali.at("/elements/nodes").findValuesAsText("id")).contains("bookinfo/reviews@v1", "bookinfo/reviews@v2",
          "bookinfo/reviews@v3");
    }
  }

  private static double requests(Map<String, JsonNode> edges, String reviewsNode) {
    return edges.get("bookinfo/productpage-v1->bookinfo/" + reviewsNode).get("requests").asDouble();
  }

  private static Map<String, JsonNode> edges(JsonNode graph) {
    Map<String, JsonNode> byId = new HashMap<>();
    graph.get("edges").forEach(e -> byId.put(e.get("id").asText(), e));
    return byId;
  }

  private static String fixture() throws Exception {
    try (InputStream in = WorkloadGraphIT.class.getClassLoader().getResourceAsStream("fixtures/bookinfo-edges.txt")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode getJson(String url) throws Exception {
    HttpResponse<String> r = get(url);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }
}
