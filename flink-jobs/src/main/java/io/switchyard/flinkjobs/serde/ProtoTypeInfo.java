package io.switchyard.flinkjobs.serde;

import com.google.protobuf.Message;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * Type information for a protobuf record: Flink would otherwise treat the generated class as a
 * generic type and fall back to Kryo, whose state format breaks on any schema change. Protobuf's own
 * wire format evolves by the model's rules (fields added with new numbers), so state written by one
 * build restores in the next.
 */
public final class ProtoTypeInfo<T extends Message> extends ExplicitTypeInfo<T> {
  private static final long serialVersionUID = 1L;

  private ProtoTypeInfo(Class<T> type) {
    super(type);
  }

  public static <T extends Message> ProtoTypeInfo<T> forMessage(Class<T> type) {
    return new ProtoTypeInfo<>(type);
  }

  @Override
  public TypeSerializer<T> createSerializer(SerializerConfig config) {
    return new ProtoSerializer<>(getTypeClass());
  }

  @Override
  public String toString() {
    return "Proto<" + getTypeClass().getName() + ">";
  }
}
