package io.switchyard.flinkjobs.graph;

import com.google.protobuf.ByteString;
import io.switchyard.model.v1.SpanRecord;
import io.switchyard.model.v1.SpanRecord.SpanKind;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.Random;

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
    return hex(id(trace, 16));
  }

  /** Lower-case hex of the bytes: how trace ids key the span topic and the pairing state. */
  public static String hex(ByteString bytes) {
    return HexFormat.of().formatHex(bytes.toByteArray());
  }

  /** The edge the pairing completes for a client span and its server span, read as the job reads them. */
  public static EdgeEvent paired(SpanRecord client, SpanRecord server) {
    return SpanEdges.paired(SpanFields.of(client), SpanFields.of(server));
  }

  /** Spans of one trace in one batch, as the batcher behind the source hands them on. */
  public static TraceSpans batch(SpanRecord... spans) {
    TraceSpans batch = null;
    for (SpanRecord r : spans) {
      TraceSpans one = TraceSpans.of(r.getTraceId().toByteArray(), r.toByteArray(), r.getEndTimeUnixNano() / 1_000_000);
      if (batch == null) {
        batch = one;
      } else {
        batch.append(one);
      }
    }
    return batch;
  }

  /** A root SERVER span of {@code service} (span id 1) answering 200, 1 ms long: a "user" edge of its own. */
  public static SpanRecord root(long trace, String service, long startMs) {
    return span(trace, 1, 0, service, SpanKind.SPAN_KIND_SERVER, startMs, 1).setHttpStatusCode(200).build();
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

  /**
   * One to four fields of random numbers (the schema's up to {@code highestKnownField}, often with a
   * wire type the schema does not give them, or numbers it does not have) and random values, as wire
   * bytes to put before or after a record's.
   */
  public static byte[] unknownFields(Random r, int highestKnownField) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    for (int i = r.nextInt(4); i >= 0; i--) {
      int field = r.nextInt(4) == 0 ? 50 + r.nextInt(1000) : 1 + r.nextInt(highestKnownField);
      switch (r.nextInt(4)) {
        case 0 -> out.writeUInt64(field, r.nextLong());
        case 1 -> out.writeFixed64(field, r.nextLong());
        case 2 -> out.writeFixed32(field, r.nextInt());
        default -> {
          byte[] value = new byte[r.nextInt(10)];
          r.nextBytes(value);
          out.writeByteArray(field, value);
        }
      }
    }
    out.flush();
    return bytes.toByteArray();
  }

  /** Whether two batches are of the same trace, as the batcher compares them (for tests outside this package). */
  public static boolean sameTrace(TraceSpans a, TraceSpans b) {
    return a.sameTrace(b) && b.sameTrace(a);
  }

  /** The batcher's slot of a batch's trace. */
  public static int slot(TraceSpans t, int mask) {
    return t.traceSlot(mask);
  }

  /** A batch in its network format. */
  public static byte[] wire(TraceSpans t) throws IOException {
    org.apache.flink.core.memory.DataOutputSerializer out = new org.apache.flink.core.memory.DataOutputSerializer(64);
    TraceSpansSerializer.INSTANCE.serialize(t, out);
    return out.getCopyOfBuffer();
  }
}
