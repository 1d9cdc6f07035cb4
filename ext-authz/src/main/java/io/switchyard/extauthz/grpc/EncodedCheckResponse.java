package io.switchyard.extauthz.grpc;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * A CheckResponse in its wire form. A cached decision's response differs between calls only in the
 * decision id inside {@code dynamic_metadata}, so everything else is encoded once per decision
 * ({@link Template}) and each call splices its id in: building and serialising the protobuf message
 * per call cost more than the rest of a cache hit.
 */
public final class EncodedCheckResponse {
  static final String DECISION_ID = "decision_id";
  private static final int METADATA_TAG = (CheckResponse.DYNAMIC_METADATA_FIELD_NUMBER << 3) | 2;
  private static final int STRUCT_FIELDS_TAG = (Struct.FIELDS_FIELD_NUMBER << 3) | 2;
  private static final byte[] DECISION_ID_KEY = entryKey();

  /** The response is the concatenation of the parts; only the last ones are per call, the others are shared. */
  private final byte[][] parts;
  private final int length;

  private EncodedCheckResponse(byte[]... parts) {
    this.parts = parts;
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    this.length = n;
  }

  /** The bytes Envoy receives. */
  public byte[] bytes() {
    byte[] out = new byte[length];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  /** The decoded message (tests, logs): the same bytes Envoy parses. */
  public CheckResponse message() {
    try {
      return CheckResponse.parseFrom(bytes());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("encoded CheckResponse does not parse", e);
    }
  }

  /**
   * A response without its decision id: {@code response} must not set {@code dynamic_metadata};
   * {@code metadata} holds the fields that go there beside the id.
   */
  public static final class Template {
    private final byte[] head;
    private final byte[] metadataEntries;

    Template(CheckResponse response, Struct metadata) {
      if (response.hasDynamicMetadata()) {
        throw new IllegalArgumentException("the template's metadata goes in the metadata argument");
      }
      this.head = response.toByteArray();
      // A Struct's encoding is the concatenation of its map entries, so the id's entry can follow it.
      this.metadataEntries = metadata.toByteArray();
    }

    /** The response with {@code decisionId} added to its dynamic_metadata. */
    public EncodedCheckResponse withDecisionId(String decisionId) {
      byte[] id = decisionId.getBytes(StandardCharsets.UTF_8);
      int value = 1 + CodedOutputStream.computeUInt32SizeNoTag(id.length) + id.length;
      int entryBody = DECISION_ID_KEY.length + 1 + CodedOutputStream.computeUInt32SizeNoTag(value) + value;
      int entry = 1 + CodedOutputStream.computeUInt32SizeNoTag(entryBody) + entryBody;
      int metadata = metadataEntries.length + entry;
      byte[] metadataHeader = new byte[1 + CodedOutputStream.computeUInt32SizeNoTag(metadata)];
      byte[] idEntry = new byte[entry];
      try {
        CodedOutputStream h = CodedOutputStream.newInstance(metadataHeader);
        h.writeUInt32NoTag(METADATA_TAG);
        h.writeUInt32NoTag(metadata);
        h.checkNoSpaceLeft();
        CodedOutputStream o = CodedOutputStream.newInstance(idEntry);
        o.writeUInt32NoTag(STRUCT_FIELDS_TAG);
        o.writeUInt32NoTag(entryBody);
        o.writeRawBytes(DECISION_ID_KEY);
        o.writeUInt32NoTag((2 << 3) | 2);
        o.writeUInt32NoTag(value);
        o.writeUInt32NoTag((Value.STRING_VALUE_FIELD_NUMBER << 3) | 2);
        o.writeUInt32NoTag(id.length);
        o.writeRawBytes(id);
        o.checkNoSpaceLeft();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return new EncodedCheckResponse(head, metadataHeader, metadataEntries, idEntry);
    }
  }

  /** Field 1 (the key) of the map entry for the decision id. */
  private static byte[] entryKey() {
    byte[] key = DECISION_ID.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[2 + key.length];
    out[0] = (1 << 3) | 2;
    out[1] = (byte) key.length;
    System.arraycopy(key, 0, out, 2, key.length);
    return out;
  }

  /** gRPC writes the parts as they are; a client reading them (tests) gets the bytes back in one part. */
  static final MethodDescriptor.Marshaller<EncodedCheckResponse> MARSHALLER = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(EncodedCheckResponse value) {
      return new Stream(value);
    }

    @Override
    public EncodedCheckResponse parse(InputStream stream) {
      try {
        return new EncodedCheckResponse(stream.readAllBytes());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  /**
   * Known length and drainable: gRPC sizes its frame from {@link #available} and has the parts written
   * straight into it by {@link #drainTo}. Plain reads (never used by gRPC's server path) see the bytes.
   */
  private static final class Stream extends InputStream implements KnownLength, Drainable {
    private final EncodedCheckResponse response;
    private ByteArrayInputStream read;
    private boolean drained;

    Stream(EncodedCheckResponse response) {
      this.response = response;
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      if (read != null || drained) {
        throw new IllegalStateException("stream already read");
      }
      drained = true;
      for (byte[] p : response.parts) {
        target.write(p);
      }
      return response.length;
    }

    @Override
    public int available() {
      return drained ? 0 : read == null ? response.length : read.available();
    }

    @Override
    public int read() {
      return reader().read();
    }

    @Override
    public int read(byte[] b, int off, int len) {
      return reader().read(b, off, len);
    }

    private ByteArrayInputStream reader() {
      if (read == null) {
        read = new ByteArrayInputStream(drained ? new byte[0] : response.bytes());
      }
      return read;
    }
  }
}
