package io.switchyard.topology.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.model.LatencyBuckets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Percentiles taken in one pass over a histogram equal each percentile taken alone by {@link LatencyBuckets}. */
class TrafficLatencyTest {
  @Test
  void onePassPercentilesEqualEachQuantileAlone() {
    Random random = new Random(17);
    int checked = 0;
    for (int n = 0; n < 20_000; n++) {
      int offset = random.nextInt(5);
      double[] h = new double[offset + SumTable.LATENCY];
      int filled = random.nextInt(6);
      boolean whole = random.nextBoolean();
      for (int k = 0; k < filled; k++) {
        // Whole and fractional counts (sampled spans weigh 1 / probability), in any bucket up to +Inf.
        int bucket = random.nextInt(4) == 0 ? LatencyBuckets.FINITE : random.nextInt(LatencyBuckets.COUNT);
        h[offset + bucket] += whole ? 1 + random.nextInt(1000) : random.nextDouble() * 100 / (1 + random.nextInt(7));
      }
      double count = 0;
      for (int i = 0; i < LatencyBuckets.COUNT; i++) {
        count += h[offset + i];
      }
      // The count field sometimes disagrees with the buckets (a roll-up moved by difference), or is zero.
      h[offset + Traffic.COUNT] = switch (random.nextInt(6)) {
        case 0 -> 0;
        case 1 -> count * (0.5 + random.nextDouble());
        default -> count;
      };
      Traffic.Latency l = Traffic.Latency.of(h, offset);
      double c = h[offset + Traffic.COUNT];
      if (c <= 0) {
        assertThat(l).isEqualTo(Traffic.Latency.NONE);
        continue;
      }
      assertThat(l).as("histogram %d", n).isEqualTo(new Traffic.Latency(alone(h, offset, c, 0.5), alone(h, offset, c, 0.9), alone(h, offset, c, 0.95),
          alone(h, offset, c, 0.99)));
      checked++;
    }
    assertThat(checked).isGreaterThan(10_000);
  }

  private static Double alone(double[] h, int offset, double count, double q) {
    double s = LatencyBuckets.quantile(h, offset, count, q);
    return Double.isNaN(s) ? null : Math.round(s * 1000 * Math.pow(10, 3)) / Math.pow(10, 3);
  }

  @Test
  void roundingEqualsRoundingByAPowerOfTen() {
    Random random = new Random(3);
    for (int n = 0; n < 100_000; n++) {
      double v = random.nextInt(3) == 0 ? random.nextInt(100_000) / 7.0 : random.nextDouble() * Math.pow(10, random.nextInt(12) - 4);
      int digits = random.nextInt(7);
      double f = Math.pow(10, digits);
      assertThat(Traffic.round(v, digits)).isEqualTo(Math.round(v * f) / f);
    }
  }
}
