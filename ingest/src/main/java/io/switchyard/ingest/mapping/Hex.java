package io.switchyard.ingest.mapping;

import com.google.protobuf.ByteString;

/** Lower-case hex, the form W3C trace context and OTLP/JSON use for ids. */
public final class Hex {
  private static final char[] DIGITS = "0123456789abcdef".toCharArray();

  private Hex() {}

  public static String encode(byte[] bytes) {
    char[] out = new char[bytes.length * 2];
    for (int i = 0; i < bytes.length; i++) {
      out[2 * i] = DIGITS[(bytes[i] >> 4) & 0xf];
      out[2 * i + 1] = DIGITS[bytes[i] & 0xf];
    }
    return new String(out);
  }

  public static String encode(ByteString bytes) {
    char[] out = new char[bytes.size() * 2];
    for (int i = 0; i < bytes.size(); i++) {
      byte b = bytes.byteAt(i);
      out[2 * i] = DIGITS[(b >> 4) & 0xf];
      out[2 * i + 1] = DIGITS[b & 0xf];
    }
    return new String(out);
  }

  /** Lower-case hex as US-ASCII bytes: the Kafka key of a span record, without an intermediate String. */
  public static byte[] encodeAscii(ByteString bytes) {
    byte[] out = new byte[bytes.size() * 2];
    for (int i = 0; i < bytes.size(); i++) {
      int b = bytes.byteAt(i) & 0xff;
      out[2 * i] = (byte) DIGITS[b >>> 4];
      out[2 * i + 1] = (byte) DIGITS[b & 0xf];
    }
    return out;
  }

  /**
   * Decodes hex (either case); null when the text is not an even number of hex digits. Only the ASCII digits and
   * letters are hex (RFC 4648's base16 alphabet): {@link Character#digit} would also take fullwidth or Arabic-Indic
   * digits, which the Collector's decoder refuses.
   */
  public static byte[] decode(CharSequence text) {
    int n = text.length();
    if (n % 2 != 0) {
      return null;
    }
    byte[] out = new byte[n / 2];
    for (int i = 0; i < n; i += 2) {
      int hi = digit(text.charAt(i));
      int lo = digit(text.charAt(i + 1));
      if (hi < 0 || lo < 0) {
        return null;
      }
      out[i / 2] = (byte) ((hi << 4) | lo);
    }
    return out;
  }

  private static int digit(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }
}
