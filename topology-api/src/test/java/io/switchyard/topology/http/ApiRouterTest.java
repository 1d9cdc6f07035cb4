package io.switchyard.topology.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchyard.serverkit.http.HttpServerKit;
import io.switchyard.testing.MutableClock;
import io.switchyard.topology.MeshScenario;
import io.switchyard.serverkit.http.HttpResponses;
import io.switchyard.topology.query.BadParameterException;
import io.switchyard.topology.query.Graph;
import io.switchyard.topology.query.GraphType;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** HTTP behaviour of the router (errors, auth, CORS, routing) over a store filled directly. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiRouterTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path dir;
  private RocksTopologyStore store;
  private HttpServerKit open;
  private HttpServerKit guarded;
  private final HttpClient client = HttpClient.newHttpClient();
  private TopologyQueries q;
  private final DecodePool decoders = new DecodePool(1);

  @BeforeAll
  void start() throws Exception {
    store = RocksTopologyStore.open(dir);
    StoreBatch b = new StoreBatch();
    MeshScenario.edges().forEach(k -> b.edge(k.key(), k.value()));
    store.write(b);
    q = new TopologyQueries(store, new MutableClock(MeshScenario.NOW), () -> 0, () -> true, decoders);
    ApiRouter.MetricsEndpoint metrics = fixedMetrics("up 1\n");
    open = HttpServerKit.builder("t", 0).host("127.0.0.1")
        .route("/", new ApiRouter(q, AccessPolicy.OPEN, metrics), false).build().start();
    AccessPolicy policy = new AccessPolicy(List.of("s3cret".getBytes(StandardCharsets.UTF_8), "other".getBytes(StandardCharsets.UTF_8)),
        Set.of("https://grafana.example"));
    // This one keeps no graph bodies: each response is encoded afresh.
    guarded = HttpServerKit.builder("t2", 0).host("127.0.0.1").route("/", new ApiRouter(q, policy, metrics, 0), false).build().start();
  }

  /** A /metrics endpoint that always answers {@code body}. */
  static ApiRouter.MetricsEndpoint fixedMetrics(String body) {
    return new ApiRouter.MetricsEndpoint() {
      @Override
      public String contentType() {
        return "text/plain; version=0.0.4";
      }

      @Override
      public byte[] scrape() {
        return body.getBytes(StandardCharsets.UTF_8);
      }
    };
  }

  @AfterAll
  void stop() {
    open.close();
    guarded.close();
    decoders.close();
    store.close();
  }

  private HttpResponse<String> get(HttpServerKit server, String pathAndQuery, String... headers) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + pathAndQuery));
    if (headers.length > 0) {
      r.headers(headers);
    }
    return client.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void streamedGraphBodyIsWhatTheMapperWritesForTheGraphAndRepeatsExactly() throws Exception {
    for (String type : List.of("service", "workload", "app")) {
      String path = "/api/v1/graph?from=now-15m&type=" + type;
      HttpResponse<String> first = get(open, path);
      HttpResponse<String> again = get(open, path);
      assertThat(first.statusCode()).isEqualTo(200);
      assertThat(first.headers().firstValue("Content-Type")).contains("application/json");
      assertThat(again.body()).as("served again from the cached graph and its bytes").isEqualTo(first.body());
      long now = q.nowMs();
      Graph g = q.graph(new TopologyQueries.GraphRequest(now - 15 * 60_000, now, null, null, null,
          GraphType.parse("type", type)));
      ObjectMapper mapper = HttpResponses.mapper();
      Map<String, Object> expected = new LinkedHashMap<>();
      expected.put("freshness", q.freshness());
      expected.put("window", g.window().view());
      expected.put("type", g.type().wireName());
      expected.put("nodes", g.nodes());
      expected.put("edges", g.edges());
      JsonNode body = mapper.readTree(first.body());
      assertThat(body).isEqualTo(mapper.readTree(mapper.writeValueAsString(expected)));
      assertThat(body.get("edges").size()).isEqualTo(4);
    }
    HttpResponse<String> head = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + open.port()
        + "/api/v1/graph")).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
  }

  @Test
  void withoutKeptBodiesTheGraphIsEncodedAgainToTheSameBytes() throws Exception {
    String path = "/api/v1/graph?from=now-15m";
    String kept = get(open, path).body();
    assertThat(get(guarded, path, "Authorization", "Bearer s3cret").body()).isEqualTo(kept);
    assertThat(get(guarded, path, "Authorization", "Bearer s3cret").body()).isEqualTo(kept);
  }

  @Test
  void kialiGraphTakesSeveralNamespacesAndKeepsEdgesWithAnEndInAnyOfThem() throws Exception {
    String base = "/api/namespaces/graph?graphType=service&duration=3600s&namespaces=";
    JsonNode pay = new ObjectMapper().readTree(get(open, base + "pay").body());
    assertThat(pay.at("/elements/edges")).hasSize(1);
    HttpResponse<String> both = get(open, base + "shop,%20pay");
    assertThat(both.statusCode()).isEqualTo(200);
    JsonNode edges = new ObjectMapper().readTree(both.body()).at("/elements/edges");
    List<String> ids = new java.util.ArrayList<>();
    edges.forEach(e -> ids.add(e.at("/data/source").asText() + " " + e.at("/data/target").asText()));
    assertThat(ids).hasSize(4);
    HttpResponse<String> empty = get(open, base + "shop,,pay");
    assertThat(empty.statusCode()).isEqualTo(400);
    assertThat(new ObjectMapper().readTree(empty.body()).get("parameter").asText()).isEqualTo("namespaces");
  }

  @Test
  void kialiGraphEchoesTheQueryTimeAndDurationAsked() throws Exception {
    JsonNode epoch = new ObjectMapper().readTree(get(open, "/api/namespaces/graph?queryTime=0&duration=600s").body());
    assertThat(epoch.get("timestamp").asLong()).isZero();
    assertThat(epoch.get("duration").asLong()).isEqualTo(600);
    JsonNode hour = new ObjectMapper().readTree(get(open, "/api/namespaces/graph?duration=1h").body());
    assertThat(hour.get("duration").asLong()).isEqualTo(3600);
    assertThat(hour.get("timestamp").asLong()).isPositive();
    assertThat(hour.at("/window/seconds").isNumber()).isTrue();
  }

  @Test
  void kialiGraphAnswersTheRequestKialisGraphPageSendsAndPutsTheChosenPercentileInResponseTime() throws Exception {
    // The query string of Kiali's graph page (v2.x), parameters in the order it sends them.
    String kiali = "/api/namespaces/graph?duration=3600s&graphType=versionedApp&includeIdleEdges=false"
        + "&injectServiceNodes=true&boxBy=cluster,namespace&ambientTraffic=none&appenders=deadNode,istio,"
        + "serviceEntry,meshCheck,workloadEntry,health&rateGrpc=requests&rateHttp=requests&rateTcp=sent"
        + "&responseTime=95&throughputType=request&waypoints=false&namespaces=shop,pay";
    HttpResponse<String> r = get(open, kiali);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(new ObjectMapper().readTree(r.body()).at("/elements/edges")).isNotEmpty();

    String base = "/api/namespaces/graph?graphType=service&duration=3600s&namespaces=shop&responseTime=";
    JsonNode p50 = firstEdgeWithLatency(get(open, base + "50"));
    JsonNode p99 = firstEdgeWithLatency(get(open, base + "99"));
    assertThat(p50.at("/data/id").asText()).isEqualTo(p99.at("/data/id").asText());
    assertThat(p99.at("/data/responseTime").asDouble()).isGreaterThan(p50.at("/data/responseTime").asDouble());
    JsonNode avg = new ObjectMapper().readTree(get(open, base + "avg").body()).at("/elements/edges");
    avg.forEach(e -> assertThat(e.at("/data/responseTime").isMissingNode()).isTrue());
    HttpResponse<String> bad = get(open, base + "90");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(new ObjectMapper().readTree(bad.body()).get("parameter").asText()).isEqualTo("responseTime");
  }

  private static JsonNode firstEdgeWithLatency(HttpResponse<String> r) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    for (JsonNode e : new ObjectMapper().readTree(r.body()).at("/elements/edges")) {
      if (!e.at("/data/responseTime").isMissingNode()) {
        return e;
      }
    }
    throw new AssertionError("no edge with a responseTime in " + r.body());
  }

  @Test
  void thePageWritesNamesFromSloFilesAsTextNeverAsMarkup() throws Exception {
    // SLO, service and alert names and severities are free text: the page must not parse them as HTML.
    assertThat(get(guarded, "/ui/app.js").body()).doesNotContain("innerHTML =").doesNotContain("insertAdjacentHTML")
        .contains("textContent");
  }

  @Test
  void thePageAndItsAssetsAreServedWithoutATokenAndUnknownAssetsAre404() throws Exception {
    HttpResponse<String> page = get(guarded, "/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
    assertThat(page.body()).contains("/ui/app.js").contains("id=\"graph\"");
    assertThat(get(guarded, "/ui/app.js").body()).contains("/api/v1/graph");
    assertThat(get(guarded, "/ui/style.css").statusCode()).isEqualTo(200);
    assertThat(get(guarded, "/ui/nothing.js").statusCode()).isEqualTo(404);
    assertThat(get(guarded, "/api/v1/graph").statusCode()).isEqualTo(401);
  }

  @Test
  void badParametersGive400NamingTheParameter() throws Exception {
    for (String[] c : new String[][] {
        {"/api/v1/graph?from=yesterday", "from"},
        {"/api/v1/graph?to=now-5q", "to"},
        {"/api/v1/graph?type=pods", "type"},
        {"/api/v1/graph?service=cart&depth=zero", "depth"},
        {"/api/v1/graph?colour=red", "colour"},
        {"/api/v1/graph?from=now&to=now-1h", "from"},
        {"/api/v1/services/cart?step=7x", "step"},
        {"/api/v1/services?step=0s", "step"},
        {"/api/v1/graph?from=now-1h&from=now-2h", "from"},
        {"/api/v1/slos?bogus=1", "bogus"},
        {"/api/namespaces/graph?queryTime=noon", "queryTime"},
        {"/api/v1/graph?from=now-99999999999999999d", "from"},
        {"/api/v1/graph?from=%2B999999999-01-01T00:00:00Z", "from"},
        {"/api/v1/services?step=99999999999999h", "step"},
        {"/api/v1/services/cart?step=99999999999999h", "step"},
        {"/api/v1/graph?service=cart&depth=99999999999", "depth"},
        {"/api/v1/graph?service=cart&depth=-99999999999", "depth"},
        {"/api/namespaces/graph?duration=99999999999999999999s", "duration"},
        {"/api/namespaces/graph?duration=0s", "duration"},
        {"/api/namespaces/graph?duration=-600s", "duration"},
        {"/api/namespaces/graph?queryTime=99999999999999999", "queryTime"},
        {"/api/namespaces/graph?queryTime=99999999999999999999999", "queryTime"},
        {"/api/namespaces/graph?queryTime=-1", "queryTime"},
        {"/api/namespaces/graph?queryTime=1764190000000", "queryTime"},
        {"/api/v1/graph?service=%C3%28", "service"},
        {"/api/v1/graph?%FF=1", "query string"},
        {"/api/v1/services/%C3%28", "name"},
        {"/api/v1/slos/%FF", "name"},
        // A namespace list with an empty name is refused, as Kiali's namespaces is: "," used to read as every namespace.
        {"/api/v1/graph?namespace=,", "namespace"},
        {"/api/v1/graph?namespace=shop,,pay", "namespace"},
        {"/api/graph/data?namespace=shop,", "namespace"},
        {"/api/v1/services?namespace=%20,pay", "namespace"},
        {"/api/v1/services/cart?namespace=,", "namespace"},
    }) {
      HttpResponse<String> r = get(open, c[0]);
      assertThat(r.statusCode()).as(c[0]).isEqualTo(400);
      JsonNode body = JSON.readTree(r.body());
      assertThat(body.get("parameter").asText()).as(c[0]).isEqualTo(c[1]);
      assertThat(body.get("error").asText()).as(c[0]).contains("'" + c[1] + "'");
    }
  }

  @Test
  void aMalformedEscapeIsRefusedByTheJdkServerBeforeTheRouterSeesIt() throws Exception {
    // java.net.URI refuses "%zz" and so does the JDK's server, with its own text/html 400: no handler or filter
    // runs. Recorded here so that a server able to answer JSON for it changes this test knowingly.
    // The exact answer is what docs/topology-api.md shows.
    for (String path : new String[] {"/api/v1/graph?from=%zz", "/api/v1/graph?from=%7", "/api/v1/graph?from=a|b",
        "/api/v1/services/%zz"}) {
      try (java.net.Socket c = new java.net.Socket("127.0.0.1", open.port())) {
        c.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        assertThat(new String(c.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).as(path)
            .isEqualTo("HTTP/1.1 400 Bad Request\r\nContent-Length: 49\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n"
                + "<h1>400 Bad Request</h1>URISyntaxException thrown");
      }
    }
  }

  @Test
  void kialiQueryTimeIsUnixSecondsUpToYear9999() {
    assertThat(ApiRouter.parseKialiTime("0")).isZero();
    assertThat(ApiRouter.parseKialiTime(" 1764190000 ")).isEqualTo(1_764_190_000_000L);
    assertThat(ApiRouter.parseKialiTime("253402300799")).isEqualTo(253_402_300_799_000L);
    for (String v : new String[] {"253402300800", "9223372036854775807", "9223372036854775808", "-5", "1.5", "", "1e9"}) {
      assertThatThrownBy(() -> ApiRouter.parseKialiTime(v)).as(v)
          .isInstanceOf(BadParameterException.class)
          .hasFieldOrPropertyWithValue("parameter", "queryTime");
    }
  }

  @Test
  void anEndpointWithoutParametersSaysSo() throws Exception {
    assertThat(JSON.readTree(get(open, "/api/v1/slos?bogus=1").body()).get("error").asText())
        .contains("this endpoint takes no parameters");
  }

  @Test
  void nodeGraphFieldsTakeTheQueryStringTheNodeGraphApiPluginSendsToFieldsAndDataAlike() throws Exception {
    // The Node Graph API data source appends its one query string to both /api/graph/fields and /api/graph/data.
    String query = "?from=now-1h&namespace=shop&type=workload";
    HttpResponse<String> fields = get(open, "/api/graph/fields" + query);
    assertThat(fields.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(fields.body()).has("nodes_fields")).isTrue();
    assertThat(get(open, "/api/graph/data" + query).statusCode()).isEqualTo(200);
  }

  @Test
  void beforeTheFirstWindowTheFreshnessHeadersAreLeftOut(@org.junit.jupiter.api.io.TempDir java.nio.file.Path emptyDir)
      throws Exception {
    try (RocksTopologyStore empty = RocksTopologyStore.open(emptyDir)) {
      TopologyQueries none = new TopologyQueries(empty, new MutableClock(MeshScenario.NOW), () -> 0, () -> true, decoders);
      HttpServerKit server = HttpServerKit.builder("t3", 0).host("127.0.0.1")
          .route("/", new ApiRouter(none, AccessPolicy.OPEN, null), false).build().start();
      try {
        HttpResponse<String> r = get(server, "/api/v1/graph");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(r.body()).at("/freshness/newestCompleteWindow").isNull()).isTrue();
        assertThat(r.headers().firstValue("X-Switchyard-Newest-Window")).isEmpty();
        assertThat(r.headers().firstValue("X-Switchyard-Pipeline-Lag-Seconds")).isEmpty();
      } finally {
        server.close();
      }
    }
  }

  @Test
  void everyDataResponseSaysHowFreshItIs() throws Exception {
    HttpResponse<String> r = get(open, "/api/v1/graph?from=now-15m");
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode f = JSON.readTree(r.body()).get("freshness");
    assertThat(f.get("newestCompleteWindow").asText()).isEqualTo("2026-11-25T20:10:00Z");
    assertThat(f.get("pipelineLagSeconds").asDouble()).isEqualTo(30.0);
    assertThat(r.headers().firstValue("X-Switchyard-Newest-Window")).hasValue("2026-11-25T20:10:00Z");
    assertThat(JSON.readTree(get(open, "/api/v1/slos").body()).has("freshness")).isTrue();
    assertThat(JSON.readTree(get(open, "/api/graph/data").body()).has("freshness")).isTrue();
    HttpResponse<String> health = get(open, "/api/health");
    assertThat(health.headers().firstValue("X-Switchyard-Newest-Window")).hasValue("2026-11-25T20:10:00Z");
    assertThat(JSON.readTree(health.body()).get("freshness").get("pipelineLagSeconds").asDouble()).isEqualTo(30.0);
  }

  @Test
  void unknownPathsAndMethodsGetJsonErrors() throws Exception {
    HttpResponse<String> r = get(open, "/api/v2/nothing");
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(r.body()).get("error").asText()).contains("/api/v2/nothing");
    HttpResponse<String> post = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + open.port() + "/api/v1/graph"))
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(get(open, "/api/v1/services/unknown-svc").statusCode()).isEqualTo(404);
    assertThat(get(open, "/api/v1/slos/unknown-slo").statusCode()).isEqualTo(404);
  }

  private HttpResponse<String> send(HttpServerKit server, String method, String path, String... headers) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .method(method, method.equals("OPTIONS") ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString("{}"));
    if (headers.length > 0) {
      r.headers(headers);
    }
    return client.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void anUnknownPathIs404WithAJsonErrorWhateverTheMethod() throws Exception {
    for (String method : List.of("POST", "PUT", "DELETE", "PATCH", "OPTIONS")) {
      for (String path : List.of("/api/v2/nothing", "/api/v1/graphs", "/api/v1/services/a/b", "/ui/nothing.js", "/favicon.ico")) {
        HttpResponse<String> r = send(open, method, path);
        assertThat(r.statusCode()).as(method + " " + path).isEqualTo(404);
        assertThat(r.headers().firstValue("Content-Type")).as(method + " " + path).hasValueSatisfying(t -> assertThat(t).contains("json"));
        assertThat(JSON.readTree(r.body()).get("error").asText()).as(method + " " + path).contains(path);
        assertThat(r.headers().firstValue("Allow")).as(method + " " + path).isEmpty();
      }
    }
    // A guarded server answers a wrong method on an unknown path as it answers GET there: the token first.
    assertThat(send(guarded, "POST", "/api/v2/nothing").statusCode()).isEqualTo(401);
    assertThat(get(guarded, "/api/v2/nothing").statusCode()).isEqualTo(401);
    assertThat(send(guarded, "POST", "/api/v2/nothing", "Authorization", "Bearer s3cret").statusCode()).isEqualTo(404);
    assertThat(send(guarded, "POST", "/ui/nothing.js").statusCode()).isEqualTo(404);
  }

  @Test
  void aKnownPathWithAnotherMethodIs405WithAnAllowHeader() throws Exception {
    for (String method : List.of("POST", "PUT", "DELETE", "PATCH")) {
      for (String path : List.of("/api/v1/graph", "/api/v1/services", "/api/v1/services/cart", "/api/v1/slos",
          "/api/v1/slos/checkout", "/api/v1/openapi.json", "/api/namespaces/graph", "/api/graph/fields", "/api/graph/data",
          "/api/health", "/metrics", "/", "/index.html", "/ui/app.js")) {
        HttpResponse<String> r = send(guarded, method, path);
        assertThat(r.statusCode()).as(method + " " + path).isEqualTo(405);
        assertThat(r.headers().firstValue("Allow")).as(method + " " + path).hasValue("GET, HEAD, OPTIONS");
        assertThat(JSON.readTree(r.body()).get("error").asText()).as(method + " " + path).contains(method);
      }
    }
    HttpResponse<String> preflight = send(open, "OPTIONS", "/api/v1/services/cart");
    assertThat(preflight.statusCode()).isEqualTo(204);
    assertThat(preflight.headers().firstValue("Allow")).hasValue("GET, HEAD, OPTIONS");
  }

  @Test
  void unixSecondsInARangeMeanSecondsAndGrafanasMillisecondsStillWork() throws Exception {
    String rfc3339 = "from=2026-11-25T20:00:00Z&to=2026-11-25T20:05:00Z";
    long from = Instant.parse("2026-11-25T20:00:00Z").getEpochSecond();
    long to = from + 300;
    for (String route : List.of("/api/v1/graph?", "/api/graph/data?", "/api/v1/services?")) {
      JsonNode expected = JSON.readTree(get(open, route + rfc3339).body());
      if (!route.startsWith("/api/graph/")) { // the Node Graph API's body has no window
        assertThat(expected.at("/window/seconds").asDouble()).as(route).isEqualTo(300.0);
      }
      for (String range : List.of("from=" + from + "&to=" + to, "from=" + from + ".0004&to=" + to + ".0",
          "from=" + from * 1000 + "&to=" + to * 1000)) {
        HttpResponse<String> r = get(open, route + range);
        assertThat(r.statusCode()).as(route + range).isEqualTo(200);
        assertThat(JSON.readTree(r.body())).as(route + range).isEqualTo(expected);
      }
    }
    HttpResponse<String> fractionalMillis = get(open, "/api/v1/graph?from=" + from * 1000 + ".5");
    assertThat(fractionalMillis.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(fractionalMillis.body()).get("parameter").asText()).isEqualTo("from");
  }

  @Test
  void tokensFromTheFileAreAcceptedOthersRefused() throws Exception {
    assertThat(get(guarded, "/api/v1/graph").statusCode()).isEqualTo(401);
    assertThat(get(guarded, "/metrics", "Authorization", "Bearer wrong").statusCode()).isEqualTo(401);
    assertThat(get(guarded, "/api/v1/graph", "Authorization", "Bearer s3cret").statusCode()).isEqualTo(200);
    assertThat(get(guarded, "/metrics", "Authorization", "Bearer other").statusCode()).isEqualTo(200);
    // The Node Graph data source's health check carries no data and needs no token.
    assertThat(get(guarded, "/api/health").statusCode()).isEqualTo(200);
  }

  @Test
  void corsHeadersOnlyForConfiguredOrigins() throws Exception {
    HttpResponse<String> allowed = get(guarded, "/api/v1/graph", "Origin", "https://grafana.example", "Authorization", "Bearer s3cret");
    assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://grafana.example");
    HttpResponse<String> other = get(guarded, "/api/v1/graph", "Origin", "https://evil.example", "Authorization", "Bearer s3cret");
    assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    HttpResponse<String> preflight = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + guarded.port() + "/api/v1/graph"))
        .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "https://grafana.example")
        .header("Access-Control-Request-Method", "GET").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(preflight.statusCode()).isEqualTo(204);
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Headers")).hasValueSatisfying(v -> assertThat(v).contains("Authorization"));
  }

  @Test
  void openApiDocumentIsOpenApi3AndListsEveryRoute() throws Exception {
    HttpResponse<String> r = get(open, "/api/v1/openapi.json");
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode doc = JSON.readTree(r.body());
    assertThat(doc.get("openapi").asText()).startsWith("3.");
    assertThat(doc.get("paths").fieldNames()).toIterable().contains("/api/v1/graph", "/api/v1/services", "/api/v1/services/{name}",
        "/api/v1/slos", "/api/v1/slos/{name}", "/api/namespaces/graph", "/api/graph/fields", "/api/graph/data",
        "/api/health", "/metrics", "/api/v1/openapi.json");
    // Every $ref resolves inside the document.
    List<String> refs = new java.util.ArrayList<>();
    collectRefs(doc, refs);
    assertThat(refs).isNotEmpty().allSatisfy(ref ->
        assertThat(doc.at(ref.substring(1)).isMissingNode()).as(ref).isFalse());
  }

  @Test
  void everyRouteThatATokensFileGuardsDocumentsItsUnauthorizedAnswer() throws Exception {
    JsonNode doc = JSON.readTree(get(open, "/api/v1/openapi.json").body());
    doc.get("paths").fields().forEachRemaining(e -> {
      String path = e.getKey().replace("{name}", "checkout");
      try {
        int status = get(guarded, path).statusCode();
        // The document used to leave out the 401 its own route answers on a guarded server.
        assertThat(e.getValue().at("/get/responses").has("401")).as(e.getKey() + " answers " + status).isEqualTo(status == 401);
      } catch (Exception ex) {
        throw new AssertionError(ex);
      }
    });
  }

  private static void collectRefs(JsonNode n, List<String> out) {
    if (n.isObject()) {
      n.fields().forEachRemaining(e -> {
        if (e.getKey().equals("$ref")) {
          out.add(e.getValue().asText());
        } else {
          collectRefs(e.getValue(), out);
        }
      });
    } else if (n.isArray()) {
      n.forEach(c -> collectRefs(c, out));
    }
  }
}
