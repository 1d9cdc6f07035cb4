package io.switchyard.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.metrics.Metrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** A real {@link XdsServer} on loopback over a mesh file of the test's, and a channel to it: what the protocol tests share. */
abstract class XdsLoopbackTest {
  @TempDir Path dir;
  final PrometheusRegistry registry = new PrometheusRegistry();
  Path meshFile;
  XdsServer server;
  ManagedChannel channel;

  void start(String meshText, Duration removalDelay) throws Exception {
    meshFile = dir.resolve("mesh.yaml");
    Files.writeString(meshFile, meshText);
    server = XdsServer.builder(meshFile, new Metrics(registry))
        .port(0).host("127.0.0.1").pollInterval(Duration.ZERO).collectInterval(Duration.ZERO)
        .removalDelay(removalDelay)
        .build().start();
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(), InsecureChannelCredentials.create()).build();
  }

  void reload(String meshText) throws Exception {
    Files.writeString(meshFile, meshText);
    assertThat(server.reloadNow()).isTrue();
  }

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.close();
    }
  }
}
