package io.switchyard.flinkjobs.graph;

import com.google.protobuf.InvalidProtocolBufferException;
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
 * that still reads this one. The proxy markers ({@link TraceState#PROXY_SERVER}) are seen entries like
 * any other, so version 1 holds them unchanged: either build reads the other's state.
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
    // Indexed loops: every completed trace is serialized once, and the iterators were 3 % of the span chain's
    // allocations (C2 did not scalar-replace them).
    List<byte[]> seen = t.seen;
    out.writeInt(seen.size());
    for (int i = 0; i < seen.size(); i++) {
      byte[] s = seen.get(i);
      out.writeByte(s.length);
      out.write(s);
    }
    List<TraceState.Pending> pending = t.pending;
    out.writeInt(pending.size());
    for (int i = 0; i < pending.size(); i++) {
      TraceState.Pending p = pending.get(i);
      out.writeUTF(p.key());
      out.writeLong(p.deadline);
      out.writeBoolean(p.matchedProducer);
      byte[] span = p.raw;
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
    boolean marks = false;
    for (int i = 0; i < seenCount; i++) {
      byte[] s = new byte[in.readUnsignedByte()];
      in.readFully(s);
      seen.add(s);
      marks |= TraceState.isMark(s);
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
        SpanFields fields = SpanFields.parse(span);
        if (!fields.links().isEmpty() && key.startsWith("s/")) {
          // A consumer waiting under one of its links: its key names the linked span, not its parent.
          fields = fields.waitingUnder(key.substring(2, key.indexOf('/', 2)));
        }
        pending.add(new TraceState.Pending(key, fields, span, deadline, matched));
      } catch (InvalidProtocolBufferException e) {
        throw new IOException("corrupt pending span in pairing state", e);
      }
    }
    TraceState t = new TraceState(seen, pending);
    t.proxyMarks = marks;
    t.expiryTimer = in.readLong();
    t.forgetAt = in.readLong();
    return t;
  }

  /**
   * Whether the stored trace {@code value} (this serializer's bytes) has nothing waiting, read without
   * decoding it: the sweep checks every trace it walks this way. The layout is checked as far as the
   * answer needs it, and up to the end when nothing waits.
   *
   * @throws IOException when the bytes are not a stored trace
   */
  static boolean nothingWaits(byte[] value) throws IOException {
    int seen = readInt(value, 0);
    if (seen < 0) {
      throw corrupt(value);
    }
    int at = 4;
    for (int i = 0; i < seen; i++) {
      if (at >= value.length) {
        throw corrupt(value);
      }
      at += 1 + (value[at] & 0xff);
    }
    int pending = readInt(value, at);
    at += 4;
    if (pending < 0 || (pending == 0 && at + 16 != value.length) || (pending > 0 && at + 16 >= value.length)) {
      throw corrupt(value);
    }
    return pending == 0;
  }

  /** The stored trace's {@link TraceState#forgetAt}: its last field (of a value {@link #nothingWaits} accepted). */
  static long forgetAt(byte[] value) {
    long v = 0;
    for (int i = value.length - 8; i < value.length; i++) {
      v = (v << 8) | (value[i] & 0xff);
    }
    return v;
  }

  private static int readInt(byte[] value, int at) throws IOException {
    if (at < 0 || at + 4 > value.length) {
      throw corrupt(value);
    }
    return (value[at] & 0xff) << 24 | (value[at + 1] & 0xff) << 16 | (value[at + 2] & 0xff) << 8 | (value[at + 3] & 0xff);
  }

  private static IOException corrupt(byte[] value) {
    return new IOException("corrupt trace in pairing state (" + value.length + " bytes)");
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
