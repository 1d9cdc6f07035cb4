package io.switchyard.topology.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

class BatchBytesTest {
  static {
    RocksDB.loadLibrary();
  }

  @TempDir Path dir;

  @Test
  void batchesLaidOutInJavaEqualBatchesBuiltThroughRocksDbCalls() throws Exception {
    Random random = new Random(11);
    for (int round = 0; round < 100; round++) {
      int ops = random.nextInt(round < 10 ? 3 : 300);
      BatchBytes subject = new BatchBytes(random.nextInt(8));
      try (WriteBatch expected = new WriteBatch()) {
        for (int i = 0; i < ops; i++) {
          // Lengths around the one-byte varint limit and well past it.
          byte[] key = bytes(random, random.nextInt(4) == 0 ? 120 + random.nextInt(20) : 1 + random.nextInt(40));
          switch (random.nextInt(5)) {
            case 0 -> {
              subject.delete(key);
              expected.delete(key);
            }
            case 1 -> {
              byte[] end = bytes(random, 1 + random.nextInt(30));
              subject.deleteRange(key, end);
              expected.deleteRange(key, end);
            }
            default -> {
              byte[] value = bytes(random, random.nextInt(20) == 0 ? 16_000 + random.nextInt(10_000) : random.nextInt(700));
              subject.put(key, value);
              expected.put(key, value);
            }
          }
        }
        try (WriteBatch built = subject.toWriteBatch()) {
          assertThat(built.count()).isEqualTo(expected.count());
          assertThat(built.data()).isEqualTo(expected.data());
        }
      }
    }
  }

  @Test
  void aBatchLaidOutInJavaIsAppliedByTheDatabase() throws Exception {
    try (Options options = new Options().setCreateIfMissing(true);
        RocksDB db = RocksDB.open(options, dir.toString());
        WriteOptions write = new WriteOptions()) {
      BatchBytes b = new BatchBytes(1);
      b.put(new byte[] {1}, new byte[] {10});
      b.put(new byte[] {2}, new byte[] {20});
      b.put(new byte[] {3}, new byte[300]);
      b.put(new byte[] {4}, new byte[] {40});
      b.delete(new byte[] {2});
      b.deleteRange(new byte[] {4}, new byte[] {5});
      b.put(new byte[] {1}, new byte[] {11});
      try (WriteBatch wb = b.toWriteBatch()) {
        db.write(write, wb);
      }
      assertThat(db.get(new byte[] {1})).containsExactly(11);
      assertThat(db.get(new byte[] {2})).isNull();
      assertThat(db.get(new byte[] {3})).hasSize(300);
      assertThat(db.get(new byte[] {4})).isNull();
      int keys = 0;
      try (RocksIterator it = db.newIterator()) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          keys++;
        }
      }
      assertThat(keys).isEqualTo(2);
    }
  }

  private static byte[] bytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }
}
