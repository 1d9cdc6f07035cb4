package io.switchyard.xds.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.NameResolverRegistry;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import io.grpc.xds.XdsNameResolverProvider;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.metrics.Metrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real xDS client: grpc-java's proxyless xDS support resolves {@code xds-it:///greeter} through our LDS, RDS, CDS
 * and EDS, then calls a test backend; a mesh edit moves it to another backend.
 */
class ProxylessGrpcIT {
  @TempDir Path dir;
  Server backendA;
  Server backendB;
  XdsServer xds;
  ManagedChannel channel;
  XdsNameResolverProvider resolver;

  static Server backend(String name) throws Exception {
    return Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .addService(new SimpleServiceGrpc.SimpleServiceImplBase() {
          @Override
          public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> response) {
            response.onNext(SimpleResponse.newBuilder().setResponseMessage(name).build());
            response.onCompleted();
          }
        })
        .build().start();
  }

  static String mesh(int servicePort, int endpointPort) {
    return """
        services:
          - name: greeter
            namespace: default
            ports: [{port: %d, protocol: grpc}]
            endpoints: [{address: 127.0.0.1, port: %d}]
        workloads:
          - name: greeter-client
            namespace: default
            nodeGroup: grpc-it
            proxyless: true
        """.formatted(servicePort, endpointPort);
  }

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (resolver != null) {
      NameResolverRegistry.getDefaultRegistry().deregister(resolver);
    }
    if (xds != null) {
      xds.close();
    }
    for (Server s : new Server[] {backendA, backendB}) {
      if (s != null) {
        s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void proxylessClientFollowsTheMeshFileToTheBackend() throws Exception {
    backendA = backend("a");
    backendB = backend("b");
    Path meshFile = dir.resolve("mesh.yaml");
    int servicePort = backendA.getPort();
    Files.writeString(meshFile, mesh(servicePort, backendA.getPort()));
    xds = XdsServer.builder(meshFile, new Metrics(new PrometheusRegistry()))
        .port(0).host("127.0.0.1").pollInterval(Duration.ZERO).collectInterval(Duration.ZERO)
        .build().start();

    Map<String, Object> bootstrap = Map.of(
        "xds_servers", List.of(Map.of(
            "server_uri", "127.0.0.1:" + xds.port(),
            "channel_creds", List.of(Map.of("type", "insecure")),
            "server_features", List.of("xds_v3"))),
        "node", Map.of("id", "sidecar~127.0.0.1~greeter-client.default~default.svc.cluster.local",
            "cluster", "grpc-it"));
    resolver = XdsNameResolverProvider.createForTest("xds-it", bootstrap);
    NameResolverRegistry.getDefaultRegistry().register(resolver);
    channel = Grpc.newChannelBuilder("xds-it:///greeter", InsecureChannelCredentials.create()).build();
    SimpleServiceGrpc.SimpleServiceBlockingStub stub = SimpleServiceGrpc.newBlockingStub(channel);

    SimpleResponse first = stub.withDeadlineAfter(20, TimeUnit.SECONDS)
        .unaryRpc(SimpleRequest.newBuilder().setRequestMessage("hi").build());
    assertThat(first.getResponseMessage()).isEqualTo("a");

    // Same service port, new endpoint: only EDS changes, and the client follows it.
    Files.writeString(meshFile, mesh(servicePort, backendB.getPort()));
    assertThat(xds.reloadNow()).isTrue();
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(
        stub.withDeadlineAfter(5, TimeUnit.SECONDS).unaryRpc(SimpleRequest.getDefaultInstance()).getResponseMessage())
        .isEqualTo("b"));
    assertThat(xds.lastRejection("grpc-it")).isEmpty();
  }
}
