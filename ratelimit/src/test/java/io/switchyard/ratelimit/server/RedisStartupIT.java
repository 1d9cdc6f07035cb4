package io.switchyard.ratelimit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.ratelimit.config.Descriptors;
import io.switchyard.ratelimit.limiter.LimiterFixture;
import io.switchyard.ratelimit.storage.RedisCounterStore;
import io.switchyard.ratelimit.storage.RedisProcess;
import io.switchyard.ratelimit.storage.RedisStartup;
import io.switchyard.ratelimit.storage.StorageOptions;
import io.switchyard.serverkit.admin.AdminServer;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.serverkit.metrics.Metrics;
import io.switchyard.testing.FreePorts;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica started before its Redis (pods start in any order): not ready until Redis answers, then counting; and
 * with {@code --redis-health-check-active-connection}, not ready while a later outage lasts.
 */
class RedisStartupIT {
  private static final List<String> HEALTH_NAMES = List.of("", "ratelimit", "envoy.service.ratelimit.v3.RateLimitService");

  @TempDir Path dir;

  @Test
  void startsBeforeRedisAnswersByPolicyAndTurnsServingOnceRedisRuns() throws Exception {
    assumeThat(Files.isExecutable(Path.of("/usr/bin/redis-server")) || Files.isExecutable(Path.of("/usr/local/bin/redis-server")))
        .as("redis-server installed").isTrue();
    Files.writeString(dir.resolve("d.yaml"), """
        domain: d
        descriptors:
          - key: tenant
            rate_limit: {unit: hour, requests_per_unit: 3}
        """);
    int redisPort = FreePorts.next();
    URI redisUri = RedisProcess.uri(redisPort);
    PrometheusRegistry registry = new PrometheusRegistry();
    Metrics metrics = new Metrics(registry);
    Readiness readiness = new Readiness();
    StorageOptions storage = StorageOptions.redis(redisUri, Duration.ofSeconds(1))
        .withRedisStartup(new RedisStartup(Duration.ofMillis(50), Duration.ofMillis(200), Duration.ZERO));
    HttpClient http = HttpClient.newHttpClient();
    try (RateLimitServer server = RateLimitServer.builder(dir, metrics, readiness).host("127.0.0.1").port(0)
            .storage(storage).build().start();
        AdminServer admin = AdminServer.builder(metrics, readiness).host("127.0.0.1").port(0).build().start()) {
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
      HttpRequest readyz = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + "/readyz")).build();
      var stub = RateLimitServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
      RateLimitRequest req = RateLimitRequest.newBuilder().setDomain("d")
          .addDescriptors(Descriptors.of("tenant", "acme")).build();
      try {
        for (String name : HEALTH_NAMES) {
          assertThat(health(channel, name)).as("service '%s'", name).isEqualTo(ServingStatus.NOT_SERVING);
        }
        HttpResponse<String> notReady = http.send(readyz, HttpResponse.BodyHandlers.ofString());
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(notReady.body()).contains("Redis at " + redisUri + " does not answer");
        // --on-backend-error allow (the default), counted as a Redis error; more calls than the limit all pass.
        for (int i = 0; i < 5; i++) {
          assertThat(stub.shouldRateLimit(req).getOverallCode()).isEqualTo(RateLimitResponse.Code.OK);
        }
        assertThat(LimiterFixture.counter(registry, "ratelimit_service_should_rate_limit_error", "err_type", "redis_error"))
            .isEqualTo(5);

        try (RedisProcess redis = RedisProcess.start(redisPort)) {
          Awaitility.await().atMost(Duration.ofSeconds(20))
              .until(() -> HEALTH_NAMES.stream().allMatch(n -> health(channel, n) == ServingStatus.SERVING));
          assertThat(http.send(readyz, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
          assertThat(server.storeNotReady()).isNull();
          for (int i = 0; i < 3; i++) {
            assertThat(stub.shouldRateLimit(req).getOverallCode()).isEqualTo(RateLimitResponse.Code.OK);
          }
          RateLimitResponse over = stub.shouldRateLimit(req);
          assertThat(over.getOverallCode()).isEqualTo(RateLimitResponse.Code.OVER_LIMIT);
          assertThat(LimiterFixture.counter(registry, "ratelimit_service_should_rate_limit_error", "err_type",
              "redis_error")).isEqualTo(5);
        }
        // A later outage leaves readiness alone, as envoyproxy/ratelimit's REDIS_HEALTH_CHECK_ACTIVE_CONNECTION=false
        // (its default) does; lettuce reconnects meanwhile and calls are answered by the policy. (Another tenant: acme
        // is over in the local over-limit cache, which answers without Redis.)
        assertThat(stub.shouldRateLimit(RateLimitRequest.newBuilder().setDomain("d")
            .addDescriptors(Descriptors.of("tenant", "globex")).build()).getOverallCode()).isEqualTo(RateLimitResponse.Code.OK);
        assertThat(LimiterFixture.counter(registry, "ratelimit_service_should_rate_limit_error", "err_type",
            "redis_error")).isEqualTo(6);
        for (String name : HEALTH_NAMES) {
          assertThat(health(channel, name)).as("service '%s'", name).isEqualTo(ServingStatus.SERVING);
        }
      } finally {
        channel.shutdownNow();
      }
    }
  }

