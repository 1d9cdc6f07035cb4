package io.switchyard.flinkjobs.slo.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchyard.model.LatencyBuckets;
import io.switchyard.testing.KubeletVolume;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpenSloParserTest {
  private static final String VALID_FILE = "checkout.yaml";

  private static String slo(String specExtra, String objective, String window, String method) {
    return """
        apiVersion: openslo/v1
        kind: SLO
        metadata:
          name: checkout-availability
        spec:
          service: checkout
        %s  indicator:
            metadata: {name: ok}
            spec:
              ratioMetric:
                counter: true
                good:
                  metricSource:
                    type: switchyard
                    spec: {service: checkout, sli: availability}
                total:
                  metricSource:
                    type: switchyard
                    spec: {service: checkout}
          timeWindow:
            - %s
          budgetingMethod: %s
          objectives:
            - %s
        """.formatted(specExtra, window, method, objective);
  }

  @Test
  void aMountedConfigMapIsReadOnceAndItsHiddenKeysAreSkipped(@TempDir Path tmp) throws Exception {
    Path valid = Path.of("src/test/resources/slo/valid");
    // The kubelet's layout (..data and ..<timestamp> hidden), plus a hidden key: a draft, or an editor's lock file.
    KubeletVolume v = KubeletVolume.mount(tmp.resolve("slo"), Map.of(
        "checkout.yaml", Files.readString(valid.resolve("checkout.yaml")),
        "slis.yaml", Files.readString(valid.resolve("slis.yaml")),
        ".draft.yaml", "not: [an, slo"));

    assertThat(OpenSloParser.readDirectory(v.dir())).extracting(d -> d.spec().name())
        .containsExactlyElementsOf(OpenSloParser.readDirectory(valid).stream().map(d -> d.spec().name()).toList());
  }

  @Test
  void readsAFolderWithInlineAndReferencedIndicators() throws Exception {
    List<OpenSloParser.SloDocument> docs = OpenSloParser.readDirectory(Path.of("src/test/resources/slo/valid"));
    assertThat(docs).hasSize(2);
    SloSpec availability = docs.get(0).spec();
    assertThat(availability.name()).isEqualTo("checkout-availability");
    assertThat(availability.sliKind()).isEqualTo(SloSpec.SliKind.AVAILABILITY);
    assertThat(availability.objective()).isEqualTo(0.999);
    assertThat(availability.window()).isEqualTo(Duration.ofDays(30));
    assertThat(availability.target().key()).isEqualTo("service|trace|checkout");

    SloSpec latency = docs.get(1).spec();
    assertThat(latency.objective()).isEqualTo(0.99);
    assertThat(latency.target().key()).isEqualTo("edge|mesh|productpage->reviews");
    // 300ms rounds down to the bucket bound 0.1 ms x 2^(23/2) = 289.6 ms: counts stay exact.
    assertThat(latency.latencyThreshold().toNanos() / 1e9).isEqualTo(LatencyBuckets.upperBoundSeconds(23), org.assertj.core.data.Offset.offset(1e-9));
    // The published YAML of a referencing SLO carries its SLI, so the job needs nothing else.
    assertThat(OpenSloParser.parse(docs.get(1).yaml(), "published")).singleElement()
        .satisfies(s -> assertThat(s).isEqualTo(new SloSpec(latency.name(), latency.service(), latency.target(), latency.sliKind(),
            latency.latencyThreshold(), latency.objective(), latency.window(), "published", SloSpec.Budgeting.OCCURRENCES)));
  }

  private static void rejected(String yaml, int line, String reason) {
    assertThatThrownBy(() -> OpenSloParser.parse(yaml, VALID_FILE))
        .isInstanceOfSatisfying(SloSpecException.class, e -> {
          assertThat(e.getMessage()).startsWith(VALID_FILE + ":" + line + ": ");
          assertThat(e.reason()).contains(reason);
        });
  }

  @Test
  void unsupportedConstructsAreRejectedWithFileLineAndReason() {
    rejected(slo("", "target: 0.99", "{duration: 28d, isRolling: true}", "Weighted"), 22, "budgetingMethod Weighted is not supported");
    rejected(slo("  alertPolicies: [page]\n", "target: 0.99", "{duration: 28d, isRolling: true}", "Occurrences"), 7,
        "each item must be {alertPolicyRef: NAME} or an inline AlertPolicy");
    rejected(slo("", "target: 1.5", "{duration: 28d, isRolling: true}", "Occurrences"), 24, "up to but not including 1");
    rejected(slo("", "target: 0.99", "{duration: 28x, isRolling: true}", "Occurrences"), 21, "not a duration");
    rejected(slo("", "target: 0.99", "{duration: 28d, isRolling: true}", "Occurrences").replaceFirst("type: switchyard", "type: prometheus"), 14, "metricSource.type must be 'switchyard'");
    rejected("apiVersion: openslo/v1\nkind: Service\nmetadata: {name: x}\nspec: {}\n", 2, "kind Service is not supported");
    rejected("apiVersion: openslo/v1alpha\nkind: SLO\n", 1, "apiVersion must be openslo/v1");
    rejected("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec:\n  service: a\n  indicatorRef: missing\n", 6,
        "no SLI named 'missing'");
    rejected("apiVersion: openslo/v1\nkind: [unclosed\n", 2, "not valid YAML");
    // Too large to count in nanoseconds: a reason, not an arithmetic overflow.
    rejected(slo("", "target: 0.99", ROLLING_28D, "Occurrences").replace("sli: availability}", "sli: latency, threshold: 1000000d}"), 15,
        "above the largest histogram bucket");
  }

  /** Found by OpenSloMutationTest: values the YAML reader refuses or reads as no JSON type had no line. */
  @Test
  void aBinaryValueOrAControlCharacterIsRejectedAtItsLine() {
    rejected("apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: !!binary AAAA\n", 4,
        "not valid YAML: a !!binary value is not supported");
    rejected("apiVersion: openslo/v1\nkind: SLO\n# a com\u0000ment\n", 3,
        "not valid YAML: special characters are not allowed (U+0000)");
    // Jackson's nesting limit (1000) reports no location either.
    rejected("apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: " + "[".repeat(1_200) + "]".repeat(1_200) + "\n", 4,
        "not valid YAML: Document nesting depth (1001) exceeds the maximum allowed");
  }

  /** A key written twice used to keep the last value silently: a copied block could change the target unseen. */
  @Test
  void aKeyWrittenTwiceInOneMappingIsRejectedAtItsSecondLine() {
    rejected(slo("", "target: 0.99\n      target: 0.9", ROLLING_28D, "Occurrences"), 25, "not valid YAML: duplicate key 'target'");
    rejected("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: a, name: b}\n", 3, "not valid YAML: duplicate key 'name'");
    // The same key in sibling mappings is not a duplicate.
    assertThatCode(() -> OpenSloParser.parse(slo("", "target: 0.99", ROLLING_28D, "Occurrences"), VALID_FILE))
        .doesNotThrowAnyException();
  }

  private static final String ROLLING_28D = "{duration: 28d, isRolling: true}";

  @Test
  void aRollingWindowInMonthsQuartersOrYearsIsRejectedAsACalendarLengthNotAsAnInvalidDuration() {
    // OpenSLO's duration-shorthand has M, Q and Y; their length depends on the calendar, so Switchyard takes them for
    // calendar windows only, and says so.
    for (String d : List.of("1M", "1Q", "1Y")) {
      rejected(slo("", "target: 0.99", "{duration: " + d + ", isRolling: true}", "Occurrences"), 21,
          "'" + d + "' is a calendar length (M months, Q quarters, Y years): a rolling window is written in h, d or w, e.g. 30d; "
              + "for calendar periods set isRolling: false and a calendar");
    }
  }

  @Test
  void timeWindowFieldsOutsideTheSpecAreRejectedRatherThanIgnored() {
    // A misspelt calendar would otherwise make a rolling 30-day window of what was meant as calendar periods.
    rejected(slo("", "target: 0.99", "{duration: 30d, calender: {startTime: '2024-01-01 00:00:00', timeZone: UTC}}", "Occurrences"),
        21, "unsupported field calender in a timeWindow; accepted: [calendar, duration, isRolling]");
    rejected(slo("", "target: 0.99", "{duration: 30d, isrolling: false}", "Occurrences"), 21, "unsupported field isrolling in a timeWindow");
    rejected(slo("", "target: 0.99", "{duration: 1M, calendar: {startTime: '2024-01-01 00:00:00', timeZone: UTC, timezone: CET}}",
        "Occurrences"), 21, "unsupported field timezone in a calendar; accepted: [startTime, timeZone]");
  }

  @Test
  void theObjectiveTakesOpenSlosRangeFromZeroUpToButNotIncludingOne() throws Exception {
    // OpenSLO v1: target [0.0, 1.0), targetPercent [0.0, 100). Zero is an SLO any traffic meets: the whole run is budget.
    for (String objective : List.of("target: 0", "targetPercent: 0", "target: 0.0")) {
      SloSpec s = OpenSloParser.parse(slo("", objective, "{duration: 28d, isRolling: true}", "Occurrences"), VALID_FILE).get(0);
      assertThat(s.objective()).as(objective).isEqualTo(0.0);
      assertThat(s.errorBudget()).as(objective).isEqualTo(1.0);
    }
    for (String objective : List.of("target: 1", "targetPercent: 100", "target: -0.1", "targetPercent: -1")) {
      rejected(slo("", objective, "{duration: 28d, isRolling: true}", "Occurrences"), 24,
          "the objective must be from 0 up to but not including 1 (target [0, 1), targetPercent [0, 100))");
    }
  }

  @Test
  void aDescriptionLongerThanOpenSlosLimitIsRefusedWhereverItIs() throws Exception {
    // OpenSLO v1: every description (SLO, SLI, AlertPolicy, AlertCondition, AlertNotificationTarget) holds at most 1050
    // characters.
    String yaml = SloFixtures.CHECKOUT_WITH_ALERT_POLICIES;
    List<java.util.function.Function<String, String>> places = List.of(
        d -> yaml.replaceFirst("  service: checkout\n", "  service: checkout\n  description: " + d + "\n"),
        d -> yaml.replaceFirst("      ratioMetric:\n", "      description: " + d + "\n      ratioMetric:\n"),
        d -> yaml.replace("description: Checkout burns a month's budget in two days", "description: " + d),
        d -> yaml.replace("spec:\n  severity: page", "spec:\n  description: " + d + "\n  severity: page"),
        d -> yaml.replace("description: the checkout on-call", "description: " + d));
    for (java.util.function.Function<String, String> place : places) {
      String longest = place.apply("y".repeat(1050));
      assertThat(longest).contains("y".repeat(1050));
      assertThatCode(() -> OpenSloParser.parse(longest, VALID_FILE)).doesNotThrowAnyException();
      policyRejected(place.apply("z".repeat(1051)), "zzzz", "description holds 1051 characters, more than OpenSLO's 1050");
    }
  }

  @Test
  void aWindowWithNeitherIsRollingNorACalendarIsRefusedRatherThanReadAsRolling() {
    // OpenSLO v1's schema: a timeWindow not marked isRolling: true is calendar-aligned and needs a calendar.
    rejected(slo("", "target: 0.99", "{duration: 30d}", "Occurrences"), 21,
        "a timeWindow needs isRolling: true (a rolling window) or a calendar (calendar periods)");
    rejected(slo("", "target: 0.99", "{duration: 30d, isRolling: 'true'}", "Occurrences"), 21, "isRolling must be true or false");
  }

  @Test
  void aZeroLookbackOrSliceWindowIsRefusedAsEmptyNotAsAMisfitToTheAggregationWindow() {
    // OpenSLO's duration-shorthand is a positive number: 0m is no window (only alertAfter defaults to 0m).
    policyRejected(SloFixtures.CHECKOUT_WITH_ALERT_POLICIES.replace("lookbackWindow: 1h, alertAfter", "lookbackWindow: 0m, alertAfter"),
        "lookbackWindow: 0m", "lookbackWindow must be longer than 0");
    rejected(slo("", "{target: 0.99, timeSliceTarget: 0.9, timeSliceWindow: 0m}", ROLLING_28D, "Timeslices"), 24,
        "timeSliceWindow must be longer than 0");
    rejected(slo("", "{target: 0.99, timeSliceWindow: 0}", ROLLING_28D, "RatioTimeslices"), 24, "timeSliceWindow must be longer than 0");
  }

  @Test
  void objectiveFieldsOutsideTheSubsetAreRejectedRatherThanIgnored() throws Exception {
    // OpenSLO's composite SLOs give each objective its own indicator (and a compositeWeight): evaluating the SLO's
    // indicator against it instead would be another SLO than the one written.
    rejected(slo("", "{target: 0.99, indicatorRef: other-sli}", ROLLING_28D, "Occurrences"), 24,
        "composite SLOs (an objective with its own indicator, indicatorRef or compositeWeight) are not supported");
    rejected(slo("", "{target: 0.99, compositeWeight: 2}", ROLLING_28D, "Occurrences"), 24, "composite SLOs");
    // A misspelt field is not silently dropped.
    rejected(slo("", "{target: 0.99, timeSliceWindw: 5m}", ROLLING_28D, "Occurrences"), 24,
        "unsupported field timeSliceWindw in an objective; accepted: [displayName, target, targetPercent, timeSliceTarget, "
            + "timeSliceWindow]");
    rejected(slo("", "{target: 0.99, op: gte}", ROLLING_28D, "Occurrences"), 24, "objective field op is not supported");
    // OpenSLO's displayName stays accepted.
    assertThat(OpenSloParser.parse(slo("", "{displayName: non-failed, target: 0.99}", ROLLING_28D, "Occurrences"), VALID_FILE))
        .singleElement().satisfies(s -> assertThat(s.objective()).isEqualTo(0.99));
  }

  @Test
  void aTargetPercentIsTheDecimalFractionItWrites() throws Exception {
    Map<String, Double> written = Map.of("99.9", 0.999, "99.95", 0.9995, "99.99", 0.9999, "95", 0.95, "57.3", 0.573);
    for (Map.Entry<String, Double> e : written.entrySet()) {
      SloSpec s = OpenSloParser.parse(slo("", "targetPercent: " + e.getKey(), ROLLING_28D, "Occurrences"), VALID_FILE).get(0);
      assertThat(s.objective()).as(e.getKey()).isEqualTo(e.getValue());
    }
  }

  @Test
  void timeslicesAreReadWithTheirSliceTargetAndWindow() throws Exception {
    SloSpec s = OpenSloParser.parse(slo("", "{target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: 5m}", ROLLING_28D, "Timeslices"),
        VALID_FILE).get(0);
    assertThat(s.budgeting()).isEqualTo(SloSpec.Budgeting.timeslices(0.95, Duration.ofMinutes(5)));
    // OpenSLO: a bare number is minutes.
    assertThat(OpenSloParser.parse(slo("", "{target: 0.99, timeSliceTarget: 1, timeSliceWindow: 10}", ROLLING_28D, "Timeslices"),
        VALID_FILE).get(0).budgeting().sliceWindow()).isEqualTo(Duration.ofMinutes(10));
    // A job aggregating over 2 minutes accepts 4-minute slices.
    assertThat(OpenSloParser.parse(slo("", "{target: 0.99, timeSliceTarget: 0.9, timeSliceWindow: 4m}", ROLLING_28D, "Timeslices"),
        VALID_FILE, Duration.ofMinutes(2)).get(0).budgeting().sliceWindow()).isEqualTo(Duration.ofMinutes(4));
    assertThat(OpenSloParser.parse(slo("", "target: 0.99", ROLLING_28D, "Occurrences"), VALID_FILE).get(0).budgeting())
        .isEqualTo(SloSpec.Budgeting.OCCURRENCES);
  }

  @Test
  void timeslicesThatCannotBeCountedExactlyAreRejectedWithFileLineAndReason() {
    rejected(slo("", "{target: 0.99, timeSliceTarget: 0.9, timeSliceWindow: 90s}", ROLLING_28D, "Timeslices"), 24,
        "timeSliceWindow 90s is not a whole multiple of the job's aggregation window 1m");
    assertThatThrownBy(() -> OpenSloParser.parse(slo("", "{target: 0.99, timeSliceTarget: 0.9, timeSliceWindow: 5m}", ROLLING_28D,
        "Timeslices"), VALID_FILE, Duration.ofMinutes(2)))
        .hasMessageStartingWith(VALID_FILE + ":24: ").hasMessageContaining("not a whole multiple of the job's aggregation window 2m");
    rejected(slo("", "{target: 0.99, timeSliceTarget: 0.9, timeSliceWindow: 7m}", "{duration: 1d, isRolling: true}", "Timeslices"),
        21, "must be a whole multiple (more than one) of timeSliceWindow 7m");
    rejected(slo("", "{target: 0.99, timeSliceWindow: 5m}", ROLLING_28D, "Timeslices"), 24, "needs timeSliceTarget");
    rejected(slo("", "{target: 0.99, timeSliceTarget: 0.9}", ROLLING_28D, "Timeslices"), 24, "needs timeSliceWindow");
    rejected(slo("", "{target: 0.99, timeSliceTarget: 1.5, timeSliceWindow: 5m}", ROLLING_28D, "Timeslices"), 24,
        "timeSliceTarget must be in (0, 1]");
    rejected(slo("", "{target: 0.99, timeSliceTarget: 0.9, timeSliceWindow: 5m}", ROLLING_28D, "Occurrences"), 24,
        "timeSliceTarget belongs to budgetingMethod Timeslices");
  }

  @Test
  void alertPoliciesAreReadByReferenceAndInlineAndPublishedWithTheirDocuments() throws Exception {
    List<OpenSloParser.SloDocument> docs = OpenSloParser.parseAll(Map.of("checkout.yaml", SloFixtures.CHECKOUT_WITH_ALERT_POLICIES));
    SloSpec s = docs.get(0).spec();
    assertThat(s.alertPolicies()).containsExactly(
        new PolicyAlert("checkout-fast-burn", "fast-burn", "page", PolicyAlert.Op.GTE, 14.4, Duration.ofHours(1),
            Duration.ofMinutes(5), true, false, true, List.of("oncall"), "Checkout burns a month's budget in two days"),
        new PolicyAlert("checkout-slow-burn", "slow-burn", "ticket", PolicyAlert.Op.GT, 1, Duration.ofHours(6), Duration.ZERO,
            true, false, true, List.of("team-queue"), ""));
    // The policies replace the job's windows: one window each, the threshold as written.
    assertThat(AlertPolicy.DEFAULT.alerts(s, Duration.ofMinutes(1))).extracting(a -> a.name() + " " + a.longWindow() + "/"
        + a.shortWindow() + " " + a.threshold()).containsExactly("checkout-fast-burn PT1H/PT1H 14.4", "checkout-slow-burn PT6H/PT6H 1.0");
    // The published YAML carries the policy, condition and target documents: the job reads it alone.
    assertThat(OpenSloParser.parse(docs.get(0).yaml(), "published")).singleElement()
        .satisfies(p -> assertThat(p.alertPolicies()).isEqualTo(s.alertPolicies()));
    assertThat(docs.get(0).yaml()).contains("kind: \"AlertCondition\"", "kind: \"AlertNotificationTarget\"");
    // OpenSLO's README examples leave op and kind out: burnrate, gte.
    String bare = SloFixtures.CHECKOUT_WITH_ALERT_POLICIES.replace("{kind: burnrate, op: gte, threshold: 14.4", "{threshold: 14.4");
    assertThat(OpenSloParser.parse(bare, "bare.yaml").get(0).alertPolicies().get(0).op()).isEqualTo(PolicyAlert.Op.GTE);
  }

  @Test
  void aPolicyThatAlertsOnlyWhenNoDataIsReadWithBreachingOff() throws Exception {
    // OpenSLO's three switches are independent: breaching off and no data on is an alert for a feed gone quiet.
    String noDataOnly = SloFixtures.CHECKOUT_WITH_ALERT_POLICIES.replace(
        "alertWhenNoData: false\n  alertWhenResolved: true\n  alertWhenBreaching: true",
        "alertWhenNoData: true\n  alertWhenResolved: true\n  alertWhenBreaching: false");
    assertThat(noDataOnly).isNotEqualTo(SloFixtures.CHECKOUT_WITH_ALERT_POLICIES);
    PolicyAlert p = OpenSloParser.parse(noDataOnly, "checkout.yaml").get(0).alertPolicies().get(0);
    assertThat(p.alertWhenBreaching()).isFalse();
    assertThat(p.alertWhenNoData()).isTrue();
    assertThat(OpenSloParser.parse(SloFixtures.CHECKOUT_WITH_ALERT_POLICIES, "checkout.yaml").get(0).alertPolicies())
        .allMatch(PolicyAlert::alertWhenBreaching);
  }

  @Test
  void alertPoliciesOutsideTheSubsetAreRejectedWithFileLineAndReason() {
    String yaml = SloFixtures.CHECKOUT_WITH_ALERT_POLICIES;
    policyRejected(yaml.replace("alertPolicyRef: checkout-fast-burn", "alertPolicyRef: nope"), "alertPolicyRef: nope",
        "no AlertPolicy named 'nope' in the files read");
    policyRejected(yaml.replace("conditions: [{conditionRef: fast-burn}]", "conditions: [{conditionRef: fast-burn}, {conditionRef: fast-burn}]"),
        "conditions: [{conditionRef", "conditions must list exactly one condition");
    policyRejected(yaml.replace("{kind: burnrate, op: gte", "{kind: ratio, op: gte"), "kind: ratio", "condition kind ratio is not supported");
    policyRejected(yaml.replace("op: gte", "op: ge"), "op: ge", "op must be one of gt, gte, lt, lte, got 'ge'");
    policyRejected(yaml.replace("threshold: 14.4, ", ""), "condition: {kind: burnrate, op: gte", "needs threshold");
    policyRejected(yaml.replace("threshold: 14.4", "threshold: 0"), "threshold: 0", "threshold must be a burn-rate factor above 0");
    policyRejected(yaml.replace("lookbackWindow: 1h, alertAfter", "lookbackWindow: 90s, alertAfter"), "lookbackWindow: 90s",
        "lookbackWindow 90s is not a whole multiple of the job's aggregation window 1m");
    policyRejected(yaml.replace("lookbackWindow: 1h, alertAfter", "lookbackWindow: 31d, alertAfter"), "duration: 30d",
        "alert checkout-fast-burn (an AlertPolicy) looks back 31d, longer than the SLO window 30d");
    policyRejected(yaml.replace("alertWhenBreaching: true\n  conditions", "alertWhenBreaching: false\n  conditions"),
        "alertWhenBreaching: false", "alertWhenBreaching: false with alertWhenNoData false never fires");
    policyRejected(yaml.replace("notificationTargets: [{targetRef: oncall}]", "notificationTargets: []"), "notificationTargets: []",
        "notificationTargets must list at least one");
    policyRejected(yaml.replace("metadata: {name: team-queue}", "metadata: {name: team-queue}\n            labels: {}"),
        "labels: {}", "unsupported field labels in an inline AlertNotificationTarget");
    policyRejected(yaml.replace("spec: {target: jira}", "spec: {target: jira, url: x}"), "url: x",
        "unsupported field url in an AlertNotificationTarget");
    policyRejected(yaml.replace("- kind: AlertCondition", "- kind: SLO"), "- kind: SLO",
        "or an inline AlertCondition with kind: AlertCondition, got kind SLO");
    policyRejected(yaml.replace("kind: AlertNotificationTarget\nmetadata", "kind: DataSource\nmetadata"), "kind: DataSource",
        "kind DataSource is not supported");
  }

  /** {@code yaml} is refused at the first line containing {@code at}, for {@code reason}. */
  private static void policyRejected(String yaml, String at, String reason) {
    String[] lines = yaml.split("\n", -1);
    int line = 0;
    for (int i = 0; i < lines.length && line == 0; i++) {
      if (lines[i].contains(at)) {
        line = i + 1;
      }
    }
    assertThat(line).as("'%s' in the YAML", at).isPositive();
    rejected(yaml, line, reason);
  }

  @Test
  void ratioTimeslicesAreReadWithTheirSliceWindowAndNoSliceTarget() throws Exception {
    SloSpec s = OpenSloParser.parse(slo("", "{target: 0.99, timeSliceWindow: 5m}", ROLLING_28D, "RatioTimeslices"), VALID_FILE).get(0);
    assertThat(s.budgeting()).isEqualTo(SloSpec.Budgeting.ratioTimeslices(Duration.ofMinutes(5)));
    assertThat(s.budgeting().sliced()).isTrue();
    rejected(slo("", "{target: 0.99, timeSliceTarget: 0.9, timeSliceWindow: 5m}", ROLLING_28D, "RatioTimeslices"), 24,
        "RatioTimeslices has no timeSliceTarget");
    rejected(slo("", "{target: 0.99}", ROLLING_28D, "RatioTimeslices"), 24, "budgetingMethod RatioTimeslices needs timeSliceWindow");
    rejected(slo("", "{target: 0.99, timeSliceWindow: 90s}", ROLLING_28D, "RatioTimeslices"), 24,
        "timeSliceWindow 90s is not a whole multiple of the job's aggregation window 1m");
  }

  @Test
  void prometheusRulesForTimeslicesCountBadSlicesAlignedToTheSlice() throws Exception {
    List<SloSpec> slos = OpenSloParser.parseAll(Map.of("a.yaml",
        slo("", "{target: 0.999, timeSliceTarget: 0.95, timeSliceWindow: 10m}", "{duration: 30d, isRolling: true}", "Timeslices")))
        .stream().map(OpenSloParser.SloDocument::spec).toList();
    String rules = PrometheusRules.render(slos, AlertPolicy.DEFAULT, Duration.ofMinutes(1));
    // One point per 10-minute slice; a slice is bad above 5 % errors; no requests = good.
    assertThat(rules).contains("avg_over_time(((sum(rate(traces_service_graph_request_failed_total{server=\"checkout\"}[10m]))"
        + " / sum(rate(traces_service_graph_request_total{server=\"checkout\"}[10m]))) > bool 0.05 or on() vector(0))[3599999ms:10m])");
    // The 5m short window is one slice: 10m. 14.4 x 0.001 for the 1h page window.
    assertThat(rules).contains("record: slo:sli_error:ratio_rate10m", "record: slo:sli_error:ratio_rate30d")
        .doesNotContain("ratio_rate5m")
        .contains("slo:sli_error:ratio_rate10m{sloth_id=\"checkout-availability\"} > 0.0144) without (sloth_window) and");
    assertThat(new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
        .readTree(rules).at("/groups/0/rules").size()).isGreaterThan(8);
  }

  @Test
  void prometheusRulesOfAMeshSloSelectOnlyLabelsTheTopologyApisSeriesHave() throws Exception {
    String yaml = slo("", "target: 0.999", "{duration: 30d, isRolling: true}", "Occurrences")
        .replace("spec: {service: checkout, sli: availability}", "spec: {service: checkout, sli: availability, source: mesh}")
        .replace("spec: {service: checkout}", "spec: {service: checkout, source: mesh}");
    List<SloSpec> slos = OpenSloParser.parseAll(Map.of("a.yaml", yaml)).stream().map(OpenSloParser.SloDocument::spec).toList();
    assertThat(slos.get(0).target().source()).isEqualTo("mesh");
    String rules = PrometheusRules.render(slos, AlertPolicy.DEFAULT, Duration.ofMinutes(1));
    // /metrics has client, server and connection_type labels only (one figure per hop, mesh preferred).
    assertThat(rules).contains("traces_service_graph_request_failed_total{server=\"checkout\"}[1h]").doesNotContain("source=");
  }

  @Test
  void goodAndTotalMustNameTheSameTarget() {
    String yaml = slo("", "target: 0.99", "{duration: 28d, isRolling: true}", "Occurrences")
        .replace("spec: {service: checkout}", "spec: {service: payments}");
    rejected(yaml, 19, "good and total must name the same");
  }

  @Test
  void prometheusRulesScaleThresholdsWithTheSloWindow() throws Exception {
    List<SloSpec> slos = OpenSloParser.parseAll(Map.of("a.yaml",
        slo("", "target: 0.999", "{duration: 30d, isRolling: true}", "Occurrences"))).stream().map(OpenSloParser.SloDocument::spec).toList();
    String rules = PrometheusRules.render(slos, AlertPolicy.DEFAULT, Duration.ofMinutes(1));
    assertThat(rules).contains("record: slo:sli_error:ratio_rate5m", "record: slo:sli_error:ratio_rate30d",
        "traces_service_graph_request_failed_total{server=\"checkout\"}[1h]", "alert: SwitchyardSloBurnRatePage",
        "alert: SwitchyardSloBurnRateTicket");
    // 14.4 x 0.001 budget for the 1h/5m page window of a 30-day SLO.
    assertThat(rules).contains("slo:sli_error:ratio_rate5m{sloth_id=\"checkout-availability\"} > 0.0144) without (sloth_window) and");
    // Valid YAML that a rules loader can read back.
    assertThat(new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
        .readTree(rules).at("/groups/0/rules").size()).isGreaterThan(8);
  }

  @Test
  void alertThresholdsFollowTheBudgetFraction() {
    assertThat(AlertWindow.DEFAULTS).extracting(a -> Math.round(a.threshold(Duration.ofDays(30)) * 100) / 100.0)
        .containsExactly(14.4, 6.0, 3.0, 1.0);
    assertThat(AlertWindow.DEFAULTS.get(0).threshold(Duration.ofDays(28))).isEqualTo(13.44, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(AlertWindow.parseList("page:2h/10m:0.05")).singleElement()
        .satisfies(a -> assertThat(a.threshold(Duration.ofDays(30))).isEqualTo(18.0, org.assertj.core.data.Offset.offset(1e-9)));
    assertThat(AlertWindow.DEFAULTS.get(0).effectiveShortWindow(Duration.ofMinutes(10))).isEqualTo(Duration.ofMinutes(10));
  }

  private static SloSpec calendar(String window, String objective, String method) throws Exception {
    return OpenSloParser.parse(slo("", objective, window, method), VALID_FILE).get(0);
  }

  private static long utc(String isoInstant) {
    return java.time.Instant.parse(isoInstant).toEpochMilli();
  }

  @Test
  void calendarWindowsAreReadAsPeriodsOfTheirLengthInTheirZone() throws Exception {
    SloSpec monthly = calendar("{duration: 1M, isRolling: false, calendar: {startTime: '2024-01-01 00:00:00', timeZone: Europe/Berlin}}",
        "target: 0.999", "Occurrences");
    assertThat(monthly.calendar()).isNotNull();
    assertThat(monthly.windowText()).isEqualTo("1M");
    assertThat(monthly.window()).isEqualTo(Duration.ofDays(30)); // what the alert thresholds scale with
    assertThat(monthly.longestWindow()).isEqualTo(Duration.ofDays(31).plusHours(1)); // what the job keeps
    // February 2024 in Berlin (UTC+1): from its first local midnight to March's.
    assertThat(monthly.calendar().period(utc("2024-02-15T12:00:00Z")))
        .containsExactly(utc("2024-01-31T23:00:00Z"), utc("2024-02-29T23:00:00Z"));
    // April, after the clocks went forward (UTC+2); its last window, ending at its end, is still April's.
    assertThat(monthly.calendar().period(utc("2024-04-30T22:00:00Z")))
        .containsExactly(utc("2024-03-31T22:00:00Z"), utc("2024-04-30T22:00:00Z"));
    // Before the start time the periods run back the same way.
    assertThat(monthly.calendar().period(utc("2023-12-01T00:00:00Z")))
        .containsExactly(utc("2023-11-30T23:00:00Z"), utc("2023-12-31T23:00:00Z"));

    // isRolling may be left out next to a calendar (OpenSLO's default then is false); weeks start on the start's weekday.
    // OpenSLO writes the start time unquoted: YAML reads it as text.
    SloSpec weekly = calendar("{duration: 1w, calendar: {startTime: 2024-01-01 00:00:00, timeZone: UTC}}", "target: 0.99",
        "Occurrences");
    assertThat(weekly.calendar().period(utc("2024-01-10T00:00:00Z")))
        .containsExactly(utc("2024-01-08T00:00:00Z"), utc("2024-01-15T00:00:00Z"));
    // A month from the 31st: each period counted from the start, so March starts on the 31st again after February's 29th.
    SloSpec fromThe31st = calendar("{duration: 1M, isRolling: false, calendar: {startTime: '2024-01-31 00:00:00', timeZone: UTC}}",
        "target: 0.99", "Occurrences");
    assertThat(fromThe31st.calendar().period(utc("2024-03-15T00:00:00Z")))
        .containsExactly(utc("2024-02-29T00:00:00Z"), utc("2024-03-31T00:00:00Z"));

    // Hourly slices in a zone whose clocks move by whole hours.
    SloSpec slices = calendar("{duration: 1Q, isRolling: false, calendar: {startTime: '2024-01-01 00:00:00', timeZone: Europe/Berlin}}",
        "{target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: 1h}", "Timeslices");
    assertThat(slices.window()).isEqualTo(Duration.ofDays(90));
    assertThat(slices.budgeting().sliceWindow()).isEqualTo(Duration.ofHours(1));

    // A year from March 1st in Berlin: a leap year's period holds its 29th of February; the alerts scale with 365 days.
    SloSpec yearly = calendar("{duration: 1Y, isRolling: false, calendar: {startTime: '2023-03-01 00:00:00', timeZone: Europe/Berlin}}",
        "target: 0.999", "Occurrences");
    assertThat(yearly.window()).isEqualTo(Duration.ofDays(365));
    assertThat(yearly.windowText()).isEqualTo("1Y");
    long[] p = yearly.calendar().period(utc("2024-02-29T12:00:00Z"));
    assertThat(p).containsExactly(utc("2023-02-28T23:00:00Z"), utc("2024-02-29T23:00:00Z"));
    assertThat(Duration.ofMillis(p[1] - p[0])).isEqualTo(Duration.ofDays(366));
    assertThat(calendar("{duration: 4Q, calendar: {startTime: '2024-01-01 00:00:00', timeZone: UTC}}", "target: 0.999", "Occurrences")
        .calendar().period(utc("2025-06-01T00:00:00Z"))).containsExactly(utc("2025-01-01T00:00:00Z"), utc("2026-01-01T00:00:00Z"));
  }

  @Test
  void calendarWindowsTheJobCannotCountExactlyAreRejectedWithFileLineAndReason() {
    String berlin = "calendar: {startTime: '2024-01-01 00:00:00', timeZone: Europe/Berlin}";
    rejected(slo("", "target: 0.99", "{duration: 2Y, isRolling: false, " + berlin + "}", "Occurrences"), 21,
        "calendar windows from 1h to a year (1Y, 4Q, 12M, 52w or 366d) are supported, got 2Y");
    rejected(slo("", "target: 0.99", "{duration: 13M, isRolling: false, " + berlin + "}", "Occurrences"), 21, "got 13M");
    rejected(slo("", "target: 0.99", "{duration: 367d, isRolling: false, " + berlin + "}", "Occurrences"), 21, "got 367d");
    rejected(slo("", "target: 0.99", "{duration: 1M, isRolling: true, " + berlin + "}", "Occurrences"), 21,
        "a rolling window (isRolling: true) has no calendar");
    rejected(slo("", "target: 0.99", "{duration: 1M, isRolling: false}", "Occurrences"), 21,
        "a calendar window (isRolling: false) needs calendar.startTime and calendar.timeZone");
    rejected(slo("", "target: 0.99", "{duration: 1M, calendar: {startTime: '2024-01-01', timeZone: UTC}}", "Occurrences"), 21,
        "startTime '2024-01-01' is not a local date and time like 2024-01-01 00:00:00");
    rejected(slo("", "target: 0.99", "{duration: 1M, calendar: {startTime: '2024-01-01 00:00:00', timeZone: Mars/Olympus}}",
        "Occurrences"), 21, "timeZone 'Mars/Olympus' is not a time zone of the IANA database");
    rejected(slo("", "target: 0.99", "{duration: 1d, calendar: {startTime: '2024-01-01 00:00:30', timeZone: UTC}}", "Occurrences"),
        21, "does not start on a whole aggregation window of the job (1m)");
    // India is 5h30 ahead of UTC: its midnights are not on whole UTC hours, where the job's hourly slices end.
    rejected(slo("", "{target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: 1h}",
        "{duration: 1M, calendar: {startTime: '2024-01-01 00:00:00', timeZone: Asia/Kolkata}}", "Timeslices"), 21,
        "does not start on a whole timeSliceWindow (1h)");
  }

  @Test
  void prometheusRulesOfACalendarSloKeepTheAlertsAndLeaveOutThePeriod() throws Exception {
    SloSpec monthly = calendar("{duration: 1M, calendar: {startTime: '2024-01-01 00:00:00', timeZone: UTC}}", "target: 0.999",
        "Occurrences");
    String rules = PrometheusRules.render(List.of(monthly), AlertPolicy.DEFAULT, Duration.ofMinutes(1));
    // The 30-day workbook windows and factors, as for a 30-day rolling SLO ...
    assertThat(rules).contains("slo:sli_error:ratio_rate1h", "slo:sli_error:ratio_rate5m", "SwitchyardSloBurnRatePage",
        "SwitchyardSloBurnRateTicket", "record: slo:time_period:days");
    // ... but no rolling stand-in for the calendar period.
    assertThat(rules).doesNotContain("slo:sli_error:ratio_rate30d", "slo:period_burn_rate:ratio",
        "slo:period_error_budget_remaining:ratio");
    assertThat(rules).contains("# checkout-availability: calendar periods of 1M from 2024-01-01T00:00 UTC: no period rules");
  }
}
