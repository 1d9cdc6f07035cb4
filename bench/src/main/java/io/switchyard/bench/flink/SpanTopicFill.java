package io.switchyard.bench.flink;

import static io.switchyard.bench.ingest.OtlpIngestBench.kv;

import io.switchyard.bench.ingest.OtlpIngestBench;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.switchyard.bench.ingest.OtlpIngestBench;
import io.switchyard.ingest.kafka.KafkaPublisher;
import io.switchyard.ingest.kafka.PublisherOptions;
import io.switchyard.ingest.mapping.MappedBatch;
import io.switchyard.ingest.mapping.MappingOptions;
import io.switchyard.ingest.mapping.WireSpanMapper;
import io.switchyard.model.Topics;
import io.switchyard.model.v1.SpanRecord;
import io.switchyard.model.v1.SpanRecord.SpanKind;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Fills the span topic the Flink bench reads: CLIENT + SERVER span pairs (one trace each) over 50 services, 1,000
 * requests per event-time second; with {@code clientsOnly}, only the CLIENT spans, all in one event-time second
 * (traces left waiting, for the state-size run).
 *
 * <p>Two shapes ({@code -Dbench.spans}):
 * <ul>
 *   <li>{@code ingest} (the default since session 15): the records {@code switchyard ingest} writes. Each span is
 *       an OTLP span as an OpenTelemetry SDK or agent records an HTTP call under the stable HTTP semantic
 *       conventions (client span named by its method with {@code server.address}, {@code url.full} and the
 *       response code; server span named by method and route with {@code http.route}, {@code url.path},
 *       {@code client.address}, {@code user_agent.original}), under a resource with the Kubernetes attributes the
 *       ingest bench's spans carry, and is mapped by ingest's own {@link WireSpanMapper} with the default options,
 *       the path its OTLP/gRPC receiver takes: key and value bytes are exactly what ingest would produce. Trace
 *       and span ids are random, as SDKs make them. One request in 50 answers 503 (both spans ERROR). About 170
 *       bytes per record.
 *   <li>{@code minimal}: the records of sessions 3 to 14, built by hand with only the fields the pairing needs
 *       (no span name, no method, no received time, no gRPC status of -1, no addresses), about 76 bytes, and
 *       trace ids counting up from 1. Ingest never writes such a record. Kept to compare with the figures of those
 *       sessions.
 * </ul>
 *
 * <p>The records go to Kafka through ingest's own producer ({@link KafkaPublisher#createProducer}: its batching and
 * its default compression, lz4), so both the job and {@code kafka-consumer-perf-test} read record batches as ingest
 * writes them. Sessions 3 to 29 wrote them uncompressed ({@code -Dbench.compression=none}).
 */
final class SpanTopicFill {
  /** The shape of the records. */
  enum Shape {
    INGEST,
    MINIMAL;

    static Shape fromProperty() {
      String v = System.getProperty("bench.spans", "ingest");
      try {
        return valueOf(v.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("-Dbench.spans must be ingest or minimal, got " + v, e);
      }
    }
  }

  private static final HexFormat HEX = HexFormat.of();
  private static final long T0_MS = 1_767_225_600_000L;
  private static final String[] ROUTES = {"/api/cart/{id}", "/api/checkout", "/api/products/{sku}", "/api/reviews/{id}"};

  private final Shape shape;
  private final Random random = new Random(42);
  private final WireSpanMapper mapper = new WireSpanMapper(MappingOptions.DEFAULTS);
  private final Resource[] resources = new Resource[50];

  SpanTopicFill(Shape shape) {
    this.shape = shape;
    for (int s = 0; s < resources.length; s++) {
      resources[s] = OtlpIngestBench.resource(service(s), s);
    }
  }

  private static String service(int s) {
    return "svc-" + s;
  }

  /** Where the records go: a Kafka producer, or a file for in-process harnesses. */
  interface Sink {
    void send(byte[] key, byte[] value) throws Exception;
  }

