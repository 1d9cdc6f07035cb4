package io.switchyard.ingest.mapping;

import com.google.protobuf.ByteString;
import io.switchyard.model.v1.SpanRecord;
import java.util.Arrays;
import java.util.List;

/**
 * The copies ingest writes of a CONSUMER span that links to spans of other traces, one per such trace: keyed by that
 * trace's id, so each lands in the partition (and so the Flink subtask or span lane) where that trace is paired, and
 * naming it in {@code linked_trace_id}. A copy's value is the record's bytes with that field appended, which every
 * protobuf reader reads as the same span with the field set. Links into the span's own trace need no copy.
 */
public final class LinkCopies {
  /** {@code SpanRecord.linked_trace_id}: field 37, length-delimited, as its two tag bytes. */
  private static final byte[] LINKED_TRACE_ID_TAG = {(byte) (37 << 3 | 2 | 0x80), (byte) ((37 << 3) >>> 7)};

  private LinkCopies() {}

  /** Adds to {@code out} the copies of {@code record}, whose serialized bytes are {@code value}. */
  public static void add(SpanRecord record, byte[] value, List<WireSpanMapper.Encoded> out) {
    List<SpanRecord.Link> links = record.getLinksList();
    for (int i = 0; i < links.size(); i++) {
      ByteString trace = links.get(i).getTraceId();
      if (!trace.equals(record.getTraceId()) && firstOf(links, i)) {
        out.add(copy(value, trace.toByteArray(), 0, trace.size()));
      }
    }
  }

  /**
   * Adds to {@code out} the copies of the record {@code value} of a span whose trace id is at {@code buf[own, own + 16)}
   * and whose {@code links} links' trace ids are at the even entries of {@code linkIds} (trace id, span id offsets in
   * {@code buf}).
   */
  static void add(byte[] value, byte[] buf, int own, int[] linkIds, int links, List<WireSpanMapper.Encoded> out) {
    int n = SpanMapper.TRACE_ID_SIZE;
    for (int i = 0; i < 2 * links; i += 2) {
      int at = linkIds[i];
      if (!Arrays.equals(buf, at, at + n, buf, own, own + n) && firstOf(buf, linkIds, i)) {
        out.add(copy(value, buf, at, n));
      }
    }
  }

  private static boolean firstOf(List<SpanRecord.Link> links, int i) {
    for (int j = 0; j < i; j++) {
      if (links.get(j).getTraceId().equals(links.get(i).getTraceId())) {
        return false;
      }
    }
    return true;
  }

  private static boolean firstOf(byte[] buf, int[] linkIds, int i) {
    int n = SpanMapper.TRACE_ID_SIZE;
    for (int j = 0; j < i; j += 2) {
      if (Arrays.equals(buf, linkIds[j], linkIds[j] + n, buf, linkIds[i], linkIds[i] + n)) {
        return false;
      }
    }
    return true;
  }

  private static WireSpanMapper.Encoded copy(byte[] value, byte[] buf, int at, int n) {
    byte[] copy = Arrays.copyOf(value, value.length + LINKED_TRACE_ID_TAG.length + 1 + n);
    int p = value.length;
    copy[p++] = LINKED_TRACE_ID_TAG[0];
    copy[p++] = LINKED_TRACE_ID_TAG[1];
    copy[p++] = (byte) n; // 16: one varint byte
    System.arraycopy(buf, at, copy, p, n);
    return new WireSpanMapper.Encoded(Hex.encodeAscii(ByteString.copyFrom(buf, at, n)), copy, true);
  }
}
