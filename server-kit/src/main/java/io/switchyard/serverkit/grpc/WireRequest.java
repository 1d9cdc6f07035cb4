package io.switchyard.serverkit.grpc;

import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * A request's wire bytes as {@link WireBytes} reads them, or the status it is refused with when they could not be
 * read. gRPC decompresses a message while the marshaller reads it, where anything thrown would reach the client as
 * UNKNOWN ("Application error processing RPC", grpc-java#11246). So a message found over the size limit is refused
 * with RESOURCE_EXHAUSTED and one its coding cannot decode with INTERNAL, the codes grpc-go's servers (the
 * Collector's, Envoy's peers') give, and the handler answers the refusal itself ({@link #refuse}).
 */
public record WireRequest(byte[] bytes, Status refused) {
  public static final MethodDescriptor.Marshaller<WireRequest> MARSHALLER = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(WireRequest value) {
      return WireBytes.MARSHALLER.stream(value.bytes());
    }

    @Override
    public WireRequest parse(InputStream stream) {
      try {
        return new WireRequest(WireBytes.MARSHALLER.parse(stream), null);
      } catch (StatusRuntimeException e) {
        return new WireRequest(null, e.getStatus());
      } catch (UncheckedIOException e) {
        // Only a compressed message's stream can fail: an uncompressed one is read from memory.
        IOException cause = e.getCause();
        String reason = cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
        return new WireRequest(null, Status.INTERNAL.withCause(cause)
            .withDescription("failed to decompress the received message: " + reason));
      }
    }
  };

  /** Answers the call with the refusal and returns true when the request could not be read; false otherwise. */
  public boolean refuse(StreamObserver<?> out) {
    if (refused == null) {
      return false;
    }
    out.onError(refused.asRuntimeException());
    return true;
  }
}
