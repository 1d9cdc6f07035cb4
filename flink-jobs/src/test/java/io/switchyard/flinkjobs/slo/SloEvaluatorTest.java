package io.switchyard.flinkjobs.slo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.switchyard.flinkjobs.slo.spec.AlertPolicy;
import io.switchyard.flinkjobs.slo.spec.OpenSloParser;
import io.switchyard.flinkjobs.slo.spec.SloFixtures;
import io.switchyard.flinkjobs.slo.spec.SloSpec;
import io.switchyard.model.v1.AlertState;
import io.switchyard.model.v1.SloStatusRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Timeslices and RatioTimeslices budgeting against hand-computed slices (each assertion's comment shows the arithmetic). */
class SloEvaluatorTest {
  /** Aligned to a day, so to every slice length. */
  private static final long T0 = 1_767_225_600_000L;
  private static final long MIN = 60_000L;

  private static SloSpec timeslices(String window, double objective, double sliceTarget, String slice) throws Exception {
    String yaml = SloFunctionTest.SLO_YAML.replace("budgetingMethod: Occurrences", "budgetingMethod: Timeslices")
        .replace("timeWindow: [{duration: 30d, isRolling: true}]", "timeWindow: [{duration: " + window + ", isRolling: true}]")
        .replace("objectives: [{target: 0.999}]",
            "objectives: [{target: " + objective + ", timeSliceTarget: " + sliceTarget + ", timeSliceWindow: " + slice + "}]");
    return OpenSloParser.parse(yaml, "slices.yaml").get(0);
  }

  /** (good, total) of the one-minute window ending at minute m. */
  private static SloEvaluator.Counts minute(int m, double good, double total) {
    return new SloEvaluator.Counts(T0 + m * MIN, good, total);
  }

  private static Map<String, Boolean> firing(SloStatusRecord s) {
    return s.getAlertsList().stream().collect(Collectors.toMap(AlertState::getName, AlertState::getFiring));
  }

  private static double rate(SloStatusRecord s, String window) {
    return s.getBurnRatesList().stream().filter(b -> b.getWindow().equals(window)).findFirst().orElseThrow().getRate();
  }

  @Test
  void slicesAreJudgedByTheirSummedRatioAndEverySliceOfTheWindowCounts() throws Exception {
    // 30 days of 5-minute slices: 8640 slices; objective 0.99 leaves a budget of 86.4 slices.
    SloSpec slo = timeslices("30d", 0.99, 0.9, "5m");
    List<SloEvaluator.Counts> counts = new ArrayList<>();
    for (int m = 1; m <= 5; m++) {
      counts.add(minute(m, 100, 100)); // slice 1 (minutes 1-5): good
    }
    for (int m = 6; m <= 9; m++) {
      counts.add(minute(m, 100, 100));
    }
    counts.add(minute(10, 50, 100)); // slice 2: 450 / 500 = 0.9, meets the slice target: good
    counts.add(minute(12, 8, 10)); // slice 3: 8 / 10 = 0.8: bad
    // slice 4 (minutes 16-20): no events: good
    counts.add(minute(22, 89, 100)); // slice 5: 0.89: bad
    counts.add(minute(26, 0, 100)); // slice 6 is still open at minute 27: not judged yet
    SloEvaluator evaluator = new SloEvaluator(AlertPolicy.DEFAULT, Duration.ofMinutes(1));

    SloStatusRecord at27 = evaluator.evaluate(slo, counts, T0 + 27 * MIN, Map.of()).status();
    assertThat(at27.getBudgetingMethod()).isEqualTo("Timeslices");
    assertThat(at27.getTimeSliceWindow()).isEqualTo("5m");
    assertThat(at27.getTotalSlices()).isEqualTo(8640);
    assertThat(at27.getGoodSlices()).isEqualTo(8638);
    assertThat(at27.getSli()).isEqualTo(8638.0 / 8640);
    // 2 bad slices of a budget of 0.01 x 8640 = 86.4.
    assertThat(at27.getErrorBudgetRemaining()).isCloseTo(1 - 2 / 86.4, within(1e-12));
    // Events are still reported as counted (minute 26 included, as for Occurrences).
    assertThat(at27.getTotalEvents()).isEqualTo(1210);
    // 1h = 12 slices, 2 bad: (2 / 12) / 0.01 = 16.7 > 14.4; 5m = the last complete slice (5), bad: 100.
    assertThat(rate(at27, "1h")).isCloseTo(2.0 / 12 / 0.01, within(1e-9));
    assertThat(rate(at27, "5m")).isCloseTo(100, within(1e-9));
    // 6h = 72 slices: (2 / 72) / 0.01 = 2.8 < 6; 1d: 0.69 < 3; 3d: 0.23 < 1.
    assertThat(rate(at27, "6h")).isCloseTo(2.0 / 72 / 0.01, within(1e-9));
    assertThat(firing(at27)).containsEntry("page-1h", true).containsEntry("page-6h", false)
        .containsEntry("ticket-1d", false).containsEntry("ticket-3d", false);

    // Minute 30: slice 6 (0 / 100) is complete and bad: 3 bad slices.
    SloStatusRecord at30 = evaluator.evaluate(slo, counts, T0 + 30 * MIN, Map.of()).status();
    assertThat(at30.getGoodSlices()).isEqualTo(8637);
    assertThat(rate(at30, "1h")).isCloseTo(3.0 / 12 / 0.01, within(1e-9));

    // Minute 35: slice 7 had no events, so the 5m window is good again and page-1h resolves.
    SloStatusRecord at35 = evaluator.evaluate(slo, counts, T0 + 35 * MIN, Map.of("page-1h", T0 + 27 * MIN)).status();
    assertThat(rate(at35, "5m")).isZero();
    assertThat(firing(at35)).containsEntry("page-1h", false);
    assertThat(at35.getGoodSlices()).isEqualTo(8637);
  }

  @Test
  void ratioTimeslicesSpendEachSlicesErrorRatioWhateverItsTraffic() throws Exception {
    // The counts of the Timeslices test above, under RatioTimeslices: 8640 slices of 5m, a budget of 86.4 slices.
    SloSpec slo = OpenSloParser.parse(SloFunctionTest.SLO_YAML.replace("budgetingMethod: Occurrences", "budgetingMethod: RatioTimeslices")
        .replace("objectives: [{target: 0.999}]", "objectives: [{target: 0.99, timeSliceWindow: 5m}]"), "ratio.yaml").get(0);
    List<SloEvaluator.Counts> counts = new ArrayList<>();
    for (int m = 1; m <= 9; m++) {
      counts.add(minute(m, 100, 100));
    }
    counts.add(minute(10, 50, 100)); // slice 2: 450 / 500 = 0.9: spends 0.1
    counts.add(minute(12, 8, 10)); // slice 3: 10 requests weigh as much as slice 2's 500: 0.8 spends 0.2
    counts.add(minute(22, 89, 100)); // slice 5: spends 0.11; slice 4 had no events: spends nothing
    counts.add(minute(26, 0, 100)); // slice 6, open at minute 27
    SloEvaluator evaluator = new SloEvaluator(AlertPolicy.DEFAULT, Duration.ofMinutes(1));

    SloStatusRecord at27 = evaluator.evaluate(slo, counts, T0 + 27 * MIN, Map.of()).status();
    assertThat(at27.getBudgetingMethod()).isEqualTo("RatioTimeslices");
    assertThat(at27.getTotalSlices()).isEqualTo(8640);
    // 0.1 + 0.2 + 0.11 = 0.41 slices spent.
    assertThat(at27.getGoodSlices()).isCloseTo(8640 - 0.41, within(1e-9));
    assertThat(at27.getSli()).isCloseTo((8640 - 0.41) / 8640, within(1e-12));
    assertThat(at27.getErrorBudgetRemaining()).isCloseTo(1 - 0.41 / 86.4, within(1e-12));
    // 1h = 12 slices: (0.41 / 12) / 0.01 = 3.42, below 14.4 where Timeslices pages at 16.7; 5m = slice 5: 11.
    assertThat(rate(at27, "1h")).isCloseTo(0.41 / 12 / 0.01, within(1e-9));
    assertThat(rate(at27, "5m")).isCloseTo(11, within(1e-9));
    assertThat(firing(at27)).containsEntry("page-1h", false);

    // Minute 30: slice 6 (0 / 100) spends a whole slice: 1.41, 1h at 11.75, still below 14.4.
    SloStatusRecord at30 = evaluator.evaluate(slo, counts, T0 + 30 * MIN, Map.of()).status();
    assertThat(at30.getGoodSlices()).isCloseTo(8640 - 1.41, within(1e-9));
    assertThat(rate(at30, "1h")).isCloseTo(1.41 / 12 / 0.01, within(1e-9));
    assertThat(rate(at30, "5m")).isCloseTo(100, within(1e-9));
    assertThat(firing(at30)).containsEntry("page-1h", false);
  }

  /** Evaluates at minute m with what the previous evaluation left, as the job does, and keeps what this one leaves. */
  private static SloStatusRecord evaluateAt(SloEvaluator evaluator, SloSpec slo, List<SloEvaluator.Counts> counts, int m,
      Map<String, Long> firingSince, Map<String, Long> breachingSince) {
    SloEvaluator.Result r = evaluator.evaluate(slo, counts, T0 + m * MIN, Map.copyOf(firingSince), Map.copyOf(breachingSince));
    for (AlertState a : r.status().getAlertsList()) {
      if (a.getFiring()) {
        firingSince.put(a.getName(), a.getSinceUnixMs());
      } else {
        firingSince.remove(a.getName());
      }
    }
    breachingSince.clear();
    breachingSince.putAll(r.breachingSince());
    return r.status();
  }

  private static AlertState alert(SloStatusRecord s, String name) {
    return s.getAlertsList().stream().filter(a -> a.getName().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void anAlertPolicyFiresOnceItsConditionHasHeldForAlertAfterAndResolvesWhenItNoLongerHolds() throws Exception {
    // 99.9 % over 30 days: fast-burn pages at >= 14.4x over 1h after 5m; slow-burn tickets above 1x over 6h at once.
    SloSpec slo = OpenSloParser.parse(SloFixtures.CHECKOUT_WITH_ALERT_POLICIES, "checkout.yaml").get(0);
    List<SloEvaluator.Counts> counts = new ArrayList<>();
    for (int m = 1; m <= 60; m++) {
      counts.add(minute(m, 100, 100));
    }
    for (int m = 61; m <= 67; m++) {
      counts.add(minute(m, 50, 100)); // half of the requests fail
    }
    for (int m = 68; m <= 130; m++) {
      counts.add(minute(m, 100, 100));
    }
    SloEvaluator evaluator = new SloEvaluator(AlertPolicy.DEFAULT, Duration.ofMinutes(1));
    Map<String, Long> firing = new java.util.HashMap<>();
    Map<String, Long> breaching = new java.util.HashMap<>();

    // Minute 61: 1h holds 50 failed of 6000: 8.3x, below 14.4. 6h holds 50 of 6100: 8.2x > 1: slow-burn tickets at once.
    SloStatusRecord s61 = evaluateAt(evaluator, slo, counts, 61, firing, breaching);
    assertThat(rate(s61, "1h")).isCloseTo(50.0 / 6000 / 0.001, within(1e-9));
    assertThat(alert(s61, "checkout-fast-burn").getFiring()).isFalse();
    assertThat(alert(s61, "checkout-fast-burn").getPendingSinceUnixMs()).isZero();
    assertThat(alert(s61, "checkout-slow-burn").getFiring()).isTrue();
    assertThat(alert(s61, "checkout-slow-burn").getSinceUnixMs()).isEqualTo(T0 + 61 * MIN);
    // One window each; the policy's own settings travel with the state.
    assertThat(s61.getBurnRatesList()).extracting(SloStatusRecord.BurnRate::getWindow).containsExactly("1h", "6h");
    AlertState fast = alert(s61, "checkout-fast-burn");
    assertThat(fast.getLongWindow()).isEqualTo("1h");
    assertThat(fast.getShortWindow()).isEqualTo("1h");
    assertThat(fast.getOp()).isEqualTo("gte");
    assertThat(fast.getAlertAfter()).isEqualTo("5m");
    assertThat(fast.getSeverity()).isEqualTo("page");
    assertThat(fast.getNotificationTargetsList()).containsExactly("oncall");
    assertThat(fast.getAlertWhenResolved()).isTrue();

    // Minute 62: 100 of 6000, 16.7x >= 14.4: the condition holds, pending for 5m.
    for (int m = 62; m <= 66; m++) {
      SloStatusRecord s = evaluateAt(evaluator, slo, counts, m, firing, breaching);
      assertThat(alert(s, "checkout-fast-burn").getFiring()).as("minute %d", m).isFalse();
      assertThat(alert(s, "checkout-fast-burn").getPendingSinceUnixMs()).as("minute %d", m).isEqualTo(T0 + 62 * MIN);
    }
    // Minute 67: it has held for 5m: fires.
    SloStatusRecord s67 = evaluateAt(evaluator, slo, counts, 67, firing, breaching);
    assertThat(alert(s67, "checkout-fast-burn").getFiring()).isTrue();
    assertThat(alert(s67, "checkout-fast-burn").getSinceUnixMs()).isEqualTo(T0 + 67 * MIN);
    assertThat(alert(s67, "checkout-fast-burn").getPendingSinceUnixMs()).isZero();

    // Minute 125: the 1h window (minutes 66..125) still holds two failing minutes: 16.7x. Minute 126: one, 8.3x: resolved.
    assertThat(alert(evaluateAt(evaluator, slo, counts, 125, firing, breaching), "checkout-fast-burn").getFiring()).isTrue();
    SloStatusRecord s126 = evaluateAt(evaluator, slo, counts, 126, firing, breaching);
    assertThat(rate(s126, "1h")).isCloseTo(50.0 / 6000 / 0.001, within(1e-9));
    assertThat(alert(s126, "checkout-fast-burn").getFiring()).isFalse();
    assertThat(breaching).doesNotContainKey("checkout-fast-burn").containsKey("checkout-slow-burn");
    // Had the condition stopped holding while pending, the wait would start over.
    Map<String, Long> noneFiring = new java.util.HashMap<>();
    Map<String, Long> heldSince62 = new java.util.HashMap<>(Map.of("checkout-fast-burn", T0 + 62 * MIN));
    assertThat(alert(evaluateAt(evaluator, slo, counts, 126, noneFiring, heldSince62), "checkout-fast-burn").getPendingSinceUnixMs())
        .isZero();
    assertThat(heldSince62).doesNotContainKey("checkout-fast-burn");
  }

  @Test
  void aWindowWithoutEventsBreachesOnlyWithAlertWhenNoData() throws Exception {
    // "lt 1": fire while the budget burns slower than it accrues, e.g. to tell a quiet week from a broken feed.
    String lt = SloFixtures.CHECKOUT_WITH_ALERT_POLICIES.replace("op: gt, threshold: 1, lookbackWindow: 6h",
        "op: lt, threshold: 1, lookbackWindow: 30m");
    SloSpec quietOk = OpenSloParser.parse(lt, "checkout.yaml").get(0);
    SloSpec quietBreaches = OpenSloParser.parse(lt.replace("alertWhenResolved: true\n        conditions:\n          - kind: AlertCondition",
        "alertWhenResolved: true\n        alertWhenNoData: true\n        conditions:\n          - kind: AlertCondition"), "checkout.yaml").get(0);
    assertThat(quietBreaches.alertPolicies().get(1).alertWhenNoData()).isTrue();
    SloEvaluator evaluator = new SloEvaluator(AlertPolicy.DEFAULT, Duration.ofMinutes(1));
    List<SloEvaluator.Counts> clean = List.of(minute(10, 100, 100));
    // Traffic without failures burns at 0 < 1: breaches, and fires at once (no alertAfter).
    assertThat(alert(evaluator.evaluate(quietOk, clean, T0 + 20 * MIN, Map.of()).status(), "checkout-slow-burn").getFiring()).isTrue();
    // No events in the 30m window: no burn rate, so no breach; with alertWhenNoData a breach.
    assertThat(alert(evaluator.evaluate(quietOk, clean, T0 + 45 * MIN, Map.of()).status(), "checkout-slow-burn").getFiring()).isFalse();
    SloStatusRecord noData = evaluator.evaluate(quietBreaches, clean, T0 + 45 * MIN, Map.of()).status();
    assertThat(alert(noData, "checkout-slow-burn").getFiring()).isTrue();
    assertThat(alert(noData, "checkout-slow-burn").getAlertWhenNoData()).isTrue();
    // The page (gte 14.4) never breaches on no data unless told to.
    assertThat(alert(noData, "checkout-fast-burn").getFiring()).isFalse();
  }

  @Test
  void aPolicyWithBreachingOffFiresOnlyOnAWindowWithoutEvents() throws Exception {
    String noDataOnly = SloFixtures.CHECKOUT_WITH_ALERT_POLICIES
        .replace("op: gt, threshold: 1, lookbackWindow: 6h", "op: gt, threshold: 1, lookbackWindow: 30m")
        .replace("alertWhenBreaching: true\n        alertWhenResolved: true\n        conditions:\n          - kind: AlertCondition",
            "alertWhenBreaching: false\n        alertWhenNoData: true\n        alertWhenResolved: true\n        conditions:\n"
                + "          - kind: AlertCondition");
    SloSpec slo = OpenSloParser.parse(noDataOnly, "checkout.yaml").get(0);
    assertThat(slo.alertPolicies().get(1).alertWhenBreaching()).isFalse();
    SloEvaluator evaluator = new SloEvaluator(AlertPolicy.DEFAULT, Duration.ofMinutes(1));
    // Half the requests fail: a burn rate of 500 over 1x, which would breach; with breaching off it does not fire.
    List<SloEvaluator.Counts> failing = List.of(minute(10, 50, 100));
    assertThat(alert(evaluator.evaluate(slo, failing, T0 + 20 * MIN, Map.of()).status(), "checkout-slow-burn").getFiring()).isFalse();
    // The page, breaching on, does fire on the same counts.
    assertThat(alert(evaluator.evaluate(slo, failing, T0 + 20 * MIN, Map.of()).status(), "checkout-fast-burn").getPendingSinceUnixMs())
        .isPositive();
    // No events in the 30m window: the no-data alert fires.
    AlertState quiet = alert(evaluator.evaluate(slo, failing, T0 + 45 * MIN, Map.of()).status(), "checkout-slow-burn");
    assertThat(quiet.getFiring()).isTrue();
    assertThat(quiet.getNoDataOnly()).isTrue();
    assertThat(alert(evaluator.evaluate(slo, failing, T0 + 45 * MIN, Map.of()).status(), "checkout-fast-burn").getNoDataOnly()).isFalse();
  }

  @Test
  void alertWindowsRoundUpToWholeSlicesAndKeepTheirShareOfTheBudget() throws Exception {
    // 10-minute slices: the 5m short windows become 10m, 1h stays 6 slices.
    SloSpec slo = timeslices("30d", 0.999, 0.95, "10m");
    List<SloEvaluator.Counts> counts = List.of(minute(5, 90, 100)); // slice 1 (minutes 1-10): 0.9 < 0.95: bad
    SloStatusRecord s = new SloEvaluator(AlertPolicy.DEFAULT, Duration.ofMinutes(1)).evaluate(slo, counts, T0 + 10 * MIN, Map.of())
        .status();
    assertThat(s.getBurnRatesList()).extracting(SloStatusRecord.BurnRate::getWindow)
        .containsExactly("10m", "30m", "1h", "2h", "6h", "1d", "3d");
    // 1 of 6 slices bad over a budget of 0.001: 166.7; 1 of 1 in the 10m window: 1000.
    assertThat(rate(s, "1h")).isCloseTo(1.0 / 6 / 0.001, within(1e-9));
    assertThat(rate(s, "10m")).isCloseTo(1000, within(1e-9));
    AlertState page = s.getAlertsList().get(0);
    assertThat(page.getShortWindow()).isEqualTo("10m");
    // 2 % of the budget in 1h of 30 days, as for Occurrences: 14.4.
    assertThat(page.getThreshold()).isCloseTo(14.4, within(1e-9));
    assertThat(s.getTotalSlices()).isEqualTo(4320);
  }

  @Test
  void aSliceWithoutEventsIsGoodAndAnEmptyWindowSpendsNothing() throws Exception {
    SloSpec slo = timeslices("1d", 0.99, 1.0, "1m");
    SloStatusRecord s = new SloEvaluator(AlertPolicy.DEFAULT, Duration.ofMinutes(1)).evaluate(slo, List.of(), T0 + 60 * MIN, Map.of())
        .status();
    assertThat(s.getSli()).isEqualTo(1.0);
    assertThat(s.getErrorBudgetRemaining()).isEqualTo(1.0);
    assertThat(s.getGoodSlices()).isEqualTo(1440);
    assertThat(s.getAlertsList()).noneMatch(AlertState::getFiring);
  }

  @Test
  void statusNamesWhatTheSloCountsSoTheApiCanExposeItsThresholdBucket() throws Exception {
    SloSpec latency = OpenSloParser.readDirectory(java.nio.file.Path.of("src/test/resources/slo/valid")).get(1).spec();
    SloStatusRecord s = new SloEvaluator(AlertPolicy.DEFAULT, Duration.ofMinutes(1)).evaluate(latency, List.of(), T0, Map.of()).status();
    assertThat(s.getTargetServer()).isEqualTo("reviews");
    assertThat(s.getTargetClient()).isEqualTo("productpage");
    assertThat(io.switchyard.model.LatencyBuckets.boundIndex(s.getLatencyThresholdSeconds())).isEqualTo(23);
    SloStatusRecord availability = new SloEvaluator(AlertPolicy.DEFAULT, Duration.ofMinutes(1))
        .evaluate(timeslices("1d", 0.99, 1.0, "1m"), List.of(), T0, Map.of()).status();
    assertThat(availability.getLatencyThresholdSeconds()).isZero();
  }

  private static SloSpec occurrences(String window, double objective) throws Exception {
    return OpenSloParser.parse(SloFunctionTest.SLO_YAML.replace("{duration: 30d,", "{duration: " + window + ",")
        .replace("objectives: [{target: 0.999}]", "objectives: [{target: " + objective + "}]"), "week.yaml").get(0);
  }

  @Test
  void aBudgetSpentExactlyReadsZeroAndItsBurnRateIsExactlyOne() throws Exception {
    // 99 % over 7 days, 1 % errors for the whole window's worth of counts: the budget is spent exactly. In binary
    // floating point 1 - 0.99 is 0.010000000000000009, which left 8.9e-16 of the budget and a 0.9999999999999991x burn.
    SloSpec week = occurrences("7d", 0.99);
    assertThat(week.errorBudget()).isEqualTo(0.01);
    List<SloEvaluator.Counts> counts = new ArrayList<>();
    for (int m = 1; m <= 60; m++) {
      counts.add(minute(m, 990, 1000));
    }
    SloStatusRecord s = new SloEvaluator(AlertPolicy.DEFAULT, Duration.ofMinutes(1)).evaluate(week, counts, T0 + 60 * MIN, Map.of())
        .status();
    assertThat(s.getErrorBudgetRemaining()).isEqualTo(0.0);
    assertThat(rate(s, "14m")).isEqualTo(1.0);
    assertThat(occurrences("30d", 0.999).errorBudget()).isEqualTo(0.001);
    assertThat(occurrences("30d", 0.9).errorBudget()).isEqualTo(0.1);
  }

  @Test
  void aSevenDaySloBurningSteadilyAtOneTimesRaisesNoTicket() throws Exception {
    // 99 % over 7 days; 20 hours of 1 % errors: the budget is spent exactly as fast as the window allows.
    SloSpec week = occurrences("7d", 0.99);
    List<SloEvaluator.Counts> counts = new ArrayList<>();
    for (int m = 1; m <= 1200; m++) {
      counts.add(minute(m, 990, 1000));
    }
    SloStatusRecord s = new SloEvaluator(AlertPolicy.DEFAULT, Duration.ofMinutes(1)).evaluate(week, counts, T0 + 1200 * MIN, Map.of())
        .status();
    // Windows scaled by 7/30 with the workbook's thresholds: ticket-3d looks back 1008m (16.8h) against 1x, not 3d against 0.233x.
    assertThat(s.getAlertsList()).extracting(a -> a.getName() + " " + a.getLongWindow() + "/" + a.getShortWindow() + " "
        + Math.round(a.getThreshold() * 100) / 100.0)
        .containsExactly("page-1h 14m/1m 14.4", "page-6h 84m/7m 6.0", "ticket-1d 336m/28m 3.0", "ticket-3d 1008m/84m 1.0");
    assertThat(rate(s, "1008m")).isCloseTo(1, within(1e-9));
    assertThat(s.getAlertsList()).noneMatch(AlertState::getFiring);
  }

  @Test
  void aSevenDaySloPagesOnABurstAndResolvesWhenItEnds() throws Exception {
    // 99 % over 7 days: 0.5 % errors (0.5x) for 1200 minutes, then 25 % (25x) from minute 1201 to 1210, then 0.5 % again.
    SloSpec week = occurrences("7d", 0.99);
    List<SloEvaluator.Counts> counts = new ArrayList<>();
    for (int m = 1; m <= 1220; m++) {
      counts.add(minute(m, m > 1200 && m <= 1210 ? 750 : 995, 1000));
    }
    SloEvaluator evaluator = new SloEvaluator(AlertPolicy.DEFAULT, Duration.ofMinutes(1));
    Map<String, Long> since = new java.util.HashMap<>();
    List<String> transitions = new ArrayList<>();
    for (int m = 1200; m <= 1220; m++) {
      SloStatusRecord s = evaluator.evaluate(week, counts, T0 + m * MIN, since).status();
      for (AlertState a : s.getAlertsList()) {
        if (a.getFiring() != since.containsKey(a.getName())) {
          transitions.add(a.getName() + (a.getFiring() ? " fired @" : " resolved @") + m);
          if (a.getFiring()) {
            since.put(a.getName(), T0 + m * MIN);
          } else {
            since.remove(a.getName());
          }
        }
      }
    }
    // page-1h (14m/1m > 14.4x) with k burst minutes in the 14m window: ((14 - k) x 5 + 250 k) / 14000 / 0.01;
    // k = 7: 12.75x, k = 8: 14.5x -> fires at 1208. At 1211 the 1m window is back at 0.5x: resolved.
    // page-6h peaks at (74 x 5 + 2500) / 84000 / 0.01 = 3.4x < 6; ticket-1d at 1.23x < 3; ticket-3d's 1008m window at
    // (998 x 5 + 2500) / 1008000 / 0.01 = 0.74x < 1: none of them fires.
    assertThat(transitions).containsExactly("page-1h fired @1208", "page-1h resolved @1211");
  }

  /** A day-long calendar SLO in UTC (periods from each midnight), objective 0.9: a budget of 10 % of the events. */
  private static SloSpec dailyCalendar(String method, String objectives) throws Exception {
    String yaml = SloFunctionTest.SLO_YAML.replace("budgetingMethod: Occurrences", "budgetingMethod: " + method)
        .replace("timeWindow: [{duration: 30d, isRolling: true}]",
            "timeWindow: [{duration: 1d, isRolling: false, calendar: {startTime: '2026-01-01 00:00:00', timeZone: UTC}}]")
        .replace("objectives: [{target: 0.999}]", "objectives: [" + objectives + "]");
    return OpenSloParser.parse(yaml, "daily.yaml").get(0);
  }

  @Test
  void aCalendarPeriodCountsFromItsStartAndItsBudgetStartsWholeInTheNext() throws Exception {
    // T0 is a UTC midnight: the period [T0, T0 + 1d); the day before is the previous period.
    SloSpec slo = dailyCalendar("Occurrences", "{target: 0.9}");
    long day = 1440;
    List<SloEvaluator.Counts> counts = new ArrayList<>();
    counts.add(minute(-1, 0, 100)); // the previous day's last minute: not this period's
    counts.add(minute(1, 95, 100));
    counts.add(minute(600, 90, 100));
    counts.add(minute((int) day, 100, 100)); // the window ending at midnight is the period's last
    counts.add(minute((int) day + 1, 0, 10)); // the next day's first
    SloEvaluator evaluator = new SloEvaluator(AlertPolicy.DEFAULT, Duration.ofMinutes(1));

    SloStatusRecord at600 = evaluator.evaluate(slo, counts, T0 + 600 * MIN, Map.of()).status();
    assertThat(at600.getTimeWindow()).isEqualTo("1d");
    assertThat(at600.getPeriodStartUnixMs()).isEqualTo(T0);
    assertThat(at600.getPeriodEndUnixMs()).isEqualTo(T0 + day * MIN);
    // 185 good of 200 since midnight: 15 bad of a budget of 0.1 x 200 = 20.
    assertThat(at600.getGoodEvents()).isEqualTo(185);
    assertThat(at600.getTotalEvents()).isEqualTo(200);
    assertThat(at600.getSli()).isEqualTo(185.0 / 200);
    assertThat(at600.getErrorBudgetRemaining()).isCloseTo(1 - 15 / 20.0, within(1e-12));

    // At midnight: the whole period, its last window included (285 of 300).
    SloStatusRecord atEnd = evaluator.evaluate(slo, counts, T0 + day * MIN, Map.of()).status();
    assertThat(atEnd.getPeriodStartUnixMs()).isEqualTo(T0);
    assertThat(atEnd.getTotalEvents()).isEqualTo(300);
    assertThat(atEnd.getErrorBudgetRemaining()).isCloseTo(1 - 15 / 30.0, within(1e-12));

    // A minute later the next period: only its own minute (all 10 failed: 10 bad of a budget of 1).
    SloStatusRecord next = evaluator.evaluate(slo, counts, T0 + (day + 1) * MIN, Map.of()).status();
    assertThat(next.getPeriodStartUnixMs()).isEqualTo(T0 + day * MIN);
    assertThat(next.getTotalEvents()).isEqualTo(10);
    assertThat(next.getSli()).isZero();
    assertThat(next.getErrorBudgetRemaining()).isCloseTo(1 - 10 / 1.0, within(1e-12));
    // The burn-rate alerts still look back over rolling windows, across the midnight: the page alert's 1h of a 30-day
    // SLO is 2m of this 1-day one, the day's last minute (100 of 100) and the next day's first (0 of 10).
    assertThat(rate(next, "2m")).isCloseTo((10.0 / 110) / 0.1, within(1e-12));
  }

  @Test
  void aCalendarPeriodsSlicesAreThoseElapsedAndNoneRightAfterItsStart() throws Exception {
    // 1-hour slices good at 0.9; objective 0.75 of the slices so far.
    SloSpec slo = dailyCalendar("Timeslices", "{target: 0.75, timeSliceTarget: 0.9, timeSliceWindow: 1h}");
    List<SloEvaluator.Counts> counts = new ArrayList<>();
    counts.add(minute(-30, 0, 100)); // a bad slice of the day before
    counts.add(minute(30, 50, 100)); // hour 1: bad
    counts.add(minute(90, 100, 100)); // hour 2: good
    // hour 3 (minutes 121-180): no events, good
    counts.add(minute(200, 0, 100)); // hour 4 is still open at minute 210
    SloEvaluator evaluator = new SloEvaluator(AlertPolicy.DEFAULT, Duration.ofMinutes(1));

    SloStatusRecord at210 = evaluator.evaluate(slo, counts, T0 + 210 * MIN, Map.of()).status();
    // Three complete slices since midnight, one bad: SLI 2/3; budget 0.25 x 3 = 0.75 slices, 1 spent.
    assertThat(at210.getTotalSlices()).isEqualTo(3);
    assertThat(at210.getGoodSlices()).isEqualTo(2);
    assertThat(at210.getSli()).isEqualTo(2.0 / 3);
    assertThat(at210.getErrorBudgetRemaining()).isCloseTo(1 - (1.0 / 3) / 0.25, within(1e-12));

    // Half an hour into the day no slice is complete: nothing judged, nothing spent.
    SloStatusRecord at30 = evaluator.evaluate(slo, counts, T0 + 30 * MIN, Map.of()).status();
    assertThat(at30.getPeriodStartUnixMs()).isEqualTo(T0);
    assertThat(at30.getTotalSlices()).isZero();
    assertThat(at30.getSli()).isEqualTo(1);
    assertThat(at30.getErrorBudgetRemaining()).isEqualTo(1);
  }
}
