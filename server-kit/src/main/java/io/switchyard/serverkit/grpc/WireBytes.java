package io.switchyard.serverkit.grpc;

import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * Messages as their wire bytes, for a method whose handler parses them itself: to answer a malformed request with
 * its own status, or to read only the fields it needs.
 */
public final class WireBytes {
  private WireBytes() {}

  public static final MethodDescriptor.Marshaller<byte[]> MARSHALLER = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        // gRPC's message stream knows its length: read into an exact array once, instead of readAllBytes' chunks
        // and final copy.
        int n = stream instanceof KnownLength ? stream.available() : 0;
        if (n <= 0) {
          return stream.readAllBytes();
        }
        byte[] body = new byte[n];
        int got = stream.readNBytes(body, 0, n);
        if (got < n) {
          return Arrays.copyOf(body, got);
        }
        int next = stream.read();
        if (next < 0) {
          return body;
        }
        ByteArrayOutputStream rest = new ByteArrayOutputStream(n * 2);
        rest.write(body);
        rest.write(next);
        stream.transferTo(rest);
        return rest.toByteArray();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };
}
