package io.switchyard.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.switchyard.model.v1.LatencyHistogram;
import org.junit.jupiter.api.Test;

class LatencyBucketsTest {

  @Test
  void everyObservationLandsInTheBucketWhoseBoundsContainIt() {
    for (double s = 0.00005; s < 200; s *= 1.07) {
      int b = LatencyBuckets.bucketOf(s);
      assertThat(s).isLessThanOrEqualTo(LatencyBuckets.upperBoundSeconds(b));
      if (b > 0) {
        assertThat(s).isGreaterThan(LatencyBuckets.upperBoundSeconds(b - 1));
      }
    }
  }

  @Test
  void exactBoundsBelongToTheirOwnBucket() {
    for (int i = 0; i < LatencyBuckets.FINITE; i++) {
      assertThat(LatencyBuckets.bucketOf(LatencyBuckets.upperBoundSeconds(i))).isEqualTo(i);
    }
  }

  @Test
  void bucketIsTheFirstWhoseUpperBoundHoldsTheObservation() {
    double[] edges = {0, -1, 1e-9, 0.0001, Math.nextUp(0.0001), Double.MIN_VALUE, 107, 1e300, Double.MAX_VALUE,
        Double.POSITIVE_INFINITY, Double.NaN};
    for (double s : edges) {
      assertThat(LatencyBuckets.bucketOf(s)).as("%s s", s).isEqualTo(firstBucketHolding(s));
    }
    for (int i = 0; i < LatencyBuckets.FINITE; i++) {
      double bound = LatencyBuckets.upperBoundSeconds(i);
      for (double s : new double[] {Math.nextDown(bound), bound, Math.nextUp(bound)}) {
        assertThat(LatencyBuckets.bucketOf(s)).as("%s s", s).isEqualTo(firstBucketHolding(s));
      }
    }
    java.util.Random random = new java.util.Random(7);
    for (int n = 0; n < 100_000; n++) {
      double s = Math.pow(10, -6 + 9 * random.nextDouble());
      assertThat(LatencyBuckets.bucketOf(s)).isEqualTo(firstBucketHolding(s));
    }
  }

  /** The definition, by a linear walk: the first bucket whose (inclusive) upper bound is at least {@code s}. */
  private static int firstBucketHolding(double s) {
    if (Double.isNaN(s)) {
      return 0;
    }
    int i = 0;
    while (i < LatencyBuckets.FINITE && s > LatencyBuckets.upperBoundSeconds(i)) {
      i++;
    }
    return i;
  }

  @Test
  void hugeLatenciesGoToTheInfBucket() {
    assertThat(LatencyBuckets.bucketOf(1e6)).isEqualTo(LatencyBuckets.FINITE);
  }

  @Test
  void quantilesAreWithinBucketErrorOfTheTruth() {
    LatencyHistogram.Builder h = LatencyBuckets.emptyHistogram();
    for (int ms = 1; ms <= 1000; ms++) {
      LatencyBuckets.observe(h, ms / 1000.0, 1);
    }
    LatencyHistogram built = h.build();
    assertThat(LatencyBuckets.quantile(built, 0.5)).isCloseTo(0.5, within(0.5 * 0.21));
    assertThat(LatencyBuckets.quantile(built, 0.99)).isCloseTo(0.99, within(0.99 * 0.21));
    assertThat(built.getCount()).isEqualTo(1000);
    assertThat(built.getSumSeconds()).isCloseTo(500.5, within(1e-6));
  }

  @Test
  void mergingAddsCounts() {
    LatencyHistogram.Builder a = LatencyBuckets.emptyHistogram();
    LatencyBuckets.observe(a, 0.01, 2);
    LatencyHistogram.Builder b = LatencyBuckets.emptyHistogram();
    LatencyBuckets.observe(b, 0.01, 3);
    LatencyBuckets.merge(a, b.build());
    assertThat(a.getCount()).isEqualTo(5);
    assertThat(a.getBucketCounts(LatencyBuckets.bucketOf(0.01))).isEqualTo(5);
  }

  @Test
  void emptyHistogramHasNoQuantile() {
    assertThat(LatencyBuckets.quantile(LatencyBuckets.emptyHistogram().build(), 0.5)).isNaN();
    assertThatThrownBy(() -> LatencyBuckets.quantile(LatencyBuckets.emptyHistogram().build(), 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
