package io.switchyard.ingest.mapping;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
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
 *
 * <p>A resource's deprecated {@code instrumentation_library_spans} / {@code _logs} (field 1000 of OTLP 0.15 to 0.18,
 * the same message as its scope spans / logs) is migrated as the Collector's pdata does ({@code MigrateTraces},
 * {@code MigrateLogs}): taken as the scope spans / logs of a resource that has none, else dropped. Without that, a
 * client still sending it had its whole request answered 200 and nothing published.
 */
public final class OtlpRequests {
  private OtlpRequests() {}

  /** The field number of the deprecated {@code instrumentation_library_spans} and {@code _logs} of a resource. */
  public static final int DEPRECATED_SCOPES = 1000;

  public static ExportTraceServiceRequest traces(byte[] body) throws InvalidProtocolBufferException {
    ExportTraceServiceRequest request;
    try {
      request = ExportTraceServiceRequest.parseFrom(body);
    } catch (InvalidProtocolBufferException e) {
      request = ExportTraceServiceRequest.parseFrom(repaired(body, e, ExportTraceServiceRequest.getDescriptor()));
    }
    return migrated(request);
  }

  public static ExportLogsServiceRequest logs(byte[] body) throws InvalidProtocolBufferException {
    ExportLogsServiceRequest request;
    try {
      request = ExportLogsServiceRequest.parseFrom(body);
    } catch (InvalidProtocolBufferException e) {
      request = ExportLogsServiceRequest.parseFrom(repaired(body, e, ExportLogsServiceRequest.getDescriptor()));
    }
    return migrated(request);
  }

  private static ExportTraceServiceRequest migrated(ExportTraceServiceRequest request)
      throws InvalidProtocolBufferException {
    if (request.getResourceSpansList().stream().noneMatch(r -> r.getUnknownFields().hasField(DEPRECATED_SCOPES))) {
      return request;
    }
    ExportTraceServiceRequest.Builder b = request.toBuilder();
    for (ResourceSpans.Builder r : b.getResourceSpansBuilderList()) {
      UnknownFieldSet unknown = r.getUnknownFields();
      if (!unknown.hasField(DEPRECATED_SCOPES)) {
        continue;
      }
      boolean take = r.getScopeSpansCount() == 0;
      for (ByteString scope : unknown.getField(DEPRECATED_SCOPES).getLengthDelimitedList()) {
        // Parsed also when dropped: the Collector refuses a request whose field 1000 is not a ScopeSpans.
        ScopeSpans parsed = scopeSpans(scope);
        if (take) {
          r.addScopeSpans(parsed);
        }
      }
      r.setUnknownFields(UnknownFieldSet.newBuilder(unknown).clearField(DEPRECATED_SCOPES).build());
    }
    return b.build();
  }

  private static ExportLogsServiceRequest migrated(ExportLogsServiceRequest request)
      throws InvalidProtocolBufferException {
    if (request.getResourceLogsList().stream().noneMatch(r -> r.getUnknownFields().hasField(DEPRECATED_SCOPES))) {
      return request;
    }
    ExportLogsServiceRequest.Builder b = request.toBuilder();
    for (ResourceLogs.Builder r : b.getResourceLogsBuilderList()) {
      UnknownFieldSet unknown = r.getUnknownFields();
      if (!unknown.hasField(DEPRECATED_SCOPES)) {
        continue;
      }
      boolean take = r.getScopeLogsCount() == 0;
      for (ByteString scope : unknown.getField(DEPRECATED_SCOPES).getLengthDelimitedList()) {
        ScopeLogs parsed = scopeLogs(scope);
        if (take) {
          r.addScopeLogs(parsed);
        }
      }
      r.setUnknownFields(UnknownFieldSet.newBuilder(unknown).clearField(DEPRECATED_SCOPES).build());
    }
    return b.build();
  }

  private static ScopeSpans scopeSpans(ByteString bytes) throws InvalidProtocolBufferException {
    try {
      return ScopeSpans.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      return ScopeSpans.parseFrom(repaired(bytes.toByteArray(), e, ScopeSpans.getDescriptor()));
    }
  }

  private static ScopeLogs scopeLogs(ByteString bytes) throws InvalidProtocolBufferException {
    try {
      return ScopeLogs.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      return ScopeLogs.parseFrom(repaired(bytes.toByteArray(), e, ScopeLogs.getDescriptor()));
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
