package io.switchyard.ingest.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.switchyard.serverkit.http.HttpResponses;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import net.jpountz.lz4.LZ4FrameOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xerial.snappy.Snappy;
import org.xerial.snappy.SnappyFramedOutputStream;

/**
 * OTLP/HTTP bodies in {@code snappy} and {@code lz4}, which the Collector's OTLP receiver takes by default
 * (confighttp's {@code compression_algorithms}) and its {@code otlphttp} exporter sends with {@code compression:
 * snappy} (one snappy block) or {@code lz4} (an lz4 frame); {@code x-snappy-framed} is the snappy framing format, which
 * the receiver also finds under {@code snappy}, as Collectors before v0.131 sent it there. Refused with 400, which the
 * exporter does not retry, such data was lost.
 */
class OtlpHttpSnappyLz4Test {
  private static final int LIMIT = 1 << 20;

  @TempDir Path dir;
  MockKafkaPipeline kafka;
  HttpServer http;

  @BeforeEach
  void start() throws Exception {
    kafka = MockKafkaPipeline.acknowledging(dir);
    http = kafka.http(LIMIT);
  }

  @AfterEach
  void stop() throws Exception {
    kafka.close();
  }

  private static KeyValue kv(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }

  private static Span span(int trace, int id, String name) {
    byte[] traceId = new byte[16];
    Arrays.fill(traceId, (byte) trace);
    byte[] spanId = new byte[8];
    Arrays.fill(spanId, (byte) id);
    return Span.newBuilder().setTraceId(ByteString.copyFrom(traceId)).setSpanId(ByteString.copyFrom(spanId))
        .setKind(Span.SpanKind.SPAN_KIND_SERVER).setName(name).setStartTimeUnixNano(1_000).setEndTimeUnixNano(2_000)
        .addAttributes(kv("http.route", "/orders/{id}")).addAttributes(kv("http.response.status_code", "200"))
        .build();
  }

