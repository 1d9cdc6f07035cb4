package io.switchyard.extauthz.request;

import static io.switchyard.extauthz.request.RandomCheckRequests.addr;
import static io.switchyard.extauthz.request.RandomCheckRequests.concat;
import static io.switchyard.extauthz.request.RandomCheckRequests.field;
import static io.switchyard.extauthz.request.RandomCheckRequests.unknownField;
import static io.switchyard.extauthz.request.RandomCheckRequests.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
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
  @Test
  void readsEveryRandomRequestAsProtobufThenTheMappingDo() throws Exception {
    Random random = new Random(42);
    int fast = 0;
    int fastNonAscii = 0;
    int fastDuplicate = 0;
    int fastOverBudget = 0;
    int fallback = 0;
    int rejected = 0;
    int copied = 0;
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
      RequestAttributes read = new CheckRequestMapper(options).map(wire);
      assertThat(view(read)).as("request %d", i).isEqualTo(expected);
      if (read.headerEntries() != null) {
        assertThat(parts).isNotNull();
        copied++;
      }
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
    assertThat(copied).isGreaterThan(100);
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

  /** Recently read strings are reused only for equal bytes: same length, head and tail must not be enough. */
  @Test
  void stringsAlikeAtBothEndsAreReadApart() {
    CheckRequestMapper mapper = new CheckRequestMapper(CheckRequestMapper.Options.defaults());
    for (String middle : new String[] {"1111", "2222", "1111", "\u00e9\u00e9", "3333"}) {
      String value = "abcd" + middle + "wxyz";
      CheckRequest r = CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder().setRequest(AttributeContext.Request.newBuilder()
          .setHttp(AttributeContext.HttpRequest.newBuilder().setPath("/").putHeaders("x-v", value)))).build();
      assertThat(CheckRequestWire.read(r.toByteArray()).headers).containsExactly(Map.entry("x-v", value));
    }
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
}
