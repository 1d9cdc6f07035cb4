package io.switchyard.topology.query;

import io.switchyard.model.LatencyBuckets;
import io.switchyard.model.v1.CodeCount;
import io.switchyard.model.v1.LatencyHistogram;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Requests, failures, latency and response codes added up over windows. */
final class Traffic {
  double requests;
  double failed;
  final LatencyHistogram.Builder serverLatency = LatencyBuckets.emptyHistogram();
  final LatencyHistogram.Builder clientLatency = LatencyBuckets.emptyHistogram();
  final Map<String, Double> responses = new TreeMap<>();
  final Map<String, Double> flags = new TreeMap<>();

  void add(double requests, double failed, LatencyHistogram server, LatencyHistogram client,
      List<CodeCount> codes, List<CodeCount> responseFlags) {
    this.requests += requests;
    this.failed += failed;
    if (server != null && server.getBucketCountsCount() == LatencyBuckets.COUNT) {
      LatencyBuckets.merge(serverLatency, server);
    }
    if (client != null && client.getBucketCountsCount() == LatencyBuckets.COUNT) {
      LatencyBuckets.merge(clientLatency, client);
    }
    codes.forEach(c -> responses.merge(c.getCode(), c.getCount(), Double::sum));
    responseFlags.forEach(c -> flags.merge(c.getCode(), c.getCount(), Double::sum));
  }

  void add(Traffic other) {
    requests += other.requests;
    failed += other.failed;
    LatencyBuckets.merge(serverLatency, other.serverLatency.build());
    LatencyBuckets.merge(clientLatency, other.clientLatency.build());
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
    LatencyHistogram h = serverLatency.getCount() > 0 ? serverLatency.build() : clientLatency.build();
    return Latency.of(h);
  }

  Latency clientSideLatency() {
    return Latency.of(clientLatency.build());
  }

  static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }

  /** Percentiles in milliseconds, null when nothing was observed. */
  public record Latency(Double p50, Double p95, Double p99) {
    static Latency of(LatencyHistogram h) {
      if (h.getCount() <= 0) {
        return new Latency(null, null, null);
      }
      return new Latency(ms(h, 0.5), ms(h, 0.95), ms(h, 0.99));
    }

    private static Double ms(LatencyHistogram h, double q) {
      double s = LatencyBuckets.quantile(h, q);
      return Double.isNaN(s) ? null : round(s * 1000, 3);
    }
  }
}
