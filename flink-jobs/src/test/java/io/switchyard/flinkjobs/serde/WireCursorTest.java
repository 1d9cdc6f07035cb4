package io.switchyard.flinkjobs.serde;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The cursor reads one- and two-byte varints without a loop, longer ones eight bytes at a time, and only those in a
 * record's last bytes byte by byte: every length, at the start, in the middle and in the last bytes of a record,
 * whole or cut short, must read as protobuf reads it, or fail.
 */
class WireCursorTest {
  @Test
  void varintsOfEveryLengthAnywhereReadAsProtobufReadsThem() throws Exception {
    Random r = new Random(3);
    for (int i = 0; i < 20_000; i++) {
      int bits = r.nextInt(65);
      long value = bits == 64 ? r.nextLong() : r.nextLong() & ((1L << bits) - 1);
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      int before = r.nextInt(3);
      for (int k = 0; k < before; k++) {
        out.writeUInt64NoTag(r.nextInt(300));
      }
      out.writeUInt64NoTag(value);
      int after = r.nextInt(3);
      for (int k = 0; k < after; k++) {
        out.writeUInt64NoTag(r.nextInt(300));
      }
      out.flush();
      byte[] whole = bytes.toByteArray();
      byte[] record = r.nextInt(4) == 0 ? Arrays.copyOf(whole, r.nextInt(whole.length + 1)) : whole;
      assertVarintsReadAsProtobufReadsThem(record);
    }
  }

  @Test
  void skippingAVarintEndsWhereReadingItEnds() {
    Random r = new Random(4);
    for (int i = 0; i < 20_000; i++) {
      // Random bytes, biased to continuation bits: varints of every length, over-long ones (11+ bytes),
      // and ones the record cuts short.
      byte[] record = new byte[r.nextInt(40)];
      for (int k = 0; k < record.length; k++) {
        record[k] = (byte) (r.nextInt(5) == 0 ? r.nextInt(128) : 128 + r.nextInt(128));
      }
      WireCursor read = new WireCursor(record);
      WireCursor skip = new WireCursor(record);
      while (read.more()) {
        read.varint();
        skip.skipValue(WireCursor.VARINT);
        assertThat(skip.failed()).as("record %s", Arrays.toString(record)).isEqualTo(read.failed());
        if (read.failed()) {
          break;
        }
        assertThat(skip.position()).isEqualTo(read.position());
      }
    }
  }

  @Test
  void anyBytesReadAsVarintsGiveProtobufsValueOrFailWhereItFails() {
    // Random bytes, mostly continuation bytes: varints of up to ten bytes whose last byte carries any bits (protobuf
    // keeps bit 63 of a tenth byte only), over-long ones of eleven and more, and ones the record cuts short, at every
    // offset, so both the eight-byte read and the byte loop near the record's end are taken. Where the cursor reads a
    // value it is protobuf's; where protobuf fails, the cursor fails.
    Random r = new Random(5);
    for (int i = 0; i < 50_000; i++) {
      byte[] record = new byte[r.nextInt(30)];
      for (int k = 0; k < record.length; k++) {
        record[k] = (byte) (r.nextInt(6) == 0 ? r.nextInt(128) : 128 + r.nextInt(128));
      }
      assertVarintsReadAsProtobufReadsThem(record);
    }
  }

  @Test
  void aTagOfMoreThanFiveBytesFailsWhereverItStands() {
    for (int before = 0; before < 12; before++) {
      for (int bytes = 1; bytes <= 10; bytes++) {
        // Field 1, wire type 0, padded with continuation bytes: 0x88 0x80 ... 0x01 (just 0x08 for one byte).
        byte[] record = new byte[before + bytes + 12];
        record[before] = (byte) (bytes == 1 ? 0x08 : 0x88);
        for (int k = 1; k < bytes; k++) {
          record[before + k] = (byte) (k == bytes - 1 ? 0x01 : 0x80);
        }
        WireCursor cursor = new WireCursor(record, before);
        int tag = cursor.tag();
        assertThat(cursor.failed()).as("%d bytes at %d", bytes, before).isEqualTo(bytes > 5);
        if (bytes <= 5) {
          assertThat(tag).isEqualTo(bytes == 1 ? 8 : 8 | 1 << 7 * (bytes - 1));
          assertThat(cursor.position()).isEqualTo(before + bytes);
        }
      }
    }
  }

  /**
   * Reads {@code record} as varints to its end with the cursor and with protobuf: where the cursor reads a value it is
   * protobuf's, at the same position; where protobuf fails, the cursor fails.
   */
  private static void assertVarintsReadAsProtobufReadsThem(byte[] record) {
    WireCursor cursor = new WireCursor(record);
    CodedInputStream proto = CodedInputStream.newInstance(record);
    while (cursor.more()) {
      int at = cursor.position();
      long read = cursor.varint();
      Long expected = readOrNull(proto);
      if (expected == null) {
        assertThat(cursor.failed()).as("record %s", Arrays.toString(record)).isTrue();
        return;
      }
      if (cursor.failed()) {
        // Only where protobuf's fast path takes ten bytes whose tenth still has its continuation bit (it checks
        // that bit only when the value so far is negative): the caller hands such a record to protobuf.
        assertThat(proto.getTotalBytesRead() - at).as("record %s", Arrays.toString(record)).isEqualTo(10);
        assertThat(record[at + 9]).as("record %s", Arrays.toString(record)).isNegative();
        return;
      }
      assertThat(read).as("record %s", Arrays.toString(record)).isEqualTo(expected);
      assertThat(cursor.position()).isEqualTo(proto.getTotalBytesRead());
    }
  }

  private static Long readOrNull(CodedInputStream in) {
    try {
      return in.readRawVarint64();
    } catch (IOException e) {
      return null;
    }
  }
}
