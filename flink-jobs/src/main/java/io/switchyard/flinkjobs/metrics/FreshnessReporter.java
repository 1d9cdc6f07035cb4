package io.switchyard.flinkjobs.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;

/**
 * Flink's Prometheus reporter plus the two freshness gauges Flink does not have. They are derived
 * here, from gauges Flink already registers, rather than in the operators: nothing is added to the
 * per-record path, and the derived series carry exactly the labels of the gauge they come from.
 *
 * <ul>
 *   <li>{@value #WATERMARK_DELAY} (ms) per operator = now − {@code currentOutputWatermark}; NaN while
 *       the operator has no watermark yet or has sent the end-of-input watermark.
 *   <li>{@value #CHECKPOINT_AGE} (ms) per job = now − {@code lastCheckpointCompletedTimestamp}; NaN
 *       until the first checkpoint completes.
 * </ul>
 */
final class FreshnessReporter implements MetricReporter {
  static final String WATERMARK_DELAY = "watermarkDelay";
  static final String CHECKPOINT_AGE = "checkpointAge";
  private static final String OUTPUT_WATERMARK = "currentOutputWatermark";
  private static final String CHECKPOINT_COMPLETED = "lastCheckpointCompletedTimestamp";

  private final MetricReporter delegate;
  private final LongSupplier nowMillis;
  /** The derived gauge of each source gauge, so it is removed with it. */
  private final Map<Metric, Gauge<Double>> derived = new ConcurrentHashMap<>();

  FreshnessReporter(MetricReporter delegate, LongSupplier nowMillis) {
    this.delegate = delegate;
    this.nowMillis = nowMillis;
  }

  @Override
  public void open(MetricConfig config) {
    delegate.open(config);
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
    delegate.notifyOfAddedMetric(metric, name, group);
    if (!(metric instanceof Gauge<?> source)) {
      return;
    }
    String derivedName = switch (name) {
      case OUTPUT_WATERMARK -> WATERMARK_DELAY;
      case CHECKPOINT_COMPLETED -> CHECKPOINT_AGE;
      default -> null;
    };
    if (derivedName != null) {
      Gauge<Double> age = () -> ageOf(source.getValue(), nowMillis.getAsLong());
      derived.put(metric, age);
      delegate.notifyOfAddedMetric(age, derivedName, group);
    }
  }

  @Override
  public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
    delegate.notifyOfRemovedMetric(metric, name, group);
    Gauge<Double> age = derived.remove(metric);
    if (age != null) {
      delegate.notifyOfRemovedMetric(age, name.equals(OUTPUT_WATERMARK) ? WATERMARK_DELAY : CHECKPOINT_AGE, group);
    }
  }

  /**
   * now − timestamp in ms. Flink reports "no watermark yet" as Long.MIN_VALUE, end of input as
   * Long.MAX_VALUE and "no checkpoint yet" as a non-positive value: none of them is an age.
   */
  static double ageOf(Object timestamp, long now) {
    if (!(timestamp instanceof Number n)) {
      return Double.NaN;
    }
    long t = n.longValue();
    if (t <= 0 || t == Long.MAX_VALUE) {
      return Double.NaN;
    }
    return now - t;
  }
}
