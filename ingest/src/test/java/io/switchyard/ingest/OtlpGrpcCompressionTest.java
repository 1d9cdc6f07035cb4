package io.switchyard.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import io.grpc.Codec;
import io.grpc.CompressorRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.metrics.Metrics;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xerial.snappy.SnappyFramedOutputStream;

/**
 * OTLP/gRPC message compression: gzip, which OTLP names and the Collector's {@code otlp} exporter uses by default, and
 * zstd and snappy (the framing format), which the Collector's OTLP receiver also registers (configgrpc; its exporter's
 * {@code compression: zstd} or {@code snappy}), are taken; a coding ingest has no decompressor for (lz4, which the
 * Collector takes over HTTP only) is answered {@code UNIMPLEMENTED}, as gRPC answers it, and not mistaken for an
 * uncompressed message.
 */
class OtlpGrpcCompressionTest {
  @TempDir Path dir;
  IngestServer server;
  ManagedChannel channel;

  /** zstd frames, as the Collector's gRPC zstd compressor writes them. */
  static final class Zstd implements io.grpc.Compressor {
    @Override
    public String getMessageEncoding() {
      return "zstd";
    }

    @Override
    public OutputStream compress(OutputStream os) throws IOException {
      return new ZstdOutputStreamNoFinalizer(os);
    }
  }

  /** snappy's framing format, as the Collector's gRPC snappy compressor (golang/snappy's buffered writer) writes it. */
  static final class Snappy implements io.grpc.Compressor {
    @Override
    public String getMessageEncoding() {
      return "snappy";
    }

    @Override
    public OutputStream compress(OutputStream os) throws IOException {
      return new SnappyFramedOutputStream(os);
    }
  }

  /** A client-side stand-in for lz4: only its name matters to the server, which refuses the call before reading. */
  static final class NamedLz4 implements io.grpc.Compressor {
    @Override
    public String getMessageEncoding() {
      return "lz4";
    }

    @Override
    public OutputStream compress(OutputStream os) throws IOException {
      return Codec.Identity.NONE.compress(os);
    }
  }