  /** Writes {@code requests} requests' spans to {@code prefix}'s span topic; returns the spans written. */
  long fill(String bootstrap, String prefix, int requests, boolean clientsOnly) throws Exception {
    String topic = prefix + Topics.SPANS.name();
    String compression = compression();
    System.out.printf("span topic %s: written by ingest's producer, compression.type=%s%n", topic, compression);
    try (Producer<byte[], byte[]> p = KafkaPublisher.createProducer(bootstrap, compression, PublisherOptions.DEFAULTS,
        // Ingest's receivers must never wait long for buffer space; a fill as fast as the broker takes it may.
        Map.of(ProducerConfig.MAX_BLOCK_MS_CONFIG, 120_000))) {
      AtomicReference<Exception> failed = new AtomicReference<>();
      long spans = write(requests, clientsOnly, (k, v) -> p.send(new ProducerRecord<>(topic, k, v), (m, e) -> {
        if (e != null) {
          failed.compareAndSet(null, e);
        }
      }));
      p.flush();
      if (failed.get() != null) {
        throw new IllegalStateException("the span topic " + topic + " is incomplete: a send failed", failed.get());
      }
      return spans;
    }
  }

  /**
   * The topic's compression ({@code -Dbench.compression}): by default ingest's own default, lz4, so that both readers
   * decompress what they would decompress on a span topic ingest wrote; {@code none} reproduces the topics of
   * sessions 3 to 29.
   */
  static String compression() {
    String c = System.getProperty("bench.compression", "lz4");
    if (!Set.of("lz4", "zstd", "gzip", "snappy", "none").contains(c)) {
      throw new IllegalArgumentException("-Dbench.compression must be lz4, zstd, gzip, snappy or none, got " + c);
    }
    return c;
  }

  /** Hands {@code requests} requests' span records to {@code sink} in the order they are produced; returns the spans. */
  long write(int requests, boolean clientsOnly, Sink sink) throws Exception {
    long bytes = 0;
    for (int i = 0; i < requests; i++) {
      long start = clientsOnly ? T0_MS * 1_000_000L + i % 1000 * 1_000_000L : (T0_MS + i) * 1_000_000L;
      int client = i % 50;
      int server = (i * 7 + 3) % 50;
      bytes += shape == Shape.INGEST
          ? ingestShaped(sink, i, start, client, server, clientsOnly)
          : minimal(sink, id(i + 1, 16), start, client, server, clientsOnly);
    }
    long spans = clientsOnly ? requests : 2L * requests;
    System.out.printf("span records: %s shape, %.1f bytes per value on average%n", shape.name().toLowerCase(Locale.ROOT),
        (double) bytes / spans);
    return spans;
  }

