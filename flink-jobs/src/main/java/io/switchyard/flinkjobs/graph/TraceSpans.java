package io.switchyard.flinkjobs.graph;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Spans of one trace as their raw {@code SpanRecord} bytes, in arrival order: what crosses the keyed
 * shuffle to the pairing operator. The bytes are the Kafka record values, forwarded untouched, so a
 * span is parsed once (in the pairing operator) and never re-encoded for the network hop. The key is
 * the hex trace id, the pairing state's key since the first build (a savepoint keeps restoring).
 */
public final class TraceSpans {
  private static final HexFormat HEX = HexFormat.of();
  private final byte[] traceId;
  /**
   * The first span, {@code null} in a batch of none; the later ones in {@link #more}, made only when a
   * second span is appended. Nearly every batch the source makes holds one span and never grows, so
   * it costs no list and no array (before: an {@code ArrayList} and its array per span, a third of the
   * span path's allocations).
   */
  private byte[] first;
  private List<byte[]> more;
  /** Event time of the latest span in the batch (ms), {@link Long#MIN_VALUE} when none was given. */
  long timestamp;
  private transient String key;

  TraceSpans(byte[] traceId, List<byte[]> spans, long timestamp) {
    this.traceId = traceId;
    this.timestamp = timestamp;
    for (int i = 0; i < spans.size(); i++) {
      add(spans.get(i));
    }
  }

  private TraceSpans(byte[] traceId, byte[] span, long timestamp) {
    this.traceId = traceId;
    this.first = span;
    this.timestamp = timestamp;
  }

  /** One span, as read from Kafka: its trace id, its record bytes and its event time. */
  public static TraceSpans of(byte[] traceId, byte[] span, long timestampMs) {
    return new TraceSpans(traceId, span, timestampMs);
  }

  /** A batch of no spans (a record the source skips). */
  public static TraceSpans empty() {
    return new TraceSpans(new byte[0], (byte[]) null, Long.MIN_VALUE);
  }

  /** The pairing key: the trace id in lower-case hex, computed once per object. */
  public String key() {
    String k = key;
    if (k == null) {
      k = HEX.formatHex(traceId);
      key = k;
    }
    return k;
  }

  public long timestamp() {
    return timestamp;
  }

  public int size() {
    return first == null ? 0 : more == null ? 1 : 1 + more.size();
  }

  /** The {@code i}-th span's record bytes, in arrival order. */
  byte[] span(int i) {
    if (i == 0 && first != null) {
      return first;
    }
    if (i < 0 || i >= size()) {
      throw new IndexOutOfBoundsException("span " + i + " of a batch of " + size());
    }
    return more.get(i - 1);
  }

  byte[] traceId() {
    return traceId;
  }

  /** The spans as a new list (off the span path: tests and copies). */
  List<byte[]> spans() {
    List<byte[]> out = new ArrayList<>(size());
    for (int i = 0; i < size(); i++) {
      out.add(span(i));
    }
    return out;
  }

  private void add(byte[] span) {
    if (first == null) {
      first = span;
      return;
    }
    if (more == null) {
      more = new ArrayList<>(2);
    }
    more.add(span);
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