  @BeforeEach
  void start() throws Exception {
    // No broker: a request without spans is answered at once, without Kafka.
    server = new IngestServer(IngestConfig.defaults("127.0.0.1:9", dir).withHost("127.0.0.1").withPorts(0, 0, 0),
        new Metrics(new PrometheusRegistry()), null).start();
    CompressorRegistry compressors = CompressorRegistry.newEmptyInstance();
    compressors.register(new Codec.Gzip());
    compressors.register(new Zstd());
    compressors.register(new Snappy());
    compressors.register(new NamedLz4());
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.otlpGrpcPort()).usePlaintext()
        .compressorRegistry(compressors).build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
  }

  private static ExportTraceServiceRequest spanless() {
    return ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.getDefaultInstance()).build();
  }

  @Test
  void aGzipCompressedExportIsTaken() {
    ExportTraceServiceResponse response = TraceServiceGrpc.newBlockingStub(channel).withCompression("gzip")
        .withDeadlineAfter(10, TimeUnit.SECONDS).export(spanless());

    assertThat(response.hasPartialSuccess()).isFalse();
  }

  @Test
  void aZstdCompressedExportIsTakenAsTheCollectorTakesIt() {
    ExportTraceServiceResponse response = TraceServiceGrpc.newBlockingStub(channel).withCompression("zstd")
        .withDeadlineAfter(10, TimeUnit.SECONDS).export(spanless());

    assertThat(response.hasPartialSuccess()).isFalse();
  }

  @Test
  void aSnappyCompressedExportIsTakenAsTheCollectorTakesIt() {
    ExportTraceServiceRequest request = ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans
        .newBuilder().setSchemaUrl("https://opentelemetry.io/schemas/1.26.0".repeat(100))).build();
    ExportTraceServiceResponse response = TraceServiceGrpc.newBlockingStub(channel).withCompression("snappy")
        .withDeadlineAfter(10, TimeUnit.SECONDS).export(request);

    assertThat(response.hasPartialSuccess()).isFalse();
    ExportLogsServiceResponse logs = LogsServiceGrpc.newBlockingStub(channel).withCompression("snappy")
        .withDeadlineAfter(10, TimeUnit.SECONDS).export(ExportLogsServiceRequest.newBuilder()
            .addResourceLogs(ResourceLogs.getDefaultInstance()).build());
    assertThat(logs.hasPartialSuccess()).isFalse();
  }

  @Test
  void aCompressedExportLargerThanTheLimitOnceDecompressedIsResourceExhaustedNamingIt() {
    // Zeros compress to a few kilobytes: gRPC finds the message too large only while decompressing it, inside the
    // marshaller, where any exception became UNKNOWN ("Application error processing RPC").
    ExportTraceServiceRequest big = ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
        .setSchemaUrl("0".repeat(IngestConfig.DEFAULT_MAX_MESSAGE_MB << 20))).build();
    for (String coding : new String[] {"gzip", "zstd", "snappy"}) {
      StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> TraceServiceGrpc
          .newBlockingStub(channel).withCompression(coding).withDeadlineAfter(10, TimeUnit.SECONDS).export(big));

      assertThat(e.getStatus().getCode()).as(coding).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(e.getStatus().getDescription()).as(coding)
          .contains("exceeds maximum size " + (IngestConfig.DEFAULT_MAX_MESSAGE_MB << 20));
    }
    ExportLogsServiceRequest bigLogs = ExportLogsServiceRequest.newBuilder().addResourceLogs(ResourceLogs.newBuilder()
        .setSchemaUrl("0".repeat(IngestConfig.DEFAULT_MAX_MESSAGE_MB << 20))).build();
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> LogsServiceGrpc
        .newBlockingStub(channel).withCompression("gzip").withDeadlineAfter(10, TimeUnit.SECONDS).export(bigLogs));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
  }

  /** Claims gzip and sends bytes that are not: a message its coding cannot decode. */
  static final class CorruptGzip implements io.grpc.Compressor {
    @Override
    public String getMessageEncoding() {
      return "gzip";
    }

    @Override
    public OutputStream compress(OutputStream os) {
      return os;
    }
  }

  @Test
  void anExportItsCodingCannotDecodeIsInternalNamingTheFailureAsGrpcGoAnswersIt() throws Exception {
    CompressorRegistry corrupt = CompressorRegistry.newEmptyInstance();
    corrupt.register(new CorruptGzip());
    ManagedChannel corrupting = NettyChannelBuilder.forAddress("127.0.0.1", server.otlpGrpcPort()).usePlaintext()
        .compressorRegistry(corrupt).build();
    try {
      StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> TraceServiceGrpc
          .newBlockingStub(corrupting).withCompression("gzip").withDeadlineAfter(10, TimeUnit.SECONDS)
          .export(spanless()));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
      assertThat(e.getStatus().getDescription()).startsWith("failed to decompress the received message: ");

      StatusRuntimeException logs = catchThrowableOfType(StatusRuntimeException.class, () -> LogsServiceGrpc
          .newBlockingStub(corrupting).withCompression("gzip").withDeadlineAfter(10, TimeUnit.SECONDS)
          .export(ExportLogsServiceRequest.newBuilder().addResourceLogs(ResourceLogs.getDefaultInstance()).build()));
      assertThat(logs.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
    } finally {
      corrupting.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    // The server keeps serving.
    assertThat(TraceServiceGrpc.newBlockingStub(channel).withCompression("gzip")
        .withDeadlineAfter(10, TimeUnit.SECONDS).export(spanless()).hasPartialSuccess()).isFalse();
  }

  @Test
  void anExportInACodingWithoutDecompressorIsUnimplemented() {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> TraceServiceGrpc
        .newBlockingStub(channel).withCompression("lz4").withDeadlineAfter(10, TimeUnit.SECONDS).export(spanless()));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
    assertThat(e.getStatus().getDescription()).contains("lz4");
  }
}