  private static byte[] spans() {
    return ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
        .setResource(Resource.newBuilder().addAttributes(kv("service.name", "orders")))
        .addScopeSpans(ScopeSpans.newBuilder().addSpans(span(1, 1, "GET /orders/{id}"))
            .addSpans(span(1, 2, "SELECT orders")).addSpans(span(2, 3, "POST /orders")))).build().toByteArray();
  }

  private static byte[] logs() {
    LogRecord log = LogRecord.newBuilder().setTimeUnixNano(1_000)
        .addAttributes(kv("upstream_cluster", "outbound|80||shop.default.svc.cluster.local"))
        .addAttributes(kv("response_code", "200")).addAttributes(kv("method", "GET"))
        .addAttributes(kv("path", "/cart")).build();
    return ExportLogsServiceRequest.newBuilder().addResourceLogs(ResourceLogs.newBuilder()
        .addScopeLogs(ScopeLogs.newBuilder().addLogRecords(log))).build().toByteArray();
  }

  private static byte[] snappyFramed(byte[] data) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (SnappyFramedOutputStream s = new SnappyFramedOutputStream(out)) {
      s.write(data);
    }
    return out.toByteArray();
  }

  private static byte[] lz4(byte[] data) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    // Content checksum on, as the Collector's lz4 writer (pierrec/lz4) has it by default; block checksums too.
    try (LZ4FrameOutputStream z = new LZ4FrameOutputStream(out, LZ4FrameOutputStream.BLOCKSIZE.SIZE_4MB,
        LZ4FrameOutputStream.FLG.Bits.BLOCK_INDEPENDENCE, LZ4FrameOutputStream.FLG.Bits.CONTENT_CHECKSUM,
        LZ4FrameOutputStream.FLG.Bits.BLOCK_CHECKSUM)) {
      z.write(data);
    }
    return out.toByteArray();
  }

  private HttpResponse<byte[]> post(String path, String contentType, String encoding, byte[] body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.getAddress().getPort() + path))
        .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (encoding != null) {
      b.header("Content-Encoding", encoding);
    }
    return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** The records one accepted request published, as topic, key and value. */
  private List<String> published(String path, String encoding, byte[] body) throws Exception {
    kafka.producer.clear();
    HttpResponse<byte[]> response = post(path, "application/x-protobuf", encoding, body);
    assertThat(response.statusCode()).as(encoding + ": " + new String(response.body(), StandardCharsets.UTF_8))
        .isEqualTo(200);
    HexFormat hex = HexFormat.of();
    return kafka.producer.history().stream()
        .map(r -> r.topic() + " " + hex.formatHex(r.key()) + " " + hex.formatHex(r.value())).toList();
  }

  @Test
  void aSnappyBlockBodyIsPublishedAsTheSameUncompressedBodyIs() throws Exception {
    List<String> spans = published("/v1/traces", null, spans());
    List<String> logs = published("/v1/logs", null, logs());
    assertThat(spans).hasSize(3);
    assertThat(logs).hasSize(1);

    assertThat(published("/v1/traces", "snappy", Snappy.compress(spans()))).isEqualTo(spans);
    assertThat(published("/v1/logs", "snappy", Snappy.compress(logs()))).isEqualTo(logs);
  }

  @Test
  void framedSnappyIsPublishedUnderXSnappyFramedAndUnderSnappyAsTheCollectorFindsIt() throws Exception {
    List<String> spans = published("/v1/traces", null, spans());

    assertThat(published("/v1/traces", "x-snappy-framed", snappyFramed(spans()))).isEqualTo(spans);
    assertThat(published("/v1/traces", "snappy", snappyFramed(spans()))).isEqualTo(spans);
    assertThat(published("/v1/logs", "x-snappy-framed", snappyFramed(logs()))).isEqualTo(published("/v1/logs", null,
        logs()));
  }

  @Test
  void anLz4FrameBodyIsPublishedAsTheSameUncompressedBodyIs() throws Exception {
    List<String> spans = published("/v1/traces", null, spans());
    List<String> logs = published("/v1/logs", null, logs());

    assertThat(published("/v1/traces", "lz4", lz4(spans()))).isEqualTo(spans);
    assertThat(published("/v1/logs", "LZ4", lz4(logs()))).isEqualTo(logs);
  }

  private void assertTooLarge(String encoding, byte[] body) throws Exception {
    HttpResponse<byte[]> response = post("/v1/traces", "application/x-protobuf", encoding, body);

    assertThat(response.statusCode()).as(encoding).isEqualTo(413);
    assertThat(com.google.rpc.Status.parseFrom(response.body()).getMessage()).as(encoding)
        .isEqualTo("request body exceeds " + LIMIT + " bytes");
    assertThat(kafka.producer.history()).isEmpty();
  }

  @Test
  void bodiesLargerThanTheLimitOnceDecompressedAre413() throws Exception {
    byte[] big = new byte[2 * LIMIT];
    assertTooLarge("snappy", Snappy.compress(big));
    assertTooLarge("snappy", snappyFramed(big));
    assertTooLarge("x-snappy-framed", snappyFramed(big));
    byte[] lz4 = lz4(big);
    assertThat(lz4.length).isLessThan(LIMIT / 64);
    assertTooLarge("lz4", lz4);
  }

  @Test
  void aSnappyBlockDeclaringMoreThanTheLimitIs413BeforeItIsRead() throws Exception {
    // A block starts with its decoded length (a varint): 4 GiB - 1 here, and nothing behind it. Allocating what it
    // declares would fail or cost the heap; it is refused on the declaration alone.
    assertTooLarge("snappy", new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f});
    // LIMIT + 1, followed by a few bytes that could not even be its start.
    assertTooLarge("snappy", new byte[] {(byte) 0x81, (byte) 0x80, 0x40, 0, 1, 2});
  }

  private void assertCorrupt(String encoding, byte[] body) throws Exception {
    HttpResponse<byte[]> response = post("/v1/traces", "application/json", encoding, body);

    assertThat(response.statusCode()).as(encoding).isEqualTo(400);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode json = HttpResponses.mapper().readTree(response.body());
    assertThat(json.get("code").asInt()).as(encoding).isEqualTo(3);
    assertThat(json.get("message").asText()).as(encoding)
        .startsWith("request body could not be read: not valid " + encoding.toLowerCase() + " (");
    assertThat(json.get("error").asText()).isEqualTo(json.get("message").asText());
    assertThat(kafka.producer.history()).isEmpty();
  }

  @Test
  void corruptBodiesAre400NamingTheirEncoding() throws Exception {
    byte[] json = "{\"resourceSpans\":[]}".getBytes(StandardCharsets.UTF_8);
    byte[] block = Snappy.compress(json);
    byte[] garbled = block.clone();
    Arrays.fill(garbled, 1, garbled.length, (byte) 0xfe);
    assertCorrupt("snappy", garbled);
    assertCorrupt("snappy", Arrays.copyOf(block, block.length - 4));
    // Far more bytes than a block of the declared 10 can be compressed to.
    byte[] padded = Arrays.copyOf(Snappy.compress(new byte[10]), 4096);
    assertCorrupt("snappy", padded);
    assertCorrupt("snappy", new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01});
    assertCorrupt("snappy", new byte[0]);
    // A block is not the framing format, which x-snappy-framed names.
    assertCorrupt("x-snappy-framed", block);
    byte[] framed = snappyFramed(json);
    framed[framed.length - 1] ^= 0x55; // the chunk's CRC no longer matches
    assertCorrupt("x-snappy-framed", framed);
    assertCorrupt("lz4", block);
    byte[] frame = lz4(json);
    frame[frame.length - 3] ^= 0x55; // the content checksum no longer matches
    assertCorrupt("lz4", frame);
    byte[] blockCut = lz4(json);
    assertCorrupt("lz4", Arrays.copyOf(blockCut, blockCut.length - 6));
  }
}
