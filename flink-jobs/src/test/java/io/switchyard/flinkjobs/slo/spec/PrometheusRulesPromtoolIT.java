package io.switchyard.flinkjobs.slo.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.flinkjobs.Promtool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules {@code slo rules} writes, evaluated by Prometheus' own rule engine ({@link Promtool}) over hand-made
 * series: the alerts must fire when the budget burns and stay quiet when it does not.
 */
class PrometheusRulesPromtoolIT {
  private static final String SLO = SloFixtures.CHECKOUT_AVAILABILITY;

  @TempDir Path dir;

  @Test
  void burnRateAlertsFireInPrometheusWhenTheBudgetBurnsAndNotBefore() throws Exception {
    // 100 requests/s for two hours; from minute 60, 20 % of them fail. At minute 70 the 5m window holds 20 % errors and
    // the 1h window 10 of 60 minutes at 20 % (3.3 %): over page-1h's 14.4 x 0.001. The 2h window holds 10 of 70
    // minutes (2.9 %): over ticket-1d's 3 x 0.001. At minute 59 nothing has failed.
    assertAlertsFireOnlyAfter(dir, OpenSloParser.parse(SLO, "checkout.yaml"), "1m", "0+6000x120", "0+0x60 1200+1200x59", "59m", "70m");
  }

  @Test
  void aMonthlyCalendarSloAlertsInPrometheusAsAThirtyDayOne(@TempDir Path month) throws Exception {
    // Its rules have no period rules (Prometheus ranges roll) but the same alerts, windows and factors.
    String monthly = SLO.replace("timeWindow: [{duration: 30d, isRolling: true}]",
        "timeWindow: [{duration: 1M, isRolling: false, calendar: {startTime: '2024-01-01 00:00:00', timeZone: UTC}}]");
    assertThat(monthly).isNotEqualTo(SLO);
    assertAlertsFireOnlyAfter(month, OpenSloParser.parse(monthly, "checkout.yaml"), "1m", "0+6000x120", "0+0x60 1200+1200x59",
        "59m", "70m");
  }

  @Test
  void aSevenDaySloPagesInPrometheusOverItsScaledWindowsAndASteadySubOneBurnRaisesNoTicket(@TempDir Path week) throws Exception {
    // 99 % over 7 days: windows 14m/1m (14.4x), 84m/7m (6x), 336m/28m (3x), 1008m/84m (1x); budget 0.01.
    // Scraped every 15s: 8000 requests a minute, 0.9 % failed (0.9x) for 1200 minutes, 25 % (25x) for the next ten.
    // At 1200m no window burns faster than 0.9x: no alert (the 30-day table read literally would ticket at 0.233x
    // over 3d). At 1210m the 1m window burns 25x and the 14m one (4 x 72 + 10 x 2000) / 112000 / 0.01 = 18x: page;
    // the 84m window (74 x 72 + 20000) / 672000 / 0.01 = 3.8x and the 1008m one 1.14x: ticket.
    assertAlertsFireOnlyAfter(week, List.of(AlertPolicyTest.slo("7d", 0.99)), "15s", "0+2000x4880",
        "0+18x4800 86900+500x39 106418+18x39", "1200m", "1210m");
  }

