package io.switchyard.ingest.receiver;

import com.google.protobuf.CodedInputStream;
import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.grpc.BindableService;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.switchyard.ingest.mapping.AlsMapper;
import io.switchyard.ingest.mapping.InvalidUtf8;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.WeakReference;
import java.util.Arrays;
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

  /** gRPC's protobuf marshaller's own bound for reusing its per-thread read buffer. */
  private static final int MAX_CACHED_BUFFER = 4 * 1024 * 1024;
  private static final ThreadLocal<WeakReference<byte[]>> BUFFER =
      ThreadLocal.withInitial(() -> new WeakReference<>(new byte[0]));

  /**
   * Reads a message as gRPC's protobuf marshaller does (into a per-thread buffer, parsed from the array), and repairs
   * one that the parser refuses only for invalid UTF-8.
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
      int size;
      try {
        size = stream instanceof KnownLength ? stream.available() : -1;
        if (size >= 0 && size <= MAX_CACHED_BUFFER) {
          buf = BUFFER.get().get();
          if (buf == null || buf.length < size) {
            buf = new byte[size];
            BUFFER.set(new WeakReference<>(buf));
          }
          if (stream.readNBytes(buf, 0, size) < size || stream.read() >= 0) {
            throw new IOException("the message's length is not the one announced");
          }
        } else {
          buf = stream.readAllBytes();
          size = buf.length;
        }
      } catch (IOException e) {
        throw Status.INTERNAL.withDescription("Failed to read the message").withCause(e).asRuntimeException();
      }
      try {
        return StreamAccessLogsMessage.parseFrom(CodedInputStream.newInstance(buf, 0, size));
      } catch (IOException e) {
        try {
          return StreamAccessLogsMessage.parseFrom(
              InvalidUtf8.replace(StreamAccessLogsMessage.getDescriptor(), Arrays.copyOf(buf, size)));
        } catch (IOException | RuntimeException notUtf8Only) {
          throw Status.INTERNAL.withDescription("Invalid protobuf byte sequence").withCause(e).asRuntimeException();
        }
      }
    }
  };
}
