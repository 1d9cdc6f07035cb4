package io.switchyard.topology.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchyard.model.v1.AlertState;
import io.switchyard.model.v1.CodeCount;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.SloAlertRecord;
import io.switchyard.model.v1.SloStatusRecord;
import io.switchyard.serverkit.http.HttpServerKit;
import io.switchyard.testing.MutableClock;
import io.switchyard.topology.Fixtures;
import io.switchyard.topology.MeshScenario;
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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every JSON answer the served OpenAPI file declares (each path and status code) is produced by a real request
 * on a filled store, and its body is validated against the schema of that same served file.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenApiContractTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "s3cret";
  @TempDir static Path dir;
  /** Closed in reverse order: the servers before the decoders and the store they read. */
  private final Deque<AutoCloseable> opened = new ArrayDeque<>();
  private HttpServerKit open;
  private HttpServerKit guarded;
  private final HttpClient client = HttpClient.newHttpClient();

  @BeforeAll
  void start() throws Exception {
    RocksTopologyStore store = RocksTopologyStore.open(dir);
    opened.push(store);
    DecodePool decoders = new DecodePool(1);
    opened.push(decoders::close);
    StoreBatch b = new StoreBatch();
    MeshScenario.edges().forEach(k -> b.edge(k.key(), k.value()));
    MeshScenario.services().forEach(k -> b.service(k.key(), k.value()));
    // Exact codes into ledger and TCP bytes into redis: the service detail's responseCodes and bytes.
    NodeRef ledger = Fixtures.service("ledger", "shop");
    NodeRef redis = Fixtures.service("redis", "shop");
    for (int m = 0; m < 10; m++) {
      long start = Fixtures.T0 + m * Fixtures.MINUTE;
      b.edge("cart->ledger", Fixtures.edge(MeshScenario.CART, ledger, MeshScenario.MESH, start, 10, 1, 0.01).toBuilder()
          .addResponseCodes(CodeCount.newBuilder().setCode("200").setCount(9))
          .addResponseCodes(CodeCount.newBuilder().setCode("503").setCount(1)).build());
      b.edge("cart->redis", Fixtures.edge(MeshScenario.CART, redis, MeshScenario.MESH, start, 2, 0, 0.001).toBuilder()
          .setProtocol("tcp").clearResponses().setSentBytes(500).setReceivedBytes(50).build());
      b.service("ledger", Fixtures.serviceWindow(ledger, MeshScenario.MESH, start, 10, 1, 0.01));
      b.service("redis", Fixtures.serviceWindow(redis, MeshScenario.MESH, start, 2, 0, 0.001));
    }
    long evaluated = MeshScenario.NOW.toEpochMilli() - 60_000;
    b.sloStatus("cart-availability", SloStatusRecord.newBuilder().setName("cart-availability").setService("cart")
        .setSliKind("availability").setObjective(0.99).setTimeWindow("28d").setEvaluatedAtUnixMs(evaluated)
        .setGoodEvents(99_250).setTotalEvents(100_000).setSli(0.9925).setErrorBudgetRemaining(0.25)
        .addBurnRates(SloStatusRecord.BurnRate.newBuilder().setWindow("5m").setRate(2))
        .addAlerts(AlertState.newBuilder().setName("page-1h").setSeverity("page").setFiring(true).setThreshold(14.4)
            .setLongWindow("1h").setShortWindow("5m"))
        .build());
    // A Timeslices SLO: 59 of 60 one-minute slices met the target, beside 79 good of 100 events.
    b.sloStatus("cart-slices", SloStatusRecord.newBuilder().setName("cart-slices").setService("cart")
        .setSliKind("availability").setObjective(0.9).setTimeWindow("1h").setEvaluatedAtUnixMs(evaluated)
        .setGoodEvents(79).setTotalEvents(100).setBudgetingMethod("Timeslices").setGoodSlices(59).setTotalSlices(60)
        .setTimeSliceWindow("1m").setSli(59.0 / 60).setErrorBudgetRemaining(5.0 / 6).build());
    // A RatioTimeslices SLO: 60 slices whose ratios sum to 58.5, with an OpenSLO AlertPolicy waiting out its alertAfter.
    b.sloStatus("cart-ratio", SloStatusRecord.newBuilder().setName("cart-ratio").setService("cart")
        .setSliKind("availability").setObjective(0.9).setTimeWindow("1h").setEvaluatedAtUnixMs(evaluated)
        .setGoodEvents(79).setTotalEvents(100).setBudgetingMethod("RatioTimeslices").setGoodSlices(58.5).setTotalSlices(60)
        .setTimeSliceWindow("1m").setSli(58.5 / 60).setErrorBudgetRemaining(0.75)
        .addAlerts(AlertState.newBuilder().setName("cart-fast-burn").setSeverity("sev1").setFiring(false).setThreshold(14.4)
            .setLongWindow("15m").setShortWindow("15m").setOp("gte").setAlertAfter("5m").setPendingSinceUnixMs(evaluated - 120_000)
            .setAlertWhenResolved(true).addNotificationTargets("oncall").addNotificationTargets("chat"))
        .addAlerts(AlertState.newBuilder().setName("cart-quiet").setSeverity("ticket").setFiring(true).setThreshold(1)
            .setLongWindow("30m").setShortWindow("30m").setOp("gt").setAlertAfter("0s").setSinceUnixMs(evaluated - 60_000)
            .setAlertWhenNoData(true).setNoDataOnly(true).addNotificationTargets("oncall"))
        .build());
    // A calendar SLO: the month so far.
    b.sloStatus("cart-monthly", SloStatusRecord.newBuilder().setName("cart-monthly").setService("cart")
        .setSliKind("availability").setObjective(0.999).setTimeWindow("1M").setEvaluatedAtUnixMs(evaluated)
        .setPeriodStartUnixMs(java.time.Instant.parse("2026-11-01T00:00:00Z").toEpochMilli())
        .setPeriodEndUnixMs(java.time.Instant.parse("2026-12-01T00:00:00Z").toEpochMilli())
        .setGoodEvents(9_995).setTotalEvents(10_000).setSli(0.9995).setErrorBudgetRemaining(0.5).build());
    b.sloAlert(SloAlertRecord.newBuilder().setSlo("cart-availability").setTransitionUnixMs(evaluated)
        .setLongBurnRate(20).setShortBurnRate(30)
        .setAlert(AlertState.newBuilder().setName("page-1h").setSeverity("page").setFiring(true)).build());
    store.write(b);
    TopologyQueries q = new TopologyQueries(store, new MutableClock(MeshScenario.NOW), () -> 0, () -> true, decoders);
    ApiRouter.MetricsEndpoint metrics = ApiRouterTest.fixedMetrics("up 1\n");
    open = HttpServerKit.builder("open", 0).host("127.0.0.1")
        .route("/", new ApiRouter(q, AccessPolicy.OPEN, metrics), false).build().start();
    opened.push(open::close);
    AccessPolicy policy = new AccessPolicy(List.of(TOKEN.getBytes(StandardCharsets.UTF_8)), Set.of());
    guarded = HttpServerKit.builder("guarded", 0).host("127.0.0.1")
        .route("/", new ApiRouter(q, policy, metrics), false).build().start();
    opened.push(guarded::close);
  }

  @AfterAll
  void stop() throws Exception {
    while (!opened.isEmpty()) {
      opened.pop().close();
    }
  }

  /** Per OpenAPI path, the requests that must answer each declared status code. */
  private static Map<String, Map<String, List<String>>> requests() {
    String kialiTime = Long.toString(MeshScenario.NOW.getEpochSecond());
    Map<String, Map<String, List<String>>> r = new LinkedHashMap<>();
    r.put("/api/v1/graph", Map.of(
        "200", List.of("/api/v1/graph?from=now-15m", "/api/v1/graph?from=now-15m&type=workload",
            "/api/v1/graph?from=now-15m&type=versionedApp", "/api/v1/graph?from=now-15m&service=cart&depth=2"),
        "400", List.of("/api/v1/graph?depth=0", "/api/v1/graph?from=now-99999999999999999d")));
    r.put("/api/v1/services", Map.of(
        "200", List.of("/api/v1/services?from=now-15m", "/api/v1/services?from=now-15m&step=1m",
            "/api/v1/services?from=now-15m&namespace=shop,pay"),
        "400", List.of("/api/v1/services?step=0s")));
    r.put("/api/v1/services/{name}", Map.of(
        "200", List.of("/api/v1/services/cart?from=now-15m", "/api/v1/services/cart?from=now-15m&step=1m&namespace=shop",
            "/api/v1/services/ledger?from=now-15m", "/api/v1/services/redis?from=now-15m"),
        "400", List.of("/api/v1/services/cart?step=99999999999999h"),
        "404", List.of("/api/v1/services/no-such-service")));
    r.put("/api/v1/slos", Map.of(
        "200", List.of("/api/v1/slos"),
        "400", List.of("/api/v1/slos?bogus=1")));
    r.put("/api/v1/slos/{name}", Map.of(
        "200", List.of("/api/v1/slos/cart-availability", "/api/v1/slos/cart-slices", "/api/v1/slos/cart-monthly"),
        "400", List.of("/api/v1/slos/cart-availability?bogus=1"),
        "404", List.of("/api/v1/slos/no-such-slo")));
    r.put("/api/namespaces/graph", Map.of(
        "200", List.of("/api/namespaces/graph?namespaces=shop,pay&queryTime=" + kialiTime + "&duration=600s",
            "/api/namespaces/graph?namespaces=shop&graphType=versionedApp&queryTime=" + kialiTime + "&duration=600s"),
        "400", List.of("/api/namespaces/graph?queryTime=99999999999999999999")));
    r.put("/api/graph/fields", Map.of("200", List.of("/api/graph/fields")));
    r.put("/api/graph/data", Map.of(
        "200", List.of("/api/graph/data?from=now-15m", "/api/graph/data?from=now-15m&type=app"),
        "400", List.of("/api/graph/data?type=pods")));
    r.put("/api/health", Map.of("200", List.of("/api/health")));
    r.put("/api/v1/openapi.json", Map.of("200", List.of("/api/v1/openapi.json")));
    return r;
  }

  @Test
  void everyDeclaredJsonAnswerIsProducedAndMatchesItsSchema() throws Exception {
    JsonNode spec = JSON.readTree(get(open, "/api/v1/openapi.json", false).body());
    Map<String, Map<String, List<String>>> requests = requests();
    List<String> problems = new ArrayList<>();
    Set<String> declared = new TreeSet<>();
    for (Iterator<Map.Entry<String, JsonNode>> paths = spec.path("paths").fields(); paths.hasNext(); ) {
      Map.Entry<String, JsonNode> path = paths.next();
      for (Iterator<Map.Entry<String, JsonNode>> codes = path.getValue().path("get").path("responses").fields(); codes.hasNext(); ) {
        Map.Entry<String, JsonNode> code = codes.next();
        JsonNode schema = code.getValue().path("content").path("application/json").path("schema");
        if (schema.isMissingNode()) {
          continue;
        }
        declared.add(path.getKey() + " " + code.getKey());
        List<String> urls;
        boolean unauthorised = code.getKey().equals("401");
        if (unauthorised) {
          // Any guarded path without a token answers 401; the concrete path stands in for a template.
          urls = List.of(requests.getOrDefault(path.getKey(), Map.of()).getOrDefault("200", List.of(path.getKey())).get(0));
        } else {
          urls = requests.getOrDefault(path.getKey(), Map.of()).getOrDefault(code.getKey(), List.of());
        }
        if (urls.isEmpty()) {
          problems.add(path.getKey() + " " + code.getKey() + ": declared, but this test has no request that answers it");
        }
        for (String url : urls) {
          HttpResponse<String> response = get(unauthorised ? guarded : open, url, !unauthorised);
          if (!Integer.toString(response.statusCode()).equals(code.getKey())) {
            problems.add(url + ": expected " + code.getKey() + ", got " + response.statusCode() + " " + response.body());
            continue;
          }
          new SchemaCheck(spec, url, problems).check(schema, JSON.readTree(response.body()), "$");
        }
      }
    }
    assertThat(declared).as("the spec declares JSON answers").contains("/api/v1/services 200", "/api/v1/services/{name} 404");
    assertThat(problems).isEmpty();
  }

  @Test
  void anSloSaysHowItBudgetsAndATimeslicesOneGivesItsSliceCounts() throws Exception {
    JsonNode events = JSON.readTree(get(open, "/api/v1/slos/cart-availability", false).body());
    assertThat(events.get("budgetingMethod").asText()).isEqualTo("Occurrences");
    assertThat(events.has("goodSlices")).isFalse();
    JsonNode slices = JSON.readTree(get(open, "/api/v1/slos/cart-slices", false).body());
    assertThat(slices.get("budgetingMethod").asText()).isEqualTo("Timeslices");
    assertThat(slices.get("goodSlices").asDouble()).isEqualTo(59);
    assertThat(slices.get("totalSlices").asDouble()).isEqualTo(60);
    assertThat(slices.get("timeSliceWindow").asText()).isEqualTo("1m");
    assertThat(slices.get("goodEvents").asDouble()).isEqualTo(79);
    JsonNode ratio = JSON.readTree(get(open, "/api/v1/slos/cart-ratio", false).body());
    assertThat(ratio.get("budgetingMethod").asText()).isEqualTo("RatioTimeslices");
    assertThat(ratio.get("goodSlices").asDouble()).isEqualTo(58.5);
    assertThat(ratio.get("totalSlices").asDouble()).isEqualTo(60);
    JsonNode policy = ratio.at("/alerts/0");
    assertThat(policy.get("op").asText()).isEqualTo("gte");
    assertThat(policy.get("alertAfter").asText()).isEqualTo("5m");
    assertThat(policy.get("pendingSince").asText()).isEqualTo(java.time.Instant.ofEpochMilli(MeshScenario.NOW.toEpochMilli() - 180_000).toString());
    assertThat(policy.get("notificationTargets")).extracting(JsonNode::asText).containsExactly("oncall", "chat");
    assertThat(policy.get("noDataOnly").asBoolean()).isFalse();
    // alertWhenBreaching: false: the alert fires on a quiet lookback window only, and says so.
    assertThat(ratio.at("/alerts/1/noDataOnly").asBoolean()).isTrue();
    assertThat(ratio.at("/alerts/1/alertWhenNoData").asBoolean()).isTrue();
    assertThat(events.at("/alerts/0").has("op")).isFalse();
  }

  @Test
  void theCheckerRefusesBodiesThatBreakTheSchema() throws Exception {
    JsonNode spec = JSON.readTree(get(open, "/api/v1/openapi.json", false).body());
    JsonNode ref = JSON.readTree("{\"$ref\": \"#/components/schemas/ServicesResponse\"}");
    JsonNode good = JSON.readTree(get(open, "/api/v1/services?from=now-15m", false).body());
    List<String> none = new ArrayList<>();
    new SchemaCheck(spec, "good", none).check(ref, good, "$");
    assertThat(none).isEmpty();

    JsonNode extra = good.deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode) extra.path("services").get(0)).put("surprise", 1);
    JsonNode missing = good.deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode) missing.path("services").get(0)).remove("name");
    JsonNode wrongType = good.deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode) wrongType).put("services", "cart");
    for (JsonNode bad : List.of(extra, missing, wrongType)) {
      List<String> problems = new ArrayList<>();
      new SchemaCheck(spec, "bad", problems).check(ref, bad, "$");
      assertThat(problems).as(bad.toString()).isNotEmpty();
    }
  }

  private HttpResponse<String> get(HttpServerKit server, String pathAndQuery, boolean withToken) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + pathAndQuery));
    if (withToken && server == guarded) {
      r.header("Authorization", "Bearer " + TOKEN);
    }
    return client.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * The part of OpenAPI 3.0's schema object that the served file uses. A keyword it does not know is itself a
   * problem, so that the file cannot grow a rule this check silently ignores.
   */
  private record SchemaCheck(JsonNode spec, String url, List<String> problems) {
    private static final Set<String> KNOWN = Set.of("type", "$ref", "properties", "nullable", "items",
        "additionalProperties", "required", "enum", "allOf", "oneOf", "format", "description", "example");

    void check(JsonNode schema, JsonNode value, String at) {
      List<String> found = new ArrayList<>();
      collect(schema, value, at, found);
      found.forEach(p -> problems.add(url + " " + p));
    }

    private void collect(JsonNode schema, JsonNode value, String at, List<String> out) {
      schema.fieldNames().forEachRemaining(k -> {
        if (!KNOWN.contains(k)) {
          out.add(at + ": schema keyword '" + k + "' is not checked by this test");
        }
      });
      if (schema.has("$ref")) {
        String ref = schema.get("$ref").asText();
        JsonNode target = spec.at(ref.substring(1));
        if (target.isMissingNode()) {
          out.add(at + ": unresolved " + ref);
        } else {
          collect(target, value, at, out);
        }
        return;
      }
      if (value.isNull()) {
        if (schema.has("type") && !schema.path("nullable").asBoolean(false)) {
          out.add(at + ": null but not nullable");
        }
        return;
      }
      String type = schema.path("type").asText("");
      boolean typeOk = switch (type) {
        case "" -> true;
        case "object" -> value.isObject();
        case "array" -> value.isArray();
        case "string" -> value.isTextual();
        case "number" -> value.isNumber();
        case "integer" -> value.isIntegralNumber();
        case "boolean" -> value.isBoolean();
        default -> false;
      };
      if (!typeOk) {
        out.add(at + ": expected " + type + ", got " + value.getNodeType());
        return;
      }
      if (schema.has("enum")) {
        boolean listed = false;
        for (JsonNode e : schema.get("enum")) {
          listed |= e.equals(value);
        }
        if (!listed) {
          out.add(at + ": " + value + " not in " + schema.get("enum"));
        }
      }
      for (JsonNode required : schema.path("required")) {
        if (!value.has(required.asText())) {
          out.add(at + ": lacks required '" + required.asText() + "'");
        }
      }
      if (value.isObject()) {
        JsonNode properties = schema.path("properties");
        JsonNode additional = schema.path("additionalProperties");
        value.fields().forEachRemaining(f -> {
          String where = at + "." + f.getKey();
          if (properties.has(f.getKey())) {
            collect(properties.get(f.getKey()), f.getValue(), where, out);
          } else if (additional.isBoolean() && !additional.asBoolean()) {
            out.add(where + ": not allowed (additionalProperties: false)");
          } else if (additional.isObject()) {
            collect(additional, f.getValue(), where, out);
          }
        });
      }
      if (value.isArray() && schema.has("items")) {
        for (int i = 0; i < value.size(); i++) {
          collect(schema.get("items"), value.get(i), at + "[" + i + "]", out);
        }
      }
      for (JsonNode part : schema.path("allOf")) {
        collect(part, value, at, out);
      }
      if (schema.has("oneOf")) {
        int matching = 0;
        List<String> why = new ArrayList<>();
        for (JsonNode option : schema.get("oneOf")) {
          List<String> mine = new ArrayList<>();
          collect(option, value, at, mine);
          matching += mine.isEmpty() ? 1 : 0;
          why.addAll(mine);
        }
        if (matching != 1) {
          out.add(at + ": matches " + matching + " of the oneOf options, not exactly one " + (matching == 0 ? why : ""));
        }
      }
    }
  }
}
