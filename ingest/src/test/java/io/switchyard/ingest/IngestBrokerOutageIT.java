package io.switchyard.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.ingest.kafka.PublisherOptions;
import io.switchyard.ingest.mapping.Hex;
import io.switchyard.kafkaembedded.EmbeddedKafka;
import io.switchyard.model.Topics;
import io.switchyard.model.v1.AccessLogRecord;
import io.switchyard.model.v1.SpanRecord;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.serverkit.metrics.Metrics;
import io.switchyard.testing.FreePorts;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kafka goes away mid-stream: OTLP is refused (never acknowledged and lost), ALS is spooled and replayed. */
class IngestBrokerOutageIT {
  @TempDir Path dir;

  final Map<String, SpanRecord> ackedSpans = new HashMap<>();
  int refused;
  int otlpSent;

  static IngestConfig config(String bootstrap, Path data, long spoolBytes) {
    return IngestConfig.defaults(bootstrap, data).withHost("127.0.0.1").withPorts(0, 0, 0)
        .withFlowControl(new PublisherOptions(8L << 20, Duration.ofSeconds(2), Duration.ofMillis(200)), spoolBytes)
        .withProducerOverrides(Map.of("delivery.timeout.ms", 4000, "request.timeout.ms", 1500,
            "max.block.ms", 500));
  }

