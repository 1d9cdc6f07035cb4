package io.switchyard.extauthz.grpc;

import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** A message as its wire bytes, for a method whose handler reads the bytes itself. */
final class WireBytes {
  private WireBytes() {}

  static final MethodDescriptor.Marshaller<byte[]> MARSHALLER = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        // gRPC's message stream knows its length: read it into an array of that size, without regrowing.
        if (stream instanceof KnownLength) {
          byte[] bytes = new byte[stream.available()];
          if (stream.readNBytes(bytes, 0, bytes.length) == bytes.length && stream.read() < 0) {
            return bytes;
          }
          throw new IllegalStateException("gRPC message stream shorter or longer than its known length");
        }
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };
}
