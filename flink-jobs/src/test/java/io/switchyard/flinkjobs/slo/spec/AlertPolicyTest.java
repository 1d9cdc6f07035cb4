package io.switchyard.flinkjobs.slo.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** Effective alert windows and thresholds per SLO window, against hand-computed tables. */
class AlertPolicyTest {
  private static final Duration MINUTE = Duration.ofMinutes(1);

  /** The checkout SLO over {@code window}; its timeWindow is on line 13. */
  static SloSpec slo(String window) throws SloSpecException {
    return OpenSloParser.parse(yaml(window), "a.yaml", MINUTE, new AlertPolicy(AlertWindow.DEFAULTS, true)).get(0);
  }

  static String yaml(String window) {
    return SloFixtures.CHECKOUT_AVAILABILITY.replace("{duration: 30d,", "{duration: " + window + ",");
  }

  /** The checkout SLO over {@code window} with another objective. */
  static SloSpec slo(String window, double objective) throws SloSpecException {
    return OpenSloParser.parse(yaml(window).replace("objectives: [{target: 0.999}]", "objectives: [{target: " + objective + "}]"),
        "a.yaml").get(0);
  }

  /** "name long/short threshold" per alert, thresholds to 4 significant digits. */
  private static List<String> table(AlertPolicy p, SloSpec slo, Duration aggregation) {
    return p.alerts(slo, aggregation).stream().map(a -> a.name() + " " + Durations.format(a.longWindow()) + "/"
        + Durations.format(a.shortWindow()) + " " + String.format(Locale.ROOT, "%.4g", a.threshold())).toList();
  }

  /** The default alerts of the checkout SLO over {@code window}, with one-minute aggregation. */
  private static void assertDefaults(String window, String... expected) throws SloSpecException {
    assertThat(table(AlertPolicy.DEFAULT, slo(window), MINUTE)).as(window).containsExactly(expected);
  }

  @Test
  void thirtyAndTwentyEightDaysKeepTheWorkbookWindowsAndSlothsThresholds() throws Exception {
    // fraction x SLO window / long window: 0.02 x 720h / 1h = 14.4, 0.05 x 720 / 6 = 6, 0.1 x 30 / 1 = 3, 0.1 x 30 / 3 = 1.
    assertDefaults("30d", "page-1h 1h/5m 14.40", "page-6h 6h/30m 6.000", "ticket-1d 1d/2h 3.000", "ticket-3d 3d/6h 1.000");
    // 28 days: 0.02 x 672 = 13.44, 0.05 x 672 / 6 = 5.6, 0.1 x 28 = 2.8; 0.1 x 28 / 3 = 0.933 is raised to 1x.
    assertDefaults("28d", "page-1h 1h/5m 13.44", "page-6h 6h/30m 5.600", "ticket-1d 1d/2h 2.800", "ticket-3d 3d/6h 1.000");
  }

  @Test
  void otherSloWindowsScaleTheWindowsAndKeepTheWorkbookThresholds() throws Exception {
    // 7d = 30d x 7/30: 1h -> 14m, 5m -> 1.17m -> 1m, 6h -> 84m, 30m -> 7m, 1d -> 336m, 2h -> 28m, 3d -> 1008m, 6h -> 84m.
    assertDefaults("7d", "page-1h 14m/1m 14.40", "page-6h 84m/7m 6.000", "ticket-1d 336m/28m 3.000", "ticket-3d 1008m/84m 1.000");
    // 1d = 30d / 30: 1h -> 2m, 5m -> 10s (floored to 1m), 6h -> 12m, 30m -> 1m, 1d -> 48m, 2h -> 4m, 3d -> 144m, 6h -> 12m.
    assertDefaults("1d", "page-1h 2m/1m 14.40", "page-6h 12m/1m 6.000", "ticket-1d 48m/4m 3.000", "ticket-3d 144m/12m 1.000");
    // 1h = 30d / 720: 5s, 30s, 2m, 6m long; every short window under a minute: all floored to the one-minute resolution.
    assertDefaults("1h", "page-1h 1m/1m 14.40", "page-6h 1m/1m 6.000", "ticket-1d 2m/1m 3.000", "ticket-3d 6m/1m 1.000");
    // 90d = 30d x 3: 3h/15m, 18h/90m, 3d/6h, 9d/18h.
    assertDefaults("90d", "page-1h 3h/15m 14.40", "page-6h 18h/90m 6.000", "ticket-1d 3d/6h 3.000", "ticket-3d 9d/18h 1.000");
  }

