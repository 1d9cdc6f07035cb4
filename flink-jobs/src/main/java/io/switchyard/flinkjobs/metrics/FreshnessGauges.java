package io.switchyard.flinkjobs.metrics;

import java.util.function.LongSupplier;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;

/**
 * Watermark delay and checkpoint age registered by an operator in Flink's own metric system, so that
 * any reporter a cluster runs (Prometheus, JMX, ...) shows them. The local jar's
 * {@link FreshnessReporter} derives similar gauges inside its reporter, but a cluster loads its
 * reporters from its own lib/plugins folders, never from a submitted job jar.
 *
 * <p>Both are in milliseconds under the operator's {@value #GROUP} group: {@value #WATERMARK_DELAY} =
 * processing time − the last watermark the operator received; {@value #CHECKPOINT_AGE} = processing
 * time − when the operator was told its latest checkpoint completed. NaN before the first watermark or
 * checkpoint, and after the end-of-input watermark.
 */
public final class FreshnessGauges {
  public static final String GROUP = "freshness";
  public static final String WATERMARK_DELAY = "watermarkDelay";
  public static final String CHECKPOINT_AGE = "checkpointAge";

  private final LongSupplier nowMillis;
  // Written by the task thread, read by the reporter's thread.
  private volatile long watermark = Long.MIN_VALUE;
  private volatile long checkpointCompleted = Long.MIN_VALUE;

  private FreshnessGauges(LongSupplier nowMillis) {
    this.nowMillis = nowMillis;
  }

  public static FreshnessGauges register(MetricGroup operatorGroup, LongSupplier nowMillis) {
    FreshnessGauges g = new FreshnessGauges(nowMillis);
    MetricGroup group = operatorGroup.addGroup(GROUP);
    group.gauge(WATERMARK_DELAY, (Gauge<Double>) () -> FreshnessReporter.ageOf(g.watermark, g.nowMillis.getAsLong()));
    group.gauge(CHECKPOINT_AGE, (Gauge<Double>) () -> FreshnessReporter.ageOf(g.checkpointCompleted, g.nowMillis.getAsLong()));
    return g;
  }

  public void onWatermark(long timestamp) {
    watermark = timestamp;
  }

  public void onCheckpointComplete() {
    checkpointCompleted = nowMillis.getAsLong();
  }
}
