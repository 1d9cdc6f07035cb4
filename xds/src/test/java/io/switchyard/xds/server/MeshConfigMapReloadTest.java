package io.switchyard.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.metrics.Metrics;
import io.switchyard.testing.KubeletVolume;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --mesh naming a key of a mounted ConfigMap, updated the way the kubelet updates it (a swap of the ..data link). */
class MeshConfigMapReloadTest {
  @TempDir Path dir;
  private final Metrics metrics = new Metrics(new PrometheusRegistry());
  private XdsServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private void start(Path meshFile) throws Exception {
    server = XdsServer.builder(meshFile, metrics).port(0).host("127.0.0.1").pollInterval(Duration.ZERO)
        .collectInterval(Duration.ZERO).build().start();
  }

  private String reviewsAddress() {
    return server.mesh().service("reviews", "default").orElseThrow().endpoints().get(0).address();
  }

  @Test
  void aConfigMapUpdateOfTheMeshFileIsPublished() throws Exception {
    KubeletVolume v = KubeletVolume.mount(dir.resolve("mesh"), Map.of("mesh.yaml", XdsProtocolTest.mesh("10.0.0.1")));
    start(v.file("mesh.yaml"));
    assertThat(reviewsAddress()).isEqualTo("10.0.0.1");

    v.update(Map.of("mesh.yaml", XdsProtocolTest.mesh("10.0.0.7")));
    assertThat(server.reloadNow()).isTrue();
    assertThat(reviewsAddress()).isEqualTo("10.0.0.7");
    assertThat(server.reloadNow()).isFalse();
  }

  @Test
  void aBrokenConfigMapUpdateIsRefusedCountedAndTheLastGoodMeshStays() throws Exception {
    KubeletVolume v = KubeletVolume.mount(dir.resolve("mesh"), Map.of("mesh.yaml", XdsProtocolTest.mesh("10.0.0.1")));
    start(v.file("mesh.yaml"));

    v.update(Map.of("mesh.yaml", XdsProtocolTest.mesh("10.0.0.7").replace("port: 9080}", "port: 0}")));
    assertThat(server.reloadNow()).isFalse();
    assertThat(reviewsAddress()).isEqualTo("10.0.0.1");
    assertThat(metrics.counter("switchyard_config_reload_total", "", "component", "result")
        .labelValues("xds-mesh", "failure").get()).isEqualTo(1);
  }
}
