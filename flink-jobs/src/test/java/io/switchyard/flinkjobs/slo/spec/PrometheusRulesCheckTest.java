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
 * What {@code slo rules} writes must load into Prometheus: {@code promtool check rules} (YAML, PromQL, rule names,
 * duplicate rules) over the rules of every kind of SLO the parser accepts. Skipped where promtool is not installed.
 */
class PrometheusRulesCheckTest {
  @TempDir Path dir;

  private static String slo(String name, String service, String target, String window, String method, String objective) {
    return """
        apiVersion: openslo/v1
        kind: SLO
        metadata: {name: %1$s}
        spec:
          service: %2$s
          indicator:
            metadata: {name: %1$s-sli}
            spec:
              ratioMetric:
                counter: true
                good: {metricSource: {type: switchyard, spec: {%3$s, sli: availability}}}
                total: {metricSource: {type: switchyard, spec: {%3$s}}}
          timeWindow: [%4$s]
          budgetingMethod: %5$s
          objectives: [%6$s]
        ---
        """.formatted(name, service, target, window, method, objective);
  }

  @Test
  void theRulesOfEveryKindOfSloPassPromtoolCheckRules() throws Exception {
    String folder = slo("rolling-28d", "checkout", "service: checkout", "{duration: 28d, isRolling: true}", "Occurrences",
        "{target: 0.999}")
        + slo("rolling-7d-edge", "reviews", "service: reviews, client: productpage, namespace: shop, source: mesh",
        "{duration: 7d, isRolling: true}", "Occurrences", "{targetPercent: 99.5}")
        + slo("slices", "cart", "service: cart", "{duration: 1d, isRolling: true}", "Timeslices",
        "{target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: 5}")
        + slo("ratio-slices", "cart", "service: cart", "{duration: 14d, isRolling: true}", "RatioTimeslices",
        "{target: 0.99, timeSliceWindow: 7m}")
        + slo("monthly", "cart", "service: cart",
        "{duration: 1M, calendar: {startTime: '2024-01-01 00:00:00', timeZone: Europe/Berlin}}", "Occurrences", "{target: 0.995}")
        // Service names are free text in OpenSLO and in the spans they come from: quotes and backslashes must be escaped
        // in the rules' YAML and in their PromQL strings.
        + slo("odd-names", "'team \"a\" \\ checkout'", "service: 'pay\"ments\\v2', client: \"it's\", namespace: 'n\\1'",
        "{duration: 30d, isRolling: true}", "Occurrences", "{target: 0.999}");
    // A latency bound under a millisecond is matched in both spellings of le, by a regular expression.
    String subMillisecond = SloFixtures.LAT_S_FAST_50MS.replace("threshold: 50ms", "threshold: 1ms") + "---\n";
    List<SloSpec> slos = OpenSloParser.parse(folder + subMillisecond
        + SloFixtures.CHECKOUT_WITH_ALERT_POLICIES.replace("checkout-availability", "with-policies"), "slos.yaml");
    assertThat(slos).hasSize(8);
    Path rules = dir.resolve("rules.yml");
    Files.writeString(rules, PrometheusRules.render(slos, AlertPolicy.DEFAULT, Duration.ofMinutes(1)));

    Promtool.assertRulesLoad(rules);
  }
}
