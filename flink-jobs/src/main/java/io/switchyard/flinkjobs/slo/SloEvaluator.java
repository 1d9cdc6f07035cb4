package io.switchyard.flinkjobs.slo;

import io.switchyard.flinkjobs.slo.spec.AlertPolicy;
import io.switchyard.flinkjobs.slo.spec.Durations;
import io.switchyard.flinkjobs.slo.spec.PolicyAlert;
import io.switchyard.flinkjobs.slo.spec.SloSpec;
import io.switchyard.model.v1.AlertState;
import io.switchyard.model.v1.SloStatusRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pure SLO arithmetic over per-window (good, total) counts: the SLI and budget over the rolling SLO
 * window are event-weighted (sums of counts, never a mean of ratios), and each alert fires when the
 * burn rate over both its windows exceeds its threshold.
 *
 * <p>With Timeslices budgeting the unit is the slice instead of the event (OpenSLO v1: "a ratio of
 * good time slices vs. total time slices"). Slices are aligned to the epoch; a slice is good when its
 * summed good/total ratio meets the slice target and, as in OpenSLO's own budget arithmetic (a window
 * of two weeks has 20160 one-minute slices), every slice of the window counts, so a slice without
 * events is good. Only complete slices (ending at or before the evaluation time) are judged; every
 * window (SLO and alert) is anchored at the end of the last complete slice and rounded up to whole
 * slices.
 *
 * <p>RatioTimeslices (OpenSLO: "an average of all time slices' success ratios") uses the same slices, but a
 * slice spends {@code 1 - good/total} of a slice's budget instead of all or nothing: one slice at 90 % counts
 * as 0.9 of a good slice. A slice without events had no failed event and counts 1, so the budget stays
 * (1 - objective) of the window's slices, as under Timeslices.
 */
public final class SloEvaluator {
  public static final int SCHEMA_VERSION = 1;

  /** Counts of one aggregation window ending at {@code windowEndMs}. */
  public record Counts(long windowEndMs, double good, double total) {}

  /**
   * The counts of a calendar period's older windows, folded into totals so that a period of a year keeps no more
   * windows than its alerts look back over: the period's windows ending up to {@code upToMs} (under a sliced budget,
   * its whole slices up to then), their events, and under a sliced budget the slices' worth of budget they spent.
   * The counts passed beside it are those of the windows after {@code upToMs}.
   */
  public record Folded(long periodStartMs, long upToMs, double good, double total, double spentSlices) {}

  /**
   * The outcome of one evaluation: the status record, whether each alert fires, its burn rates (long, short), and
   * since when each alert whose condition holds now has held it (firing or, under an AlertPolicy's alertAfter, not yet).
   */
  public record Result(SloStatusRecord status, Map<String, Boolean> firing, Map<String, double[]> burnRates,
      Map<String, Long> breachingSince) {}

  private final AlertPolicy policy;
  private final Duration aggregationWindow;

  public SloEvaluator(AlertPolicy policy, Duration aggregationWindow) {
    this.policy = policy;
    this.aggregationWindow = aggregationWindow;
  }

  /** The alerts of {@code slo}, with the windows and thresholds it is evaluated with. */
  public List<AlertPolicy.Alert> alerts(SloSpec slo) {
    return policy.alerts(slo, aggregationWindow);
  }

  /** Windows ending in (now - length, now] count. */
  static double[] sum(Iterable<Counts> counts, long nowMs, Duration length) {
    double good = 0;
    double total = 0;
    long from = nowMs - length.toMillis();
    for (Counts c : counts) {
      if (c.windowEndMs() > from && c.windowEndMs() <= nowMs) {
        good += c.good();
        total += c.total();
      }
    }
    return new double[] {good, total};
  }

  /** Error ratio over a window divided by the error budget; 0 with no traffic. */
  static double burnRate(double[] goodTotal, double budget) {
    return goodTotal[1] > 0 ? ((goodTotal[1] - goodTotal[0]) / goodTotal[1]) / budget : 0;
  }

  /** Good and bad slices of one SLO, keyed by slice end; slices absent from the map had no events. */
  static final class Slices {
    private final long sliceMs;
    private final long lastCompleteEnd;
    private final java.util.TreeMap<Long, double[]> bySliceEnd = new java.util.TreeMap<>();

