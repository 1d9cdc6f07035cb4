package io.switchyard.extauthz.request;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.Pipe;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The wire reader against the path it replaces: protobuf's parse, then the mapping. On the same bytes both must
 * give equal attributes (headers in the same order), or both reject the bytes.
 */
class CheckRequestWireTest {
  private static final String[] HEADER_NAMES = {":authority", ":method", ":path", ":scheme", "host", "authorization", "cookie",
      "user-agent", "x-forwarded-for", "x-request-id", "x-tenant", "X-Upper", "Accept", "x-b3-traceid", ""};
  private static final String[] TEXTS = {"", "GET", "/cart/42/items?view=full", "/a/../b", "/a%00b", "Bearer abc.def.ghi",
      "caf\u00e9", "\u65e5\u672c\u8a9e", "emoji \ud83d\ude00", "10.1.2.3, 192.168.0.1", "spiffe://cluster.local/ns/shop/sa/cart",
      "cart.shop.svc.cluster.local", "a,b", " padded ", "t3"};

  @Test
  void readsEveryRandomRequestAsProtobufThenTheMappingDo() throws Exception {
    Random random = new Random(42);
    int fast = 0;
    int fastNonAscii = 0;
    int fastDuplicate = 0;
    int fastOverBudget = 0;
    int fallback = 0;
    int rejected = 0;
    for (int i = 0; i < 4000; i++) {
      CheckRequestMapper.Options options = new CheckRequestMapper.Options(PathNormalizer.Mode.BASE, random.nextInt(3),
          "payload", random.nextInt(4) == 0 ? 200 : 64 * 1024);
      boolean duplicate = random.nextInt(4) == 0;
      byte[] wire = wire(random, duplicate);
      switch (random.nextInt(12)) {
        case 0 -> wire = Arrays.copyOf(wire, random.nextInt(wire.length + 1));
        case 1 -> {
          if (wire.length > 0) {
            wire[random.nextInt(wire.length)] = (byte) random.nextInt(256);
          }
        }
        case 2 -> wire = concat(wire, unknownField(random));
        default -> { }
      }
      RequestParts parts = CheckRequestWire.read(wire);
      List<Object> expected;
      try {
        expected = view(new CheckRequestMapper(options).map(CheckRequest.parseFrom(wire)));
      } catch (InvalidProtocolBufferException e) {
        byte[] bad = wire;
        assertThatThrownBy(() -> new CheckRequestMapper(options).map(bad)).isInstanceOf(InvalidProtocolBufferException.class);
        assertThat(parts).as("bytes protobuf rejects are never read fast").isNull();
        rejected++;
        continue;
      }
      assertThat(view(new CheckRequestMapper(options).map(wire))).as("request %d", i).isEqualTo(expected);
      if (parts == null) {
        fallback++;
        continue;
      }
      fast++;
      Map<String, String> headers = parts.headers;
      if (headers.values().stream().anyMatch(v -> v.chars().anyMatch(c -> c >= 0x80))) {
        fastNonAscii++;
      }
      if (duplicate) {
        fastDuplicate++;
      }
      if (options.maxHeaderBytes() == 200 && headers.entrySet().stream().mapToInt(e -> e.getKey().length() + e.getValue().length()).sum() > 200) {
        fastOverBudget++;
      }
    }
    // Both ways must be common, or the comparison proves little.
    assertThat(fast).isGreaterThan(1200);
    assertThat(fallback).isGreaterThan(400);
    assertThat(rejected).isGreaterThan(100);
    assertThat(fastNonAscii).isGreaterThan(100);
    assertThat(fastDuplicate).isGreaterThan(100);
    assertThat(fastOverBudget).isGreaterThan(50);
  }

