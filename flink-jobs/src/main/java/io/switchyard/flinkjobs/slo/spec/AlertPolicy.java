package io.switchyard.flinkjobs.slo.spec;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which burn-rate alerts an SLO gets, with which windows and thresholds. One rule serves the job, the
 * status records and the exported Prometheus rules, so they never disagree.
 *
 * <p>By default ({@code scaled}) the windows are the workbook's, written for a 30-day SLO. A 28- or
 * 30-day SLO keeps them exactly as Sloth's google-28d/google-30d catalogues do (threshold = fraction x
 * SLO window / long window), except that no threshold goes below 1x. Any other SLO window gets the
 * windows scaled by SLO window / 30d, as Pyrra scales its 28-day windows, with the workbook's
 * thresholds (14.4x, 6x, 3x, 1x): the same share of the budget then burns in each alert's long window,
 * and a long window never outgrows the SLO window (a 30-day table applied to a 7-day SLO would ticket
 * at 0.23x and fire on SLOs that are being met). Scaled windows are rounded to whole aggregation
 * windows, at least one minute.
 *
 * <p>Explicit windows ({@code --slo-alert-windows LIST}) are used as given for every SLO; an SLO for
 * which one of them would get a threshold below 1x or a long window beyond the SLO window is refused.
 */
public record AlertPolicy(List<AlertWindow> windows, boolean scaled) implements Serializable {
  /** The SLO window the workbook's table is written for. */
  public static final Duration REFERENCE_WINDOW = Duration.ofDays(30);
  /** SLO windows that keep the configured windows unscaled: Sloth's two catalogue periods. */
  static final Set<Duration> UNSCALED = Set.of(Duration.ofDays(28), Duration.ofDays(30));
  private static final Duration LONGEST_SLO_WINDOW = Duration.ofDays(90);

  public static final AlertPolicy DEFAULT = new AlertPolicy(AlertWindow.DEFAULTS, true);

  /**
   * One alert as evaluated for one SLO. It breaches while the burn rate over both windows compares with the threshold
   * by {@link #op} (unless {@link #alertWhenBreaching} is off; and, with {@link #alertWhenNoData}, while the long window
   * has no events), and fires once it has
   * breached for {@link #alertAfter}. The job's multi-window alerts ({@code policy} null) fire above the threshold at
   * once; an OpenSLO AlertPolicy's has one window, both windows being its lookbackWindow.
   */
  public record Alert(String name, String severity, Duration longWindow, Duration shortWindow, double threshold,
      PolicyAlert policy) {

    /** One of the job's multi-window alerts. */
    public Alert(String name, String severity, Duration longWindow, Duration shortWindow, double threshold) {
      this(name, severity, longWindow, shortWindow, threshold, null);
    }

    public PolicyAlert.Op op() {
      return policy == null ? PolicyAlert.Op.GT : policy.op();
    }

    public Duration alertAfter() {
      return policy == null ? Duration.ZERO : policy.alertAfter();
    }

    public boolean alertWhenNoData() {
      return policy != null && policy.alertWhenNoData();
    }

    public boolean alertWhenBreaching() {
      return policy == null || policy.alertWhenBreaching();
    }
  }

  public AlertPolicy {
    windows = List.copyOf(windows);
    Set<String> names = new HashSet<>();
    for (AlertWindow w : windows) {
      if (!names.add(w.name())) {
        throw new IllegalArgumentException("alert " + w.name() + " is listed twice");
      }
    }
  }

  /**
   * The {@code --slo-alert-windows} value: empty or {@code auto} for the workbook's windows scaled with each
   * SLO window, else a list used as given. A list none of whose SLO windows (up to 90d) could use one of its
   * alerts is refused here, at start.
   */
  public static AlertPolicy parse(String text) {
    if (text == null || text.isBlank() || text.trim().equals("auto")) {
      return DEFAULT;
    }
    AlertPolicy p = new AlertPolicy(AlertWindow.parseList(text), false);
    for (AlertWindow w : p.windows) {
      if (w.threshold(LONGEST_SLO_WINDOW) < 1) {
        throw new IllegalArgumentException("alert " + w.name() + " (" + w.budgetFraction() + " of the budget in "
            + Durations.format(w.longWindow()) + ") would burn slower than 1x for every SLO window up to 90d and fire on SLOs "
            + "that are met: its long window must be at most fraction x SLO window");
      }
    }
    return p;
  }

