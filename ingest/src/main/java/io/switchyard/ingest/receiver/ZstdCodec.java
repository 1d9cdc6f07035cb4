package io.switchyard.ingest.receiver;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import io.grpc.Decompressor;
import java.io.IOException;
import java.io.InputStream;

/**
 * zstd for OTLP/gRPC messages: the Collector's OTLP receiver registers it beside gzip, and its {@code otlp} exporter
 * sends it with {@code compression: zstd}; without it such calls were answered UNIMPLEMENTED, which the exporter does
 * not retry, and their data was lost.
 */
public final class ZstdCodec implements Decompressor {
  /**
   * The largest window a frame may need, as a power of two: 8 MiB, what RFC 9659 has HTTP's zstd coding keep to (the
   * Collector's gRPC compressor uses 512 KiB). A frame asking for more is refused instead of costing that much native
   * memory per call before the message size limit applies.
   */
  static final int WINDOW_LOG_MAX = 23;

  /** A stream reading zstd frames, for the HTTP receiver too. */
  static InputStream decompressing(InputStream in) throws IOException {
    return new ZstdInputStreamNoFinalizer(in).setLongMax(WINDOW_LOG_MAX);
  }

  @Override
  public String getMessageEncoding() {
    return "zstd";
  }

  @Override
  public InputStream decompress(InputStream is) throws IOException {
    return decompressing(is);
  }
}
