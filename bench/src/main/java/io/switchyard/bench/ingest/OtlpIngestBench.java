package io.switchyard.bench.ingest;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status.StatusCode;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.ingest.IngestConfig;
import io.switchyard.ingest.IngestServer;
import io.switchyard.ingest.mapping.MappingOptions;
import io.switchyard.ingest.mapping.SpanMapper;
import io.switchyard.kafkaembedded.EmbeddedKafka;
import io.switchyard.model.TopicSpec;
import io.switchyard.model.Topics;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.serverkit.metrics.Metrics;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.tools.ProducerPerformance;

/**
 * Spans per second from an OTLP/gRPC load driver (batches of 512 realistic spans) through ingest into Kafka,
 * against Kafka's own producer-perf-test writing the same number of bytes to the same broker in the same run.
 *
 * <p>Usage: {@code OtlpIngestBench [seconds=20] [inflight=8]}. Prints both rates and their ratio.
 */
public final class OtlpIngestBench {
  static final int BATCH = 512;

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    int inflight = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    Path dir = Files.createTempDirectory("switchyard-bench-ingest");
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir.resolve("kafka"))
        .brokerProperty("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE)).build().start()) {
      TopicSpec raw = new TopicSpec("bench.raw", Topics.SPANS.partitions(), TopicSpec.CleanupPolicy.DELETE,
          Duration.ofHours(1));
      kafka.createTopics(List.of(Topics.SPANS, raw));
      List<ExportTraceServiceRequest> requests = requests(64);
      double recordBytes = averageRecordBytes(requests);
      System.out.printf("request: %d spans, %.0f bytes on the wire; mean span record %.0f bytes (key incl.)%n",
          BATCH, requests.stream().mapToInt(ExportTraceServiceRequest::getSerializedSize).average().orElse(0),
          recordBytes);

      Metrics metrics = new Metrics(new PrometheusRegistry());
      IngestServer server = new IngestServer(IngestConfig.defaults(kafka.bootstrapServers(), dir.resolve("data"))
          .withHost("127.0.0.1").withPorts(0, 0, 0), metrics, new Readiness()).start();
      Result ingest;
      try {
        drive(server.otlpGrpcPort(), requests, 3, inflight);
        ingest = drive(server.otlpGrpcPort(), requests, seconds, inflight);
      } finally {
        server.close();
      }
      double ingestBytesPerSec = ingest.spans * recordBytes / ingest.seconds;
      System.out.printf("ingest: %d spans acked in %.1f s = %.0f spans/s, %.2f MB/s of records; "
              + "%d requests refused (pushed back); max heap used %d MiB%n",
          ingest.spans, ingest.seconds, ingest.spans / ingest.seconds, ingestBytesPerSec / 1e6, ingest.refused,
          ingest.maxHeapBytes >> 20);

      long numRecords = ingest.spans;
      int recordSize = (int) Math.round(recordBytes);
      System.out.printf("baseline: kafka-producer-perf-test, %d records x %d bytes, acks=all, lz4, idempotent%n",
          numRecords, recordSize);
      long start = System.nanoTime();
      ProducerPerformance.main(new String[] {"--topic", raw.name(), "--num-records", Long.toString(numRecords),
          "--record-size", Integer.toString(recordSize), "--throughput", "-1", "--producer-props",
          "bootstrap.servers=" + kafka.bootstrapServers(), "acks=all", "compression.type=lz4", "linger.ms=5",
          "batch.size=262144", "enable.idempotence=true", "buffer.memory=134217728"});
      double rawSeconds = (System.nanoTime() - start) / 1e9;
      double rawBytesPerSec = numRecords * (double) recordSize / rawSeconds;
      System.out.printf("raw producer: %.1f s = %.0f records/s, %.2f MB/s%n", rawSeconds, numRecords / rawSeconds,
          rawBytesPerSec / 1e6);
      System.out.printf("RESULT ingest %.0f spans/s, %.2f MB/s vs raw producer %.2f MB/s: ratio %.2f%n",
          ingest.spans / ingest.seconds, ingestBytesPerSec / 1e6, rawBytesPerSec / 1e6,
          ingestBytesPerSec / rawBytesPerSec);
    }
  }

  record Result(long spans, double seconds, long refused, long maxHeapBytes) {}

  /** Keeps {@code inflight} export calls outstanding for {@code seconds}; counts spans in acknowledged calls. */
  static Result drive(int port, List<ExportTraceServiceRequest> requests, int seconds, int inflight)
      throws InterruptedException {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
        .maxInboundMessageSize(16 << 20).build();
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    try {
      TraceServiceGrpc.TraceServiceStub stub = TraceServiceGrpc.newStub(channel);
      Semaphore slots = new Semaphore(inflight);
      AtomicLong spans = new AtomicLong();
      AtomicLong refused = new AtomicLong();
      long maxHeap = 0;
      long start = System.nanoTime();
      long end = start + TimeUnit.SECONDS.toNanos(seconds);
      int i = 0;
      while (System.nanoTime() < end) {
        if (!slots.tryAcquire(100, TimeUnit.MILLISECONDS)) {
          continue;
        }
        ExportTraceServiceRequest req = requests.get(i++ % requests.size());
        stub.withDeadlineAfter(30, TimeUnit.SECONDS).export(req, new StreamObserver<ExportTraceServiceResponse>() {
          @Override
          public void onNext(ExportTraceServiceResponse value) {
            spans.addAndGet(BATCH);
          }

          @Override
          public void onError(Throwable t) {
            Status.Code code = Status.fromThrowable(t).getCode();
            if (code == Status.Code.RESOURCE_EXHAUSTED || code == Status.Code.UNAVAILABLE) {
              refused.incrementAndGet();
            }
            slots.release();
          }

          @Override
          public void onCompleted() {
            slots.release();
          }
        });
        if ((i & 63) == 0) {
          maxHeap = Math.max(maxHeap, memory.getHeapMemoryUsage().getUsed());
        }
      }
      slots.acquire(inflight);
      double elapsed = (System.nanoTime() - start) / 1e9;
      return new Result(spans.get(), elapsed, refused.get(), maxHeap);
    } finally {
      channel.shutdownNow();
    }
  }

  /** Mean size of the span records (value + hex trace-id key) the requests turn into. */
  static double averageRecordBytes(List<ExportTraceServiceRequest> requests) {
    SpanMapper mapper = new SpanMapper(MappingOptions.DEFAULTS);
    long bytes = 0;
    long n = 0;
    for (ExportTraceServiceRequest r : requests) {
      for (var rec : mapper.map(r, System.currentTimeMillis() * 1_000_000L).records()) {
        bytes += rec.getSerializedSize() + 32;
        n++;
      }
    }
    return (double) bytes / n;
  }

  /** Requests of 512 spans shaped like a mesh's: services calling services, HTTP, gRPC and database clients. */
  static List<ExportTraceServiceRequest> requests(int count) {
    Random rnd = new Random(42);
    String[] services = {"frontend", "cart", "checkout", "payments", "catalog", "shipping", "reviews", "ratings"};
    String[] routes = {"/api/cart/{id}", "/api/checkout", "/api/products/{sku}", "/api/reviews/{id}", "/healthz"};
    List<ExportTraceServiceRequest> out = new ArrayList<>(count);
    for (int c = 0; c < count; c++) {
      String service = services[c % services.length];
      Resource resource = Resource.newBuilder()
          .addAttributes(kv("service.name", service)).addAttributes(kv("service.namespace", "shop"))
          .addAttributes(kv("service.version", "1.4.2")).addAttributes(kv("k8s.namespace.name", "shop"))
          .addAttributes(kv("k8s.deployment.name", service + "-v1"))
          .addAttributes(kv("k8s.pod.name", service + "-v1-6b746f74dc-" + Integer.toString(c, 36)))
          .addAttributes(kv("host.name", "node-" + (c % 3))).addAttributes(kv("telemetry.sdk.language", "java"))
          .addAttributes(kv("telemetry.sdk.name", "opentelemetry")).addAttributes(kv("telemetry.sdk.version", "1.68.0"))
          .build();
      ScopeSpans.Builder scope = ScopeSpans.newBuilder()
          .setScope(InstrumentationScope.newBuilder().setName("io.opentelemetry.http").setVersion("2.10.0"));
      long now = System.currentTimeMillis() * 1_000_000L;
      byte[] trace = new byte[16];
      for (int s = 0; s < BATCH; s++) {
        if (s % 8 == 0) {
          rnd.nextBytes(trace);
        }
        byte[] span = new byte[8];
        byte[] parent = new byte[8];
        rnd.nextBytes(span);
        rnd.nextBytes(parent);
        String peer = services[rnd.nextInt(services.length)];
        Span.Builder b = Span.newBuilder().setTraceId(ByteString.copyFrom(trace)).setSpanId(ByteString.copyFrom(span))
            .setParentSpanId(ByteString.copyFrom(parent)).setStartTimeUnixNano(now - 5_000_000L)
            .setEndTimeUnixNano(now - 5_000_000L + rnd.nextInt(4_000_000))
            .setStatus(io.opentelemetry.proto.trace.v1.Status.newBuilder()
                .setCode(rnd.nextInt(50) == 0 ? StatusCode.STATUS_CODE_ERROR : StatusCode.STATUS_CODE_UNSET));
        switch (s % 4) {
          case 0, 1 -> {
            String route = routes[rnd.nextInt(routes.length)];
            b.setName("GET " + route).setKind(s % 4 == 0 ? Span.SpanKind.SPAN_KIND_SERVER : Span.SpanKind.SPAN_KIND_CLIENT)
                .addAttributes(kv("http.request.method", "GET")).addAttributes(kv("http.route", route))
                .addAttributes(kv("url.path", route.replace("{id}", Integer.toString(rnd.nextInt(10000)))
                    .replace("{sku}", "SKU-" + rnd.nextInt(1000))))
                .addAttributes(kv("url.scheme", "http"))
                .addAttributes(kv("http.response.status_code", rnd.nextInt(50) == 0 ? 503 : 200))
                .addAttributes(kv("server.address", peer + ".shop.svc.cluster.local"))
                .addAttributes(kv("server.port", 8080)).addAttributes(kv("network.peer.address", "10.44.0." + rnd.nextInt(250)))
                .addAttributes(kv("network.protocol.version", "1.1"))
                .addAttributes(kv("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) switchyard-bench/1.0"));
          }
          case 2 -> b.setName("shop.v1.Catalog/GetProduct").setKind(Span.SpanKind.SPAN_KIND_CLIENT)
              .addAttributes(kv("rpc.system", "grpc")).addAttributes(kv("rpc.service", "shop.v1.Catalog"))
              .addAttributes(kv("rpc.method", "GetProduct")).addAttributes(kv("rpc.grpc.status_code", 0))
              .addAttributes(kv("peer.service", "catalog")).addAttributes(kv("server.address", "catalog.shop"))
              .addAttributes(kv("server.port", 9090));
          default -> b.setName("SELECT orders").setKind(Span.SpanKind.SPAN_KIND_CLIENT)
              .addAttributes(kv("db.system", "postgresql")).addAttributes(kv("db.namespace", "orders"))
              .addAttributes(kv("db.operation.name", "SELECT"))
              .addAttributes(kv("db.query.text", "SELECT id, total, status FROM orders WHERE customer_id = $1 LIMIT 50"))
              .addAttributes(kv("server.address", "postgres.db.svc.cluster.local")).addAttributes(kv("server.port", 5432));
        }
        scope.addSpans(b);
      }
      out.add(ExportTraceServiceRequest.newBuilder()
          .addResourceSpans(ResourceSpans.newBuilder().setResource(resource).addScopeSpans(scope)).build());
    }
    return out;
  }

  static KeyValue kv(String k, String v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v)).build();
  }

  static KeyValue kv(String k, long v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setIntValue(v)).build();
  }
}
