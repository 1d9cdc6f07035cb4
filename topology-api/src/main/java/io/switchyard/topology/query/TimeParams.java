package io.switchyard.topology.query;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Time parameters: RFC 3339 ({@code 2026-11-25T20:00:00Z}), relative forms ({@code now}, {@code now-15m},
 * {@code now-1h30m}) and epoch milliseconds (what Grafana's {@code ${__from}} expands to).
 */
public final class TimeParams {
  private static final Pattern RELATIVE = Pattern.compile("now(?:([-+])(.+))?");
  private static final Pattern DURATION_PART = Pattern.compile("(\\d+)(ms|s|m|h|d|w)");

  private TimeParams() {}

  public static long instant(String parameter, String value, long nowMs) {
    String v = value.trim();
    Matcher rel = RELATIVE.matcher(v);
    if (rel.matches()) {
      if (rel.group(1) == null) {
        return nowMs;
      }
      long offset = durationMillis(parameter, rel.group(2));
      return rel.group(1).equals("-") ? nowMs - offset : nowMs + offset;
    }
    if (!v.isEmpty() && v.chars().allMatch(Character::isDigit)) {
      if (v.length() > 15) {
        throw new BadParameterException(parameter, "epoch milliseconds out of range: " + value);
      }
      return Long.parseLong(v);
    }
    try {
      return OffsetDateTime.parse(v).toInstant().toEpochMilli();
    } catch (DateTimeParseException e) {
      throw new BadParameterException(parameter,
          "expected RFC 3339 (2026-01-02T15:04:05Z), now, now-<duration> (e.g. now-15m) or epoch milliseconds, got '"
              + value + "'");
    }
  }

  /** A duration such as {@code 30s}, {@code 15m}, {@code 1h30m}, {@code 7d}; a bare number is seconds. */
  public static long durationMillis(String parameter, String value) {
    String v = value.trim();
    if (!v.isEmpty() && v.chars().allMatch(Character::isDigit) && v.length() < 12) {
      return Long.parseLong(v) * 1000;
    }
    Matcher m = DURATION_PART.matcher(v);
    long total = 0;
    int end = 0;
    while (m.find()) {
      if (m.start() != end) {
        break;
      }
      end = m.end();
      long n;
      try {
        n = Long.parseLong(m.group(1));
      } catch (NumberFormatException e) {
        throw new BadParameterException(parameter, "duration too large: '" + value + "'");
      }
      total += switch (m.group(2)) {
        case "ms" -> n;
        case "s" -> Duration.ofSeconds(n).toMillis();
        case "m" -> Duration.ofMinutes(n).toMillis();
        case "h" -> Duration.ofHours(n).toMillis();
        case "d" -> Duration.ofDays(n).toMillis();
        default -> Duration.ofDays(7 * n).toMillis();
      };
    }
    if (v.isEmpty() || end != v.length()) {
      throw new BadParameterException(parameter, "expected a duration such as 30s, 15m, 1h30m or 7d, got '" + value + "'");
    }
    return total;
  }
}