  /** The alerts of {@code slo} as evaluated by a job aggregating over {@code aggregationWindow}. */
  public List<Alert> alerts(SloSpec slo, Duration aggregationWindow) {
    if (!slo.alertPolicies().isEmpty()) {
      // The SLO's own OpenSLO alert policies replace the job's windows.
      List<Alert> out = new ArrayList<>(slo.alertPolicies().size());
      for (PolicyAlert p : slo.alertPolicies()) {
        Duration w = cover(slo, p.lookbackWindow());
        out.add(new Alert(p.name(), p.severity(), w, w, p.threshold(), p));
      }
      return List.copyOf(out);
    }
    Duration sloWindow = slo.window();
    boolean scale = scaled && !UNSCALED.contains(sloWindow);
    long resolution = Math.max(Duration.ofMinutes(1).toMillis(), aggregationWindow.toMillis());
    List<Alert> out = new ArrayList<>(windows.size());
    for (AlertWindow w : windows) {
      Duration longW;
      Duration shortW;
      double threshold;
      if (scale) {
        longW = cover(slo, scaled(w.longWindow(), sloWindow, resolution));
        shortW = cover(slo, scaled(w.shortWindow(), sloWindow, resolution));
        threshold = w.threshold(REFERENCE_WINDOW);
      } else {
        longW = cover(slo, w.longWindow());
        shortW = cover(slo, w.effectiveShortWindow(aggregationWindow));
        // For Timeslices the long window is the covering whole slices: the threshold keeps the budget share there.
        threshold = w.budgetFraction() * sloWindow.toMillis() / longW.toMillis();
        if (scaled) {
          threshold = Math.max(1, threshold);
        }
      }
      out.add(new Alert(w.name(), w.severity(), longW, shortW, threshold));
    }
    return List.copyOf(out);
  }

  /**
   * Why {@code slo} cannot be evaluated with these alerts (a threshold below 1x, a long window beyond the SLO
   * window), or null when it can.
   */
  public String problem(SloSpec slo, Duration aggregationWindow) {
    boolean own = !slo.alertPolicies().isEmpty();
    String flag = own ? " (an AlertPolicy)" : scaled ? "" : " of --slo-alert-windows";
    List<String> problems = new ArrayList<>();
    for (Alert a : alerts(slo, aggregationWindow)) {
      if (a.longWindow().compareTo(slo.window()) > 0) {
        problems.add("alert " + a.name() + flag + " looks back " + Durations.format(a.longWindow()) + ", longer than the SLO window "
            + Durations.format(slo.window()));
      } else if (a.threshold() < 1 && !own) {
        problems.add("alert " + a.name() + flag + " gets a burn-rate threshold of " + String.format(Locale.ROOT, "%.3g", a.threshold())
            + "x for the SLO window " + Durations.format(slo.window()) + ": below 1x it fires on an SLO that is being met");
      }
    }
    if (problems.isEmpty()) {
      return null;
    }
    return String.join("; ", problems)
        + (scaled || own ? "" : "; leave --slo-alert-windows unset to have the windows scaled with the SLO window");
  }

  /** {@code w x sloWindow / 30d} to the nearest whole {@code resolution}, at least one. */
  private static Duration scaled(Duration w, Duration sloWindow, long resolution) {
    double exact = (double) w.toMillis() * sloWindow.toMillis() / REFERENCE_WINDOW.toMillis();
    return Duration.ofMillis(Math.max(1, Math.round(exact / resolution)) * resolution);
  }

  /** For Timeslices a window rounded up to whole slices (the job judges whole slices only); else the window itself. */
  static Duration cover(SloSpec slo, Duration w) {
    if (!slo.budgeting().sliced()) {
      return w;
    }
    long slice = slo.budgeting().sliceWindow().toMillis();
    return Duration.ofMillis(Math.max(1, (w.toMillis() + slice - 1) / slice) * slice);
  }
}
