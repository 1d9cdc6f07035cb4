package io.switchyard.flinkjobs.graph;

import io.switchyard.flinkjobs.serde.ExplicitTypeInfo;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/** Type information of {@link TraceSpans}: its explicit serializer, never Kryo. */
public final class TraceSpansTypeInfo extends ExplicitTypeInfo<TraceSpans> {
  private static final long serialVersionUID = 1L;
  public static final TraceSpansTypeInfo INSTANCE = new TraceSpansTypeInfo();

  private TraceSpansTypeInfo() {
    super(TraceSpans.class);
  }

  @Override
  public TypeSerializer<TraceSpans> createSerializer(SerializerConfig config) {
    return TraceSpansSerializer.INSTANCE;
  }

  @Override
  public String toString() {
    return "TraceSpans";
  }
}
