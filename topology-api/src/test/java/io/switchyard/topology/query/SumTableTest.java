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
    HopCatalog.Name probe = new HopCatalog.Name();
    int[] codes = new int[12];
    for (int i = 0; i < codes.length; i++) {
      byte[] name = ByteString.copyFromUtf8("c" + i).toByteArray();
      codes[i] = catalog.code(name, 0, name.length, probe);
    }
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
}
