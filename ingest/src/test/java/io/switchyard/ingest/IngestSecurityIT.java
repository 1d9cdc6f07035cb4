package io.switchyard.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.model.Topics;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.serverkit.metrics.Metrics;
import io.switchyard.serverkit.tls.TlsOptions;
import io.switchyard.testing.SharedKafka;
import io.switchyard.testing.TestCertificates;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Ingest behind mTLS and a bearer token: only clients with both get in. */
class IngestSecurityIT {
  @RegisterExtension static final SharedKafka kafka = new SharedKafka();
  static final String TOKEN = "s3cret-token";

  @TempDir static Path dir;
  static TestCertificates certs;
  static IngestServer server;
  static String prefix;

  @BeforeAll
  static void start() throws Exception {
    certs = TestCertificates.create(dir.resolve("pki"));
    prefix = kafka.uniquePrefix();
    kafka.createTopics(prefix);
    server = new IngestServer(IngestConfig.defaults(kafka.bootstrapServers(), dir.resolve("data"))
        .withHost("127.0.0.1").withPorts(0, 0, 0).withTopicPrefix(prefix)
        .withSecurity(new TlsOptions(certs.serverCert(), certs.serverKey(), certs.caCert()), TOKEN),
        new Metrics(new PrometheusRegistry()), new Readiness()).start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static boolean export(SpanExporter exporter) {
    try (SdkTracerProvider provider = SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build()) {
      provider.get("it").spanBuilder("secured").startSpan().end();
      return provider.forceFlush().join(15, TimeUnit.SECONDS).isSuccess();
    }
  }

  static io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporterBuilder grpc() throws Exception {
    return OtlpGrpcSpanExporter.builder().setEndpoint("https://localhost:" + server.otlpGrpcPort())
        .setTrustedCertificates(Files.readAllBytes(certs.caCert())).setTimeout(Duration.ofSeconds(10));
  }

  static io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder http() throws Exception {
    return OtlpHttpSpanExporter.builder().setEndpoint("https://localhost:" + server.otlpHttpPort() + "/v1/traces")
        .setTrustedCertificates(Files.readAllBytes(certs.caCert())).setTimeout(Duration.ofSeconds(10));
  }

  static byte[] clientKey() throws Exception {
    return Files.readAllBytes(certs.clientKey());
  }

  static byte[] clientCert() throws Exception {
    return Files.readAllBytes(certs.clientCert());
  }

  @Test
  void clientWithCertificateAndTokenIsAcceptedOverGrpcAndHttp() throws Exception {
    assertThat(export(grpc().setClientTls(clientKey(), clientCert()).addHeader("Authorization", "Bearer " + TOKEN)
        .build())).isTrue();
    assertThat(export(http().setClientTls(clientKey(), clientCert()).addHeader("Authorization", "Bearer " + TOKEN)
        .build())).isTrue();
    assertThat(kafka.consume(Topics.SPANS.withPrefix(prefix).name(), 2, Duration.ofSeconds(30))).hasSize(2);
  }

  @Test
  void clientWithoutTokenIsRefused() throws Exception {
    assertThat(export(grpc().setClientTls(clientKey(), clientCert()).build())).isFalse();
    assertThat(export(http().setClientTls(clientKey(), clientCert()).build())).isFalse();

    HttpClient client = HttpClient.newBuilder()
        .sslContext(new TlsOptions(certs.clientCert(), certs.clientKey(), certs.caCert()).sslContext()).build();
    HttpResponse<String> resp = client.send(HttpRequest.newBuilder(
            URI.create("https://localhost:" + server.otlpHttpPort() + "/v1/traces"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(resp.statusCode()).isEqualTo(401);
    assertThat(resp.body()).contains("\"error\"").contains("\"code\":16");
  }

  @Test
  void clientWithoutCertificateIsRefusedEvenWithToken() throws Exception {
    assertThat(export(grpc().addHeader("Authorization", "Bearer " + TOKEN).build())).isFalse();
    assertThat(export(http().addHeader("Authorization", "Bearer " + TOKEN).build())).isFalse();
  }
}
