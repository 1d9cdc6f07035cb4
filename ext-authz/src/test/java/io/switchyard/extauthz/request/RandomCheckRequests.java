package io.switchyard.extauthz.request;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
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
import java.util.Arrays;
import java.util.Random;

/**
 * Random CheckRequests as wire bytes, over what Envoy sends and what it might: unicode, pseudo-headers, upper-case and
 * repeated names, huge values, header_map instead of headers, metadata, named ports and pipes, unknown fields.
 */
public final class RandomCheckRequests {
  private RandomCheckRequests() {}

  private static final String[] HEADER_NAMES = {":authority", ":method", ":path", ":scheme", "host", "authorization", "cookie",
      "user-agent", "x-forwarded-for", "x-request-id", "x-tenant", "X-Upper", "Accept", "x-b3-traceid", ""};
  private static final String[] TEXTS = {"", "GET", "/cart/42/items?view=full", "/a/../b", "/a%00b", "Bearer abc.def.ghi",
      "caf\u00e9", "\u65e5\u672c\u8a9e", "emoji \ud83d\ude00", "10.1.2.3, 192.168.0.1", "spiffe://cluster.local/ns/shop/sa/cart",
      "cart.shop.svc.cluster.local", "a,b", " padded ", "t3"};

  /** A serialised CheckRequest; with {@code duplicateHeaders}, one header name is sent twice more. */
  public static byte[] wire(Random random, boolean duplicateHeaders) throws IOException {
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

  static Address addr(String ip, int port) {
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

  public static byte[] unknownField(Random random) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    o.writeString(20 + random.nextInt(100), "unknown");
    o.flush();
    return out.toByteArray();
  }

  private static byte[] string(int field, String s) throws IOException {
    return field(field, s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  public static byte[] field(int field, byte[] body) {
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

  public static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