  @Test
  void readsEnvoysUsualRequestWithoutProtobuf() {
    CheckRequest r = CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setSource(AttributeContext.Peer.newBuilder().setPrincipal("spiffe://cluster.local/ns/web/sa/frontend").setAddress(addr("10.1.2.3", 4000)))
        .setDestination(AttributeContext.Peer.newBuilder().setPrincipal("spiffe://cluster.local/ns/shop/sa/cart").setAddress(addr("10.1.9.9", 8080)))
        .setRequest(AttributeContext.Request.newBuilder().setTime(Timestamp.newBuilder().setSeconds(1_700_000_000).setNanos(5))
            .setHttp(AttributeContext.HttpRequest.newBuilder().setId("id-1").setMethod("GET").setPath("/cart/1").setHost("cart").setScheme("http")
                .setProtocol("HTTP/2").setSize(-1).putHeaders(":path", "/cart/1").putHeaders("user-agent", "curl")))
        .setMetadataContext(Metadata.getDefaultInstance())
        .setTlsSession(AttributeContext.TLSSession.newBuilder().setSni("cart.example"))
        .putContextExtensions("namespace", "shop")).build();
    RequestParts p = CheckRequestWire.read(r.toByteArray());
    assertThat(p).isNotNull();
    assertThat(p.destinationPort).isEqualTo(8080);
    assertThat(p.sni).isEqualTo("cart.example");
    assertThat(p.headers).containsExactly(Map.entry(":path", "/cart/1"), Map.entry("user-agent", "curl"));
  }

  @Test
  void malformedBytesAreProtobufsError() {
    CheckRequestMapper mapper = new CheckRequestMapper(CheckRequestMapper.Options.defaults());
    // Field 1 claims 100 bytes and there are 2.
    assertThatThrownBy(() -> mapper.map(new byte[] {0x0a, 100, 0x0a, 0x00})).isInstanceOf(InvalidProtocolBufferException.class);
    // A header value that is not UTF-8.
    byte[] entry = concat(new byte[] {0x0a, 1, 'a', 0x12, 1}, new byte[] {(byte) 0xff});
    byte[] http = field(3, entry);
    byte[] request = field(2, http);
    byte[] attributes = field(4, request);
    assertThatThrownBy(() -> mapper.map(field(1, attributes))).isInstanceOf(InvalidProtocolBufferException.class);
  }

  /** Every attribute the policies, the cache key and the decision log read. */
  private static List<Object> view(RequestAttributes r) {
    return Arrays.asList(r.http(), r.sourcePrincipal(), r.sourceIp(), r.remoteIp(), r.destinationIp(), r.destinationPort(), r.sni(),
        r.method(), r.host(), r.rawPath(), r.path(), r.query(), r.pathError(), new ArrayList<>(r.headers().entrySet()), r.workload(),
        r.jwtAuthnPayload(), r.filterMetadata(CheckRequestMapper.JWT_AUTHN_FILTER, "payload"), r.filterMetadata("custom", "k"),
        r.requestId());
  }

  private static byte[] wire(Random random, boolean duplicateHeaders) throws IOException {
    AttributeContext.Builder a = AttributeContext.newBuilder();
    if (random.nextInt(5) > 0) {
      a.setSource(peer(random));
    }
    if (random.nextInt(5) > 0) {
      a.setDestination(peer(random));
    }
    if (random.nextInt(4) == 0) {
      a.setTlsSession(AttributeContext.TLSSession.newBuilder().setSni(text(random)));
    }
    int extensions = random.nextInt(5);
    for (int i = 0; i < extensions; i++) {
      String[] keys = {"namespace", "workload", "label.app", "label.version", "label.", "other"};
      a.putContextExtensions(keys[random.nextInt(keys.length)], random.nextBoolean() ? "shop" : text(random));
    }
    switch (random.nextInt(10)) {
      case 0 -> a.setMetadataContext(Metadata.newBuilder().putFilterMetadata(CheckRequestMapper.JWT_AUTHN_FILTER, Struct.newBuilder()
          .putFields("payload", Value.newBuilder().setStructValue(Struct.newBuilder().putFields("sub", Value.newBuilder().setStringValue(text(random)).build())).build())
          .build()));
      case 1 -> a.setMetadataContext(Metadata.getDefaultInstance()).setRouteMetadataContext(Metadata.getDefaultInstance());
      default -> { }
    }
    AttributeContext.HttpRequest.Builder h = null;
    AttributeContext.Request.Builder request = null;
    if (random.nextInt(8) > 0) {
      request = AttributeContext.Request.newBuilder();
      if (random.nextBoolean()) {
        request.setTime(Timestamp.newBuilder().setSeconds(random.nextLong() >>> random.nextInt(64)).setNanos(random.nextInt(1_000_000_000)));
      }
      if (random.nextInt(8) > 0) {
        h = AttributeContext.HttpRequest.newBuilder();
        h.setId(random.nextBoolean() ? text(random) : "").setMethod(random.nextBoolean() ? text(random) : "");
        h.setPath(random.nextBoolean() ? text(random) : "").setHost(random.nextBoolean() ? text(random) : "");
        if (random.nextBoolean()) {
          h.setScheme("https").setProtocol("HTTP/1.1").setQuery(text(random)).setFragment(text(random)).setSize(random.nextLong());
        }
        if (random.nextInt(6) == 0) {
          h.setBody(text(random)).setRawBody(ByteString.copyFrom(new byte[] {(byte) 0xff, 0, 1}));
        }
        if (random.nextInt(8) == 0) {
          h.setHeaderMap(HeaderMap.newBuilder().addHeaders(HeaderValue.newBuilder().setKey("x-tenant").setValue(text(random)))
              .addHeaders(HeaderValue.newBuilder().setKey(":path").setRawValue(ByteString.copyFromUtf8(text(random)))));
        } else {
          int headers = random.nextInt(16);
          for (int i = 0; i < headers; i++) {
            h.putHeaders(HEADER_NAMES[random.nextInt(HEADER_NAMES.length)], value(random));
          }
        }
      }
    }
    if (request == null) {
      return CheckRequest.newBuilder().setAttributes(a).build().toByteArray();
    }
    if (h == null) {
      return CheckRequest.newBuilder().setAttributes(a.setRequest(request)).build().toByteArray();
    }
    // The http request is written by hand so that a header can be sent twice, as protobuf never writes it.
    byte[] http = h.build().toByteArray();
    if (duplicateHeaders) {
      String name = HEADER_NAMES[random.nextInt(HEADER_NAMES.length)];
      http = concat(concat(http, field(3, concat(string(1, name), string(2, value(random))))), field(3, concat(string(1, name), string(2, value(random)))));
    }
    byte[] requestBytes = concat(request.build().toByteArray(), field(2, http));
    return field(1, concat(a.build().toByteArray(), field(4, requestBytes)));
  }

  private static AttributeContext.Peer peer(Random random) {
    AttributeContext.Peer.Builder p = AttributeContext.Peer.newBuilder();
    if (random.nextBoolean()) {
      p.setPrincipal(random.nextBoolean() ? "spiffe://cluster.local/ns/" + text(random) + "/sa/x" : text(random));
    }
    switch (random.nextInt(8)) {
      case 0 -> { }
      case 1 -> p.setAddress(Address.newBuilder().setPipe(Pipe.newBuilder().setPath("/tmp/s")));
      case 2 -> p.setAddress(Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress("10.0.0.1").setNamedPort("http")));
      case 3 -> p.setAddress(Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress("::1").setPortValue(-1)
          .setProtocolValue(random.nextInt(3)).setIpv4Compat(true).setResolverName("r")));
      default -> p.setAddress(addr(random.nextBoolean() ? "10.12.3.4" : text(random), random.nextInt(65536)));
    }
    if (random.nextInt(6) == 0) {
      p.setService("svc").setCertificate("-----BEGIN CERTIFICATE-----").putLabels("app", text(random));
    }
    return p.build();
  }

  private static Address addr(String ip, int port) {
    return Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port)).build();
  }

  private static String text(Random random) {
    return TEXTS[random.nextInt(TEXTS.length)];
  }

  private static String value(Random random) {
    return switch (random.nextInt(10)) {
      case 0 -> "v".repeat(70_000);
      case 1 -> "\u00e9".repeat(300 + random.nextInt(300));
      default -> text(random);
    };
  }

  private static byte[] unknownField(Random random) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    o.writeString(20 + random.nextInt(100), "unknown");
    o.flush();
    return out.toByteArray();
  }

  private static byte[] string(int field, String s) throws IOException {
    return field(field, s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static byte[] field(int field, byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      CodedOutputStream o = CodedOutputStream.newInstance(out);
      o.writeByteArray(field, body);
      o.flush();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toByteArray();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
