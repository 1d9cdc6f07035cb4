package io.switchyard.ingest.mapping;

import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;

/**
 * A protobuf reader over one byte array with a movable limit, so a whole request is walked with one object. It is
 * strict where the generated parser is lenient or subtle (groups, packed fields, odd varints): anything it does not
 * handle throws {@link Malformed}, and the caller then lets the generated parser decide, which also gives the exact
 * error message a client gets.
 */
final class WireCursor {
  /** "Not sure this is valid": thrown without a stack trace, the generated parser has the last word. */
  static final class Malformed extends Exception {
    private static final long serialVersionUID = 1L;

    private Malformed() {
      super(null, null, false, false);
    }
  }

  static final Malformed MALFORMED = new Malformed();

  static final int LEN = WireFormat.WIRETYPE_LENGTH_DELIMITED;

  final byte[] buf;
  int pos;
  int limit;

  WireCursor(byte[] buf, int off, int len) {
    this.buf = buf;
    this.pos = off;
    this.limit = off + len;
  }

  static int tag(int field, int wireType) {
    return (field << 3) | wireType;
  }

  /** The next tag, or 0 at the limit. */
  int tag() throws Malformed {
    if (pos == limit) {
      return 0;
    }
    long t = varint();
    if (t >>> 3 == 0 || t > Integer.MAX_VALUE) {
      throw MALFORMED;
    }
    return (int) t;
  }

  long varint() throws Malformed {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= limit) {
        throw MALFORMED;
      }
      byte b = buf[pos++];
      v |= (long) (b & 0x7f) << shift;
      if (b >= 0) {
        return v;
      }
    }
    throw MALFORMED;
  }

  long fixed64() throws Malformed {
    need(8);
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = (v << 8) | (buf[pos + i] & 0xffL);
    }
    pos += 8;
    return v;
  }

  /** The length of a length-delimited field, checked against the limit; the cursor stays before its bytes. */
  int length() throws Malformed {
    long n = varint();
    if (n < 0 || n > limit - pos) {
      throw MALFORMED;
    }
    return (int) n;
  }

  private void need(int n) throws Malformed {
    if (limit - pos < n) {
      throw MALFORMED;
    }
  }

  /** Narrows the limit to the next {@code n} bytes; returns the old limit for {@link #pop}. */
  int push(int n) {
    int old = limit;
    limit = pos + n;
    return old;
  }

  void pop(int oldLimit) {
    pos = limit;
    limit = oldLimit;
  }

  /** Skips one field's value without looking inside it; groups are left to the generated parser. */
  void skip(int tag) throws Malformed {
    switch (WireFormat.getTagWireType(tag)) {
      case WireFormat.WIRETYPE_VARINT -> varint();
      case WireFormat.WIRETYPE_FIXED64 -> {
        need(8);
        pos += 8;
      }
      case WireFormat.WIRETYPE_FIXED32 -> {
        need(4);
        pos += 4;
      }
      case WireFormat.WIRETYPE_LENGTH_DELIMITED -> {
        int n = length();
        pos += n;
      }
      default -> throw MALFORMED;
    }
  }

  /** Reads a string field's bytes as a range and checks they are UTF-8 without decoding them. */
  int string() throws Malformed {
    int n = length();
    if (!isUtf8(buf, pos, n)) {
      throw MALFORMED;
    }
    return n;
  }

  static boolean isUtf8(byte[] b, int off, int len) {
    for (int i = off, end = off + len; i < end; i++) {
      if (b[i] < 0) {
        return UnsafeByteOperations.unsafeWrap(b, i, end - i).isValidUtf8();
      }
    }
    return true;
  }
}
