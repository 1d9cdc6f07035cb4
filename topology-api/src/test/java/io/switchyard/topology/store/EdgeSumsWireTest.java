package io.switchyard.topology.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import io.switchyard.model.LatencyBuckets;
import io.switchyard.model.v1.CodeCount;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.LatencyHistogram;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.TelemetrySource;
import java.util.Random;
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

  @Test
  void decodingAndEncodingGiveBackTheGeneratedParsersRecordOnRandomRecords() throws Exception {
    Random random = new Random(17);
    for (int i = 0; i < 500; i++) {
      EdgeAggregate.Builder b = EdgeAggregate.newBuilder()
          .setSchemaVersion(1)
          .setClient(NodeRef.newBuilder().setName("c" + random.nextInt(50)).setNamespace("ns"))
          .setServer(NodeRef.newBuilder().setName("s" + random.nextInt(50)).setWorkload("w"))
          .setSource(random.nextBoolean() ? TelemetrySource.TELEMETRY_SOURCE_MESH : TelemetrySource.TELEMETRY_SOURCE_TRACE)
          .setProtocol(random.nextBoolean() ? "http" : "grpc")
          .setWindowStartUnixMs(random.nextLong() >>> 20)
          .setWindowEndUnixMs(random.nextLong() >>> 20)
          .setRequestCount(random.nextInt(10_000))
          .setFailedCount(random.nextInt(100))
          .setEmittedUnixMs(random.nextLong() >>> 20);
      if (random.nextInt(4) > 0) {
        b.setServerLatency(histogram(random));
      }
      if (random.nextInt(4) > 0) {
        b.setClientLatency(histogram(random));
      }
      for (int c = random.nextInt(4); c > 0; c--) {
        b.addResponses(CodeCount.newBuilder().setCode(c + "xx").setCount(random.nextInt(1000)));
      }
      for (int f = random.nextInt(3); f > 0; f--) {
        b.addResponseFlags(CodeCount.newBuilder().setCode("UF" + f).setCount(random.nextInt(10)));
      }
      EdgeAggregate e = b.build();
      EdgeSums sums = EdgeSums.parse(e.toByteArray());
      assertThat(sums.requests).isEqualTo(e.getRequestCount());
      assertThat(sums.windowStart).isEqualTo(e.getWindowStartUnixMs());
      if (e.hasServerLatency()) {
        assertThat(sums.server[LatencyBuckets.COUNT - 1]).isEqualTo(e.getServerLatency().getBucketCounts(LatencyBuckets.COUNT - 1));
        assertThat(sums.server[LatencyBuckets.COUNT + 1]).isEqualTo(e.getServerLatency().getCount());
      }
      assertThat(EdgeAggregate.parseFrom(sums.encode())).isEqualTo(e);
    }
  }

  private static LatencyHistogram histogram(Random random) {
    LatencyHistogram.Builder h = LatencyBuckets.emptyHistogram();
    for (int k = random.nextInt(6); k > 0; k--) {
      LatencyBuckets.observe(h, random.nextDouble() * 3, 1 + random.nextInt(500));
    }
    return h.build();
  }
}
