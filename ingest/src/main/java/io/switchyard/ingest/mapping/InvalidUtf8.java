package io.switchyard.ingest.mapping;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Rewrites a message's wire bytes so that every string field, at any depth, is valid UTF-8: each invalid sequence
 * becomes U+FFFD, as Java decodes it; every other byte is copied as it came (unknown fields, numbers, bytes fields,
 * groups). Only for a message the generated parser refused, so that one that is well formed except for its strings
 * can still be parsed: the cost is never paid by a valid message.
 */
public final class InvalidUtf8 {
  /** Protobuf's own default nesting limit: deeper is refused, as the parser refuses it. */
  private static final int MAX_DEPTH = 100;

  private InvalidUtf8() {}

  /**
   * {@code message} (bytes of a {@code type}) with its strings made valid UTF-8.
   *
   * @throws IOException when the bytes are malformed otherwise: not a message, cut off, nested too deeply
   */
  public static byte[] replace(Descriptor type, byte[] message) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(message.length + 16);
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    replace(type, CodedInputStream.newInstance(message), out, 0);
    out.flush();
    return bytes.toByteArray();
  }

  private static void replace(Descriptor type, CodedInputStream in, CodedOutputStream out, int depth)
      throws IOException {
    if (depth > MAX_DEPTH) {
      throw new InvalidProtocolBufferException("message nested more than " + MAX_DEPTH + " levels deep");
    }
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      int number = WireFormat.getTagFieldNumber(tag);
      FieldDescriptor field = WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED
          ? type.findFieldByNumber(number) : null;
      if (field != null && field.getType() == FieldDescriptor.Type.STRING) {
        out.writeString(number, new String(in.readByteArray(), StandardCharsets.UTF_8));
      } else if (field != null && field.getType() == FieldDescriptor.Type.MESSAGE) {
        CodedInputStream nested = CodedInputStream.newInstance(in.readByteArray());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream nestedOut = CodedOutputStream.newInstance(bytes);
        replace(field.getMessageType(), nested, nestedOut, depth + 1);
        nestedOut.flush();
        out.writeByteArray(number, bytes.toByteArray());
      } else {
        // Numbers, bytes, packed lists, groups, unknown fields and known ones of an unexpected wire type: as they came.
        if (!in.skipField(tag, out)) {
          throw new InvalidProtocolBufferException("an end-group tag where no group was open");
        }
      }
    }
  }
}
