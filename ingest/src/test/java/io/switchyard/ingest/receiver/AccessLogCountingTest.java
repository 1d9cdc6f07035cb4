package io.switchyard.ingest.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogType;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPRequestProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPResponseProperties;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the pipeline counts for access-log entries it does not publish, or publishes without their trace id. */
class AccessLogCountingTest {
  @TempDir Path dir;
  MockKafkaPipeline kafka;

  @BeforeEach
  void start() throws Exception {
    kafka = MockKafkaPipeline.acknowledgedByTest(dir);
  }

  @AfterEach
  void stop() throws Exception {
    kafka.close();
  }

  static HTTPAccessLogEntry entry(AccessLogType type, String traceparent) {
    return HTTPAccessLogEntry.newBuilder()
        .setCommonProperties(AccessLogCommon.newBuilder().setUpstreamCluster("outbound|9080||reviews.bookinfo.svc.cluster.local")
            .setAccessLogType(type))
        .setRequest(HTTPRequestProperties.newBuilder().putRequestHeaders("traceparent", traceparent))
        .setResponse(HTTPResponseProperties.newBuilder().setResponseCode(UInt32Value.of(200)))
        .build();
  }

  @Test
  void alsSkipsIntermediateEntriesAsIgnoredByTypeAndCountsInvalidTraceIds() {
    StreamAccessLogsMessage message = StreamAccessLogsMessage.newBuilder()
        .setIdentifier(StreamAccessLogsMessage.Identifier.newBuilder().setNode(Node.newBuilder().setId("edge")))
        .setHttpLogs(StreamAccessLogsMessage.HTTPAccessLogEntries.newBuilder()
            .addLogEntry(entry(AccessLogType.DownstreamPeriodic, "00-5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174-01"))
            .addLogEntry(entry(AccessLogType.DownstreamEnd, "00-not-a-trace-id-at-all-not-a-trace-id-at-all-xxxxxx-01")))
        .build();
    kafka.pipeline.accessLogs(kafka.pipeline.newAlsStream(), message);
    kafka.producer.completeNext();

    assertThat(kafka.producer.history()).hasSize(1);
    assertThat(kafka.metrics.value("als", "accepted")).isEqualTo(1);
    assertThat(kafka.metrics.value("als", "ignored")).isEqualTo(1);
    assertThat(kafka.metrics.skippedAccessLogs("als", "DownstreamPeriodic")).isEqualTo(1);
    assertThat(kafka.metrics.droppedTraceIds("als", "invalid")).isEqualTo(1);
  }

  static KeyValue kv(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }

  static LogRecord log(String type, String traceparent) {
    return LogRecord.newBuilder().setTimeUnixNano(1)
        .addAttributes(kv("upstream_cluster", "outbound|9080||reviews.bookinfo.svc.cluster.local"))
        .addAttributes(kv("response_code", "200")).addAttributes(kv("access_log_type", type))
        .addAttributes(kv("traceparent", traceparent)).build();
  }

  @Test
  void otlpLogsSkipIntermediateEntriesAsIgnoredByTypeAndCountInvalidTraceIdsOnceAcknowledged() {
    ExportLogsServiceRequest request = ExportLogsServiceRequest.newBuilder()
        .addResourceLogs(ResourceLogs.newBuilder().addScopeLogs(ScopeLogs.newBuilder()
            .addLogRecords(log("UpstreamPeriodic", "00-5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174-01"))
            .addLogRecords(log("UpstreamEnd", "00-00000000000000000000000000000000-eee19b7ec3c1b174-01"))))
        .build();
    Pipeline.Export export = kafka.pipeline.logs(request, request.getSerializedSize());

    assertThat(export.rejected()).isZero();
    assertThat(kafka.metrics.value("logs", "ignored")).isEqualTo(1);
    assertThat(kafka.metrics.skippedAccessLogs("logs", "UpstreamPeriodic")).isEqualTo(1);
    // Like truncation, counted once Kafka has the record: a refused request comes again.
    assertThat(kafka.metrics.droppedTraceIds("logs", "invalid")).isZero();
    kafka.producer.completeNext();
    assertThat(export.acked()).isCompleted();
    assertThat(kafka.metrics.value("logs", "accepted")).isEqualTo(1);
    assertThat(kafka.metrics.droppedTraceIds("logs", "invalid")).isEqualTo(1);
  }
}
