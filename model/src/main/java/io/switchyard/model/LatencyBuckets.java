package io.switchyard.model;

import io.switchyard.model.v1.LatencyHistogram;

/**
 * The fixed log-scale latency buckets behind every {@link LatencyHistogram}: upper bounds from
 * 100 µs to about 107 s growing by 2^(1/2) (about 41 % per bucket, so a percentile read off a bucket
 * is within ~20 % of the truth), then +Inf. Fixed buckets make histograms of any window, edge or
 * replica mergeable by adding counts.
 */
public final class LatencyBuckets {
  /** Number of finite buckets; index {@code COUNT} is the +Inf bucket. */
  public static final int FINITE = 41;
  public static final int COUNT = FINITE + 1;
  private static final double FIRST_SECONDS = 0.0001;
  private static final double[] UPPER = new double[FINITE];

  static {
    for (int i = 0; i < FINITE; i++) {
      UPPER[i] = FIRST_SECONDS * Math.pow(2, i / 2.0);
    }
  }

  private LatencyBuckets() {}

  /** Upper bound (inclusive) of bucket {@code i} in seconds; +Inf for the last. */
  public static double upperBoundSeconds(int i) {
    return i >= FINITE ? Double.POSITIVE_INFINITY : UPPER[i];
  }

  /**
   * The index of the finite bucket whose upper bound is {@code seconds}, or -1 if none is. A bound that went
   * through a nanosecond {@code Duration} is off by up to 5e-6 of itself; neighbouring bounds are 41 % apart.
   */
  public static int boundIndex(double seconds) {
    for (int i = 0; i < FINITE; i++) {
      if (Math.abs(UPPER[i] - seconds) <= UPPER[i] * 1e-4) {
        return i;
      }
    }
    return -1;
  }

  /** The bucket an observation falls in. */
  public static int bucketOf(double seconds) {
    if (!(seconds > FIRST_SECONDS)) {
      return 0;
    }
    // Bucket 2e starts at FIRST * 2^e: the binary exponent lands the guess within one bucket, without the
    // two logarithms per observation (three observations per request in the pre-aggregation).
    int guess = 2 * Math.getExponent(seconds / FIRST_SECONDS) + 1;
    guess = Math.max(0, Math.min(guess, FINITE));
    // The guess is only a start: these walks end on the exact bucket from any start.
    while (guess > 0 && seconds <= upperBoundSeconds(guess - 1)) {
      guess--;
    }
    while (guess < FINITE && seconds > upperBoundSeconds(guess)) {
      guess++;
    }
    return guess;
  }

  /** A histogram with every bucket present and zero. */
  public static LatencyHistogram.Builder emptyHistogram() {
    LatencyHistogram.Builder b = LatencyHistogram.newBuilder();
    for (int i = 0; i < COUNT; i++) {
      b.addBucketCounts(0);
    }
    return b;
  }

  /** Adds {@code weight} observations of {@code seconds}. */
  public static void observe(LatencyHistogram.Builder h, double seconds, double weight) {
    if (h.getBucketCountsCount() != COUNT) {
      throw new IllegalArgumentException("histogram has " + h.getBucketCountsCount() + " buckets, expected " + COUNT);
    }
    int b = bucketOf(seconds);
    h.setBucketCounts(b, h.getBucketCounts(b) + weight);
    h.setSumSeconds(h.getSumSeconds() + seconds * weight);
    h.setCount(h.getCount() + weight);
  }

  /** Adds {@code other} into {@code into}. */
  public static void merge(LatencyHistogram.Builder into, LatencyHistogram other) {
    if (other.getBucketCountsCount() == 0) {
      return;
    }
    if (into.getBucketCountsCount() != COUNT || other.getBucketCountsCount() != COUNT) {
      throw new IllegalArgumentException("histograms must have " + COUNT + " buckets");
    }
    for (int i = 0; i < COUNT; i++) {
      into.setBucketCounts(i, into.getBucketCounts(i) + other.getBucketCounts(i));
    }
    into.setSumSeconds(into.getSumSeconds() + other.getSumSeconds());
    into.setCount(into.getCount() + other.getCount());
  }

  /**
   * The q-quantile (0 &lt; q &lt;= 1) in seconds, interpolated linearly inside the bucket as
   * Prometheus' histogram_quantile does; NaN for an empty histogram.
   */
  public static double quantile(LatencyHistogram h, double q) {
    return quantile(h.getBucketCountsCount(), h::getBucketCounts, h.getCount(), q);
  }

  /**
   * {@link #quantile(LatencyHistogram, double)} of the {@link #COUNT} bucket counts starting at
   * {@code counts[offset]}, for readers that add histograms up in plain arrays.
   */
  public static double quantile(double[] counts, int offset, double total, double q) {
    return quantile(COUNT, i -> counts[offset + i], total, q);
  }

  private static double quantile(int buckets, java.util.function.IntToDoubleFunction count, double total, double q) {
    if (q <= 0 || q > 1) {
      throw new IllegalArgumentException("q must be in (0, 1]: " + q);
    }
    if (total <= 0 || buckets == 0) {
      return Double.NaN;
    }
    double rank = q * total;
    double seen = 0;
    for (int i = 0; i < buckets; i++) {
      double c = count.applyAsDouble(i);
      if (seen + c >= rank && c > 0) {
        double lower = i == 0 ? 0 : upperBoundSeconds(i - 1);
        double upper = upperBoundSeconds(i);
        if (Double.isInfinite(upper)) {
          return lower;
        }
        return lower + (upper - lower) * ((rank - seen) / c);
      }
      seen += c;
    }
    return upperBoundSeconds(FINITE - 1);
  }
}
