package io.switchyard.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.metrics.Metrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OTLP/HTTP: "The response body for all HTTP 4xx and HTTP 5xx responses MUST be a Protobuf-encoded Status message"
 * in the request's encoding. A path ingest does not serve (the SDK's metric exporter's {@code /v1/metrics}, which
 * {@code OTEL_EXPORTER_OTLP_ENDPOINT} points at ingest too) is answered 404 with one naming the paths it does serve,
 * not the JDK server's HTML page, which an SDK cannot parse and logs as "Unable to parse response body".
 */
class OtlpHttpPathsTest {
  @TempDir Path dir;
  IngestServer server;

  @BeforeEach
  void start() throws Exception {
    // No broker: an unknown path never reaches Kafka.
    server = new IngestServer(IngestConfig.defaults("127.0.0.1:9", dir).withHost("127.0.0.1").withPorts(0, 0, 0),
        new Metrics(new PrometheusRegistry()), null).start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private HttpResponse<byte[]> post(String path, String contentType) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.otlpHttpPort() + path))
        .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(new byte[0])).build();
    return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void anUnservedPathIsA404WithAProtobufStatusNamingTheServedPaths() throws Exception {
    HttpResponse<byte[]> response = post("/v1/metrics", "application/x-protobuf");

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/x-protobuf");
    com.google.rpc.Status status = com.google.rpc.Status.parseFrom(response.body());
    assertThat(status.getCode()).isEqualTo(5);
    assertThat(status.getMessage()).isEqualTo(
        "no such path: /v1/metrics; ingest takes OTLP traces on /v1/traces and logs on /v1/logs, not metrics");
  }

  @Test
  void anUnservedPathIsA404WithAJsonStatusForAJsonRequest() throws Exception {
    HttpResponse<byte[]> response = post("/", "application/json");

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode status = new ObjectMapper().readTree(response.body());
    assertThat(status.get("code").asInt()).isEqualTo(5);
    assertThat(status.get("message").asText()).startsWith("no such path: /;");
  }
}
