package io.switchyard.extauthz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.rpc.Code;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.ClientCalls;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.extauthz.testing.JwksServer;
import io.switchyard.serverkit.grpc.WireBytes;
import io.switchyard.serverkit.metrics.Metrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real server over gRPC on loopback: response shapes, health, and hot reload under load. */
class ExtAuthzServerIT {
  static final String AP = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n";

  @TempDir Path dir;
  JwksServer issuer;
  ExtAuthzServer server;
  ManagedChannel channel;
  AuthorizationGrpc.AuthorizationBlockingStub stub;

  @BeforeEach
  void setUp() throws Exception {
    issuer = new JwksServer();
    Files.writeString(dir.resolve("policies.yaml"), policies("/admin"));
    ExtAuthzConfig config = ExtAuthzConfig.defaults(dir).withListener("127.0.0.1", 0, null)
        .withTimings(Duration.ofSeconds(2), Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ZERO)
        .withDecisionLog(false, null, "unused", 100, java.util.Set.of());
    server = new ExtAuthzServer(config, new Metrics(new PrometheusRegistry()), Clock.systemUTC(), null).start();
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    stub = AuthorizationGrpc.newBlockingStub(channel);
  }

  @AfterEach
  void tearDown() {
    channel.shutdownNow();
    server.close();
    issuer.close();
  }

  String policies(String deniedPath) {
    return "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: jwt, namespace: foo}\nspec:\n  jwtRules:\n"
        + "  - issuer: \"" + issuer.issuer() + "\"\n    jwksUri: \"" + issuer.jwksUri() + "\"\n"
        + "    outputClaimToHeaders: [{header: x-user, claim: sub}]\n---\n"
        + AP + "metadata: {name: deny-path, namespace: foo}\nspec:\n  action: DENY\n  rules:\n  - to: [{operation: {paths: [\"" + deniedPath + "\"]}}]\n";
  }

