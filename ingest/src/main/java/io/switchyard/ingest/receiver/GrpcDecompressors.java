package io.switchyard.ingest.receiver;

import io.grpc.DecompressorRegistry;

/**
 * The message codings of the OTLP/gRPC listener: those the Collector's OTLP receiver registers (configgrpc: gzip, zstd
 * and snappy), so that none of its {@code otlp} exporter's {@code compression} settings is answered UNIMPLEMENTED,
 * which the exporter does not retry.
 */
public final class GrpcDecompressors {
  private GrpcDecompressors() {}

  /** gRPC's own codings (gzip), zstd and snappy. */
  public static DecompressorRegistry collectorDefaults() {
    return DecompressorRegistry.getDefaultInstance().with(new ZstdCodec(), true).with(new SnappyCodec(), true);
  }
}
