package io.switchyard.flinkjobs.slo;

import io.switchyard.flinkjobs.slo.spec.SloSpec;
import io.switchyard.model.LatencyBuckets;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.LatencyHistogram;
import io.switchyard.model.v1.ServiceAggregate;
import io.switchyard.model.v1.TelemetrySource;

/**
 * One window of one aggregate series, reduced to what SLIs need. A Flink POJO. {@code series} names
 * the aggregate by what the target leaves out of its window key (the namespaces) so a re-emitted
 * window overwrites its earlier counts: not by workload or version, which a late request of another
 * version turns empty in the re-emitted aggregate.
 */
public class SliSample {
  public String target = "";
  public String series = "";
  public String namespace = "";
  public long windowEndMs;
  public double total;
  public double failed;
  public double[] latencyBuckets = new double[0];

  public SliSample() {}

  private static String source(TelemetrySource s) {
    return s == TelemetrySource.TELEMETRY_SOURCE_MESH ? "mesh" : "trace";
  }

  public static SliSample of(ServiceAggregate a) {
    SliSample s = new SliSample();
    String src = source(a.getSource());
    s.target = new SloSpec.Target(a.getService().getName(), "", "", src).key();
    s.series = "svc|" + a.getService().getNamespace();
    s.namespace = a.getService().getNamespace();
    s.windowEndMs = a.getWindowEndUnixMs();
    s.total = a.getRequestCount();
    s.failed = a.getFailedCount();
    s.latencyBuckets = buckets(a.hasLatency() ? a.getLatency() : null);
    return s;
  }

  public static SliSample of(EdgeAggregate a) {
    SliSample s = new SliSample();
    String src = source(a.getSource());
    s.target = new SloSpec.Target(a.getServer().getName(), a.getClient().getName(), "", src).key();
    s.series = "edge|" + a.getClient().getNamespace() + "->" + a.getServer().getNamespace();
    s.namespace = a.getServer().getNamespace();
    s.windowEndMs = a.getWindowEndUnixMs();
    s.total = a.getRequestCount();
    s.failed = a.getFailedCount();
    boolean server = a.hasServerLatency() && a.getServerLatency().getCount() > 0;
    s.latencyBuckets = buckets(server ? a.getServerLatency() : a.hasClientLatency() ? a.getClientLatency() : null);
    return s;
  }

  private static double[] buckets(LatencyHistogram h) {
    double[] b = new double[LatencyBuckets.COUNT];
    if (h != null && h.getBucketCountsCount() == LatencyBuckets.COUNT) {
      for (int i = 0; i < b.length; i++) {
        b[i] = h.getBucketCounts(i);
      }
    }
    return b;
  }

  /** Good events for an SLO: non-failed requests, or requests in buckets at or under the threshold. */
  public double good(SloSpec slo) {
    if (slo.sliKind() == SloSpec.SliKind.AVAILABILITY) {
      return total - failed;
    }
    // The threshold is a bucket bound rounded to whole nanoseconds (half a nanosecond off at most, and the odd
    // bounds are irrational): a relative tolerance of 1e-9 (0.04 ns at 36 ms) left out the threshold's own bucket
    // whenever the rounding went down, one bucket fewer than `slo rules` and the printed threshold count.
    double limit = slo.latencyThreshold().toNanos() / 1e9 + 1e-9;
    double good = 0;
    for (int i = 0; i < latencyBuckets.length && LatencyBuckets.upperBoundSeconds(i) <= limit; i++) {
      good += latencyBuckets[i];
    }
    return good;
  }
}
