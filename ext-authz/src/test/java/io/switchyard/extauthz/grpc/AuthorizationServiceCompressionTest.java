package io.switchyard.extauthz.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.grpc.CompressorRegistry;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.extauthz.ExtAuthzConfig;
import io.switchyard.extauthz.ExtAuthzServer;
import io.switchyard.serverkit.metrics.Metrics;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Check requests in gRPC message compression (Envoy's gRPC clients may compress), over loopback. */
class AuthorizationServiceCompressionTest {
  /** GrpcServer's default inbound message limit, which ext-authz keeps. */
  private static final int LIMIT = 4 * 1024 * 1024;

  @TempDir Path dir;
  private ExtAuthzServer server;
  private ManagedChannel channel;

  @BeforeEach
  void setUp() throws Exception {
    Files.writeString(dir.resolve("policies.yaml"),
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: allow, namespace: foo}\nspec: {action: ALLOW, rules: [{}]}\n");
    ExtAuthzConfig config = ExtAuthzConfig.defaults(dir).withListener("127.0.0.1", 0, null)
        .withTimings(Duration.ofSeconds(2), Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ZERO)
        .withDecisionLog(false, null, "unused", 100, java.util.Set.of());
    server = new ExtAuthzServer(config, new Metrics(new PrometheusRegistry()), Clock.systemUTC(), null).start();
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  @AfterEach
  void tearDown() {
    channel.shutdownNow();
    server.close();
  }

  private static CheckRequest check(String path) {
    return CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setRequest(AttributeContext.Request.newBuilder().setHttp(AttributeContext.HttpRequest.newBuilder()
            .setMethod("GET").setHost("httpbin.foo").setPath(path)))
        .putContextExtensions("namespace", "foo")).build();
  }

  @Test
  void aGzipCompressedCheckIsDecided() {
    assertThat(AuthorizationGrpc.newBlockingStub(channel).withCompression("gzip").withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(check("/ok")).getStatus().getCode()).isEqualTo(Status.Code.OK.value());
  }

  @Test
  void aCompressedCheckLargerThanTheLimitOnceDecompressedIsResourceExhausted() {
    // A body of zeros compresses to a few kilobytes: gRPC finds it too large only while decompressing it, inside the
    // marshaller, where a thrown status reached the client as UNKNOWN ("Application error processing RPC").
    CheckRequest big = check("/" + "0".repeat(LIMIT));

    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> AuthorizationGrpc
        .newBlockingStub(channel).withCompression("gzip").withDeadlineAfter(10, TimeUnit.SECONDS).check(big));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(e.getStatus().getDescription()).contains("exceeds maximum size " + LIMIT);
  }

  @Test
  void aCompressedCheckItsCodingCannotDecodeIsInternalAndTheServerKeepsDeciding() throws Exception {
    CompressorRegistry corrupt = CompressorRegistry.newEmptyInstance();
    corrupt.register(new io.grpc.Compressor() {
      @Override
      public String getMessageEncoding() {
        return "gzip"; // but the bytes are sent as they are: not gzip
      }

      @Override
      public OutputStream compress(OutputStream os) {
        return os;
      }
    });
    ManagedChannel corrupting = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext()
        .compressorRegistry(corrupt).build();
    try {
      StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> AuthorizationGrpc
          .newBlockingStub(corrupting).withCompression("gzip").withDeadlineAfter(10, TimeUnit.SECONDS).check(check("/ok")));

      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
      assertThat(e.getStatus().getDescription()).startsWith("failed to decompress the received message: ");
    } finally {
      corrupting.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    assertThat(AuthorizationGrpc.newBlockingStub(channel).withCompression("gzip").withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(check("/ok")).getStatus().getCode()).isEqualTo(Status.Code.OK.value());
  }
}
