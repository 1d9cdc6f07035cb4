package io.switchyard.topology.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import io.switchyard.model.v1.EdgeAggregate;
import org.junit.jupiter.api.Test;

/** EdgeSums reads the wire format by field number; these must follow the model's proto. */
class EdgeSumsWireTest {

  @Test
  void fieldNumbersAreTheModelsOwn() {
    Descriptor d = EdgeAggregate.getDescriptor();
    assertThat(d.findFieldByName("schema_version").getNumber()).isEqualTo(EdgeSums.SCHEMA);
    assertThat(d.findFieldByName("client").getNumber()).isEqualTo(EdgeSums.CLIENT);
    assertThat(d.findFieldByName("server").getNumber()).isEqualTo(EdgeSums.SERVER);
    assertThat(d.findFieldByName("source").getNumber()).isEqualTo(EdgeSums.SOURCE);
    assertThat(d.findFieldByName("connection_type").getNumber()).isEqualTo(EdgeSums.CONNECTION_TYPE);
    assertThat(d.findFieldByName("window_start_unix_ms").getNumber()).isEqualTo(EdgeSums.WINDOW_START);
    assertThat(d.findFieldByName("window_end_unix_ms").getNumber()).isEqualTo(EdgeSums.WINDOW_END);
    assertThat(d.findFieldByName("request_count").getNumber()).isEqualTo(EdgeSums.REQUESTS);
    assertThat(d.findFieldByName("failed_count").getNumber()).isEqualTo(EdgeSums.FAILED);
    assertThat(d.findFieldByName("client_latency").getNumber()).isEqualTo(EdgeSums.CLIENT_LATENCY);
    assertThat(d.findFieldByName("server_latency").getNumber()).isEqualTo(EdgeSums.SERVER_LATENCY);
    assertThat(d.findFieldByName("responses").getNumber()).isEqualTo(EdgeSums.RESPONSES);
    assertThat(d.findFieldByName("response_flags").getNumber()).isEqualTo(EdgeSums.RESPONSE_FLAGS);
    assertThat(d.findFieldByName("protocol").getNumber()).isEqualTo(EdgeSums.PROTOCOL);
    assertThat(d.findFieldByName("emitted_unix_ms").getNumber()).isEqualTo(EdgeSums.EMITTED);
  }

  @Test
  void theRollupMinuteCountUsesANumberNoModelFieldHas() {
    assertThat(EdgeAggregate.getDescriptor().findFieldByNumber(EdgeSums.MINUTES)).isNull();
    assertThat(EdgeAggregate.getDescriptor().toProto().getReservedRangeList())
        .anySatisfy(r -> assertThat(EdgeSums.MINUTES).isBetween(r.getStart(), r.getEnd() - 1));
  }
}
