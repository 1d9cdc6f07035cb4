package io.switchyard.topology.store;

import java.util.Arrays;
import org.rocksdb.WriteBatch;

/**
 * A RocksDB write batch laid out in Java, in the serialized form {@code WriteBatch(byte[])} takes: a whole
 * batch then crosses into RocksDB in one call instead of one call (and two array copies) per put. The layout is
 * RocksDB's {@code WriteBatch::rep_} for the default column family: an 8-byte sequence number (zero: the write
 * assigns it), a 4-byte little-endian count, then per operation a type byte and its length-prefixed keys and
 * value. Operations are listed first and laid out at the end, into an array of exactly their size.
 */
final class BatchBytes {
  private static final int HEADER = 12;
  private static final byte DELETION = 0x0;
  private static final byte VALUE = 0x1;
  private static final byte RANGE_DELETION = 0xF;

  private byte[] types;
  private byte[][] firsts;
  private byte[][] seconds;
  private int count;

  BatchBytes(int expectedOperations) {
    int n = Math.max(16, expectedOperations);
    types = new byte[n];
    firsts = new byte[n][];
    seconds = new byte[n][];
  }

  /** The arrays are kept, not copied, until {@link #toWriteBatch()}. */
  void put(byte[] key, byte[] value) {
    add(VALUE, key, value);
  }

  void delete(byte[] key) {
    add(DELETION, key, null);
  }

  /** Deletes the keys in [begin, end). */
  void deleteRange(byte[] begin, byte[] end) {
    add(RANGE_DELETION, begin, end);
  }

  /** A native batch holding these operations, in order; the caller closes it. */
  WriteBatch toWriteBatch() {
    long size = HEADER;
    for (int i = 0; i < count; i++) {
      size += 1 + stringSize(firsts[i]) + (seconds[i] == null ? 0 : stringSize(seconds[i]));
    }
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException("write batch of " + size + " bytes");
    }
    byte[] out = new byte[(int) size];
    out[8] = (byte) count;
    out[9] = (byte) (count >>> 8);
    out[10] = (byte) (count >>> 16);
    out[11] = (byte) (count >>> 24);
    int at = HEADER;
    for (int i = 0; i < count; i++) {
      out[at++] = types[i];
      at = string(out, at, firsts[i]);
      if (seconds[i] != null) {
        at = string(out, at, seconds[i]);
      }
    }
    return new WriteBatch(out);
  }

  private void add(byte type, byte[] first, byte[] second) {
    if (count == types.length) {
      int n = count * 2;
      types = Arrays.copyOf(types, n);
      firsts = Arrays.copyOf(firsts, n);
      seconds = Arrays.copyOf(seconds, n);
    }
    types[count] = type;
    firsts[count] = first;
    seconds[count] = second;
    count++;
  }

  private static int stringSize(byte[] b) {
    int n = b.length;
    int varint = 1;
    while ((n & ~0x7f) != 0) {
      varint++;
      n >>>= 7;
    }
    return varint + b.length;
  }

  private static int string(byte[] out, int at, byte[] b) {
    int n = b.length;
    while ((n & ~0x7f) != 0) {
      out[at++] = (byte) ((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out[at++] = (byte) n;
    System.arraycopy(b, 0, out, at, b.length);
    return at + b.length;
  }
}
