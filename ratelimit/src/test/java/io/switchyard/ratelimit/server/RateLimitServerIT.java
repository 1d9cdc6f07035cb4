package io.switchyard.ratelimit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.ratelimit.config.Descriptors;
import io.switchyard.serverkit.admin.AdminServer;
import io.switchyard.serverkit.config.ConfigException;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.serverkit.metrics.Metrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The service over real gRPC and HTTP on loopback. */
class RateLimitServerIT {
  private static final String CONFIG = """
      domain: web
      descriptors:
        - key: user
          rate_limit: {unit: hour, requests_per_unit: 3, name: per-user}
        - key: path
          rate_limit: {unit: hour, requests_per_unit: 1000}
        - key: tenant
          value: acme
          descriptors:
            - key: plan
              rate_limit: {unit: hour, requests_per_unit: 1000}
      """;

  @TempDir
  Path dir;
  private Metrics metrics;
  private RateLimitServer server;
  private AdminServer admin;
  private ManagedChannel channel;
  private RateLimitServiceGrpc.RateLimitServiceBlockingStub stub;

  @BeforeEach
  void start() throws Exception {
    Files.writeString(dir.resolve("web.yaml"), CONFIG);
    metrics = new Metrics(new PrometheusRegistry());
    Readiness readiness = new Readiness();
    server = RateLimitServer.builder(dir, metrics, readiness).port(0).host("127.0.0.1")
        .pollInterval(Duration.ofMillis(50)).maxDescriptors(8).maxRequestBytes(4096).build().start();
    AdminServer.Builder ab = AdminServer.builder(metrics, readiness).host("127.0.0.1").port(0);
    server.adminRoutes().forEach((path, h) -> ab.route(path, h, false));
    admin = ab.build().start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    stub = RateLimitServiceGrpc.newBlockingStub(channel);
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    admin.close();
    server.close();
  }

  private static RateLimitRequest request(String domain, RateLimitDescriptor... d) {
    return RateLimitRequest.newBuilder().setDomain(domain).addAllDescriptors(List.of(d)).build();
  }

  @Test
  void answersEnvoyOverGrpc() {
    for (int i = 2; i >= 0; i--) {
      RateLimitResponse r = stub.shouldRateLimit(request("web", Descriptors.of("user", "a")));
      assertThat(r.getOverallCode()).isEqualTo(RateLimitResponse.Code.OK);
      assertThat(r.getStatuses(0).getLimitRemaining()).isEqualTo(i);
      assertThat(r.getStatuses(0).getCurrentLimit().getName()).isEqualTo("per-user");
      assertThat(r.getStatuses(0).getDurationUntilReset().getSeconds()).isBetween(1L, 3600L);
    }
    assertThat(stub.shouldRateLimit(request("web", Descriptors.of("user", "a"))).getOverallCode())
        .isEqualTo(RateLimitResponse.Code.OVER_LIMIT);
    assertThat(stub.shouldRateLimit(request("other", Descriptors.of("user", "a"))).getStatuses(0).hasCurrentLimit())
        .isFalse();
  }

  @Test
  void grpcHealthAnswersForTheReferencesServiceNameToo() {
    // envoyproxy/ratelimit src/server/server_impl.go: NewHealthChecker(health.NewServer(), "ratelimit", ...) sets the
    // serving status of the service name "ratelimit", which probes written for it ask about.
    for (String service : List.of("ratelimit", "", "envoy.service.ratelimit.v3.RateLimitService")) {
      assertThat(HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus())
          .as("service '%s'", service).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }
  }

