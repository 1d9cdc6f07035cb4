package io.switchyard.ingest.mapping;

import com.google.protobuf.ByteString;

/** Trace ids from propagation headers, so access logs can be joined to traces. */
final class TraceIds {
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
