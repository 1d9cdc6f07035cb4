package io.switchyard.flinkjobs.slo.spec;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * An OpenSLO calendar-aligned time window ({@code isRolling: false} with a {@code calendar}): periods of {@code amount}
 * {@code unit}s that follow each other from {@code start}, a local date and time in {@code zone}, both ways. A monthly
 * SLO starting on 2024-01-01 00:00 in Europe/Berlin counts each calendar month there; its budget starts afresh at
 * every local midnight of the 1st, whatever the month's length and the daylight-saving offset.
 *
 * @param text the duration as written ("1M", "1w", "3M"), for messages and status records
 */
public record CalendarWindow(int amount, Unit unit, LocalDateTime start, ZoneId zone, String text) {

  /** The units of a calendar window, with a nominal length (alert thresholds) and a longest one (kept counts). */
  public enum Unit {
    HOUR("h", ChronoUnit.HOURS, 1, Duration.ofHours(1), Duration.ofHours(1)),
    DAY("d", ChronoUnit.DAYS, 1, Duration.ofDays(1), Duration.ofHours(25)),
    WEEK("w", ChronoUnit.DAYS, 7, Duration.ofDays(7), Duration.ofDays(7).plusHours(1)),
    MONTH("M", ChronoUnit.MONTHS, 1, Duration.ofDays(30), Duration.ofDays(31).plusHours(1)),
    QUARTER("Q", ChronoUnit.MONTHS, 3, Duration.ofDays(90), Duration.ofDays(92).plusHours(1)),
    YEAR("Y", ChronoUnit.YEARS, 1, Duration.ofDays(365), Duration.ofDays(366).plusHours(1));

    private final String symbol;
    private final ChronoUnit step;
    private final int steps;
    private final Duration nominal;
    private final Duration longest;

    Unit(String symbol, ChronoUnit step, int steps, Duration nominal, Duration longest) {
      this.symbol = symbol;
      this.step = step;
      this.steps = steps;
      this.nominal = nominal;
      this.longest = longest;
    }

    /** The unit an OpenSLO duration shorthand ends in ("h", "d", "w", "M", "Q", "Y"), or null. */
    static Unit of(String symbol) {
      for (Unit u : values()) {
        if (u.symbol.equals(symbol)) {
          return u;
        }
      }
      return null;
    }
  }

  /**
   * The longest period a calendar window may have nominally: a year (366 days). The job folds the counts of a period
   * older than its alert windows into the period's totals, so a long period costs no more state than a short one.
   */
  static final Duration LONGEST = Duration.ofDays(366);

  /** Whether {@code amount} {@code unit}s make a supported calendar window: 1h to {@link #LONGEST}. */
  static boolean supported(long amount, Unit unit) {
    return amount >= 1 && amount <= LONGEST.toHours() && unit.nominal.multipliedBy(amount).compareTo(LONGEST) <= 0;
  }

  public CalendarWindow {
    Objects.requireNonNull(unit);
    Objects.requireNonNull(start);
    Objects.requireNonNull(zone);
    Objects.requireNonNull(text);
    if (amount < 1) {
      throw new IllegalArgumentException("a calendar window is at least one " + unit + ", got " + amount);
    }
  }

  /**
   * The length the alert thresholds scale with: 30 days a month, 90 a quarter, as the SRE workbook's 30-day figures;
   * a period's own length varies by a few days (and a day by an hour, where the clocks change).
   */
  public Duration nominal() {
    return unit.nominal.multipliedBy(amount);
  }

  /** The longest a period can be. */
  public Duration longest() {
    return unit.longest.multipliedBy(amount);
  }

  /**
   * The period that holds the aggregation window ending at {@code endMs}: {@code [start, end)} in unix ms with
   * {@code start < endMs <= end}. A status evaluated at a period's end is that period's last; the next one starts with
   * the window that ends after it.
   */
  public long[] period(long endMs) {
    ZonedDateTime base = start.atZone(zone);
    ZonedDateTime at = Instant.ofEpochMilli(endMs - 1).atZone(zone);
    long step = (long) amount * unit.steps;
    // A first guess from the whole units between the two, then at most a step or two either way: the guess can be
    // off where the day of the month or the clock's offset differ.
    long k = Math.floorDiv(unit.step.between(base, at), step);
    while (boundary(base, k, step) > endMs - 1) {
      k--;
    }
    while (boundary(base, k + 1, step) <= endMs - 1) {
      k++;
    }
    return new long[] {boundary(base, k, step), boundary(base, k + 1, step)};
  }

  /**
   * The start of the {@code k}-th period: always counted from the first (so Jan 31 + 1M is Feb 29 or 28, + 2M is Mar
   * 31), in local time for days, weeks and months (a local time in a clock change's gap moves on by the gap).
   */
  private long boundary(ZonedDateTime base, long k, long step) {
    return base.plus(k * step, unit.step).toInstant().toEpochMilli();
  }

  @Override
  public String toString() {
    return text + " from " + start + " " + zone;
  }
}
