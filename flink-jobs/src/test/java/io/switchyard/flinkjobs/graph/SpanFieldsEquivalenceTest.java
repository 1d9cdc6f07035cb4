package io.switchyard.flinkjobs.graph;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.switchyard.model.v1.SpanRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The one-pass read ({@link SpanFields}) with the edge rules on it ({@link SpanEdges}) against the old
 * path: {@code SpanRecord.parseFrom} and the rules on the parsed message ({@link ProtoSpanEdges}), on
 * random records, records with unknown fields, wrong wire types, repeated fields, attribute maps,
 * non-ASCII and invalid UTF-8 text, truncations and corrupted bytes. Both must reject the same records
 * and, for every record they accept, give the same pairing inputs and the same edges.
 */
class SpanFieldsEquivalenceTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final String[] TEXT = {"", "", "frontend", "svc-7", "payments.prod", "mysql", "orders-db", "kafka", "10.0.0.12",
      "é", "日本", "a-very-long-service-name-that-is-longer-than-sixty-four-characters-for-the-cache-limit"};
  private static final String[] FLAGS = {"UF", "UH,URX", "DC", "é"};
  private static final List<List<String>> PEER_LISTS = List.of(SpanAttributes.KNOWN_PEER_ATTRIBUTES,
      List.of("peer.service", "server.address", "custom.peer"), List.of("custom.peer", "db.name"), List.of());

  @Test
  void theOnePassReadAndItsEdgesEqualTheFullParseOnRandomRecords() throws IOException {
    Random r = new Random(20261126);
    int accepted = 0;
    int rejected = 0;
    int fallback = 0;
    SpanRecord previous = SpanRecord.getDefaultInstance();
    for (int i = 0; i < 10_000; i++) {
      byte[] bytes = record(r);
      SpanRecord old;
      try {
        old = SpanRecord.parseFrom(bytes);
      } catch (InvalidProtocolBufferException e) {
        old = null;
      }
      SpanFields now;
      try {
        now = SpanFields.parse(bytes);
      } catch (InvalidProtocolBufferException e) {
        now = null;
      }
      assertThat(now == null).as("record %d rejected: %s", i, HEX.formatHex(bytes)).isEqualTo(old == null);
      if (old == null) {
        rejected++;
        continue;
      }
      accepted++;
      if (!old.getAttributesMap().isEmpty() || !old.getUnknownFields().asMap().isEmpty()) {
        fallback++;
      }
      assertSame(i, bytes, old, now, previous);
      previous = old;
    }
    assertThat(accepted).isGreaterThan(5_000);
    assertThat(rejected).isGreaterThan(500);
    assertThat(fallback).isGreaterThan(500);
  }

  @Test
  void theAsciiCheckSeesANonAsciiByteAtEveryPlaceOfEveryLength() {
    Random r = new Random(27);
    for (int n = 0; n <= 80; n++) {
      for (int from = 0; from < 9; from++) {
        byte[] b = new byte[from + n + r.nextInt(9)];
        for (int k = 0; k < b.length; k++) {
          b[k] = (byte) (k >= from && k < from + n ? 32 + r.nextInt(95) : 128 + r.nextInt(128)); // outside: never read
        }
        String text = new String(b, from, n, StandardCharsets.US_ASCII);
        assertThat(SpanFields.isAscii(b, from, n)).isTrue();
        assertThat(SpanFields.ascii(b, from, n)).isEqualTo(text);
        for (int at = from; at < from + n; at++) {
          byte kept = b[at];
          b[at] = (byte) (128 + r.nextInt(128));
          assertThat(SpanFields.isAscii(b, from, n)).as("n %d, from %d, at %d", n, from, at).isFalse();
          assertThat(SpanFields.ascii(b, from, n)).as("n %d, from %d, at %d", n, from, at).isNull();
          b[at] = kept;
        }
      }
    }
  }

  @Test
  void cachedNamesWhoseBytesDifferOnlyInTrailingZerosStayApart() {
    // A short name is cached by its bytes read as two words, zero past its length: the length tells "ab" from "ab\0".
    byte[] b = new byte[40];
    b[0] = 'a';
    b[1] = 'b';
    for (int round = 0; round < 2; round++) {
      for (int n = 2; n <= 17; n++) {
        assertThat(SpanFields.ascii(b, 0, n)).as("%d bytes", n).isEqualTo("ab" + "\0".repeat(n - 2));
      }
    }
    assertThat(SpanFields.ascii(b, 0, 2)).isSameAs(SpanFields.ascii(b, 0, 2));
  }

  @Test
  void repeatedNamesComeBackAsOneInstance() throws IOException {
    byte[] a = SpanRecord.newBuilder().setServiceName("checkout").setIstioNamespace("shop").build().toByteArray();
    byte[] b = SpanRecord.newBuilder().setServiceName("checkout").setIstioNamespace("shop").setKindValue(3).build().toByteArray();
    assertThat(SpanFields.parse(a).serviceName).isSameAs(SpanFields.parse(b).serviceName).isEqualTo("checkout");
    assertThat(SpanFields.parse(a).istioNamespace).isSameAs(SpanFields.parse(b).istioNamespace);
  }

  private static void assertSame(int i, byte[] bytes, SpanRecord old, SpanFields now, SpanRecord other) throws IOException {
    String as = "record " + i + ": " + HEX.formatHex(bytes);
    SpanFields otherNow = SpanFields.parse(other.toByteArray());
    assertThat(now.kind).as(as).isEqualTo(old.getKindValue());
    assertThat(now.serviceName).as(as).isEqualTo(old.getServiceName());
    assertThat(now.istioCanonicalService).as(as).isEqualTo(old.getIstioCanonicalService());
    assertThat(now.endTimeUnixNano).as(as).isEqualTo(old.getEndTimeUnixNano());
    assertThat(TraceState.seenKey(now)).as(as).isEqualTo(oldSeenKey(old));
    assertThat(now.spanIdHex()).as(as).isEqualTo(Spans.hex(old.getSpanId()));
    assertThat(!now.hasParent()).as(as).isEqualTo(old.getParentSpanId().isEmpty());
    assertThat(now.parentSpanIdHex()).as(as).isEqualTo(Spans.hex(old.getParentSpanId()));
    // The naming attributes, decoded only when asked for.
    assertThat(now.peerService()).as(as).isEqualTo(old.getPeerService());
    assertThat(now.serverAddress()).as(as).isEqualTo(old.getServerAddress());
    assertThat(now.networkPeerAddress()).as(as).isEqualTo(old.getNetworkPeerAddress());
    assertThat(now.dbName()).as(as).isEqualTo(old.getDbName());
    assertThat(now.messagingDestination()).as(as).isEqualTo(old.getMessagingDestination());
    assertThat(now.upstreamCluster()).as(as).isEqualTo(old.getUpstreamCluster());
    // Links matter to consumers only; a view under one of them is the consumer as the linked span's child.
    assertThat(now.links()).as(as).isEqualTo(old.getKind() == SpanRecord.SpanKind.SPAN_KIND_CONSUMER ? old.getLinksList() : List.of());
    for (SpanRecord.Link link : now.links()) {
      SpanFields view = now.linkedTo(link);
      assertThat(view.parentSpanIdHex()).as(as).isEqualTo(Spans.hex(link.getSpanId()));
      assertThat(view.spanIdHex()).as(as).isEqualTo(now.spanIdHex());
      assertThat(view.waitingUnder(Spans.hex(link.getSpanId())).parentSpanIdHex()).as(as).isIn(now.parentSpanIdHex(),
          Spans.hex(link.getSpanId()));
      assertThat(TraceState.seenKey(view)).as(as).isNotEqualTo(TraceState.seenKey(now)).startsWith(SpanFields.SEEN_LINKED);
      assertThat(SpanEdges.paired(otherNow, view)).as(as)
          .isEqualTo(ProtoSpanEdges.paired(other, old.toBuilder().setParentSpanId(link.getSpanId()).build()));
    }
    for (String attribute : SpanAttributes.KNOWN_PEER_ATTRIBUTES) {
      assertThat(SpanAttributes.get(now, attribute)).as(as).isEqualTo(ProtoSpanEdges.get(old, attribute));
    }
    assertThat(SpanEdges.isClientSide(now.kind)).as(as).isEqualTo(ProtoSpanEdges.isClientSide(old.getKind()));
    assertThat(SpanEdges.isServerSide(now.kind)).as(as).isEqualTo(ProtoSpanEdges.isServerSide(old.getKind()));
    assertThat(SpanEdges.isDatabase(now)).as(as).isEqualTo(ProtoSpanEdges.isDatabase(old));
    assertThat(SpanEdges.database(now)).as(as).isEqualTo(ProtoSpanEdges.database(old));
    assertThat(SpanEdges.rootServer(now)).as(as).isEqualTo(ProtoSpanEdges.rootServer(old));
    for (List<String> peers : PEER_LISTS) {
      assertThat(SpanEdges.unmatchedClient(now, peers)).as(as).isEqualTo(ProtoSpanEdges.unmatchedClient(old, peers));
    }
    assertThat(SpanEdges.paired(now, otherNow)).as(as).isEqualTo(ProtoSpanEdges.paired(old, other));
    assertThat(SpanEdges.paired(otherNow, now)).as(as).isEqualTo(ProtoSpanEdges.paired(other, old));
  }

  private static byte[] oldSeenKey(SpanRecord span) {
    byte[] id = span.getSpanId().toByteArray();
    byte[] k = new byte[id.length + 1];
    k[0] = (byte) span.getKindValue();
    System.arraycopy(id, 0, k, 1, id.length);
    return k;
  }

  /** A random span's bytes, often changed the ways a bad or foreign producer could change them. */
  private static byte[] record(Random r) throws IOException {
    byte[] bytes = randomSpan(r).toByteArray();
    switch (r.nextInt(12)) {
      case 0 -> bytes = concat(bytes, randomSpan(r).toByteArray()); // a merge: the last value of each field wins
      case 1 -> bytes = concat(bytes, Spans.unknownFields(r, 45));
      case 2 -> bytes = concat(Spans.unknownFields(r, 45), bytes);
      case 3 -> bytes = Arrays.copyOf(bytes, r.nextInt(bytes.length + 1)); // truncated
      case 4 -> {
        if (bytes.length > 0) {
          bytes[r.nextInt(bytes.length)] = (byte) r.nextInt(256); // one byte changed
        }
      }
      case 5 -> bytes = concat(bytes, invalidText(r));
      case 6 -> {
        bytes = new byte[r.nextInt(40)];
        r.nextBytes(bytes);
      }
      default -> { }
    }
    return bytes;
  }

  private static SpanRecord randomSpan(Random r) {
    SpanRecord.Builder b = SpanRecord.newBuilder();
    if (r.nextInt(4) > 0) {
      b.setSchemaVersion(r.nextInt(3));
    }
    b.setTraceId(bytes(r, r.nextInt(4) > 0 ? 16 : r.nextInt(20)));
    b.setSpanId(bytes(r, r.nextInt(4) > 0 ? 8 : r.nextInt(12)));
    if (r.nextBoolean()) {
      b.setParentSpanId(bytes(r, r.nextInt(4) > 0 ? 8 : r.nextInt(12)));
    }
    b.setServiceName(text(r)).setServiceNamespace(text(r)).setName(text(r));
    b.setKindValue(r.nextInt(10) == 0 ? r.nextInt(20) - 5 : r.nextInt(6));
    long start = r.nextInt(5) == 0 ? r.nextLong() : 1_767_225_600_000_000_000L + r.nextInt(1_000_000_000);
    long end = r.nextInt(5) == 0 ? r.nextLong() : start + r.nextInt(50_000_000) - 1_000_000;
    // Ingest keeps spans with a missing timestamp (0), as the Collector does.
    int missing = r.nextInt(10);
    b.setStartTimeUnixNano(missing == 0 || missing == 2 ? 0 : start);
    b.setEndTimeUnixNano(missing == 1 || missing == 2 ? 0 : end);
    b.setStatusValue(r.nextInt(10) == 0 ? r.nextInt(100) - 50 : r.nextInt(3));
    double[] probabilities = {0, 1, 0.5, 0.01, 2, -1, Double.NaN, Double.MIN_VALUE, r.nextDouble()};
    b.setSamplingProbability(probabilities[r.nextInt(probabilities.length)]);
    if (r.nextBoolean()) {
      b.setPeerService(text(r)).setServerAddress(text(r)).setNetworkPeerAddress(text(r));
    }
    if (r.nextInt(3) == 0) {
      b.setDbSystem(text(r)).setDbName(text(r));
    }
    if (r.nextInt(3) == 0) {
      b.setMessagingSystem(text(r)).setMessagingDestination(text(r));
    }
    int[] http = {0, 100, 200, 204, 302, 404, 503, 599, 99, 600, -1, r.nextInt()};
    b.setHttpStatusCode(http[r.nextInt(http.length)]).setHttpMethod(text(r)).setHttpRoute(text(r));
    int[] grpc = {-1, 0, 14, 2, 16, 17, Integer.MIN_VALUE, r.nextInt()};
    b.setRpcGrpcStatusCode(grpc[r.nextInt(grpc.length)]);
    b.setIstioWorkload(text(r)).setIstioNamespace(text(r)).setIstioCanonicalService(text(r)).setUpstreamCluster(text(r));
    if (r.nextInt(3) == 0) {
      b.setResponseFlags(FLAGS[r.nextInt(FLAGS.length)]);
    }
    if (r.nextInt(5) == 0) {
      String[] keys = {"rpc.grpc.status_code", "custom.peer", "db.name", "peer.service", "k"};
      for (int i = r.nextInt(3); i >= 0; i--) {
        b.putAttributes(keys[r.nextInt(keys.length)], text(r));
      }
    }
    if (r.nextBoolean()) {
      b.setReceivedUnixNano(r.nextLong());
    }
    if (r.nextInt(6) == 0) {
      for (int i = r.nextInt(4); i >= 0; i--) {
        b.addLinks(SpanRecord.Link.newBuilder().setTraceId(Spans.id(r.nextInt(3), 16)).setSpanId(Spans.id(r.nextInt(3), 8)));
      }
      if (r.nextBoolean()) {
        b.setLinkedTraceId(Spans.id(r.nextInt(3), 16));
      }
    }
    return b.build();
  }

  private static String text(Random r) {
    return TEXT[r.nextInt(TEXT.length)];
  }

  private static ByteString bytes(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return ByteString.copyFrom(b);
  }

  /** A string field whose bytes are not valid UTF-8 (or are, but not ASCII). */
  private static byte[] invalidText(Random r) throws IOException {
    int[] fields = {5, 6, 8, 20, 21, 22, 23, 24, 25, 26, 28, 29, 31, 32, 33, 34, 35};
    byte[][] values = {{(byte) 0xc3, 0x28}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, {(byte) 0xff}, {(byte) 0xc3, (byte) 0xa9},
        {(byte) 0xe2, (byte) 0x82}, {(byte) 0xc0, (byte) 0x80}, "ok".getBytes(StandardCharsets.UTF_8)};
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.writeByteArray(fields[r.nextInt(fields.length)], values[r.nextInt(values.length)]);
    out.flush();
    return bytes.toByteArray();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
