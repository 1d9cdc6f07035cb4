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
  private final List<byte[]> spans;
  /** Event time of the latest span in the batch (ms), {@link Long#MIN_VALUE} when none was given. */
  long timestamp;
  private transient String key;

  TraceSpans(byte[] traceId, List<byte[]> spans, long timestamp) {
    this.traceId = traceId;
    this.spans = spans;
    this.timestamp = timestamp;
  }

  /** One span, as read from Kafka: its trace id, its record bytes and its event time. */
  public static TraceSpans of(byte[] traceId, byte[] span, long timestampMs) {
    List<byte[]> l = new ArrayList<>(2);
    l.add(span);
    return new TraceSpans(traceId, l, timestampMs);
  }

  /** A batch of no spans (a record the source skips). */
  public static TraceSpans empty() {
    return new TraceSpans(new byte[0], List.of(), Long.MIN_VALUE);
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
    return spans.size();
  }

  byte[] traceId() {
    return traceId;
  }

  List<byte[]> spans() {
    return spans;
  }

  /** Appends the other batch's spans (same trace, later arrivals) after this one's. */
  void append(TraceSpans later) {
    // Not addAll: it copies the other list into a new array first, once per span appended.
    List<byte[]> more = later.spans;
    for (int i = 0; i < more.size(); i++) {
      spans.add(more.get(i));
    }
    timestamp = Math.max(timestamp, later.timestamp);
  }
}
