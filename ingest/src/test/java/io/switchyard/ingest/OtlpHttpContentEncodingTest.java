package io.switchyard.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.luben.zstd.Zstd;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.metrics.Metrics;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.zip.DeflaterOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OTLP/HTTP bodies in the content codings the Collector's OTLP receiver takes by default besides gzip ({@code
 * confighttp}'s {@code compression_algorithms}): {@code zstd}, and {@code zlib} / {@code deflate} (both the zlib
 * format). A Collector's {@code otlphttp} exporter sends them with {@code compression: zstd} (or {@code zlib},
 * {@code deflate}); refused with 400, which it must not retry, its data was lost.
 */
class OtlpHttpContentEncodingTest {
  private static final int LIMIT = 1 << 20;
  @TempDir Path dir;
  IngestServer server;

  @BeforeEach
  void start() throws Exception {
    // No broker: a request without spans is answered at once, without Kafka.
    server = new IngestServer(IngestConfig.defaults("127.0.0.1:9", dir).withHost("127.0.0.1").withPorts(0, 0, 0)
        .withMaxMessageBytes(LIMIT), new Metrics(new PrometheusRegistry()), null).start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  /** A request with a resource and no spans: its body must be decoded right to be answered 200. */
  private static byte[] spanlessRequest() {
    return ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder().setResource(
        Resource.newBuilder().addAttributes(KeyValue.newBuilder().setKey("service.name")
            .setValue(AnyValue.newBuilder().setStringValue("orders"))))).build().toByteArray();
  }

  private static byte[] zlib(byte[] data) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (DeflaterOutputStream z = new DeflaterOutputStream(out)) {
      z.write(data);
    }
    return out.toByteArray();
  }

  private HttpResponse<byte[]> post(String encoding, byte[] body) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.otlpHttpPort() + "/v1/traces"))
        .header("Content-Type", "application/x-protobuf").header("Content-Encoding", encoding)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void aZstdBodyIsDecompressedAsTheCollectorDoes() throws Exception {
    HttpResponse<byte[]> response = post("zstd", Zstd.compress(spanlessRequest()));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/x-protobuf");
  }

  @Test
  void zlibAndDeflateBodiesAreDecompressedAsTheCollectorDoes() throws Exception {
    for (String encoding : new String[] {"zlib", "deflate", "Deflate"}) {
      assertThat(post(encoding, zlib(spanlessRequest())).statusCode()).as(encoding).isEqualTo(200);
    }
  }

  @Test
  void aZstdBodyLargerThanTheLimitOnceDecompressedIs413() throws Exception {
    byte[] bomb = Zstd.compress(new byte[4 * LIMIT]);
    assertThat(bomb.length).isLessThan(1024);

    HttpResponse<byte[]> response = post("zstd", bomb);

    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(com.google.rpc.Status.parseFrom(response.body()).getMessage())
        .isEqualTo("request body exceeds " + LIMIT + " bytes");
  }

  @Test
  void anUnsupportedEncodingIs400NamingTheOnesTaken() throws Exception {
    HttpResponse<byte[]> response = post("br", spanlessRequest());

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(com.google.rpc.Status.parseFrom(response.body()).getMessage()).isEqualTo(
        "request body could not be read: unsupported Content-Encoding 'br' (gzip, zstd, zlib, deflate, snappy, x-snappy-framed, lz4 or none)");
  }
}
