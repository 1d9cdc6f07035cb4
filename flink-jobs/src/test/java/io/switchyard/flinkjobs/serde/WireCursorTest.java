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
 * The cursor reads one- and two-byte varints without its loop: every length, at the start, in the
 * middle and in the last bytes of a record, whole or cut short, must read as protobuf reads it, or fail.
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

      WireCursor cursor = new WireCursor(record);
      CodedInputStream proto = CodedInputStream.newInstance(record);
      while (cursor.more()) {
        long read = cursor.varint();
        Long expected = readOrNull(proto);
        if (expected == null) {
          assertThat(cursor.failed()).as("record %s", Arrays.toString(record)).isTrue();
          break;
        }
        assertThat(cursor.failed()).isFalse();
        assertThat(read).isEqualTo(expected);
        assertThat(cursor.position()).isEqualTo(proto.getTotalBytesRead());
      }
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