  static KeyValue kv(String k, String v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v)).build();
  }

  /** One request with one span whose ids encode {@code i}. */
  static ExportTraceServiceRequest request(int i) {
    byte[] trace = ByteBuffer.allocate(16).putLong(0x1234L).putLong(i + 1).array();
    byte[] span = ByteBuffer.allocate(8).putLong(i + 1).array();
    return ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
        .setResource(Resource.newBuilder().addAttributes(kv("service.name", "svc")))
        .addScopeSpans(ScopeSpans.newBuilder().addSpans(Span.newBuilder().setTraceId(ByteString.copyFrom(trace))
            .setSpanId(ByteString.copyFrom(span)).setName("op-" + i).setKind(Span.SpanKind.SPAN_KIND_SERVER)
            .setStartTimeUnixNano(1_000_000_000L + i).setEndTimeUnixNano(2_000_000_000L + i))))
        .build();
  }

  void export(TraceServiceGrpc.TraceServiceBlockingStub stub) {
    int i = otlpSent++;
    ExportTraceServiceRequest req = request(i);
    try {
      stub.withDeadlineAfter(10, TimeUnit.SECONDS).export(req);
      Span s = req.getResourceSpans(0).getScopeSpans(0).getSpans(0);
      ackedSpans.put(Hex.encode(s.getSpanId()), SpanRecord.newBuilder().setTraceId(s.getTraceId())
          .setSpanId(s.getSpanId()).setName(s.getName()).setServiceName("svc").build());
    } catch (StatusRuntimeException e) {
      assertThat(e.getStatus().getCode()).isIn(Status.Code.UNAVAILABLE, Status.Code.RESOURCE_EXHAUSTED);
      com.google.rpc.Status detail = StatusProto.fromThrowable(e);
      assertThat(detail).isNotNull();
      assertThat(detail.getDetailsList()).anyMatch(a -> a.is(com.google.rpc.RetryInfo.class));
      refused++;
    }
  }

  static StreamObserver<StreamAccessLogsMessage> alsStream(ManagedChannel channel, CountDownLatch done) {
    return AccessLogServiceGrpc.newStub(channel).streamAccessLogs(new StreamObserver<StreamAccessLogsResponse>() {
      @Override
      public void onNext(StreamAccessLogsResponse value) {}

      @Override
      public void onError(Throwable t) {
        done.countDown();
      }

      @Override
      public void onCompleted() {
        done.countDown();
      }
    });
  }

  static EmbeddedKafka broker(Path dir, int port, int controllerPort) {
    return EmbeddedKafka.builder().dataDir(dir).port(port).controllerPort(controllerPort).build().start();
  }

  @Test
  void otlpIsRefusedNotLostAndAlsIsSpooledAndReplayedInOrderAcrossABrokerRestart() throws Exception {
    int port = FreePorts.next();
    int controllerPort = FreePorts.next();
    Path kafkaDir = dir.resolve("kafka");
    EmbeddedKafka broker = broker(kafkaDir, port, controllerPort);
    broker.createTopics(List.of(Topics.SPANS, Topics.ACCESS_LOGS));
    Readiness readiness = new Readiness();
    IngestServer server = new IngestServer(config(broker.bootstrapServers(), dir.resolve("data"), 64L << 20),
        new Metrics(new PrometheusRegistry()), readiness).start();
    ManagedChannel otlp = ManagedChannelBuilder.forAddress("127.0.0.1", server.otlpGrpcPort()).usePlaintext().build();
    ManagedChannel alsChannel = ManagedChannelBuilder.forAddress("127.0.0.1", server.alsPort()).usePlaintext().build();
    List<String> alsSent = new ArrayList<>();
    try {
      await().atMost(Duration.ofSeconds(30)).until(readiness::isReady);
      var stub = TraceServiceGrpc.newBlockingStub(otlp);
      CountDownLatch alsDone = new CountDownLatch(1);
      StreamObserver<StreamAccessLogsMessage> als = alsStream(alsChannel, alsDone);
      for (int i = 0; i < 5; i++) {
        export(stub);
        String id = "als-" + alsSent.size();
        als.onNext(IngestServerIT.message(alsSent.isEmpty() ? IngestServerIT.node() : null, IngestServerIT.entry(id)));
        alsSent.add(id);
      }
      assertThat(refused).isZero();

      broker.close();
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
        export(stub);
        String id = "als-" + alsSent.size();
        als.onNext(IngestServerIT.message(null, IngestServerIT.entry(id)));
        alsSent.add(id);
        return refused >= 3 && server.metrics().value("als", "spooled") >= 3;
      });
      assertThat(server.spooledBytes()).isPositive();
      // Not ready while Kafka is gone, with no traffic needed to find out it is back.
      await().atMost(Duration.ofSeconds(30)).until(() -> !readiness.isReady());
      assertThat(readiness.snapshot().get("ingest")).contains("127.0.0.1:" + port).contains("does not answer");

      broker = broker(kafkaDir, port, controllerPort);
      await().atMost(Duration.ofSeconds(60)).until(readiness::isReady);
      int refusedBefore = refused;
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
        int before = ackedSpans.size();
        export(stub);
        return ackedSpans.size() > before;
      });
      for (int i = 0; i < 3; i++) {
        String id = "als-" + alsSent.size();
        als.onNext(IngestServerIT.message(null, IngestServerIT.entry(id)));
        alsSent.add(id);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> server.spooledBytes() == 0);
      als.onCompleted();
      assertThat(alsDone.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(refused).isGreaterThanOrEqualTo(refusedBefore);
      assertThat(server.metrics().value("als", "dropped")).isZero();

      // Every acknowledged span is in Kafka, once, exactly as sent.
      Map<String, List<SpanRecord>> spans = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> r : consumeUntil(broker.bootstrapServers(), Topics.SPANS.name(),
          recs -> recs.stream().map(IngestBrokerOutageIT::spanId).collect(java.util.stream.Collectors.toSet())
              .containsAll(ackedSpans.keySet()))) {
        SpanRecord s = SpanRecord.parseFrom(r.value());
        assertThat(new String(r.key())).isEqualTo(Hex.encode(s.getTraceId()));
        spans.computeIfAbsent(Hex.encode(s.getSpanId()), k -> new ArrayList<>()).add(s);
      }
      assertThat(ackedSpans).isNotEmpty();
      for (var e : ackedSpans.entrySet()) {
        assertThat(spans.get(e.getKey())).as("acknowledged span %s", e.getKey()).hasSize(1);
        SpanRecord got = spans.get(e.getKey()).get(0);
        assertThat(got.toBuilder().clearReceivedUnixNano().clearKind().clearStartTimeUnixNano().clearEndTimeUnixNano()
            .clearSchemaVersion().clearSamplingProbability().clearRpcGrpcStatusCode().build()).isEqualTo(e.getValue());
      }

      // Every ALS entry sent (directly or through the spool) is in Kafka with the stream's node stamped on it.
      List<ConsumerRecord<byte[], byte[]>> logs = consumeUntil(broker.bootstrapServers(), Topics.ACCESS_LOGS.name(),
          recs -> recs.stream().map(IngestBrokerOutageIT::requestId).collect(java.util.stream.Collectors.toSet())
              .containsAll(alsSent));
      Set<String> distinct = new HashSet<>();
      List<String> order = new ArrayList<>();
      for (ConsumerRecord<byte[], byte[]> r : logs) {
        AccessLogRecord a = AccessLogRecord.parseFrom(r.value());
        assertThat(a.getSourceWorkload()).isEqualTo("productpage-v1");
        assertThat(a.getNodeId()).startsWith("sidecar~10.44.0.12~");
        assertThat(a.getDestinationService()).isEqualTo("reviews.bookinfo.svc.cluster.local");
        if (distinct.add(a.getRequestId())) {
          order.add(a.getRequestId());
        }
      }
      assertThat(distinct).containsExactlyInAnyOrderElementsOf(alsSent);
      assertThat(server.metrics().value("als", "replayed")).isPositive();
      // One key = one partition: first deliveries keep the order in which entries were sent.
      assertThat(order).isEqualTo(alsSent);
    } finally {
      otlp.shutdownNow();
      alsChannel.shutdownNow();
      server.close();
      broker.close();
    }
  }

  @Test
  void fullSpoolDropsAndCountsWithoutBlockingTheStream() throws Exception {
    int deadPort = FreePorts.next();
    Readiness readiness = new Readiness();
    IngestServer server = new IngestServer(config("127.0.0.1:" + deadPort, dir.resolve("data2"), 1L << 20),
        new Metrics(new PrometheusRegistry()), readiness).start();
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.alsPort()).usePlaintext().build();
    try {
      CountDownLatch done = new CountDownLatch(1);
      StreamObserver<StreamAccessLogsMessage> als = alsStream(channel, done);
      int entries = 0;
      for (int m = 0; m < 40; m++) {
        var batch = new io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry[100];
        for (int i = 0; i < batch.length; i++) {
          batch[i] = IngestServerIT.entry("x".repeat(300) + entries++);
        }
        als.onNext(IngestServerIT.message(m == 0 ? IngestServerIT.node() : null, batch));
      }
      als.onCompleted();
      assertThat(done.await(20, TimeUnit.SECONDS)).as("the stream is never blocked").isTrue();
      int total = entries;
      await().atMost(Duration.ofSeconds(20)).until(() ->
          server.metrics().value("als", "spooled") + server.metrics().value("als", "dropped") == total);
      assertThat(server.metrics().value("als", "dropped")).isPositive();
      // A --kafka where nothing answers is never ready, and says which address it waits for.
      await().atMost(Duration.ofSeconds(30)).until(() -> readiness.snapshot().get("ingest").contains("does not answer"));
      assertThat(readiness.isReady()).isFalse();
      assertThat(readiness.snapshot().get("ingest")).contains("127.0.0.1:" + deadPort);
      assertThat(server.metrics().value("als", "spooled")).isPositive();
      assertThat(server.spooledBytes()).isLessThanOrEqualTo(1L << 20);
    } finally {
      channel.shutdownNow();
      server.close();
    }
  }

  static String spanId(ConsumerRecord<byte[], byte[]> r) {
    try {
      return Hex.encode(SpanRecord.parseFrom(r.value()).getSpanId());
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  static String requestId(ConsumerRecord<byte[], byte[]> r) {
    try {
      return AccessLogRecord.parseFrom(r.value()).getRequestId();
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  static List<ConsumerRecord<byte[], byte[]>> consumeUntil(String bootstrap, String topic,
      java.util.function.Predicate<List<ConsumerRecord<byte[], byte[]>>> complete) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      var partitions = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(i -> new org.apache.kafka.common.TopicPartition(topic, i.partition())).toList();
      c.assign(partitions);
      c.seekToBeginning(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!complete.test(out) && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
      // Records produced before the check completed may still be arriving: take what is there.
      c.poll(Duration.ofMillis(500)).forEach(out::add);
    }
    return out;
  }
}
