package io.switchyard.ingest.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.ingest.IngestMetrics;
import io.switchyard.ingest.kafka.KafkaPublisher;
import io.switchyard.ingest.kafka.PublisherOptions;
import io.switchyard.ingest.mapping.AlsMapper;
import io.switchyard.ingest.mapping.MappingOptions;
import io.switchyard.ingest.mapping.OtlpAccessLogMapper;
import io.switchyard.ingest.mapping.SpanMapper;
import io.switchyard.ingest.spool.Spool;
import io.switchyard.serverkit.metrics.Metrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OTLP: "If the server receives an empty request (a request that does not carry any telemetry data) the server
 * SHOULD respond with success." A request that writes nothing to Kafka is answered OK even while Kafka is away.
 */
class OtlpExportDuringKafkaOutageTest {
  final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
  final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  @TempDir Path dir;
  Spool spool;
  Pipeline pipeline;

  @BeforeEach
  void kafkaGoesAway() throws Exception {
    IngestMetrics metrics = new IngestMetrics(new Metrics(new PrometheusRegistry()));
    KafkaPublisher publisher = new KafkaPublisher(producer,
        new PublisherOptions(1 << 20, Duration.ofMinutes(1), Duration.ofSeconds(1)), scheduler, metrics,
        System::nanoTime);
    spool = Spool.open(dir, 1 << 20, 1 << 20);
    pipeline = new Pipeline(new SpanMapper(MappingOptions.DEFAULTS), new OtlpAccessLogMapper(MappingOptions.DEFAULTS),
        new AlsMapper(MappingOptions.DEFAULTS), publisher, spool, "spans", "access-logs", metrics, () -> 1L);
    var failed = publisher.publish(List.of(new ProducerRecord<>("spans", new byte[1], new byte[1])));
    producer.errorNext(new TimeoutException("expired"));
    assertThat(failed.acked()).isCompletedExceptionally();
    assertThat(publisher.available()).isFalse();
  }

  @AfterEach
  void stop() throws Exception {
    scheduler.shutdownNow();
    spool.close();
  }

  static final class Answer<T> implements StreamObserver<T> {
    final List<T> values = new ArrayList<>();
    Throwable error;
    boolean completed;

    @Override
    public void onNext(T value) {
      values.add(value);
    }

    @Override
    public void onError(Throwable t) {
      error = t;
    }

    @Override
    public void onCompleted() {
      completed = true;
    }
  }

  @Test
  void anEmptyTraceExportIsAnsweredOk() throws Exception {
    Answer<ExportTraceServiceResponse> out = new Answer<>();
    OtlpGrpcServices.exportTraces(pipeline, pipeline.traces(ExportTraceServiceRequest.getDefaultInstance().toByteArray()),
        out);

    assertThat(out.error).isNull();
    assertThat(out.completed).isTrue();
    assertThat(out.values).containsExactly(ExportTraceServiceResponse.getDefaultInstance());
  }

  @Test
  void logsThatAreNoAccessLogsAreAnsweredOk() {
    // A Collector forwarding application logs: every record is ignored, nothing is written.
    LogRecord appLog = LogRecord.newBuilder().setTimeUnixNano(1)
        .setBody(AnyValue.newBuilder().setStringValue("order 42 shipped"))
        .addAttributes(KeyValue.newBuilder().setKey("logger").setValue(AnyValue.newBuilder().setStringValue("orders")))
        .build();
    ExportLogsServiceRequest request = ExportLogsServiceRequest.newBuilder()
        .addResourceLogs(ResourceLogs.newBuilder().addScopeLogs(ScopeLogs.newBuilder().addLogRecords(appLog)))
        .build();
    Answer<ExportLogsServiceResponse> out = new Answer<>();
    OtlpGrpcServices.exportLogs(pipeline, request, request.getSerializedSize(), out);

    assertThat(out.error).isNull();
    assertThat(out.completed).isTrue();
  }
}
