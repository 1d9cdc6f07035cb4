package io.switchyard.topology.http;

/**
 * Writes doubles as Jackson does ({@link Double#toString}), without the JDK's general conversion for the values a
 * graph is made of: counts (whole numbers) and figures rounded to a few decimals. A 5,000-edge graph writes about
 * 80,000 numbers, and the general conversion was half the cost of encoding its body. Every other value takes
 * Jackson's own path ({@link JsonBytes}). Needs room for 24 characters (sign, 7 integer digits, point, 4 decimals).
 */
final class JsonNumbers {
  private JsonNumbers() {}

  /** Whole numbers and decimals of up to this many fraction digits take the short path. */
  private static final int MAX_DECIMALS = 4;
  private static final double[] TENS = {1, 10, 100, 1_000, 10_000};
  /** {@link Double#toString} switches to computerized scientific notation outside [1e-3, 1e7). */
  private static final double PLAIN_MIN = 1e-3;
  private static final double PLAIN_LIMIT = 1e7;

  /**
   * Writes what {@link Double#toString} gives for {@code v} into {@code out} when {@code v} is zero, or a
   * decimal of at most {@link #MAX_DECIMALS} fraction digits between 1e-3 and 1e7 in magnitude; returns the
   * length, or -1 for any other value (the caller then takes the general path).
   */
  static int format(double v, char[] out) {
    double a = Math.abs(v);
    if (a == 0) {
      return copy(1 / v < 0 ? "-0.0" : "0.0", out);
    }
    if (!(a >= PLAIN_MIN && a < PLAIN_LIMIT)) {
      return -1;
    }
    for (int k = 0; k <= MAX_DECIMALS; k++) {
      long m = Math.round(a * TENS[k]);
      // The quotient of two exact values is correctly rounded: m / 10^k parses back to exactly a, and as the
      // first such k it is the shortest decimal that does, which is what Double.toString writes.
      if (m / TENS[k] == a) {
        return decimal(v < 0, m, k, out);
      }
    }
    return -1;
  }

  private static int decimal(boolean negative, long m, int decimals, char[] out) {
    long whole = m;
    long fraction = 0;
    for (int i = 0; i < decimals; i++) {
      whole /= 10;
    }
    fraction = m - whole * (long) TENS[decimals];
    int n = 0;
    if (negative) {
      out[n++] = '-';
    }
    n = digits(whole, out, n);
    out[n++] = '.';
    if (decimals == 0) {
      out[n++] = '0';
      return n;
    }
    // Leading zeros of the fraction, then its digits (the last is not zero: k was the smallest that fits).
    for (long p = (long) TENS[decimals - 1]; p > 1 && fraction < p; p /= 10) {
      out[n++] = '0';
    }
    return digits(fraction, out, n);
  }

  private static int digits(long v, char[] out, int at) {
    int len = 1;
    for (long x = v; x >= 10; x /= 10) {
      len++;
    }
    for (int i = at + len - 1; i >= at; i--) {
      out[i] = (char) ('0' + v % 10);
      v /= 10;
    }
    return at + len;
  }

  private static int copy(String s, char[] out) {
    s.getChars(0, s.length(), out, 0);
    return s.length();
  }
}