  @Test
  void withActiveConnectionHealthCheckALostRedisIsNotServingUntilItIsBackOnItsPort() throws Exception {
    Files.writeString(dir.resolve("d.yaml"), "domain: d\n");
    int redisPort = FreePorts.next();
    URI redisUri = RedisProcess.uri(redisPort);
    Metrics metrics = new Metrics(new PrometheusRegistry());
    Readiness readiness = new Readiness();
    StorageOptions storage = StorageOptions.redis(redisUri, Duration.ofSeconds(1))
        .withRedisStartup(new RedisStartup(Duration.ofMillis(50), Duration.ofMillis(200), Duration.ZERO))
        .withRedisHealthCheckActiveConnection(true);
    List<String> logged = new CopyOnWriteArrayList<>();
    org.apache.logging.log4j.core.Logger logger =
        (org.apache.logging.log4j.core.Logger) LogManager.getLogger(RedisCounterStore.class);
    AbstractAppender appender = new AbstractAppender("capture", null, null, true, Property.EMPTY_ARRAY) {
      @Override
      public void append(LogEvent e) {
        logged.add(e.getLevel() + " " + e.getMessage().getFormattedMessage());
      }
    };
    appender.start();
    logger.addAppender(appender);
    HttpClient http = HttpClient.newHttpClient();
    RedisProcess redis = RedisProcess.start(redisPort);
    try (RateLimitServer server = RateLimitServer.builder(dir, metrics, readiness).host("127.0.0.1").port(0)
            .storage(storage).build().start();
        AdminServer admin = AdminServer.builder(metrics, readiness).host("127.0.0.1").port(0).build().start()) {
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
      HttpRequest readyz = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + "/readyz")).build();
      try {
        for (String name : HEALTH_NAMES) {
          assertThat(health(channel, name)).as("service '%s'", name).isEqualTo(ServingStatus.SERVING);
        }

        redis.close();
        Awaitility.await().atMost(Duration.ofSeconds(20))
            .until(() -> HEALTH_NAMES.stream().allMatch(n -> health(channel, n) == ServingStatus.NOT_SERVING));
        HttpResponse<String> notReady = http.send(readyz, HttpResponse.BodyHandlers.ofString());
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(notReady.body()).contains("Redis at " + redisUri + ": connection lost");
        assertThat(server.storeNotReady()).startsWith("Redis at " + redisUri);

        redis = RedisProcess.start(redisPort);
        Awaitility.await().atMost(Duration.ofSeconds(40))
            .until(() -> HEALTH_NAMES.stream().allMatch(n -> health(channel, n) == ServingStatus.SERVING));
        assertThat(http.send(readyz, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        assertThat(server.storeNotReady()).isNull();
        assertThat(logged.stream().filter(l -> !l.startsWith("INFO connected to Redis")).toList()).containsExactly(
            "WARN lost the connection to Redis at " + redisUri + "; reconnecting in the background, calls are "
                + "answered by the backend-error policy meanwhile",
            "INFO connection to Redis at " + redisUri + " is back");
      } finally {
        channel.shutdownNow();
      }
    } finally {
      redis.close();
      logger.removeAppender(appender);
    }
    // Closing the store is no outage.
    assertThat(logged.stream().filter(l -> l.startsWith("WARN"))).hasSize(1);
  }

  private static ServingStatus health(ManagedChannel channel, String name) {
    return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(name).build()).getStatus();
  }
}
