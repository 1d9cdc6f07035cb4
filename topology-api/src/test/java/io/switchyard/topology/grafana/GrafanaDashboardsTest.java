package io.switchyard.topology.grafana;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.model.v1.AlertState;
import io.switchyard.model.v1.SloStatusRecord;
import io.switchyard.serverkit.config.YamlConfig;
import io.switchyard.topology.Fixtures;
import io.switchyard.topology.MeshScenario;
import io.switchyard.topology.metrics.TopologyCollector;
import io.switchyard.topology.query.GraphType;
import io.switchyard.topology.store.RocksTopologyStore;
import io.switchyard.topology.store.StoreBatch;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dashboards are well-formed Grafana dashboards whose data sources the provisioning files define. */
class GrafanaDashboardsTest {
  @TempDir Path dir;

  @Test
  void fourDashboardsWithModernSchemaAndUniqueIdentities() throws Exception {
    Map<String, JsonNode> all = Dashboards.all();
    assertThat(all).containsOnlyKeys("mesh-overview.json", "service-detail.json", "slo-overview.json", "service-map.json");
    Set<String> uids = new HashSet<>();
    for (Map.Entry<String, JsonNode> d : all.entrySet()) {
      JsonNode dash = d.getValue();
      assertThat(dash.path("schemaVersion").asInt()).as(d.getKey()).isGreaterThanOrEqualTo(36);
      assertThat(dash.path("title").asText()).as(d.getKey()).isNotBlank();
      assertThat(uids.add(dash.path("uid").asText())).as("uid of " + d.getKey() + " unique").isTrue();
      assertThat(dash.path("uid").asText().length()).as(d.getKey()).isBetween(1, 40);
      List<Integer> ids = new ArrayList<>();
      for (JsonNode p : Dashboards.panels(dash)) {
        ids.add(p.path("id").asInt(-1));
        assertThat(p.path("type").asText()).as(d.getKey() + " panel type").isNotBlank();
        JsonNode grid = p.path("gridPos");
        assertThat(grid.path("w").asInt()).as(d.getKey() + " panel width").isBetween(1, 24);
        assertThat(grid.path("x").asInt() + grid.path("w").asInt()).as(d.getKey() + " panel inside 24 columns").isLessThanOrEqualTo(24);
        assertThat(p.path("targets")).as(d.getKey() + " panel " + p.path("title") + " has queries").isNotEmpty();
      }
      assertThat(ids).as(d.getKey() + " panel ids").doesNotContain(-1).doesNotHaveDuplicates();
    }
  }

  @Test
  void everyDataSourceReferenceResolvesInTheProvisioningFiles() throws Exception {
    Map<String, String> provisioned = Dashboards.datasources();
    assertThat(provisioned).containsEntry("switchyard-prometheus", "prometheus")
        .containsEntry("switchyard-infinity", "yesoreyeram-infinity-datasource");
    for (Map.Entry<String, JsonNode> d : Dashboards.all().entrySet()) {
      List<JsonNode> refs = new ArrayList<>();
      collectDatasources(d.getValue(), refs);
      assertThat(refs).as(d.getKey()).isNotEmpty();
      for (JsonNode ref : refs) {
        String uid = ref.path("uid").asText();
        assertThat(provisioned).as(d.getKey() + " references " + ref).containsKey(uid);
        assertThat(provisioned.get(uid)).as(d.getKey() + " type of " + uid).isEqualTo(ref.path("type").asText());
      }
    }
  }

