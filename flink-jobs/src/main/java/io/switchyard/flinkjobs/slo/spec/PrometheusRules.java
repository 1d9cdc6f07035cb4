package io.switchyard.flinkjobs.slo.spec;

import io.switchyard.model.LatencyBuckets;
import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
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
 * whole slices as in the job. The subquery's range is a millisecond short of the window, so that Prometheus 2 and
 * 3 both take the window's slices and no more.
 *
 * <p>RatioTimeslices SLOs record the mean of the slices' error ratios over W the same way, a slice without
 * requests (whose ratio is 0 / 0) counting 0.
 */
public final class PrometheusRules {
  private PrometheusRules() {}

  public static String render(List<SloSpec> slos, AlertPolicy policy, Duration aggregationWindow) {
    StringBuilder y = new StringBuilder("groups:\n");
    for (SloSpec slo : slos) {
      y.append("- name: switchyard-slo-").append(slo.name()).append('\n');
      y.append("  rules:\n");
      List<AlertPolicy.Alert> alerts = policy.alerts(slo, aggregationWindow);
      Set<Duration> windows = new LinkedHashSet<>();
      for (AlertPolicy.Alert a : alerts) {
        windows.add(a.shortWindow());
        windows.add(a.longWindow());
      }
      if (slo.calendar() == null) {
        windows.add(slo.window());
      } else {
        // PromQL has no range that starts at a calendar period's start: the burn-rate alerts carry over, the SLI and
        // budget of the period do not (the job's slo-status records and /metrics have them).
        y.append("  # ").append(slo.name()).append(": calendar periods of ").append(slo.calendar())
            .append(": no period rules, Prometheus ranges are rolling\n");
      }
      String ids = "sloth_id: \"" + slo.name() + "\", sloth_service: " + doubleQuoted(slo.service()) + ", sloth_slo: \"" + slo.name() + "\"";
      for (Duration w : windows) {
        y.append("  - record: slo:sli_error:ratio_rate").append(Durations.format(w)).append('\n');
        y.append("    expr: ").append(quote(errorRatio(slo, w)))
            .append('\n');
        y.append("    labels: {").append(ids).append(", sloth_window: \"").append(Durations.format(w)).append("\"}\n");
      }
      metadata(y, slo, Collections.min(windows), ids);
      for (String severity : List.of("page", "ticket")) {
        List<String> terms = new ArrayList<>();
        for (AlertPolicy.Alert a : alerts) {
          if (a.policy() != null || !a.severity().equals(severity)) {
            continue;
          }
          Duration longW = a.longWindow();
          String factor = num(a.threshold() * slo.errorBudget());
          // Each window's series carries its own sloth_window label, so the two are matched without it (Sloth's form).
          terms.add("(max(slo:sli_error:ratio_rate" + Durations.format(a.shortWindow())
              + "{sloth_id=\"" + slo.name() + "\"} > " + factor + ") without (sloth_window) and max(slo:sli_error:ratio_rate"
              + Durations.format(longW) + "{sloth_id=\"" + slo.name() + "\"} > " + factor + ") without (sloth_window))");
        }
        if (terms.isEmpty()) {
          continue;
        }
        y.append("  - alert: SwitchyardSloBurnRate").append(severity.equals("page") ? "Page" : "Ticket").append('\n');
        y.append("    expr: ").append(quote(String.join(" or ", terms))).append('\n');
        // sloth_severity as Sloth's alert rules carry it (Sloth's UI and routes written for Sloth read it); severity for the rest.
        y.append("    labels: {severity: ").append(severity).append(", sloth_severity: ").append(severity).append(", sloth_id: \"")
            .append(slo.name()).append("\"}\n");
        y.append("    annotations: {summary: ").append(quote("SLO " + slo.name() + " is burning its error budget too fast"))
            .append("}\n");
      }
      for (AlertPolicy.Alert a : alerts) {
        if (a.policy() != null) {
          policyAlert(y, slo, a);
        }
      }
    }
    return y.toString();
  }

