package io.switchyard.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.metrics.Metrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On stop every listener refuses new calls at once, and the calls in flight on all of them finish within one grace,
 * as README "Commands" says ("then each server refuses new calls ... and lets the calls in flight finish"). Before,
 * the listeners were closed one after another: while an OTLP call was still being answered, the ALS listener took
 * new streams, and the grace of each listener added up (three in all).
 */
class IngestServerShutdownTest {
  @TempDir Path dir;
  HeldExecutor grpcWorkers = new HeldExecutor();
  IngestServer server;

  @BeforeEach
  void start() throws Exception {
    // No broker: the one call here waits for a held worker, and once released is answered UNAVAILABLE.
    server = new IngestServer(IngestConfig.defaults("127.0.0.1:9", dir).withHost("127.0.0.1").withPorts(0, 0, 0),
        new Metrics(new PrometheusRegistry()), null, grpcWorkers, null).start();
  }

  @AfterEach
  void stop() {
    grpcWorkers.release();
    server.close();
    grpcWorkers.pool.shutdownNow();
  }

  static ExportTraceServiceRequest request() {
    byte[] trace = new byte[16];
    trace[15] = 1;
    byte[] spanId = new byte[8];
    spanId[7] = 1;
    Span span = Span.newBuilder().setTraceId(ByteString.copyFrom(trace)).setSpanId(ByteString.copyFrom(spanId))
        .setName("GET /").setStartTimeUnixNano(1_000_000_000L).setEndTimeUnixNano(2_000_000_000L).build();
    return ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(ResourceSpans.newBuilder().addScopeSpans(ScopeSpans.newBuilder().addSpans(span))).build();
  }

  /** The response side of an ALS stream, completing {@code end} with the status the stream ended with. */
  static StreamObserver<StreamAccessLogsResponse> endingIn(CompletableFuture<Status> end) {
    return new StreamObserver<>() {
      @Override
      public void onNext(StreamAccessLogsResponse value) {}

      @Override
      public void onError(Throwable t) {
        end.complete(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        end.complete(Status.OK);
      }
    };
  }

  /** Opens an ALS stream and half-closes it at once: OK when the listener took the call, else its refusal. */
  static Status.Code alsStatus(ManagedChannel channel) throws InterruptedException {
    CompletableFuture<Status> end = new CompletableFuture<>();
    StreamObserver<StreamAccessLogsMessage> stream = AccessLogServiceGrpc.newStub(channel)
        .withDeadlineAfter(2, TimeUnit.SECONDS).streamAccessLogs(endingIn(end));
    stream.onCompleted();
    try {
      return end.get(5, TimeUnit.SECONDS).getCode();
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void anAlsStreamTheClientKeepsOpenIsEndedWithOkOnStopNotCancelledAfterTheGrace() throws Exception {
    grpcWorkers.release();
    ManagedChannel als = ManagedChannelBuilder.forAddress("127.0.0.1", server.alsPort()).usePlaintext().build();
    try {
      CompletableFuture<Status> end = new CompletableFuture<>();
      StreamObserver<StreamAccessLogsMessage> stream = AccessLogServiceGrpc.newStub(als)
          .streamAccessLogs(endingIn(end));
      // As Envoy's: one message, and never half-closed.
      stream.onNext(StreamAccessLogsMessage.newBuilder()
          .setIdentifier(StreamAccessLogsMessage.Identifier.newBuilder().setLogName("envoy")).build());
      await().atMost(Duration.ofSeconds(10)).until(() -> server.openAlsStreams() == 1);

      CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);

      // Before, the stream held the stop for the whole 10 s grace and was then cancelled.
      assertThat(end.get(30, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.OK);
      closing.get(30, TimeUnit.SECONDS);
      assertThat(server.openAlsStreams()).isZero();
    } finally {
      als.shutdownNow();
    }
  }

  @Test
  void whileAnOtlpCallIsInFlightTheAlsListenerAlreadyRefusesNewStreams() throws Exception {
    ManagedChannel otlp = ManagedChannelBuilder.forAddress("127.0.0.1", server.otlpGrpcPort()).usePlaintext().build();
    ManagedChannel als = ManagedChannelBuilder.forAddress("127.0.0.1", server.alsPort()).usePlaintext().build();
    try {
      ListenableFuture<ExportTraceServiceResponse> inFlight = TraceServiceGrpc.newFutureStub(otlp).export(request());
      await().atMost(Duration.ofSeconds(10)).until(() -> grpcWorkers.held.size() == 1);
      assertThat(alsStatus(als)).isEqualTo(Status.Code.OK);

      CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
      // The OTLP call holds its listener for up to the 10 s grace; the ALS listener must not wait for it before it
      // refuses new streams.
      await().atMost(Duration.ofSeconds(5)).until(() -> alsStatus(als) == Status.Code.UNAVAILABLE);
      assertThat(inFlight).isNotDone();
      assertThat(closing).isNotDone();

      grpcWorkers.release();
      // Answered, not cut off: with no broker, UNAVAILABLE as for any request Kafka does not take.
      ExecutionException answered = catchThrowableOfType(() -> inFlight.get(30, TimeUnit.SECONDS),
          ExecutionException.class);
      assertThat(Status.fromThrowable(answered.getCause()).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      closing.get(30, TimeUnit.SECONDS);
    } finally {
      otlp.shutdownNow();
      als.shutdownNow();
    }
  }
}
