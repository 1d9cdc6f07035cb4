package io.switchyard.topology.query;

import io.switchyard.model.LatencyBuckets;
import io.switchyard.model.v1.TelemetrySource;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Rows of traffic sums (requests, failures, server and client latency histograms, response codes and flags
 * by catalog number, telemetry sources) in flat arrays: a graph adds thousands of hops per query, and adding
 * arrays costs a fraction of hashing and boxing per record. Rows are numbered in the order they are added.
 * Not thread-safe; one per query.
 */
final class SumTable {
  /** One latency block: {@link LatencyBuckets#COUNT} bucket counts, then the sum, then the count. */
  static final int LATENCY = LatencyBuckets.COUNT + 2;
  static final int REQUESTS = 0;
  static final int FAILED = 1;
  static final int SERVER = 2;
  static final int CLIENT = SERVER + LATENCY;
  static final int STRIDE = CLIENT + LATENCY;

  static final int MESH = 1;
  static final int TRACE = 2;

  private double[] figures;
  private byte[] sources;
  private CodeSums[] responses;
  private CodeSums[] flags;
  private int rows;

  SumTable(int expectedRows) {
    int n = Math.max(16, expectedRows);
    figures = new double[n * STRIDE];
    sources = new byte[n];
    responses = new CodeSums[n];
    flags = new CodeSums[n];
  }

  /** Appends an empty row; returns its number. */
  int addRow() {
    if (rows == sources.length) {
      int n = rows * 2;
      figures = Arrays.copyOf(figures, n * STRIDE);
      sources = Arrays.copyOf(sources, n);
      responses = Arrays.copyOf(responses, n);
      flags = Arrays.copyOf(flags, n);
    }
    return rows++;
  }

  int rows() {
    return rows;
  }

  static int sourceBit(int telemetrySource) {
    return telemetrySource == TelemetrySource.TELEMETRY_SOURCE_MESH_VALUE ? MESH : TRACE;
  }

  void add(int row, int figure, double value) {
    figures[row * STRIDE + figure] += value;
  }

  void addSources(int row, int bits) {
    sources[row] |= (byte) bits;
  }

  void addResponse(int row, int code, double count) {
    CodeSums c = responses[row];
    if (c == null) {
      c = responses[row] = new CodeSums();
    }
    c.add(code, count);
  }

  void addFlag(int row, int code, double count) {
    CodeSums c = flags[row];
    if (c == null) {
      c = flags[row] = new CodeSums();
    }
    c.add(code, count);
  }

  /** Adds row {@code from} of {@code other} to row {@code to} of this table. */
  void addRow(int to, SumTable other, int from, boolean withFlags) {
    int t = to * STRIDE;
    int f = from * STRIDE;
    for (int i = 0; i < STRIDE; i++) {
      figures[t + i] += other.figures[f + i];
    }
    sources[to] |= other.sources[from];
    CodeSums r = other.responses[from];
    if (r != null) {
      for (int i = 0; i < r.n; i++) {
        addResponse(to, r.codes[i], r.counts[i]);
      }
    }
    CodeSums fl = other.flags[from];
    if (withFlags && fl != null) {
      for (int i = 0; i < fl.n; i++) {
        addFlag(to, fl.codes[i], fl.counts[i]);
      }
    }
  }

  double requests(int row) {
    return figures[row * STRIDE + REQUESTS];
  }

  double failed(int row) {
    return figures[row * STRIDE + FAILED];
  }

  double rate(int row, double seconds) {
    return seconds > 0 ? Traffic.round(requests(row) / seconds, 4) : 0;
  }

  Double errorPercent(int row) {
    double requests = requests(row);
    return requests > 0 ? Traffic.round(100 * failed(row) / requests, 3) : null;
  }

  /** Server-side latency where known, else what the client saw. */
  Traffic.Latency latency(int row) {
    int server = row * STRIDE + SERVER;
    return Traffic.Latency.of(figures, figures[server + LatencyBuckets.COUNT + 1] > 0 ? server : row * STRIDE + CLIENT);
  }

  Traffic.Latency clientLatency(int row) {
    return Traffic.Latency.of(figures, row * STRIDE + CLIENT);
  }

  Map<String, Double> responses(int row, HopCatalog catalog) {
    return named(responses[row], catalog);
  }

  Map<String, Double> flags(int row, HopCatalog catalog) {
    return named(flags[row], catalog);
  }

  /** "mesh", "trace" or "mesh+trace". */
  String telemetry(int row) {
    return switch (sources[row]) {
      case MESH -> "mesh";
      case TRACE -> "trace";
      case MESH | TRACE -> "mesh+trace";
      default -> "";
    };
  }

  private static Map<String, Double> named(CodeSums c, HopCatalog catalog) {
    Map<String, Double> m = new TreeMap<>();
    if (c != null) {
      for (int i = 0; i < c.n; i++) {
        m.put(catalog.codeName(c.codes[i]), c.counts[i]);
      }
    }
    return m;
  }

  /** The few codes of one row, in the order first added. */
  private static final class CodeSums {
    int[] codes = new int[4];
    double[] counts = new double[4];
    int n;

    void add(int code, double count) {
      for (int i = 0; i < n; i++) {
        if (codes[i] == code) {
          counts[i] += count;
          return;
        }
      }
      if (n == codes.length) {
        codes = Arrays.copyOf(codes, n * 2);
        counts = Arrays.copyOf(counts, n * 2);
      }
      codes[n] = code;
      counts[n++] = count;
    }
  }
}
