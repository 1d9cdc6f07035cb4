package io.switchyard.flinkjobs.slo.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * OpenSLO's own v1 example and schema-test files (src/test/resources/slo/openslo-spec, see its README for where each
 * comes from), each read as a folder of its own: accepted with the meaning the spec gives it, or refused at the line
 * of the part Switchyard does not take, with a reason naming it. None may be accepted with another meaning or crash.
 */
class OpenSloSpecCasesTest {
  private static final Path ROOT = Path.of("src/test/resources/slo/openslo-spec");
  private static final String LIST = "a YAML list of objects is not read: write each object as a YAML document of its own "
      + "(apiVersion, kind, metadata, spec), separated by ---";

  /** file, then for a refusal the line and a part of the reason; accepted files (no SLO of their own) have none. */
  static Stream<Arguments> cases() {
    return Stream.of(
        refused("examples/budgeting-method/occurences-slo.yaml", 15, "SLI thresholdMetric is not supported"),
        refused("examples/budgeting-method/ratio-timeslices.yaml", 18, "metricSource.type must be 'switchyard', got 'Any'"),
        refused("examples/budgeting-method/timeslices-slo.yaml", 18, "metricSource.type must be 'switchyard', got 'Any'"),
        refused("examples/treat-low-traffic-as-equally-important/timeslices-slo.yaml", 16,
            "metricSource.type must be 'switchyard', got 'Any'"),
        // The Go SDK's examples are YAML lists of objects, a form OpenSLO's README does not define: refused as such.
        refused("pkg-v1-examples/alert_conditions.yaml", 1, LIST),
        refused("pkg-v1-examples/alert_notification_targets.yaml", 1, LIST),
        refused("pkg-v1-examples/alert_policies.yaml", 1, LIST),
        refused("pkg-v1-examples/data_sources.yaml", 1, LIST),
        refused("pkg-v1-examples/services.yaml", 1, LIST),
        refused("pkg-v1-examples/slis.yaml", 1, LIST),
        refused("pkg-v1-examples/slos.yaml", 1, LIST),
        // schema_test.go: valid.
        accepted("schema-test-v1/alert-condition/alert-condition.yaml"),
        accepted("schema-test-v1/alert-condition/alert-condition-no-description.yaml"),
        accepted("schema-test-v1/alert-notification-target/alert-notification-target.yaml"),
        accepted("schema-test-v1/alert-notification-target/alert-notification-target-no-description.yaml"),
        // schema_test.go: invalid (no condition, no severity, no target), whether or not a policy names them.
        refused("schema-test-v1/alert-condition/alert-condition-no-condition.yaml", 6, "a condition needs condition as a mapping"),
        refused("schema-test-v1/alert-condition/alert-condition-no-sev.yaml", 6, "spec.severity is required"),
        refused("schema-test-v1/alert-notification-target/alert-notification-target-no-target.yaml", 5, "spec.target is required"),
        // Valid for the schema, but its condition item carries an `operator` OpenSLO's README does not define.
        refused("schema-test-v1/alert-policy/alert-policy.yaml", 12, "an item with conditionRef has nothing else"),
        refused("schema-test-v1/alert-policy/alert-policy-many-notificationref.yaml", 12, "an item with conditionRef has nothing else"),
        refused("schema-test-v1/alert-policy/alert-policy-inline-cond.yaml", 25,
            "no AlertNotificationTarget named 'on-call-devops-mail-notification'"),
        // schema_test.go: invalid.
        refused("schema-test-v1/alert-policy/alert-policy-malformed-cond.yaml", 12,
            "each item must be {conditionRef: NAME} or an inline AlertCondition"),
        refused("schema-test-v1/alert-policy/alert-policy-malformed-targetref.yaml", 12, "an item with conditionRef has nothing else"),
        refused("schema-test-v1/alert-policy/alert-policy-many-cond.yaml", 11, "conditions must list exactly one condition"),
        refused("schema-test-v1/alert-policy/alert-policy-no-cond.yaml", 6, "conditions must list exactly one condition"),
        refused("schema-test-v1/alert-policy/alert-policy-no-notification.yaml", 12, "an item with conditionRef has nothing else"),
        refused("schema-test-v1/data-source/data-source.yaml", 2, "kind DataSource is not supported"),
        refused("schema-test-v1/invalid-apiversion.yaml", 1, "apiVersion must be openslo/v1, got 'openslo/v1alpha'"),
        refused("schema-test-v1/service/service.yaml", 2, "kind Service is not supported"),
        refused("schema-test-v1/service/service-long-description.yaml", 2, "kind Service is not supported"),
        refused("schema-test-v1/service/service-no-displayname.yaml", 2, "kind Service is not supported"),
        // SLI files: checked whether or not an SLO names them; none is a ratio of Switchyard's metrics. The last one,
        // good and bad together, is one OpenSLO's README forbids ("If good is defined then bad must not be set").
        refused("schema-test-v1/sli/sli-description-ratio-bad-inline-metricsource.yaml", 10, "ratioMetric.bad is not supported"),
        refused("schema-test-v1/sli/sli-description-ratio-bad-metricsourceref.yaml", 10, "ratioMetric.bad is not supported"),
        refused("schema-test-v1/sli/sli-description-ratio-good-inline-metricsource.yaml", 12, "metricSource.type must be 'switchyard', got 'Redshift'"),
        refused("schema-test-v1/sli/sli-description-ratio-good-metricsourceref.yaml", 13, "metricSourceRef (DataSource documents) is not supported"),
        refused("schema-test-v1/sli/sli-description-ratio-inline-metricsource.yaml", 20, "ratioMetric.bad is not supported"),
        refused("schema-test-v1/sli/sli-description-threshold-inline-metricsource.yaml", 8, "SLI thresholdMetric is not supported"),
        refused("schema-test-v1/sli/sli-description-threshold-metricsourceref.yaml", 8, "SLI thresholdMetric is not supported"),
        refused("schema-test-v1/sli/sli-no-description-ratio-bad-inline-metricsource.yaml", 9, "ratioMetric.bad is not supported"),
        refused("schema-test-v1/sli/sli-no-description-ratio-bad-metricsourceref.yaml", 9, "ratioMetric.bad is not supported"),
        refused("schema-test-v1/sli/sli-no-description-ratio-good-inline-metricsource.yaml", 11, "metricSource.type must be 'switchyard', got 'Redshift'"),
        refused("schema-test-v1/sli/sli-no-description-ratio-good-metricsourceref.yaml", 12, "metricSourceRef (DataSource documents) is not supported"),
        refused("schema-test-v1/sli/sli-no-description-threshold-inline-metricsource.yaml", 7, "SLI thresholdMetric is not supported"),
        refused("schema-test-v1/sli/sli-no-description-threshold-metricsourceref.yaml", 7, "SLI thresholdMetric is not supported"),
        refused("schema-test-v1/sli/sli-ratio-good-and-bad.yaml", 10, "ratioMetric.bad is not supported"),
        // SLO files: each refers to an SLI, a DataSource or a metric source Switchyard does not have.
        refused("schema-test-v1/slo/slo-indicatorref-calendar-alerts.yaml", 9, "no SLI named 'indicator-ref-string'"),
        refused("schema-test-v1/slo/slo-indicatorref-calendar-no-alerts.yaml", 9, "no SLI named 'indicator-ref-string'"),
        refused("schema-test-v1/slo/slo-indicatorref-rolling-alerts.yaml", 9, "no SLI named 'indicator-ref-string'"),
        refused("schema-test-v1/slo/slo-indicatorref-rolling-no-alerts.yaml", 9, "no SLI named 'indicator-ref-string'"),
        refused("schema-test-v1/slo/slo-no-indicatorref-calendar-alerts.yaml", 18, "metricSourceRef (DataSource documents) is not"),
        refused("schema-test-v1/slo/slo-no-indicatorref-calendar-no-alerts.yaml", 18, "metricSourceRef (DataSource documents) is not"),
        refused("schema-test-v1/slo/slo-no-indicatorref-rolling-alerts.yaml", 18, "metricSourceRef (DataSource documents) is not"),
        refused("schema-test-v1/slo/slo-no-indicatorref-rolling-no-alerts.yaml", 18, "metricSourceRef (DataSource documents) is not"));
  }

