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
