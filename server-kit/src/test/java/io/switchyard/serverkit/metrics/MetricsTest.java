package io.switchyard.serverkit.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

class MetricsTest {
  @Test
  void askingTwiceReturnsTheSameMetric() {
    Metrics m = new Metrics(new PrometheusRegistry());
    assertThat(m.counter("a_total", "h", "x")).isSameAs(m.counter("a_total", "h", "x"));
    assertThat(m.histogram("lat_seconds", "h", new double[] {0.1, 1}, "x")).isSameAs(m.histogram("lat_seconds", "h", null, "x"));
  }

  @Test
  void sameNameWithOtherLabelsIsAnError() {
    Metrics m = new Metrics(new PrometheusRegistry());
    m.counter("a_total", "h", "x");
    assertThatThrownBy(() -> m.counter("a_total", "h", "y")).isInstanceOf(IllegalArgumentException.class);
  }
}