  private static Arguments refused(String file, int line, String reason) {
    return Arguments.of(file, line, reason);
  }

  private static Arguments accepted(String file) {
    return Arguments.of(file, 0, null);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void eachUpstreamFileIsAcceptedAsTheSpecMeansItOrRefusedAtTheUnsupportedPart(String file, int line, String reason)
      throws IOException {
    Map<String, String> folder = Map.of(file, Files.readString(ROOT.resolve(file)));
    if (reason == null) {
      assertThat(parse(folder)).isEmpty();
      return;
    }
    SloSpecException e = catchThrowableOfType(() -> OpenSloParser.parseAll(folder), SloSpecException.class);
    assertThat(e).as("refused, not accepted or crashed").isNotNull();
    assertThat(e.file()).isEqualTo(file);
    assertThat(e.line()).isEqualTo(line);
    assertThat(e.reason()).contains(reason);
  }

  @Test
  void everyCopiedFileHasACase() throws IOException {
    try (Stream<Path> files = Files.walk(ROOT)) {
      List<String> copied = files.filter(f -> f.toString().endsWith(".yaml")).map(f -> ROOT.relativize(f).toString()).sorted().toList();
      assertThat(cases().map(a -> (String) a.get()[0]).sorted().toList()).isEqualTo(copied);
    }
  }

  /**
   * OpenSLO's RatioTimeslices example with only its metric sources made Switchyard's (and the objective's op, which
   * OpenSLO keeps for threshold metrics, dropped): read as a 2-week rolling mean of 1-minute slice ratios against 0.99.
   */
  @Test
  void theRatioTimeslicesExampleOnSwitchyardMetricsMeansTheMeanOfOneMinuteSliceRatiosOverTwoWeeks() throws Exception {
    SloSpec slo = onSwitchyardMetrics("examples/budgeting-method/ratio-timeslices.yaml");

    assertThat(slo.name()).isEqualTo("main-page");
    assertThat(slo.window()).isEqualTo(Duration.ofDays(14));
    assertThat(slo.calendar()).isNull();
    assertThat(slo.budgeting()).isEqualTo(SloSpec.Budgeting.ratioTimeslices(Duration.ofMinutes(1)));
    assertThat(slo.objective()).isEqualTo(0.99);
    assertThat(slo.sliKind()).isEqualTo(SloSpec.SliKind.AVAILABILITY);
  }

  /**
   * OpenSLO's low-traffic Timeslices example, adapted the same way: calendar weeks from 2022-01-01 12:00 New York time
   * (isRolling: false), a 1-minute slice good at 95 %, 99.95 % of slices good.
   */
  @Test
  void theLowTrafficTimeslicesExampleOnSwitchyardMetricsMeansCalendarWeeksOfOneMinuteSlicesGoodAtNinetyFivePercent()
      throws Exception {
    SloSpec slo = onSwitchyardMetrics("examples/treat-low-traffic-as-equally-important/timeslices-slo.yaml");

    assertThat(slo.name()).isEqualTo("service-availability");
    assertThat(slo.calendar()).isEqualTo(new CalendarWindow(1, CalendarWindow.Unit.of("w"),
        java.time.LocalDateTime.of(2022, 1, 1, 12, 0), java.time.ZoneId.of("America/New_York"), "1w"));
    assertThat(slo.window()).isEqualTo(Duration.ofDays(7));
    assertThat(slo.budgeting()).isEqualTo(SloSpec.Budgeting.timeslices(0.95, Duration.ofMinutes(1)));
    assertThat(slo.objective()).isEqualTo(0.9995);
  }

  /** The upstream file with its two "type: Any" metric sources made web-shop's availability, and no objective op. */
  private static SloSpec onSwitchyardMetrics(String file) throws IOException {
    String text = Files.readString(ROOT.resolve(file));
    java.util.regex.Pattern any = java.util.regex.Pattern.compile("type: Any[^\\n]*\\n(\\s*)spec:[^\\n]*\\n\\s*query: Any[^\\n]*");
    assertThat(any.matcher(text).results().count()).as("good's and total's metric sources").isEqualTo(2);
    String adapted = any.matcher(text).replaceFirst("type: switchyard\n$1spec: {service: web-shop, sli: availability}");
    adapted = any.matcher(adapted).replaceFirst("type: switchyard\n$1spec: {service: web-shop}");
    adapted = adapted.replaceFirst("\\n\\s*op: gt\\n", "\n");
    return parse(Map.of(file, adapted)).get(0).spec();
  }

  private static List<OpenSloParser.SloDocument> parse(Map<String, String> folder) {
    try {
      return OpenSloParser.parseAll(folder);
    } catch (SloSpecException e) {
      throw new AssertionError("refused: " + e.getMessage(), e);
    }
  }
}
