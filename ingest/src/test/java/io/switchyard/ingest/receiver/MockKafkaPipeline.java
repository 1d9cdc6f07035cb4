package io.switchyard.ingest.receiver;

import com.sun.net.httpserver.HttpServer;
import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.grpc.BindableService;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.ingest.IngestMetrics;
import io.switchyard.ingest.kafka.KafkaPublisher;
import io.switchyard.ingest.kafka.PublisherOptions;
import io.switchyard.ingest.mapping.AlsMapper;
import io.switchyard.ingest.mapping.MappingOptions;
import io.switchyard.ingest.mapping.OtlpAccessLogMapper;
import io.switchyard.ingest.mapping.SpanMapper;
import io.switchyard.ingest.spool.Spool;
import io.switchyard.serverkit.grpc.WireBytes;
import io.switchyard.serverkit.metrics.Metrics;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A {@link Pipeline} publishing to topics {@code spans} and {@code access-logs} of a Kafka {@link MockProducer}, with
 * its ALS spool in a test's folder, and the receivers a test puts in front of it: an OTLP/HTTP server and an
 * in-process gRPC server. {@link #close()} stops all of it.
 */
final class MockKafkaPipeline implements AutoCloseable {
  final MockProducer<byte[], byte[]> producer;
  final IngestMetrics metrics = new IngestMetrics(new Metrics(new PrometheusRegistry()));
  final KafkaPublisher publisher;
  final Spool spool;
  final Pipeline pipeline;
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private HttpServer http;
  private Server grpc;
  private ManagedChannel channel;

  /** Kafka acknowledges every record as it is sent; 1 MiB in flight; default mapping. */
  static MockKafkaPipeline acknowledging(Path dir) throws IOException {
    return new MockKafkaPipeline(dir, true, 1 << 20, MappingOptions.DEFAULTS);
  }

  /** Kafka acknowledges (or fails) a record only when the test says so ({@code producer.completeNext()}). */
  static MockKafkaPipeline acknowledgedByTest(Path dir) throws IOException {
    return new MockKafkaPipeline(dir, false, 1 << 20, MappingOptions.DEFAULTS);
  }

  MockKafkaPipeline(Path dir, boolean autoAcknowledge, long inflightBudgetBytes, MappingOptions mapping)
      throws IOException {
    producer = new MockProducer<>(autoAcknowledge, null, new ByteArraySerializer(), new ByteArraySerializer());
    publisher = new KafkaPublisher(producer,
        new PublisherOptions(inflightBudgetBytes, Duration.ofMinutes(1), Duration.ofSeconds(1)), scheduler, metrics,
        System::nanoTime);
    spool = Spool.open(dir, 1 << 20, 1 << 20);
    pipeline = new Pipeline(new SpanMapper(mapping), new OtlpAccessLogMapper(mapping), new AlsMapper(mapping),
        publisher, spool, "spans", "access-logs", metrics, () -> 1L);
  }

  /** Starts OTLP/HTTP on a loopback port, {@code /v1/traces} and {@code /v1/logs}, with bodies of at most the limit. */
  HttpServer http(int maxBodyBytes) throws IOException {
    http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    http.createContext("/v1/traces", OtlpHttpHandler.traces(pipeline, maxBodyBytes));
    http.createContext("/v1/logs", OtlpHttpHandler.logs(pipeline, maxBodyBytes));
    http.start();
    return http;
  }

  /** Starts an in-process gRPC server of these services (calls run on the caller's thread) and a channel to it. */
  ManagedChannel grpc(ServerServiceDefinition... services) throws IOException {
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder server = InProcessServerBuilder.forName(name).directExecutor();
    for (ServerServiceDefinition service : services) {
      server.addService(service);
    }
    grpc = server.build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    return channel;
  }

  ManagedChannel grpc(BindableService service) throws IOException {
    return grpc(service.bindService());
  }

  /**
   * A StreamAccessLogs call that sends messages as raw bytes (so a test can send bytes no client would), and
   * {@code answered}, which completes when the server ends the call: normally, or exceptionally with its status.
   */
  record RawAlsCall(StreamObserver<byte[]> messages, CompletableFuture<Void> answered) {}

  static RawAlsCall rawAlsCall(Channel channel, CallOptions options) {
    MethodDescriptor<byte[], StreamAccessLogsResponse> method = AccessLogServiceGrpc.getStreamAccessLogsMethod()
        .toBuilder(WireBytes.MARSHALLER, ProtoUtils.marshaller(StreamAccessLogsResponse.getDefaultInstance())).build();
    CompletableFuture<Void> answered = new CompletableFuture<>();
    StreamObserver<byte[]> messages = ClientCalls.asyncClientStreamingCall(channel.newCall(method, options),
        new StreamObserver<>() {
          @Override
          public void onNext(StreamAccessLogsResponse value) {}

          @Override
          public void onError(Throwable t) {
            answered.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            answered.complete(null);
          }
        });
    return new RawAlsCall(messages, answered);
  }

  @Override
  public void close() throws IOException {
    if (channel != null) {
      channel.shutdownNow();
      grpc.shutdownNow();
    }
    if (http != null) {
      http.stop(0);
    }
    scheduler.shutdownNow();
    spool.close();
  }
}
