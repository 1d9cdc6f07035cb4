package io.switchyard.ratelimit.limiter;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.UInt64Value;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.type.v3.RateLimitUnit;
import org.junit.jupiter.api.Test;

class ResponseMetadataTest {
  private static Value str(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  private static Value struct(Struct s) {
    return Value.newBuilder().setStructValue(s).build();
  }

  @Test
  void mergeKeepsTheFirstValueOfAKeyAndMergesNestedStructs() {
    Struct.Builder dest = Struct.newBuilder();
    ResponseMetadata.mergeKeepingFirst(dest, Struct.newBuilder().putFields("team", str("payments"))
        .putFields("labels", struct(Struct.newBuilder().putFields("tier", str("gold")).build())).build());
    ResponseMetadata.mergeKeepingFirst(dest, Struct.newBuilder().putFields("team", str("search"))
        .putFields("owner", str("ana"))
        .putFields("labels", struct(Struct.newBuilder().putFields("tier", str("silver"))
            .putFields("region", str("eu")).build())).build());
    assertThat(dest.getFieldsOrThrow("team").getStringValue()).isEqualTo("payments");
    assertThat(dest.getFieldsOrThrow("owner").getStringValue()).isEqualTo("ana");
    Struct labels = dest.getFieldsOrThrow("labels").getStructValue();
    assertThat(labels.getFieldsOrThrow("tier").getStringValue()).isEqualTo("gold");
    assertThat(labels.getFieldsOrThrow("region").getStringValue()).isEqualTo("eu");
  }

  @Test
  void descriptorsCarryTheirEntriesOverrideAndHitsAddend() {
    RateLimitRequest request = RateLimitRequest.newBuilder().setDomain("edge").setHitsAddend(3)
        .addDescriptors(RateLimitDescriptor.newBuilder()
            .addEntries(RateLimitDescriptor.Entry.newBuilder().setKey("remote_address").setValue("10.0.0.1"))
            .addEntries(RateLimitDescriptor.Entry.newBuilder().setKey("path").setValue("/a"))
            .setLimit(RateLimitDescriptor.RateLimitOverride.newBuilder().setRequestsPerUnit(5)
                .setUnit(RateLimitUnit.SECOND))
            .setHitsAddend(UInt64Value.of(2)))
        .build();
    Struct m = ResponseMetadata.of(request, null);
    assertThat(m.getFieldsOrThrow("domain").getStringValue()).isEqualTo("edge");
    assertThat(m.getFieldsOrThrow("hitsAddend").getNumberValue()).isEqualTo(3);
    assertThat(m.containsFields("metadata")).isFalse();
    Struct d = m.getFieldsOrThrow("descriptors").getListValue().getValues(0).getStructValue();
    assertThat(d.getFieldsOrThrow("entries").getListValue().getValuesList()).extracting(Value::getStringValue)
        .containsExactly("remote_address=10.0.0.1", "path=/a");
    assertThat(d.getFieldsOrThrow("limit").getStringValue()).isEqualTo("requests_per_unit:5 unit:SECOND");
    assertThat(d.getFieldsOrThrow("hitsAddend").getNumberValue()).isEqualTo(2);
  }

  @Test
  void anOverrideOfZeroRequestsLeavesTheZeroOutOfItsTextAsProtobufTextFormatDoes() {
    // src/service/ratelimit.go descriptorToStruct writes descriptor.Limit.String(), Go's text format, which omits a
    // proto3 field holding its zero value.
    RateLimitRequest request = RateLimitRequest.newBuilder().setDomain("edge")
        .addDescriptors(RateLimitDescriptor.newBuilder()
            .addEntries(RateLimitDescriptor.Entry.newBuilder().setKey("k").setValue("v"))
            .setLimit(RateLimitDescriptor.RateLimitOverride.newBuilder().setRequestsPerUnit(0)
                .setUnit(RateLimitUnit.MINUTE)))
        .build();
    Struct d = ResponseMetadata.of(request, null).getFieldsOrThrow("descriptors").getListValue().getValues(0)
        .getStructValue();
    assertThat(d.getFieldsOrThrow("limit").getStringValue()).isEqualTo("unit:MINUTE");
  }
}
