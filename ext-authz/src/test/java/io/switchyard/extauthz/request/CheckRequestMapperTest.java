package io.switchyard.extauthz.request;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CheckRequestMapperTest {
  private final CheckRequestMapper mapper = new CheckRequestMapper(CheckRequestMapper.Options.defaults());

  private static Address addr(String ip, int port) {
    return Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port)).build();
  }

  @Test
  void mapsPeersHttpAndContextExtensions() {
    CheckRequest req = CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setSource(AttributeContext.Peer.newBuilder().setAddress(addr("10.0.0.1", 5555)).setPrincipal("spiffe://cluster.local/ns/a/sa/b"))
        .setDestination(AttributeContext.Peer.newBuilder().setAddress(addr("10.0.0.2", 8080)))
        .setRequest(AttributeContext.Request.newBuilder().setHttp(AttributeContext.HttpRequest.newBuilder()
            .setMethod("GET").setHost("Example.com").setPath("/a/../b?x=1").putHeaders("x-user", "alice")))
        .putContextExtensions("namespace", "shop").putContextExtensions("workload", "cart")
        .putContextExtensions("label.app", "cart").putContextExtensions("label.version", "v1")).build();
    RequestAttributes r = mapper.map(req);
    assertThat(r.http()).isTrue();
    assertThat(r.sourceIp()).isEqualTo("10.0.0.1");
    assertThat(r.remoteIp()).isEqualTo("10.0.0.1");
    assertThat(r.destinationPort()).isEqualTo(8080);
    assertThat(r.path()).isEqualTo("/b");
    assertThat(r.query()).isEqualTo("x=1");
    assertThat(r.header("x-user")).isEqualTo("alice");
    assertThat(r.workload()).isEqualTo(new WorkloadRef("shop", "cart", Map.of("app", "cart", "version", "v1")));
  }

  /**
   * Envoy's RBAC sees every header, and Envoy takes up to 8 MiB of them when max_request_headers_kb is raised. A
   * 64 KiB budget used to drop what came after it, so padding ahead of a header hid it from a DENY on it.
   */
  @Test
  void everyHeaderOfARequestWithinTheGrpcMessageLimitIsRead() throws Exception {
    AttributeContext.HttpRequest.Builder http = AttributeContext.HttpRequest.newBuilder().setMethod("GET").setPath("/");
    for (int i = 0; i < 100; i++) {
      http.putHeaders("x-pad-" + i, "p".repeat(1_000));
    }
    http.putHeaders("x-deny-me", "yes");
    CheckRequest req = CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setRequest(AttributeContext.Request.newBuilder().setHttp(http))).build();
    assertThat(mapper.map(req).header("x-deny-me")).isEqualTo("yes");
    assertThat(mapper.map(req.toByteArray()).header("x-deny-me")).isEqualTo("yes");
    assertThat(CheckRequestMapper.Options.defaults().maxHeaderBytes()).isGreaterThanOrEqualTo(4 * 1024 * 1024);
  }

  private static CheckRequest forWorkload(Map<String, String> extensions) {
    return CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder().putAllContextExtensions(extensions)
        .setRequest(AttributeContext.Request.newBuilder().setHttp(AttributeContext.HttpRequest.newBuilder().setPath("/")))).build();
  }

  /** The mapper remembers recent extensions; any difference in a label, name or order must still be seen. */
  @Test
  void rememberedWorkloadsAreReusedOnlyForEqualExtensions() {
    Map<String, String> v1 = new java.util.LinkedHashMap<>(Map.of("namespace", "shop", "workload", "cart"));
    v1.put("label.version", "v1");
    Map<String, String> v2 = new java.util.LinkedHashMap<>(v1);
    v2.put("label.version", "v2");
    Map<String, String> extra = new java.util.LinkedHashMap<>(v1);
    extra.put("label.tier", "gold");
    WorkloadRef first = mapper.map(forWorkload(v1)).workload();
    assertThat(mapper.map(forWorkload(v1)).workload()).isSameAs(first);
    assertThat(mapper.map(forWorkload(v2)).workload().labels()).containsEntry("version", "v2");
    assertThat(mapper.map(forWorkload(v1)).workload().labels()).containsEntry("version", "v1");
    assertThat(mapper.map(forWorkload(extra)).workload().labels()).containsOnlyKeys("version", "tier");
    assertThat(mapper.map(forWorkload(Map.of("namespace", "shop"))).workload()).isEqualTo(new WorkloadRef("shop", null, Map.of()));
    assertThat(mapper.map(forWorkload(Map.of("namespace", "shop", "workload", "cart"))).workload())
        .isEqualTo(new WorkloadRef("shop", "cart", Map.of()));
  }

  @Test
  void workloadNamespaceFallsBackToTheDestinationSpiffeIdentity() {
    CheckRequest req = CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setDestination(AttributeContext.Peer.newBuilder().setPrincipal("spiffe://cluster.local/ns/payments/sa/api"))).build();
    RequestAttributes r = mapper.map(req);
    assertThat(r.workload().namespace()).isEqualTo("payments");
    assertThat(r.http()).isFalse();
  }

  @Test
  void emptyRequestGivesMissingAttributesNotErrors() {
    RequestAttributes r = mapper.map(CheckRequest.getDefaultInstance());
    assertThat(r.sourcePrincipal()).isNull();
    assertThat(r.sourceIp()).isNull();
    assertThat(r.destinationPort()).isEqualTo(-1);
    assertThat(r.workload()).isEqualTo(WorkloadRef.UNKNOWN);
  }

  @Test
  void rawHeaderMapIsUsedAndDuplicatesAreJoined() {
    CheckRequest req = CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setRequest(AttributeContext.Request.newBuilder().setHttp(AttributeContext.HttpRequest.newBuilder()
            .setMethod("GET").setPath("/").setHeaderMap(HeaderMap.newBuilder()
                .addHeaders(HeaderValue.newBuilder().setKey("x-a").setRawValue(ByteString.copyFromUtf8("1")))
                .addHeaders(HeaderValue.newBuilder().setKey("x-a").setRawValue(ByteString.copyFrom(new byte[] {(byte) 0xff})))
                .addHeaders(HeaderValue.newBuilder().setKey(":authority").setRawValue(ByteString.copyFromUtf8("h.example")))))))
        .build();
    RequestAttributes r = mapper.map(req);
    assertThat(r.header("x-a")).startsWith("1,");
    assertThat(r.host()).isEqualTo("h.example");
  }

  @Test
  void remoteIpComesFromXffWithTrustedProxies() {
    CheckRequestMapper withProxies = new CheckRequestMapper(new CheckRequestMapper.Options(PathNormalizer.Mode.BASE, 2, "payload", 65536));
    CheckRequest req = CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setSource(AttributeContext.Peer.newBuilder().setAddress(addr("10.0.0.9", 1)))
        .setRequest(AttributeContext.Request.newBuilder().setHttp(AttributeContext.HttpRequest.newBuilder()
            .setMethod("GET").setPath("/").putHeaders("x-forwarded-for", "1.1.1.1, 2.2.2.2, 3.3.3.3")))).build();
    assertThat(withProxies.map(req).remoteIp()).isEqualTo("2.2.2.2");
    assertThat(withProxies.map(req).sourceIp()).isEqualTo("10.0.0.9");
  }

  @Test
  void jwtAuthnPayloadIsReadFromMetadata() {
    Struct payload = Struct.newBuilder().putFields("iss", Value.newBuilder().setStringValue("https://idp").build())
        .putFields("sub", Value.newBuilder().setStringValue("u1").build())
        .putFields("exp", Value.newBuilder().setNumberValue(1.7e9).build()).build();
    CheckRequest req = CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setMetadataContext(Metadata.newBuilder().putFilterMetadata(CheckRequestMapper.JWT_AUTHN_FILTER,
            Struct.newBuilder().putFields("payload", Value.newBuilder().setStructValue(payload).build()).build()))).build();
    Map<String, Object> claims = mapper.map(req).jwtAuthnPayload();
    assertThat(claims).containsEntry("iss", "https://idp").containsEntry("sub", "u1").containsEntry("exp", 1_700_000_000L);
  }

  @Test
  void oversizedHeadersAreCutNotFatal() {
    CheckRequestMapper small = new CheckRequestMapper(new CheckRequestMapper.Options(PathNormalizer.Mode.BASE, 0, "payload", 100));
    CheckRequest req = CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setRequest(AttributeContext.Request.newBuilder().setHttp(AttributeContext.HttpRequest.newBuilder()
            .setMethod("GET").setPath("/").putHeaders("x-big", "x".repeat(10_000))))).build();
    assertThat(small.map(req).header("x-big")).isNull();
  }

  /** Envoy's CheckRequest for a plain CONNECT carries http.path "" and no :path header: a request without a path. */
  @Test
  void aConnectWithoutPathMapsToARequestWithoutPathNotToAnError() throws Exception {
    CheckRequest req = CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setRequest(AttributeContext.Request.newBuilder().setHttp(AttributeContext.HttpRequest.newBuilder()
            .setMethod("CONNECT").setHost("example.com:443").putHeaders(":authority", "example.com:443").putHeaders(":method", "CONNECT"))))
        .build();
    for (RequestAttributes r : new RequestAttributes[] {mapper.map(req), mapper.map(req.toByteArray())}) {
      assertThat(r.pathError()).isNull();
      assertThat(r.path()).isNull();
      assertThat(r.header(":path")).isNull();
      assertThat(r.method()).isEqualTo("CONNECT");
    }
  }
}
