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
  void numbersAreWrittenInPlainDecimalsOfTenSignificantDigitsWhateverTheirExponent() {
    assertThat(PrometheusRules.num(0.014400000000000001)).isEqualTo("0.0144");
    assertThat(PrometheusRules.num(100)).isEqualTo("100");
    assertThat(PrometheusRules.num(1)).isEqualTo("1");
    assertThat(PrometheusRules.num(99.9)).isEqualTo("99.9");
    // %g wrote 1.000000000e-10, and stripping its trailing zeros left e-1: ten orders of magnitude off.
    assertThat(PrometheusRules.num(1e-10)).isEqualTo("0.0000000001");
    assertThat(PrometheusRules.num(2.0 / 3)).isEqualTo("0.6666666667");
  }

  @Test
  void writesSlothsMetadataRulesUnderSlothsNamesAndLabels() throws Exception {
    String yaml = PrometheusRules.render(validFolder(), AlertPolicy.DEFAULT, Duration.ofMinutes(1));
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
  void burnRateAlertsCarrySlothsSeverityLabelAsSlothsAlertsDo() throws Exception {
    // Sloth's alert_rules_v1 plugin labels its page and ticket alerts sloth_severity: page|ticket; Sloth's UI and
    // Alertmanager routes written for Sloth read it from ALERTS.
    Map<String, JsonNode> r = rules(PrometheusRules.render(validFolder(), AlertPolicy.DEFAULT, Duration.ofMinutes(1)), 0);
    assertThat(r.get("SwitchyardSloBurnRatePage").at("/labels/sloth_severity").asText()).isEqualTo("page");
    assertThat(r.get("SwitchyardSloBurnRatePage").at("/labels/severity").asText()).isEqualTo("page");
    assertThat(r.get("SwitchyardSloBurnRateTicket").at("/labels/sloth_severity").asText()).isEqualTo("ticket");
    assertThat(r.get("SwitchyardSloBurnRateTicket").at("/labels/severity").asText()).isEqualTo("ticket");
  }

  @Test
  void aLatencyThresholdBetweenTheEveryFourthBoundsSelectsItsOwnBucket() throws Exception {
    String yaml = PrometheusRules.render(validFolder(), AlertPolicy.DEFAULT, Duration.ofMinutes(1));
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

  @Test
  void aSevenDaySloGetsTheJobsScaledWindowsAndTheWorkbooksFactors() throws Exception {
    List<SloSpec> week = List.of(AlertPolicyTest.slo("7d"));
    Map<String, JsonNode> r = rules(PrometheusRules.render(week, AlertPolicy.DEFAULT, Duration.ofMinutes(1)), 0);
    // The job's windows for 7d (14m/1m, 84m/7m, 336m/28m, 1008m/84m) and the 7d window itself; no 30-day window.
    assertThat(r.keySet()).contains("slo:sli_error:ratio_rate1m", "slo:sli_error:ratio_rate14m", "slo:sli_error:ratio_rate84m",
        "slo:sli_error:ratio_rate7m", "slo:sli_error:ratio_rate336m", "slo:sli_error:ratio_rate28m",
        "slo:sli_error:ratio_rate1008m", "slo:sli_error:ratio_rate7d").noneMatch(k -> k.matches("slo:sli_error:ratio_rate(5m|1h|3d)"));
    // 14.4 x 0.001 over 14m and 1m; 1 x 0.001 over 1008m and 84m (a 30-day table would ask 0.233 x 0.001 over 3d).
    assertThat(r.get("SwitchyardSloBurnRatePage").get("expr").asText())
        .contains("max(slo:sli_error:ratio_rate1m{sloth_id=\"checkout-availability\"} > 0.0144) without (sloth_window) and "
            + "max(slo:sli_error:ratio_rate14m{sloth_id=\"checkout-availability\"} > 0.0144)");
    assertThat(r.get("SwitchyardSloBurnRateTicket").get("expr").asText())
        .contains("max(slo:sli_error:ratio_rate84m{sloth_id=\"checkout-availability\"} > 0.001) without (sloth_window) and "
            + "max(slo:sli_error:ratio_rate1008m{sloth_id=\"checkout-availability\"} > 0.001)");
    assertThat(r.get("slo:current_burn_rate:ratio").get("expr").asText()).startsWith("slo:sli_error:ratio_rate1m{");
  }
}
