package io.switchyard.topology.http;

import static io.switchyard.topology.Fixtures.MINUTE;
import static io.switchyard.topology.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchyard.model.v1.TelemetrySource;
import io.switchyard.serverkit.http.HttpServerKit;
import io.switchyard.testing.MutableClock;
import io.switchyard.topology.Fixtures;
import io.switchyard.topology.query.DecodePool;
import io.switchyard.topology.query.TopologyQueries;
import io.switchyard.topology.store.RocksTopologyStore;
import io.switchyard.topology.store.StoreBatch;
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
 * The services list over HTTP: with a step it is sized before it is built (too many points is a 400, not an exhausted
 * heap); namespace lists; items as the OpenAPI document describes them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServicesListHttpTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int SERVICES = 10;
  /** Stored range: 11,000 minutes, the most one series may hold by the minute. */
  private static final long SPAN_MINUTES = 11_000;
  @TempDir static Path dir;
  private RocksTopologyStore store;
  private HttpServerKit server;
  private final DecodePool decoders = new DecodePool(1);
  private final HttpClient client = HttpClient.newHttpClient();

  @BeforeAll
  void start() throws Exception {
    store = RocksTopologyStore.open(dir);
    StoreBatch b = new StoreBatch();
    // Each service has its first and its last minute: the range, not the stored minutes, sets the points.
    for (int i = 0; i < SERVICES; i++) {
      for (long start : new long[] {T0, T0 + (SPAN_MINUTES - 1) * MINUTE}) {
        b.service("svc" + i, Fixtures.serviceWindow(Fixtures.service("svc" + i, "ns" + (i % 2)),
            TelemetrySource.TELEMETRY_SOURCE_MESH, start, 60, 0, 0.01));
      }
    }
    store.write(b);
    TopologyQueries q = new TopologyQueries(store, new MutableClock(Instant.ofEpochMilli(T0 + SPAN_MINUTES * MINUTE + 30_000)),
        () -> 0, () -> true, decoders);
    server = HttpServerKit.builder("t", 0).host("127.0.0.1")
        .route("/", new ApiRouter(q, AccessPolicy.OPEN, ApiRouterTest.fixedMetrics("")), false).build().start();
  }

  @AfterAll
  void stop() {
    server.close();
    decoders.close();
    store.close();
  }

  private HttpResponse<String> get(String pathAndQuery) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + pathAndQuery)).build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  @Test
  void overTheBudgetIsA400NamingStepWithTheCountAndTheLimit() throws Exception {
    // 11,000 points for each of 10 services: 110,000 > 100,000.
    HttpResponse<String> r = get("/api/v1/services?from=0&step=1m");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).contains("json"));
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.get("parameter").asText()).isEqualTo("step");
    assertThat(body.get("error").asText())
        .contains("11000 points for each of 10 services = 110000 points")
        .contains("at most " + TopologyQueries.MAX_RESPONSE_POINTS)
        .contains("step=120s or more");
  }

  @Test
  void withinTheBudgetEveryServiceGetsItsWholeSeries() throws Exception {
    HttpResponse<String> r = get("/api/v1/services?from=0&step=2m");
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode services = JSON.readTree(r.body()).get("services");
    assertThat(services).hasSize(SERVICES);
    for (JsonNode s : services) {
      assertThat(s.get("series")).hasSize((int) (SPAN_MINUTES / 2));
      assertThat(s.get("series").get(0).get("requests").asDouble()).isEqualTo(60.0);
    }
  }

  @Test
  void oneNamespaceHalvesTheSeriesSoTheSameStepFits() throws Exception {
    HttpResponse<String> r = get("/api/v1/services?from=0&step=1m&namespace=ns0");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(r.body()).get("services")).hasSize(SERVICES / 2);
  }

  @Test
  void severalNamespacesSeparatedByCommasAreTakenAsTheGraphTakesThem() throws Exception {
    assertThat(JSON.readTree(get("/api/v1/services?from=0&namespace=ns0,ns1").body()).get("services")).hasSize(SERVICES);
    assertThat(JSON.readTree(get("/api/v1/services?from=0&namespace=ns1,%20nope").body()).get("services"))
        .hasSize(SERVICES / 2);
    assertThat(JSON.readTree(get("/api/v1/services/svc1?from=0&namespace=ns0,ns1").body()).at("/service/requests").asDouble())
        .isEqualTo(120.0);
  }

  @Test
  void itemsHaveExactlyThePropertiesTheirOpenApiSchemaRequires() throws Exception {
    JsonNode schemas = JSON.readTree(get("/api/v1/openapi.json").body()).at("/components/schemas");
    JsonNode summary = JSON.readTree(get("/api/v1/services?from=0").body()).at("/services/0");
    JsonNode withSeries = JSON.readTree(get("/api/v1/services?from=0&step=1h").body()).at("/services/0");
    // Without required properties and additionalProperties false, a {service, series} item also matches
    // ServiceSummary and the oneOf matches twice.
    assertMatchesExactly(schemas.get("ServiceSummary"), summary);
    assertMatchesExactly(schemas.get("ServiceSummary"), withSeries.get("service"));
    assertMatchesExactly(schemas.get("ServiceWithSeries"), withSeries);
  }

  private static void assertMatchesExactly(JsonNode schema, JsonNode item) {
    List<String> fields = new ArrayList<>();
    item.fieldNames().forEachRemaining(fields::add);
    List<String> required = new ArrayList<>();
    schema.get("required").forEach(r -> required.add(r.asText()));
    List<String> properties = new ArrayList<>();
    schema.get("properties").fieldNames().forEachRemaining(properties::add);
    assertThat(schema.get("additionalProperties").asBoolean(true)).isFalse();
    assertThat(required).containsExactlyInAnyOrderElementsOf(fields);
    assertThat(properties).containsExactlyInAnyOrderElementsOf(fields);
  }
}
