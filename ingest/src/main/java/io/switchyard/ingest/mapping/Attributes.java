package io.switchyard.ingest.mapping;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Read-only view over OTLP key/values with the lookups the mappers need (first key that is present wins).
 *
 * <p>Two shapes: a full map (when every attribute is kept), or only the values of a {@link KeySet} chosen at load
 * time, in an array. The second is the hot path: a span's attributes are scanned once, each key hashed once, and
 * nothing is allocated for the attributes no reader needs.
 */
final class Attributes {
  private static final Attributes EMPTY = new Attributes(Map.of(), null, null, false);

  /** The keys a mapper reads, fixed at load time; each gets a slot. */
  static final class KeySet {
    private final Map<String, Integer> index;
    /** The keys' UTF-8 bytes in an open-addressing table, so wire-level readers look keys up without a String. */
    private final byte[][] table;
    private final int[] tableSlots;

    KeySet(String... keys) {
      Map<String, Integer> m = new HashMap<>(keys.length * 2);
      for (String k : keys) {
        m.putIfAbsent(k, m.size());
      }
      this.index = Map.copyOf(m);
      int size = Integer.highestOneBit(Math.max(4, m.size() * 4) - 1) << 1;
      this.table = new byte[size][];
      this.tableSlots = new int[size];
      m.forEach((k, slot) -> {
        byte[] b = k.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int i = hash(b, 0, b.length) & (size - 1);
        while (table[i] != null) {
          i = (i + 1) & (size - 1);
        }
        table[i] = b;
        tableSlots[i] = slot;
      });
    }

    /** Length and three sampled bytes: the key set is small and fixed, collisions only cost a compare. */
    private static int hash(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      int h = len * 31 + b[off];
      h = h * 31 + b[off + len / 2];
      h = h * 31 + b[off + len - 1];
      return h ^ (h >>> 7);
    }

    /** The slot of the key whose UTF-8 bytes are {@code b[off, off + len)}, or -1 when no reader needs it. */
    int slotOf(byte[] b, int off, int len) {
      int mask = table.length - 1;
      for (int i = hash(b, off, len) & mask; table[i] != null; i = (i + 1) & mask) {
        if (java.util.Arrays.equals(table[i], 0, table[i].length, b, off, off + len)) {
          return tableSlots[i];
        }
      }
      return -1;
    }

    int size() {
      return index.size();
    }

    /** The slots of {@code keys}, resolved once, for the slot-indexed lookups of a selected view. */
    int[] slotsOf(String... keys) {
      int[] out = new int[keys.length];
      for (int i = 0; i < keys.length; i++) {
        out[i] = index.get(keys[i]);
      }
      return out;
    }

    /** The slot of {@code key}, or -1 when no reader needs it. */
    int slotOf(String key) {
      Integer slot = index.get(key);
      return slot == null ? -1 : slot;
    }
  }

  /** A selected view over values a wire-level reader already put in their slots. */
  static Attributes ofSlots(KeySet keys, AnyValue[] slots, boolean overLimit) {
    return new Attributes(null, keys, slots, overLimit);
  }

  private final Map<String, AnyValue> values;
  private final KeySet keys;
  private final AnyValue[] slots;
  private final boolean overLimit;

  private Attributes(Map<String, AnyValue> values, KeySet keys, AnyValue[] slots, boolean overLimit) {
    this.values = values;
    this.keys = keys;
    this.slots = slots;
    this.overLimit = overLimit;
  }

  static Attributes of(List<KeyValue> list) {
    return of(list, Integer.MAX_VALUE, Integer.MAX_VALUE);
  }

  /**
   * Every attribute among the first {@code limit} (the OTel attribute count limit: the rest are dropped; a later
   * duplicate of a key wins, as in the SDKs).
   */
  static Attributes of(List<KeyValue> list, int limit, int maxValueLength) {
    if (list.isEmpty()) {
      return EMPTY;
    }
    int n = Math.min(limit, list.size());
    Map<String, AnyValue> map = new HashMap<>(n * 2);
    boolean over = list.size() > n;
    for (int i = 0; i < n; i++) {
      KeyValue kv = list.get(i);
      map.put(kv.getKey(), kv.getValue());
      over |= tooLong(kv.getValue(), maxValueLength);
    }
    return new Attributes(map, null, null, over);
  }

  /** Only the attributes in {@code keys}, among the first {@code limit}. */
  static Attributes select(List<KeyValue> list, KeySet keys, int limit, int maxValueLength) {
    AnyValue[] slots = new AnyValue[keys.size()];
    int n = Math.min(limit, list.size());
    boolean over = list.size() > n;
    for (int i = 0; i < n; i++) {
      KeyValue kv = list.get(i);
      Integer slot = keys.index.get(kv.getKey());
      if (slot != null) {
        slots[slot] = kv.getValue();
      }
      over |= tooLong(kv.getValue(), maxValueLength);
    }
    return new Attributes(null, keys, slots, over);
  }

  private static boolean tooLong(AnyValue v, int maxValueLength) {
    return v.getValueCase() == AnyValue.ValueCase.STRING_VALUE && v.getStringValue().length() > maxValueLength;
  }

  /** Whether the source had more attributes than the limit, or a string value longer than allowed. */
  boolean overLimit() {
    return overLimit;
  }

  private AnyValue get(String key) {
    if (slots == null) {
      return values.get(key);
    }
    Integer slot = keys.index.get(key);
    if (slot == null) {
      // A mapper asked for a key it did not declare in its KeySet: a programming error, not bad input.
      throw new IllegalStateException("attribute '" + key + "' is not in the mapper's key set");
    }
    return slots[slot];
  }

  boolean has(String key) {
    return get(key) != null;
  }

  /** Every attribute; only for the full-map shape. */
  Map<String, AnyValue> asMap() {
    if (values == null) {
      throw new IllegalStateException("a selected view has no full map");
    }
    return values;
  }

  /** The first present key as a string ("" when none). */
  String string(String... keys) {
    for (String key : keys) {
      String s = nonEmpty(get(key));
      if (!s.isEmpty()) {
        return s;
      }
    }
    return "";
  }

  /** {@link #string(String...)} over slots from {@link KeySet#slotsOf}, without hashing key names per call. */
  String string(int[] at) {
    for (int slot : at) {
      String s = nonEmpty(slots[slot]);
      if (!s.isEmpty()) {
        return s;
      }
    }
    return "";
  }

  private static String nonEmpty(AnyValue v) {
    return v == null ? "" : stringify(v);
  }

  /** The first present key as a long (ints, doubles and numeric strings accepted); {@code fallback} when none. */
  long number(long fallback, String... keys) {
    AnyValue[] values = new AnyValue[keys.length];
    for (int i = 0; i < keys.length; i++) {
      values[i] = get(keys[i]);
    }
    return firstNumber(fallback, values);
  }

  /** {@link #number(long, String...)} over slots from {@link KeySet#slotsOf}. */
  long number(long fallback, int[] at) {
    AnyValue[] values = new AnyValue[at.length];
    for (int i = 0; i < at.length; i++) {
      values[i] = slots[at[i]];
    }
    return firstNumber(fallback, values);
  }

  private static long firstNumber(long fallback, AnyValue[] values) {
    for (AnyValue v : values) {
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
      AnyValue v = get(key);
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