  static CheckRequest check(String path, Map<String, String> headers) {
    return CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setSource(AttributeContext.Peer.newBuilder().setPrincipal("spiffe://cluster.local/ns/bar/sa/sleep"))
        .setRequest(AttributeContext.Request.newBuilder().setHttp(AttributeContext.HttpRequest.newBuilder()
            .setMethod("GET").setHost("httpbin.foo").setPath(path).putAllHeaders(headers)))
        .putContextExtensions("namespace", "foo").putContextExtensions("workload", "httpbin")).build();
  }

  static Map<String, String> headers(CheckResponse r) {
    List<HeaderValueOption> hs = r.hasOkResponse() ? r.getOkResponse().getHeadersList() : r.getDeniedResponse().getHeadersList();
    return hs.stream().collect(Collectors.toMap(h -> h.getHeader().getKey(), h -> h.getHeader().getValue()));
  }

  @Test
  void allowedRequestGetsOkWithIdentityHeadersAndMetadata() throws Exception {
    CheckResponse r = stub.check(check("/ok", Map.of("authorization", "Bearer " + issuer.token(c -> c.subject("alice")))));
    assertThat(r.getStatus().getCode()).isEqualTo(Code.OK_VALUE);
    assertThat(headers(r)).containsEntry("x-user", "alice").containsEntry("x-switchyard-principal", issuer.issuer() + "/alice");
    assertThat(r.getOkResponse().getHeadersToRemoveList()).contains("authorization");
    assertThat(r.getDynamicMetadata().getFieldsMap().get("decision_id").getStringValue()).isNotEmpty();
    assertThat(r.getDynamicMetadata().getFieldsMap().get("result").getStringValue()).isEqualTo("allow");
  }

  @Test
  void deniedRequestGets403WithIstiosBody() {
    CheckResponse r = stub.check(check("/admin", Map.of()));
    assertThat(r.getStatus().getCode()).isEqualTo(Code.PERMISSION_DENIED_VALUE);
    assertThat(r.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(403);
    assertThat(r.getDeniedResponse().getBody()).isEqualTo("RBAC: access denied");
    assertThat(r.getDynamicMetadata().getFieldsMap().get("matched_policy").getStringValue()).isEqualTo("foo/deny-path");
  }

  @Test
  void invalidTokenGets401WithWwwAuthenticate() throws Exception {
    String expired = issuer.token(c -> c.expirationTime(new java.util.Date(System.currentTimeMillis() - 3_600_000)));
    CheckResponse r = stub.check(check("/ok", Map.of("authorization", "Bearer " + expired)));
    assertThat(r.getStatus().getCode()).isEqualTo(Code.UNAUTHENTICATED_VALUE);
    assertThat(r.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(401);
    assertThat(headers(r).get("www-authenticate")).isEqualTo("Bearer realm=\"http://httpbin.foo/ok\", error=\"invalid_token\"");
    assertThat(r.getDeniedResponse().getBody()).isEqualTo("Jwt is expired");
  }

  @Test
  void garbageInputIsADecisionNotAnError() {
    assertThat(stub.check(CheckRequest.getDefaultInstance()).getStatus().getCode()).isEqualTo(Code.OK_VALUE);
    CheckResponse bad = stub.check(check("/a%00b", Map.of()));
    assertThat(bad.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(400);
    assertThat(stub.check(check("/ok", Map.of("authorization", "Bearer \u00ff\u00fe"))).getDeniedResponse().getStatus().getCodeValue()).isEqualTo(401);
  }

  /** Bytes that are not a CheckRequest are the caller's error: a gRPC status naming the message, and the server stays up. */
  @Test
  void bytesThatAreNotACheckRequestGetInvalidArgument() {
    MethodDescriptor<byte[], byte[]> check = AuthorizationGrpc.getCheckMethod().toBuilder(WireBytes.MARSHALLER, WireBytes.MARSHALLER).build();
    // Field 1 claims 100 bytes and 2 follow; then a header value that is not UTF-8.
    for (byte[] bad : List.of(new byte[] {0x0a, 100, 0x0a, 0x00},
        new byte[] {0x0a, 14, 0x22, 12, 0x12, 10, 0x1a, 8, 0x0a, 1, 'a', 0x12, 3, 'b', (byte) 0xff, 'c'})) {
      assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, check, CallOptions.DEFAULT, bad)).isInstanceOfSatisfying(StatusRuntimeException.class,
          e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).startsWith("malformed CheckRequest: ");
          });
    }
    assertThat(stub.check(check("/ok", Map.of())).getStatus().getCode()).isEqualTo(Code.OK_VALUE);
  }

  @Test
  void healthServiceReportsServing() {
    HealthCheckResponse h = HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.newBuilder().setService("").build());
    assertThat(h.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  @Test
  void brokenPolicyEditKeepsTheLastGoodSet() throws Exception {
    Files.writeString(dir.resolve("policies.yaml"), AP + "metadata: {name: x, namespace: foo}\nspec:\n  action: CUSTOM\n  rules: [{}]\n");
    assertThat(server.reloadNow()).isFalse();
    assertThat(stub.check(check("/admin", Map.of())).getStatus().getCode()).isEqualTo(Code.PERMISSION_DENIED_VALUE);
    Files.writeString(dir.resolve("policies.yaml"), policies("/other"));
    assertThat(server.reloadNow()).isTrue();
    assertThat(stub.check(check("/admin", Map.of())).getStatus().getCode()).isEqualTo(Code.OK_VALUE);
  }

  @Test
  void hotReloadUnderConcurrentLoadNeverGivesAWrongDecision() throws Exception {
    String revA = server.engine().policies().revision();
    Files.writeString(dir.resolve("policies.yaml"), policies("/b"));
    server.reloadNow();
    String revB = server.engine().policies().revision();
    Files.writeString(dir.resolve("policies.yaml"), policies("/admin"));
    server.reloadNow();
    assertThat(revA).isNotEqualTo(revB);
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService pool = Executors.newFixedThreadPool(3);
    List<Future<List<String>>> workers = new ArrayList<>();
    for (int t = 0; t < 3; t++) {
      workers.add(pool.submit(() -> {
        List<String> wrong = new ArrayList<>();
        String[] paths = {"/admin", "/b", "/c"};
        int i = 0;
        while (!stop.get()) {
          String path = paths[i++ % 3];
          CheckResponse r = stub.check(check(path, Map.of()));
          String rev = r.getDynamicMetadata().getFieldsMap().get("policy_revision").getStringValue();
          String denied = rev.equals(revA) ? "/admin" : rev.equals(revB) ? "/b" : null;
          boolean allowed = r.getStatus().getCode() == Code.OK_VALUE;
          if (denied == null || allowed == path.equals(denied)) {
            wrong.add(path + " under " + rev + " allowed=" + allowed);
          }
        }
        return wrong;
      }));
    }
    for (int k = 0; k < 10; k++) {
      Files.writeString(dir.resolve("policies.yaml"), policies(k % 2 == 0 ? "/b" : "/admin"));
      assertThat(server.reloadNow()).isTrue();
    }
    stop.set(true);
    List<String> wrong = new ArrayList<>();
    for (Future<List<String>> w : workers) {
      wrong.addAll(w.get());
    }
    pool.shutdown();
    assertThat(wrong).isEmpty();
  }
}
