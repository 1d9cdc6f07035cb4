package io.switchyard.flinkjobs.slo.spec;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Prometheus/OpenSLO style durations: "500ms", "30s", "5m", "1h", "28d", "2w". */
public final class Durations {
  private static final Pattern FORMAT = Pattern.compile("^(\\d+)(ms|s|m|h|d|w)$");

  private Durations() {}

  public static Duration parse(String text) {
    Matcher m = FORMAT.matcher(text == null ? "" : text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a duration like 500ms, 30s, 5m, 1h, 28d or 2w");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      case "d" -> Duration.ofDays(n);
      default -> Duration.ofDays(7 * n);
    };
  }

  /** The shortest exact text for a duration, in the same units. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 604_800_000L == 0 && ms >= 604_800_000L && ms % 86_400_000L == 0 && ms / 86_400_000L % 7 == 0 && ms / 86_400_000L > 7) {
      return ms / 604_800_000L + "w";
    }
    if (ms % 86_400_000L == 0 && ms > 0) {
      return ms / 86_400_000L + "d";
    }
    if (ms % 3_600_000L == 0 && ms > 0) {
      return ms / 3_600_000L + "h";
    }
    if (ms % 60_000L == 0 && ms > 0) {
      return ms / 60_000L + "m";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return ms + "ms";
  }
}
