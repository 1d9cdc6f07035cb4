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
 *
 * <p>A message that is not a {@code StreamAccessLogsMessage} at all ends the stream with {@code INVALID_ARGUMENT} and
 * the parser's message; the entries of the messages before it are kept. Thrown from the marshaller, the failure
 * reached the client as {@code UNKNOWN: Application error processing RPC} (gRPC's answer to an exception).
 */
public final class AlsGrpcService implements BindableService {
  private static final Logger log = LoggerFactory.getLogger(AlsGrpcService.class);
  private final Pipeline pipeline;

  public AlsGrpcService(Pipeline pipeline) {
    this.pipeline = pipeline;
  }

  @Override
  public ServerServiceDefinition bindService() {
    MethodDescriptor<Parsed, StreamAccessLogsResponse> method = AccessLogServiceGrpc
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

  StreamObserver<Parsed> streamAccessLogs(StreamObserver<StreamAccessLogsResponse> out) {
    AlsMapper.Stream stream = pipeline.newAlsStream();
    return new StreamObserver<>() {
      private boolean failed;

      @Override
      public void onNext(Parsed parsed) {
        if (failed) {
          return;
        }
        if (parsed.message() == null) {
          failed = true;
          out.onError(Status.INVALID_ARGUMENT.withDescription("message is not a valid StreamAccessLogsMessage: "
              + parsed.error()).asRuntimeException());
          return;
        }
        pipeline.accessLogs(stream, parsed.message());
      }

      @Override
      public void onError(Throwable t) {
        log.debug("ALS stream ended by the client: {}", t.toString());
      }

      @Override
      public void onCompleted() {
        if (failed) {
          return;
        }
        out.onNext(StreamAccessLogsResponse.getDefaultInstance());
        out.onCompleted();
      }
    };
  }

  /** A message as read off the stream, or (message null) why its bytes are none. */
  record Parsed(StreamAccessLogsMessage message, String error) {}

  /**
   * Reads a message's wire bytes as {@link WireBytes} reads them, parses them, and repairs one that the parser
   * refuses only for invalid UTF-8. Bytes that are no message are handed on as such, for the call to refuse.
   */
  static final MethodDescriptor.Marshaller<Parsed> MESSAGES = new MethodDescriptor.Marshaller<>() {
    private final MethodDescriptor.Marshaller<StreamAccessLogsMessage> writer =
        ProtoUtils.marshaller(StreamAccessLogsMessage.getDefaultInstance());

    @Override
    public InputStream stream(Parsed value) {
      return writer.stream(value.message());
    }

    @Override
    public Parsed parse(InputStream stream) {
      byte[] buf;
      try {
        buf = WireBytes.MARSHALLER.parse(stream);
      } catch (UncheckedIOException e) {
        throw Status.INTERNAL.withDescription("Failed to read the message").withCause(e.getCause()).asRuntimeException();
      }
      try {
        return new Parsed(StreamAccessLogsMessage.parseFrom(buf), null);
      } catch (IOException e) {
        try {
          return new Parsed(StreamAccessLogsMessage.parseFrom(
              InvalidUtf8.replace(StreamAccessLogsMessage.getDescriptor(), buf)), null);
        } catch (IOException | RuntimeException notUtf8Only) {
          return new Parsed(null, e.getMessage());
        }
      }
    }
  };
}
