package io.switchyard.flinkjobs.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Everything the pairing operator keeps for one trace, read and written as one state value: one
 * RocksDB get and one put per span instead of a lookup per map entry and a scan of the trace's
 * pending keys. Traces are small (a few spans wait at a time), so linear scans over these lists are
 * cheaper than any per-entry state access.
 */
final class TraceState {
  /**
   * Marker: a proxy's CLIENT span is a child of the span id that follows (its parent span id). Kept
   * among the {@link #seen} keys, which start with a span kind (2 to 5) and so never equal a marker:
   * a build without markers reads them as keys no span has, and the stored format stays as it was.
   */
  static final byte PROXY_CLIENT_PARENT = (byte) (0x80 | SpanFields.KIND_CLIENT);
  /** Marker: the span id that follows is a proxy's SERVER span. */
  static final byte PROXY_SERVER = (byte) (0x80 | SpanFields.KIND_SERVER);

  /** (kind number, span id) of every span seen, to drop redeliveries; and the proxy markers. */
  final List<byte[]> seen;
  /**
   * Whether {@link #seen} holds a marker: only a trace with proxy spans looks for one, so traffic
   * without sidecars pays one test of this flag per span that is about to wait.
   */
  boolean proxyMarks;
  /** Spans waiting for their other side, in arrival order. */
  final List<Pending> pending;
  /** Timestamp of the registered expiry timer, {@link Long#MIN_VALUE} when none. */
  long expiryTimer = Long.MIN_VALUE;
  /**
   * When nothing waits: the time on the pairing clock from which the trace may be forgotten (at least
   * the dedupe TTL after its last span), {@link Long#MIN_VALUE} while something waits. No timer is
   * registered for it: {@link ServiceGraphOperator} sweeps the state. Snapshots of
   * earlier builds hold the timestamp of a registered cleanup (or wall-clock keep-alive) timer here,
   * which still fires once and is handled as it always was.
   */
  long forgetAt = Long.MIN_VALUE;

  TraceState() {
    this(new ArrayList<>(4), new ArrayList<>(2));
  }

  TraceState(List<byte[]> seen, List<Pending> pending) {
    this.seen = seen;
    this.pending = pending;
  }

  static byte[] seenKey(SpanFields span) {
    return span.seenKey();
  }

  /** Records the span as seen; false when it was seen before. */
  boolean markSeen(byte[] key) {
    for (int i = 0; i < seen.size(); i++) {
      if (Arrays.equals(seen.get(i), key)) {
        return false;
      }
    }
    seen.add(key);
    return true;
  }

  /** Adds a proxy marker of {@code span} (its span id, or its parent span id), once. */
  void mark(SpanFields span, byte mark, boolean parent) {
    if (!marked(span, mark, parent)) {
      seen.add(span.markKey(mark, parent));
      proxyMarks = true;
    }
  }

  /** Whether the marker {@code mark} of {@code span}'s span id (or parent span id) is kept. */
  boolean marked(SpanFields span, byte mark, boolean parent) {
    if (!proxyMarks) {
      return false;
    }
    for (int i = 0; i < seen.size(); i++) {
      if (span.isMarkKey(seen.get(i), mark, parent)) {
        return true;
      }
    }
    return false;
  }

  /** Whether a seen key is a proxy marker rather than a span's (kind, span id). */
  static boolean isMark(byte[] key) {
    return key.length > 0 && key[0] < 0;
  }

  /** The earliest deadline of a waiting span, {@link Long#MAX_VALUE} when none waits. */
  long earliestDeadline() {
    long min = Long.MAX_VALUE;
    for (int i = 0; i < pending.size(); i++) {
      min = Math.min(min, pending.get(i).deadline);
    }
    return min;
  }

  Pending find(String key) {
    for (Pending p : pending) {
      if (p.key().equals(key)) {
        return p;
      }
    }
    return null;
  }

  /** The waiting client whose span id is the parent span id of {@code server} (key "c/&lt;that id&gt;"), null when none. */
  Pending findClient(SpanFields server) {
    for (int i = 0; i < pending.size(); i++) {
      Pending p = pending.get(i);
      if (p.client && server.isChildOf(p.span)) {
        return p;
      }
    }
    return null;
  }

  /** Adds a waiting span; one with the same key is replaced, as a map entry would be. */
  void put(Pending p) {
    for (int i = 0; i < pending.size(); i++) {
      if (pending.get(i).sameKey(p)) {
        pending.set(i, p);
        return;
      }
    }
    pending.add(p);
  }

  TraceState copy() {
    List<Pending> p = new ArrayList<>(pending.size());
    for (Pending e : pending) {
      p.add(e.copy());
    }
    TraceState t = new TraceState(new ArrayList<>(seen), p);
    t.expiryTimer = expiryTimer;
    t.forgetAt = forgetAt;
    t.proxyMarks = proxyMarks;
    return t;
  }

  /**
   * A span waiting for its other side: a client under "c/&lt;span id&gt;", a server under
   * "s/&lt;parent id&gt;/&lt;span id&gt;" (hex ids). The key is what the state stores and what orders
   * spans that fall due together; matching compares the ids' bytes, so the key string is built only
   * when a span is stored or sorted (most pairs complete in one batch and are never stored waiting).
   */
  static final class Pending {
    /** Client side (CLIENT, PRODUCER), else server side. */
    final boolean client;
    final SpanFields span;
    /** The span's record bytes as received: written to state as they are. */
    final byte[] raw;
    final long deadline;
    /** A producer that already met at least one consumer: no virtual edge at expiry. */
    boolean matchedProducer;
    private String key;

    Pending(boolean client, SpanFields span, byte[] raw, long deadline, boolean matchedProducer) {
      this.client = client;
      this.span = span;
      this.raw = raw;
      this.deadline = deadline;
      this.matchedProducer = matchedProducer;
    }

    /** A span as stored under {@code key}, which names its side and ids. */
    Pending(String key, SpanFields span, byte[] raw, long deadline, boolean matchedProducer) {
      this(key.startsWith("c/"), span, raw, deadline, matchedProducer);
      this.key = key;
    }

    String key() {
      String k = key;
      if (k == null) {
        k = client ? "c/" + span.spanIdHex() : "s/" + span.parentSpanIdHex() + "/" + span.spanIdHex();
        key = k;
      }
      return k;
    }

    /** Whether this is a server waiting for {@code clientSpan}: its parent span id is the client's span id (key "s/&lt;that id&gt;/..."). */
    boolean waitsFor(SpanFields clientSpan) {
      return !client && span.isChildOf(clientSpan);
    }

    /** Whether the two have the same key. */
    boolean sameKey(Pending o) {
      return client == o.client && span.sameSpanId(o.span) && (client || span.sameParent(o.span));
    }

    Pending copy() {
      Pending p = new Pending(client, span, raw, deadline, matchedProducer);
      p.key = key;
      return p;
    }
  }
}
