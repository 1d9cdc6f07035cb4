package io.switchyard.extauthz.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.rpc.Code;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.type.v3.StatusCode;
import org.junit.jupiter.api.Test;

class CheckResponsesTest {
  @Test
  void aFailedClosedCheckIsA503WhoseMetadataHasOnlyTheDecisionIdAndResult() {
    CheckResponse r = new CheckResponses(new CheckResponses.Options(false, true))
        .internalError("0123456789abcdef-0000000000000001", "deadline").message();

    assertThat(r.getStatus().getCode()).isEqualTo(Code.UNAVAILABLE_VALUE);
    assertThat(r.getStatus().getMessage()).isEqualTo("deadline");
    assertThat(r.getDeniedResponse().getStatus().getCode()).isEqualTo(StatusCode.ServiceUnavailable);
    assertThat(r.getDeniedResponse().getBody()).isEqualTo("ext_authz error");
    // No decision was made, so there is no policy revision, matched policy or rule to report.
    assertThat(r.getDynamicMetadata()).isEqualTo(Struct.newBuilder()
        .putFields("result", Value.newBuilder().setStringValue("error").build())
        .putFields("decision_id", Value.newBuilder().setStringValue("0123456789abcdef-0000000000000001").build())
        .build());
  }
}