    Slices(Iterable<Counts> counts, long nowMs, Duration slice) {
      sliceMs = slice.toMillis();
      lastCompleteEnd = Math.floorDiv(nowMs, sliceMs) * sliceMs;
      for (Counts c : counts) {
        // An aggregation window ending at E covers [E - window, E), inside the slice holding E - 1.
        long end = (Math.floorDiv(c.windowEndMs() - 1, sliceMs) + 1) * sliceMs;
        if (end <= lastCompleteEnd) {
          double[] gt = bySliceEnd.computeIfAbsent(end, k -> new double[2]);
          gt[0] += c.good();
          gt[1] += c.total();
        }
      }
    }

    /** The window rounded up to whole slices. */
    Duration cover(Duration window) {
      long n = Math.max(1, (window.toMillis() + sliceMs - 1) / sliceMs);
      return Duration.ofMillis(n * sliceMs);
    }

    /**
     * The slices' worth of budget spent in {@code window} (whole slices, ending in (lastCompleteEnd - window,
     * lastCompleteEnd]): under Timeslices the number of slices that missed the target, under RatioTimeslices the
     * sum of each slice's error ratio.
     */
    double spent(Duration window, SloSpec.Budgeting budgeting) {
      double spent = 0;
      for (double[] gt : bySliceEnd.subMap(lastCompleteEnd - window.toMillis(), false, lastCompleteEnd, true).values()) {
        spent += spentBy(gt[0], gt[1], budgeting);
      }
      return spent;
    }

    long count(Duration window) {
      return window.toMillis() / sliceMs;
    }
  }

  /**
   * The budget one complete slice with these summed counts spends, in slices: 1 or 0 under Timeslices (missed the
   * target or not), its error ratio under RatioTimeslices; a slice without events spends nothing.
   */
  public static double spentBy(double good, double total, SloSpec.Budgeting budgeting) {
    if (total <= 0) {
      return 0;
    }
    if (budgeting.method() == SloSpec.Budgeting.Method.RATIO_TIMESLICES) {
      return Math.max(0, 1 - good / total);
    }
    return good / total < budgeting.sliceTarget() ? 1 : 0;
  }

  public Result evaluate(SloSpec slo, List<Counts> counts, long nowMs, Map<String, Long> firingSince) {
    return evaluate(slo, counts, nowMs, firingSince, Map.of());
  }

  /**
   * Evaluates {@code slo} as of {@code nowMs}: {@code firingSince} holds the alerts firing after the previous
   * evaluation, {@code breachingSince} since when each alert's condition has held (for an AlertPolicy's alertAfter).
   */
  public Result evaluate(SloSpec slo, List<Counts> counts, long nowMs, Map<String, Long> firingSince, Map<String, Long> breachingSince) {
    return evaluate(slo, counts, nowMs, firingSince, breachingSince, null);
  }

  /** As above, for a calendar SLO whose period's older windows are {@code folded} (null: none, or another period's). */
  public Result evaluate(SloSpec slo, List<Counts> counts, long nowMs, Map<String, Long> firingSince, Map<String, Long> breachingSince,
      Folded folded) {
    Alerts alerts = new Alerts(firingSince, breachingSince, nowMs);
    long[] period = period(slo, nowMs);
    Folded periodFolded = folded != null && period != null && folded.periodStartMs() == period[0] ? folded : null;
    return slo.budgeting().sliced()
        ? evaluateTimeslices(slo, counts, nowMs, period, periodFolded, alerts)
        : evaluateOccurrences(slo, counts, nowMs, period, periodFolded, alerts);
  }

  /** The events of the SLO's own window: those counted so far, plus the period's folded ones. */
  private static double[] overall(SloSpec slo, List<Counts> counts, long nowMs, long[] period, Folded folded) {
    double[] overall = sum(counts, nowMs, budgetWindow(slo, nowMs, period));
    if (folded != null) {
      overall[0] += folded.good();
      overall[1] += folded.total();
    }
    return overall;
  }

