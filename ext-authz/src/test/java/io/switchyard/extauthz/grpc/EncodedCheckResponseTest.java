package io.switchyard.extauthz.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.rpc.Status;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.auth.v3.OkHttpResponse;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EncodedCheckResponseTest {
  static Value str(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  @Test
  void splicedIdGivesTheSameMessageAsBuildingItWhole() throws Exception {
    CheckResponse fixed = CheckResponse.newBuilder().setStatus(Status.newBuilder().setCode(0))
        .setOkResponse(OkHttpResponse.newBuilder().addHeaders(HeaderValueOption.newBuilder()
            .setHeader(HeaderValue.newBuilder().setKey("x-user").setValue("alice"))).addHeadersToRemove("authorization"))
        .build();
    Struct meta = Struct.newBuilder().putFields("result", str("allow")).putFields("matched_policy", str("shop/cart-read"))
        .putFields("matched_rule", Value.newBuilder().setNumberValue(0).build()).build();
    // Long ids need multi-byte lengths: the splice must encode them like protobuf does.
    for (String id : new String[] {"a", "0123456789abcdef-0000000000000001", "x".repeat(300)}) {
      CheckResponse expected = fixed.toBuilder().setDynamicMetadata(meta.toBuilder().putFields("decision_id", str(id))).build();
      EncodedCheckResponse encoded = new EncodedCheckResponse.Template(fixed, meta).withDecisionId(id);
      assertThat(encoded.message()).isEqualTo(expected);
      assertThat(encoded.bytes()).hasSize(expected.getSerializedSize());
    }
  }

  @Test
  void emptyMetadataStillCarriesTheId() {
    CheckResponse fixed = CheckResponse.newBuilder().setStatus(Status.newBuilder().setCode(7)).build();
    CheckResponse r = new EncodedCheckResponse.Template(fixed, Struct.getDefaultInstance()).withDecisionId("id-1").message();
    assertThat(r.getStatus().getCode()).isEqualTo(7);
    assertThat(r.getDynamicMetadata().getFieldsMap()).containsOnlyKeys("decision_id");
    assertThat(r.getDynamicMetadata().getFieldsOrThrow("decision_id").getStringValue()).isEqualTo("id-1");
  }

  @Test
  void marshallerDrainsTheBytesGrpcFramesAndParsesThemBack() throws Exception {
    EncodedCheckResponse e = new EncodedCheckResponse.Template(CheckResponse.getDefaultInstance(),
        Struct.newBuilder().putFields("result", str("deny")).build()).withDecisionId("id-2");
    InputStream in = EncodedCheckResponse.MARSHALLER.stream(e);
    assertThat(in).isInstanceOf(KnownLength.class).isInstanceOf(Drainable.class);
    assertThat(in.available()).isEqualTo(e.bytes().length);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(((Drainable) in).drainTo(out)).isEqualTo(e.bytes().length);
    assertThat(out.toByteArray()).isEqualTo(e.bytes());
    assertThat(in.available()).isZero();
    assertThat(EncodedCheckResponse.MARSHALLER.parse(new java.io.ByteArrayInputStream(out.toByteArray())).message()).isEqualTo(e.message());
    // A plain reader gets the same bytes.
    assertThat(EncodedCheckResponse.MARSHALLER.stream(e).readAllBytes()).isEqualTo(e.bytes());
  }

  @Test
  void decisionIdsAreUniqueFixedWidthAndKeepTheProcessPrefix() {
    DecisionIds ids = new DecisionIds(0x1234L);
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      String id = ids.next();
      assertThat(id).matches("0000000000001234-[0-9a-f]{16}");
      assertThat(seen.add(id)).isTrue();
    }
    assertThat(new DecisionIds().next()).matches("[0-9a-f]{16}-0000000000000001");
  }
}
