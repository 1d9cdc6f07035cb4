package io.switchyard.flinkjobs.graph;

import com.google.protobuf.ByteString;
import io.switchyard.model.v1.SpanRecord;
import io.switchyard.model.v1.SpanRecord.SpanKind;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

/**
 * Thread CPU per request of the {@code service-graph} operator alone, on RocksDB, over the judged
 * bench's stream (a CLIENT and a SERVER span per request in one batch, 50 services, 1,000 requests per
 * event-time second, a watermark every 1,024 requests, end of input at the last). Uses only what every
 * build since session 11 has, so the same class runs against an earlier build's local jar for a
 * same-machine A/B (JVMs alternating):
 *
 * <pre>
 * java -cp flink-jobs/target/test-classes:OLD_OR_NEW_LOCAL_JAR io.switchyard.flinkjobs.graph.ServiceGraphPairingCpu 200000 4
 * </pre>
 *
 * The harness copies each output edge (its output serializer), the same cost in every build.
 */
public final class ServiceGraphPairingCpu {
  private static final long T0 = 1_767_225_600_000L;
  private static final int WATERMARK_MASK = Integer.getInteger("watermarkEvery", 1024) - 1;

  public static void main(String[] args) throws Exception {
    int requests = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    List<TraceSpans> batches = batches(requests);
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    for (int r = 1; r <= rounds; r++) {
      var harness = new KeyedOneInputStreamOperatorTestHarness<>(new ServiceGraphOperator(PairingConfig.defaults()),
          TraceSpans::key, Types.STRING);
      harness.setStateBackend(new EmbeddedRocksDBStateBackend());
      harness.open();
      long allocated = allocated();
      long before = threads.getCurrentThreadCpuTime();
      for (int i = 0; i < batches.size(); i++) {
        TraceSpans b = batches.get(i);
        harness.processElement(new StreamRecord<>(b, b.timestamp()));
        if ((i & WATERMARK_MASK) == WATERMARK_MASK) {
          harness.processWatermark(new Watermark(b.timestamp() - 1));
          harness.getOutput().clear();
        }
      }
      harness.processWatermark(new Watermark(Long.MAX_VALUE));
      long cpu = threads.getCurrentThreadCpuTime() - before;
      long bytes = allocated() - allocated;
      harness.close();
      System.out.printf("round %d: %.3f us CPU per request, %d bytes allocated per request%n", r, cpu / 1e3 / requests,
          bytes / requests);
    }
  }

  private static long allocated() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
  }

  /** The bench's requests, one batch each (client, then server), as the batcher hands them on. */
  static List<TraceSpans> batches(int requests) {
    List<TraceSpans> out = new ArrayList<>(requests);
    for (int i = 0; i < requests; i++) {
      ByteString trace = id(i + 1, 16);
      long start = (T0 + i) * 1_000_000L;
      SpanRecord c = SpanRecord.newBuilder().setSchemaVersion(1).setTraceId(trace).setSpanId(id(1, 8)).setServiceName("svc-" + (i % 50))
          .setKind(SpanKind.SPAN_KIND_CLIENT).setStartTimeUnixNano(start).setEndTimeUnixNano(start + 5_000_000)
          .setSamplingProbability(1).setHttpStatusCode(200).build();
      SpanRecord s = SpanRecord.newBuilder().setSchemaVersion(1).setTraceId(trace).setSpanId(id(2, 8)).setParentSpanId(id(1, 8))
          .setServiceName("svc-" + ((i * 7 + 3) % 50)).setKind(SpanKind.SPAN_KIND_SERVER).setStartTimeUnixNano(start + 500_000)
          .setEndTimeUnixNano(start + 4_500_000).setSamplingProbability(1).setHttpStatusCode(200).build();
      List<byte[]> spans = new ArrayList<>(2);
      spans.add(c.toByteArray());
      spans.add(s.toByteArray());
      out.add(new TraceSpans(trace.toByteArray(), spans, start / 1_000_000 + 5));
    }
    return out;
  }

  private static ByteString id(long v, int bytes) {
    ByteBuffer b = ByteBuffer.allocate(bytes);
    b.position(bytes - 8);
    b.putLong(v);
    return ByteString.copyFrom(b.array());
  }
}
