package io.switchyard.ingest.mapping;

import com.google.protobuf.ByteString;
import io.switchyard.model.v1.SpanRecord;
import java.util.Arrays;
import java.util.List;

/**
 * The copies ingest writes of a CONSUMER span that links to spans of other traces, one per such trace: keyed by that
 * trace's id, so each lands in the partition (and so the Flink subtask or span lane) where that trace is paired, and
 * naming it in {@code linked_trace_id}. A copy is the record with only its links into that trace and with that field
 * set: a batch consumer linking a hundred messages of a hundred traces writes a hundred small copies, not a hundred
 * copies of all hundred links. Links into the span's own trace need no copy.
 */
public final class LinkCopies {
  private static final int LINKS = 36;
  private static final int LINKED_TRACE_ID = 37;
  /** {@code linked_trace_id}'s tag, field 37 length-delimited, as its two varint bytes. */
  private static final byte[] LINKED_TRACE_ID_TAG = {(byte) ((LINKED_TRACE_ID << 3 | 2) | 0x80), (byte) ((LINKED_TRACE_ID << 3) >>> 7)};

  private LinkCopies() {}

  /** Adds to {@code out} the copies of {@code record}, whose serialized bytes are {@code value}. */
  public static void add(SpanRecord record, byte[] value, List<WireSpanMapper.Encoded> out) {
    List<SpanRecord.Link> links = record.getLinksList();
    for (int i = 0; i < links.size(); i++) {
      ByteString trace = links.get(i).getTraceId();
      if (!trace.equals(record.getTraceId()) && firstOf(links, i)) {
        out.add(copy(value, trace.toByteArray(), 0));
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
        out.add(copy(value, buf, at));
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

  /**
   * The copy of {@code value} (a record ingest serialized: fields in number order, each once but the links) for the
   * trace whose id is at {@code buf[at, at + 16)}: its fields as they are, its links into other traces left out, and
   * {@code linked_trace_id} in its place between the links and the fields after them. These are the bytes protobuf
   * gives for the record rebuilt so, on both of ingest's paths.
   */
  static WireSpanMapper.Encoded copy(byte[] value, byte[] buf, int at) {
    int n = SpanMapper.TRACE_ID_SIZE;
    byte[] copy = new byte[value.length + LINKED_TRACE_ID_TAG.length + 1 + n];
    int p = 0;
    boolean named = false;
    WireCursor c = new WireCursor(value, 0, value.length);
    try {
      while (c.pos < value.length) {
        int field = c.pos;
        int tag = c.tag();
        int number = tag >>> 3;
        if (!named && number > LINKED_TRACE_ID) {
          p = name(copy, p, buf, at);
          named = true;
        }
        if (number == LINKS) {
          int old = c.push(c.length());
          boolean keep = linksTo(c, buf, at);
          c.pop(old);
          if (!keep) {
            continue;
          }
        } else {
          c.skip(tag);
        }
        System.arraycopy(value, field, copy, p, c.pos - field);
        p += c.pos - field;
      }
    } catch (WireCursor.Malformed e) {
      throw new IllegalStateException("a span record ingest wrote does not parse", e);
    }
    if (!named) {
      p = name(copy, p, buf, at);
    }
    return new WireSpanMapper.Encoded(Hex.encodeAscii(ByteString.copyFrom(buf, at, n)), Arrays.copyOf(copy, p), true);
  }

  private static int name(byte[] copy, int p, byte[] buf, int at) {
    int n = SpanMapper.TRACE_ID_SIZE;
    copy[p++] = LINKED_TRACE_ID_TAG[0];
    copy[p++] = LINKED_TRACE_ID_TAG[1];
    copy[p++] = (byte) n; // 16: one varint byte
    System.arraycopy(buf, at, copy, p, n);
    return p + n;
  }

  /** Whether the link the cursor is inside names the trace at {@code buf[at]}; leaves the cursor at the link's end. */
  private static boolean linksTo(WireCursor c, byte[] buf, int at) throws WireCursor.Malformed {
    boolean match = false;
    for (int tag = c.tag(); tag != 0; tag = c.tag()) {
      if (tag == WireCursor.tag(1, 2)) { // trace_id; the last one wins, as protobuf reads it
        int length = c.length();
        match = length == SpanMapper.TRACE_ID_SIZE && Arrays.equals(c.buf, c.pos, c.pos + length, buf, at, at + length);
        c.pos += length;
      } else {
        c.skip(tag);
      }
    }
    return match;
  }
}
