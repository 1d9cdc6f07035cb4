package io.switchyard.ingest.receiver;

import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsPartialSuccess;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import java.time.Duration;

/** OTLP/gRPC TraceService and LogsService: answer only once Kafka acknowledged, push back otherwise. */
public final class OtlpGrpcServices {
  private OtlpGrpcServices() {}

  public static TraceServiceGrpc.TraceServiceImplBase traces(Pipeline pipeline) {
    Duration retryAfter = pipeline.publisher().options().retryAfter();
    return new TraceServiceGrpc.TraceServiceImplBase() {
      @Override
      public void export(ExportTraceServiceRequest request, StreamObserver<ExportTraceServiceResponse> out) {
        Pipeline.Export export = pipeline.traces(request, request.getSerializedSize());
        if (export.refusal() != null) {
          out.onError(GrpcStatuses.refused(export.refusal(), retryAfter));
          return;
        }
        export.acked().whenComplete((v, e) -> {
          if (e != null) {
            out.onError(GrpcStatuses.notAcknowledged(e, retryAfter));
            return;
          }
          ExportTraceServiceResponse.Builder resp = ExportTraceServiceResponse.newBuilder();
          if (export.rejected() > 0) {
            resp.setPartialSuccess(ExportTracePartialSuccess.newBuilder()
                .setRejectedSpans(export.rejected()).setErrorMessage(export.error()));
          }
          out.onNext(resp.build());
          out.onCompleted();
        });
      }
    };
  }

  public static LogsServiceGrpc.LogsServiceImplBase logs(Pipeline pipeline) {
    Duration retryAfter = pipeline.publisher().options().retryAfter();
    return new LogsServiceGrpc.LogsServiceImplBase() {
      @Override
      public void export(ExportLogsServiceRequest request, StreamObserver<ExportLogsServiceResponse> out) {
        Pipeline.Export export = pipeline.logs(request, request.getSerializedSize());
        if (export.refusal() != null) {
          out.onError(GrpcStatuses.refused(export.refusal(), retryAfter));
          return;
        }
        export.acked().whenComplete((v, e) -> {
          if (e != null) {
            out.onError(GrpcStatuses.notAcknowledged(e, retryAfter));
            return;
          }
          ExportLogsServiceResponse.Builder resp = ExportLogsServiceResponse.newBuilder();
          if (export.rejected() > 0) {
            resp.setPartialSuccess(ExportLogsPartialSuccess.newBuilder()
                .setRejectedLogRecords(export.rejected()).setErrorMessage(export.error()));
          }
          out.onNext(resp.build());
          out.onCompleted();
        });
      }
    };
  }
}
