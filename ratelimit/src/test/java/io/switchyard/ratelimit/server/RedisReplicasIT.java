package io.switchyard.ratelimit.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.ratelimit.config.Descriptors;
import io.switchyard.ratelimit.storage.RedisProcess;
import io.switchyard.ratelimit.storage.StorageOptions;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.serverkit.metrics.Metrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two service instances, as two replicas behind Envoy, sharing one limit through a real Redis. */
class RedisReplicasIT {
  @TempDir Path dir;

  @Test
  void twoReplicasEnforceOneSharedLimit() throws Exception {
    Files.writeString(dir.resolve("d.yaml"), """
        domain: d
        descriptors:
          - key: tenant
            rate_limit: {unit: hour, requests_per_unit: 10}
        """);
    try (RedisProcess redis = RedisProcess.start();
        RateLimitServer a = replica(redis);
        RateLimitServer b = replica(redis)) {
      ManagedChannel ca = NettyChannelBuilder.forAddress("127.0.0.1", a.port()).usePlaintext().build();
      ManagedChannel cb = NettyChannelBuilder.forAddress("127.0.0.1", b.port()).usePlaintext().build();
      try {
        RateLimitRequest req = RateLimitRequest.newBuilder().setDomain("d")
            .addDescriptors(Descriptors.of("tenant", "acme")).build();
        int ok = 0;
        for (int i = 0; i < 15; i++) {
          var stub = RateLimitServiceGrpc.newBlockingStub(i % 2 == 0 ? ca : cb);
          if (stub.shouldRateLimit(req).getOverallCode() == RateLimitResponse.Code.OK) {
            ok++;
          }
        }
        assertThat(ok).isEqualTo(10);
      } finally {
        ca.shutdownNow();
        cb.shutdownNow();
      }
    }
  }

  private RateLimitServer replica(RedisProcess redis) throws Exception {
    return RateLimitServer.builder(dir, new Metrics(new PrometheusRegistry()), new Readiness()).host("127.0.0.1").port(0)
        .storage(StorageOptions.redis(redis.uri(), Duration.ofSeconds(1))).build().start();
  }
}
