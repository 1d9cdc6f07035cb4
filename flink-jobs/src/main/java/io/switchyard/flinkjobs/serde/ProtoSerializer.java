package io.switchyard.flinkjobs.serde;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/** Length-prefixed protobuf wire format. Messages are immutable, so copies are the same object. */
public final class ProtoSerializer<T extends Message> extends TypeSerializer<T> {
  private static final long serialVersionUID = 1L;
  private final Class<T> type;
  private transient Parser<T> parser;
  private transient T defaultInstance;

  public ProtoSerializer(Class<T> type) {
    this.type = type;
  }

  @SuppressWarnings("unchecked")
  private Parser<T> parser() {
    if (parser == null) {
      parser = (Parser<T>) defaultInstance().getParserForType();
    }
    return parser;
  }

  @SuppressWarnings("unchecked")
  private T defaultInstance() {
    if (defaultInstance == null) {
      try {
        defaultInstance = (T) type.getMethod("getDefaultInstance").invoke(null);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("not a generated protobuf message: " + type.getName(), e);
      }
    }
    return defaultInstance;
  }

  @Override
  public boolean isImmutableType() {
    return true;
  }

  @Override
  public TypeSerializer<T> duplicate() {
    return this;
  }

  @Override
  public T createInstance() {
    return defaultInstance();
  }

  @Override
  public T copy(T from) {
    return from;
  }

  @Override
  public T copy(T from, T reuse) {
    return from;
  }

  @Override
  public int getLength() {
    return -1;
  }

  @Override
  public void serialize(T record, DataOutputView target) throws IOException {
    byte[] bytes = record.toByteArray();
    target.writeInt(bytes.length);
    target.write(bytes);
  }

  @Override
  public T deserialize(DataInputView source) throws IOException {
    byte[] bytes = new byte[source.readInt()];
    source.readFully(bytes);
    try {
      return parser().parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IOException("corrupt " + type.getSimpleName() + " in state or stream", e);
    }
  }

  @Override
  public T deserialize(T reuse, DataInputView source) throws IOException {
    return deserialize(source);
  }

  @Override
  public void copy(DataInputView source, DataOutputView target) throws IOException {
    int length = source.readInt();
    target.writeInt(length);
    target.write(source, length);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ProtoSerializer<?> other && other.type.equals(type);
  }

  @Override
  public int hashCode() {
    return type.hashCode();
  }

  @Override
  public TypeSerializerSnapshot<T> snapshotConfiguration() {
    return new Snapshot<>(type);
  }

  /** Records the message class; any two builds of the same message are wire compatible. */
  public static final class Snapshot<T extends Message> implements TypeSerializerSnapshot<T> {
    private Class<T> type;

    /** For Flink's reflective restore. */
    public Snapshot() {}

    Snapshot(Class<T> type) {
      this.type = type;
    }

    @Override
    public int getCurrentVersion() {
      return 1;
    }

    @Override
    public void writeSnapshot(DataOutputView out) throws IOException {
      out.writeUTF(type.getName());
    }

    @Override
    @SuppressWarnings("unchecked")
    public void readSnapshot(int version, DataInputView in, ClassLoader loader) throws IOException {
      String name = in.readUTF();
      try {
        type = (Class<T>) Class.forName(name, false, loader);
      } catch (ClassNotFoundException e) {
        throw new IOException("state names protobuf class " + name + " which this build lacks", e);
      }
    }

    @Override
    public TypeSerializer<T> restoreSerializer() {
      return new ProtoSerializer<>(type);
    }

    @Override
    public TypeSerializerSchemaCompatibility<T> resolveSchemaCompatibility(TypeSerializerSnapshot<T> oldSnapshot) {
      if (oldSnapshot instanceof Snapshot<T> old && old.type.getName().equals(type.getName())) {
        return TypeSerializerSchemaCompatibility.compatibleAsIs();
      }
      return TypeSerializerSchemaCompatibility.incompatible();
    }
  }
}
