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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
  /** The streams open now, each ended once (by the client, a refusal, or {@link #endStreams}). */
  private final Set<Call> open = ConcurrentHashMap.newKeySet();
  private volatile boolean ending;

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

  /**
   * Ends every open stream with OK, and each stream opened from now on at once: called when the listener stops taking
   * new calls. Envoy keeps its access-log stream open for good, so a stop waited the whole grace for it and then
   * cancelled it with a warning; ended, Envoy opens its next stream to another replica when it next logs. The
   * entries received until then are mapped as any others.
   */
  public void endStreams() {
    ending = true;
    for (Call c : open) {
      c.end(null);
    }
  }

  /** How many streams are open now. */
  public int openStreams() {
    return open.size();
  }

  StreamObserver<Parsed> streamAccessLogs(StreamObserver<StreamAccessLogsResponse> out) {
    Call call = new Call(pipeline.newAlsStream(), out);
    open.add(call);
    if (ending) {
      call.end(null);
    }
    return call;
  }

  /** One stream: the response side is ended once, from gRPC's thread of the call or from {@link #endStreams}. */
  private final class Call implements StreamObserver<Parsed> {
    private final AlsMapper.Stream stream;
    private final StreamObserver<StreamAccessLogsResponse> out;
    private boolean ended;

    Call(AlsMapper.Stream stream, StreamObserver<StreamAccessLogsResponse> out) {
      this.stream = stream;
      this.out = out;
    }

    /** Ends the response side: OK, or {@code error}; false when it had ended already. */
    synchronized boolean end(Status error) {
      if (ended) {
        return false;
      }
      ended = true;
      open.remove(this);
      if (error != null) {
        out.onError(error.asRuntimeException());
      } else {
        out.onNext(StreamAccessLogsResponse.getDefaultInstance());
        out.onCompleted();
      }
      return true;
    }

    @Override
    public void onNext(Parsed parsed) {
      synchronized (this) {
        if (ended) {
          return;
        }
      }
      if (parsed.message() == null) {
        end(Status.INVALID_ARGUMENT.withDescription("message is not a valid StreamAccessLogsMessage: " + parsed.error()));
        return;
      }
      pipeline.accessLogs(stream, parsed.message());
    }

    @Override
    public void onError(Throwable t) {
      synchronized (this) {
        ended = true;
        open.remove(this);
      }
      log.debug("ALS stream ended by the client: {}", t.toString());
    }

    @Override
    public void onCompleted() {
      end(null);
    }
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
