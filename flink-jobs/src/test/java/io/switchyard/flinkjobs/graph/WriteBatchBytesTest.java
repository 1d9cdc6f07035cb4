package io.switchyard.flinkjobs.graph;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.flinkjobs.graph.RocksDbStateColumn.WriteBatchBytes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The write batch the pairing builds in Java against RocksDB's own: the same bytes as the batch
 * {@code WriteBatch.put} and {@code delete} build when called in key order, and the same content in the
 * database once written as the calls in the order they were made.
 */
class WriteBatchBytesTest {
  private static final HexFormat HEX = HexFormat.of();

  @TempDir
  Path dir;

  @Test
  void aJavaBuiltBatchIsTheBatchPutsAndDeletesBuildInKeyOrderAndWritesTheSameEntries() throws Exception {
    RocksDB.loadLibrary();
    List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
    descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY));
    // Enough column families for ids past one varint byte.
    for (int i = 1; i <= 130; i++) {
      descriptors.add(new ColumnFamilyDescriptor(("cf" + i).getBytes()));
    }
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try (DBOptions options = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
        RocksDB viaPuts = RocksDB.open(options, dir.resolve("puts").toString(), descriptors, handles);
        WriteOptions write = new WriteOptions().setDisableWAL(true)) {
      List<ColumnFamilyHandle> javaHandles = new ArrayList<>();
      try (RocksDB viaBytes = RocksDB.open(options, dir.resolve("bytes").toString(), descriptors, javaHandles)) {
        Random r = new Random(20261127);
        WriteBatchBytes bytes = new WriteBatchBytes();
        for (int round = 0; round < 20; round++) {
          try (WriteBatch puts = new WriteBatch(); WriteBatch inKeyOrder = new WriteBatch()) {
            List<Write> writes = new ArrayList<>();
            int n = round == 0 ? 0 : r.nextInt(300);
            for (int i = 0; i < n; i++) {
              int family = r.nextInt(4) == 0 ? r.nextInt(handles.size()) : (round % 3 == 0 ? 0 : 129);
              // Lengths across varint byte boundaries (127/128, 16383/16384), empty values too.
              // Few distinct short keys: deletes and later puts hit keys written before.
              byte[] key = r.nextInt(6) == 0 ? random(r, 120 + r.nextInt(20)) : new byte[] {(byte) r.nextInt(16)};
              byte[] value = random(r, r.nextInt(50) == 0 ? 16_380 + r.nextInt(10) : r.nextInt(200));
              if (r.nextInt(5) == 0) {
                puts.delete(handles.get(family), key);
                writes.add(new Write(family, key, null));
                bytes.delete(javaHandles.get(family).getID(), padded(r, key), key.length);
              } else {
                puts.put(handles.get(family), key, value);
                writes.add(new Write(family, key, value));
                // Arrays longer than the entry: only their first bytes belong to it.
                bytes.put(javaHandles.get(family).getID(), padded(r, key), key.length, padded(r, value), value.length);
              }
            }
            assertThat(bytes.count()).isEqualTo(n);
            // Stable: writes whose keys tie on the sorted prefix, the same key's among them, keep their order.
            writes.sort((a, b) -> Arrays.compareUnsigned(prefix(a.key()), prefix(b.key())));
            for (Write w : writes) {
              if (w.value() == null) {
                inKeyOrder.delete(handles.get(w.family()), w.key());
              } else {
                inKeyOrder.put(handles.get(w.family()), w.key(), w.value());
              }
            }
            byte[] built = bytes.toByteArray();
            assertThat(built).isEqualTo(inKeyOrder.data());
            viaPuts.write(write, puts);
            try (WriteBatch fromBytes = new WriteBatch(built)) {
              viaBytes.write(write, fromBytes);
            }
            bytes.clear();
            assertThat(bytes.count()).isZero();
          }
        }
        for (int f = 0; f < handles.size(); f++) {
          assertThat(entries(viaBytes, javaHandles.get(f))).as("column family %d", f).isEqualTo(entries(viaPuts, handles.get(f)));
        }
        assertThat(entries(viaBytes, javaHandles.get(0))).isNotEmpty();
        assertThat(entries(viaBytes, javaHandles.get(129))).isNotEmpty();
      } finally {
        javaHandles.forEach(ColumnFamilyHandle::close);
      }
    } finally {
      handles.forEach(ColumnFamilyHandle::close);
    }
  }

  @Test
  void recordsAreHandedOverInKeyOrderAndTheSameKeysWritesInTheOrderTheyWereMade() throws Exception {
    RocksDB.loadLibrary();
    WriteBatchBytes bytes = new WriteBatchBytes();
    bytes.put(0, "c-trace".getBytes(), 7, new byte[] {1}, 1);
    bytes.put(0, "a-trace".getBytes(), 7, new byte[] {2}, 1);
    bytes.delete(0, "c-trace".getBytes(), 7);
    bytes.put(0, "b-trace".getBytes(), 7, new byte[] {3}, 1);
    bytes.put(0, "c-trace".getBytes(), 7, new byte[] {4}, 1);
    bytes.put(0, new byte[] {(byte) 0x80}, 1, new byte[] {5}, 1);
    try (WriteBatch expected = new WriteBatch()) {
      expected.put("a-trace".getBytes(), new byte[] {2});
      expected.put("b-trace".getBytes(), new byte[] {3});
      expected.put("c-trace".getBytes(), new byte[] {1});
      expected.delete("c-trace".getBytes());
      expected.put("c-trace".getBytes(), new byte[] {4});
      expected.put(new byte[] {(byte) 0x80}, new byte[] {5}); // bytes compare unsigned, as RocksDB's do
      assertThat(bytes.toByteArray()).isEqualTo(expected.data());
    }
  }

  private record Write(int family, byte[] key, byte[] value) {}

  private static byte[] prefix(byte[] key) {
    return Arrays.copyOf(key, WriteBatchBytes.SORT_PREFIX_BYTES);
  }

  private static List<String> entries(RocksDB db, ColumnFamilyHandle family) {
    List<String> out = new ArrayList<>();
    try (RocksIterator it = db.newIterator(family)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        out.add(HEX.formatHex(it.key()) + "=" + HEX.formatHex(it.value()));
      }
    }
    return out;
  }

  private static byte[] random(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  private static byte[] padded(Random r, byte[] b) {
    byte[] p = random(r, b.length + r.nextInt(8));
    System.arraycopy(b, 0, p, 0, b.length);
    return p;
  }
}
