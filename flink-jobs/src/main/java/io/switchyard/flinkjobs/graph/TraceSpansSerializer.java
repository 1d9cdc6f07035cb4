package io.switchyard.flinkjobs.graph;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Network format of {@link TraceSpans}: trace id (length, bytes), timestamp, span count, each span
 * (length, bytes). Never kept in state: the batches live between a source and the pairing operator
 * only, and the buffer that builds them is flushed before every checkpoint barrier.
 */
public final class TraceSpansSerializer extends TypeSerializerSingleton<TraceSpans> {
  private static final long serialVersionUID = 1L;
  static final TraceSpansSerializer INSTANCE = new TraceSpansSerializer();

  @Override
  public boolean isImmutableType() {
    return false;
  }

  @Override
  public TraceSpans createInstance() {
    return new TraceSpans(new byte[0], new ArrayList<>(), Long.MIN_VALUE);
  }

  @Override
  public TraceSpans copy(TraceSpans from) {
    // The byte arrays are never written after creation, so sharing them is safe; the list is not.
    return from.copy();
  }

  @Override
  public TraceSpans copy(TraceSpans from, TraceSpans reuse) {
    return copy(from);
  }

  @Override
  public int getLength() {
    return -1;
  }

  @Override
  public void serialize(TraceSpans t, DataOutputView out) throws IOException {
    out.writeByte(t.traceLength());
    t.writeTraceId(out);
    out.writeLong(t.timestamp);
    int n = t.size();
    out.writeInt(n);
    for (int i = 0; i < n; i++) {
      byte[] s = t.span(i);
      out.writeInt(s.length);
      out.write(s);
    }
  }

  @Override
  public TraceSpans deserialize(DataInputView in) throws IOException {
    byte[] trace = new byte[in.readUnsignedByte()];
    in.readFully(trace);
    long timestamp = in.readLong();
    int n = in.readInt();
    List<byte[]> spans = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      byte[] s = new byte[in.readInt()];
      in.readFully(s);
      spans.add(s);
    }
    return new TraceSpans(trace, spans, timestamp);
  }

  @Override
  public TraceSpans deserialize(TraceSpans reuse, DataInputView in) throws IOException {
    return deserialize(in);
  }

  @Override
  public void copy(DataInputView in, DataOutputView out) throws IOException {
    serialize(deserialize(in), out);
  }

  @Override
  public TypeSerializerSnapshot<TraceSpans> snapshotConfiguration() {
    return new Snapshot();
  }

  /** Restores this serializer by class. */
  public static final class Snapshot extends SimpleTypeSerializerSnapshot<TraceSpans> {
    public Snapshot() {
      super(() -> INSTANCE);
    }
  }
}
