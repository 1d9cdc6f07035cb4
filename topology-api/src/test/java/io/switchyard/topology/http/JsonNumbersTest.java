package io.switchyard.topology.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The short path writes exactly what Double.toString writes, or declines. */
class JsonNumbersTest {
  private final char[] out = new char[32];

  private void check(double v) {
    int n = JsonNumbers.format(v, out);
    if (n >= 0) {
      assertThat(new String(out, 0, n)).as("bits %x", Double.doubleToRawLongBits(v)).isEqualTo(Double.toString(v));
    }
  }

  private static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }

  @Test
  void countsAndRoundedFiguresAreWrittenAsDoubleToStringWrites() {
    Random random = new Random(3);
    int shortPath = 0;
    for (int i = 0; i < 150_000; i++) {
      // Magnitudes from 1e-5 to 1e8, around the edges of plain notation too.
      double raw = Math.pow(10, -5 + 13 * random.nextDouble()) * (random.nextInt(8) == 0 ? -1 : 1);
      double[] shapes = {Math.rint(raw), round(raw, 1), round(raw, 2), round(raw, 3), round(raw, 4), round(raw, 5), raw,
          random.nextInt(10_000_000), random.nextInt(10_000) / 1000.0, random.nextInt(100_000) / 10_000.0};
      for (double v : shapes) {
        check(v);
        shortPath += JsonNumbers.format(v, out) >= 0 ? 1 : 0;
      }
    }
    assertThat(shortPath).as("most graph figures take the short path").isGreaterThan(750_000);
  }

  @Test
  void edgesOfPlainNotationAndSpecialValues() {
    double[] values = {0.0, -0.0, 1e-3, 9.999e-4, 0.0011, 1e7, 9_999_999.0, 9_999_999.5, 9_999_999.9999, 1e7 - 1e-4, 0.001,
        0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3, 100.0, 5e-3, 123.4567, 0.0001, 0.0005, 1234567.8912, Double.NaN,
        Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MIN_VALUE, Double.MAX_VALUE, 4503599627370497.0};
    for (double v : values) {
      check(v);
      check(-v);
    }
    assertThat(JsonNumbers.format(Double.NaN, out)).isEqualTo(-1);
    assertThat(JsonNumbers.format(1e7, out)).isEqualTo(-1);
    assertThat(new String(out, 0, JsonNumbers.format(1200.0, out))).isEqualTo("1200.0");
    assertThat(new String(out, 0, JsonNumbers.format(0.0105, out))).isEqualTo("0.0105");
  }
}
