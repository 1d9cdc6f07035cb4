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
 * Not thread-safe; one query at a time ({@link #clear} readies it for the next, see {@link SumTables}).
 */
final class SumTable {
  /** One latency block: {@link LatencyBuckets#COUNT} bucket counts, then the sum, then the count. */
  static final int LATENCY = LatencyBuckets.COUNT + 2;
  static final int REQUESTS = 0;
  static final int FAILED = 1;
  static final int SERVER = 2;
  static final int CLIENT = SERVER + LATENCY;
  /** Bytes the server sent (response) and received (request) over access-logged exchanges. */
  static final int SENT_BYTES = CLIENT + LATENCY;
  static final int RECEIVED_BYTES = SENT_BYTES + 1;
  static final int STRIDE = RECEIVED_BYTES + 1;

  static final int MESH = 1;
  static final int TRACE = 2;

  private double[] figures;
  /**
   * Queue-latency blocks of messaging hops, {@link #LATENCY} per row; null until a row gets one, so the tables
   * of a mesh without messaging hops add no more than before.
   */
  private double[] queue;
  private byte[] sources;
  private final CodeColumns responses;
  private final CodeColumns flags;
  /** Exact response codes (access logs only); null until a row gets one, so trace-only tables add no more. */
  private CodeColumns exact;
  private int rows;

  SumTable(int expectedRows) {
    int n = Math.max(16, expectedRows);
    figures = new double[n * STRIDE];
    sources = new byte[n];
    responses = new CodeColumns(n);
    flags = new CodeColumns(n);
  }

  /** Appends an empty row; returns its number. */
  int addRow() {
    if (rows == sources.length) {
      int n = rows * 2;
      figures = Arrays.copyOf(figures, n * STRIDE);
      if (queue != null) {
        queue = Arrays.copyOf(queue, n * LATENCY);
      }
      sources = Arrays.copyOf(sources, n);
      responses.grow(n);
      flags.grow(n);
      if (exact != null) {
        exact.grow(n);
      }
    }
    return rows++;
  }

  int rows() {
    return rows;
  }

  /** Rows this table holds before it grows. */
  int capacity() {
    return sources.length;
  }

  /** Bytes of its arrays, about. */
  long bytes() {
    long n = sources.length;
    return n * (8L * STRIDE + 1) + (queue == null ? 0 : 8L * queue.length) + responses.bytes() + flags.bytes()
        + (exact == null ? 0 : exact.bytes());
  }

  /** Back to no rows, every figure and code of the rows it had zero: as a new table of its capacity. */
  void clear() {
    Arrays.fill(figures, 0, rows * STRIDE, 0);
    if (queue != null) {
      Arrays.fill(queue, 0, rows * LATENCY, 0);
    }
    Arrays.fill(sources, 0, rows, (byte) 0);
    responses.clear(rows);
    flags.clear(rows);
    if (exact != null) {
      exact.clear(rows);
    }
    rows = 0;
  }

  static int sourceBit(int telemetrySource) {
    return telemetrySource == TelemetrySource.TELEMETRY_SOURCE_MESH_VALUE ? MESH : TRACE;
  }

  void add(int row, int figure, double value) {
    figures[row * STRIDE + figure] += value;
  }

  /** Adds to entry {@code position} (bucket, then sum, then count) of the row's queue-latency block. */
  void addQueueLatency(int row, int position, double value) {
    if (queue == null) {
      queue = new double[sources.length * LATENCY];
    }
    queue[row * LATENCY + position] += value;
  }

  void addSources(int row, int bits) {
    sources[row] |= (byte) bits;
  }

  void addResponse(int row, int code, double count) {
    responses.add(row, code, count);
  }

  void addFlag(int row, int code, double count) {
    flags.add(row, code, count);
  }

  void addExactCode(int row, int code, double count) {
    if (exact == null) {
      exact = new CodeColumns(sources.length);
    }
    exact.add(row, code, count);
  }

  /** Adds row {@code from} of {@code other} to row {@code to} of this table. */
  void addRow(int to, SumTable other, int from, boolean withFlags) {
    int t = to * STRIDE;
    int f = from * STRIDE;
    for (int i = 0; i < STRIDE; i++) {
      figures[t + i] += other.figures[f + i];
    }
    if (other.queue != null) {
      for (int i = 0; i < LATENCY; i++) {
        double v = other.queue[from * LATENCY + i];
        if (v != 0) {
          addQueueLatency(to, i, v);
        }
      }
    }
    sources[to] |= other.sources[from];
    responses.addRow(to, other.responses, from);
    if (withFlags) {
      flags.addRow(to, other.flags, from);
      if (other.exact != null) {
        if (exact == null) {
          exact = new CodeColumns(sources.length);
        }
        exact.addRow(to, other.exact, from);
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

  /** Queue latency (consumer start minus producer end) of a messaging hop; null when the row observed none. */
  Traffic.Latency queueLatency(int row) {
    return queue == null || queue[row * LATENCY + LATENCY - 1] <= 0 ? null : Traffic.Latency.of(queue, row * LATENCY);
  }

  Map<String, Double> responses(int row, HopCatalog catalog) {
    return responses.named(row, catalog);
  }

  Map<String, Double> flags(int row, HopCatalog catalog) {
    return flags.named(row, catalog);
  }

  /** Requests by exact response code; null when the row has none (trace-only hops, TCP). */
  Map<String, Double> exactCodes(int row, HopCatalog catalog) {
    if (exact == null) {
      return null;
    }
    Map<String, Double> named = exact.named(row, catalog);
    return named.isEmpty() ? null : named;
  }

  double sentBytes(int row) {
    return figures[row * STRIDE + SENT_BYTES];
  }

  double receivedBytes(int row) {
    return figures[row * STRIDE + RECEIVED_BYTES];
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

  /**
   * Per row, the sum of each code (response code or flag, by catalog number). The first few codes of a row sit
   * in flat arrays beside the other rows' (a row rarely has more), the rest in a {@link EdgeWindowDecoder.CodeCounts} of its own:
   * no object per row, so a table of thousands of rows is a few arrays.
   */
  private static final class CodeColumns {
    private static final int SLOTS = 4;
    private int[] codes;
    private double[] counts;
    private byte[] used;
    private EdgeWindowDecoder.CodeCounts[] more;

    CodeColumns(int rows) {
      codes = new int[rows * SLOTS];
      counts = new double[rows * SLOTS];
      used = new byte[rows];
      more = new EdgeWindowDecoder.CodeCounts[rows];
    }

    void grow(int rows) {
      codes = Arrays.copyOf(codes, rows * SLOTS);
      counts = Arrays.copyOf(counts, rows * SLOTS);
      used = Arrays.copyOf(used, rows);
      more = Arrays.copyOf(more, rows);
    }

    long bytes() {
      return 12L * codes.length + used.length + 8L * more.length;
    }

    /** The first {@code rows} rows without codes (slots past a row's used count are never read). */
    void clear(int rows) {
      Arrays.fill(used, 0, rows, (byte) 0);
      Arrays.fill(more, 0, rows, null);
    }

    void add(int row, int code, double count) {
      int base = row * SLOTS;
      int n = used[row];
      for (int i = 0; i < n; i++) {
        if (codes[base + i] == code) {
          counts[base + i] += count;
          return;
        }
      }
      if (n < SLOTS) {
        codes[base + n] = code;
        counts[base + n] = count;
        used[row] = (byte) (n + 1);
        return;
      }
      EdgeWindowDecoder.CodeCounts m = more[row];
      if (m == null) {
        m = more[row] = new EdgeWindowDecoder.CodeCounts(SLOTS);
      }
      m.add(code, count);
    }

    void addRow(int to, CodeColumns other, int from) {
      int base = from * SLOTS;
      for (int i = 0; i < other.used[from]; i++) {
        add(to, other.codes[base + i], other.counts[base + i]);
      }
      EdgeWindowDecoder.CodeCounts m = other.more[from];
      if (m != null) {
        for (int i = 0; i < m.size; i++) {
          add(to, m.codes[i], m.counts[i]);
        }
      }
    }

    Map<String, Double> named(int row, HopCatalog catalog) {
      Map<String, Double> named = new TreeMap<>();
      int base = row * SLOTS;
      for (int i = 0; i < used[row]; i++) {
        named.put(catalog.codeName(codes[base + i]), counts[base + i]);
      }
      EdgeWindowDecoder.CodeCounts m = more[row];
      if (m != null) {
        for (int i = 0; i < m.size; i++) {
          named.put(catalog.codeName(m.codes[i]), m.counts[i]);
        }
      }
      return named;
    }
  }
}
