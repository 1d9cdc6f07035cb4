package io.switchyard.ingest.mapping;

import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.io.IOException;

/**
 * Parses OTLP request bodies as the Collector's receiver reads them: a string field that is not valid UTF-8 does not
 * fail the request. The Collector copies such bytes through unchecked, and Envoy and the C++ SDK (whose protobuf
 * only logs invalid UTF-8 when serializing) or a Collector forwarding what it received do send them; refused, the
 * whole batch was lost, since the client must not retry an {@code INVALID_ARGUMENT} / 400. Here each invalid sequence
 * becomes U+FFFD ({@link InvalidUtf8}), so the records stay valid protobuf for their readers.
 *
 * <p>The generated parser runs first, so a valid request costs what it always did; only a request it refuses is
 * repaired and parsed again. A request that is malformed otherwise still fails with the generated parser's message.
 */
public final class OtlpRequests {
  private OtlpRequests() {}

  public static ExportTraceServiceRequest traces(byte[] body) throws InvalidProtocolBufferException {
    try {
      return ExportTraceServiceRequest.parseFrom(body);
    } catch (InvalidProtocolBufferException e) {
      return ExportTraceServiceRequest.parseFrom(repaired(body, e, ExportTraceServiceRequest.getDescriptor()));
    }
  }

  public static ExportLogsServiceRequest logs(byte[] body) throws InvalidProtocolBufferException {
    try {
      return ExportLogsServiceRequest.parseFrom(body);
    } catch (InvalidProtocolBufferException e) {
      return ExportLogsServiceRequest.parseFrom(repaired(body, e, ExportLogsServiceRequest.getDescriptor()));
    }
  }

  private static byte[] repaired(byte[] body, InvalidProtocolBufferException refusal,
      com.google.protobuf.Descriptors.Descriptor type) throws InvalidProtocolBufferException {
    try {
      return InvalidUtf8.replace(type, body);
    } catch (IOException e) {
      throw refusal;
    }
  }
}
