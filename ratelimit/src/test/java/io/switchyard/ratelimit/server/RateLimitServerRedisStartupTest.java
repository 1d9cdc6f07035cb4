package io.switchyard.ratelimit.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.ratelimit.config.Descriptors;
import io.switchyard.ratelimit.limiter.LimiterFixture;
import io.switchyard.ratelimit.limiter.LimiterOptions;
import io.switchyard.ratelimit.storage.StorageOptions;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.serverkit.metrics.Metrics;
import io.switchyard.testing.FreePorts;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --storage redis} with Redis not (yet) reachable: the service starts, not ready, and answers by policy. */
class RateLimitServerRedisStartupTest {
  @TempDir Path dir;

  @Test
  void unreachableRedisAtStartServesNotReadyAndAnswersByTheBackendErrorPolicy() throws Exception {
    Files.writeString(dir.resolve("d.yaml"), """
        domain: d
        descriptors:
          - key: tenant
            rate_limit: {unit: hour, requests_per_unit: 10}
        """);
    URI nowhere = URI.create("redis://127.0.0.1:" + FreePorts.next());
    PrometheusRegistry registry = new PrometheusRegistry();
    Readiness readiness = new Readiness();
    try (RateLimitServer server = RateLimitServer.builder(dir, new Metrics(registry), readiness).host("127.0.0.1")
        .port(0).storage(StorageOptions.redis(nowhere, Duration.ofMillis(200)))
        .options(LimiterOptions.defaults().withOnBackendError(LimiterOptions.BackendErrorPolicy.DENY)).build().start()) {
      assertThat(readiness.snapshot().get("ratelimit")).startsWith("Redis at " + nowhere + " does not answer: ");
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
      try {
        for (String service : List.of("", "ratelimit", "envoy.service.ratelimit.v3.RateLimitService")) {
          assertThat(HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
              .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus())
              .as("service '%s'", service).isEqualTo(HealthCheckResponse.ServingStatus.NOT_SERVING);
        }
        RateLimitResponse r = RateLimitServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
            .shouldRateLimit(RateLimitRequest.newBuilder().setDomain("d")
                .addDescriptors(Descriptors.of("tenant", "acme")).build());
        assertThat(r.getOverallCode()).isEqualTo(RateLimitResponse.Code.OVER_LIMIT);
        assertThat(LimiterFixture.counter(registry, "ratelimit_service_should_rate_limit_error", "err_type", "redis_error"))
            .isEqualTo(1);
        assertThat(LimiterFixture.counter(registry, "ratelimit_service_call_should_rate_limit_backend_error",
            "storage", "redis", "decision", "deny")).isEqualTo(1);
      } finally {
        channel.shutdownNow();
      }
    }
  }
}
