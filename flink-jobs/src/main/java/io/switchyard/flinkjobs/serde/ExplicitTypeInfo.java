package io.switchyard.flinkjobs.serde;

import java.util.Objects;
import org.apache.flink.api.common.typeinfo.TypeInformation;

/**
 * Type information for a class that has its own hand-written serializer, so Flink never analyses it
 * as a POJO or falls back to Kryo. Two instances are equal when they describe the same class.
 */
public abstract class ExplicitTypeInfo<T> extends TypeInformation<T> {
  private static final long serialVersionUID = 1L;
  private final Class<T> type;

  protected ExplicitTypeInfo(Class<T> type) {
    this.type = Objects.requireNonNull(type);
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
  public boolean equals(Object o) {
    return o instanceof ExplicitTypeInfo<?> other && other.getClass() == getClass() && other.type.equals(type);
  }

  @Override
  public int hashCode() {
    return type.hashCode();
  }

  @Override
  public boolean canEqual(Object o) {
    return o != null && o.getClass() == getClass();
  }
}
