package io.switchyard.xds.server;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A raw ADS client speaking the Envoy protos directly, to drive the protocol step by step. */
final class AdsClient implements AutoCloseable {
  static final String CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
  static final String EDS = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
  static final String LDS = "type.googleapis.com/envoy.config.listener.v3.Listener";
  static final String RDS = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
  private static final Duration WAIT = Duration.ofSeconds(10);

  final BlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
  final BlockingQueue<DeltaDiscoveryResponse> deltaResponses = new LinkedBlockingQueue<>();
  final CompletableFuture<Status> closed = new CompletableFuture<>();
  private final StreamObserver<DiscoveryRequest> sotw;
  private final StreamObserver<DeltaDiscoveryRequest> delta;

  AdsClient(ManagedChannel channel, boolean deltaMode) {
    AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceStub stub = AggregatedDiscoveryServiceGrpc.newStub(channel);
    if (deltaMode) {
      sotw = null;
      delta = stub.deltaAggregatedResources(observer(deltaResponses));
    } else {
      delta = null;
      sotw = stub.streamAggregatedResources(observer(responses));
    }
  }

  private <T> StreamObserver<T> observer(BlockingQueue<T> queue) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        queue.add(value);
      }

      @Override
      public void onError(Throwable t) {
        closed.complete(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        closed.complete(Status.OK);
      }
    };
  }

  static Node node(String cluster) {
    return Node.newBuilder().setId("sidecar~10.0.0.1~it.default~default.svc.cluster.local").setCluster(cluster).build();
  }

  void send(DiscoveryRequest r) {
    sotw.onNext(r);
  }

  void send(DeltaDiscoveryRequest r) {
    delta.onNext(r);
  }

  DiscoveryResponse next() throws InterruptedException {
    DiscoveryResponse r = responses.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    if (r == null) {
      throw new AssertionError("no xDS response within " + WAIT);
    }
    return r;
  }

  DeltaDiscoveryResponse nextDelta() throws InterruptedException {
    DeltaDiscoveryResponse r = deltaResponses.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    if (r == null) {
      throw new AssertionError("no delta xDS response within " + WAIT);
    }
    return r;
  }

  /** ACKs a response: echoes its version and nonce, asking for the same names. */
  static DiscoveryRequest ack(DiscoveryResponse r, Iterable<String> names) {
    return DiscoveryRequest.newBuilder().setTypeUrl(r.getTypeUrl()).setVersionInfo(r.getVersionInfo())
        .setResponseNonce(r.getNonce()).addAllResourceNames(names).build();
  }

  @Override
  public void close() {
    if (sotw != null) {
      sotw.onCompleted();
    }
    if (delta != null) {
      delta.onCompleted();
    }
  }
}
