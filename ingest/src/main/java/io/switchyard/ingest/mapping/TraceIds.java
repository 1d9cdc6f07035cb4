package io.switchyard.ingest.mapping;

import com.google.protobuf.ByteString;

/** Trace ids from propagation headers or an OTLP log record, so access logs can be joined to traces. */
final class TraceIds {
  private static final ByteString HIGH_ZEROS = ByteString.copyFrom(new byte[8]);

  private TraceIds() {}

  /**
   * From W3C {@code traceparent} ({@code 00-<32 hex>-<16 hex>-<2 hex>}) or else B3 {@code x-b3-traceid} (16 or 32
   * hex; 64-bit ids are left-padded to 128 bits as B3 specifies). Empty when neither is a valid non-zero id.
   */
  static ByteString fromHeaders(String traceparent, String b3) {
    if (traceparent != null && traceparent.length() >= 55) {
      String[] p = traceparent.trim().split("-");
      if (p.length >= 4 && p[1].length() == 32) {
        ByteString id = valid(p[1]);
        if (!id.isEmpty()) {
          return id;
        }
      }
    }
    if (b3 != null) {
      String t = b3.trim();
      if (t.length() == 16) {
        t = "0000000000000000" + t;
      }
      if (t.length() == 32) {
        return valid(t);
      }
    }
    return ByteString.EMPTY;
  }

  /** Whether either header carries something, valid or not: an id was meant to be there. */
  static boolean present(String traceparent, String b3) {
    return traceparent != null && !traceparent.isBlank() || b3 != null && !b3.isBlank();
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
