package io.switchyard.flinkjobs.graph;

import io.switchyard.flinkjobs.serde.RawSpanDeserializer;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Thread CPU and allocation per span of the span chain's front (the source's {@link RawSpanDeserializer},
 * {@link TraceBatcher}, the pairing on RocksDB) over the records of a span topic, as the bench's
 * {@code SpanTopicFill FILE REQUESTS} writes them to a file (per record: int key length, key, int value
 * length, value). Each value is a fresh copy made just before the source reads it, as the Kafka fetcher
 * hands over fresh arrays; a watermark follows each flush of the batcher. Not a test: a same-machine A/B
 * runs it against two builds' classes, JVMs alternating, with the local jar's JVM flags
 * ({@code Switchyard-Jvm-Options} in flink-jobs/pom.xml):
 *
 * <pre>
 * java $FLAGS -cp flink-jobs/target/test-classes:BUILD_CLASSES:TEST_CLASS_PATH \
 *     io.switchyard.flinkjobs.graph.SpanChainCpu /tmp/spans.bin 4 label
 * </pre>
 *
 * Here, not in bench/: it drives Flink's operator test harnesses and needs Flink's RocksDB on its class
 * path, which the bench's class path (Kafka tools, rocksdbjni) must not hold. Uses only what builds since
 * session 12 have, so one compiled copy runs against an older build's classes.
 */
public final class SpanChainCpu {
  private SpanChainCpu() {}

  public static void main(String[] args) throws Exception {
    List<byte[][]> records = read(Path.of(args[0]));
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    String label = args.length > 2 ? args[2] : "build";
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long self = Thread.currentThread().getId();
    for (int r = 0; r < rounds; r++) {
      var batcher = new OneInputStreamOperatorTestHarness<TraceSpans, TraceSpans>(new TraceBatcher(10_000, 200, true));
      batcher.setup(new PassOn()); // a chained operator with object reuse hands its output on uncopied
      batcher.open();
      var pairing = new KeyedOneInputStreamOperatorTestHarness<>(new ServiceGraphOperator(PairingConfig.defaults()),
          TraceSpans::key, Types.STRING);
      Configuration conf = new Configuration();
      conf.setString("state.backend.rocksdb.use-bloom-filter", "true");
      conf.setString("state.backend.rocksdb.timer-service.factory", "ROCKSDB");
      pairing.setStateBackend(new EmbeddedRocksDBStateBackend().configure(conf, SpanChainCpu.class.getClassLoader()));
      pairing.open();
      RawSpanDeserializer source = new RawSpanDeserializer();
      Collector<TraceSpans> toBatcher = new Collector<>() {
        @Override
        public void collect(TraceSpans t) {
          try {
            batcher.processElement(new StreamRecord<>(t, t.timestamp()));
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }

        @Override
        public void close() {}
      };
      Queue<Object> batches = batcher.getOutput();
      long edges = 0;
      long cpu = threads.getCurrentThreadCpuTime();
      long allocated = threads.getThreadAllocatedBytes(self);
      for (int k = 0; k < records.size(); k++) {
        byte[][] record = records.get(k);
        source.deserialize(new ConsumerRecord<>("spans", 0, k, record[0], record[1].clone()), toBatcher);
        if (!batches.isEmpty()) {
          long newest = Long.MIN_VALUE;
          for (Object o = batches.poll(); o != null; o = batches.poll()) {
            if (o instanceof StreamRecord<?> element) {
              @SuppressWarnings("unchecked")
              StreamRecord<TraceSpans> batch = (StreamRecord<TraceSpans>) element;
              newest = Math.max(newest, batch.getTimestamp());
              pairing.processElement(batch);
            }
          }
          pairing.processWatermark(new Watermark(newest - 2000));
          edges += pairing.getOutput().size();
          pairing.getOutput().clear();
        }
      }
      double us = (threads.getCurrentThreadCpuTime() - cpu) / 1e3 / records.size();
      double bytes = (double) (threads.getThreadAllocatedBytes(self) - allocated) / records.size();
      System.out.printf("%s round %d: %.3f us/span, %.0f B/span allocated, %d outputs%n", label, r, us, bytes, edges);
      batcher.close();
      pairing.close();
    }
  }

  private static List<byte[][]> read(Path file) throws IOException {
    List<byte[][]> records = new ArrayList<>();
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 20))) {
      while (true) {
        int keyLength;
        try {
          keyLength = in.readInt();
        } catch (EOFException end) {
          return records;
        }
        byte[] key = in.readNBytes(keyLength);
        byte[] value = in.readNBytes(in.readInt());
        records.add(new byte[][] {key, value});
      }
    }
  }

  /** The batcher's output serializer with a copy that hands the batch on as it is. */
  private static final class PassOn extends TypeSerializerSingleton<TraceSpans> {
    private static final long serialVersionUID = 1L;
    private static final TraceSpansSerializer D = TraceSpansSerializer.INSTANCE;

    @Override
    public boolean isImmutableType() {
      return false;
    }

    @Override
    public TraceSpans createInstance() {
      return D.createInstance();
    }

    @Override
    public TraceSpans copy(TraceSpans from) {
      return from;
    }

    @Override
    public TraceSpans copy(TraceSpans from, TraceSpans reuse) {
      return from;
    }

    @Override
    public int getLength() {
      return -1;
    }

    @Override
    public void serialize(TraceSpans t, DataOutputView out) throws IOException {
      D.serialize(t, out);
    }

    @Override
    public TraceSpans deserialize(DataInputView in) throws IOException {
      return D.deserialize(in);
    }

    @Override
    public TraceSpans deserialize(TraceSpans reuse, DataInputView in) throws IOException {
      return D.deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
      D.copy(in, out);
    }

    @Override
    public TypeSerializerSnapshot<TraceSpans> snapshotConfiguration() {
      return D.snapshotConfiguration();
    }
  }
}
