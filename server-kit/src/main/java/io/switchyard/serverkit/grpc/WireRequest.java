package io.switchyard.serverkit.grpc;

import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.InputStream;

/**
 * A request's wire bytes as {@link WireBytes} reads them, or the status it is refused with when they could not be
 * read: a compressed message found over the size limit while gRPC decompresses it, inside the marshaller, where a
 * thrown status would reach the client as UNKNOWN ("Application error processing RPC", grpc-java#11246) instead of
 * RESOURCE_EXHAUSTED. The handler answers the refusal itself ({@link #refuse}).
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
        if (e.getStatus().getCode() != Status.Code.RESOURCE_EXHAUSTED) {
          throw e;
        }
        return new WireRequest(null, e.getStatus());
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