  @Test
  void aNamespacedSloReadsItsServerNamespaceOnlyAsTheJobDoes(@TempDir Path ns) throws Exception {
    // cart in n1 fails 1 call in 4, cart in n2 every call; the job counts n1 only (0.25), the rules must too (summed
    // over both namespaces they would read 5 of 8, 0.625). The caller's namespace does not count: n2's frontend -> n1's
    // cart is n1's cart too.
    List<SloSpec> slo = OpenSloParser.parse(SloFixtures.CART_N1_AVAILABILITY, "cart-n1.yaml");
    Files.writeString(ns.resolve("rules.yml"), PrometheusRules.render(slo, AlertPolicy.DEFAULT, Duration.ofMinutes(1)));
    String n1 = "client=\"frontend\", client_service_namespace=\"n1\", connection_type=\"\", server=\"cart\", server_service_namespace=\"n1\"";
    String fromN2 = n1.replace("client_service_namespace=\"n1\"", "client_service_namespace=\"n2\"");
    String n2 = n1.replace("\"n1\"", "\"n2\"");
    Files.writeString(ns.resolve("test.yml"), """
        rule_files: [rules.yml]
        evaluation_interval: 1m
        tests:
          - interval: 1m
            input_series:
              - {series: 'traces_service_graph_request_total{%1$s}', values: '0+3x90'}
              - {series: 'traces_service_graph_request_failed_total{%1$s}', values: '0+0x90'}
              - {series: 'traces_service_graph_request_total{%2$s}', values: '0+1x90'}
              - {series: 'traces_service_graph_request_failed_total{%2$s}', values: '0+1x90'}
              - {series: 'traces_service_graph_request_total{%3$s}', values: '0+4x90'}
              - {series: 'traces_service_graph_request_failed_total{%3$s}', values: '0+4x90'}
            promql_expr_test:
              - expr: slo:sli_error:ratio_rate1h
                eval_time: 80m
                exp_samples:
                  - {labels: 'slo:sli_error:ratio_rate1h{sloth_id="cart-n1", sloth_service="cart", sloth_slo="cart-n1", sloth_window="1h"}', value: 0.25}
        """.formatted(n1, fromN2, n2));

    Promtool.assertRuleTestsPass(ns, "test.yml", ns.resolve("rules.yml"));
  }

  @Test
  void anSlosAlertPoliciesFireInPrometheusAfterTheirAlertAfterWithTheirTargetsAsLabels(@TempDir Path policies) throws Exception {
    // 100 requests/s, 20 % failing from minute 60. slow-burn (> 1x over 6h) fires from minute 61. fast-burn's 1h
    // window reaches 14.4 x 0.001 at minute 65 ((65 - 60) x 1200 / 360000 = 1.7 %): pending at 66, firing from 70.
    String slow = """
              - exp_labels: {severity: ticket, sloth_id: checkout-availability, alert_policy: checkout-slow-burn, alert_condition: slow-burn, notification_targets: team-queue, alert_when_resolved: "true", sloth_service: checkout, sloth_slo: checkout-availability}
                exp_annotations: {summary: "SLO checkout-availability: the burn rate over 6h is > 1x"}
        """;
    String fast = """
              - exp_labels: {severity: page, sloth_id: checkout-availability, alert_policy: checkout-fast-burn, alert_condition: fast-burn, notification_targets: oncall, alert_when_resolved: "true", sloth_service: checkout, sloth_slo: checkout-availability}
                exp_annotations: {summary: "Checkout burns a month's budget in two days"}
        """;
    assertCheckoutRulesPass(policies, SloFixtures.CHECKOUT_WITH_ALERT_POLICIES, "0+6000x120", "0+0x60 1200+1200x59", """
        alert_rule_test:
          - {eval_time: 59m, alertname: SwitchyardSloAlertPolicy, exp_alerts: []}
          - eval_time: 66m
            alertname: SwitchyardSloAlertPolicy
            exp_alerts:
        %s
          - eval_time: 72m
            alertname: SwitchyardSloAlertPolicy
            exp_alerts:
        %s%s""".formatted(slow.stripTrailing(), fast, slow.stripTrailing()));
  }

