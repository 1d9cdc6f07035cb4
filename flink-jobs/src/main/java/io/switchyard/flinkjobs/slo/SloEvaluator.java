package io.switchyard.flinkjobs.slo;

import io.switchyard.flinkjobs.slo.spec.AlertWindow;
import io.switchyard.flinkjobs.slo.spec.Durations;
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
 */
public final class SloEvaluator {
  public static final int SCHEMA_VERSION = 1;

  /** Counts of one aggregation window ending at {@code windowEndMs}. */
  public record Counts(long windowEndMs, double good, double total) {}

  /** The outcome of one evaluation: the status record and whether each alert fires. */
  public record Result(SloStatusRecord status, Map<String, Boolean> firing, Map<String, double[]> burnRates) {}

  private final List<AlertWindow> alerts;
  private final Duration aggregationWindow;

  public SloEvaluator(List<AlertWindow> alerts, Duration aggregationWindow) {
    this.alerts = List.copyOf(alerts);
    this.aggregationWindow = aggregationWindow;
  }

  public List<AlertWindow> alerts() {
    return alerts;
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

  public Result evaluate(SloSpec slo, List<Counts> counts, long nowMs, Map<String, Long> firingSince) {
    double budget = slo.errorBudget();
    double[] overall = sum(counts, nowMs, slo.window());
    double sli = overall[1] > 0 ? overall[0] / overall[1] : 1;
    double remaining = overall[1] > 0 ? 1 - ((overall[1] - overall[0]) / overall[1]) / budget : 1;
    SloStatusRecord.Builder status = SloStatusRecord.newBuilder().setSchemaVersion(SCHEMA_VERSION).setName(slo.name())
        .setService(slo.service()).setSliKind(slo.sliKind().label()).setObjective(slo.objective())
        .setTimeWindow(Durations.format(slo.window())).setEvaluatedAtUnixMs(nowMs).setGoodEvents(overall[0])
        .setTotalEvents(overall[1]).setSli(sli).setErrorBudgetRemaining(remaining);
    Map<String, Double> rates = new LinkedHashMap<>();
    Map<String, Boolean> firing = new LinkedHashMap<>();
    Map<String, double[]> burn = new LinkedHashMap<>();
    for (AlertWindow a : alerts) {
      Duration shortW = a.effectiveShortWindow(aggregationWindow);
      double longRate = burnRate(sum(counts, nowMs, a.longWindow()), budget);
      double shortRate = burnRate(sum(counts, nowMs, shortW), budget);
      rates.put(Durations.format(a.longWindow()), longRate);
      rates.put(Durations.format(shortW), shortRate);
      double threshold = a.threshold(slo.window());
      boolean fires = longRate > threshold && shortRate > threshold;
      firing.put(a.name(), fires);
      burn.put(a.name(), new double[] {longRate, shortRate});
      Long since = firingSince.get(a.name());
      status.addAlerts(AlertState.newBuilder().setName(a.name()).setSeverity(a.severity()).setFiring(fires)
          .setLongWindow(Durations.format(a.longWindow())).setShortWindow(Durations.format(shortW)).setThreshold(threshold)
          .setSinceUnixMs(fires ? (since != null ? since : nowMs) : 0));
    }
    List<Map.Entry<String, Double>> sorted = new ArrayList<>(rates.entrySet());
    sorted.sort(Map.Entry.comparingByKey((x, y) -> Long.compare(Durations.parse(x).toMillis(), Durations.parse(y).toMillis())));
    for (Map.Entry<String, Double> r : sorted) {
      status.addBurnRates(SloStatusRecord.BurnRate.newBuilder().setWindow(r.getKey()).setRate(r.getValue()));
    }
    return new Result(status.build(), firing, burn);
  }
}
