package io.switchyard.topology.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchyard.serverkit.http.HttpResponses;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable UTF-8 buffer that writes JSON strings and numbers exactly as the mapper's generator does, for the
 * values a graph body is made of: names of printable ASCII, whole numbers and figures of a few decimals. Those go
 * straight into the array (no generator state, no per-value objects); anything else (escapes, non-ASCII text,
 * numbers in scientific notation, NaN) takes the mapper's own conversion, so the bytes never differ. Not
 * thread-safe while written; once written, read by any thread.
 */
final class JsonBytes {
  private static final ObjectMapper MAPPER = HttpResponses.mapper();
  private static final byte[] NULL = ascii("null");
  private static final byte[] TRUE = ascii("true");
  private static final byte[] FALSE = ascii("false");

  private byte[] buf;
  private int count;
  private final char[] number = new char[24];

  JsonBytes(int size) {
    buf = new byte[Math.max(16, size)];
  }

  /** Bytes that are already JSON (field names with their quotes and colon, punctuation). */
  JsonBytes raw(byte[] b) {
    ensure(b.length);
    System.arraycopy(b, 0, buf, count, b.length);
    count += b.length;
    return this;
  }

  JsonBytes raw(char c) {
    ensure(1);
    buf[count++] = (byte) c;
    return this;
  }

  JsonBytes string(String s) {
    int n = s.length();
    ensure(n + 2);
    int at = count;
    buf[at++] = '"';
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
        // Escapes, control characters and multi-byte text: the generator's rules, whatever they are.
        return raw(encoded(s));
      }
      buf[at++] = (byte) c;
    }
    buf[at++] = '"';
    count = at;
    return this;
  }

  JsonBytes bool(boolean b) {
    return raw(b ? TRUE : FALSE);
  }

  JsonBytes number(double v) {
    int n = JsonNumbers.format(v, number);
    if (n < 0) {
      // Double.toString for finite values, a quoted "NaN" or "Infinity" for the others, as the generator writes.
      return raw(encoded(v));
    }
    ensure(n);
    for (int i = 0; i < n; i++) {
      buf[count + i] = (byte) number[i];
    }
    count += n;
    return this;
  }

  JsonBytes number(Double v) {
    return v == null ? raw(NULL) : number(v.doubleValue());
  }

  int size() {
    return count;
  }

  /** Bytes it holds before it grows. */
  int capacity() {
    return buf.length;
  }

  /** Empty again, its array kept for the next body. */
  void clear() {
    count = 0;
  }

  /** A copy of exactly the bytes written (for tests; responses use {@link #writeTo}). */
  byte[] toByteArray() {
    return Arrays.copyOf(buf, count);
  }

  /** Writes the bytes in writes of at most {@code slice} bytes. */
  void writeTo(OutputStream out, int slice) throws IOException {
    for (int at = 0; at < count; at += slice) {
      out.write(buf, at, Math.min(slice, count - at));
    }
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] encoded(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void ensure(int more) {
    if (count + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, count + more));
    }
  }
}
