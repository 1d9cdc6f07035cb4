package io.switchyard.topology.query;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Code sums held in flat slots, with the rare extra codes of a row beside them, equal sums kept per name. */
class SumTableTest {
  @Test
  void responseAndFlagSumsEqualPerNameSumsForRowsWithFewAndManyCodes() {
    Random random = new Random(9);
    HopCatalog catalog = new HopCatalog();
    int[] codes = codes(catalog, "c", 12);
    SumTable parts = new SumTable(4);
    SumTable merged = new SumTable(4);
    List<Map<String, Double>> responses = new ArrayList<>();
    List<Map<String, Double>> flags = new ArrayList<>();
    for (int row = 0; row < 300; row++) {
      parts.addRow();
      responses.add(new TreeMap<>());
      flags.add(new TreeMap<>());
      int distinct = 1 + random.nextInt(row % 3 == 0 ? 12 : 4);
      for (int k = random.nextInt(30); k > 0; k--) {
        int c = random.nextInt(distinct);
        double count = random.nextInt(50);
        if (random.nextBoolean()) {
          parts.addResponse(row, codes[c], count);
          responses.get(row).merge("c" + c, count, Double::sum);
        } else {
          parts.addFlag(row, codes[c], count);
          flags.get(row).merge("c" + c, count, Double::sum);
        }
      }
    }
    // Rows folded pairwise into half as many, as a graph folds hops into edges and nodes.
    List<Map<String, Double>> mergedResponses = new ArrayList<>();
    List<Map<String, Double>> mergedFlags = new ArrayList<>();
    for (int row = 0; row < 300; row++) {
      if (row % 2 == 0) {
        merged.addRow();
        mergedResponses.add(new TreeMap<>());
        mergedFlags.add(new TreeMap<>());
      }
      merged.addRow(row / 2, parts, row, row % 4 != 3);
      Map<String, Double> r = mergedResponses.get(row / 2);
      responses.get(row).forEach((k, v) -> r.merge(k, v, Double::sum));
      if (row % 4 != 3) {
        Map<String, Double> f = mergedFlags.get(row / 2);
        flags.get(row).forEach((k, v) -> f.merge(k, v, Double::sum));
      }
    }
    for (int row = 0; row < 300; row++) {
      assertThat(parts.responses(row, catalog)).isEqualTo(responses.get(row));
      assertThat(parts.flags(row, catalog)).isEqualTo(flags.get(row));
    }
    for (int row = 0; row < 150; row++) {
      assertThat(merged.responses(row, catalog)).isEqualTo(mergedResponses.get(row));
      assertThat(merged.flags(row, catalog)).isEqualTo(mergedFlags.get(row));
    }
  }

  @Test
  void aClearedTableSumsAsANewOneAndTheirPoolHandsBackTablesThatFit() {
    Random random = new Random(21);
    HopCatalog catalog = new HopCatalog();
    int[] codes = codes(catalog, "k", 10);
    SumTables pool = new SumTables(SumTables.DEFAULT_MAX_BYTES);
    SumTable reused = pool.take(40);
    for (int round = 0; round < 4; round++) {
      long seed = random.nextLong();
      // Fewer rows than the last round in round 2: rows past the new count must not leak into a later round either.
      int rows = round == 2 ? 7 : 40 + random.nextInt(30);
      SumTable fresh = new SumTable(4);
      fill(fresh, rows, new Random(seed), codes);
      fill(reused, rows, new Random(seed), codes);
      assertThat(reused.rows()).isEqualTo(rows);
      for (int row = 0; row < rows; row++) {
        assertThat(reused.requests(row)).isEqualTo(fresh.requests(row));
        assertThat(reused.failed(row)).isEqualTo(fresh.failed(row));
        assertThat(reused.sentBytes(row)).isEqualTo(fresh.sentBytes(row));
        assertThat(reused.telemetry(row)).isEqualTo(fresh.telemetry(row));
        assertThat(reused.latency(row)).isEqualTo(fresh.latency(row));
        assertThat(reused.clientLatency(row)).isEqualTo(fresh.clientLatency(row));
        assertThat(reused.queueLatency(row)).isEqualTo(fresh.queueLatency(row));
        assertThat(reused.responses(row, catalog)).isEqualTo(fresh.responses(row, catalog));
        assertThat(reused.flags(row, catalog)).isEqualTo(fresh.flags(row, catalog));
        assertThat(reused.exactCodes(row, catalog)).isEqualTo(fresh.exactCodes(row, catalog));
      }
      pool.give(reused);
      assertThat(pool.bytes()).isPositive();
      SumTable again = pool.take(rows);
      assertThat(again).isSameAs(reused);
      assertThat(again.rows()).isZero();
      assertThat(pool.bytes()).isZero();
    }
    // A table larger than the pool's bound is not kept; one asked for with more rows than any kept is new.
    SumTables small = new SumTables(1);
    small.give(reused);
    assertThat(small.bytes()).isZero();
    assertThat(small.take(10)).isNotSameAs(reused);
    pool.give(reused);
    assertThat(pool.take(reused.capacity() + 1)).isNotSameAs(reused);
  }

  /** Catalog numbers of the codes {@code prefix0 .. prefix(n-1)}. */
  private static int[] codes(HopCatalog catalog, String prefix, int n) {
    HopCatalog.Name probe = new HopCatalog.Name();
    int[] codes = new int[n];
    for (int i = 0; i < n; i++) {
      byte[] name = ByteString.copyFromUtf8(prefix + i).toByteArray();
      codes[i] = catalog.code(name, 0, name.length, probe);
    }
    return codes;
  }

  /** Random figures, latencies (queue latency and exact codes in some rounds only) and codes on {@code rows} rows. */
  private static void fill(SumTable t, int rows, Random random, int[] codes) {
    boolean queued = random.nextBoolean();
    boolean exact = random.nextBoolean();
    for (int row = 0; row < rows; row++) {
      t.addRow();
      t.addSources(row, SumTable.sourceBit(1 + random.nextInt(2)));
      t.add(row, SumTable.REQUESTS, random.nextInt(100));
      t.add(row, SumTable.FAILED, random.nextInt(5));
      t.add(row, SumTable.SENT_BYTES, random.nextInt(1000));
      for (int k = random.nextInt(4); k > 0; k--) {
        int bucket = random.nextInt(SumTable.LATENCY - 2);
        double n = 1 + random.nextInt(9);
        t.add(row, SumTable.SERVER + bucket, n);
        t.add(row, SumTable.SERVER + SumTable.LATENCY - 1, n);
        t.add(row, SumTable.CLIENT + bucket, n);
        t.add(row, SumTable.CLIENT + SumTable.LATENCY - 1, n);
        if (queued) {
          t.addQueueLatency(row, bucket, n);
          t.addQueueLatency(row, SumTable.LATENCY - 1, n);
        }
      }
      for (int k = random.nextInt(8); k > 0; k--) {
        t.addResponse(row, codes[random.nextInt(codes.length)], 1 + random.nextInt(9));
        t.addFlag(row, codes[random.nextInt(codes.length)], 1 + random.nextInt(9));
        if (exact) {
          t.addExactCode(row, codes[random.nextInt(codes.length)], 1 + random.nextInt(9));
        }
      }
    }
  }
}
