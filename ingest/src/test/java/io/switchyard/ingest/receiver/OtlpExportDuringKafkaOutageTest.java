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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OTLP: "If the server receives an empty request (a request that does not carry any telemetry data) the server
 * SHOULD respond with success." A request that writes nothing to Kafka is answered OK even while Kafka is away.
 */
class OtlpExportDuringKafkaOutageTest {
  @TempDir Path dir;
  MockKafkaPipeline kafka;

  @BeforeEach
  void kafkaGoesAway() throws Exception {
    kafka = MockKafkaPipeline.acknowledgedByTest(dir);
    var failed = kafka.publisher.publish(List.of(new ProducerRecord<>("spans", new byte[1], new byte[1])));
    kafka.producer.errorNext(new TimeoutException("expired"));
    assertThat(failed.acked()).isCompletedExceptionally();
    assertThat(kafka.publisher.available()).isFalse();
  }

  @AfterEach
  void stop() throws Exception {
    kafka.close();
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
    OtlpGrpcServices.exportTraces(kafka.pipeline,
        kafka.pipeline.traces(ExportTraceServiceRequest.getDefaultInstance().toByteArray()), out);

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
    OtlpGrpcServices.exportLogs(kafka.pipeline, request, request.getSerializedSize(), out);

    assertThat(out.error).isNull();
    assertThat(out.completed).isTrue();
  }
}
