package io.switchyard.ingest.receiver;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsPartialSuccess;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.switchyard.ingest.mapping.OtlpRequests;
import io.switchyard.serverkit.grpc.WireRequest;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OTLP/gRPC TraceService and LogsService: answer only once Kafka acknowledged, push back otherwise. Requests are
 * received as bytes and parsed here, so a malformed one is answered INVALID_ARGUMENT naming the problem (gRPC's
 * own parsing would answer INTERNAL).
 */
public final class OtlpGrpcServices {
  private static final Logger log = LoggerFactory.getLogger(OtlpGrpcServices.class);

  private OtlpGrpcServices() {}

  /**
   * The services run their handlers on the transport thread (direct executor) only to admit or refuse: admitted
   * requests are parsed and published on {@code workers}, at most {@code admission}'s bound of them waiting.
   */
  public static ServerServiceDefinition tracesDefinition(Pipeline pipeline, Admission admission, Executor workers) {
    MethodDescriptor<WireRequest, ExportTraceServiceResponse> method = TraceServiceGrpc.getExportMethod()
        .toBuilder(WireRequest.MARSHALLER, ProtoUtils.marshaller(ExportTraceServiceResponse.getDefaultInstance())).build();
    return ServerServiceDefinition.builder(TraceServiceGrpc.SERVICE_NAME)
        .addMethod(method, ServerCalls.asyncUnaryCall((WireRequest request, StreamObserver<ExportTraceServiceResponse> out) ->
            admit(pipeline, admission, workers, Pipeline.SPANS, request, out, body -> {
          Pipeline.Export export;
          try {
            export = pipeline.traces(body);
          } catch (InvalidProtocolBufferException e) {
            out.onError(Status.INVALID_ARGUMENT
                .withDescription("request is not a valid ExportTraceServiceRequest: " + e.getMessage()).asRuntimeException());
            return;
          }
          exportTraces(pipeline, export, out);
        })))
        .build();
  }

  public static ServerServiceDefinition logsDefinition(Pipeline pipeline, Admission admission, Executor workers) {
    MethodDescriptor<WireRequest, ExportLogsServiceResponse> method = LogsServiceGrpc.getExportMethod()
        .toBuilder(WireRequest.MARSHALLER, ProtoUtils.marshaller(ExportLogsServiceResponse.getDefaultInstance())).build();
    return ServerServiceDefinition.builder(LogsServiceGrpc.SERVICE_NAME)
        .addMethod(method, ServerCalls.asyncUnaryCall((WireRequest wire, StreamObserver<ExportLogsServiceResponse> out) ->
            admit(pipeline, admission, workers, Pipeline.LOGS, wire, out, body -> {
          ExportLogsServiceRequest request;
          try {
            request = OtlpRequests.logs(body);
          } catch (InvalidProtocolBufferException e) {
            out.onError(Status.INVALID_ARGUMENT
                .withDescription("request is not a valid ExportLogsServiceRequest: " + e.getMessage()).asRuntimeException());
            return;
          }
          exportLogs(pipeline, request, body.length, out);
        })))
        .build();
  }

  static void admit(Pipeline pipeline, Admission admission, Executor workers, String signal, WireRequest request,
      StreamObserver<?> out, Consumer<byte[]> work) {
    if (request.refuse(out)) {
      return;
    }
    byte[] body = request.bytes();
    admit(pipeline, admission, workers, signal, body, out, () -> work.accept(body));
  }

  static void admit(Pipeline pipeline, Admission admission, Executor workers, String signal, byte[] body,
      StreamObserver<?> out, Runnable work) {
    Runnable unlessCancelled = () -> {
      // A call whose client gave up while it waited is not worth parsing: its answer would be discarded.
      if (out instanceof ServerCallStreamObserver<?> call && call.isCancelled()) {
        return;
      }
      try {
        work.run();
      } catch (RuntimeException e) {
        // A bug, not the request's fault: answer it rather than leave the call open until the client's deadline.
        log.error("{} export failed", signal, e);
        out.onError(Status.INTERNAL.withDescription(signal + " export failed in ingest: " + e).asRuntimeException());
      }
    };
    if (!admission.offer(body.length, workers, unlessCancelled)) {
      pipeline.queueFull(signal);
      out.onError(GrpcStatuses.queueFull(pipeline.publisher().options().retryAfter()));
    }
  }

  static void exportTraces(Pipeline pipeline, Pipeline.Export export, StreamObserver<ExportTraceServiceResponse> out) {
    respond(export, pipeline.publisher().options().retryAfter(), out, () -> {
      ExportTraceServiceResponse.Builder resp = ExportTraceServiceResponse.newBuilder();
      if (export.partial()) {
        resp.setPartialSuccess(ExportTracePartialSuccess.newBuilder()
            .setRejectedSpans(export.rejected()).setErrorMessage(export.error()));
      }
      return resp.build();
    });
  }

  static void exportLogs(Pipeline pipeline, ExportLogsServiceRequest request, long bytes,
      StreamObserver<ExportLogsServiceResponse> out) {
    Pipeline.Export export = pipeline.logs(request, bytes);
    respond(export, pipeline.publisher().options().retryAfter(), out, () -> {
      ExportLogsServiceResponse.Builder resp = ExportLogsServiceResponse.newBuilder();
      if (export.partial()) {
        resp.setPartialSuccess(ExportLogsPartialSuccess.newBuilder()
            .setRejectedLogRecords(export.rejected()).setErrorMessage(export.error()));
      }
      return resp.build();
    });
  }

  /**
   * Answers an export the OTLP way: refused at once with retry info when the pipeline would not take it,
   * and otherwise only after Kafka acknowledged its records (or refused when Kafka did not).
   */
  private static <R> void respond(Pipeline.Export export, Duration retryAfter, StreamObserver<R> out,
      java.util.function.Supplier<R> response) {
    if (export.refusal() != null) {
      out.onError(GrpcStatuses.refused(export.refusal(), retryAfter));
      return;
    }
    export.acked().whenComplete((v, e) -> {
      if (e != null) {
        out.onError(GrpcStatuses.notAcknowledged(e, retryAfter));
        return;
      }
      out.onNext(response.get());
      out.onCompleted();
    });
  }
}
