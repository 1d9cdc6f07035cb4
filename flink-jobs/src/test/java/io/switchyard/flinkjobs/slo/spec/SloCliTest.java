package io.switchyard.flinkjobs.slo.spec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SloCliTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return SloCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void checkListsTheValidSlosWithTheirEffectiveThreshold() {
    assertThat(run("check", "src/test/resources/slo/valid")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("checkout-availability: availability of service|trace|checkout",
        "reviews-latency: latency of edge|mesh|productpage->reviews", "2 SLO(s) valid");
  }

  @Test
  void checkPrintsTheEffectiveLatencyThresholdToTheMicrosecond(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("fast.yaml"), SloFixtures.LAT_S_FAST_50MS);
    assertThat(run("check", dir.toString())).isZero();
    // 50ms counts at the bucket bound under it, 0.1 ms x 2^8.5 = 36.2039 ms: "36ms" would misstate it.
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("threshold 36.204ms");
    assertThat(SloCli.boundText(java.time.Duration.ofNanos(204_800_000))).isEqualTo("204.8ms");
    assertThat(SloCli.boundText(java.time.Duration.ofNanos(1_638_400_000))).isEqualTo("1.6384s");
    assertThat(SloCli.boundText(java.time.Duration.ofNanos(141_421))).isEqualTo("0.141ms");
  }

  @Test
  void anUnsupportedFileFailsWithFileAndLine(@TempDir Path dir) throws Exception {
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec:\n  service: a\n  budgetingMethod: Timeslices\n");
    assertThat(run("check", dir.toString())).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("error: " + bad + ":");
  }

  @Test
  void rulesPrintsPrometheusRuleGroups() {
    assertThat(run("rules", "src/test/resources/slo/valid")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("groups:\n- name: switchyard-slo-checkout-availability");
  }

  @Test
  void aNamespacedSloSaysItsNamespaceAndItsRulesSelectTheServerNamespace(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("n1.yaml"), SloFixtures.CART_N1_AVAILABILITY);
    assertThat(run("check", dir.toString())).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("cart-n1: availability of service|trace|cart in namespace n1,");
    out.reset();
    // The job counts cart in n1 only; so do the rules, on Tempo's namespace dimension label of the server.
    assertThat(run("rules", dir.toString())).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("sum(rate(traces_service_graph_request_failed_total{server=\"cart\","
        + " server_service_namespace=\"n1\"}[1m])) / sum(rate(traces_service_graph_request_total{server=\"cart\","
        + " server_service_namespace=\"n1\"}[1m]))");
    assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
  }

  @Test
  void applyWithoutKafkaIsAUsageError() {
    assertThat(run("apply", "src/test/resources/slo/valid")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--kafka");
  }

  @Test
  void checkPrintsEachSlosAlertWindowsAndRefusesExplicitWindowsTheSloCannotUse(@TempDir Path dir) throws Exception {
    Path week = dir.resolve("week.yaml");
    Files.writeString(week, AlertPolicyTest.yaml("7d"));
    assertThat(run("check", dir.toString())).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains(
        "  page-1h: page when the burn rate over 14m and 1m exceeds 14.4x\n",
        "  ticket-3d: ticket when the burn rate over 1008m and 84m exceeds 1x\n");
    assertThat(run("check", dir.toString(), "--slo-alert-windows", "page:1h/5m:0.02,ticket:3d/6h:0.1")).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("error: " + week + ":13: SLO 'checkout-availability': alert "
        + "ticket-3d of --slo-alert-windows gets a burn-rate threshold of 0.233x for the SLO window 7d");
    err.reset();
    assertThat(run("apply", dir.toString(), "--kafka", "127.0.0.1:1", "--slo-alert-windows", "ticket:3d/6h:0.01")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("error: --slo-alert-windows: alert ticket-3d (0.01 of the budget "
        + "in 3d) would burn slower than 1x");
  }
}
