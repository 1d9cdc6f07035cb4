package io.switchyard.ingest.mapping;

import com.google.protobuf.ByteString;

/** Trace ids from propagation headers or an OTLP log record, so access logs can be joined to traces. */
final class TraceIds {
  private static final ByteString HIGH_ZEROS = ByteString.copyFrom(new byte[8]);
  /**
   * Datadog's default {@code DD_TRACE_X_DATADOG_TAGS_MAX_LENGTH}: dd-trace-java and dd-trace-go drop a longer incoming
   * {@code x-datadog-tags} whole, and the tracers inject none longer by default.
   */
  private static final int DATADOG_TAGS_MAX_LENGTH = 512;
  private static final String TID_KEY = "_dd.p.tid";
  /** (2^64 - 1) / 10: one more decimal digit after a larger unsigned value overflows 64 bits. */
  private static final long MAX_UNSIGNED_DIV_10 = Long.divideUnsigned(-1L, 10);
  /** {@code 00-<32 hex>-<16 hex>-<2 hex>}. */
  private static final int TRACEPARENT_LENGTH = 55;

  private TraceIds() {}

  /**
   * The propagation headers an access log may carry, as logged (null or blank when absent): W3C {@code traceparent},
   * B3's single {@code b3} and multi-header {@code x-b3-traceid}, Datadog's {@code x-datadog-trace-id} and
   * {@code x-datadog-tags}.
   */
  record Headers(String traceparent, String b3, String xB3TraceId, String datadogTraceId, String datadogTags) {
    /**
     * Whether a header that carries an id is there, valid or not: an id was meant to be there. A {@code b3} of only
     * a sampling state ({@code 0}, {@code 1}, {@code d}) is a decision without an id, as B3 defines it.
     */
    boolean present() {
      return given(traceparent) || given(b3) && !samplingStateOnly(b3) || given(xB3TraceId) || given(datadogTraceId);
    }
  }

  /**
   * The first valid non-zero id, in the order of OpenTelemetry's propagators: W3C {@code traceparent}
   * ({@code 00-<32 hex>-<16 hex>-<2 hex>}); B3's single {@code b3}, then {@code x-b3-traceid}, in the order
   * OpenTelemetry's B3 extractor reads them (see {@link #singleB3}; 64-bit ids left-padded to 128 bits as B3
   * specifies); Datadog's {@code x-datadog-trace-id} (see {@link #datadog}). Empty when none is valid.
   */
  static ByteString fromHeaders(Headers h) {
    if (given(h.traceparent())) {
      ByteString id = traceparent(h.traceparent().trim());
      if (!id.isEmpty()) {
        return id;
      }
    }
    if (given(h.b3())) {
      ByteString id = singleB3(h.b3().trim());
      if (!id.isEmpty()) {
        return id;
      }
    }
    if (given(h.xB3TraceId())) {
      ByteString id = b3TraceId(h.xB3TraceId().trim());
      if (!id.isEmpty()) {
        return id;
      }
    }
    if (given(h.datadogTraceId())) {
      return datadog(h.datadogTraceId().trim(), h.datadogTags());
    }
    return ByteString.EMPTY;
  }

  /**
   * W3C Trace Context's {@code traceparent}, {@code <version>-<trace-id>-<parent-id>-<trace-flags>}, read as the
   * specification and OpenTelemetry's W3C propagator read it: every field lower-case hex of its length (2, 32, 16,
   * 2); version {@code ff} is invalid; version {@code 00} is exactly these 55 characters, while a later version may
   * append fields after a further {@code -}, which are ignored; neither id may be all zeros. The trace id, or empty
   * when the header is invalid (the whole header is then ignored, as a receiver must).
   */
  private static ByteString traceparent(String v) {
    if (v.length() < TRACEPARENT_LENGTH || v.length() > TRACEPARENT_LENGTH && v.charAt(TRACEPARENT_LENGTH) != '-'
        || v.charAt(2) != '-' || v.charAt(35) != '-' || v.charAt(52) != '-'
        || !lowerHex(v, 0, 2) || v.startsWith("ff") || v.startsWith("00") && v.length() != TRACEPARENT_LENGTH
        || !lowerHexNonZero(v, 36, 52) || !lowerHex(v, 53, 55) || !lowerHexNonZero(v, 3, 35)) {
      return ByteString.EMPTY;
    }
    return hexId(v, 3, 35);
  }

  private static boolean samplingStateOnly(String b3) {
    String v = b3.trim();
    return v.length() == 1 && (v.charAt(0) == '0' || v.charAt(0) == '1' || v.charAt(0) == 'd');
  }

  /**
   * B3's single header {@code {TraceId}-{SpanId}[-{SamplingState}[-{ParentSpanId}]]} as OpenTelemetry's B3
   * extractor reads it: a trace id of 16 or 32 lower-hex characters (16 left-padded), a span id of 16, neither all
   * zeros, then at most two more fields, which it does not check (the sampling state and parent carry no trace id).
   */
  private static ByteString singleB3(String v) {
    int traceEnd = v.indexOf('-');
    if (traceEnd != 16 && traceEnd != 32) {
      return ByteString.EMPTY;
    }
    int spanEnd = traceEnd + 17;
    if (v.length() < spanEnd || v.length() > spanEnd && v.charAt(spanEnd) != '-'
        || !lowerHexNonZero(v, traceEnd + 1, spanEnd)) {
      return ByteString.EMPTY;
    }
    if (v.length() > spanEnd) {
      int samplingEnd = v.indexOf('-', spanEnd + 1);
      if (samplingEnd >= 0 && v.indexOf('-', samplingEnd + 1) >= 0) {
        return ByteString.EMPTY;
      }
    }
    if (!lowerHexNonZero(v, 0, traceEnd)) {
      return ByteString.EMPTY;
    }
    return hexId(v, 0, traceEnd);
  }

