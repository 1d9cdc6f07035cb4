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
    assertThat(d.findFieldByName("messaging_latency").getNumber()).isEqualTo(EdgeSums.MESSAGING_LATENCY);
    assertThat(d.findFieldByName("response_codes").getNumber()).isEqualTo(EdgeSums.RESPONSE_CODES);
    assertThat(d.findFieldByName("sent_bytes").getNumber()).isEqualTo(EdgeSums.SENT_BYTES);
    assertThat(d.findFieldByName("received_bytes").getNumber()).isEqualTo(EdgeSums.RECEIVED_BYTES);
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
      if (random.nextInt(3) == 0) {
        b.setConnectionType("messaging_system").setMessagingLatency(histogram(random));
      }
      for (int c = random.nextInt(4); c > 0; c--) {
        b.addResponses(CodeCount.newBuilder().setCode(c + "xx").setCount(random.nextInt(1000)));
      }
      for (int f = random.nextInt(3); f > 0; f--) {
        b.addResponseFlags(CodeCount.newBuilder().setCode("UF" + f).setCount(random.nextInt(10)));
      }
      for (int c = random.nextInt(4); c > 0; c--) {
        b.addResponseCodes(CodeCount.newBuilder().setCode(Integer.toString(200 + 101 * c)).setCount(random.nextInt(1000)));
      }
      if (random.nextBoolean()) {
        b.setSentBytes(random.nextInt(1 << 30)).setReceivedBytes(random.nextInt(3) == 0 ? 0 : random.nextInt(1 << 20));
      }
      EdgeAggregate e = b.build();
      EdgeSums sums = EdgeSums.parse(e.toByteArray());
      assertThat(sums.requests).isEqualTo(e.getRequestCount());
      assertThat(sums.windowStart).isEqualTo(e.getWindowStartUnixMs());
      if (e.hasServerLatency()) {
        assertThat(sums.server()[LatencyBuckets.COUNT - 1]).isEqualTo(e.getServerLatency().getBucketCounts(LatencyBuckets.COUNT - 1));
        assertThat(sums.server()[LatencyBuckets.COUNT + 1]).isEqualTo(e.getServerLatency().getCount());
      }
      if (e.hasMessagingLatency()) {
        assertThat(sums.messaging()[LatencyBuckets.COUNT + 1]).isEqualTo(e.getMessagingLatency().getCount());
      } else {
        assertThat(sums.messaging()).isNull();
      }
      assertThat(EdgeAggregate.parseFrom(sums.encode())).isEqualTo(e);
      // Histograms left in the record's bytes add up as the decoded arrays do.
      EdgeSums decoded = EdgeSums.decode(e.toByteArray());
      EdgeSums viaBytes = EdgeSums.emptyLike(decoded, 0, 1);
      EdgeSums viaArrays = EdgeSums.emptyLike(decoded, 0, 1);
      viaBytes.add(sums, 1);
      viaBytes.add(sums, 1);
      viaBytes.add(sums, -1);
      viaArrays.add(decoded, 1);
      viaArrays.add(decoded, 1);
      viaArrays.add(decoded, -1);
      assertThat(viaBytes.encode()).isEqualTo(viaArrays.encode());
    }
  }

  @Test
  void headerFieldsRepeatedOrOutOfOrderAndCodesOfAnyNameSurviveDecodingAndEncoding() throws Exception {
    Random random = new Random(29);
    for (int i = 0; i < 500; i++) {
      EdgeAggregate.Builder b = EdgeAggregate.newBuilder()
          .setClient(NodeRef.newBuilder().setName("c" + random.nextInt(50)))
          .setWindowStartUnixMs(random.nextLong() >>> 20)
          .setRequestCount(random.nextInt(10_000));
      for (int c = random.nextInt(5); c > 0; c--) {
        // Names seen before, new ones, non-ASCII ones and the empty one.
        String code = switch (random.nextInt(4)) {
          case 0 -> "";
          case 1 -> "\u00e9" + random.nextInt(1000);
          case 2 -> "x" + random.nextInt(2000);
          default -> c + "xx";
        };
        // A record names each code once (the sums add up repeats).
        if (b.getResponsesList().stream().noneMatch(r -> r.getCode().equals(code))) {
          b.addResponses(CodeCount.newBuilder().setCode(code).setCount(random.nextInt(1000)));
        }
      }
      java.io.ByteArrayOutputStream wire = new java.io.ByteArrayOutputStream();
      b.build().writeTo(wire);
      // Header fields written again after the figures (a later field of the same number merges or wins).
      for (int extra = random.nextInt(8); extra > 0; extra--) {
        EdgeAggregate.Builder h = EdgeAggregate.newBuilder();
        switch (random.nextInt(5)) {
          case 0 -> h.setSchemaVersion(1 + random.nextInt(3));
          case 1 -> h.setClient(NodeRef.newBuilder().setNamespace("n" + random.nextInt(9)));
          case 2 -> h.setServer(NodeRef.newBuilder().setName("s" + random.nextInt(9)).setVersion("v"));
          case 3 -> h.setProtocol(random.nextBoolean() ? "grpc" : "tcp");
          default -> h.setConnectionType(random.nextBoolean() ? "database" : "virtual_node");
        }
        h.build().writeTo(wire);
      }
      byte[] bytes = wire.toByteArray();
      assertThat(EdgeAggregate.parseFrom(EdgeSums.parse(bytes).encode())).isEqualTo(EdgeAggregate.parseFrom(bytes));
    }
  }

  @Test
  void bucketsSplitOverPackedRunsOrUnpackedReadAsOneRun() throws Exception {
    Random random = new Random(31);
    for (int i = 0; i < 200; i++) {
      int n = LatencyBuckets.COUNT;
      double[] buckets = new double[n];
      for (int b = 0; b < n; b++) {
        buckets[b] = random.nextInt(4) == 0 ? random.nextInt(100) : 0;
      }
      java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
      com.google.protobuf.CodedOutputStream h = com.google.protobuf.CodedOutputStream.newInstance(body);
      int split = random.nextInt(n + 1);
      boolean unpacked = random.nextBoolean();
      if (unpacked) {
        for (double d : buckets) {
          h.writeDouble(1, d);
        }
      } else {
        for (int[] run : new int[][] {{0, split}, {split, n}}) {
          h.writeTag(1, com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED);
          h.writeUInt32NoTag(8 * (run[1] - run[0]));
          for (int b = run[0]; b < run[1]; b++) {
            h.writeDoubleNoTag(buckets[b]);
          }
        }
      }
      h.writeDouble(2, random.nextDouble());
      h.writeDouble(3, random.nextInt(1000));
      h.flush();
      java.io.ByteArrayOutputStream wire = new java.io.ByteArrayOutputStream();
      com.google.protobuf.CodedOutputStream w = com.google.protobuf.CodedOutputStream.newInstance(wire);
      w.writeFixed64(6, 60_000L * i);
      w.writeByteArray(new int[] {10, 11, 16}[random.nextInt(3)], body.toByteArray());
      w.flush();
      byte[] bytes = wire.toByteArray();
      assertThat(EdgeAggregate.parseFrom(EdgeSums.parse(bytes).encode())).isEqualTo(EdgeAggregate.parseFrom(bytes));
      assertThat(EdgeSums.parse(bytes).encode()).isEqualTo(EdgeSums.decode(bytes).encode());
    }
  }

  @Test
  void aResponseCodeThatIsNotUtf8IsRefused() {
    byte[] bytes = EdgeAggregate.newBuilder().addResponses(CodeCount.newBuilder().setCode("2xx").setCount(1)).build().toByteArray();
    // The code's first byte, 0x32 ('2'), becomes a lone continuation byte.
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == '2') {
        bytes[i] = (byte) 0x80;
        break;
      }
    }
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> EdgeSums.parse(bytes))
        .isInstanceOf(com.google.protobuf.InvalidProtocolBufferException.class);
  }

  private static LatencyHistogram histogram(Random random) {
    LatencyHistogram.Builder h = LatencyBuckets.emptyHistogram();
    for (int k = random.nextInt(6); k > 0; k--) {
      LatencyBuckets.observe(h, random.nextDouble() * 3, 1 + random.nextInt(500));
    }
    return h.build();
  }
}
