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
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }

  /** Percentiles in milliseconds, null when nothing was observed. */
  public record Latency(Double p50, Double p95, Double p99) {
    static final Latency NONE = new Latency(null, null, null);

    /** From {@link LatencyBuckets#COUNT} bucket counts at {@code h[offset]}, then their sum and count. */
    static Latency of(double[] h, int offset) {
      double count = h[offset + COUNT];
      if (count <= 0) {
        return NONE;
      }
      return new Latency(ms(h, offset, count, 0.5), ms(h, offset, count, 0.95), ms(h, offset, count, 0.99));
    }

    private static Double ms(double[] h, int offset, double count, double q) {
      double s = LatencyBuckets.quantile(h, offset, count, q);
      return Double.isNaN(s) ? null : round(s * 1000, 3);
    }
  }
}
