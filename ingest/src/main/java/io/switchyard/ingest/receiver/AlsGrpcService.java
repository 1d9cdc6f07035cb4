package io.switchyard.ingest.receiver;

import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.switchyard.ingest.mapping.AlsMapper;
import io.switchyard.ingest.mapping.InvalidUtf8;
import io.switchyard.serverkit.grpc.WireBytes;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Envoy's StreamAccessLogs: one mapper stream per call, so the first message's node is stamped on all entries.
 *
 * <p>Messages are parsed here rather than by gRPC's protobuf marshaller, which fails the call on a string that is not
 * UTF-8. Envoy sends header values as they came (envoyproxy/envoy#5141: a Latin-1 {@code User-Agent}, path or
 * {@code Referer}) and its protobuf only logs the problem when serializing; refused, the message's entries were lost
 * and the stream reset, its node identifier with it. Such a message is repaired ({@link InvalidUtf8}: each invalid
 * sequence becomes U+FFFD) and mapped as any other. Valid messages are parsed as gRPC's marshaller parses them.
 */
public final class AlsGrpcService implements BindableService {
  private static final Logger log = LoggerFactory.getLogger(AlsGrpcService.class);
  private final Pipeline pipeline;

  public AlsGrpcService(Pipeline pipeline) {
    this.pipeline = pipeline;
  }

  @Override
  public ServerServiceDefinition bindService() {
    MethodDescriptor<StreamAccessLogsMessage, StreamAccessLogsResponse> method = AccessLogServiceGrpc
        .getStreamAccessLogsMethod().toBuilder(MESSAGES, ProtoUtils.marshaller(StreamAccessLogsResponse.getDefaultInstance()))
        .build();
    // The generated descriptor's schema kept, so server reflection still describes the service.
    ServiceDescriptor service = ServiceDescriptor.newBuilder(AccessLogServiceGrpc.SERVICE_NAME)
        .setSchemaDescriptor(AccessLogServiceGrpc.getServiceDescriptor().getSchemaDescriptor())
        .addMethod(method).build();
    return ServerServiceDefinition.builder(service)
        .addMethod(method, ServerCalls.asyncClientStreamingCall(this::streamAccessLogs))
        .build();
  }

  StreamObserver<StreamAccessLogsMessage> streamAccessLogs(StreamObserver<StreamAccessLogsResponse> out) {
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

  /**
   * Reads a message's wire bytes as {@link WireBytes} reads them, parses them, and repairs one that the parser
   * refuses only for invalid UTF-8.
   */
  static final MethodDescriptor.Marshaller<StreamAccessLogsMessage> MESSAGES = new MethodDescriptor.Marshaller<>() {
    private final MethodDescriptor.Marshaller<StreamAccessLogsMessage> writer =
        ProtoUtils.marshaller(StreamAccessLogsMessage.getDefaultInstance());

    @Override
    public InputStream stream(StreamAccessLogsMessage value) {
      return writer.stream(value);
    }

    @Override
    public StreamAccessLogsMessage parse(InputStream stream) {
      byte[] buf;
      try {
        buf = WireBytes.MARSHALLER.parse(stream);
      } catch (UncheckedIOException e) {
        throw Status.INTERNAL.withDescription("Failed to read the message").withCause(e.getCause()).asRuntimeException();
      }
      try {
        return StreamAccessLogsMessage.parseFrom(buf);
      } catch (IOException e) {
        try {
          return StreamAccessLogsMessage.parseFrom(
              InvalidUtf8.replace(StreamAccessLogsMessage.getDescriptor(), buf));
        } catch (IOException | RuntimeException notUtf8Only) {
          throw Status.INTERNAL.withDescription("Invalid protobuf byte sequence").withCause(e).asRuntimeException();
        }
      }
    }
  };
}
