package io.switchyard.flinkjobs.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Test;

class FreshnessGaugesTest {
  private final AtomicLong now = new AtomicLong(1_000_000L);
  /** Gauges by their name below the operator group ("freshness.watermarkDelay"). */
  private final Map<String, Gauge<?>> gauges = new HashMap<>();

  private MetricGroup recording(String prefix) {
    return new UnregisteredMetricsGroup() {
      @Override
      public MetricGroup addGroup(String name) {
        return recording(prefix + name + ".");
      }

      @Override
      public <T, G extends Gauge<T>> G gauge(String name, G gauge) {
        gauges.put(prefix + name, gauge);
        return gauge;
      }
    };
  }

  private double value(String name) {
    return (Double) gauges.get(name).getValue();
  }

  @Test
  void registersWatermarkDelayAndCheckpointAgeUnderTheFreshnessGroup() {
    FreshnessGauges.register(recording(""), now::get);
    assertThat(gauges).containsOnlyKeys("freshness.watermarkDelay", "freshness.checkpointAge");
    assertThat(value("freshness.watermarkDelay")).as("no watermark yet").isNaN();
    assertThat(value("freshness.checkpointAge")).as("no checkpoint yet").isNaN();
  }

  @Test
  void watermarkDelayIsNowMinusTheLastWatermarkAndGrowsWhileItIsStuck() {
    FreshnessGauges f = FreshnessGauges.register(recording(""), now::get);
    f.onWatermark(990_000L);
    assertThat(value("freshness.watermarkDelay")).isEqualTo(10_000.0);
    now.addAndGet(5_000);
    assertThat(value("freshness.watermarkDelay")).isEqualTo(15_000.0);
    f.onWatermark(Long.MAX_VALUE);
    assertThat(value("freshness.watermarkDelay")).as("end of input is no delay").isNaN();
  }

  @Test
  void checkpointAgeCountsFromTheLatestCompletionNotice() {
    FreshnessGauges f = FreshnessGauges.register(recording(""), now::get);
    f.onCheckpointComplete();
    now.addAndGet(3_000);
    assertThat(value("freshness.checkpointAge")).isEqualTo(3_000.0);
    f.onCheckpointComplete();
    now.addAndGet(500);
    assertThat(value("freshness.checkpointAge")).isEqualTo(500.0);
  }
}
