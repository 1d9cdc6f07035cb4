package io.switchyard.xds.server;

import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps delta ACKs that java-control-plane 1.0.49 cannot handle from reaching it. Its delta stream observer looks an
 * ACK's nonce up among the responses not yet answered and dereferences the result unchecked: an ACK whose nonce was
 * already answered (Envoy can ACK the same response twice, e.g. around a re-subscription) throws a
 * NullPointerException, and gRPC closes the stream.
 *
 * <p>Per stream, this remembers the nonces of the delta responses sent and not yet answered, exactly the set the
 * library holds (it stores a response before sending it and forgets it on the first request naming its nonce). An ACK
 * naming any other nonce carries no acknowledgement the library can apply: one without subscription changes is
 * dropped; one with changes is passed on without its nonce, so the changes still count (the protocol says a stale
 * nonce must not stop a subscription change). NACKs always pass: the library tolerates unknown nonces there.
 */
final class DeltaAckFilter implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(DeltaAckFilter.class);

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    // nonce -> type URL of the response; nonces are unique per stream across types.
    Map<String, String> unanswered = new ConcurrentHashMap<>();
    ServerCall<ReqT, RespT> recording = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void sendMessage(RespT message) {
        if (message instanceof DeltaDiscoveryResponse r) {
          // Before sending: the client cannot ACK a nonce before it has it.
          unanswered.put(r.getNonce(), r.getTypeUrl());
        }
        super.sendMessage(message);
      }
    };
    ServerCall.Listener<ReqT> delegate = next.startCall(recording, headers);
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
      @Override
      public void onMessage(ReqT message) {
        if (message instanceof DeltaDiscoveryRequest r && !r.getResponseNonce().isEmpty()) {
          DeltaDiscoveryRequest passed = filter(r, unanswered);
          if (passed == null) {
            // The stub asks gRPC for the next message only after handling one; a dropped one must ask in its place,
            // or the stream would never deliver another request.
            call.request(1);
            return;
          }
          @SuppressWarnings("unchecked")
          ReqT forwarded = (ReqT) passed;
          message = forwarded;
        }
        super.onMessage(message);
      }
    };
  }

  /** The request to pass on for one naming a nonce, or null to drop it. */
  static DeltaDiscoveryRequest filter(DeltaDiscoveryRequest r, Map<String, String> unanswered) {
    String nonce = r.getResponseNonce();
    String sentType = unanswered.get(nonce);
    // The library keys the responses of an ADS stream by type: an answer under another type is unknown to it too.
    boolean known = sentType != null && (r.getTypeUrl().isEmpty() || r.getTypeUrl().equals(sentType));
    if (known) {
      unanswered.remove(nonce);
      return r;
    }
    if (r.hasErrorDetail()) {
      return r;
    }
    if (r.getResourceNamesSubscribeCount() == 0 && r.getResourceNamesUnsubscribeCount() == 0) {
      log.debug("dropped a delta ACK of {} for nonce {}, which was already answered or never sent", r.getTypeUrl(),
          nonce);
      return null;
    }
    return r.toBuilder().clearResponseNonce().build();
  }
}
