package io.switchyard.ingest.mapping;

import com.google.protobuf.ByteString;

/** Trace ids from propagation headers or an OTLP log record, so access logs can be joined to traces. */
final class TraceIds {
  private static final ByteString HIGH_ZEROS = ByteString.copyFrom(new byte[8]);

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
      return given(traceparent) || given(b3) && b3.trim().length() > 1 || given(xB3TraceId) || given(datadogTraceId);
    }
  }

  /**
   * The first valid non-zero id, in the order of OpenTelemetry's propagators: W3C {@code traceparent}
   * ({@code 00-<32 hex>-<16 hex>-<2 hex>}); B3's single {@code b3} ({@code <trace>-<span>[-<sampled>[-<parent>]]},
   * the span id 16 non-zero hex), then {@code x-b3-traceid}, in the order OpenTelemetry's B3 extractor reads them (16 or 32 hex; 64-bit ids
   * left-padded to 128 bits as B3 specifies; a {@code b3} of only a sampling state carries no id); Datadog's
   * unsigned decimal {@code x-datadog-trace-id} as the low 64 bits, with the high 64 bits from the
   * {@code _dd.p.tid} tag of {@code x-datadog-tags} when it is 16 lower-hex characters, else zeros, as Datadog's
   * tracers read it. Empty when none is valid.
   */
  static ByteString fromHeaders(Headers h) {
    if (given(h.traceparent()) && h.traceparent().length() >= 55) {
      String[] p = h.traceparent().trim().split("-");
      if (p.length >= 4 && p[1].length() == 32) {
        ByteString id = valid(p[1]);
        if (!id.isEmpty()) {
          return id;
        }
      }
    }
    if (given(h.b3())) {
      // As OpenTelemetry's B3 extractor: a trace id and a valid span id, then at most a sampling state and a parent.
      String[] p = h.b3().trim().split("-", -1);
      ByteString id = p.length >= 2 && p.length <= 4 && p[1].length() == 16 && !valid(p[1]).isEmpty()
          ? b3TraceId(p[0])
          : ByteString.EMPTY;
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

  private static ByteString b3TraceId(String t) {
    if (t.length() == 16) {
      t = "0000000000000000" + t;
    }
    return t.length() == 32 ? valid(t) : ByteString.EMPTY;
  }

  private static ByteString datadog(String decimal, String tags) {
    if (decimal.isEmpty() || decimal.length() > 20) {
      return ByteString.EMPTY;
    }
    for (int i = 0; i < decimal.length(); i++) {
      char c = decimal.charAt(i);
      if (c < '0' || c > '9') {
        return ByteString.EMPTY;
      }
    }
    long low;
    try {
      low = Long.parseUnsignedLong(decimal);
    } catch (NumberFormatException aboveTwoToThe64) {
      return ByteString.EMPTY;
    }
    if (low == 0) {
      return ByteString.EMPTY;
    }
    String high = highTid(tags);
    return valid((high == null ? "0000000000000000" : high) + String.format("%016x", low));
  }

  /** The {@code _dd.p.tid} tag's value when it is 16 lower-hex characters; else null (the tracers then use zeros). */
  private static String highTid(String tags) {
    if (tags == null) {
      return null;
    }
    for (String tag : tags.split(",")) {
      String t = tag.trim();
      if (t.startsWith("_dd.p.tid=")) {
        String v = t.substring("_dd.p.tid=".length());
        return v.length() == 16 && v.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f') ? v : null;
      }
    }
    return null;
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

  private static ByteString valid(String hex) {
    byte[] bytes = Hex.decode(hex);
    if (bytes == null) {
      return ByteString.EMPTY;
    }
    for (byte b : bytes) {
      if (b != 0) {
        return ByteString.copyFrom(bytes);
      }
    }
    return ByteString.EMPTY;
  }
}
