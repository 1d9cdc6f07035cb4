package io.switchyard.flinkjobs.graph;

import com.google.protobuf.InvalidProtocolBufferException;
import io.switchyard.model.v1.SpanRecord;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Explicit, versioned state format of {@link TraceState} (no Kryo, no POJO reflection). Version 1:
 * seen count, each (length, bytes); pending count, each (key, deadline, matched flag, span length,
 * span protobuf bytes); expiry timer; the time the trace may be forgotten (the cleanup or keep-alive timer in earlier builds). A new field means a new snapshot version
 * that still reads this one.
 */
public final class TraceStateSerializer extends TypeSerializerSingleton<TraceState> {
  private static final long serialVersionUID = 1L;
  static final TraceStateSerializer INSTANCE = new TraceStateSerializer();

  @Override
  public boolean isImmutableType() {
    return false;
  }

  @Override
  public TraceState createInstance() {
    return new TraceState();
  }

  @Override
  public TraceState copy(TraceState from) {
    return from.copy();
  }

  @Override
  public TraceState copy(TraceState from, TraceState reuse) {
    return from.copy();
  }

  @Override
  public int getLength() {
    return -1;
  }

  @Override
  public void serialize(TraceState t, DataOutputView out) throws IOException {
    out.writeInt(t.seen.size());
    for (byte[] s : t.seen) {
      out.writeByte(s.length);
      out.write(s);
    }
    out.writeInt(t.pending.size());
    for (TraceState.Pending p : t.pending) {
      out.writeUTF(p.key);
      out.writeLong(p.deadline);
      out.writeBoolean(p.matchedProducer);
      byte[] span = TraceState.bytes(p);
      out.writeInt(span.length);
      out.write(span);
    }
    out.writeLong(t.expiryTimer);
    out.writeLong(t.forgetAt);
  }

  @Override
  public TraceState deserialize(DataInputView in) throws IOException {
    int seenCount = in.readInt();
    List<byte[]> seen = new ArrayList<>(seenCount + 2);
    for (int i = 0; i < seenCount; i++) {
      byte[] s = new byte[in.readUnsignedByte()];
      in.readFully(s);
      seen.add(s);
    }
    int pendingCount = in.readInt();
    List<TraceState.Pending> pending = new ArrayList<>(pendingCount + 1);
    for (int i = 0; i < pendingCount; i++) {
      String key = in.readUTF();
      long deadline = in.readLong();
      boolean matched = in.readBoolean();
      byte[] span = new byte[in.readInt()];
      in.readFully(span);
      try {
        pending.add(new TraceState.Pending(key, SpanRecord.parseFrom(span), span, deadline, matched));
      } catch (InvalidProtocolBufferException e) {
        throw new IOException("corrupt pending span in pairing state", e);
      }
    }
    TraceState t = new TraceState(seen, pending);
    t.expiryTimer = in.readLong();
    t.forgetAt = in.readLong();
    return t;
  }

  @Override
  public TraceState deserialize(TraceState reuse, DataInputView in) throws IOException {
    return deserialize(in);
  }

  @Override
  public void copy(DataInputView in, DataOutputView out) throws IOException {
    serialize(deserialize(in), out);
  }

  @Override
  public TypeSerializerSnapshot<TraceState> snapshotConfiguration() {
    return new Snapshot();
  }

  /** Restores this serializer by class; state written by version 1 reads as is. */
  public static final class Snapshot extends SimpleTypeSerializerSnapshot<TraceState> {
    public Snapshot() {
      super(() -> INSTANCE);
    }
  }
}
