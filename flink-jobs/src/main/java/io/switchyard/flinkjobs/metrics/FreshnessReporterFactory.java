package io.switchyard.flinkjobs.metrics;

import java.util.Properties;
import org.apache.flink.metrics.prometheus.PrometheusReporterFactory;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * {@code metrics.reporter.<name>.factory.class} of the local jar: Flink's Prometheus reporter (same
 * options, e.g. {@code port}) with the watermark-delay and checkpoint-age gauges added.
 */
public final class FreshnessReporterFactory implements MetricReporterFactory {
  @Override
  public MetricReporter createMetricReporter(Properties properties) {
    return new FreshnessReporter(new PrometheusReporterFactory().createMetricReporter(properties), System::currentTimeMillis);
  }
}
