package io.switchyard.flinkjobs.serde;

/**
 * Reads protobuf wire format from a byte array, for the one-pass span reads. It reads only what it can
 * judge exactly: anything unusual (a truncated or over-long varint, a tag protobuf would read
 * differently, a group, a length past the end) makes it {@link #failed()}, and the caller then hands
 * the record to protobuf's own parser, which decides. So a caller never needs to match protobuf's
 * error rules, only its rules for well-formed input.
 */
public final class WireCursor {
  public static final int VARINT = 0;
  public static final int FIXED64 = 1;
  public static final int LENGTH_DELIMITED = 2;
  public static final int FIXED32 = 5;

  private final byte[] bytes;
  private int pos;
  private boolean failed;

  public WireCursor(byte[] bytes) {
    this.bytes = bytes;
  }

  /** A cursor standing at {@code position} of {@code bytes}, to read a field found earlier again. */
  public WireCursor(byte[] bytes, int position) {
    this.bytes = bytes;
    this.pos = position;
  }

  public boolean more() {
    return !failed && pos < bytes.length;
  }

  public boolean failed() {
    return failed;
  }

  /** Where the next read starts (after {@link #length()}: the field's first byte). */
  public int position() {
    return pos;
  }

  /**
   * The next tag: field number times 8 plus wire type, with a field number above 0 and a wire type
   * this cursor can skip (no groups); else it fails and returns 0.
   */
  public int tag() {
    long tag = varint(5);
    int wire = (int) (tag & 7);
    if (failed || tag > Integer.MAX_VALUE || (tag >>> 3) == 0
        || (wire != VARINT && wire != FIXED64 && wire != LENGTH_DELIMITED && wire != FIXED32)) {
      failed = true;
      return 0;
    }
    return (int) tag;
  }

  /** A varint field's value, all 64 bits (an int32 or enum field is its low 32 bits, as protobuf reads it). */
  public long varint() {
    return varint(10);
  }

  private long varint(int maxBytes) {
    // One and two bytes, the common case (tags of fields below 2048, kinds, lengths below 16384, HTTP
    // codes), without a loop. C2 hoists the loop's array bounds check out of it on the guess that a
    // varint never ends in the record's last bytes; the last field of a record breaks that guess, and
    // each break deoptimized the source's and the pairing's compiled code, which then compiled again.
    byte[] b = bytes;
    int p = pos;
    if (p < b.length) {
      byte x = b[p];
      if (x >= 0) {
        pos = p + 1;
        return x;
      }
      if (p + 1 < b.length && b[p + 1] >= 0) {
        pos = p + 2;
        return (x & 0x7f) | (long) b[p + 1] << 7;
      }
    }
    return longVarint(maxBytes);
  }

  private long longVarint(int maxBytes) {
    long v = 0;
    for (int i = 0; i < maxBytes; i++) {
      if (pos >= bytes.length) {
        break;
      }
      byte x = bytes[pos++];
      v |= (long) (x & 0x7f) << (7 * i);
      if (x >= 0) {
        return v;
      }
    }
    failed = true;
    return 0;
  }

  /** Moves past a varint without decoding it ({@link #varint()}'s checks: at most 10 bytes, within the record). */
  private void skipVarint() {
    // A negative int32 (the gRPC status ingest writes as -1 when absent) takes all 10 bytes.
    byte[] b = bytes;
    int end = Math.min(b.length, pos + 10);
    for (int p = pos; p < end; p++) {
      if (b[p] >= 0) {
        pos = p + 1;
        return;
      }
    }
    failed = true;
  }

  public long fixed64() {
    if (bytes.length - pos < 8) {
      failed = true;
      return 0;
    }
    byte[] b = bytes;
    int p = pos;
    // Unrolled: the loop it replaces was this reader's largest self time while still interpreted.
    long v = (b[p] & 0xffL) | (b[p + 1] & 0xffL) << 8 | (b[p + 2] & 0xffL) << 16 | (b[p + 3] & 0xffL) << 24
        | (b[p + 4] & 0xffL) << 32 | (b[p + 5] & 0xffL) << 40 | (b[p + 6] & 0xffL) << 48 | (b[p + 7] & 0xffL) << 56;
    pos = p + 8;
    return v;
  }

  /**
   * A length-delimited field's length; the cursor then stands on its first byte and {@link #skip}
   * moves past it. Fails when the field would run past the end.
   */
  public int length() {
    long n = varint(5);
    if (failed || n > bytes.length - pos) {
      failed = true;
      return 0;
    }
    return (int) n;
  }

  public void skip(int n) {
    pos += n;
  }

  /** Moves past the value of a field of this tag's wire type. */
  public void skipValue(int tag) {
    switch (tag & 7) {
      case VARINT -> skipVarint();
      case FIXED64 -> fixed64();
      case FIXED32 -> {
        if (bytes.length - pos < 4) {
          failed = true;
        } else {
          pos += 4;
        }
      }
      default -> skip(length());
    }
  }
}