  /**
   * docs/topology-api.md sends a user with a tokens file to the commented lines of the provisioning file: uncommented
   * as they stand, they must give the Infinity data source its bearer token beside its allowed hosts (the Infinity
   * plugin calls only listed hosts), not a second {@code jsonData} key, which YAML does not allow.
   */
  @Test
  void uncommentingTheBearerTokenLinesGivesTheInfinitySourceItsTokenAndKeepsItsAllowedHosts() throws Exception {
    Path file = Dashboards.root().resolve("provisioning/datasources/switchyard.yaml");
    List<String> lines = java.nio.file.Files.readAllLines(file);
    int hint = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains("uncomment")) {
        hint = i;
      }
    }
    assertThat(hint).as("a comment telling which lines to uncomment").isNotNegative();
    List<String> edited = new ArrayList<>(lines);
    int uncommented = 0;
    for (int i = hint + 1; i < edited.size() && edited.get(i).trim().startsWith("#"); i++) {
      edited.set(i, edited.get(i).replaceFirst("# ", ""));
      uncommented++;
    }
    assertThat(uncommented).isPositive();
    Path copy = dir.resolve("switchyard.yaml");
    java.nio.file.Files.write(copy, edited);
    JsonNode infinity = null;
    for (JsonNode ds : YamlConfig.mapper().readTree(copy.toFile()).path("datasources")) {
      if (ds.path("uid").asText().equals("switchyard-infinity")) {
        infinity = ds;
      }
    }
    assertThat(infinity).isNotNull();
    assertThat(infinity.at("/jsonData/auth_method").asText()).isEqualTo("bearerToken");
    assertThat(infinity.at("/secureJsonData/bearerToken").asText()).isNotBlank();
    assertThat(infinity.at("/jsonData/allowedHosts/0").asText()).isEqualTo(infinity.path("url").asText());
  }

  @Test
  void redAndSloDashboardsUseOnlyPrometheusAndTheMapUsesTheNodeGraphPanel() throws Exception {
    Map<String, JsonNode> all = Dashboards.all();
    for (String name : List.of("mesh-overview.json", "service-detail.json", "slo-overview.json")) {
      List<JsonNode> refs = new ArrayList<>();
      collectDatasources(all.get(name), refs);
      assertThat(refs).as(name).allSatisfy(r -> assertThat(r.path("type").asText()).isEqualTo("prometheus"));
    }
    JsonNode map = Dashboards.panels(all.get("service-map.json")).stream()
        .filter(p -> p.path("type").asText().equals("nodeGraph")).findFirst().orElseThrow();
    assertThat(map.path("targets")).extracting(t -> t.path("root_selector").asText()).containsExactlyInAnyOrder("nodes", "edges");
    assertThat(map.path("targets")).allSatisfy(t -> assertThat(t.path("url").asText()).isEqualTo("/api/graph/data"));
    JsonNode slo = all.get("slo-overview.json");
    assertThat(Dashboards.panels(slo)).extracting(p -> p.path("title").asText()).anyMatch(t -> t.startsWith("Burn rate"));
  }

  @Test
  void mapNodeChoicesAreExactlyTheGraphTypesTheApiTakes() throws Exception {
    JsonNode dash = Dashboards.all().get("service-map.json");
    JsonNode variable = null;
    for (JsonNode v : dash.path("templating").path("list")) {
      if (v.path("name").asText().equals("type")) {
        variable = v;
      }
    }
    assertThat(variable).as("service-map.json has a type variable").isNotNull();
    List<String> apiTypes = Arrays.stream(GraphType.values()).map(GraphType::wireName).toList();
    assertThat(variable.path("query").asText().split(",")).containsExactlyInAnyOrderElementsOf(apiTypes);
    assertThat(variable.path("options")).extracting(o -> o.path("value").asText()).containsExactlyInAnyOrderElementsOf(apiTypes);
    assertThat(apiTypes).allSatisfy(t -> assertThat(GraphType.parse("type", t).wireName()).isEqualTo(t));
    JsonNode map = Dashboards.panels(dash).stream()
        .filter(p -> p.path("type").asText().equals("nodeGraph")).findFirst().orElseThrow();
    for (JsonNode target : map.path("targets")) {
      List<String> passed = new ArrayList<>();
      target.path("url_options").path("params").forEach(q -> {
        if (q.path("value").asText().equals("$type")) {
          passed.add(q.path("key").asText());
        }
      });
      assertThat(passed).as("the variable reaches /api/graph/data as its type parameter").containsExactly("type");
    }
  }

  @Test
  void dashboardProviderPointsAtAFolderTheComposeFileMounts() throws Exception {
    JsonNode provider = YamlConfig.mapper().readTree(Dashboards.root().resolve("provisioning/dashboards/switchyard.yaml").toFile());
    String path = provider.at("/providers/0/options/path").asText();
    assertThat(path).isNotBlank();
    String compose = java.nio.file.Files.readString(Dashboards.root().getParent().resolve("deploy/compose/docker-compose.yml"));
    assertThat(compose).contains(path);
  }

  /**
   * Every metric a panel query or variable names is one the topology API's {@code /metrics} exposes, with every label
   * the query selects, groups, joins or prints by: a renamed series or label would leave a panel that parses and shows
   * "No data" (GrafanaPrometheusIT finds that too, but only where a Prometheus binary is installed).
   */
  @Test
  void everyMetricAndLabelADashboardQueriesIsOneTheTopologyApiExports() throws Exception {
    Map<String, Set<String>> exported = exportedSeries();
    assertThat(exported).containsKeys("traces_service_graph_request_total", "switchyard_service_requests_total",
        "switchyard_slo_alert_threshold", "traces_service_graph_request_messaging_system_seconds_bucket",
        "switchyard_topology_consumer_lag_records");
    List<Dashboards.PromQuery> queries = Dashboards.promQueries(Map.of());
    assertThat(queries).hasSizeGreaterThan(20);
    for (Dashboards.PromQuery q : queries) {
      String where = q.dashboard() + " / " + q.panel() + ": " + q.expr();
      Dashboards.Refs refs = Dashboards.refs(q.expr(), q.legendFormat());
      assertThat(refs.metrics()).as(where + " names no metric").isNotEmpty();
      Set<String> labels = new TreeSet<>();
      for (String metric : refs.metrics()) {
        assertThat(exported).as(where + " names " + metric + ", which /metrics does not expose").containsKey(metric);
        labels.addAll(exported.get(metric));
      }
      assertThat(labels).as(where + " uses labels that its metrics " + refs.metrics() + " lack").containsAll(refs.labels());
    }
  }

  @Test
  void theQueryReaderFindsMetricsAndLabelsAndSkipsFunctionsRangesStringsAndNumbers() {
    Dashboards.Refs r = Dashboards.refs("histogram_quantile(0.95, sum by (server, le) (rate(x_bucket{client=\"$service\", "
        + "a!~\"b|c\"}[$__rate_interval]))) and on (server) sum by (server) (rate(y_count[5m])) > 1e-9 or vector(0)", "{{server}} p95");
    assertThat(r.metrics()).containsExactly("x_bucket", "y_count");
    assertThat(r.labels()).containsExactlyInAnyOrder("server", "le", "client", "a");
    assertThat(Dashboards.refs("max by (slo) (switchyard_slo_sli)", "{{ slo }}"))
        .isEqualTo(new Dashboards.Refs(Set.of("switchyard_slo_sli"), Set.of("slo")));
  }

  /** Sample name -> label names, from a scrape of a store holding every kind of record the series come from. */
  private Map<String, Set<String>> exportedSeries() throws Exception {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir)) {
      StoreBatch b = new StoreBatch();
      MeshScenario.edges().forEach(k -> b.edge(k.key(), k.value()));
      MeshScenario.services().forEach(k -> b.service(k.key(), k.value()));
      // A messaging hop with queue latency, for the queue-latency panel.
      b.edge("cart->shipping", Fixtures.edge(MeshScenario.CART, Fixtures.service("shipping", "shop"), MeshScenario.TRACE,
          Fixtures.T0, 12, 0, 0.01).toBuilder().setConnectionType("messaging_system").setProtocol("kafka")
          .setMessagingLatency(Fixtures.histogram(12, 1.5)).build());
      b.sloStatus("cart-availability", SloStatusRecord.newBuilder().setName("cart-availability").setService("cart")
          .setObjective(0.99).setSli(0.95).setErrorBudgetRemaining(-4)
          .addBurnRates(SloStatusRecord.BurnRate.newBuilder().setWindow("5m").setRate(20))
          .addBurnRates(SloStatusRecord.BurnRate.newBuilder().setWindow("1h").setRate(5))
          .addAlerts(AlertState.newBuilder().setName("page-1h").setSeverity("page").setFiring(true).setLongWindow("1h")
              .setShortWindow("5m").setThreshold(13.44))
          .build());
      store.write(b);
      PrometheusRegistry registry = new PrometheusRegistry();
      registry.register(new TopologyCollector(store, 100, () -> 0, () -> MeshScenario.NOW.toEpochMilli()));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
      Map<String, Set<String>> series = new TreeMap<>();
      Pattern sample = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})? \\S+");
      Pattern label = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"");
      for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
        Matcher s = sample.matcher(line);
        if (!line.startsWith("#") && s.matches()) {
          Set<String> labels = series.computeIfAbsent(s.group(1), n -> new TreeSet<>());
          Matcher l = label.matcher(s.group(2) == null ? "" : s.group(2));
          while (l.find()) {
            labels.add(l.group(1));
          }
        }
      }
      return series;
    }
  }

  private static void collectDatasources(JsonNode n, List<JsonNode> out) {
    if (n.isObject()) {
      n.fields().forEachRemaining(e -> {
        if (e.getKey().equals("datasource") && e.getValue().isObject()) {
          out.add(e.getValue());
        } else {
          collectDatasources(e.getValue(), out);
        }
      });
    } else if (n.isArray()) {
      n.forEach(c -> collectDatasources(c, out));
    }
  }
}
