package io.switchyard.bench.xds;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.metrics.Metrics;
import io.switchyard.xds.server.XdsServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Load driver: time from a mesh-file change (reloadNow) until every connected ADS stream has received the new
 * CDS version. Streams subscribe to CDS (wildcard, like Envoy) and ACK every response. The update adds one
 * service, so every stream gets all clusters again (SotW). Baseline in the same run: the same push to 1 stream.
 *
 * <p>Args: {@code [streams=500] [services=1000] [rounds=5] [channels=10]}.
 */
public final class AdsPushBench {
  private static final String CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";

  public static void main(String[] args) throws Exception {
    int streams = args.length > 0 ? Integer.parseInt(args[0]) : 500;
    int services = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    int channels = args.length > 3 ? Integer.parseInt(args[3]) : 10;
    double baseline = run(1, services, rounds, 1);
    double loaded = run(streams, services, rounds, channels);
    System.out.printf("RESULT services=%d push to 1 stream: median %.1f ms; to %d streams: median %.1f ms; ratio %.1fx"
        + " (%.2f ms per stream)%n", services, baseline, streams, loaded, loaded / baseline, loaded / streams);
  }

  /** Returns the median push time in milliseconds over {@code rounds} updates. */
  static double run(int streams, int services, int rounds, int channelCount) throws Exception {
    Path dir = Files.createTempDirectory("xds-bench");
    Path meshFile = dir.resolve("mesh.yaml");
    Files.writeString(meshFile, BenchMeshes.mesh(services, 0));
    try (XdsServer server = XdsServer.builder(meshFile, new Metrics(new PrometheusRegistry()))
        .port(0).host("127.0.0.1").pollInterval(Duration.ZERO).collectInterval(Duration.ZERO)
        // Each round expects its edit published at once; make-before-break would hold a removed service back.
        .removalDelay(Duration.ZERO).build().start()) {
      List<ManagedChannel> channels = new ArrayList<>();
      for (int i = 0; i < channelCount; i++) {
        channels.add(Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(), InsecureChannelCredentials.create())
            .maxInboundMessageSize(64 << 20).build());
      }
      AtomicReference<String> awaited = new AtomicReference<>(server.snapshotVersion("edge").orElseThrow());
      AtomicReference<CountDownLatch> latch = new AtomicReference<>(new CountDownLatch(streams));
      List<StreamObserver<DiscoveryRequest>> open = new ArrayList<>();
      java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
      for (int s = 0; s < streams; s++) {
        AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceStub stub =
            AggregatedDiscoveryServiceGrpc.newStub(channels.get(s % channelCount));
        AtomicReference<StreamObserver<DiscoveryRequest>> self = new AtomicReference<>();
        self.set(stub.streamAggregatedResources(new StreamObserver<>() {
          @Override
          public void onNext(DiscoveryResponse r) {
            self.get().onNext(DiscoveryRequest.newBuilder().setTypeUrl(CDS).setVersionInfo(r.getVersionInfo())
                .setResponseNonce(r.getNonce()).build());
            if (r.getVersionInfo().equals(awaited.get())) {
              latch.get().countDown();
            }
          }

          @Override
          public void onError(Throwable t) {
            if (!closing.get()) {
              System.err.println("stream failed: " + t);
            }
          }

          @Override
          public void onCompleted() {}
        }));
        self.get().onNext(DiscoveryRequest.newBuilder().setTypeUrl(CDS)
            .setNode(Node.newBuilder().setId("bench-" + s).setCluster("edge")).build());
        open.add(self.get());
      }
      if (!latch.get().await(120, TimeUnit.SECONDS)) {
        throw new IllegalStateException("initial config did not reach every stream");
      }
      double[] times = new double[rounds];
      for (int round = 0; round < rounds; round++) {
        // Alternate between two meshes that differ by one service, so every round changes CDS.
        Files.writeString(meshFile, BenchMeshes.mesh(services + (round % 2 == 0 ? 1 : 0), 0));
        latch.set(new CountDownLatch(streams));
        long start = System.nanoTime();
        // The bench mesh has one node group, so the next snapshot version is the current one plus one; it must be
        // known before publishing because responses go out while reloadNow() runs.
        awaited.set(Long.toString(Long.parseLong(server.snapshotVersion("edge").orElseThrow()) + 1));
        if (!server.reloadNow()) {
          throw new IllegalStateException("mesh change not picked up");
        }
        if (!awaited.get().equals(server.snapshotVersion("edge").orElseThrow())) {
          throw new IllegalStateException("unexpected snapshot version " + server.snapshotVersion("edge"));
        }
        if (!latch.get().await(120, TimeUnit.SECONDS)) {
          throw new IllegalStateException("update did not reach every stream");
        }
        times[round] = (System.nanoTime() - start) / 1e6;
      }
      closing.set(true);
      open.forEach(StreamObserver::onCompleted);
      for (ManagedChannel c : channels) {
        c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      Arrays.sort(times);
      System.out.printf("streams=%d services=%d push times ms %s%n", streams, services, Arrays.toString(times));
      return times[rounds / 2];
    }
  }
}
