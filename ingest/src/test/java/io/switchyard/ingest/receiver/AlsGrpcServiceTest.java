package io.switchyard.ingest.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPRequestProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPResponseProperties;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.switchyard.model.v1.AccessLogRecord;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Envoy's StreamAccessLogs as the receiver answers a stream, whatever its messages' bytes. */
class AlsGrpcServiceTest {
  @TempDir Path dir;
  MockKafkaPipeline kafka;
  ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    kafka = MockKafkaPipeline.acknowledging(dir);
    channel = kafka.grpc(new AlsGrpcService(kafka.pipeline));
  }

  @AfterEach
  void stop() throws Exception {
    kafka.close();
  }

  /** One HTTP access-log entry of a request, as Envoy's ALS sends it. */
  static byte[] valid(String requestId) {
    return StreamAccessLogsMessage.newBuilder().setHttpLogs(StreamAccessLogsMessage.HTTPAccessLogEntries.newBuilder()
        .addLogEntry(HTTPAccessLogEntry.newBuilder()
            .setCommonProperties(AccessLogCommon.newBuilder().setUpstreamCluster("outbound|80||shop.default.svc.cluster.local"))
            .setRequest(HTTPRequestProperties.newBuilder().setPath("/cart").setRequestId(requestId))
            .setResponse(HTTPResponseProperties.newBuilder().setResponseCode(UInt32Value.of(200)))))
        .build().toByteArray();
  }

  @Test
  void aMessageThatIsNotProtobufEndsTheStreamWithInvalidArgumentAndKeepsTheEntriesBeforeIt() throws Exception {
    MockKafkaPipeline.RawAlsCall call = MockKafkaPipeline.rawAlsCall(channel, 
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
    StreamObserver<byte[]> stream = call.messages();
    CompletableFuture<Void> answered = call.answered();
    stream.onNext(valid("first"));
    // The identifier (field 1) claims 5 bytes and the message ends after 1.
    stream.onNext(new byte[] {0x0a, 0x05, 0x0a});
    stream.onCompleted();

    Status status = Status.fromThrowable(
        org.assertj.core.api.Assertions.catchThrowableOfType(ExecutionException.class,
            () -> answered.get(10, TimeUnit.SECONDS)).getCause());
    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).startsWith("message is not a valid StreamAccessLogsMessage: While parsing a"
        + " protocol message, the input ended unexpectedly");
    assertThat(kafka.producer.history()).hasSize(1);
    assertThat(AccessLogRecord.parseFrom(kafka.producer.history().get(0).value()).getRequestId()).isEqualTo("first");
  }
}
