package io.switchyard.topology.query;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Time parameters: RFC 3339 ({@code 2026-11-25T20:00:00Z}), relative forms ({@code now}, {@code now-15m},
 * {@code now-1h30m}), Unix seconds with an optional decimal fraction (as Prometheus' HTTP API takes them, e.g.
 * {@code 1795636800.5}) and epoch milliseconds (what Grafana's {@code ${__from}} expands to).
 *
 * <p>A bare number is told apart by its value: below {@link #FIRST_MILLIS} it is seconds (up to 2286-11-20), from it
 * on milliseconds (from 1970-04-26 on), and any number with a fraction is seconds. The two readings overlap only for
 * milliseconds before 1970-04-26 or seconds after 2286, and both of those lie outside any stored window.
 */
public final class TimeParams {
  private static final Pattern RELATIVE = Pattern.compile("now(?:([-+])(.+))?");
  private static final Pattern DURATION_PART = Pattern.compile("(\\d+)(ms|s|m|h|d|w)");
  /** Longest duration taken, so that now plus or minus one (and a step's arithmetic) cannot overflow. */
  static final long MAX_DURATION_DAYS = 36_525;
  private static final long MAX_DURATION_MS = Duration.ofDays(MAX_DURATION_DAYS).toMillis();
  /** The smallest bare integer read as epoch milliseconds; smaller ones are Unix seconds. */
  static final long FIRST_MILLIS = 10_000_000_000L;
  /** Most significant digits of epoch milliseconds taken (up to year 33658), as before seconds were read. */
  private static final int MAX_MILLIS_DIGITS = 15;

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
    int dot = unixNumberDot(v);
    if (dot != NOT_A_NUMBER) {
      return unixMillis(parameter, value, v, dot);
    }
    try {
      return OffsetDateTime.parse(v).toInstant().toEpochMilli();
    } catch (ArithmeticException e) {
      throw new BadParameterException(parameter, "time out of range: '" + value + "'");
    } catch (DateTimeParseException e) {
      throw new BadParameterException(parameter, "expected RFC 3339 (2026-01-02T15:04:05Z), now, now-<duration> (e.g. "
          + "now-15m), Unix seconds (1795636800 or 1795636800.5) or epoch milliseconds (from 10000000000 on, e.g. "
          + "Grafana's ${__from}), got '" + value + "'");
    }
  }

  private static final int NOT_A_NUMBER = -2;

  /**
   * For digits with at most one {@code .} and at least one digit: the index of the dot, -1 without one; otherwise
   * {@link #NOT_A_NUMBER}. Signs, exponents, {@code Inf} and {@code NaN} (which Prometheus' float parsing would also
   * take) are left to the error listing the documented forms.
   */
  private static int unixNumberDot(String v) {
    int dot = -1;
    boolean digit = false;
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c >= '0' && c <= '9') {
        digit = true;
      } else if (c == '.' && dot < 0) {
        dot = i;
      } else {
        return NOT_A_NUMBER;
      }
    }
    return digit ? dot : NOT_A_NUMBER;
  }

  private static long unixMillis(String parameter, String value, String v, int dot) {
    String whole = v.substring(0, dot < 0 ? v.length() : dot);
    int first = 0;
    while (first < whole.length() - 1 && whole.charAt(first) == '0') {
      first++;
    }
    if (whole.length() - first > MAX_MILLIS_DIGITS) {
      throw dot < 0
          ? new BadParameterException(parameter, "epoch milliseconds out of range: " + value)
          : fractionOfMillis(parameter, value);
    }
    long n = whole.isEmpty() ? 0 : Long.parseLong(whole, first, whole.length(), 10);
    if (dot < 0) {
      return n >= FIRST_MILLIS ? n : n * 1000;
    }
    if (n >= FIRST_MILLIS) {
      throw fractionOfMillis(parameter, value);
    }
    // Rounded half up to the millisecond, as Prometheus rounds a timestamp's fraction to thousandths; only the
    // fourth decimal decides that, so longer fractions need no arithmetic.
    long ms = n * 1000;
    for (int i = 0, scale = 100; i < 3; i++, scale /= 10) {
      if (dot + 1 + i < v.length()) {
        ms += (v.charAt(dot + 1 + i) - '0') * (long) scale;
      }
    }
    if (dot + 4 < v.length() && v.charAt(dot + 4) >= '5') {
      ms++;
    }
    return ms;
  }

  private static BadParameterException fractionOfMillis(String parameter, String value) {
    return new BadParameterException(parameter, "a number with a fraction is Unix seconds, and '" + value
        + "' seconds is after 2286; epoch milliseconds take no fraction");
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