  /**
   * B3's {@code x-b3-traceid} as OpenTelemetry's B3 extractor reads it: 16 or 32 lower-hex characters, not all
   * zeros, a 64-bit id left-padded to 128 bits.
   */
  private static ByteString b3TraceId(String t) {
    int n = t.length();
    if (n != 16 && n != 32 || !lowerHexNonZero(t, 0, n)) {
      return ByteString.EMPTY;
    }
    return hexId(t, 0, n);
  }

  /**
   * Datadog's id as its tracers read it: {@code decimal} is an unsigned 64-bit decimal number, not zero, that is the
   * low 64 bits (leading zeros allowed, no sign, as dd-trace-cpp, Envoy's Datadog tracer, parses it; dd-trace-go's
   * extra reading of a negative signed value is not followed); the high 64 bits are the {@code _dd.p.tid} tag of
   * {@code tags} (see {@link #datadogHigh}), else zeros.
   */
  private static ByteString datadog(String decimal, String tags) {
    if (decimal.isEmpty()) {
      return ByteString.EMPTY;
    }
    long low = 0;
    for (int i = 0; i < decimal.length(); i++) {
      int d = decimal.charAt(i) - '0';
      if (d < 0 || d > 9 || Long.compareUnsigned(low, MAX_UNSIGNED_DIV_10) > 0 || low == MAX_UNSIGNED_DIV_10 && d > 5) {
        return ByteString.EMPTY;
      }
      low = low * 10 + d;
    }
    if (low == 0) {
      return ByteString.EMPTY;
    }
    long high = datadogHigh(tags);
    byte[] id = new byte[16];
    for (int i = 7; i >= 0; i--, high >>>= 8, low >>>= 8) {
      id[i] = (byte) high;
      id[i + 8] = (byte) low;
    }
    return ByteString.copyFrom(id);
  }

  /**
   * The high 64 bits from {@code x-datadog-tags}, {@code key=value} pairs split by commas: the last {@code _dd.p.tid}
   * when it is 16 lower-hex characters. Zero, as the tracers then use, when the tag is absent or malformed, or when
   * the header is not such a list or is longer than {@value #DATADOG_TAGS_MAX_LENGTH} characters (the tracers drop
   * such a header whole).
   */
  private static long datadogHigh(String tags) {
    if (tags == null || tags.length() > DATADOG_TAGS_MAX_LENGTH) {
      return 0;
    }
    long high = 0;
    int n = tags.length();
    for (int start = 0; start < n; ) {
      int end = tags.indexOf(',', start);
      end = end < 0 ? n : end;
      int eq = tags.indexOf('=', start);
      if (eq <= start || eq + 1 >= end) {
        return 0;
      }
      if (eq - start == TID_KEY.length() && tags.startsWith(TID_KEY, start)) {
        high = end - eq - 1 == 16 && lowerHexNonZero(tags, eq + 1, end) ? hexLong(tags, eq + 1, end) : 0;
      }
      start = end + 1;
    }
    return high;
  }

  /** The 128-bit id that {@code s[from, to)} writes, left-padded: 32 or 16 lower-hex characters, as the caller checked. */
  private static ByteString hexId(String s, int from, int to) {
    byte[] id = new byte[16];
    for (int i = to - 2, b = 15; i >= from; i -= 2, b--) {
      id[b] = (byte) (lowerHexDigit(s.charAt(i)) << 4 | lowerHexDigit(s.charAt(i + 1)));
    }
    return ByteString.copyFrom(id);
  }

  private static long hexLong(String s, int from, int to) {
    long v = 0;
    for (int i = from; i < to; i++) {
      v = v << 4 | lowerHexDigit(s.charAt(i));
    }
    return v;
  }

  private static boolean lowerHex(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      if (lowerHexDigit(s.charAt(i)) < 0) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code s[from, to)} is lower-case hex, as B3, OpenTelemetry and Datadog write ids, and not all zeros. */
  private static boolean lowerHexNonZero(String s, int from, int to) {
    boolean nonZero = false;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (lowerHexDigit(c) < 0) {
        return false;
      }
      nonZero |= c != '0';
    }
    return nonZero;
  }

  private static int lowerHexDigit(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  }

  private static boolean given(String v) {
    return v != null && !v.isBlank();
  }

  /**
   * An OTLP log record's own trace id: 16 non-zero bytes as they are; 8 non-zero bytes (a 64-bit id, as Envoy's
   * Zipkin and Datadog tracers make) left-padded with zeros to 128 bits, as the Zipkin and B3 conventions and
   * OpenTelemetry's propagators widen them, so the record joins the spans of its trace; anything else is empty.
   */
  static ByteString fromBytes(ByteString id) {
    int n = id.size();
    if (n != 16 && n != 8 || allZero(id)) {
      return ByteString.EMPTY;
    }
    return n == 16 ? id : HIGH_ZEROS.concat(id);
  }

  /** True for an empty id as well: both are OTLP's "no trace id" (the Collector writes none as zeros). */
  static boolean allZero(ByteString id) {
    for (int i = 0; i < id.size(); i++) {
      if (id.byteAt(i) != 0) {
        return false;
      }
    }
    return true;
  }
}
