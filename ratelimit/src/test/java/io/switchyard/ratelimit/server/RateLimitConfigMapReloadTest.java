package io.switchyard.ratelimit.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.serverkit.metrics.Metrics;
import io.switchyard.testing.KubeletVolume;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --config-dir on a mounted ConfigMap, updated the way the kubelet updates it (a swap of the ..data link). */
class RateLimitConfigMapReloadTest {
  @TempDir Path dir;
  private final Metrics metrics = new Metrics(new PrometheusRegistry());
  private RateLimitServer server;

  private static String domain(String name, int perHour) {
    return "domain: " + name + "\ndescriptors:\n  - key: user\n    rate_limit: {unit: hour, requests_per_unit: " + perHour + "}\n";
  }

  private RateLimitServer start(Path configDir) throws Exception {
    server = RateLimitServer.builder(configDir, metrics, new Readiness()).port(0).host("127.0.0.1")
        .pollInterval(Duration.ZERO).build().start();
    return server;
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aConfigMapUpdateIsReloadedWithEachDomainOnce() throws Exception {
    KubeletVolume v = KubeletVolume.mount(dir.resolve("ratelimit"), Map.of("web.yaml", domain("web", 3)));
    start(v.dir());
    assertThat(server.config().domains().keySet()).containsExactly("web");

    v.update(Map.of("web.yaml", domain("web", 5), "api.yaml", domain("api", 7)));
    assertThat(server.reloadNow()).isTrue();
    assertThat(server.config().domains().keySet()).containsExactlyInAnyOrder("web", "api");
    assertThat(server.config().domain("web").source()).isEqualTo(v.file("web.yaml"));
    assertThat(scrape()).contains("ratelimit_service_config_load_error 0.0")
        .contains("switchyard_config_reload_total{component=\"ratelimit\",result=\"success\"} 2.0");
  }

  @Test
  void aBrokenConfigMapUpdateIsRefusedCountedAndTheLastGoodLimitsStay() throws Exception {
    KubeletVolume v = KubeletVolume.mount(dir.resolve("ratelimit"), Map.of("web.yaml", domain("web", 3)));
    start(v.dir());

    v.update(Map.of("web.yaml", domain("web", 3).replace("unit: hour", "unit: fortnight")));
    assertThat(server.reloadNow()).isFalse();
    assertThat(server.config().domains().keySet()).containsExactly("web");
    assertThat(scrape()).contains("ratelimit_service_config_load_error 1.0")
        .contains("switchyard_config_reload_total{component=\"ratelimit\",result=\"failure\"} 1.0");
  }

  private String scrape() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, metrics.registry().scrape());
    return out.toString(StandardCharsets.UTF_8);
  }
}
