package io.switchyard.flinkjobs.slo.spec;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One validated SLO from the accepted OpenSLO v1 subset.
 *
 * @param name metadata.name
 * @param service spec.service (informational; the target below decides what is counted)
 * @param target the service or edge whose aggregates count
 * @param sliKind availability (non-failed / all) or latency (at or under the threshold / all)
 * @param latencyThreshold for latency SLIs, the effective threshold (a histogram bucket bound)
 * @param objective target ratio in (0, 1)
 * @param window the rolling SLO window; for a calendar window its nominal length (30 days a month), which the
 *     alert windows and thresholds scale with
 * @param sourceFile where it was read from, for messages
 * @param budgeting how the budget counts: events, or time slices with their own target
 * @param calendar the calendar periods the budget counts over, null for a rolling window
 * @param alertPolicies the SLO's OpenSLO alert policies; empty for the job's multi-window burn-rate alerts
 */
public record SloSpec(String name, String service, Target target, SliKind sliKind, Duration latencyThreshold,
    double objective, Duration window, String sourceFile, Budgeting budgeting, CalendarWindow calendar,
    List<PolicyAlert> alertPolicies) {

  /** An SLO over a rolling window, with the job's alerts. */
  public SloSpec(String name, String service, Target target, SliKind sliKind, Duration latencyThreshold, double objective,
      Duration window, String sourceFile, Budgeting budgeting) {
    this(name, service, target, sliKind, latencyThreshold, objective, window, sourceFile, budgeting, null);
  }

  /** An SLO with the job's alerts. */
  public SloSpec(String name, String service, Target target, SliKind sliKind, Duration latencyThreshold, double objective,
      Duration window, String sourceFile, Budgeting budgeting, CalendarWindow calendar) {
    this(name, service, target, sliKind, latencyThreshold, objective, window, sourceFile, budgeting, calendar, List.of());
  }

  /**
   * OpenSLO budgetingMethod. For {@link Method#TIMESLICES} and {@link Method#RATIO_TIMESLICES} the window is cut
   * into slices of {@code sliceWindow}, aligned to the epoch like the aggregation windows. Under Timeslices a slice
   * is good when its good/total ratio is at least {@code sliceTarget}, and a slice without events is good; under
   * RatioTimeslices the SLI is the mean of the slices' good/total ratios, a slice without events counting 1, and
   * {@code sliceTarget} is 0 (unused).
   */
  public record Budgeting(Method method, double sliceTarget, Duration sliceWindow) {
    public static final Budgeting OCCURRENCES = new Budgeting(Method.OCCURRENCES, 0, Duration.ZERO);

    public enum Method {
      OCCURRENCES("Occurrences"), TIMESLICES("Timeslices"), RATIO_TIMESLICES("RatioTimeslices");

      private final String openSlo;

      Method(String openSlo) {
        this.openSlo = openSlo;
      }

      /** The budgetingMethod value in OpenSLO YAML. */
      public String openSlo() {
        return openSlo;
      }

      /** The method OpenSLO YAML names {@code text}, or null. */
      public static Method of(String text) {
        for (Method m : values()) {
          if (m.openSlo.equals(text)) {
            return m;
          }
        }
        return null;
      }
    }

    public static Budgeting timeslices(double sliceTarget, Duration sliceWindow) {
      return new Budgeting(Method.TIMESLICES, sliceTarget, sliceWindow);
    }

    public static Budgeting ratioTimeslices(Duration sliceWindow) {
      return new Budgeting(Method.RATIO_TIMESLICES, 0, sliceWindow);
    }

    /** True when the budget counts time slices (Timeslices or RatioTimeslices) rather than events. */
    public boolean sliced() {
      return method != Method.OCCURRENCES;
    }
  }

  public enum SliKind {
    AVAILABILITY, LATENCY;

    public String label() {
      return name().toLowerCase();
    }
  }

  /** Which aggregates count: a service (as server) or one client->server edge, from trace or mesh data. */
  public record Target(String service, String client, String namespace, String source) {
    public boolean isEdge() {
      return !client.isEmpty();
    }

    /** The key under which the job groups aggregates and definitions. */
    public String key() {
      return isEdge() ? "edge|" + source + "|" + client + "->" + service : "service|" + source + "|" + service;
    }
  }

  public SloSpec {
    Objects.requireNonNull(name);
    Objects.requireNonNull(target);
    Objects.requireNonNull(sliKind);
    Objects.requireNonNull(window);
    Objects.requireNonNull(budgeting);
    alertPolicies = List.copyOf(alertPolicies);
    if (calendar != null && !window.equals(calendar.nominal())) {
      throw new IllegalArgumentException("a calendar SLO's window is its nominal length " + calendar.nominal() + ", got " + window);
    }
  }

  /** The time window as OpenSLO writes it: "28d" rolling, "1M" for a calendar window. */
  public String windowText() {
    return calendar == null ? Durations.format(window) : calendar.text();
  }

  /** How far back counts are kept for the SLO window itself: a rolling window, or the longest calendar period. */
  public Duration longestWindow() {
    return calendar == null ? window : calendar.longest();
  }

  /**
   * {@code 1 - objective} taken in decimal, as the objective was written: in binary floating point 1 - 0.99 is
   * 0.010000000000000009, so a budget spent exactly read 8.9e-16 left and a 1x burn 0.9999999999999991x.
   */
  public double errorBudget() {
    return BigDecimal.ONE.subtract(new BigDecimal(Double.toString(objective))).doubleValue();
  }
}
