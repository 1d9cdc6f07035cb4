package io.switchyard.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.ingest.receiver.OtlpHttpHandler;
import io.switchyard.serverkit.http.HttpResponses;
import io.switchyard.serverkit.http.HttpServerKit;
import io.switchyard.serverkit.metrics.Metrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OTLP/HTTP: "The response body for all HTTP 4xx and HTTP 5xx responses MUST be a Protobuf-encoded Status message",
 * in the request's encoding. Also the errors server-kit answers before ingest's handler runs: 401 without the client
 * token and 503 while the listener closes (before, both were server-kit's {@code {"error": ...}}, which an SDK
 * sending protobuf cannot parse).
 */
class OtlpHttpErrorBodiesTest {
  @TempDir Path dir;
  private final HttpClient client = HttpClient.newHttpClient();

  private static HttpRequest post(int port, String path, String contentType) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[0])).build();
  }

  private IngestServer ingestWithToken() throws Exception {
    // No broker: a request without the token never reaches Kafka.
    IngestConfig config = IngestConfig.defaults("127.0.0.1:9", dir).withHost("127.0.0.1").withPorts(0, 0, 0)
        .withSecurity(null, "s3cret");
    return new IngestServer(config, new Metrics(new PrometheusRegistry()), null).start();
  }

  @Test
  void aProtobufRequestWithoutTheTokenGets401WithAProtobufStatus() throws Exception {
    try (IngestServer server = ingestWithToken()) {
      HttpResponse<byte[]> r = client.send(post(server.otlpHttpPort(), "/v1/traces", "application/x-protobuf"),
          HttpResponse.BodyHandlers.ofByteArray());

      assertThat(r.statusCode()).isEqualTo(401);
      assertThat(r.headers().firstValue("Content-Type")).hasValue("application/x-protobuf");
      assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
      com.google.rpc.Status status = com.google.rpc.Status.parseFrom(r.body());
      assertThat(status.getCode()).isEqualTo(16); // UNAUTHENTICATED, as the gRPC listener answers
      assertThat(status.getMessage()).isEqualTo("missing or invalid bearer token");
    }
  }

  @Test
  void aJsonRequestWithoutTheTokenGets401WithAJsonStatus() throws Exception {
    try (IngestServer server = ingestWithToken()) {
      HttpResponse<byte[]> r = client.send(post(server.otlpHttpPort(), "/v1/logs", "application/json"),
          HttpResponse.BodyHandlers.ofByteArray());

      assertThat(r.statusCode()).isEqualTo(401);
      assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
      JsonNode status = new ObjectMapper().readTree(r.body());
      assertThat(status.get("code").asInt()).isEqualTo(16);
      assertThat(status.get("message").asText()).isEqualTo("missing or invalid bearer token");
    }
  }

  @Test
  void aRequestWhileTheListenerClosesGets503WithAStatusInItsEncoding() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    HttpServerKit kit = HttpServerKit.builder("ingest-otlp-http", 0).host("127.0.0.1")
        .errorBody(OtlpHttpHandler.errorBody()).shutdownGrace(Duration.ofSeconds(30))
        .route("/slow", ex -> {
          entered.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          HttpResponses.text(ex, 200, "done");
        })
        .build().start();
    try {
      CompletableFuture<HttpResponse<String>> slow =
          client.sendAsync(post(kit.port(), "/slow", "application/x-protobuf"), HttpResponse.BodyHandlers.ofString());
      assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<Void> closing = CompletableFuture.runAsync(kit::close);

      HttpResponse<byte[]> proto = refusedWhileClosing(kit, "application/x-protobuf");
      HttpResponse<byte[]> json = refusedWhileClosing(kit, "application/json");

      assertThat(proto.headers().firstValue("Content-Type")).hasValue("application/x-protobuf");
      assertThat(proto.headers().firstValue("Retry-After")).hasValue("1");
      com.google.rpc.Status status = com.google.rpc.Status.parseFrom(proto.body());
      assertThat(status.getCode()).isEqualTo(14); // UNAVAILABLE
      assertThat(status.getMessage()).isEqualTo("ingest-otlp-http is shutting down; retry");
      assertThat(json.headers().firstValue("Content-Type")).hasValue("application/json");
      assertThat(new ObjectMapper().readTree(json.body()).get("code").asInt()).isEqualTo(14);
      release.countDown();
      assertThat(slow.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      closing.get(10, TimeUnit.SECONDS);
    } finally {
      release.countDown();
      kit.close();
    }
  }

  private HttpResponse<byte[]> refusedWhileClosing(HttpServerKit kit, String contentType) {
    return await().atMost(Duration.ofSeconds(10)).until(() -> {
      try {
        return client.sendAsync(post(kit.port(), "/slow", contentType), HttpResponse.BodyHandlers.ofByteArray())
            .get(5, TimeUnit.SECONDS);
      } catch (ExecutionException connectionRefusedOrReset) {
        return null;
      }
    }, r -> r != null && r.statusCode() == 503);
  }
}
