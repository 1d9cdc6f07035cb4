package io.switchyard.bench.ingest;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
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
import io.switchyard.ingest.kafka.PublisherOptions;
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
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.tools.ProducerPerformance;

/**
 * Spans per second from an OTLP/gRPC load driver (batches of 512 realistic spans) through ingest into Kafka,
 * against Kafka's own producer-perf-test writing the same number of bytes to the same broker in the same run.
 *
 * <p>Usage: {@code OtlpIngestBench [seconds=20] [inflight=16] [rounds=3]} runs interleaved rounds (ingest, raw,
 * ingest, raw, …) and prints each round's ratio and the median. {@code OtlpIngestBench overload [seconds=20]
 * [inflight=64] [quotaMBps=2] [inflightMb=64]} offers more than ingest can take (many concurrent requests while the
 * broker throttles ingest's producer to a byte-rate quota) and reports refusals, the in-flight bytes ingest held and
 * the heap after each GC, against an unthrottled phase of the same run.
 *
 * <p>The driver sends pre-serialised requests (a byte marshaller), so the client's protobuf encoding is not charged
 * to ingest on the shared cores; the baseline's payload generation is charged to it the same way inside
 * ProducerPerformance.
 */
public final class OtlpIngestBench {
  static final int BATCH = 512;
  static final String INGEST_CLIENT_ID = "switchyard-ingest";

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("overload")) {
      overload(args.length > 1 ? Integer.parseInt(args[1]) : 20, args.length > 2 ? Integer.parseInt(args[2]) : 64,
          args.length > 3 ? Double.parseDouble(args[3]) : 2.0, args.length > 4 ? Long.parseLong(args[4]) : 64);
      return;
    }
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    int inflight = args.length > 1 ? Integer.parseInt(args[1]) : 16;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    Path dir = Files.createTempDirectory("switchyard-bench-ingest");
    HeapWatch heap = HeapWatch.start();
    try (EmbeddedKafka kafka = broker(dir)) {
      TopicSpec raw = new TopicSpec("bench.raw", Topics.SPANS.partitions(), TopicSpec.CleanupPolicy.DELETE,
          Duration.ofHours(1));
      kafka.createTopics(List.of(Topics.SPANS, raw));
      List<byte[]> requests = serialized(requests(64));
      double recordBytes = averageRecordBytes(requests(64));
      int recordSize = (int) Math.round(recordBytes);
      System.out.printf("request: %d spans, %.0f bytes on the wire; mean span record %d bytes (key incl.)%n",
          BATCH, requests.stream().mapToInt(b -> b.length).average().orElse(0), recordSize);
      System.out.printf("both producers: acks=all, enable.idempotence=true, compression.type=lz4, linger.ms=%s, "
          + "batch.size=%s, max.in.flight=5%n", PRODUCER_PROPS.get("linger.ms"), PRODUCER_PROPS.get("batch.size"));

      Metrics metrics = new Metrics(new PrometheusRegistry());
      IngestServer server = new IngestServer(IngestConfig.defaults(kafka.bootstrapServers(), dir.resolve("data"))
          .withHost("127.0.0.1").withPorts(0, 0, 0), metrics, new Readiness()).start();
      List<Double> ratios = new ArrayList<>();
      List<Double> spanRates = new ArrayList<>();
      List<Double> cpuRatios = new ArrayList<>();
      try {
        // Long warm-up: on a loaded machine the JIT's compiler threads get little CPU, and ingest's rate kept
        // climbing round after round with 5 s.
        drive(server.otlpGrpcPort(), requests, 20, inflight);
        rawProducer(kafka, raw.name(), 500_000, recordSize);
        for (int round = 1; round <= rounds; round++) {
          String loadBefore = loadAverage();
          long cpu0 = processCpuNanos();
          Result ingest = drive(server.otlpGrpcPort(), requests, seconds, inflight);
          long cpu1 = processCpuNanos();
          double ingestBytesPerSec = ingest.spans * recordBytes / ingest.seconds;
          double rawRecordsPerSec = rawProducer(kafka, raw.name(), ingest.spans, recordSize);
          long cpu2 = processCpuNanos();
          // Same bytes in both phases, so the CPU ratio is the cost ratio (the whole JVM: broker included; the
          // raw phase also pays its producer's start-up). Less sensitive to other tenants than wall-clock rates.
          double cpuRatio = (double) (cpu2 - cpu1) / (cpu1 - cpu0);
          double rawBytesPerSec = rawRecordsPerSec * recordSize;
          double ratio = ingestBytesPerSec / rawBytesPerSec;
          ratios.add(ratio);
          spanRates.add(ingest.spans / ingest.seconds);
          cpuRatios.add(cpuRatio);
          System.out.printf("ROUND %d ingest %.0f spans/s (%.2f MB/s, %d refused, %.1f CPU-s) | raw %.0f records/s "
                  + "(%.2f MB/s, %.1f CPU-s) | ratio %.2f | CPU ratio raw/ingest %.2f | load %s -> %s%n", round,
              ingest.spans / ingest.seconds, ingestBytesPerSec / 1e6, ingest.refused, (cpu1 - cpu0) / 1e9,
              rawRecordsPerSec, rawBytesPerSec / 1e6, (cpu2 - cpu1) / 1e9, ratio, cpuRatio, loadBefore,
              loadAverage());
        }
      } finally {
        server.close();
      }
      System.out.printf("RESULT median ratio %.2f (rounds %s), median %.0f spans/s, median CPU ratio %.2f; "
              + "heap after GC max %d MiB, heap used max %d MiB%n", median(ratios),
          ratios.stream().map(r -> String.format("%.2f", r)).toList(), median(spanRates), median(cpuRatios),
          heap.maxAfterGc() >> 20, heap.maxUsed() >> 20);
    } finally {
      heap.close();
    }
  }

  /** Ingest's producer settings (KafkaPublisher.createProducer) that matter for throughput, given to the baseline. */
  static final java.util.Map<String, String> PRODUCER_PROPS = new java.util.LinkedHashMap<>();

  static {
    PRODUCER_PROPS.put("acks", "all");
    PRODUCER_PROPS.put("enable.idempotence", "true");
    PRODUCER_PROPS.put("compression.type", "lz4");
    PRODUCER_PROPS.put("linger.ms", "5");
    PRODUCER_PROPS.put("batch.size", "262144");
    PRODUCER_PROPS.put("max.in.flight.requests.per.connection", "5");
    PRODUCER_PROPS.put("buffer.memory", "134217728");
  }

  static EmbeddedKafka broker(Path dir) {
    return EmbeddedKafka.builder().dataDir(dir.resolve("kafka"))
        .brokerProperty("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE)).build().start();
  }

  /** Runs ProducerPerformance; returns the records/s it reports (its own clock, producer start-up excluded). */
  static double rawProducer(EmbeddedKafka kafka, String topic, long records, int recordSize) throws Exception {
    List<String> argv = new ArrayList<>(List.of("--topic", topic, "--num-records", Long.toString(records),
        "--record-size", Integer.toString(recordSize), "--throughput", "-1", "--command-property",
        "bootstrap.servers=" + kafka.bootstrapServers()));
    PRODUCER_PROPS.forEach((k, v) -> argv.add(k + "=" + v));
    java.io.PrintStream stdout = System.out;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setOut(new java.io.PrintStream(captured, true));
    try {
      ProducerPerformance.main(argv.toArray(String[]::new));
    } finally {
      System.setOut(stdout);
    }
    String[] lines = captured.toString().strip().split("\n");
    String last = lines[lines.length - 1];
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("records sent, ([0-9.]+) records/sec").matcher(last);
    if (!m.find()) {
      throw new IllegalStateException("unexpected ProducerPerformance output: " + captured);
    }
    return Double.parseDouble(m.group(1));
  }

  /**
   * Overload: an unthrottled phase, then the same number of clients while the broker holds ingest's producer to
   * {@code quotaMBps}. Ingest must refuse what it cannot take and keep heap flat.
   */
  static void overload(int seconds, int inflight, double quotaMBps, long inflightMb) throws Exception {
    Path dir = Files.createTempDirectory("switchyard-bench-ingest-overload");
    HeapWatch heap = HeapWatch.start();
    try (EmbeddedKafka kafka = broker(dir)) {
      kafka.createTopics(List.of(Topics.SPANS));
      List<byte[]> requests = serialized(requests(64));
      PrometheusRegistry registry = new PrometheusRegistry();
      IngestConfig config = IngestConfig.defaults(kafka.bootstrapServers(), dir.resolve("data"))
          .withHost("127.0.0.1").withPorts(0, 0, 0)
          .withFlowControl(new PublisherOptions(inflightMb << 20, PublisherOptions.DEFAULTS.ackTimeout(),
              PublisherOptions.DEFAULTS.retryAfter()), 1L << 30);
      IngestServer server = new IngestServer(config, new Metrics(registry), new Readiness()).start();
      try {
        drive(server.otlpGrpcPort(), requests, 5, 16);
        heap.reset();
        InflightWatch watch = InflightWatch.start(registry);
        Result free = drive(server.otlpGrpcPort(), requests, seconds, inflight);
        System.out.printf("OVERLOAD unthrottled: %d in flight, %.0f spans/s acked, refused %s, in-flight bytes max "
                + "%d MiB of %d, heap after GC max %d MiB, heap used max %d MiB | load %s%n", inflight,
            free.spans / free.seconds, free.refusedByCode, watch.max() >> 20, inflightMb, heap.maxAfterGc() >> 20,
            heap.maxUsed() >> 20, loadAverage());
        watch.close();
        try (var admin = kafka.admin()) {
          admin.alterClientQuotas(List.of(new ClientQuotaAlteration(
              new ClientQuotaEntity(java.util.Map.of(ClientQuotaEntity.CLIENT_ID, INGEST_CLIENT_ID)),
              List.of(new ClientQuotaAlteration.Op("producer_byte_rate", quotaMBps * 1e6))))).all().get();
        }
        heap.reset();
        watch = InflightWatch.start(registry);
        Result throttled = drive(server.otlpGrpcPort(), requests, seconds, inflight);
        System.out.printf("OVERLOAD throttled to %.1f MB/s: %d in flight, %.0f spans/s acked, refused %s, in-flight "
                + "bytes max %d MiB of %d, heap after GC max %d MiB, heap used max %d MiB | load %s%n", quotaMBps,
            inflight, throttled.spans / throttled.seconds, throttled.refusedByCode, watch.max() >> 20, inflightMb,
            heap.maxAfterGc() >> 20, heap.maxUsed() >> 20, loadAverage());
        watch.close();
      } finally {
        server.close();
      }
    } finally {
      heap.close();
    }
  }

  record Result(long spans, double seconds, long refused, java.util.Map<String, Long> refusedByCode) {}

  static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public java.io.InputStream stream(byte[] value) {
      return new java.io.ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(java.io.InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  };

  static final MethodDescriptor<byte[], byte[]> EXPORT = TraceServiceGrpc.getExportMethod().toBuilder(BYTES, BYTES)
      .build();

  /** Keeps {@code inflight} export calls outstanding for {@code seconds}; counts spans in acknowledged calls. */
  static Result drive(int port, List<byte[]> requests, int seconds, int inflight) throws InterruptedException {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
        .maxInboundMessageSize(16 << 20).build();
    try {
      Semaphore slots = new Semaphore(inflight);
      AtomicLong spans = new AtomicLong();
      java.util.concurrent.ConcurrentHashMap<String, AtomicLong> refused = new java.util.concurrent.ConcurrentHashMap<>();
      long start = System.nanoTime();
      long end = start + TimeUnit.SECONDS.toNanos(seconds);
      int i = 0;
      while (System.nanoTime() < end) {
        if (!slots.tryAcquire(100, TimeUnit.MILLISECONDS)) {
          continue;
        }
        byte[] req = requests.get(i++ % requests.size());
        ClientCalls.asyncUnaryCall(channel.newCall(EXPORT, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)),
            req, new StreamObserver<byte[]>() {
              @Override
              public void onNext(byte[] value) {
                spans.addAndGet(BATCH);
              }

              @Override
              public void onError(Throwable t) {
                refused.computeIfAbsent(Status.fromThrowable(t).getCode().name(), k -> new AtomicLong())
                    .incrementAndGet();
                slots.release();
              }

              @Override
              public void onCompleted() {
                slots.release();
              }
            });
      }
      slots.acquire(inflight);
      double elapsed = (System.nanoTime() - start) / 1e9;
      java.util.Map<String, Long> byCode = new java.util.TreeMap<>();
      refused.forEach((k, v) -> byCode.put(k, v.get()));
      long total = byCode.values().stream().mapToLong(Long::longValue).sum();
      return new Result(spans.get(), elapsed, total, byCode);
    } finally {
      channel.shutdownNow();
    }
  }

  /** The largest heap occupancy after any GC (live data plus what survived), and the largest sampled usage. */
  static final class HeapWatch implements AutoCloseable {
    private final AtomicLong maxAfterGc = new AtomicLong();
    private final AtomicLong maxUsed = new AtomicLong();
    private final List<Runnable> undo = new ArrayList<>();
    private final java.util.concurrent.ScheduledExecutorService sampler =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "heap-watch");
          t.setDaemon(true);
          return t;
        });

    static HeapWatch start() {
      HeapWatch w = new HeapWatch();
      MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
      w.sampler.scheduleAtFixedRate(() -> w.maxUsed.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max),
          0, 20, TimeUnit.MILLISECONDS);
      for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
        if (gc instanceof javax.management.NotificationEmitter emitter) {
          javax.management.NotificationListener l = (n, hb) -> {
            if (!n.getType().equals(com.sun.management.GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
              return;
            }
            var info = com.sun.management.GarbageCollectionNotificationInfo.from(
                (javax.management.openmbean.CompositeData) n.getUserData());
            long after = 0;
            for (var e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
              if (isHeap(e.getKey())) {
                after += e.getValue().getUsed();
              }
            }
            w.maxAfterGc.accumulateAndGet(after, Math::max);
          };
          emitter.addNotificationListener(l, null, null);
          w.undo.add(() -> {
            try {
              emitter.removeNotificationListener(l);
            } catch (javax.management.ListenerNotFoundException e) {
              // already gone
            }
          });
        }
      }
      return w;
    }

    private static boolean isHeap(String pool) {
      for (var p : ManagementFactory.getMemoryPoolMXBeans()) {
        if (p.getName().equals(pool)) {
          return p.getType() == java.lang.management.MemoryType.HEAP;
        }
      }
      return false;
    }

    void reset() {
      maxAfterGc.set(0);
      maxUsed.set(0);
    }

    long maxAfterGc() {
      return maxAfterGc.get();
    }

    long maxUsed() {
      return maxUsed.get();
    }

    @Override
    public void close() {
      sampler.shutdownNow();
      undo.forEach(Runnable::run);
    }
  }

  /** Samples ingest's own in-flight gauge (switchyard_ingest_inflight_bytes). */
  static final class InflightWatch implements AutoCloseable {
    private final AtomicLong max = new AtomicLong();
    private final java.util.concurrent.ScheduledExecutorService sampler =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "inflight-watch");
          t.setDaemon(true);
          return t;
        });

    static InflightWatch start(PrometheusRegistry registry) {
      InflightWatch w = new InflightWatch();
      w.sampler.scheduleAtFixedRate(() -> {
        for (var snapshot : registry.scrape()) {
          if (snapshot.getMetadata().getPrometheusName().equals("switchyard_ingest_inflight_bytes")
              && snapshot instanceof io.prometheus.metrics.model.snapshots.GaugeSnapshot g) {
            for (var d : g.getDataPoints()) {
              w.max.accumulateAndGet((long) d.getValue(), Math::max);
            }
          }
        }
      }, 0, 20, TimeUnit.MILLISECONDS);
      return w;
    }

    long max() {
      return max.get();
    }

    @Override
    public void close() {
      sampler.shutdownNow();
    }
  }

  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (java.io.IOException e) {
      return "?";
    }
  }

  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    java.util.Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  static List<byte[]> serialized(List<ExportTraceServiceRequest> requests) {
    return requests.stream().map(ExportTraceServiceRequest::toByteArray).toList();
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
      Resource resource = resource(service, c);
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

  /** A Java service's OTel resource in a Kubernetes namespace "shop": its pod is instance {@code instance}. */
  public static Resource resource(String service, int instance) {
    return Resource.newBuilder()
        .addAttributes(kv("service.name", service)).addAttributes(kv("service.namespace", "shop"))
        .addAttributes(kv("service.version", "1.4.2")).addAttributes(kv("k8s.namespace.name", "shop"))
        .addAttributes(kv("k8s.deployment.name", service + "-v1"))
        .addAttributes(kv("k8s.pod.name", service + "-v1-6b746f74dc-" + Integer.toString(instance, 36)))
        .addAttributes(kv("host.name", "node-" + (instance % 3))).addAttributes(kv("telemetry.sdk.language", "java"))
        .addAttributes(kv("telemetry.sdk.name", "opentelemetry")).addAttributes(kv("telemetry.sdk.version", "1.68.0"))
        .build();
  }

  public static KeyValue kv(String k, String v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v)).build();
  }

  public static KeyValue kv(String k, long v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setIntValue(v)).build();
  }
}
