package io.switchyard.ratelimit.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.serverkit.metrics.Metrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * envoyproxy/ratelimit's {@code HEALTHY_WITH_AT_LEAST_ONE_CONFIG_LOADED} (README "Health-check configurations",
 * {@code src/service/ratelimit.go} SetConfig): off, an empty config folder serves and is healthy; on, health is
 * NOT_SERVING while the loaded config has no domain, SERVING once one loads, NOT_SERVING again when a reload leaves
 * none, and unchanged by a refused reload.
 */
class RateLimitServerConfigHealthTest {
  private static final List<String> HEALTH_NAMES = List.of("", "ratelimit", "envoy.service.ratelimit.v3.RateLimitService");
  private static final String DOMAIN = "domain: d\ndescriptors:\n  - key: user\n    rate_limit: {unit: hour, requests_per_unit: 3}\n";

  @TempDir Path dir;
  private final Readiness readiness = new Readiness();
  private RateLimitServer server;
  private ManagedChannel channel;

  private void start(boolean healthyWithAtLeastOneConfigLoaded) throws Exception {
    server = RateLimitServer.builder(dir, new Metrics(new PrometheusRegistry()), readiness).port(0).host("127.0.0.1")
        .pollInterval(Duration.ZERO).healthyWithAtLeastOneConfigLoaded(healthyWithAtLeastOneConfigLoaded).build().start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (server != null) {
      server.close();
    }
  }

  private void assertHealth(ServingStatus expected) {
    for (String service : HEALTH_NAMES) {
      assertThat(HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus())
          .as("service '%s'", service).isEqualTo(expected);
    }
  }

  @Test
  void byDefaultAnEmptyConfigFolderServesAndIsHealthyAsTheReference() throws Exception {
    start(false);
    assertThat(server.config().domains()).isEmpty();
    assertThat(readiness.snapshot().get("ratelimit")).isEqualTo("ready");
    assertHealth(ServingStatus.SERVING);
  }

  @Test
  void withTheSettingAnEmptyFolderIsNotServingUntilADomainLoadsAndAgainWhenNoneIsLeft() throws Exception {
    start(true);
    assertThat(readiness.snapshot().get("ratelimit"))
        .isEqualTo("no rate limit domain loaded from " + dir + " (healthy with at least one config loaded)");
    assertHealth(ServingStatus.NOT_SERVING);

    Files.writeString(dir.resolve("d.yaml"), DOMAIN);
    assertThat(server.reloadNow()).isTrue();
    assertThat(readiness.snapshot().get("ratelimit")).isEqualTo("ready");
    assertHealth(ServingStatus.SERVING);

    Files.delete(dir.resolve("d.yaml"));
    assertThat(server.reloadNow()).isTrue();
    assertHealth(ServingStatus.NOT_SERVING);
  }

  @Test
  void withTheSettingARefusedReloadLeavesHealthAsItWas() throws Exception {
    Files.writeString(dir.resolve("d.yaml"), DOMAIN);
    start(true);
    assertHealth(ServingStatus.SERVING);

    Files.writeString(dir.resolve("d.yaml"), DOMAIN.replace("unit: hour", "unit: fortnight"));
    assertThat(server.reloadNow()).isFalse();
    assertHealth(ServingStatus.SERVING);
  }

  @Test
  void withTheSettingAFolderStartedWithADomainIsHealthyAtOnce() throws Exception {
    Files.writeString(dir.resolve("d.yaml"), DOMAIN);
    start(true);
    assertThat(readiness.snapshot().get("ratelimit")).isEqualTo("ready");
    assertHealth(ServingStatus.SERVING);
  }
}
