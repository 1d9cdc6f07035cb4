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
        windows.add(a.effectiveShortWindow(aggregationWindow));
        windows.add(a.longWindow());
      }
      windows.add(slo.window());
      String labels = "{sloth_id: \"" + slo.name() + "\", sloth_service: \"" + slo.service() + "\", sloth_slo: \"" + slo.name() + "\"}";
      for (Duration w : windows) {
        y.append("  - record: slo:sli_error:ratio_rate").append(Durations.format(w)).append('\n');
        y.append("    expr: ").append(quote(errorRatio(slo, Durations.format(w)))).append('\n');
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
          String factor = num(a.threshold(slo.window()) * slo.errorBudget());
          terms.add("(slo:sli_error:ratio_rate" + Durations.format(a.effectiveShortWindow(aggregationWindow)) + "{sloth_id=\""
              + slo.name() + "\"} > " + factor + " and slo:sli_error:ratio_rate" + Durations.format(a.longWindow())
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

  private static String selector(SloSpec slo) {
    SloSpec.Target t = slo.target();
    StringBuilder s = new StringBuilder("{server=\"").append(t.service()).append('"');
    if (t.isEdge()) {
      s.append(", client=\"").append(t.client()).append('"');
    }
    if (t.source().equals("mesh")) {
      s.append(", source=\"mesh\"");
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
