package io.switchyard.ingest.receiver;

import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.grpc.stub.StreamObserver;
import io.switchyard.ingest.mapping.AlsMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Envoy's StreamAccessLogs: one mapper stream per call, so the first message's node is stamped on all entries. */
public final class AlsGrpcService extends AccessLogServiceGrpc.AccessLogServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(AlsGrpcService.class);
  private final Pipeline pipeline;

  public AlsGrpcService(Pipeline pipeline) {
    this.pipeline = pipeline;
  }

  @Override
  public StreamObserver<StreamAccessLogsMessage> streamAccessLogs(StreamObserver<StreamAccessLogsResponse> out) {
    AlsMapper.Stream stream = pipeline.newAlsStream();
    return new StreamObserver<>() {
      @Override
      public void onNext(StreamAccessLogsMessage message) {
        pipeline.accessLogs(stream, message);
      }

      @Override
      public void onError(Throwable t) {
        log.debug("ALS stream ended by the client: {}", t.toString());
      }

      @Override
      public void onCompleted() {
        out.onNext(StreamAccessLogsResponse.getDefaultInstance());
        out.onCompleted();
      }
    };
  }
}
