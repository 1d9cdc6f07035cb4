package io.switchyard.ingest.receiver;

import io.grpc.Decompressor;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.xerial.snappy.Snappy;
import org.xerial.snappy.SnappyFramedInputStream;

/**
 * snappy, as the Collector's OTLP receiver takes it. Over gRPC its configgrpc registers a {@code snappy} codec that
 * reads the framing format (its exporter's {@code compression: snappy}). Over HTTP {@code Content-Encoding: snappy} is
 * one block, what its {@code otlphttp} exporter sends since v0.131, unless the body starts with the framing format's
 * stream identifier, what exporters sent before; {@code x-snappy-framed} is the framing format alone.
 */
public final class SnappyCodec implements Decompressor {
  /** The stream identifier chunk every framed stream starts with: type 0xff, length 6, "sNaPpY". */
  private static final byte[] STREAM_IDENTIFIER = {(byte) 0xff, 0x06, 0x00, 0x00, 's', 'N', 'a', 'P', 'p', 'Y'};

  /** A varint of a 32-bit length takes at most 5 bytes. */
  private static final int MAX_LENGTH_BYTES = 5;

  @Override
  public String getMessageEncoding() {
    return "snappy";
  }

  @Override
  public InputStream decompress(InputStream is) throws IOException {
    return framed(is);
  }

  /** A stream reading the framing format, checking each chunk's CRC as the Collector's reader does. */
  static InputStream framed(InputStream in) throws IOException {
    return new SnappyFramedInputStream(in, true);
  }

  /** Whether the stream (which must support mark) starts with the framing format's stream identifier. */
  static boolean startsFramed(InputStream in) throws IOException {
    in.mark(STREAM_IDENTIFIER.length);
    byte[] head = in.readNBytes(STREAM_IDENTIFIER.length);
    in.reset();
    return Arrays.equals(head, STREAM_IDENTIFIER);
  }

  /**
   * The decoded length a block declares in its first bytes (a little-endian varint), read from a stream that supports
   * mark and left where it was: the caller refuses a length over its limit before anything of that size is allocated.
   */
  static long declaredLength(InputStream in) throws IOException {
    in.mark(MAX_LENGTH_BYTES);
    long length = 0;
    try {
      for (int i = 0; i < MAX_LENGTH_BYTES; i++) {
        int b = in.read();
        if (b < 0) {
          throw new IOException("the block ends inside its length");
        }
        length |= (long) (b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0) {
          if (length > 0xffffffffL) {
            break;
          }
          return length;
        }
      }
      throw new IOException("the block's length is not a 32-bit varint");
    } finally {
      in.reset();
    }
  }

  /**
   * Decodes a block (the rest of the stream, positioned at its length) into exactly {@code length} bytes, as {@link
   * #declaredLength} read it. The compressed bytes read are bounded too: a block of that length cannot be longer.
   */
  static byte[] block(InputStream in, int length) throws IOException {
    long bound = 32L + length + length / 6; // snappy's MaxCompressedLength, length prefix included
    byte[] compressed = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, bound + 1));
    if (compressed.length > bound) {
      throw new IOException("more bytes than a block of " + length + " decoded bytes can take");
    }
    // The native decoder writes as many bytes as the block's varint says, unchecked: that is the length read before,
    // so the array is exactly large enough.
    byte[] out = new byte[length];
    int n;
    try {
      n = Snappy.uncompress(compressed, 0, compressed.length, out, 0);
    } catch (IOException e) {
      throw new IOException("corrupt block: " + e.getMessage(), e);
    }
    if (n != length) {
      throw new IOException("the block decodes to " + n + " bytes, not the " + length + " it declares");
    }
    return out;
  }
}
