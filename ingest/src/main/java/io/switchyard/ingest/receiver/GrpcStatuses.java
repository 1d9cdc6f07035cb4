package io.switchyard.ingest.receiver;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.RetryInfo;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.switchyard.ingest.kafka.KafkaPublisher;
import java.time.Duration;

/** gRPC statuses OTLP clients understand as "retry later" (with {@code google.rpc.RetryInfo}). */
final class GrpcStatuses {
  private GrpcStatuses() {}

  static StatusRuntimeException refused(KafkaPublisher.Refusal refusal, Duration retryAfter) {
    Code code = refusal == KafkaPublisher.Refusal.BUDGET ? Code.RESOURCE_EXHAUSTED : Code.UNAVAILABLE;
    String message = refusal == KafkaPublisher.Refusal.BUDGET
        ? "ingest is at its in-flight limit while Kafka catches up; retry later"
        : "Kafka is unavailable; retry later";
    return retry(code, message, retryAfter);
  }

  static final String QUEUE_FULL = "ingest has too many requests waiting for a worker; retry later";

  static StatusRuntimeException queueFull(Duration retryAfter) {
    return retry(Code.RESOURCE_EXHAUSTED, QUEUE_FULL, retryAfter);
  }

  static StatusRuntimeException notAcknowledged(Throwable cause, Duration retryAfter) {
    return retry(Code.UNAVAILABLE, "Kafka did not acknowledge the records: " + rootMessage(cause), retryAfter);
  }

  private static StatusRuntimeException retry(Code code, String message, Duration retryAfter) {
    RetryInfo info = RetryInfo.newBuilder().setRetryDelay(com.google.protobuf.Duration.newBuilder()
        .setSeconds(retryAfter.getSeconds()).setNanos(retryAfter.getNano())).build();
    com.google.rpc.Status status = com.google.rpc.Status.newBuilder().setCode(code.getNumber()).setMessage(message)
        .addDetails(Any.pack(info)).build();
    return StatusProto.toStatusRuntimeException(status);
  }

  static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
  }
}