  /**
   * {@code SpanTopicFill FILE REQUESTS}: writes the records of {@code -Dbench.spans}'s shape to FILE, each as its
   * key's length (int), key, value's length, value: the same stream for in-process measurements of the span path.
   */
  public static void main(String[] args) throws Exception {
    try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(Path.of(args[0]))))) {
      new SpanTopicFill(Shape.fromProperty()).write(Integer.parseInt(args[1]), false, (k, v) -> {
        out.writeInt(k.length);
        out.write(k);
        out.writeInt(v.length);
        out.write(v);
      });
    }
  }

  private long ingestShaped(Sink sink, int i, long start, int client, int server, boolean clientsOnly) throws Exception {
    // Random ids, as SDKs make them (W3C trace context): no key order for the state to profit from.
    ByteString trace = randomId(16);
    ByteString clientSpan = randomId(8);
    String route = ROUTES[i % ROUTES.length];
    String path = route.replace("{id}", Integer.toString(i % 10_000)).replace("{sku}", "SKU-" + i % 1000);
    String host = service(server) + ".shop.svc.cluster.local";
    boolean failed = i % 50 == 49;
    int code = failed ? 503 : 200;
    Status status = Status.newBuilder()
        .setCode(failed ? Status.StatusCode.STATUS_CODE_ERROR : Status.StatusCode.STATUS_CODE_UNSET).build();
    String clientIp = "10.44." + client + "." + (i % 250 + 1);
    String serverIp = "10.44." + server + "." + (i % 250 + 1);
    Span c = Span.newBuilder().setTraceId(trace).setSpanId(clientSpan).setName("GET").setKind(Span.SpanKind.SPAN_KIND_CLIENT)
        .setStartTimeUnixNano(start).setEndTimeUnixNano(start + 5_000_000).setStatus(status)
        .addAttributes(kv("http.request.method", "GET")).addAttributes(kv("server.address", host))
        .addAttributes(kv("server.port", 8080)).addAttributes(kv("url.full", "http://" + host + ":8080" + path))
        .addAttributes(kv("http.response.status_code", code)).addAttributes(kv("network.peer.address", serverIp))
        .addAttributes(kv("network.protocol.version", "1.1")).build();
    long bytes = send(sink, client, c, start + 7_000_000);
    if (!clientsOnly) {
      Span s = Span.newBuilder().setTraceId(trace).setSpanId(randomId(8)).setParentSpanId(clientSpan).setName("GET " + route)
          .setKind(Span.SpanKind.SPAN_KIND_SERVER).setStartTimeUnixNano(start + 500_000).setEndTimeUnixNano(start + 4_500_000)
          .setStatus(status)
          .addAttributes(kv("http.request.method", "GET")).addAttributes(kv("http.route", route))
          .addAttributes(kv("url.path", path)).addAttributes(kv("url.scheme", "http"))
          .addAttributes(kv("server.address", host)).addAttributes(kv("server.port", 8080))
          .addAttributes(kv("client.address", clientIp)).addAttributes(kv("network.peer.address", clientIp))
          .addAttributes(kv("user_agent.original", "Java-http-client/17.0.15"))
          .addAttributes(kv("http.response.status_code", code)).addAttributes(kv("network.protocol.version", "1.1")).build();
      bytes += send(sink, server, s, start + 6_000_000);
    }
    return bytes;
  }

  /** One span in its own export request, as an SDK's batch processor sends a service's spans; mapped as ingest maps it. */
  private long send(Sink sink, int service, Span span, long receivedUnixNano) throws Exception {
    byte[] request = ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
        .setResource(resources[service]).addScopeSpans(ScopeSpans.newBuilder()
            .setScope(InstrumentationScope.newBuilder().setName("io.opentelemetry.java-http-client").setVersion("2.10.0"))
            .addSpans(span))).build().toByteArray();
    MappedBatch<WireSpanMapper.Encoded> mapped = mapper.map(request, receivedUnixNano);
    if (mapped.records().size() != 1) {
      throw new IllegalStateException("ingest's mapper refused a bench span: " + mapped.firstError());
    }
    WireSpanMapper.Encoded r = mapped.records().get(0);
    sink.send(r.key(), r.value());
    return r.value().length;
  }

  private static long minimal(Sink sink, ByteString trace, long start, int client, int server, boolean clientsOnly)
      throws Exception {
    byte[] key = HEX.formatHex(trace.toByteArray()).getBytes(StandardCharsets.UTF_8);
    byte[] c = SpanRecord.newBuilder().setSchemaVersion(1).setTraceId(trace).setSpanId(id(1, 8)).setServiceName(service(client))
        .setKind(SpanKind.SPAN_KIND_CLIENT).setStartTimeUnixNano(start).setEndTimeUnixNano(start + 5_000_000)
        .setSamplingProbability(1).setHttpStatusCode(200).build().toByteArray();
    sink.send(key, c);
    if (clientsOnly) {
      return c.length;
    }
    byte[] s = SpanRecord.newBuilder().setSchemaVersion(1).setTraceId(trace).setSpanId(id(2, 8)).setParentSpanId(id(1, 8))
        .setServiceName(service(server)).setKind(SpanKind.SPAN_KIND_SERVER).setStartTimeUnixNano(start + 500_000)
        .setEndTimeUnixNano(start + 4_500_000).setSamplingProbability(1).setHttpStatusCode(200).build().toByteArray();
    sink.send(key, s);
    return c.length + s.length;
  }

  private ByteString randomId(int bytes) {
    byte[] b = new byte[bytes];
    random.nextBytes(b);
    return ByteString.copyFrom(b);
  }

  private static ByteString id(long v, int bytes) {
    ByteBuffer b = ByteBuffer.allocate(bytes);
    b.position(bytes - 8);
    b.putLong(v);
    return ByteString.copyFrom(b.array());
  }
}
