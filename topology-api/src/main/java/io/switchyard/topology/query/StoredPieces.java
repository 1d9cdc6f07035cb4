package io.switchyard.topology.query;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The stored form of a {@link DecodedPieces.Piece}: its two streams as they are, with hop and code numbers made
 * local to the piece and the names they stand for listed once, so that another catalog (another process) can read
 * it. Reading one costs a RocksDB get and a copy instead of a scan and a protobuf decode per record (0.29-0.35x in
 * the session-8 what-if). Hops are looked up, not made: a name does not say a hop's nodes, so a piece naming a hop
 * the catalog has not met yet is not read (the bucket is scanned, which makes the hop).
 */
final class StoredPieces {
  /**
   * Changing the layout changes this byte; a value of another layout is ignored (and overwritten by the next scan).
   * 2: records carry exact response codes and bytes (a layout-1 value would be misread, not just incomplete).
   * 3: the same bytes, but {@link MeshRule} also drops traced hops of namespace-less services next to their logged
   * twin: a layout-2 value's drops would keep them.
   */
  static final byte LAYOUT = 3;

  private StoredPieces() {}

  /** The stored form of {@code p}, which the caller holds (its arrays are read). */
  static byte[] encode(DecodedPieces.Piece p) {
    HopCatalog catalog = p.catalog;
    int[] ints = p.ints;
    Map<Integer, Integer> localHops = new HashMap<>();
    Map<Integer, Integer> localCodes = new HashMap<>();
    int[] out = new int[p.intCount];
    System.arraycopy(ints, 0, out, 0, p.intCount);
    int nameBytes = 0;
    int i = 0;
    for (int r = 0; r < p.records; r++) {
      int hop = ints[i];
      Integer local = localHops.get(hop);
      if (local == null) {
        local = localHops.size();
        localHops.put(hop, local);
        nameBytes += 4 + catalog.hop(hop).name.length;
      }
      out[i] = local;
      int latency = ints[i + 2] + ints[i + 3] + ints[i + 4];
      int codes = ints[i + 5] + ints[i + 6] + (ints[i + 7] >>> 1);
      i += DecodedPieces.Piece.HEAD + latency;
      for (int k = 0; k < codes; k++, i++) {
        Integer c = localCodes.get(ints[i]);
        if (c == null) {
          c = localCodes.size();
          localCodes.put(ints[i], c);
        }
        out[i] = c;
      }
    }
    byte[][] hopNames = new byte[localHops.size()][];
    localHops.forEach((hop, local) -> hopNames[local] = catalog.hop(hop).name);
    byte[][] codeNames = new byte[localCodes.size()][];
    localCodes.forEach((code, local) -> codeNames[local] = catalog.codeName(code).getBytes(StandardCharsets.UTF_8));
    for (byte[] c : codeNames) {
      nameBytes += 4 + c.length;
    }
    int droppedLongs = p.dropped == null ? 0 : p.dropped.length;
    ByteBuffer b = ByteBuffer.allocate(1 + 4 + 8 + 1 + 4 + 8 * droppedLongs + 8 + nameBytes + 8
        + 4 * p.intCount + 8 * p.doubleCount);
    b.put(LAYOUT).putInt(p.records).putLong(p.maxWindowEnd).put((byte) (p.ambiguous ? 1 : 0));
    b.putInt(p.dropped == null ? -1 : droppedLongs);
    for (int k = 0; k < droppedLongs; k++) {
      b.putLong(p.dropped[k]);
    }
    names(b, hopNames);
    names(b, codeNames);
    b.putInt(p.intCount).putInt(p.doubleCount);
    b.asIntBuffer().put(out, 0, p.intCount);
    b.position(b.position() + 4 * p.intCount);
    b.asDoubleBuffer().put(p.doubles, 0, p.doubleCount);
    return b.array();
  }

  private static void names(ByteBuffer b, byte[][] names) {
    b.putInt(names.length);
    for (byte[] n : names) {
      b.putInt(n.length).put(n);
    }
  }

  /**
   * The piece stored as {@code value[0, length)}, numbered in {@code catalog} and stamped with {@code generation}; null when the
   * value has another layout or names a hop the catalog does not know.
   */
  static DecodedPieces.Piece decode(byte[] value, int length, long generation, HopCatalog catalog,
      DecodedPieces owner) {
    ByteBuffer b = ByteBuffer.wrap(value, 0, length);
    if (b.get() != LAYOUT) {
      return null;
    }
    int records = b.getInt();
    long maxWindowEnd = b.getLong();
    boolean ambiguous = b.get() != 0;
    int droppedLongs = b.getInt();
    long[] dropped = null;
    if (droppedLongs >= 0) {
      dropped = new long[droppedLongs];
      b.asLongBuffer().get(dropped);
      b.position(b.position() + 8 * droppedLongs);
    }
    HopCatalog.Name probe = new HopCatalog.Name();
    int hopCount = b.getInt();
    int namesFrom = b.position();
    for (int k = 0; k < hopCount; k++) {
      b.position(b.position() + 4 + b.getInt(b.position()));
    }
    int namesTo = b.position();
    int[] hops = catalog.hopsOfNames(value, namesFrom, namesTo);
    if (hops == null) {
      hops = new int[hopCount];
      b.position(namesFrom);
      for (int k = 0; k < hops.length; k++) {
        int n = b.getInt();
        HopCatalog.Hop hop = catalog.known(value, b.position(), b.position() + n, probe);
        if (hop == null) {
          return null;
        }
        hops[k] = hop.index;
        b.position(b.position() + n);
      }
      catalog.rememberHopsOfNames(value, namesFrom, namesTo, hops);
    }
    int[] codes = new int[b.getInt()];
    for (int k = 0; k < codes.length; k++) {
      int n = b.getInt();
      codes[k] = catalog.code(value, b.position(), b.position() + n, probe);
      b.position(b.position() + n);
    }
    int intCount = b.getInt();
    int doubleCount = b.getInt();
    int[] ints = owner.ints(intCount);
    b.asIntBuffer().get(ints, 0, intCount);
    b.position(b.position() + 4 * intCount);
    double[] doubles = owner.doubles(doubleCount);
    b.asDoubleBuffer().get(doubles, 0, doubleCount);
    int i = 0;
    for (int r = 0; r < records; r++) {
      ints[i] = hops[ints[i]];
      int latency = ints[i + 2] + ints[i + 3] + ints[i + 4];
      int codeEntries = ints[i + 5] + ints[i + 6] + (ints[i + 7] >>> 1);
      i += DecodedPieces.Piece.HEAD + latency;
      for (int k = 0; k < codeEntries; k++, i++) {
        ints[i] = codes[ints[i]];
      }
    }
    return owner.piece(catalog, generation, maxWindowEnd, records, ints, intCount, doubles, doubleCount,
        new MeshRule.Decision(dropped, ambiguous));
  }
}