  @Test
  void scaledWindowsAreWholeAggregationWindowsAndWholeSlices() throws Exception {
    // 5-minute aggregation, 7d: 14m -> 15m, 1.17m -> 5m, 84m -> 85m, 7m -> 5m, 336m -> 335m, 28m -> 30m, 1008m -> 1010m.
    assertThat(table(AlertPolicy.DEFAULT, slo("7d"), Duration.ofMinutes(5))).containsExactly("page-1h 15m/5m 14.40",
        "page-6h 85m/5m 6.000", "ticket-1d 335m/30m 3.000", "ticket-3d 1010m/85m 1.000");
    // Timeslices of 1h over 7d: each window rounded up to whole hours (the job judges whole slices).
    SloSpec slices = OpenSloParser.parse(yaml("7d").replace("budgetingMethod: Occurrences", "budgetingMethod: Timeslices")
        .replace("objectives: [{target: 0.999}]", "objectives: [{target: 0.999, timeSliceTarget: 0.9, timeSliceWindow: 1h}]"), "a.yaml")
        .get(0);
    assertThat(table(AlertPolicy.DEFAULT, slices, MINUTE))
        .containsExactly("page-1h 1h/1h 14.40", "page-6h 2h/1h 6.000", "ticket-1d 6h/1h 3.000", "ticket-3d 17h/2h 1.000");
  }

  @Test
  void noDefaultAlertIsBelowOneOrLongerThanItsSloWindow() throws Exception {
    for (String w : List.of("1h", "2h", "6h", "12h", "1d", "3d", "7d", "14d", "27d", "28d", "29d", "30d", "31d", "60d", "90d")) {
      SloSpec s = slo(w);
      assertThat(AlertPolicy.DEFAULT.problem(s, MINUTE)).as(w).isNull();
      assertThat(AlertPolicy.DEFAULT.alerts(s, MINUTE)).as(w)
          .allSatisfy(a -> assertThat(a.threshold()).isGreaterThanOrEqualTo(1))
          .allSatisfy(a -> assertThat(a.longWindow()).isLessThanOrEqualTo(s.window()))
          .allSatisfy(a -> assertThat(a.shortWindow()).isLessThanOrEqualTo(a.longWindow()));
    }
  }

  @Test
  void explicitWindowsAreUsedAsGivenAndRefusedWhereTheyCannotMakeSense() throws Exception {
    AlertPolicy p = AlertPolicy.parse("page:1h/5m:0.02,ticket:3d/6h:0.1");
    assertThat(p.scaled()).isFalse();
    assertThat(table(p, slo("30d"), MINUTE)).containsExactly("page-1h 1h/5m 14.40", "ticket-3d 3d/6h 1.000");
    assertThat(p.problem(slo("30d"), MINUTE)).isNull();
    // 0.1 x 7d / 3d = 0.233: a steady 0.5x burn (half the budget spent by the window's end) would fire it.
    assertThat(p.problem(slo("7d"), MINUTE)).isEqualTo("alert ticket-3d of --slo-alert-windows gets a burn-rate threshold of "
        + "0.233x for the SLO window 7d: below 1x it fires on an SLO that is being met; leave --slo-alert-windows unset to have "
        + "the windows scaled with the SLO window");
    // Sloth's own 28-day ticket (0.933x) is refused too when given explicitly.
    assertThat(p.problem(slo("28d"), MINUTE)).contains("ticket-3d", "0.933x");
    // Every alert that cannot serve the SLO is named; a long window past the SLO window is said as such.
    assertThat(p.problem(slo("1d"), MINUTE)).isEqualTo("alert page-1h of --slo-alert-windows gets a burn-rate threshold of 0.480x "
        + "for the SLO window 1d: below 1x it fires on an SLO that is being met; alert ticket-3d of --slo-alert-windows looks back "
        + "3d, longer than the SLO window 1d; leave --slo-alert-windows unset to have the windows scaled with the SLO window");
    assertThat(AlertPolicy.parse("auto")).isEqualTo(AlertPolicy.DEFAULT);
    assertThat(AlertPolicy.parse("")).isEqualTo(AlertPolicy.DEFAULT);
  }

  @Test
  void anSloThatExplicitWindowsCannotServeIsRefusedAtItsTimeWindow() {
    AlertPolicy p = AlertPolicy.parse("page:1h/5m:0.02,ticket:3d/6h:0.1");
    assertThatThrownBy(() -> OpenSloParser.parse(yaml("7d"), "a.yaml", MINUTE, p))
        .isInstanceOf(SloSpecException.class)
        .hasMessageStartingWith("a.yaml:13: SLO 'checkout-availability': alert ticket-3d of --slo-alert-windows gets a burn-rate "
            + "threshold of 0.233x for the SLO window 7d");
  }

  @Test
  void aListThatNoSloWindowCouldUseIsRefusedAtStart() {
    // 0.01 x 90d / 3d = 0.3: below 1x even for the longest SLO window.
    assertThatThrownBy(() -> AlertPolicy.parse("page:1h/5m:0.02,ticket:3d/6h:0.01"))
        .hasMessageStartingWith("alert ticket-3d (0.01 of the budget in 3d) would burn slower than 1x for every SLO window up to 90d");
    assertThatThrownBy(() -> AlertPolicy.parse("page:1h/5m:0.02,page:1h/10m:0.05")).hasMessage("alert page-1h is listed twice");
    assertThatThrownBy(() -> AlertPolicy.parse("page:1h:0.02")).hasMessageContaining("must look like page:1h/5m:0.02");
  }
}
