package io.switchyard.flinkjobs.graph;

import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/** Type information of {@link TraceSpans}: its explicit serializer, never Kryo. */
public final class TraceSpansTypeInfo extends TypeInformation<TraceSpans> {
  private static final long serialVersionUID = 1L;
  public static final TraceSpansTypeInfo INSTANCE = new TraceSpansTypeInfo();

  private TraceSpansTypeInfo() {}

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
  public Class<TraceSpans> getTypeClass() {
    return TraceSpans.class;
  }

  @Override
  public boolean isKeyType() {
    return false;
  }

  @Override
  public TypeSerializer<TraceSpans> createSerializer(SerializerConfig config) {
    return TraceSpansSerializer.INSTANCE;
  }

  @Override
  public String toString() {
    return "TraceSpans";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TraceSpansTypeInfo;
  }

  @Override
  public int hashCode() {
    return TraceSpansTypeInfo.class.hashCode();
  }

  @Override
  public boolean canEqual(Object o) {
    return o instanceof TraceSpansTypeInfo;
  }
}
