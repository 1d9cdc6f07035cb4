package io.switchyard.topology.grafana;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.switchyard.serverkit.config.YamlConfig;
import io.switchyard.topology.query.GraphType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The dashboards are well-formed Grafana dashboards whose data sources the provisioning files define. */
class GrafanaDashboardsTest {

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