  @Test
  void anAlertPolicyWithAlertWhenNoDataFiresInPrometheusOnAWindowWithoutRequests(@TempDir Path quiet) throws Exception {
    String yaml = SloFixtures.CHECKOUT_WITH_ALERT_POLICIES.replace("alertWhenResolved: true\n        conditions:\n          - kind: AlertCondition",
        "alertWhenResolved: true\n        alertWhenNoData: true\n        conditions:\n          - kind: AlertCondition");
    assertThat(yaml).contains("alertWhenNoData: true");
    // Checkout's series exist but count nothing: slow-burn (alertWhenNoData) fires, fast-burn does not.
    assertCheckoutRulesPass(quiet, yaml, "0x60", "0x60", """
        alert_rule_test:
          - eval_time: 30m
            alertname: SwitchyardSloAlertPolicy
            exp_alerts:
              - exp_labels: {severity: ticket, sloth_id: checkout-availability, alert_policy: checkout-slow-burn, alert_condition: slow-burn, notification_targets: team-queue, alert_when_resolved: "true"}
                exp_annotations: {summary: "SLO checkout-availability: the burn rate over 6h is > 1x"}
        """);
  }

  @Test
  void anAlertPolicyWithBreachingOffFiresInPrometheusOnlyOnAWindowWithoutRequests(@TempDir Path noDataOnly) throws Exception {
    String yaml = SloFixtures.CHECKOUT_WITH_ALERT_POLICIES.replace(
        "alertWhenBreaching: true\n        alertWhenResolved: true\n        conditions:\n          - kind: AlertCondition",
        "alertWhenBreaching: false\n        alertWhenResolved: true\n        alertWhenNoData: true\n        conditions:\n"
            + "          - kind: AlertCondition");
    assertThat(yaml).contains("alertWhenBreaching: false");
    // Every request fails for an hour (slow-burn's burn rate 1000 > 1x): it stays quiet; the page (breaching on)
    // fires. Then no requests for 7h: from the 6h window's end on, slow-burn fires on the quiet feed alone.
    assertCheckoutRulesPass(noDataOnly, yaml, "0+6000x60 360000x420", "0+6000x60 360000x420", """
        alert_rule_test:
          - eval_time: 60m
            alertname: SwitchyardSloAlertPolicy
            exp_alerts:
              - exp_labels: {severity: page, sloth_id: checkout-availability, alert_policy: checkout-fast-burn, alert_condition: fast-burn, notification_targets: oncall, alert_when_resolved: "true", sloth_service: checkout, sloth_slo: checkout-availability}
                exp_annotations: {summary: "Checkout burns a month's budget in two days"}
          - eval_time: 430m
            alertname: SwitchyardSloAlertPolicy
            exp_alerts:
              - exp_labels: {severity: ticket, sloth_id: checkout-availability, alert_policy: checkout-slow-burn, alert_condition: slow-burn, notification_targets: team-queue, alert_when_resolved: "true"}
                exp_annotations: {summary: "SLO checkout-availability: no requests over 6h"}
        """);
  }

  @Test
  void aRatioTimeslicesSloRecordsTheMeanOfItsSlicesErrorRatiosAsTheJobCounts(@TempDir Path ratio) throws Exception {
    // A 1-day SLO of 5-minute slices (promtool's test engine loads too few samples for 30 days of slices), 600 requests
    // a minute for 30 minutes, then none. Minutes 16-30 fail 150 a minute: the slices ending at 20, 25 and 30 have an
    // error ratio of 0.25, the others 0, and the quiet slices (0 / 0 requests, or no series yet) count 0 as in the
    // job. At minute 30 the 15m alert window's 3 slices: 0.25; at minute 80 it has 3 quiet ones: 0; and the 145m window's
    // 29 slices then: 0.75 / 29 (Prometheus 2 would take 30 slices for a range of [145m:5m]).
    String yaml = SLO.replace("budgetingMethod: Occurrences", "budgetingMethod: RatioTimeslices")
        .replace("timeWindow: [{duration: 30d, isRolling: true}]", "timeWindow: [{duration: 1d, isRolling: true}]")
        .replace("objectives: [{target: 0.999}]", "objectives: [{target: 0.99, timeSliceWindow: 5m}]");
    assertThat(yaml).contains("RatioTimeslices").contains("timeSliceWindow");
    assertCheckoutRulesPass(ratio, yaml, "0+600x30 18000x49", "0x15 150+150x14 2250x49", """
        promql_expr_test:
          - expr: slo:sli_error:ratio_rate15m
            eval_time: 30m
            exp_samples:
              - {labels: 'slo:sli_error:ratio_rate15m{sloth_id="checkout-availability", sloth_service="checkout", sloth_slo="checkout-availability", sloth_window="15m"}', value: 0.25}
          - expr: slo:sli_error:ratio_rate15m
            eval_time: 80m
            exp_samples:
              - {labels: 'slo:sli_error:ratio_rate15m{sloth_id="checkout-availability", sloth_service="checkout", sloth_slo="checkout-availability", sloth_window="15m"}', value: 0}
          - expr: slo:sli_error:ratio_rate145m
            eval_time: 80m
            exp_samples:
              - {labels: 'slo:sli_error:ratio_rate145m{sloth_id="checkout-availability", sloth_service="checkout", sloth_slo="checkout-availability", sloth_window="145m"}', value: %s}
        """.formatted(0.75 / 29));
  }

