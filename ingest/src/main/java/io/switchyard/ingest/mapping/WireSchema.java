package io.switchyard.ingest.mapping;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.WireFormat;
import java.util.HashMap;
import java.util.Map;

/**
 * What the generated parser would check in a message the wire-level mappers do not read: UTF-8 of every string,
 * the structure of every nested message, down to the bottom. Built once from the message's descriptor, so the
 * walk needs no generated objects and decodes no strings.
 */
final class WireSchema {
  private static final byte SKIP = 0;
  private static final byte STRING = 1;
  private static final byte MESSAGE = 2;
  /** A group: rare, left to the generated parser. */
  private static final byte UNSURE = 3;
  /** Far below protobuf's default recursion limit (100); deeper requests go to the generated parser. */
  private static final int MAX_DEPTH = 64;

  private final int[] wireTypes;
  private final byte[] kinds;
  private final WireSchema[] children;
  /** Repeated number fields, which the parser also takes packed (length-delimited): left to it. */
  private final boolean[] packable;

  private WireSchema(int size) {
    packable = new boolean[size];
    wireTypes = new int[size];
    kinds = new byte[size];
    children = new WireSchema[size];
  }

  static WireSchema of(Descriptor message) {
    return of(message, new HashMap<>());
  }

  private static WireSchema of(Descriptor message, Map<Descriptor, WireSchema> built) {
    WireSchema known = built.get(message);
    if (known != null) {
      return known;
    }
    int max = 0;
    for (FieldDescriptor f : message.getFields()) {
      max = Math.max(max, f.getNumber());
    }
    WireSchema s = new WireSchema(max + 1);
    built.put(message, s);
    for (FieldDescriptor f : message.getFields()) {
      int n = f.getNumber();
      s.wireTypes[n] = f.getLiteType().getWireType();
      switch (f.getType()) {
        case STRING -> s.kinds[n] = STRING;
        case MESSAGE -> {
          s.kinds[n] = MESSAGE;
          s.children[n] = of(f.getMessageType(), built);
        }
        case GROUP -> s.kinds[n] = UNSURE;
        default -> {
          s.kinds[n] = SKIP;
          s.packable[n] = f.isRepeated() && f.getLiteType().isPackable();
        }
      }
    }
    return s;
  }

  /** Checks the message in the cursor's bytes up to its limit. */
  void check(WireCursor c, int depth) throws WireCursor.Malformed {
    if (depth > MAX_DEPTH) {
      throw WireCursor.MALFORMED;
    }
    for (int tag = c.tag(); tag != 0; tag = c.tag()) {
      checkField(c, tag, depth);
    }
  }

  /** Checks one field of this message whose tag was just read. */
  void checkField(WireCursor c, int tag, int depth) throws WireCursor.Malformed {
    int field = WireFormat.getTagFieldNumber(tag);
    int type = WireFormat.getTagWireType(tag);
    if (field >= kinds.length) {
      c.skip(tag);
      return;
    }
    byte kind = kinds[field];
    if (kind == UNSURE || (type == WireCursor.LEN && packable[field])) {
      throw WireCursor.MALFORMED;
    }
    if (kind == SKIP || type != wireTypes[field]) {
      // Unknown, or a known field with another wire type: the parser keeps both as unknown fields, unchecked.
      c.skip(tag);
      return;
    }
    if (kind == STRING) {
      int n = c.string();
      c.pos += n;
      return;
    }
    int old = c.push(c.length());
    children[field].check(c, depth + 1);
    c.pop(old);
  }

  /** The schema of message field {@code field}, for callers that read some fields themselves. */
  WireSchema child(int field) {
    return children[field];
  }
}
