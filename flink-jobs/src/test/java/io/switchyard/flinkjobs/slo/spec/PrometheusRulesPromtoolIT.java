package io.switchyard.flinkjobs.slo.spec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules {@code slo rules} writes, evaluated by Prometheus' own rule engine ({@code promtool test rules}, from the
 * Debian package {@code prometheus} that bin/test installs) over hand-made series: the alerts must fire when the
 * budget burns and stay quiet when it does not.
 */
class PrometheusRulesPromtoolIT {
  private static final String SLO = SloFixtures.CHECKOUT_AVAILABILITY;

  @TempDir Path dir;

  private static Path promtool() {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(d, "promtool");
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  @Test
  void burnRateAlertsFireInPrometheusWhenTheBudgetBurnsAndNotBefore() throws Exception {
    Path promtool = promtool();
    Assumptions.assumeTrue(promtool != null,
        "'promtool' is not on PATH: install the Debian package 'prometheus' (bin/test does) to run this test");
    Files.writeString(dir.resolve("rules.yml"), PrometheusRules.render(OpenSloParser.parse(SLO, "checkout.yaml"),
        AlertWindow.DEFAULTS, Duration.ofMinutes(1)));
    String labels = "{client=\"frontend\", server=\"checkout\", connection_type=\"\"}";
    // 100 requests/s for two hours; from minute 60, 20 % of them fail. At minute 70 the 5m window holds 20 % errors and
    // the 1h window 10 of 60 minutes at 20 % (3.3 %): over page-1h's 14.4 x 0.001. The 2h window holds 10 of 70
    // minutes (2.9 %): over ticket-1d's 3 x 0.001. At minute 59 nothing has failed.
    StringBuilder test = new StringBuilder("""
        rule_files: [rules.yml]
        evaluation_interval: 1m
        tests:
          - interval: 1m
            input_series:
              - series: 'traces_service_graph_request_total%1$s'
                values: '0+6000x120'
              - series: 'traces_service_graph_request_failed_total%1$s'
                values: '0+0x60 1200+1200x59'
            alert_rule_test:
        """.formatted(labels));
    for (String severity : List.of("page", "ticket")) {
      String name = "SwitchyardSloBurnRate" + (severity.equals("page") ? "Page" : "Ticket");
      test.append("      - {eval_time: 59m, alertname: ").append(name).append(", exp_alerts: []}\n");
      test.append("      - eval_time: 70m\n        alertname: ").append(name).append("\n        exp_alerts:\n");
      test.append("          - exp_labels: {severity: ").append(severity)
          .append(", sloth_id: checkout-availability, sloth_service: checkout, sloth_slo: checkout-availability}\n");
      test.append("            exp_annotations: {summary: SLO checkout-availability is burning its error budget too fast}\n");
    }
    Files.writeString(dir.resolve("test.yml"), test);

    Process p = new ProcessBuilder(promtool.toString(), "test", "rules", "test.yml").directory(dir.toFile())
        .redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output + "\nrules:\n" + Files.readString(dir.resolve("rules.yml"))).isZero();
    assertThat(output).contains("SUCCESS");
  }
}