  /**
   * One OpenSLO AlertPolicy: the burn rate over its lookbackWindow compared by its op, only while the window has
   * requests (as in the job, a window without requests has no burn rate) or, with alertWhenNoData, also while it has
   * none (with alertWhenBreaching false, only then); {@code for:} is its alertAfter. The policy's name, targets and alertWhenResolved are labels, so that
   * Alertmanager routes can match them (OpenSLO's suggestion for notification targets).
   */
  private static void policyAlert(StringBuilder y, SloSpec slo, AlertPolicy.Alert a) {
    PolicyAlert p = a.policy();
    String w = Durations.format(a.longWindow());
    String requests = "sum(rate(traces_service_graph_request_total" + selector(slo) + "[" + w + "]))";
    String noData = "(" + requests + " == 0) or on() absent(traces_service_graph_request_total" + selector(slo) + ")";
    String expr;
    if (!p.alertWhenBreaching()) {
      expr = noData;
    } else {
      expr = "(max(slo:sli_error:ratio_rate" + w + "{sloth_id=\"" + slo.name() + "\"}) without (sloth_window) " + p.op().promQl()
          + " " + num(a.threshold() * slo.errorBudget()) + ") and on() (" + requests + " > 0)";
      if (p.alertWhenNoData()) {
        expr += " or on() " + noData;
      }
    }
    y.append("  - alert: SwitchyardSloAlertPolicy\n");
    y.append("    expr: ").append(quote(expr)).append('\n');
    if (!p.alertAfter().isZero()) {
      y.append("    for: ").append(Durations.format(p.alertAfter())).append('\n');
    }
    y.append("    labels: {severity: ").append(doubleQuoted(p.severity())).append(", sloth_id: \"").append(slo.name())
        .append("\", alert_policy: \"").append(p.name()).append("\", alert_condition: \"").append(p.condition())
        .append("\", notification_targets: \"").append(String.join(",", p.notificationTargets()))
        .append("\", alert_when_resolved: \"").append(p.alertWhenResolved()).append("\"}\n");
    String summary = !p.description().isEmpty() ? p.description()
        : p.alertWhenBreaching() ? "SLO " + slo.name() + ": the burn rate over " + w + " is " + p.op().promQl() + " " + num(a.threshold()) + "x"
        : "SLO " + slo.name() + ": no requests over " + w;
    y.append("    annotations: {summary: ").append(quote(summary)).append("}\n");
  }

  /**
   * A double-quoted string, as a YAML scalar and as a PromQL string alike (both read {@code \\}, {@code \"} and
   * {@code \n} the same way): a severity, a service or a namespace is any string.
   */
  static String doubleQuoted(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
        + "\"";
  }

  /**
   * Sloth's metadata rules, under Sloth's names and labels, so Sloth's Grafana dashboards and queries written for
   * Sloth read Switchyard's SLOs: objective, budget, period, the burn rate now (over the shortest window recorded,
   * Sloth's 5m for a 28- or 30-day SLO) and over the whole SLO window, the budget left, and an info series.
   */
  private static void metadata(StringBuilder y, SloSpec slo, Duration shortest, String ids) {
    String labels = "{" + ids + "}";
    String select = "{sloth_id=\"" + slo.name() + "\", sloth_service=" + doubleQuoted(slo.service()) + ", sloth_slo=\"" + slo.name()
        + "\"}";
    String perBudget = " / on(sloth_id, sloth_slo, sloth_service) group_left slo:error_budget:ratio" + select;
    record(y, "slo:objective:ratio", "vector(" + num(slo.objective()) + ")", labels);
    record(y, "slo:error_budget:ratio", "vector(" + num(slo.errorBudget()) + ")", labels);
    record(y, "slo:time_period:days", "vector(" + num(slo.window().toMillis() / 86_400_000.0) + ")", labels);
    record(y, "slo:current_burn_rate:ratio", "slo:sli_error:ratio_rate" + Durations.format(shortest) + select + perBudget, labels);
    if (slo.calendar() == null) {
      record(y, "slo:period_burn_rate:ratio", "slo:sli_error:ratio_rate" + Durations.format(slo.window()) + select + perBudget, labels);
      record(y, "slo:period_error_budget_remaining:ratio", "1 - slo:period_burn_rate:ratio" + select, labels);
    }
    record(y, "sloth_slo_info", "vector(1)", "{" + ids + ", sloth_mode: \"switchyard\", sloth_spec: \"openslo/v1\", sloth_objective: \""
        + num(slo.objective() * 100) + "\"}");
  }

  private static void record(StringBuilder y, String name, String expr, String labels) {
    y.append("  - record: ").append(name).append('\n');
    y.append("    expr: ").append(quote(expr)).append('\n');
    y.append("    labels: ").append(labels).append('\n');
  }

