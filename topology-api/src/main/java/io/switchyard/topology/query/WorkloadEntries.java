package io.switchyard.topology.query;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.topology.store.TopologyStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Splits a stored hop window into what graphs that show workloads apart count: its per-workload entries
 * ({@code EdgeAggregate.workloads}), or the window itself when it has none (its requests were all alike, or an
 * older build wrote it). Each comes out as a record of its own, named by the hop and its workload identity (the
 * raw bytes of client, server, connection type and protocol), so a hop's node references are the same in every
 * record of one catalog name, whatever minute or version of the writer it came from. Entries carry no window or
 * source; they take the hop window's. The hop window was already picked for its hop (mesh over trace), so every
 * entry of a hop and minute comes from one source.
 */
final class WorkloadEntries {
  private static final int CLIENT = EdgeAggregate.CLIENT_FIELD_NUMBER;
  private static final int SERVER = EdgeAggregate.SERVER_FIELD_NUMBER;
  private static final int SOURCE = EdgeAggregate.SOURCE_FIELD_NUMBER;
  private static final int CONNECTION_TYPE = EdgeAggregate.CONNECTION_TYPE_FIELD_NUMBER;
  private static final int WINDOW_START = EdgeAggregate.WINDOW_START_UNIX_MS_FIELD_NUMBER;
  private static final int WINDOW_END = EdgeAggregate.WINDOW_END_UNIX_MS_FIELD_NUMBER;
  private static final int PROTOCOL = EdgeAggregate.PROTOCOL_FIELD_NUMBER;
  private static final int WORKLOADS = EdgeAggregate.WORKLOADS_FIELD_NUMBER;

  private WorkloadEntries() {}

  /** Passes {@code value}'s entries (or itself) to {@code into}, with order keys as {@link HopCatalog#hop} reads them. */
  static void split(byte[] order, int orderLength, byte[] value, int valueLength, TopologyStore.LentSink into) {
    try {
      Fields hop = Fields.read(value, 0, valueLength);
      if (hop.entries.isEmpty()) {
        byte[] named = named(order, orderLength, hop.identity);
        into.accept(named, named.length, value, valueLength);
        return;
      }
      byte[] window = hop.windowFields();
      for (int[] e : hop.entries) {
        Fields entry = Fields.read(value, e[0], e[1]);
        byte[] v = Arrays.copyOfRange(value, e[0], e[1] + window.length);
        System.arraycopy(window, 0, v, e[1] - e[0], window.length);
        byte[] named = named(order, orderLength, entry.identity);
        into.accept(named, named.length, v, v.length);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("corrupt edge aggregate in store", e);
    }
  }

  /** The order key with {@code 0, identity} after the hop key, before its trailing {@code 0, source}. */
  private static byte[] named(byte[] order, int orderLength, byte[] identity) {
    byte[] o = new byte[orderLength + 1 + identity.length];
    System.arraycopy(order, 0, o, 0, orderLength - 2);
    System.arraycopy(identity, 0, o, orderLength - 1, identity.length);
    o[o.length - 2] = order[orderLength - 2];
    o[o.length - 1] = order[orderLength - 1];
    return o;
  }

  /** What one level of a serialized aggregate says about identity, window and entries. */
  private static final class Fields {
    byte[] identity;
    int source;
    long windowStart;
    long windowEnd;
    /** Offsets [from, to) of each entry's bytes. */
    final List<int[]> entries = new ArrayList<>(0);

    static Fields read(byte[] value, int from, int to) throws IOException {
      Fields f = new Fields();
      ByteArrayOutputStream identity = new ByteArrayOutputStream(64);
      CodedInputStream in = CodedInputStream.newInstance(value, from, to - from);
      for (int at = in.getTotalBytesRead(), tag = in.readTag(); tag != 0; at = in.getTotalBytesRead(), tag = in.readTag()) {
        switch (WireFormat.getTagFieldNumber(tag)) {
          case CLIENT, SERVER, CONNECTION_TYPE, PROTOCOL -> {
            in.skipField(tag);
            identity.write(value, from + at, in.getTotalBytesRead() - at);
          }
          case SOURCE -> f.source = in.readEnum();
          case WINDOW_START -> f.windowStart = in.readFixed64();
          case WINDOW_END -> f.windowEnd = in.readFixed64();
          case WORKLOADS -> {
            int length = in.readRawVarint32();
            int start = from + in.getTotalBytesRead();
            f.entries.add(new int[] {start, start + length});
            in.skipRawBytes(length);
          }
          default -> in.skipField(tag);
        }
      }
      f.identity = identity.toByteArray();
      return f;
    }

    /** Source and window bounds, serialized, to follow an entry's own fields. */
    byte[] windowFields() throws IOException {
      ByteArrayOutputStream out = new ByteArrayOutputStream(32);
      CodedOutputStream o = CodedOutputStream.newInstance(out);
      o.writeEnum(SOURCE, source);
      o.writeFixed64(WINDOW_START, windowStart);
      o.writeFixed64(WINDOW_END, windowEnd);
      o.flush();
      return out.toByteArray();
    }
  }
}
