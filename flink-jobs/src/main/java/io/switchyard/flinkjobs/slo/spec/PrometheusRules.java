package io.switchyard.flinkjobs.slo.spec;

import io.switchyard.model.LatencyBuckets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Prometheus recording and alerting rules equivalent to the in-stream evaluation, over the
 * Tempo-compatible series names (traces_service_graph_*) and with Sloth's recording-rule names so
 * Sloth dashboards work. Prometheus computes rates over the windows; the in-stream job counts exact
 * events, so the two agree up to Prometheus' extrapolation at window edges.
 *
 * <p>Timeslices SLOs keep the same rule names, but {@code slo:sli_error:ratio_rate<W>} is the fraction
 * of bad slices among the slices of W: a subquery with the slice as its step (Prometheus aligns
 * subquery steps to the epoch, as the job aligns its slices) judges each slice by its error ratio, a
 * slice without requests counts as good ({@code or on() vector(0)}), and every window is rounded up to
 * whole slices as in the job.
 */
public final class PrometheusRules {
  private PrometheusRules() {}

  public static String render(List<SloSpec> slos, List<AlertWindow> alerts, Duration aggregationWindow) {
    StringBuilder y = new StringBuilder("groups:\n");
    for (SloSpec slo : slos) {
      y.append("- name: switchyard-slo-").append(slo.name()).append('\n');
      y.append("  rules:\n");
      Set<Duration> windows = new LinkedHashSet<>();
      for (AlertWindow a : alerts) {
        windows.add(cover(slo, a.effectiveShortWindow(aggregationWindow)));
        windows.add(cover(slo, a.longWindow()));
      }
      windows.add(slo.window());
      String labels = "{sloth_id: \"" + slo.name() + "\", sloth_service: \"" + slo.service() + "\", sloth_slo: \"" + slo.name() + "\"}";
      for (Duration w : windows) {
        y.append("  - record: slo:sli_error:ratio_rate").append(Durations.format(w)).append('\n');
        y.append("    expr: ").append(quote(slo.budgeting().timeslices() ? badSliceRatio(slo, w) : errorRatio(slo, Durations.format(w))))
            .append('\n');
        y.append("    labels: ").append(labels).append('\n');
      }
      y.append("  - record: slo:objective:ratio\n    expr: vector(").append(num(slo.objective())).append(")\n    labels: ")
          .append(labels).append('\n');
      for (String severity : List.of("page", "ticket")) {
        List<String> terms = new ArrayList<>();
        for (AlertWindow a : alerts) {
          if (!a.severity().equals(severity)) {
            continue;
          }
          Duration longW = cover(slo, a.longWindow());
          String factor = num(a.budgetFraction() * slo.window().toMillis() / longW.toMillis() * slo.errorBudget());
          terms.add("(slo:sli_error:ratio_rate" + Durations.format(cover(slo, a.effectiveShortWindow(aggregationWindow))) + "{sloth_id=\""
              + slo.name() + "\"} > " + factor + " and slo:sli_error:ratio_rate" + Durations.format(longW)
              + "{sloth_id=\"" + slo.name() + "\"} > " + factor + ")");
        }
        if (terms.isEmpty()) {
          continue;
        }
        y.append("  - alert: SwitchyardSloBurnRate").append(severity.equals("page") ? "Page" : "Ticket").append('\n');
        y.append("    expr: ").append(quote(String.join(" or ", terms))).append('\n');
        y.append("    labels: {severity: ").append(severity).append(", sloth_id: \"").append(slo.name()).append("\"}\n");
        y.append("    annotations: {summary: ").append(quote("SLO " + slo.name() + " is burning its error budget too fast"))
            .append("}\n");
      }
    }
    return y.toString();
  }

  /** For Timeslices a window rounded up to whole slices (as the job evaluates it); else the window itself. */
  private static Duration cover(SloSpec slo, Duration w) {
    if (!slo.budgeting().timeslices()) {
      return w;
    }
    long slice = slo.budgeting().sliceWindow().toMillis();
    return Duration.ofMillis(Math.max(1, (w.toMillis() + slice - 1) / slice) * slice);
  }

  /** Bad slices / slices of {@code w}: a slice is bad when its error ratio exceeds 1 - timeSliceTarget. */
  static String badSliceRatio(SloSpec slo, Duration w) {
    String slice = Durations.format(slo.budgeting().sliceWindow());
    return "avg_over_time(((" + errorRatio(slo, slice) + ") > bool " + num(1 - slo.budgeting().sliceTarget())
        + " or on() vector(0))[" + Durations.format(w) + ":" + slice + "])";
  }

  static String errorRatio(SloSpec slo, String w) {
    String sel = selector(slo);
    return switch (slo.sliKind()) {
      case AVAILABILITY -> "sum(rate(traces_service_graph_request_failed_total" + sel + "[" + w + "]))"
          + " / sum(rate(traces_service_graph_request_total" + sel + "[" + w + "]))";
      case LATENCY -> {
        String le = sel.substring(0, sel.length() - 1) + ", le=\"" + leLabel(slo.latencyThreshold()) + "\"}";
        yield "1 - sum(rate(traces_service_graph_request_server_seconds_bucket" + le + "[" + w + "]))"
            + " / sum(rate(traces_service_graph_request_server_seconds_count" + sel + "[" + w + "]))";
      }
    };
  }

  /**
   * The series of the SLO's service or edge. No source label: the topology API exposes one figure per hop, the
   * access-log one where a hop has both (a filter on {@code source} would match nothing there).
   */
  private static String selector(SloSpec slo) {
    SloSpec.Target t = slo.target();
    StringBuilder s = new StringBuilder("{server=\"").append(t.service()).append('"');
    if (t.isEdge()) {
      s.append(", client=\"").append(t.client()).append('"');
    }
    return s.append('}').toString();
  }

  private static String leLabel(Duration threshold) {
    double seconds = threshold.toNanos() / 1e9;
    for (int i = 0; i < LatencyBuckets.FINITE; i++) {
      double b = LatencyBuckets.upperBoundSeconds(i);
      if (Math.abs(b - seconds) <= b * 1e-6) {
        return Double.toString(b);
      }
    }
    return Double.toString(seconds);
  }

  private static String num(double v) {
    return String.format(Locale.ROOT, "%.10g", v).replaceAll("0+$", "").replaceAll("\\.$", "");
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "''") + "'";
  }
}
