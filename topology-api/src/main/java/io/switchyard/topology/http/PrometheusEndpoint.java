package io.switchyard.topology.http;

import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * {@code /metrics} of a registry in the format the scraper asks for: OpenMetrics 1.0 when its {@code Accept} header
 * names {@code application/openmetrics-text} (Prometheus asks for it first by default), else the classic Prometheus
 * text format 0.0.4.
 */
public final class PrometheusEndpoint implements ApiRouter.MetricsEndpoint {
  private final PrometheusRegistry registry;
  private final PrometheusTextFormatWriter text = PrometheusTextFormatWriter.create();
  private final OpenMetricsTextFormatWriter openMetrics = OpenMetricsTextFormatWriter.create();

  public PrometheusEndpoint(PrometheusRegistry registry) {
    this.registry = registry;
  }

  @Override
  public String contentType() {
    return text.getContentType();
  }

  @Override
  public byte[] scrape() throws IOException {
    return write(text);
  }

  @Override
  public Exposition scrape(String accept) throws IOException {
    ExpositionFormatWriter writer = accept != null && openMetrics.accepts(accept) ? openMetrics : text;
    return new Exposition(writer.getContentType(), write(writer));
  }

  private byte[] write(ExpositionFormatWriter writer) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
    writer.write(out, registry.scrape());
    return out.toByteArray();
  }
}
