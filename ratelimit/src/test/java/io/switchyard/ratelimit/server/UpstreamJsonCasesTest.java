package io.switchyard.ratelimit.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.admin.AdminServer;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.serverkit.metrics.Metrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * envoyproxy/ratelimit's {@code test/server/server_impl_test.go} TestJsonHandler: the /json endpoint's status and
 * content type for each kind of body. Where the reference answers an error as {@code text/plain} "Bad Request",
 * Switchyard answers the same status with a JSON body naming the problem (project rule; docs/ratelimit.md).
 */
class UpstreamJsonCasesTest {
  @TempDir Path dir;
  private final Metrics metrics = new Metrics(new PrometheusRegistry());
  private RateLimitServer server;
  private AdminServer admin;

  @BeforeEach
  void start() throws Exception {
    Files.writeString(dir.resolve("foo.yaml"),
        "domain: foo\ndescriptors:\n  - key: user\n    rate_limit: {unit: hour, requests_per_unit: 1}\n");
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

  @ParameterizedTest(name = "{0}: {1} -> {2}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "missing request body | `` | 400 | application/json | {\"error\":",
      "body is not valid JSON | } | 400 | application/json | {\"error\":",
      "ratelimit service error (no descriptors) | {\"domain\": \"foo\"} | 400 | application/json | {\"error\":",
      "successful request, not rate limited | {\"domain\": \"foo\", \"descriptors\": [{\"entries\": [{\"key\": "
          + "\"user\", \"value\": \"a\"}]}]} | 200 | application/json | {\"overallCode\":\"OK\",\"statuses\":"
          + "[{\"code\":\"OK\",\"currentLimit\":{\"requestsPerUnit\":1,\"unit\":\"HOUR\"},",
      "successful request, rate limited | {\"domain\": \"foo\", \"descriptors\": [{\"entries\": [{\"key\": "
          + "\"user\", \"value\": \"b\"}], \"hitsAddend\": 2}]} | 429 | application/json | "
          + "{\"overallCode\":\"OVER_LIMIT\",\"statuses\":[{\"code\":\"OVER_LIMIT\","})
  void theStatusAndBodyOfEachKindOfRequestAreTheReferences(String upstreamCase, String body, int status,
      String contentType, String bodyStart) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + admin.port() + "/json"))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(upstreamCase).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).hasValue(contentType);
    assertThat(r.body()).startsWith(bodyStart);
  }
}
