package io.switchyard.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import com.google.rpc.RetryInfo;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.model.Topics;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.serverkit.metrics.Metrics;
import io.switchyard.testing.SharedKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * With ingest's workers held, requests beyond the queue bound are refused at once with retry info (not left to
 * the client's deadline), and the admitted ones complete once the workers run again — over real gRPC and HTTP.
 */
class IngestAdmissionIT {
  @RegisterExtension static final SharedKafka kafka = new SharedKafka();

  static final int MAX_QUEUED = 2;

  @TempDir Path dataDir;
  String prefix;
  HeldExecutor grpcWorkers;
  HeldExecutor httpWorkers;
  IngestServer server;

  @BeforeEach
  void start() throws Exception {
    prefix = kafka.uniquePrefix();
    kafka.createTopics(prefix);
    grpcWorkers = new HeldExecutor();
    httpWorkers = new HeldExecutor();
    server = new IngestServer(IngestConfig.defaults(kafka.bootstrapServers(), dataDir).withHost("127.0.0.1")
        .withPorts(0, 0, 0).withTopicPrefix(prefix).withMaxQueuedRequests(MAX_QUEUED),
        new Metrics(new PrometheusRegistry()), new Readiness(), grpcWorkers, httpWorkers).start();
  }

  @AfterEach
  void stop() {
    server.close();
    grpcWorkers.pool.shutdownNow();
    httpWorkers.pool.shutdownNow();
  }

  static ExportTraceServiceRequest request(int n) {
    byte[] trace = new byte[16];
    trace[15] = (byte) n;
    byte[] spanId = new byte[8];
    spanId[7] = 1;
    Span span = Span.newBuilder().setTraceId(ByteString.copyFrom(trace)).setSpanId(ByteString.copyFrom(spanId))
        .setName("GET /" + n).setStartTimeUnixNano(1_000_000_000L).setEndTimeUnixNano(2_000_000_000L).build();
    return ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(ResourceSpans.newBuilder().addScopeSpans(ScopeSpans.newBuilder().addSpans(span))).build();
  }

  @Test
  void grpcRequestsBeyondTheQueueBoundAreRefusedAtOnceWithRetryInfoAndTheQueuedOnesCompleteAfterRelease()
      throws Exception {
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.otlpGrpcPort()).usePlaintext()
        .build();
    try {
      TraceServiceGrpc.TraceServiceFutureStub async = TraceServiceGrpc.newFutureStub(channel);
      TraceServiceGrpc.TraceServiceBlockingStub blocking = TraceServiceGrpc.newBlockingStub(channel);
      ListenableFuture<ExportTraceServiceResponse> first = async.export(request(1));
      ListenableFuture<ExportTraceServiceResponse> second = async.export(request(2));
      await().atMost(Duration.ofSeconds(10)).until(() -> grpcWorkers.held.size() == MAX_QUEUED);

      // The deadline only keeps a regression (the call queued instead of refused) from hanging the build.
      StatusRuntimeException refused = catchThrowableOfType(
          () -> blocking.withDeadlineAfter(20, TimeUnit.SECONDS).export(request(3)),
          StatusRuntimeException.class);

      assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(refused.getStatus().getDescription()).contains("too many requests waiting");
      com.google.rpc.Status details = StatusProto.fromThrowable(refused);
      assertThat(details.getDetailsList()).anySatisfy(any -> {
        assertThat(any.is(RetryInfo.class)).isTrue();
        assertThat(any.unpack(RetryInfo.class).getRetryDelay().getSeconds()).isEqualTo(1);
      });
      assertThat(server.metrics().refusedRequests("spans", "queue_full")).isEqualTo(1);
      assertThat(first.isDone()).isFalse();
      assertThat(second.isDone()).isFalse();

      grpcWorkers.release();
      first.get(30, TimeUnit.SECONDS);
      second.get(30, TimeUnit.SECONDS);
      blocking.export(request(4));
    } finally {
      channel.shutdownNow();
    }
    assertThat(kafka.consume(Topics.SPANS.withPrefix(prefix).name(), 3, Duration.ofSeconds(30))).hasSize(3);
    assertThat(server.metrics().value("spans", "accepted")).isEqualTo(3);
  }

  @Test
  void httpRequestsBeyondTheQueueBoundGet429WithRetryAfterAtOnceAndTheQueuedOnesCompleteAfterRelease()
      throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    CompletableFuture<HttpResponse<byte[]>> first = client.sendAsync(post(request(1)),
        HttpResponse.BodyHandlers.ofByteArray());
    CompletableFuture<HttpResponse<byte[]>> second = client.sendAsync(post(request(2)),
        HttpResponse.BodyHandlers.ofByteArray());
    await().atMost(Duration.ofSeconds(10)).until(() -> httpWorkers.held.size() == MAX_QUEUED);

    HttpRequest third = HttpRequest.newBuilder(post(request(3)), (k, v) -> true).timeout(Duration.ofSeconds(20)).build();
    HttpResponse<byte[]> refused = client.send(third, HttpResponse.BodyHandlers.ofByteArray());

    assertThat(refused.statusCode()).isEqualTo(429);
    assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
    com.google.rpc.Status status = com.google.rpc.Status.parseFrom(refused.body());
    assertThat(status.getCode()).isEqualTo(com.google.rpc.Code.RESOURCE_EXHAUSTED_VALUE);
    assertThat(status.getMessage()).contains("too many requests waiting");
    assertThat(server.metrics().refusedRequests("spans", "queue_full")).isEqualTo(1);
    assertThat(first.isDone()).isFalse();
    assertThat(second.isDone()).isFalse();

    httpWorkers.release();
    assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    assertThat(second.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    assertThat(client.send(post(request(4)), HttpResponse.BodyHandlers.ofByteArray()).statusCode()).isEqualTo(200);
    List<?> spans = kafka.consume(Topics.SPANS.withPrefix(prefix).name(), 3, Duration.ofSeconds(30));
    assertThat(spans).hasSize(3);
  }

  HttpRequest post(ExportTraceServiceRequest req) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.otlpHttpPort() + "/v1/traces"))
        .header("Content-Type", "application/x-protobuf")
        .POST(HttpRequest.BodyPublishers.ofByteArray(req.toByteArray())).build();
  }
}
