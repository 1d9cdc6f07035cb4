package io.switchyard.ingest.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.switchyard.model.v1.SpanRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class LinkCopiesTest {
  private static ByteString id(int v, int bytes) {
    byte[] b = new byte[bytes];
    b[bytes - 1] = (byte) v;
    b[0] = 1;
    return ByteString.copyFrom(b);
  }

  private static SpanRecord.Link link(int trace, int span) {
    return SpanRecord.Link.newBuilder().setTraceId(id(trace, 16)).setSpanId(id(span, 8)).build();
  }

  private static SpanRecord consumer(SpanRecord.Link... links) {
    return SpanRecord.newBuilder().setSchemaVersion(1).setTraceId(id(9, 16)).setSpanId(id(90, 8)).setServiceName("billing")
        .setKind(SpanRecord.SpanKind.SPAN_KIND_CONSUMER).addAllLinks(List.of(links)).setReceivedUnixNano(7).build();
  }

  @Test
  void oneCopyPerOtherLinkedTraceKeyedAndNamedByItAndOtherwiseTheSameSpan() throws Exception {
    SpanRecord r = consumer(link(1, 10), link(9, 11), link(2, 20), link(1, 12));
    byte[] value = r.toByteArray();
    List<WireSpanMapper.Encoded> out = new ArrayList<>();
    LinkCopies.add(r, value, out);

    assertThat(out).hasSize(2); // traces 1 and 2; the link into its own trace 9 needs no copy, trace 1 is copied once
    assertThat(out).allSatisfy(c -> assertThat(c.linkCopy()).isTrue());
    for (int i = 0; i < 2; i++) {
      ByteString trace = id(i + 1, 16);
      WireSpanMapper.Encoded copy = out.get(i);
      assertThat(new String(copy.key(), StandardCharsets.US_ASCII)).isEqualTo(HexFormat.of().formatHex(trace.toByteArray()));
      // Only the links into that trace: the bytes protobuf gives for the record rebuilt so.
      SpanRecord expected = r.toBuilder().clearLinks()
          .addAllLinks(r.getLinksList().stream().filter(l -> l.getTraceId().equals(trace)).toList())
          .setLinkedTraceId(trace).build();
      assertThat(SpanRecord.parseFrom(copy.value())).isEqualTo(expected);
      assertThat(copy.value()).isEqualTo(expected.toByteArray());
    }
    assertThat(SpanRecord.parseFrom(out.get(0).value()).getLinksCount()).isEqualTo(2);
  }

  @Test
  void aCopyKeepsEveryOtherFieldWhereverItSitsInTheRecord() throws Exception {
    SpanRecord r = consumer(link(1, 10), link(2, 20)).toBuilder().setResponseFlags("UF").putAttributes("k", "v").build();
    List<WireSpanMapper.Encoded> out = new ArrayList<>();
    LinkCopies.add(r, r.toByteArray(), out);
    SpanRecord expected = r.toBuilder().clearLinks().addLinks(link(2, 20)).setLinkedTraceId(id(2, 16)).build();
    assertThat(out.get(1).value()).isEqualTo(expected.toByteArray()); // field 37 between 36 and 40
  }

  @Test
  void aSpanLinkingOnlyItsOwnTraceOrNothingHasNoCopies() {
    for (SpanRecord r : List.of(consumer(), consumer(link(9, 11), link(9, 12)))) {
      List<WireSpanMapper.Encoded> out = new ArrayList<>();
      LinkCopies.add(r, r.toByteArray(), out);
      assertThat(out).isEmpty();
    }
  }
}
