package io.switchyard.extauthz.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.Pipe;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
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
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.extauthz.ExtAuthzConfig;
import io.switchyard.extauthz.ExtAuthzServer;
import io.switchyard.extauthz.testing.JwksServer;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.switchyard.serverkit.grpc.WireBytes;
import io.switchyard.serverkit.metrics.Metrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * CheckRequests mutated with a fixed seed from valid ones (odd header names and values, missing parts, huge paths,
 * addresses that are none, ports out of range, odd unicode; and their wire bytes flipped and cut) through the real
 * Authorization service: each gets an answer, OK, PERMISSION_DENIED, UNAUTHENTICATED or INVALID_ARGUMENT ("bad request: ...")
 * in the CheckResponse, or the call
 * INVALID_ARGUMENT naming the problem; never a fail-closed "internal" response (an exception), UNKNOWN or INTERNAL.
 * A failure names the seed, the iteration and the mutant.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CheckRequestMutationTest {
  private static final long SEED = 0x5eed34L;
  private static final int ITERATIONS = 300;
  private static final MethodDescriptor<byte[], CheckResponse> CHECK = AuthorizationGrpc.getCheckMethod()
      .toBuilder(WireBytes.MARSHALLER, ProtoUtils.marshaller(CheckResponse.getDefaultInstance())).build();
  private static final String POLICIES = """
      apiVersion: security.istio.io/v1
      kind: RequestAuthentication
      metadata: {name: users, namespace: shop}
      spec:
        jwtRules:
        - issuer: https://issuer.test
          jwks: 'JWKS'
          fromHeaders: [{name: x-jwt, prefix: "Bearer "}]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: deny-admin, namespace: shop}
      spec:
        action: DENY
        rules:
        - to: [{operation: {paths: ["/admin*", "*/secret"], notMethods: [OPTIONS]}}]
        - from: [{source: {remoteIpBlocks: ["203.0.113.0/24"], notNamespaces: [shop]}}]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata: {name: allow-shop, namespace: shop}
      spec:
        action: ALLOW
        rules:
        - from: [{source: {principals: ["cluster.local/ns/shop/sa/*"], ipBlocks: ["10.0.0.0/8", "fd00::/8"]}}]
          to: [{operation: {methods: [GET, POST], hosts: ["*.shop.svc.cluster.local", "cart"], ports: ["8080", "9000"],
                paths: ["/cart/*", "/api/{*}/items", "/"]}}]
          when:
          - {key: "request.headers[x-tenant]", values: ["t*", "*3"]}
          - {key: source.namespace, notValues: [evil]}
          - {key: destination.port, values: ["8080", "9000"]}
        - from: [{source: {requestPrincipals: ["https://issuer.test/*"]}}]
          when: [{key: "request.auth.claims[groups]", values: [admin]}]
        - to: [{operation: {paths: ["/public/*"]}}]
      """;

  @TempDir Path dir;
  private ExtAuthzServer server;
  private ManagedChannel channel;
  private SignedJWT token;

  @BeforeEach
  void setUp() throws Exception {
    RSAKey key = JwksServer.newKey("k1");
    Files.writeString(dir.resolve("policies.yaml"), POLICIES.replace("JWKS", new JWKSet(key.toPublicJWK()).toString()));
    token = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k1").build(), new JWTClaimsSet.Builder()
        .issuer("https://issuer.test").subject("alice").claim("groups", List.of("admin"))
        .expirationTime(new java.util.Date(System.currentTimeMillis() + 3_600_000)).build());
    token.sign(new RSASSASigner(key));
    ExtAuthzConfig config = ExtAuthzConfig.defaults(dir).withListener("127.0.0.1", 0, null)
        .withTimings(Duration.ofSeconds(2), Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ZERO)
        .withDecisionLog(false, null, "unused", 100, Set.of());
    server = new ExtAuthzServer(config, new Metrics(new PrometheusRegistry()), Clock.systemUTC(), null).start();
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.close();
    }
  }

  private static Address socket(String ip, int port) {
    return Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port)).build();
  }

  /** Valid requests as the existing tests send them (a sidecar's Check of an HTTP request, with and without mTLS). */
  private static List<CheckRequest> seeds(String token) {
    CheckRequest inMesh = CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setSource(AttributeContext.Peer.newBuilder().setAddress(socket("10.0.0.1", 5555))
            .setPrincipal("spiffe://cluster.local/ns/shop/sa/frontend"))
        .setDestination(AttributeContext.Peer.newBuilder().setAddress(socket("10.0.0.2", 8080)))
        .setRequest(AttributeContext.Request.newBuilder().setHttp(AttributeContext.HttpRequest.newBuilder()
            .setMethod("GET").setHost("cart.shop.svc.cluster.local").setPath("/cart/42?view=full").setScheme("http")
            .setProtocol("HTTP/1.1").putHeaders(":authority", "cart.shop.svc.cluster.local").putHeaders(":path", "/cart/42")
            .putHeaders(":method", "GET").putHeaders("x-tenant", "t3").putHeaders("x-forwarded-for", "203.0.113.9, 10.0.0.1")
            .putHeaders("x-jwt", "Bearer " + token).putHeaders("user-agent", "curl/8.5.0")))
        .putContextExtensions("namespace", "shop").putContextExtensions("workload", "cart")
        .putContextExtensions("label.app", "cart").putContextExtensions("label.version", "v1")).build();
    CheckRequest plain = CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setRequest(AttributeContext.Request.newBuilder().setHttp(AttributeContext.HttpRequest.newBuilder()
            .setMethod("GET").setHost("httpbin.foo").setPath("/public/ok")))
        .putContextExtensions("namespace", "shop")).build();
    CheckRequest headerMap = CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setRequest(AttributeContext.Request.newBuilder().setHttp(AttributeContext.HttpRequest.newBuilder()
            .setMethod("GET").setPath("/").setHeaderMap(HeaderMap.newBuilder()
                .addHeaders(HeaderValue.newBuilder().setKey("x-a").setRawValue(ByteString.copyFromUtf8("1")))
                .addHeaders(HeaderValue.newBuilder().setKey("x-a").setRawValue(ByteString.copyFrom(new byte[] {(byte) 0xff})))
                .addHeaders(HeaderValue.newBuilder().setKey(":authority").setRawValue(ByteString.copyFromUtf8("h.example"))))))
        .putContextExtensions("namespace", "shop")).build();
    return List.of(inMesh, plain, headerMap);
  }

  private static final String[] TEXTS = {"", " ", "GET", "get", "OPTIONS", "/", "//", "/admin", "/Admin/../admin",
      "/a/%2e%2e/admin", "/cart/%2F..%2Fadmin", "/a%00b", "\u0000", "caf\u00e9", "\u65e5\u672c\u8a9e", "\ud83d\ude00",
      "\u202e\u200b\ufeff", "\uFFFD", "\ud800", "a\r\nb: c", "\t", "*", "{*}", "**", "?", "?x=1", "#frag", ";", ",",
      "Bearer ", "Bearer a.b.c", "Bearer ..", "Basic Zm9v", "spiffe://", "spiffe://cluster.local/ns//sa/",
      "cluster.local/ns/shop/sa/x", "203.0.113.9", "1.2.3.4, , ,", "::1", "fd00::1%eth0", "999.1.1.1", "10.0.0.1/8",
      "10.0.0.1:80", "[::1]:80", "localhost", "0", "-1", "65536", "4294967296", "t3", "x".repeat(70_000),
      "/".repeat(5000), "%", "%zz", "%25%32%65"};

  private static String text(Random random) {
    return TEXTS[random.nextInt(TEXTS.length)];
  }

  private static CheckRequest mutate(CheckRequest seed, Random random) {
    CheckRequest.Builder b = seed.toBuilder();
    AttributeContext.Builder a = b.getAttributesBuilder();
    AttributeContext.HttpRequest.Builder h = a.getRequestBuilder().getHttpBuilder();
    int n = 1 + random.nextInt(4);
    for (int m = 0; m < n; m++) {
      switch (random.nextInt(16)) {
        case 0 -> h.putHeaders(text(random), text(random));
        case 1 -> h.putHeaders(random.nextBoolean() ? ":path" : ":authority", text(random));
        case 2 -> h.setPath(text(random) + (random.nextBoolean() ? "" : text(random)));
        case 3 -> h.setMethod(text(random));
        case 4 -> h.setHost(text(random));
        case 5 -> h.clearHeaders();
        case 6 -> a.clearSource();
        case 7 -> a.clearDestination();
        case 8 -> a.clearRequest();
        case 9 -> a.setSource(a.getSource().toBuilder().setAddress(socket(text(random), random.nextInt())));
        case 10 -> a.setDestination(a.getDestination().toBuilder().setAddress(random.nextBoolean()
            ? socket(text(random), random.nextInt(3) == 0 ? -1 : random.nextInt(70_000))
            : random.nextBoolean()
                ? Address.newBuilder().setPipe(Pipe.newBuilder().setPath(text(random))).build()
                : Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress(text(random))
                    .setNamedPort(text(random))).build()));
        case 11 -> a.setSource(a.getSource().toBuilder().setPrincipal(text(random)));
        case 12 -> a.putContextExtensions(random.nextBoolean() ? "namespace" : "label." + text(random), text(random));
        case 13 -> h.getHeaderMapBuilder().addHeaders(HeaderValue.newBuilder().setKey(text(random))
            .setRawValue(ByteString.copyFrom(randomBytes(random))));
        case 14 -> h.putHeaders("x-jwt", random.nextBoolean()
            ? "Bearer " + text(random) + "." + text(random) + "." + text(random)
            : cut(h.getHeadersOrDefault("x-jwt", "Bearer a.b.c"), random));
        default -> h.setQuery(text(random)).setFragment(text(random)).setSize(random.nextLong());
      }
    }
    return b.build();
  }

  /** A token with a piece cut out or a character changed: a signature, a claim or the base64 broken. */
  private static String cut(String token, Random random) {
    int at = random.nextInt(token.length());
    return random.nextBoolean() ? token.substring(0, at) + token.substring(Math.min(token.length(), at + 1 + random.nextInt(8)))
        : token.substring(0, at) + "!.=_-A".charAt(random.nextInt(6)) + token.substring(at + 1);
  }

  private static byte[] randomBytes(Random random) {
    byte[] b = new byte[random.nextInt(12)];
    random.nextBytes(b);
    return b;
  }

  /** The wire bytes, now and then flipped, cut or grown where a field's bytes are. */
  private static byte[] wire(CheckRequest request, Random random) {
    byte[] b = request.toByteArray();
    if (random.nextInt(4) != 0 || b.length == 0) {
      return b;
    }
    int at = random.nextInt(b.length);
    switch (random.nextInt(3)) {
      case 0 -> b[at] ^= (byte) (1 << random.nextInt(8));
      case 1 -> b = java.util.Arrays.copyOf(b, at);
      default -> b[at] = (byte) random.nextInt(256);
    }
    return b;
  }

  @Test
  void everyMutatedCheckIsDecidedOrRefusedAsInvalidNeverFailedInternally() throws Exception {
    Random random = new Random(SEED);
    List<CheckRequest> seeds = seeds(token.serialize());
    for (int i = 0; i < ITERATIONS; i++) {
      byte[] mutant = wire(mutate(seeds.get(i % seeds.size()), random), random);
      String where = "seed " + Long.toHexString(SEED) + " iteration " + i + ", mutant: "
          + (mutant.length > 3000 ? HexFormat.of().formatHex(mutant, 0, 3000) + "…(" + mutant.length + " bytes)"
              : HexFormat.of().formatHex(mutant));
      CheckResponse response;
      try {
        response = ClientCalls.blockingUnaryCall(channel, CHECK, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS),
            mutant);
      } catch (StatusRuntimeException e) {
        assertThat(e.getStatus().getCode()).as(where + "; " + e.getStatus()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).as(where).startsWith("malformed CheckRequest: ");
        continue;
      }
      assertThat(response.getStatus().getCode()).as(where + "; " + response.getStatus())
          .isIn(Status.Code.OK.value(), Status.Code.PERMISSION_DENIED.value(), Status.Code.UNAUTHENTICATED.value(),
              Status.Code.INVALID_ARGUMENT.value());
      if (response.getStatus().getCode() == Status.Code.INVALID_ARGUMENT.value()) {
        // A request Envoy would refuse itself (e.g. a path its normalisation rejects): denied, saying why.
        assertThat(response.getStatus().getMessage()).as(where).startsWith("bad request: ");
      }
    }
  }
}
