package io.switchyard.flinkjobs.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.junit.jupiter.api.Test;

class FreshnessReporterTest {
  private final List<String> added = new ArrayList<>();
  private final List<String> removed = new ArrayList<>();
  private final List<Metric> metrics = new ArrayList<>();
  private final AtomicLong now = new AtomicLong(1_000_000L);
  private final MetricReporter recording = new MetricReporter() {
    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
      added.add(name);
      metrics.add(metric);
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
      removed.add(name);
    }
  };
  private final FreshnessReporter reporter = new FreshnessReporter(recording, now::get);
  private final MetricGroup group = new UnregisteredMetricsGroup();

  @SuppressWarnings("unchecked")
  private Gauge<Double> gauge(String name) {
    return (Gauge<Double>) metrics.get(added.lastIndexOf(name));
  }

  @Test
  void watermarkDelayIsNowMinusTheOperatorsOutputWatermark() {
    AtomicLong watermark = new AtomicLong(Long.MIN_VALUE);
    reporter.notifyOfAddedMetric((Gauge<Long>) watermark::get, "currentOutputWatermark", group);
    assertThat(added).containsExactly("currentOutputWatermark", "watermarkDelay");
    Gauge<Double> delay = gauge("watermarkDelay");
    assertThat(delay.getValue()).as("no watermark yet").isNaN();
    watermark.set(990_000L);
    assertThat(delay.getValue()).isEqualTo(10_000.0);
    now.addAndGet(5_000);
    assertThat(delay.getValue()).as("a stuck watermark's delay grows with the clock").isEqualTo(15_000.0);
    watermark.set(Long.MAX_VALUE);
    assertThat(delay.getValue()).as("end of input").isNaN();
  }

  @Test
  void checkpointAgeIsNowMinusTheLastCompletedCheckpoint() {
    AtomicLong completed = new AtomicLong(-1);
    reporter.notifyOfAddedMetric((Gauge<Long>) completed::get, "lastCheckpointCompletedTimestamp", group);
    Gauge<Double> age = gauge("checkpointAge");
    assertThat(age.getValue()).as("no checkpoint yet").isNaN();
    completed.set(997_500L);
    assertThat(age.getValue()).isEqualTo(2_500.0);
  }

  @Test
  void otherMetricsPassThroughAloneAndDerivedGaugesLeaveWithTheirSource() {
    Counter c = new SimpleCounter();
    reporter.notifyOfAddedMetric(c, "numRecordsIn", group);
    Gauge<Long> wm = () -> 1L;
    reporter.notifyOfAddedMetric(wm, "currentOutputWatermark", group);
    reporter.notifyOfRemovedMetric(wm, "currentOutputWatermark", group);
    reporter.notifyOfRemovedMetric(c, "numRecordsIn", group);
    assertThat(added).containsExactly("numRecordsIn", "currentOutputWatermark", "watermarkDelay");
    assertThat(removed).containsExactly("currentOutputWatermark", "watermarkDelay", "numRecordsIn");
  }
}
