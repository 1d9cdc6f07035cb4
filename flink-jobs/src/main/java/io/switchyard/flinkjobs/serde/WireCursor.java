package io.switchyard.flinkjobs.serde;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

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
  /**
   * The high bit of every byte of a {@link #word}: a varint's bytes have it set, all but its last, and an ASCII byte
   * never has it.
   */
  public static final long HIGH_BITS = 0x8080808080808080L;
  private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

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
    byte[] b = bytes;
    int p = pos;
    if (b.length - p >= 10) {
      // Eight bytes in one read: the varint ends at the first byte without its high bit, and its 7-bit groups are
      // gathered by shifts. The loop below takes a branch per byte and mispredicts its exit, and nearly every span
      // has a ten-byte varint: ingest writes an absent gRPC status as -1.
      long w = word(b, p);
      long ends = ~w & HIGH_BITS;
      if (ends != 0) {
        int n = (Long.numberOfTrailingZeros(ends) + 1) >>> 3;
        if (n <= maxBytes) {
          pos = p + n;
          return gather(n == 8 ? w : w & ((1L << (n << 3)) - 1));
        }
      } else if (maxBytes == 10) {
        long v = gather(w);
        byte ninth = b[p + 8];
        v |= (ninth & 0x7fL) << 56;
        if (ninth >= 0) {
          pos = p + 9;
          return v;
        }
        byte tenth = b[p + 9];
        if (tenth >= 0) {
          pos = p + 10;
          return v | (long) tenth << 63; // bit 63 only, as protobuf reads a tenth byte
        }
      }
      failed = true;
      return 0;
    }
    return loopVarint(maxBytes);
  }

  /** Bytes {@code [at, at + 8)} of {@code b} as one little-endian word, in one read. */
  public static long word(byte[] b, int at) {
    return (long) LONG_LE.get(b, at);
  }

  /** The 7-bit groups of the (up to eight) varint bytes in {@code w}, little-endian, high bits ignored. */
  private static long gather(long w) {
    return (w & 0x7fL) | (w >>> 1 & 0x7fL << 7) | (w >>> 2 & 0x7fL << 14) | (w >>> 3 & 0x7fL << 21)
        | (w >>> 4 & 0x7fL << 28) | (w >>> 5 & 0x7fL << 35) | (w >>> 6 & 0x7fL << 42) | (w >>> 7 & 0x7fL << 49);
  }

  /** A varint in the record's last bytes, byte by byte. */
  private long loopVarint(int maxBytes) {
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
    // A negative int32 (the gRPC status ingest writes as -1 when absent) takes all 10 bytes: found in one read of
    // eight, as longVarint does, not byte by byte.
    byte[] b = bytes;
    int p0 = pos;
    if (b.length - p0 >= 10) {
      long ends = ~word(b, p0) & HIGH_BITS;
      if (ends != 0) {
        pos = p0 + ((Long.numberOfTrailingZeros(ends) + 1) >>> 3);
      } else if (b[p0 + 8] >= 0) {
        pos = p0 + 9;
      } else if (b[p0 + 9] >= 0) {
        pos = p0 + 10;
      } else {
        failed = true;
      }
      return;
    }
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
