package io.switchyard.flinkjobs.slo.spec;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One multi-window burn-rate alert (Google SRE workbook ch. 5): fire when the burn rate over both the
 * long and the short window exceeds the threshold. The threshold is derived from the fraction of the
 * budget that may burn in the long window, so it scales with the SLO window: 2 % in 1h of a 30d SLO is
 * 0.02 x 720h / 1h = 14.4x.
 */
public record AlertWindow(String name, String severity, Duration longWindow, Duration shortWindow, double budgetFraction)
    implements Serializable {

  /** Workbook page 1h/5m (2 %) and 6h/30m (5 %), Sloth's ticket 1d/2h (10 %) and workbook ticket 3d/6h (10 %). */
  public static final List<AlertWindow> DEFAULTS = List.of(
      new AlertWindow("page-1h", "page", Duration.ofHours(1), Duration.ofMinutes(5), 0.02),
      new AlertWindow("page-6h", "page", Duration.ofHours(6), Duration.ofMinutes(30), 0.05),
      new AlertWindow("ticket-1d", "ticket", Duration.ofDays(1), Duration.ofHours(2), 0.10),
      new AlertWindow("ticket-3d", "ticket", Duration.ofDays(3), Duration.ofHours(6), 0.10));

  public AlertWindow {
    if (!severity.equals("page") && !severity.equals("ticket")) {
      throw new IllegalArgumentException("severity must be page or ticket: " + severity);
    }
    if (shortWindow.compareTo(longWindow) >= 0) {
      throw new IllegalArgumentException("short window " + shortWindow + " must be shorter than long window " + longWindow);
    }
    if (!(budgetFraction > 0 && budgetFraction <= 1)) {
      throw new IllegalArgumentException("budget fraction must be in (0, 1]: " + budgetFraction);
    }
  }

  /** Burn-rate factor for an SLO window. */
  public double threshold(Duration sloWindow) {
    return budgetFraction * sloWindow.toMillis() / longWindow.toMillis();
  }

  /** The short window actually used: never below one minute nor below the aggregation window. */
  public Duration effectiveShortWindow(Duration aggregationWindow) {
    Duration floor = aggregationWindow.compareTo(Duration.ofMinutes(1)) > 0 ? aggregationWindow : Duration.ofMinutes(1);
    return shortWindow.compareTo(floor) < 0 ? floor : shortWindow;
  }

  /** Parses "page:1h/5m:0.02,ticket:3d/6h:0.1" (severity:long/short:budget fraction). */
  public static List<AlertWindow> parseList(String text) {
    List<AlertWindow> out = new ArrayList<>();
    for (String part : text.split(",")) {
      String[] f = part.trim().split(":");
      String[] w = f.length == 3 ? f[1].split("/") : new String[0];
      if (w.length != 2) {
        throw new IllegalArgumentException("alert window '" + part + "' must look like page:1h/5m:0.02");
      }
      Duration longW = Durations.parse(w[0]);
      out.add(new AlertWindow(f[0] + "-" + w[0], f[0], longW, Durations.parse(w[1]), Double.parseDouble(f[2])));
    }
    return List.copyOf(out);
  }
}
