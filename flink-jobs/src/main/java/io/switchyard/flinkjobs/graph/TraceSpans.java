package io.switchyard.flinkjobs.graph;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Spans of one trace as their raw {@code SpanRecord} bytes, in arrival order: what crosses the keyed
 * shuffle to the pairing operator. The bytes are the Kafka record values, forwarded untouched, so a
 * span is parsed once (in the pairing operator) and never re-encoded for the network hop. The key is
 * the hex trace id, the pairing state's key since the first build (a savepoint keeps restoring).
 */
public final class TraceSpans {
  private static final HexFormat HEX = HexFormat.of();
  private static final byte[] NONE = new byte[0];
  /**
   * The trace id: bytes {@code [traceFrom, traceFrom + traceLength)} of this array. The source points
   * it into the first span's own record, where the id already sits, instead of copying it out: that
   * copy was the source's largest cost per span (an allocation and the first touch of the record).
   * Never written, like the record bytes.
   */
  private final byte[] traceBytes;
  private final int traceFrom;
  private final int traceLength;
  /**
   * The first two spans, {@code null} while the batch holds fewer; the later ones in {@link #more},
   * made only when a third span is appended. Nearly every batch holds one span, or a client and its
   * server, so it costs no list and no array, and the pairing reads a span with no pointer chased
   * through a list (before: a list for every batch of two, read cold after the batcher's hold).
   */
  private byte[] first;
  private byte[] second;
  private List<byte[]> more;
  /** Event time of the latest span in the batch (ms), {@link Long#MIN_VALUE} when none was given. */
  long timestamp;
  private transient String key;

  TraceSpans(byte[] traceId, List<byte[]> spans, long timestamp) {
    this(traceId, 0, traceId.length, null, timestamp);
    for (int i = 0; i < spans.size(); i++) {
      add(spans.get(i));
    }
  }

  private TraceSpans(byte[] traceBytes, int traceFrom, int traceLength, byte[] span, long timestamp) {
    this.traceBytes = traceBytes;
    this.traceFrom = traceFrom;
    this.traceLength = traceLength;
    this.first = span;
    this.timestamp = timestamp;
  }

  /** One span, as read from Kafka: its trace id, its record bytes and its event time. */
  public static TraceSpans of(byte[] traceId, byte[] span, long timestampMs) {
    return new TraceSpans(traceId, 0, traceId.length, span, timestampMs);
  }

  /**
   * One span whose trace id is bytes {@code [traceFrom, traceFrom + traceLength)} of its own record,
   * kept in place: neither array may be written afterwards.
   */
  public static TraceSpans ofRecord(byte[] span, int traceFrom, int traceLength, long timestampMs) {
    if (traceFrom < 0 || traceLength < 0 || traceLength > span.length - traceFrom) {
      throw new IndexOutOfBoundsException("trace id at " + traceFrom + ", " + traceLength + " bytes, in a record of " + span.length);
    }
    return new TraceSpans(span, traceFrom, traceLength, span, timestampMs);
  }

  /** A batch of no spans (a record the source skips). */
  public static TraceSpans empty() {
    return new TraceSpans(NONE, 0, 0, null, Long.MIN_VALUE);
  }

  /** The pairing key: the trace id in lower-case hex, computed once per object. */
  public String key() {
    String k = key;
    if (k == null) {
      k = HEX.formatHex(traceBytes, traceFrom, traceFrom + traceLength);
      key = k;
    }
    return k;
  }

  /** Whether {@code id} is this batch's trace id. */
  boolean traceIs(ByteString id) {
    return sameBytes(id, traceBytes, traceFrom, traceLength);
  }

  /** Whether {@code id} holds bytes {@code [from, from + length)} of {@code b}, compared in place. */
  static boolean sameBytes(ByteString id, byte[] b, int from, int length) {
    if (id.size() != length) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      if (id.byteAt(i) != b[from + i]) {
        return false;
      }
    }
    return true;
  }

  /** {@link TraceKeyFilter#hash(String)} of {@link #key()}, from the trace id's bytes. */
  long keyHash() {
    return TraceKeyFilter.hash(traceBytes, traceFrom, traceLength);
  }

  public long timestamp() {
    return timestamp;
  }

  public int size() {
    return first == null ? 0 : second == null ? 1 : more == null ? 2 : 2 + more.size();
  }

  /** The {@code i}-th span's record bytes, in arrival order. */
  byte[] span(int i) {
    if (i == 0 && first != null) {
      return first;
    }
    if (i == 1 && second != null) {
      return second;
    }
    if (i < 0 || i >= size()) {
      throw new IndexOutOfBoundsException("span " + i + " of a batch of " + size());
    }
    return more.get(i - 2);
  }

  /** The trace id as an array of its own (off the span path: the serializer, tests). */
  byte[] traceId() {
    return traceFrom == 0 && traceLength == traceBytes.length
        ? traceBytes : Arrays.copyOfRange(traceBytes, traceFrom, traceFrom + traceLength);
  }

  int traceLength() {
    return traceLength;
  }

  /** Writes the trace id's bytes (not its length). */
  void writeTraceId(DataOutputView out) throws IOException {
    out.write(traceBytes, traceFrom, traceLength);
  }

  /** Whether the other batch is of the same trace: same trace id bytes. */
  boolean sameTrace(TraceSpans o) {
    return Arrays.equals(traceBytes, traceFrom, traceFrom + traceLength, o.traceBytes, o.traceFrom, o.traceFrom + o.traceLength);
  }

  /** The home slot of this batch's trace in a table of {@code mask + 1} slots ({@link TraceBatcher#slot}). */
  int traceSlot(int mask) {
    return TraceBatcher.slot(traceBytes, traceFrom, traceLength, mask);
  }

  /** The spans as a new list (off the span path: tests and copies). */
  List<byte[]> spans() {
    List<byte[]> out = new ArrayList<>(size());
    for (int i = 0; i < size(); i++) {
      out.add(span(i));
    }
    return out;
  }

  /** A batch with this one's trace id and spans, its own list, and this one's timestamp. */
  TraceSpans copy() {
    TraceSpans c = new TraceSpans(traceBytes, traceFrom, traceLength, null, timestamp);
    for (int i = 0; i < size(); i++) {
      c.add(span(i));
    }
    return c;
  }

  private void add(byte[] span) {
    if (first == null) {
      first = span;
    } else if (second == null) {
      second = span;
    } else {
      if (more == null) {
        more = new ArrayList<>(2);
      }
      more.add(span);
    }
  }

  /** Appends the other batch's spans (same trace, later arrivals) after this one's. */
  void append(TraceSpans later) {
    int n = later.size();
    for (int i = 0; i < n; i++) {
      add(later.span(i));
    }
    timestamp = Math.max(timestamp, later.timestamp);
  }
}
