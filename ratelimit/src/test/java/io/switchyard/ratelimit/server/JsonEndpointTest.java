package io.switchyard.ratelimit.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.admin.AdminServer;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.serverkit.metrics.Metrics;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonEndpointTest {
  @TempDir Path dir;
  private final Metrics metrics = new Metrics(new PrometheusRegistry());
  private RateLimitServer server;
  private AdminServer admin;

  @BeforeEach
  void start() throws Exception {
    Files.writeString(dir.resolve("web.yaml"),
        "domain: web\ndescriptors:\n  - key: user\n    rate_limit: {unit: hour, requests_per_unit: 3}\n");
    Readiness readiness = new Readiness();
    server = RateLimitServer.builder(dir, metrics, readiness).port(0).host("127.0.0.1")
        .pollInterval(Duration.ZERO).build().start();
    AdminServer.Builder ab = AdminServer.builder(metrics, readiness).host("127.0.0.1").port(0);
    server.adminRoutes().forEach((path, h) -> ab.route(path, h, false));
    admin = ab.build().start();
  }

  @AfterEach
  void stop() {
    admin.close();
    server.close();
  }

  @Test
  void jsonCallsAreNotCountedAsGrpcRequestsAndABodyThatIsNotJsonIsNoServiceError() throws Exception {
    // src/metrics/metrics.go: total_requests and response_time come from a gRPC unary interceptor
    // (src/service_cmd/runner/runner.go), which /json (src/server/server_impl.go NewJsonHandler) does not pass; a body
    // protojson cannot read is answered 400 before the service runs, so no should_rate_limit.service_error either.
    HttpClient http = HttpClient.newHttpClient();
    URI uri = URI.create("http://127.0.0.1:" + admin.port() + "/json");
    String body = "{\"domain\":\"web\",\"descriptors\":[{\"entries\":[{\"key\":\"user\",\"value\":\"j\"}]}]}";
    assertThat(http.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    assertThat(http.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString("{nope")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(400);

    assertThat(scrape().lines())
        .contains("ratelimit_service_rate_limit_total_hits{domain=\"web\",key1=\"user\"} 1.0",
            "ratelimit_service_total_requests{grpc_method=\"ShouldRateLimit\"} 0.0",
            "ratelimit_service_response_time_seconds_count{grpc_method=\"ShouldRateLimit\"} 0",
            "ratelimit_service_should_rate_limit_error{err_type=\"service_error\"} 0.0");
  }

  @Test
  void aBodyOverTheSizeLimitIsRefusedUncountedWhileTooManyDescriptorsIsAServiceError() throws Exception {
    // The size limit is checked before the body is read as a request (as gRPC's inbound message limit is, in the
    // transport), so only the descriptor count reaches the service and its service_error.
    HttpClient http = HttpClient.newHttpClient();
    URI uri = URI.create("http://127.0.0.1:" + admin.port() + "/json");
    String huge = "{\"domain\":\"web\",\"descriptors\":[{\"entries\":[{\"key\":\"user\",\"value\":\""
        + "x".repeat(70_000) + "\"}]}]}";
    assertThat(http.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(huge)).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(413);
    assertThat(scrape().lines()).contains("ratelimit_service_should_rate_limit_error{err_type=\"service_error\"} 0.0")
        .noneMatch(l -> l.startsWith("ratelimit_service_call_should_rate_limit_service_error_total{"));

    String many = "{\"domain\":\"web\",\"descriptors\":["
        + String.join(",", java.util.Collections.nCopies(65, "{\"entries\":[{\"key\":\"user\",\"value\":\"j\"}]}")) + "]}";
    assertThat(http.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(many)).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(413);
    assertThat(scrape().lines()).contains("ratelimit_service_should_rate_limit_error{err_type=\"service_error\"} 1.0",
        "ratelimit_service_call_should_rate_limit_service_error_total{reason=\"resource_exhausted\"} 1.0");
  }

  private String scrape() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, metrics.registry().scrape());
    return out.toString(StandardCharsets.UTF_8);
  }
}
