package io.switchyard.flinkjobs.serde;

import com.google.protobuf.Message;
import java.util.Objects;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * Type information for a protobuf record: Flink would otherwise treat the generated class as a
 * generic type and fall back to Kryo, whose state format breaks on any schema change. Protobuf's own
 * wire format evolves by the model's rules (fields added with new numbers), so state written by one
 * build restores in the next.
 */
public final class ProtoTypeInfo<T extends Message> extends TypeInformation<T> {
  private static final long serialVersionUID = 1L;
  private final Class<T> type;

  private ProtoTypeInfo(Class<T> type) {
    this.type = Objects.requireNonNull(type);
  }

  public static <T extends Message> ProtoTypeInfo<T> forMessage(Class<T> type) {
    return new ProtoTypeInfo<>(type);
  }

  @Override
  public boolean isBasicType() {
    return false;
  }

  @Override
  public boolean isTupleType() {
    return false;
  }

  @Override
  public int getArity() {
    return 1;
  }

  @Override
  public int getTotalFields() {
    return 1;
  }

  @Override
  public Class<T> getTypeClass() {
    return type;
  }

  @Override
  public boolean isKeyType() {
    return false;
  }

  @Override
  public TypeSerializer<T> createSerializer(SerializerConfig config) {
    return new ProtoSerializer<>(type);
  }

  @Override
  public String toString() {
    return "Proto<" + type.getName() + ">";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ProtoTypeInfo<?> other && other.type.equals(type);
  }

  @Override
  public int hashCode() {
    return type.hashCode();
  }

  @Override
  public boolean canEqual(Object o) {
    return o instanceof ProtoTypeInfo;
  }
}
