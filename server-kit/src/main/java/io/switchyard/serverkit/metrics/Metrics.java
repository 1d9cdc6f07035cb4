package io.switchyard.serverkit.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The process's metrics: one Prometheus registry shared by every component, with get-or-create
 * registration so that several services in one JVM (as in {@code switchyard up}) can each ask for the
 * same metric. Asking again for a name with other label names is a programming error.
 */
public final class Metrics {
  private final PrometheusRegistry registry;
  private final Map<String, Registered> byName = new ConcurrentHashMap<>();
  private volatile boolean jvmRegistered;

  private record Registered(Object metric, String type, String[] labels) {}

  public Metrics(PrometheusRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  public Counter counter(String name, String help, String... labelNames) {
    return get(name, "counter", labelNames, () -> Counter.builder().name(name).help(help).labelNames(labelNames).register(registry));
  }

  public Gauge gauge(String name, String help, String... labelNames) {
    return get(name, "gauge", labelNames, () -> Gauge.builder().name(name).help(help).labelNames(labelNames).register(registry));
  }

  /** A classic histogram; {@code bucketsSeconds} null means Prometheus' default buckets. */
  public Histogram histogram(String name, String help, double[] bucketsSeconds, String... labelNames) {
    return get(name, "histogram", labelNames, () -> {
      Histogram.Builder b = Histogram.builder().name(name).help(help).labelNames(labelNames);
      b = bucketsSeconds == null ? b.classicOnly() : b.classicUpperBounds(bucketsSeconds).classicOnly();
      return b.register(registry);
    });
  }

  /** JVM memory, GC, thread and class-loading metrics; registered once. */
  public synchronized void registerJvmMetrics() {
    if (!jvmRegistered) {
      JvmMetrics.builder().register(registry);
      jvmRegistered = true;
    }
  }

  @SuppressWarnings("unchecked")
  private <T> T get(String name, String type, String[] labels, java.util.function.Supplier<T> create) {
    Registered r = byName.computeIfAbsent(name, n -> new Registered(create.get(), type, labels.clone()));
    if (!r.type.equals(type) || !Arrays.equals(r.labels, labels)) {
      throw new IllegalArgumentException("metric " + name + " already registered as " + r.type + Arrays.toString(r.labels)
          + ", asked for " + type + Arrays.toString(labels));
    }
    return (T) r.metric;
  }
}
