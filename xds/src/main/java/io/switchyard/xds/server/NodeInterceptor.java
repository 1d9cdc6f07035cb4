package io.switchyard.xds.server;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.switchyard.serverkit.tls.PeerIdentity;
import io.switchyard.xds.mesh.Mesh;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Per stream: remembers the node of the first request and puts it on later requests that omit it (Envoy's
 * {@code set_node_on_first_message_only}), because java-control-plane groups every request by its own node and
 * would file node-less requests under an empty group. With mTLS, the first node must also match the client
 * certificate: the node group's workload identity ({@code spiffe://TRUST_DOMAIN/ns/NS/sa/SA}) must be among the
 * certificate's URI SANs, so one proxy cannot read another group's config.
 */
final class NodeInterceptor implements ServerInterceptor {
  private final Supplier<Mesh> mesh;
  private final boolean requireIdentity;
  private final XdsMetrics metrics;

  NodeInterceptor(Supplier<Mesh> mesh, boolean requireIdentity, XdsMetrics metrics) {
    this.mesh = mesh;
    this.requireIdentity = requireIdentity;
    this.metrics = metrics;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    // java-control-plane opened the stream in startCall (switchyard_xds_streams counts it) and hears of its end only
    // through the listener. A refused stream is closed here, so the listener gets a cancel to release the stream, and
    // java-control-plane's own close of the call, which that cancel makes, must not close it a second time.
    AtomicBoolean refused = new AtomicBoolean();
    ServerCall<ReqT, RespT> guarded = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        if (!refused.get()) {
          super.close(status, trailers);
        }
      }
    };
    ServerCall.Listener<ReqT> delegate = next.startCall(guarded, headers);
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
      private Node node;
      private boolean closed;

      // After a refusal java-control-plane has had its one end of the stream; gRPC's own end must not count twice.
      @Override
      public void onHalfClose() {
        if (!closed) {
          super.onHalfClose();
        }
      }

      @Override
      public void onCancel() {
        if (!closed) {
          super.onCancel();
        }
      }

      @Override
      public void onComplete() {
        if (!closed) {
          super.onComplete();
        }
      }

      @Override
      public void onMessage(ReqT message) {
        if (closed) {
          return;
        }
        Object m = message;
        if (m instanceof DiscoveryRequest r) {
          m = r.hasNode() ? r : r.toBuilder().setNode(nodeOr(r.getNode())).build();
          if (node == null && !admit(((DiscoveryRequest) m).getNode())) {
            return;
          }
          node = ((DiscoveryRequest) m).getNode();
        } else if (m instanceof DeltaDiscoveryRequest r) {
          m = r.hasNode() ? r : r.toBuilder().setNode(nodeOr(r.getNode())).build();
          if (node == null && !admit(((DeltaDiscoveryRequest) m).getNode())) {
            return;
          }
          node = ((DeltaDiscoveryRequest) m).getNode();
        }
        @SuppressWarnings("unchecked")
        ReqT forwarded = (ReqT) m;
        super.onMessage(forwarded);
      }

      private Node nodeOr(Node fallback) {
        return node != null ? node : fallback;
      }

      private boolean admit(Node first) {
        Optional<String> denial = check(first, requireIdentity ? PeerIdentity.subjectAltNames(call) : List.of());
        if (denial.isEmpty()) {
          return true;
        }
        closed = true;
        refused.set(true);
        call.close(Status.PERMISSION_DENIED.withDescription(denial.get()), new Metadata());
        delegate().onCancel();
        return false;
      }
    };
  }

  /** Why a stream with this first node must be refused, if it must. */
  Optional<String> check(Node node, List<String> peerSans) {
    if (node.getCluster().isEmpty()) {
      metrics.deniedStreams.labelValues("no_node_cluster").inc();
      return Optional.of("the first request of a stream must carry node.cluster (the node group)");
    }
    if (!requireIdentity) {
      return Optional.empty();
    }
    Mesh m = mesh.get();
    Optional<Mesh.Workload> workload = m.workloadForNodeGroup(node.getCluster());
    if (workload.isEmpty()) {
      metrics.deniedStreams.labelValues("unknown_node_group").inc();
      return Optional.of("node group '" + node.getCluster() + "' is not declared in the mesh file");
    }
    Mesh.Workload w = workload.get();
    String expected = "spiffe://" + m.trustDomain() + "/ns/" + w.namespace() + "/sa/" + w.serviceAccount();
    if (!peerSans.contains(expected)) {
      metrics.deniedStreams.labelValues("identity_mismatch").inc();
      return Optional.of("node group '" + node.getCluster() + "' requires a certificate for " + expected
          + ", the client presented " + peerSans);
    }
    return Optional.empty();
  }
}
