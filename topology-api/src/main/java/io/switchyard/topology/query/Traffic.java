package io.switchyard.topology.query;

import io.switchyard.model.LatencyBuckets;
import io.switchyard.model.v1.CodeCount;
import io.switchyard.model.v1.LatencyHistogram;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Requests, failures, latency and response codes added up over windows, in plain arrays for speed. Public
 * only so that writers of responses can name {@link Latency}.
 */
public final class Traffic {
  double requests;
  double failed;
  final double[] server = new double[LatencyBuckets.COUNT + 2];
  final double[] client = new double[LatencyBuckets.COUNT + 2];
  final Map<String, Double> responses = new TreeMap<>();
  final Map<String, Double> flags = new TreeMap<>();

  /** Index of the sum and of the count after the buckets in {@link #server} and {@link #client}. */
  static final int SUM = LatencyBuckets.COUNT;
  static final int COUNT = LatencyBuckets.COUNT + 1;

  Traffic() {}

  void add(double requests, double failed, LatencyHistogram serverLatency, LatencyHistogram clientLatency,
      List<CodeCount> codes, List<CodeCount> responseFlags) {
    this.requests += requests;
    this.failed += failed;
    addHistogram(server, serverLatency);
    addHistogram(client, clientLatency);
    codes.forEach(c -> responses.merge(c.getCode(), c.getCount(), Double::sum));
    responseFlags.forEach(c -> flags.merge(c.getCode(), c.getCount(), Double::sum));
  }

  private static void addHistogram(double[] into, LatencyHistogram h) {
    if (h == null || h.getBucketCountsCount() != LatencyBuckets.COUNT) {
      return;
    }
    for (int i = 0; i < LatencyBuckets.COUNT; i++) {
      into[i] += h.getBucketCounts(i);
    }
    into[SUM] += h.getSumSeconds();
    into[COUNT] += h.getCount();
  }

  void add(Traffic other) {
    requests += other.requests;
    failed += other.failed;
    for (int i = 0; i < server.length; i++) {
      server[i] += other.server[i];
      client[i] += other.client[i];
    }
    other.responses.forEach((k, v) -> responses.merge(k, v, Double::sum));
    other.flags.forEach((k, v) -> flags.merge(k, v, Double::sum));
  }

  double rate(double seconds) {
    return seconds > 0 ? round(requests / seconds, 4) : 0;
  }

  Double errorPercent() {
    return requests > 0 ? round(100 * failed / requests, 3) : null;
  }

  /** Server-side latency where known, else what the client saw. */
  Latency latency() {
    return Latency.of(server[COUNT] > 0 ? server : client, 0);
  }

  Latency clientSideLatency() {
    return Latency.of(client, 0);
  }

  static double round(double v, int digits) {
    double f = digits < TENS.length ? TENS[digits] : Math.pow(10, digits);
    return Math.round(v * f) / f;
  }

  /** Math.pow(10, i), exactly (powers of ten this small are doubles): a graph rounds tens of thousands of figures. */
  private static final double[] TENS = {1, 10, 100, 1_000, 10_000, 100_000};

  /** Percentiles in milliseconds, null when nothing was observed. */
  public record Latency(Double p50, Double p90, Double p95, Double p99) {
    static final Latency NONE = new Latency(null, null, null, null);

    /** From {@link LatencyBuckets#COUNT} bucket counts at {@code h[offset]}, then their sum and count. */
    static Latency of(double[] h, int offset) {
      double count = h[offset + COUNT];
      if (count <= 0) {
        return NONE;
      }
      // The four quantiles in one pass over the buckets, each computed as LatencyBuckets.quantile computes it alone
      // (same ranks, same running count, same interpolation): a graph takes them of thousands of histograms.
      double r50 = 0.5 * count;
      double r90 = 0.9 * count;
      double r95 = 0.95 * count;
      double r99 = 0.99 * count;
      double last = LatencyBuckets.upperBoundSeconds(LatencyBuckets.FINITE - 1);
      double s50 = last;
      double s90 = last;
      double s95 = last;
      double s99 = last;
      int found = 0;
      double seen = 0;
      for (int i = 0; i < LatencyBuckets.COUNT && found < 4; i++) {
        double c = h[offset + i];
        if (c > 0) {
          if (found == 0 && seen + c >= r50) {
            s50 = within(i, r50, seen, c);
            found = 1;
          }
          if (found == 1 && seen + c >= r90) {
            s90 = within(i, r90, seen, c);
            found = 2;
          }
          if (found == 2 && seen + c >= r95) {
            s95 = within(i, r95, seen, c);
            found = 3;
          }
          if (found == 3 && seen + c >= r99) {
            s99 = within(i, r99, seen, c);
            found = 4;
          }
        }
        seen += c;
      }
      return new Latency(ms(s50), ms(s90), ms(s95), ms(s99));
    }

    /** The rank's point in bucket {@code i}, interpolated as LatencyBuckets.quantile does. */
    private static double within(int i, double rank, double seen, double c) {
      double lower = i == 0 ? 0 : LatencyBuckets.upperBoundSeconds(i - 1);
      double upper = LatencyBuckets.upperBoundSeconds(i);
      if (Double.isInfinite(upper)) {
        return lower;
      }
      return lower + (upper - lower) * ((rank - seen) / c);
    }

    private static Double ms(double s) {
      return Double.isNaN(s) ? null : round(s * 1000, 3);
    }
  }
}