  /** What {@code slo:sli_error:ratio_rate<W>} records for the SLO's budgeting method. */
  static String errorRatio(SloSpec slo, Duration w) {
    return switch (slo.budgeting().method()) {
      case OCCURRENCES -> errorRatio(slo, Durations.format(w));
      case TIMESLICES -> badSliceRatio(slo, w);
      case RATIO_TIMESLICES -> meanSliceErrorRatio(slo, w);
    };
  }

  /** Bad slices / slices of {@code w}: a slice is bad when its error ratio exceeds 1 - timeSliceTarget. */
  static String badSliceRatio(SloSpec slo, Duration w) {
    String slice = Durations.format(slo.budgeting().sliceWindow());
    return "avg_over_time(((" + errorRatio(slo, slice) + ") > bool " + num(1 - slo.budgeting().sliceTarget())
        + " or on() vector(0))" + sliceRange(w, slice) + ")";
  }

  /** The mean of the slices' error ratios over {@code w}; {@code >= 0} drops a quiet slice's NaN so that it counts 0. */
  static String meanSliceErrorRatio(SloSpec slo, Duration w) {
    String slice = Durations.format(slo.budgeting().sliceWindow());
    return "avg_over_time(((" + errorRatio(slo, slice) + ") >= 0 or on() vector(0))" + sliceRange(w, slice) + ")";
  }

  /**
   * The subquery range of {@code w}'s slices, one millisecond short of {@code w}: Prometheus 2 includes a range's
   * start and would judge one slice more than the job (W / slice + 1), Prometheus 3 excludes it; both then take
   * exactly the W / slice slices ending in the range.
   */
  private static String sliceRange(Duration w, String slice) {
    return "[" + Durations.format(w.minusMillis(1)) + ":" + slice + "]";
  }

  static String errorRatio(SloSpec slo, String w) {
    String sel = selector(slo);
    return switch (slo.sliKind()) {
      case AVAILABILITY -> "sum(rate(traces_service_graph_request_failed_total" + sel + "[" + w + "]))"
          + " / sum(rate(traces_service_graph_request_total" + sel + "[" + w + "]))";
      case LATENCY -> {
        String le = sel.substring(0, sel.length() - 1) + ", " + leMatcher(slo.latencyThreshold()) + "}";
        yield "1 - sum(rate(traces_service_graph_request_server_seconds_bucket" + le + "[" + w + "]))"
            + " / sum(rate(traces_service_graph_request_server_seconds_count" + sel + "[" + w + "]))";
      }
    };
  }

  /**
   * The series of the SLO's service or edge. No source label: the topology API exposes one figure per hop, the
   * access-log one where a hop has both (a filter on {@code source} would match nothing there). An SLO's namespace is
   * the server's, as in the job (an edge SLO counts callers of any namespace), matched on Tempo's
   * {@code server_service_namespace} dimension label.
   */
  private static String selector(SloSpec slo) {
    SloSpec.Target t = slo.target();
    StringBuilder s = new StringBuilder("{server=").append(doubleQuoted(t.service()));
    if (!t.namespace().isEmpty()) {
      s.append(", server_service_namespace=").append(doubleQuoted(t.namespace()));
    }
    if (t.isEdge()) {
      s.append(", client=").append(doubleQuoted(t.client()));
    }
    return s.append('}').toString();
  }

  /**
   * The {@code le} matcher of the threshold's bucket as the topology API writes it (Java's double text). A
   * Prometheus that normalises {@code le} on scrape writes bounds under 1 ms in plain decimals instead, so those
   * match either spelling.
   */
  static String leMatcher(Duration threshold) {
    int i = LatencyBuckets.boundIndex(threshold.toNanos() / 1e9);
    double bound = i < 0 ? threshold.toNanos() / 1e9 : LatencyBuckets.upperBoundSeconds(i);
    String java = Double.toString(bound);
    String plain = new BigDecimal(java).stripTrailingZeros().toPlainString();
    return java.equals(plain) ? "le=\"" + java + "\"" : "le=~\"" + java.replace(".", "\\\\.") + "|" + plain.replace(".", "\\\\.") + "\"";
  }

  /**
   * A number as PromQL and YAML both read it: 10 significant digits, no trailing zeros, never in exponent form
   * (stripping the zeros of {@code %g}'s {@code 1.000000000e-10} cut its exponent to {@code e-1}).
   */
  static String num(double v) {
    return BigDecimal.valueOf(v).round(new MathContext(10)).stripTrailingZeros().toPlainString();
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "''") + "'";
  }
}