  /**
   * The rules of {@code sloYaml} pass {@code tests} (promtool's {@code alert_rule_test} or {@code promql_expr_test}
   * list) over checkout's request counters, scraped every minute with these values.
   */
  private static void assertCheckoutRulesPass(Path dir, String sloYaml, String totals, String failed, String tests) throws Exception {
    Files.writeString(dir.resolve("rules.yml"),
        PrometheusRules.render(OpenSloParser.parse(sloYaml, "checkout.yaml"), AlertPolicy.DEFAULT, Duration.ofMinutes(1)));
    String labels = "{client=\"frontend\", server=\"checkout\", connection_type=\"\"}";
    Files.writeString(dir.resolve("test.yml"), """
        rule_files: [rules.yml]
        evaluation_interval: 1m
        tests:
          - interval: 1m
            input_series:
              - {series: 'traces_service_graph_request_total%1$s', values: '%2$s'}
              - {series: 'traces_service_graph_request_failed_total%1$s', values: '%3$s'}
        """.formatted(labels, totals, failed) + tests.indent(4));
    Promtool.assertRuleTestsPass(dir, "test.yml", dir.resolve("rules.yml"));
  }

  /** Both alerts of the checkout SLO's rules are quiet at {@code quietAt} and fire at {@code firingAt} over these series. */
  private static void assertAlertsFireOnlyAfter(Path dir, List<SloSpec> slo, String interval, String totals, String failed,
      String quietAt, String firingAt) throws Exception {
    Files.writeString(dir.resolve("rules.yml"), PrometheusRules.render(slo, AlertPolicy.DEFAULT, Duration.ofMinutes(1)));
    String labels = "{client=\"frontend\", server=\"checkout\", connection_type=\"\"}";
    StringBuilder test = new StringBuilder("""
        rule_files: [rules.yml]
        evaluation_interval: 1m
        tests:
          - interval: %2$s
            input_series:
              - series: 'traces_service_graph_request_total%1$s'
                values: '%3$s'
              - series: 'traces_service_graph_request_failed_total%1$s'
                values: '%4$s'
            alert_rule_test:
        """.formatted(labels, interval, totals, failed));
    for (String severity : List.of("page", "ticket")) {
      String name = "SwitchyardSloBurnRate" + (severity.equals("page") ? "Page" : "Ticket");
      test.append("      - {eval_time: ").append(quietAt).append(", alertname: ").append(name).append(", exp_alerts: []}\n");
      test.append("      - eval_time: ").append(firingAt).append("\n        alertname: ").append(name).append("\n        exp_alerts:\n");
      test.append("          - exp_labels: {severity: ").append(severity).append(", sloth_severity: ").append(severity)
          .append(", sloth_id: checkout-availability, sloth_service: checkout, sloth_slo: checkout-availability}\n");
      test.append("            exp_annotations: {summary: SLO checkout-availability is burning its error budget too fast}\n");
    }
    Files.writeString(dir.resolve("test.yml"), test);

    Promtool.assertRuleTestsPass(dir, "test.yml", dir.resolve("rules.yml"));
  }
}