  @Test
  void badInputGetsClearStatuses() {
    assertThatThrownBy(() -> stub.shouldRateLimit(request("", Descriptors.of("user", "a"))))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessage("INVALID_ARGUMENT: domain: must not be empty");
    assertThatThrownBy(() -> stub.shouldRateLimit(request("web")))
        .hasMessage("INVALID_ARGUMENT: descriptors: must not be empty");
    RateLimitRequest.Builder many = RateLimitRequest.newBuilder().setDomain("web");
    for (int i = 0; i < 9; i++) {
      many.addDescriptors(Descriptors.of("user", "u" + i));
    }
    assertThatThrownBy(() -> stub.shouldRateLimit(many.build()))
        .hasMessageStartingWith("RESOURCE_EXHAUSTED: descriptors: 9 exceeds the maximum of 8");
    RateLimitRequest huge = request("web", Descriptors.of("user", "x".repeat(5000)));
    assertThatThrownBy(() -> stub.shouldRateLimit(huge)).hasMessageStartingWith("RESOURCE_EXHAUSTED");
    // still serving afterwards
    assertThat(stub.shouldRateLimit(request("web", Descriptors.of("user", "ok"))).getOverallCode())
        .isEqualTo(RateLimitResponse.Code.OK);
  }

  @Test
  void jsonEndpointAnswersLikeTheReference() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    String body = "{\"domain\":\"web\",\"descriptors\":[{\"entries\":[{\"key\":\"user\",\"value\":\"j\"}]}],\"hitsAddend\":3}";
    URI uri = URI.create("http://127.0.0.1:" + admin.port() + "/json");
    HttpResponse<String> ok = http.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.body()).contains("\"overallCode\":\"OK\"").contains("\"requestsPerUnit\":3");
    HttpResponse<String> over = http.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(over.statusCode()).isEqualTo(429);
    assertThat(over.body()).contains("OVER_LIMIT");
    HttpResponse<String> bad = http.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString("{nope")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).startsWith("{\"error\":");
    HttpResponse<String> dump = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port()
        + "/rlconfig")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(dump.body()).contains("web.user: unit=HOUR requests_per_unit=3 algorithm=fixed_window name=per-user");
    HttpResponse<String> prom = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port()
        + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(prom.body()).contains("ratelimit_service_rate_limit_total_hits{domain=\"web\",key1=\"user\"} 6.0")
        .contains("ratelimit_service_response_time_seconds_bucket{grpc_method=\"ShouldRateLimit\",le=");
  }

  @Test
  void metricsEndpointServesTheReferenceSeriesNamesAndLabels() throws Exception {
    for (int i = 0; i < 5; i++) {
      stub.shouldRateLimit(request("web", Descriptors.of("user", "a")));
    }
    stub.shouldRateLimit(request("web", Descriptors.of("tenant", "acme", "plan", "gold")));
    stub.shouldRateLimit(request("other", Descriptors.of("user", "a")));
    // Documented difference: the reference's unary interceptor (src/metrics/metrics.go) also counts and times this
    // health check, as grpc_method="Check"; here only ShouldRateLimit calls are.
    HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService("ratelimit").build());

    List<String> series = scrapeSeries();
    List<String> reference = series.stream()
        .filter(l -> l.startsWith("ratelimit_service_") && !l.startsWith("ratelimit_service_response_time_seconds")
            && !l.startsWith("ratelimit_service_global_shadow_mode") && !l.startsWith("ratelimit_service_call_"))
        .toList();
    String user = "{domain=\"web\",key1=\"user\"} ";
    String plan = "{domain=\"web\",key1=\"tenant_acme\",key2=\"plan\"} ";
    assertThat(reference).containsExactlyInAnyOrder(
        "ratelimit_service_rate_limit_total_hits" + user + "5.0",
        "ratelimit_service_rate_limit_total_hits" + plan + "1.0",
        "ratelimit_service_rate_limit_within_limit" + user + "3.0",
        "ratelimit_service_rate_limit_within_limit" + plan + "1.0",
        "ratelimit_service_rate_limit_near_limit" + user + "1.0",
        "ratelimit_service_rate_limit_near_limit" + plan + "0.0",
        "ratelimit_service_rate_limit_over_limit" + user + "2.0",
        "ratelimit_service_rate_limit_over_limit" + plan + "0.0",
        "ratelimit_service_rate_limit_over_limit_with_local_cache" + user + "1.0",
        "ratelimit_service_rate_limit_over_limit_with_local_cache" + plan + "0.0",
        "ratelimit_service_rate_limit_shadow_mode" + user + "0.0",
        "ratelimit_service_rate_limit_shadow_mode" + plan + "0.0",
        "ratelimit_service_rate_limit_domain_not_found{domain=\"other\"} 1.0",
        "ratelimit_service_config_load_success 1.0",
        "ratelimit_service_config_load_error 0.0",
        "ratelimit_service_should_rate_limit_error{err_type=\"redis_error\"} 0.0",
        "ratelimit_service_should_rate_limit_error{err_type=\"service_error\"} 0.0",
        "ratelimit_service_total_requests{grpc_method=\"ShouldRateLimit\"} 7.0");
    assertThat(series).contains("ratelimit_service_response_time_seconds_count{grpc_method=\"ShouldRateLimit\"} 7");
    assertThat(series).noneMatch(l -> l.contains("grpc_method=\"Check\""));
    assertThat(series).noneMatch(l -> l.startsWith("ratelimit_service_rate_limit_") && l.contains("_total{"));
    // untyped: the client library would append _total to a counter's name
    assertThat(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port()
        + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body())
        .contains("# TYPE ratelimit_service_rate_limit_total_hits untyped");
  }

  /** As a deployment should edit it: a reload never sees a half-written file (hidden files are skipped). */
  private void writeAtomically(String yaml) throws Exception {
    Path tmp = dir.resolve(".web.yaml.tmp");
    Files.writeString(tmp, yaml);
    Files.move(tmp, dir.resolve("web.yaml"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** The sample lines of the admin port's {@code /metrics} text, as Prometheus scrapes them. */
  private List<String> scrapeSeries() throws Exception {
    HttpResponse<String> prom = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + admin.port() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(prom.statusCode()).isEqualTo(200);
    return prom.body().lines().filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
  }

  @Test
  void hotReloadUnderLoadKeepsAnsweringAndKeepsCountersOfUnchangedLimits() throws Exception {
    stub.shouldRateLimit(request("web", Descriptors.of("user", "keep")));
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger failures = new AtomicInteger();
    AtomicInteger calls = new AtomicInteger();
    List<Thread> load = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      Thread th = new Thread(() -> {
        while (running.get()) {
          try {
            RateLimitResponse r = stub.shouldRateLimit(request("web", Descriptors.of("path", "/p")));
            if (!r.getStatuses(0).hasCurrentLimit()) {
              failures.incrementAndGet();
            }
            calls.incrementAndGet();
          } catch (RuntimeException e) {
            failures.incrementAndGet();
          }
        }
      });
      th.start();
      load.add(th);
    }
    await().until(() -> calls.get() > 50);
    // an invalid edit is rejected and the old config keeps serving
    writeAtomically(CONFIG.replace("unit: hour", "unit: fortnight"));
    await().until(() -> !scrapeSeries().contains("ratelimit_service_config_load_error 0.0"));
    assertThat(server.configVersion()).isEqualTo(1);
    writeAtomically(CONFIG.replace("requests_per_unit: 1000", "requests_per_unit: 2000"));
    await().until(() -> server.configVersion() == 2);
    int before = calls.get();
    await().until(() -> calls.get() > before + 50);
    running.set(false);
    for (Thread th : load) {
      th.join();
    }
    assertThat(failures.get()).isZero();
    assertThat(stub.shouldRateLimit(request("web", Descriptors.of("path", "/p"))).getStatuses(0)
        .getCurrentLimit().getRequestsPerUnit()).isEqualTo(2000);
    assertThat(stub.shouldRateLimit(request("web", Descriptors.of("user", "keep"))).getStatuses(0).getLimitRemaining())
        .isEqualTo(1);
  }

  @Test
  void invalidConfigAtStartIsRefusedWithFileAndLine(@TempDir Path bad) throws Exception {
    Files.writeString(bad.resolve("bad.yaml"), "domain: x\ndescriptors:\n  - key: a\n    rate_limit: {unit: parsec}\n");
    assertThatThrownBy(() -> RateLimitServer.builder(bad, new Metrics(new PrometheusRegistry()), new Readiness())
        .port(0).build().start())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("bad.yaml:4:")
        .hasMessageContaining("invalid rate limit unit 'parsec'");
  }
}
