package io.switchyard.ingest.mapping;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Read-only view over OTLP key/values with the lookups the mappers need (first key that is present wins). */
final class Attributes {
  private static final Attributes EMPTY = new Attributes(Map.of());

  private final Map<String, AnyValue> values;

  private Attributes(Map<String, AnyValue> values) {
    this.values = values;
  }

  static Attributes of(List<KeyValue> list) {
    if (list.isEmpty()) {
      return EMPTY;
    }
    Map<String, AnyValue> map = new HashMap<>(list.size() * 2);
    for (KeyValue kv : list) {
      map.put(kv.getKey(), kv.getValue());
    }
    return new Attributes(map);
  }

  boolean has(String key) {
    return values.containsKey(key);
  }

  int size() {
    return values.size();
  }

  Map<String, AnyValue> asMap() {
    return values;
  }

  /** The first present key as a string ("" when none). */
  String string(String... keys) {
    for (String key : keys) {
      AnyValue v = values.get(key);
      if (v != null) {
        String s = stringify(v);
        if (!s.isEmpty()) {
          return s;
        }
      }
    }
    return "";
  }

  /** The first present key as a long (ints, doubles and numeric strings accepted); {@code fallback} when none. */
  long number(long fallback, String... keys) {
    for (String key : keys) {
      AnyValue v = values.get(key);
      if (v == null) {
        continue;
      }
      switch (v.getValueCase()) {
        case INT_VALUE:
          return v.getIntValue();
        case DOUBLE_VALUE:
          return (long) v.getDoubleValue();
        case STRING_VALUE:
          try {
            return Long.parseLong(v.getStringValue().trim());
          } catch (NumberFormatException e) {
            continue;
          }
        default:
          continue;
      }
    }
    return fallback;
  }

  /** The first present key as a double, or NaN. */
  double decimal(String... keys) {
    for (String key : keys) {
      AnyValue v = values.get(key);
      if (v == null) {
        continue;
      }
      switch (v.getValueCase()) {
        case DOUBLE_VALUE:
          return v.getDoubleValue();
        case INT_VALUE:
          return v.getIntValue();
        case STRING_VALUE:
          try {
            return Double.parseDouble(v.getStringValue().trim());
          } catch (NumberFormatException e) {
            continue;
          }
        default:
          continue;
      }
    }
    return Double.NaN;
  }

  static String stringify(AnyValue v) {
    switch (v.getValueCase()) {
      case STRING_VALUE:
        return v.getStringValue();
      case BOOL_VALUE:
        return Boolean.toString(v.getBoolValue());
      case INT_VALUE:
        return Long.toString(v.getIntValue());
      case DOUBLE_VALUE:
        return Double.toString(v.getDoubleValue());
      case BYTES_VALUE:
        return Hex.encode(v.getBytesValue().toByteArray());
      case ARRAY_VALUE:
        return v.getArrayValue().getValuesList().stream()
            .map(Attributes::stringify)
            .collect(Collectors.joining(",", "[", "]"));
      case KVLIST_VALUE:
        return v.getKvlistValue().getValuesList().stream()
            .map(kv -> kv.getKey() + "=" + stringify(kv.getValue()))
            .collect(Collectors.joining(",", "{", "}"));
      default:
        return "";
    }
  }
}
