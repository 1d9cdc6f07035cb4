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
  /** Longest duration taken, so that now plus or minus one (and a step's arithmetic) cannot overflow. */
  static final long MAX_DURATION_DAYS = 36_525;
  private static final long MAX_DURATION_MS = Duration.ofDays(MAX_DURATION_DAYS).toMillis();

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
    } catch (ArithmeticException e) {
      throw new BadParameterException(parameter, "time out of range: '" + value + "'");
    } catch (DateTimeParseException e) {
      throw new BadParameterException(parameter,
          "expected RFC 3339 (2026-01-02T15:04:05Z), now, now-<duration> (e.g. now-15m) or epoch milliseconds, got '"
              + value + "'");
    }
  }

  /**
   * A duration such as {@code 30s}, {@code 15m}, {@code 1h30m}, {@code 7d}; a bare number is seconds. At most
   * {@value #MAX_DURATION_DAYS} days.
   */
  public static long durationMillis(String parameter, String value) {
    String v = value.trim();
    if (!v.isEmpty() && v.chars().allMatch(Character::isDigit)) {
      return bounded(parameter, value, v, 1000);
    }
    Matcher m = DURATION_PART.matcher(v);
    long total = 0;
    int end = 0;
    while (m.find()) {
      if (m.start() != end) {
        break;
      }
      end = m.end();
      long unit = switch (m.group(2)) {
        case "ms" -> 1;
        case "s" -> 1000;
        case "m" -> 60_000;
        case "h" -> 3_600_000;
        case "d" -> 86_400_000;
        default -> 7 * 86_400_000L;
      };
      // Each part is at most the bound, so the sum of two cannot overflow before it is checked.
      total += bounded(parameter, value, m.group(1), unit);
      if (total > MAX_DURATION_MS) {
        throw tooLarge(parameter, value);
      }
    }
    if (v.isEmpty() || end != v.length()) {
      throw new BadParameterException(parameter, "expected a duration such as 30s, 15m, 1h30m or 7d, got '" + value + "'");
    }
    return total;
  }

  /** {@code digits} times {@code unitMs}, refused beyond {@link #MAX_DURATION_MS}. */
  private static long bounded(String parameter, String value, String digits, long unitMs) {
    // More than 19 digits is beyond any long, and so beyond the bound.
    if (digits.length() <= 18 && Long.parseLong(digits) <= MAX_DURATION_MS / unitMs) {
      return Long.parseLong(digits) * unitMs;
    }
    throw tooLarge(parameter, value);
  }

  private static BadParameterException tooLarge(String parameter, String value) {
    return new BadParameterException(parameter, "duration too large: at most " + MAX_DURATION_DAYS + "d, got '" + value + "'");
  }
}
