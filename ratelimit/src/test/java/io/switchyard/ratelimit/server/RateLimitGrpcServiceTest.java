package io.switchyard.ratelimit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.ratelimit.config.Descriptors;
import io.switchyard.ratelimit.limiter.LimiterFixture;
import io.switchyard.serverkit.grpc.WireBytes;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.serverkit.metrics.Metrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ShouldRateLimit over real gRPC on loopback, for what only the wire can send. */
class RateLimitGrpcServiceTest {
  @TempDir Path dir;


  /**
   * Bytes that are not a RateLimitRequest are refused as the reference's grpc-go server refuses them, before its
   * handler and stats interceptor run: INTERNAL ("grpc: error unmarshalling request: ..."), not counted in
   * total_requests nor service_error. They were answered UNKNOWN "Application error processing RPC" (grpc-java's answer
   * to a marshaller that throws) and left no trace in the metrics.
   */
  @Test
  void bytesThatAreNotARateLimitRequestAreRefusedWithInternalAndCountedOnlyInSwitchyardsOwnCounter() throws Exception {
    Files.writeString(dir.resolve("d.yaml"), """
        domain: d
        descriptors:
          - key: tenant
            rate_limit: {unit: hour, requests_per_unit: 10}
        """);
    PrometheusRegistry registry = new PrometheusRegistry();
    try (RateLimitServer server = RateLimitServer.builder(dir, new Metrics(registry), new Readiness())
        .host("127.0.0.1").port(0).build().start()) {
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
      try {
        MethodDescriptor<byte[], byte[]> raw = RateLimitServiceGrpc.getShouldRateLimitMethod().toBuilder(WireBytes.MARSHALLER, WireBytes.MARSHALLER).build();
        // A length-delimited field 1 (domain) announcing 127 bytes, then the message ends.
        assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, raw,
            CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), new byte[] {0x0a, 0x7f}))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
              assertThat(e.getStatus().getDescription()).startsWith("malformed RateLimitRequest: ");
            });
        assertThat(LimiterFixture.counter(registry, "ratelimit_service_call_should_rate_limit_service_error",
            "reason", "invalid_argument")).isEqualTo(1);
        assertThat(LimiterFixture.counter(registry, "ratelimit_service_should_rate_limit_error",
            "err_type", "service_error")).isZero();
        assertThat(LimiterFixture.counter(registry, "ratelimit_service_total_requests")).isZero();

        // The channel and the service go on answering.
        RateLimitResponse ok = RateLimitServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
            .shouldRateLimit(RateLimitRequest.newBuilder().setDomain("d").addDescriptors(Descriptors.of("tenant", "a")).build());
        assertThat(ok.getOverallCode()).isEqualTo(RateLimitResponse.Code.OK);
        assertThat(LimiterFixture.counter(registry, "ratelimit_service_total_requests")).isEqualTo(1);
      } finally {
        channel.shutdownNow();
      }
    }
  }
}