  /** The calendar period {@code [start, end)} that {@code nowMs} evaluates, null for a rolling window. */
  private static long[] period(SloSpec slo, long nowMs) {
    return slo.calendar() == null ? null : slo.calendar().period(nowMs);
  }

  private SloStatusRecord.Builder status(SloSpec slo, long nowMs, long[] period, double[] overall) {
    SloStatusRecord.Builder status = SloStatusRecord.newBuilder().setSchemaVersion(SCHEMA_VERSION).setName(slo.name())
        .setService(slo.service()).setSliKind(slo.sliKind().label()).setObjective(slo.objective())
        .setTimeWindow(slo.windowText()).setEvaluatedAtUnixMs(nowMs).setGoodEvents(overall[0])
        .setTotalEvents(overall[1]).setBudgetingMethod(slo.budgeting().method().openSlo())
        .setTargetServer(slo.target().service()).setTargetClient(slo.target().client())
        .setLatencyThresholdSeconds(slo.sliKind() == SloSpec.SliKind.LATENCY ? slo.latencyThreshold().toNanos() / 1e9 : 0);
    if (period != null) {
      status.setPeriodStartUnixMs(period[0]).setPeriodEndUnixMs(period[1]);
    }
    return status;
  }

  /**
   * What the SLO's own SLI and budget count at {@code nowMs}: the rolling window ending then, or for a calendar window
   * the period so far (from its start to now; the budget of a period starts whole).
   */
  private static Duration budgetWindow(SloSpec slo, long nowMs, long[] period) {
    return period == null ? slo.window() : Duration.ofMillis(nowMs - period[0]);
  }

  /**
   * Timeslices and RatioTimeslices: SLI = good slices / all slices of the window (under RatioTimeslices the good
   * slices are the sum of the slices' good/total ratios), budget = (1 - objective) of the slices, burn rate over a
   * window = (slices spent / slices of that window) / budget. Alert windows come rounded up to whole slices from
   * the policy.
   */
  private Result evaluateTimeslices(SloSpec slo, List<Counts> counts, long nowMs, long[] period, Folded folded, Alerts alerts) {
    double budget = slo.errorBudget();
    SloSpec.Budgeting budgeting = slo.budgeting();
    Slices slices = new Slices(counts, nowMs, budgeting.sliceWindow());
    // A calendar period's slices so far (its start is on a whole slice); none yet right after it started.
    Duration window = period == null ? slo.window() : Duration.ofMillis(Math.max(0, slices.lastCompleteEnd - period[0]));
    long all = slices.count(window);
    double bad = slices.spent(window, budgeting) + (folded != null ? folded.spentSlices() : 0);
    SloStatusRecord.Builder status = status(slo, nowMs, period, overall(slo, counts, nowMs, period, folded))
        .setSli(all > 0 ? (all - bad) / all : 1).setErrorBudgetRemaining(all > 0 ? 1 - (bad / all) / budget : 1)
        .setGoodSlices(all - bad).setTotalSlices(all).setTimeSliceWindow(Durations.format(budgeting.sliceWindow()));
    Map<Duration, Double> rates = new java.util.TreeMap<>();
    for (AlertPolicy.Alert a : alerts(slo)) {
      Duration longW = slices.cover(a.longWindow());
      Duration shortW = slices.cover(a.shortWindow());
      double longRate = (slices.spent(longW, budgeting) / slices.count(longW)) / budget;
      double shortRate = (slices.spent(shortW, budgeting) / slices.count(shortW)) / budget;
      rates.put(longW, longRate);
      rates.put(shortW, shortRate);
      alerts.alert(status, a, longW, shortW, longRate, shortRate, sum(counts, slices.lastCompleteEnd, longW)[1]);
    }
    rates.forEach((w, r) -> status.addBurnRates(SloStatusRecord.BurnRate.newBuilder().setWindow(Durations.format(w)).setRate(r)));
    return alerts.result(status);
  }

  /** The alerts of one evaluation, with what they held after the previous one. */
  private static final class Alerts {
    private final Map<String, Long> firingSince;
    private final Map<String, Long> breachingSince;
    private final long nowMs;
    private final Map<String, Boolean> firing = new LinkedHashMap<>();
    private final Map<String, double[]> burn = new LinkedHashMap<>();
    private final Map<String, Long> breaching = new LinkedHashMap<>();

