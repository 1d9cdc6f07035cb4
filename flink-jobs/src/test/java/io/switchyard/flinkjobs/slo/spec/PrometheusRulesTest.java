package io.switchyard.flinkjobs.slo.spec;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.switchyard.model.LatencyBuckets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrometheusRulesTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static List<SloSpec> validFolder() throws Exception {
    return OpenSloParser.readDirectory(Path.of("src/test/resources/slo/valid")).stream().map(OpenSloParser.SloDocument::spec).toList();
  }

  /** record name -> rule, for the group of one SLO. */
  private static Map<String, JsonNode> rules(String yaml, int group) throws Exception {
    Map<String, JsonNode> byName = new HashMap<>();
    for (JsonNode rule : YAML.readTree(yaml).at("/groups/" + group + "/rules")) {
      byName.put(rule.has("record") ? rule.get("record").asText() : rule.get("alert").asText(), rule);
    }
    return byName;
  }

  @Test
  void writesSlothsMetadataRulesUnderSlothsNamesAndLabels() throws Exception {
    String yaml = PrometheusRules.render(validFolder(), AlertWindow.DEFAULTS, Duration.ofMinutes(1));
    Map<String, JsonNode> r = rules(yaml, 0);
    String ids = "{sloth_id=\"checkout-availability\", sloth_service=\"checkout\", sloth_slo=\"checkout-availability\"}";
    assertThat(r.get("slo:objective:ratio").get("expr").asText()).isEqualTo("vector(0.999)");
    assertThat(r.get("slo:error_budget:ratio").get("expr").asText()).isEqualTo("vector(0.001)");
    assertThat(r.get("slo:time_period:days").get("expr").asText()).isEqualTo("vector(30)");
    assertThat(r.get("slo:current_burn_rate:ratio").get("expr").asText()).isEqualTo("slo:sli_error:ratio_rate5m" + ids
        + " / on(sloth_id, sloth_slo, sloth_service) group_left slo:error_budget:ratio" + ids);
    assertThat(r.get("slo:period_burn_rate:ratio").get("expr").asText()).isEqualTo("slo:sli_error:ratio_rate30d" + ids
        + " / on(sloth_id, sloth_slo, sloth_service) group_left slo:error_budget:ratio" + ids);
    assertThat(r.get("slo:period_error_budget_remaining:ratio").get("expr").asText())
        .isEqualTo("1 - slo:period_burn_rate:ratio" + ids);
    JsonNode info = r.get("sloth_slo_info");
    assertThat(info.get("expr").asText()).isEqualTo("vector(1)");
    assertThat(info.at("/labels/sloth_objective").asText()).isEqualTo("99.9");
    assertThat(info.at("/labels/sloth_slo").asText()).isEqualTo("checkout-availability");
    // Each SLI rule names its window, as Sloth's do.
    assertThat(r.get("slo:sli_error:ratio_rate1h").at("/labels/sloth_window").asText()).isEqualTo("1h");
  }

  @Test
  void aLatencyThresholdBetweenTheEveryFourthBoundsSelectsItsOwnBucket() throws Exception {
    String yaml = PrometheusRules.render(validFolder(), AlertWindow.DEFAULTS, Duration.ofMinutes(1));
    // The latency SLO's threshold is bucket 23 (290 ms), which the server histograms of /metrics always show.
    String bound = Double.toString(LatencyBuckets.upperBoundSeconds(23));
    assertThat(bound).isEqualTo("0.2896309375740099");
    assertThat(rules(yaml, 1).get("slo:sli_error:ratio_rate1h").get("expr").asText())
        .contains("traces_service_graph_request_server_seconds_bucket{server=\"reviews\", client=\"productpage\", le=\"" + bound + "\"}[1h]");
  }

  @Test
  void boundsUnderAMillisecondMatchBothSpellingsOfLe() {
    // Java writes 2.82842712474619E-4; a Prometheus that normalises le on scrape writes 0.000282842712474619.
    assertThat(PrometheusRules.leMatcher(Duration.ofNanos(Math.round(LatencyBuckets.upperBoundSeconds(3) * 1e9))))
        .isEqualTo("le=~\"2\\\\.82842712474619E-4|0\\\\.000282842712474619\"");
    assertThat(PrometheusRules.leMatcher(Duration.ofNanos(1_638_400_000))).isEqualTo("le=\"1.6384\"");
  }
}
