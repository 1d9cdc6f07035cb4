package io.switchyard.flinkjobs.graph;

import com.google.protobuf.ByteString;
import io.switchyard.model.v1.SpanRecord;
import io.switchyard.model.v1.SpanRecord.SpanKind;
import java.nio.ByteBuffer;

/** Builds span fixtures with readable ids: trace t, span s, parent p (0 = root). */
public final class Spans {
  private Spans() {}

  public static ByteString id(long v, int bytes) {
    ByteBuffer b = ByteBuffer.allocate(bytes);
    b.position(bytes - 8);
    b.putLong(v);
    return ByteString.copyFrom(b.array());
  }

  public static String traceHex(long trace) {
    return SpanEdges.hex(id(trace, 16));
  }

  /** A span from startMs lasting durationMs. */
  public static SpanRecord.Builder span(long trace, long spanId, long parent, String service, SpanKind kind, long startMs, long durationMs) {
    SpanRecord.Builder b = SpanRecord.newBuilder().setSchemaVersion(1).setTraceId(id(trace, 16)).setSpanId(id(spanId, 8))
        .setServiceName(service).setKind(kind).setName(service + "-op")
        .setStartTimeUnixNano(startMs * 1_000_000).setEndTimeUnixNano((startMs + durationMs) * 1_000_000)
        .setSamplingProbability(1.0).setRpcGrpcStatusCode(-1);
    if (parent != 0) {
      b.setParentSpanId(id(parent, 8));
    }
    return b;
  }
}