    Alerts(Map<String, Long> firingSince, Map<String, Long> breachingSince, long nowMs) {
      this.firingSince = firingSince;
      this.breachingSince = breachingSince;
      this.nowMs = nowMs;
    }

    /**
     * The alert breaches while both burn rates compare with the threshold (a window without events gives no burn rate:
     * it breaches only with alertWhenNoData; with alertWhenBreaching off only then), and fires once it has breached for
     * alertAfter, until it no longer does.
     */
    void alert(SloStatusRecord.Builder status, AlertPolicy.Alert a, Duration longW, Duration shortW, double longRate,
        double shortRate, double longWindowEvents) {
      double threshold = a.threshold();
      boolean breaches = longWindowEvents > 0
          ? a.alertWhenBreaching() && a.op().test(longRate, threshold) && a.op().test(shortRate, threshold)
          : a.alertWhenNoData();
      Long held = breachingSince.get(a.name());
      long heldSince = held != null ? held : nowMs;
      Long since = firingSince.get(a.name());
      boolean fires = breaches && (since != null || nowMs - heldSince >= a.alertAfter().toMillis());
      firing.put(a.name(), fires);
      burn.put(a.name(), new double[] {longRate, shortRate});
      if (breaches) {
        breaching.put(a.name(), heldSince);
      }
      AlertState.Builder state = AlertState.newBuilder().setName(a.name()).setSeverity(a.severity()).setFiring(fires)
          .setLongWindow(Durations.format(longW)).setShortWindow(Durations.format(shortW)).setThreshold(threshold)
          .setSinceUnixMs(fires ? (since != null ? since : nowMs) : 0);
      PolicyAlert p = a.policy();
      if (p != null) {
        state.setOp(p.op().openSlo()).setAlertAfter(Durations.format(p.alertAfter())).setAlertWhenNoData(p.alertWhenNoData())
            .setNoDataOnly(!p.alertWhenBreaching())
            .setAlertWhenResolved(p.alertWhenResolved()).addAllNotificationTargets(p.notificationTargets())
            .setPendingSinceUnixMs(breaches && !fires ? heldSince : 0);
      }
      status.addAlerts(state);
    }

    Result result(SloStatusRecord.Builder status) {
      return new Result(status.build(), firing, burn, breaching);
    }
  }

  private Result evaluateOccurrences(SloSpec slo, List<Counts> counts, long nowMs, long[] period, Folded folded, Alerts alerts) {
    double budget = slo.errorBudget();
    double[] overall = overall(slo, counts, nowMs, period, folded);
    double sli = overall[1] > 0 ? overall[0] / overall[1] : 1;
    double remaining = overall[1] > 0 ? 1 - ((overall[1] - overall[0]) / overall[1]) / budget : 1;
    SloStatusRecord.Builder status = status(slo, nowMs, period, overall).setSli(sli).setErrorBudgetRemaining(remaining);
    Map<String, Double> rates = new LinkedHashMap<>();
    for (AlertPolicy.Alert a : alerts(slo)) {
      double[] longCounts = sum(counts, nowMs, a.longWindow());
      double longRate = burnRate(longCounts, budget);
      double shortRate = burnRate(sum(counts, nowMs, a.shortWindow()), budget);
      rates.put(Durations.format(a.longWindow()), longRate);
      rates.put(Durations.format(a.shortWindow()), shortRate);
      alerts.alert(status, a, a.longWindow(), a.shortWindow(), longRate, shortRate, longCounts[1]);
    }
    List<Map.Entry<String, Double>> sorted = new ArrayList<>(rates.entrySet());
    sorted.sort(Map.Entry.comparingByKey((x, y) -> Long.compare(Durations.parse(x).toMillis(), Durations.parse(y).toMillis())));
    for (Map.Entry<String, Double> r : sorted) {
      status.addBurnRates(SloStatusRecord.BurnRate.newBuilder().setWindow(r.getKey()).setRate(r.getValue()));
    }
    return alerts.result(status);
  }
}
