package io.switchyard.bench.topology;

import io.switchyard.kafkaembedded.EmbeddedKafka;
import io.switchyard.model.LatencyBuckets;
import io.switchyard.model.Topics;
import io.switchyard.model.v1.CodeCount;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.LatencyHistogram;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.ServiceAggregate;
import io.switchyard.model.v1.TelemetrySource;
import io.switchyard.serverkit.http.HttpServerKit;
import io.switchyard.topology.http.AccessPolicy;
import io.switchyard.topology.http.ApiRouter;
import io.switchyard.topology.materialise.Materialiser;
import io.switchyard.topology.materialise.MaterialiserOptions;
import io.switchyard.topology.query.DecodePool;
import io.switchyard.topology.query.Graph;
import io.switchyard.topology.query.GraphType;
import io.switchyard.topology.query.QueryWindow;
import io.switchyard.topology.query.TopologyQueries;
import io.switchyard.topology.query.TopologyQueries.GraphRequest;
import io.switchyard.topology.store.RocksTopologyStore;
import io.switchyard.topology.store.StoreBatch;
import io.switchyard.topology.store.TopologyStore;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Graph query latency over a synthetic mesh stored for a day of one-minute windows, with a same-run baseline
 * (iterating the stored minute windows of the same range without decoding them), and the materialiser's
 * rate against a raw read_committed consumer over the same records; baseline and subject alternate.
 */
public final class TopologyBench {
  private static final long MINUTE = 60_000;
  /** The graph type every graph query asks for ({@code --graph-type}, default service). */
  private static GraphType graphType = GraphType.SERVICE;

  public static void main(String[] args) throws Exception {
    Map<String, String> a = parse(args);
    int services = Integer.parseInt(a.getOrDefault("services", "1000"));
    int edgeCount = Integer.parseInt(a.getOrDefault("edges", "5000"));
    int hours = Integer.parseInt(a.getOrDefault("hours", "24"));
    int rateRecords = Integer.parseInt(a.getOrDefault("rate-records", "250000"));
    // A p99 of 3 rounds of 30 graph queries was the slowest of 90: 60 per round make it the second slowest of 180.
    int iterations = Integer.parseInt(a.getOrDefault("iterations", "60"));
    int seriesIterations = Integer.parseInt(a.getOrDefault("iterations", "30"));
    int rounds = Integer.parseInt(a.getOrDefault("rounds", "3"));
    boolean skipRate = Boolean.parseBoolean(a.getOrDefault("skip-rate", "false"));
    boolean skipQueries = Boolean.parseBoolean(a.getOrDefault("skip-queries", "false"));
    boolean skipServices = Boolean.parseBoolean(a.getOrDefault("skip-services", "false"));
    graphType = GraphType.parse("--graph-type", a.get("graph-type"));
    Path dir = Files.createTempDirectory("switchyard-topology-bench");
    try {
      Mesh mesh = new Mesh(services, edgeCount, 42);
      if (!skipQueries) {
        if (!Boolean.parseBoolean(a.getOrDefault("skip-graphs", "false"))) {
          queryLatency(mesh, dir.resolve("store"), hours, iterations, rounds, a.get("only"));
        }
        if (!skipServices) {
          serviceSeriesLatency(mesh, dir.resolve("services"), hours, seriesIterations, rounds);
        }
      }
      if (!skipRate) {
        materialisationRate(mesh, dir, rateRecords, rounds);
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted((x, y) -> y.compareTo(x)).forEach(f -> f.toFile().delete());
      }
    }
  }

  // ---- graph query latency ----

  /**
   * One way of answering a graph request, measured on the same ranges as the others. {@code start} builds what
   * the phase queries (its own caches, its HTTP server) for one round; closing the run drops it.
   */
  private record Phase(String name, java.util.function.Supplier<PhaseRun> start) {}

  /** A phase's round: answers one range at a time, then lets go of its query instance and server. */
  private interface PhaseRun extends AutoCloseable {
    void query(long[] range);

    @Override
    default void close() {}
  }

  private static void queryLatency(Mesh mesh, Path storeDir, int hours, int iterations, int rounds, String only)
      throws Exception {
    long end = Instant.parse("2026-11-25T12:00:00Z").toEpochMilli();
    long start = end - hours * 60 * MINUTE;
    // One pool of decoding helpers for every phase, as the server has one for all its requests.
    try (RocksTopologyStore store = RocksTopologyStore.open(storeDir); DecodePool decoders = DecodePool.forMachine()) {
      long t0 = System.nanoTime();
      long records = 0;
      // Ten minutes per batch, as a materialiser poll catching up holds several minutes: each hop's total
      // and roll-ups are then encoded once per batch rather than once per minute.
      for (long batchStart = start; batchStart < end; batchStart += 10 * MINUTE) {
        StoreBatch batch = new StoreBatch();
        for (long w = batchStart; w < Math.min(end, batchStart + 10 * MINUTE); w += MINUTE) {
          for (int e = 0; e < mesh.edges.size(); e++) {
            batch.edge(mesh.keyBytes.get(e), mesh.window(e, w).toByteArray());
          }
          records += mesh.edges.size();
        }
        store.write(batch);
      }
      // What the materialiser does once it has read everything: the buckets that ended get their roll-ups.
      store.completeRollups();
      double fillSeconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf(Locale.ROOT, "fill: %,d edge windows (%d services, %d edges, %d h of 1-minute windows, 10 minutes per batch) in %.1f s = %,.0f records/s%n",
          records, mesh.services, mesh.edges.size(), hours, fillSeconds, records / fillSeconds);

      Clock clock = Clock.fixed(Instant.ofEpochMilli(end + 30_000), ZoneOffset.UTC);
      ApiRouter.MetricsEndpoint noMetrics = new ApiRouter.MetricsEndpoint() {
        @Override
        public String contentType() {
          return "text/plain";
        }

        @Override
        public byte[] scrape() {
          return new byte[0];
        }
      };
      long now = clock.millis();
      Random random = new Random(5);
      // Ranges: the newest 15 min, 1 h and 24 h (aligned to the minute, as "now" is 12:00:30); 1-hour ranges
      // ending at random minutes of the last 12 h (ragged ends; few of their minutes are cached); and a
      // sliding now-1h refreshed once a minute (each query one minute later than the one before).
      List<String> names = new ArrayList<>();
      List<long[][]> ranges = new ArrayList<>();
      for (long span : new long[] {15 * MINUTE, 60 * MINUTE, 24 * 60 * MINUTE}) {
        if (span <= hours * 60 * MINUTE) {
          names.add(span == 60 * MINUTE ? "60 min, aligned" : span == 15 * MINUTE ? "15 min" : "24 h");
          ranges.add(new long[][] {{now - span, now}});
        }
      }
      int window = Math.max(1, Math.min(hours * 60 - 61, 720));
      // More ranges than queries per round (warm-ups included), so no ragged range is asked twice in a round.
      long[][] ragged = new long[Math.max(64, iterations + warmups(iterations))][];
      for (int i = 0; i < ragged.length; i++) {
        long to = end - (1 + random.nextInt(window)) * MINUTE;
        ragged[i] = new long[] {to - 60 * MINUTE, to};
      }
      names.add("60 min, random ragged ends");
      ranges.add(ragged);
      long[][] sliding = new long[Math.min(window, 2 * iterations + 16)][];
      for (int i = 0; i < sliding.length; i++) {
        long to = end - (sliding.length - i) * MINUTE + 30_000;
        sliding[i] = new long[] {to - 60 * MINUTE, to};
      }
      names.add("60 min, sliding now-1h");
      ranges.add(sliding);
      for (int r = 0; r < names.size(); r++) {
        if (only != null && !names.get(r).startsWith(only)) {
          continue;
        }
        long[][] rs = ranges.get(r);
        boolean day = rs[0][1] - rs[0][0] > 2 * 60 * MINUTE;
        // The day's raw scan iterates 7 million windows per query: fewer queries (3 at the default), one warm-up.
        int n = day ? Math.max(2, iterations / 20) : iterations;
        // Six warm-ups at most (as many as before the default went from 30 to 60): more would hide more of a
        // round's first queries, which store the pre-decoded buckets a product's first graphs store too.
        int warmups = day ? 1 : warmups(iterations);
        long[] scanned = {0};
        Graph[] g = new Graph[1];
        List<Phase> phases = List.of(
            // Iterating the stored minute windows of the range without decoding them: the least a query
            // without roll-ups must do.
            new Phase("raw scan baseline", () -> range -> {
              scanned[0] = 0;
              store.scanEdgeBytes(range[0] - Math.floorMod(range[0], MINUTE), range[1] - Math.floorMod(range[1], MINUTE),
                  (k, v) -> scanned[0] += v.length > 0 ? 1 : 0);
            }),
            // Each phase builds its query instance afresh for each round and drops it after, so no phase warms
            // another's caches and the heap holds one instance's caches at a time, as a server does.
            new Phase("graph, no caches  ", () -> graphRun(new TopologyQueries(store, clock, () -> 0, () -> true,
                decoders, 0, 0), g)),
            new Phase("graph, pieces only", () -> graphRun(new TopologyQueries(store, clock, () -> 0, () -> true,
                decoders, TopologyQueries.DEFAULT_CACHED_PIECE_BYTES, 0), g)),
            new Phase("graph, all caches ", () -> graphRun(new TopologyQueries(store, clock, () -> 0, () -> true,
                decoders), g)),
            new Phase("HTTP /api/v1/graph", () -> httpRun(new ApiRouter(new TopologyQueries(store, clock, () -> 0,
                () -> true, decoders), AccessPolicy.OPEN, noMetrics))));
        System.out.printf(Locale.ROOT, "graph %s, type %s (%d rounds of %d queries per phase, phases interleaved):%n",
            names.get(r), graphType.wireName(), rounds, n);
        List<List<double[]>> results = new ArrayList<>();
        phases.forEach(p -> results.add(new ArrayList<>()));
        for (int round = 0; round < rounds; round++) {
          for (int p = 0; p < phases.size(); p++) {
            int[] next = {0};
            Phase phase = phases.get(p);
            double[] ms;
            double cpuMs;
            String pauses;
            try (PhaseRun run = phase.start().get(); GcPauses gc = new GcPauses()) {
              long cpu = PROCESS.getProcessCpuTime();
              ms = measure(n, warmups, () -> run.query(rs[next[0]++ % rs.length]));
              cpuMs = (PROCESS.getProcessCpuTime() - cpu) / 1e6 / (n + warmups);
              pauses = gc.summary(n + warmups);
            }
            results.get(p).add(ms);
            report("  round " + (round + 1) + " " + phase.name(), ms, p == 0 ? null : results.get(0).get(round), cpuMs);
            System.out.println("    " + pauses);
          }
        }
        for (int p = 0; p < phases.size(); p++) {
          double[] all = merged(results.get(p));
          StringBuilder ratios = new StringBuilder();
          if (p > 0) {
            double[] toRaw = new double[rounds];
            double[] toCold = new double[rounds];
            for (int i = 0; i < rounds; i++) {
              toRaw[i] = pct(results.get(p).get(i), 0.5) / pct(results.get(0).get(i), 0.5);
              toCold[i] = pct(results.get(p).get(i), 0.5) / pct(results.get(1).get(i), 0.5);
            }
            ratios.append(String.format(Locale.ROOT, " | p50/raw per round %s median %.3f | p50/no-caches per round %s median %.3f",
                list(toRaw), median(toRaw), list(toCold), median(toCold)));
          }
          System.out.printf(Locale.ROOT, "  => %s | %s: p50 %.1f ms p99 %.1f ms%s%n", names.get(r), phases.get(p).name(),
              pct(all, 0.5), pct(all, 0.99), ratios);
        }
        System.out.printf(Locale.ROOT, "  (%,d minute windows in the last raw scan; graph of %d nodes, %d edges)%n",
            scanned[0], g[0].nodes().size(), g[0].edges().size());
      }
    }
  }

  private static int warmups(int iterations) {
    return Math.max(2, Math.min(6, iterations / 5));
  }

  private static PhaseRun graphRun(TopologyQueries queries, Graph[] last) {
    return range -> last[0] = queries.graph(request(range));
  }

  private static PhaseRun httpRun(ApiRouter router) {
    HttpServerKit http;
    try {
      http = HttpServerKit.builder("bench", 0).host("127.0.0.1").route("/", router, false).build().start();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    String base = "http://127.0.0.1:" + http.port() + "/api/v1/graph?from=";
    return new PhaseRun() {
      @Override
      public void query(long[] range) {
        get(base + Instant.ofEpochMilli(range[0]) + "&to=" + Instant.ofEpochMilli(range[1]) + "&type="
            + graphType.wireName());
      }

      @Override
      public void close() {
        http.close();
      }
    };
  }

  private static GraphRequest request(long[] range) {
    return new GraphRequest(range[0], range[1], null, null, null, graphType);
  }

  /**
   * Where the HTTP phase reads response bodies (the bench queries from one thread). The client runs in the server's
   * JVM, which a real client does not, so it should put as little as it can on that JVM's heap and threads: reading
   * each 2.3 MB body into an array of its own (as {@code ofByteArray} joins it) allocated one humongous array per
   * request, and {@code java.net.http.HttpClient} reads through a new 16 KB buffer per socket read (2.4 MB per
   * request) on its selector thread, handing each to the caller. {@link HttpURLConnection}'s keep-alive stream reads
   * straight into this array on the calling thread (0.04 MB per request).
   */
  private static final byte[] BODY = new byte[64 << 10];

  private static void get(String uri) {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create(uri).toURL().openConnection();
      int status = c.getResponseCode();
      long length = 0;
      java.io.ByteArrayOutputStream error = new java.io.ByteArrayOutputStream();
      // Read to the end and closed, so the connection goes back to the keep-alive cache for the next request.
      try (java.io.InputStream in = status == 200 ? c.getInputStream() : c.getErrorStream()) {
        for (int n; in != null && (n = in.read(BODY)) >= 0; ) {
          length += n;
          if (status != 200) {
            error.write(BODY, 0, n);
          }
        }
      }
      long declared = c.getContentLengthLong() < 0 ? length : c.getContentLengthLong();
      if (status != 200 || length < 1000 || length != declared) {
        throw new IllegalStateException("graph request failed: " + status + ", " + length + " of " + declared
            + " bytes " + error.toString(StandardCharsets.UTF_8));
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String list(double[] v) {
    StringBuilder b = new StringBuilder();
    for (double x : v) {
      b.append(b.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", x));
    }
    return b.toString();
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  private static double[] merged(List<double[]> runs) {
    double[] out = runs.stream().flatMapToDouble(Arrays::stream).toArray();
    Arrays.sort(out);
    return out;
  }

  private static double[] measure(int iterations, int warmups, Runnable r) {
    for (int i = 0; i < warmups; i++) {
      r.run();
    }
    double[] ms = new double[iterations];
    for (int i = 0; i < iterations; i++) {
      long t = System.nanoTime();
      r.run();
      ms[i] = (System.nanoTime() - t) / 1e6;
    }
    Arrays.sort(ms);
    return ms;
  }

  private static double pct(double[] sorted, double q) {
    return sorted[Math.min(sorted.length - 1, Math.max(0, (int) Math.ceil(q * sorted.length) - 1))];
  }

  /** CPU time of the whole process (every thread: the query's, those it decodes on, the HTTP client's, compactions). */
  private static final com.sun.management.OperatingSystemMXBean PROCESS =
      (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

  private static void report(String name, double[] ms, double[] baseline, double cpuMsPerQuery) {
    String ratio = baseline == null ? "" : String.format(Locale.ROOT, "  (p50 %.3fx baseline)", pct(ms, 0.5) / pct(baseline, 0.5));
    System.out.printf(Locale.ROOT, "%s p50 %8.2f ms  p95 %8.2f ms  p99 %8.2f ms  process CPU %7.2f ms/query%s%n", name,
        pct(ms, 0.5), pct(ms, 0.95), pct(ms, 0.99), cpuMsPerQuery, ratio);
  }

  // ---- service RED series ----

  /**
   * {@code /api/v1/services/{name}} series over the last hour, 6 h and 24 h at several steps, from the service
   * roll-ups against the same queries added up from the service minutes alone (the store seen without its
   * roll-ups), interleaved per round, on a store holding only the mesh's service minutes.
   */
  private static void serviceSeriesLatency(Mesh mesh, Path storeDir, int hours, int iterations, int rounds) {
    long end = Instant.parse("2026-11-25T12:00:00Z").toEpochMilli();
    long start = end - hours * 60 * MINUTE;
    try (RocksTopologyStore store = RocksTopologyStore.open(storeDir)) {
      long t0 = System.nanoTime();
      for (long batchStart = start; batchStart < end; batchStart += 10 * MINUTE) {
        StoreBatch batch = new StoreBatch();
        for (long w = batchStart; w < Math.min(end, batchStart + 10 * MINUTE); w += MINUTE) {
          for (int s = 0; s < mesh.services; s++) {
            NodeRef node = mesh.nodes.get(s);
            batch.service(node.getName() + "." + node.getNamespace(), mesh.serviceWindow(s, w));
          }
        }
        store.write(batch);
      }
      System.out.printf(Locale.ROOT, "service fill: %,d service minutes (%d services, %d h) in %.1f s%n",
          (long) mesh.services * hours * 60, mesh.services, hours, (System.nanoTime() - t0) / 1e9);
      Clock clock = Clock.fixed(Instant.ofEpochMilli(end + 30_000), ZoneOffset.UTC);
      // Service series never decode graph pieces: a pool without helpers.
      DecodePool noHelpers = new DecodePool(0);
      TopologyQueries rollups = new TopologyQueries(store, clock, () -> 0, () -> true, noHelpers, 0, 0);
      TopologyQueries minutes = new TopologyQueries(withoutServiceRollups(store), clock, () -> 0, () -> true, noHelpers, 0, 0);
      Random random = new Random(9);
      long[][] cases = {{60 * MINUTE, MINUTE}, {6 * 60 * MINUTE, 5 * MINUTE}, {24 * 60 * MINUTE, 5 * MINUTE},
          {24 * 60 * MINUTE, 60 * MINUTE}};
      for (long[] c : cases) {
        if (c[0] > hours * 60 * MINUTE) {
          continue;
        }
        QueryWindow window = QueryWindow.resolve(end - c[0], end, store.freshness());
        boolean day = c[0] > 2 * 60 * MINUTE;
        // The minutes of a day are 1.4 million records per query: fewer queries.
        int n = day ? Math.max(3, iterations / 10) : iterations;
        String label = String.format(Locale.ROOT, "service series %d h at %d min steps", c[0] / (60 * MINUTE), c[1] / MINUTE);
        double[] ratios = new double[rounds];
        List<double[]> subject = new ArrayList<>();
        List<double[]> baseline = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
          double[][] ms = new double[2][];
          int i = 0;
          for (TopologyQueries q : List.of(minutes, rollups)) {
            long cpu = PROCESS.getProcessCpuTime();
            ms[i] = measure(n, 1, () -> {
              if (q.service(mesh.nodes.get(random.nextInt(mesh.services)).getName(), null, window, c[1]) == null) {
                throw new IllegalStateException("no series");
              }
            });
            report("  round " + (round + 1) + " " + label + (i == 0 ? ", from minutes (baseline)" : ", from roll-ups"),
                ms[i], i == 0 ? null : ms[0], (PROCESS.getProcessCpuTime() - cpu) / 1e6 / (n + 1));
            i++;
          }
          baseline.add(ms[0]);
          subject.add(ms[1]);
          ratios[round] = pct(ms[1], 0.5) / pct(ms[0], 0.5);
        }
        double[] b = merged(baseline);
        double[] r = merged(subject);
        System.out.printf(Locale.ROOT, "  => %s: roll-ups p50 %.2f ms p99 %.2f ms, minutes p50 %.1f ms p99 %.1f ms"
            + " | p50 roll-ups/minutes per round %s median %.4f%n", label, pct(r, 0.5), pct(r, 0.99), pct(b, 0.5),
            pct(b, 0.99), list(ratios), median(ratios));
      }
    }
  }

  /** The store as one without service roll-ups: a services query then adds up the service minutes. */
  private static TopologyStore withoutServiceRollups(TopologyStore store) {
    return (TopologyStore) java.lang.reflect.Proxy.newProxyInstance(TopologyStore.class.getClassLoader(),
        new Class<?>[] {TopologyStore.class}, (proxy, method, args) -> {
          if (method.getName().equals("hasServiceRollups")) {
            return false;
          }
          if (method.getName().equals("scanServices") && args.length == 4) {
            // Every service minute parsed, none skipped by name on its bytes.
            store.scanServices((long) args[0], (long) args[1], (java.util.function.Consumer<ServiceAggregate>) args[3]);
            return null;
          }
          try {
            return method.invoke(store, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  // ---- materialisation rate ----

  private static void materialisationRate(Mesh mesh, Path dir, int records, int rounds) throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir.resolve("kafka")).build().start()) {
      String prefix = "bench.";
      kafka.createTopics(Topics.all(prefix));
      String topic = Topics.EDGES.withPrefix(prefix).name();
      long start = Instant.parse("2026-11-25T00:00:00Z").toEpochMilli();
      try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
          "linger.ms", 20, "batch.size", 256 * 1024, "compression.type", "lz4", "acks", "all"),
          new ByteArraySerializer(), new ByteArraySerializer())) {
        for (int i = 0; i < records; i++) {
          int e = i % mesh.edges.size();
          long w = start + (i / mesh.edges.size()) * MINUTE;
          p.send(new ProducerRecord<>(topic, mesh.keyBytes.get(e), mesh.window(e, w).toByteArray()));
        }
        p.flush();
      }
      // Interleaved: raw, materialiser, raw, materialiser, ... one warm-up pair first (JIT, page cache).
      rawConsumerRate(kafka.bootstrapServers(), topic, records);
      materialiserRate(kafka.bootstrapServers(), prefix, dir.resolve("warm"), records);
      double[] ratios = new double[rounds];
      double[] cpuRatios = new double[rounds];
      for (int round = 0; round < rounds; round++) {
        Rate raw = rawConsumerRate(kafka.bootstrapServers(), topic, records);
        Rate materialised = materialiserRate(kafka.bootstrapServers(), prefix, dir.resolve("m" + round), records);
        ratios[round] = materialised.perSecond() / raw.perSecond();
        cpuRatios[round] = raw.cpuMicrosPerRecord() / materialised.cpuMicrosPerRecord();
        System.out.printf(Locale.ROOT, "round %d: raw read_committed consumer %,.0f records/s, materialiser (Kafka -> RocksDB) %,.0f records/s"
            + " = %.3f of raw | CPU per record of the reading (and storing) threads: raw %.2f us, materialiser %.2f us (raw/materialiser %.3f)%n",
            round + 1, raw.perSecond(), materialised.perSecond(), ratios[round], raw.cpuMicrosPerRecord(),
            materialised.cpuMicrosPerRecord(), cpuRatios[round]);
      }
      Arrays.sort(ratios);
      Arrays.sort(cpuRatios);
      System.out.printf(Locale.ROOT, "materialisation: median ratio to the raw consumer %.3f (%d rounds, %,d records each);"
          + " median CPU-per-record ratio (raw/materialiser) %.3f%n", ratios[rounds / 2], rounds, records, cpuRatios[rounds / 2]);
    }
  }
  /** Records per second, and CPU time of the threads that read them (and, for the materialiser, stored them). */
  private record Rate(double perSecond, double cpuMicrosPerRecord) {}

  private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

  private static Rate rawConsumerRate(String bootstrap, String topic, int expected) {
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap,
        "isolation.level", "read_committed", "enable.auto.commit", false, "max.poll.records", 2000),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      for (PartitionInfo i : c.partitionsFor(topic)) {
        parts.add(new TopicPartition(topic, i.partition()));
      }
      c.assign(parts);
      c.seekToBeginning(parts);
      long cpu = THREADS.getCurrentThreadCpuTime();
      long t = System.nanoTime();
      long n = 0;
      long bytes = 0;
      while (n < expected) {
        ConsumerRecords<byte[], byte[]> rs = c.poll(Duration.ofMillis(200));
        for (var r : rs) {
          bytes += r.value().length;
        }
        n += rs.count();
      }
      double s = (System.nanoTime() - t) / 1e9;
      double cpuMicros = (THREADS.getCurrentThreadCpuTime() - cpu) / 1e3;
      if (bytes == 0) {
        throw new IllegalStateException("no bytes read");
      }
      return new Rate(n / s, cpuMicros / n);
    }
  }

  private static Rate materialiserRate(String bootstrap, String prefix, Path storeDir, int expected) throws Exception {
    try (RocksTopologyStore store = RocksTopologyStore.open(storeDir)) {
      long t = System.nanoTime();
      try (Materialiser m = new Materialiser(new MaterialiserOptions(bootstrap, prefix, null, Duration.ZERO, null, null), store,
          Clock.systemUTC()).start()) {
        while (!m.caughtUp() || m.materialisedRecords() < expected) {
          Thread.sleep(5); // a polling driver, not a timed assertion: the rate is measured, not checked
        }
        double s = (System.nanoTime() - t) / 1e9;
        // The materialiser reads on one thread and writes the store on another: both count.
        long cpu = 0;
        for (Thread th : Thread.getAllStackTraces().keySet()) {
          if (th.getName().equals("topology-materialiser") || th.getName().equals("topology-store-writer")) {
            cpu += THREADS.getThreadCpuTime(th.getId());
          }
        }
        return new Rate(m.materialisedRecords() / s, cpu / 1e3 / m.materialisedRecords());
      }
    }
  }

  // ---- synthetic mesh ----

  /** Services svc-0..svc-N-1 in 20 namespaces; edges drawn at random (no self loops, no duplicates). */
  static final class Mesh {
    final int services;
    final List<int[]> edges = new ArrayList<>();
    final List<String> keys = new ArrayList<>();
    final List<byte[]> keyBytes = new ArrayList<>();
    final List<NodeRef> nodes = new ArrayList<>();
    final Random random;

    Mesh(int services, int edgeCount, long seed) {
      this.services = services;
      this.random = new Random(seed);
      for (int i = 0; i < services; i++) {
        String name = "svc-" + i;
        nodes.add(NodeRef.newBuilder().setName(name).setNamespace("ns-" + (i % 20)).setWorkload(name + "-v1").setApp(name)
            .setVersion("v1").build());
      }
      java.util.Set<Long> seen = new java.util.HashSet<>();
      while (edges.size() < edgeCount) {
        int c = random.nextInt(services);
        int s = random.nextInt(services);
        if (c != s && seen.add((long) c * services + s)) {
          edges.add(new int[] {c, s});
          keys.add("svc-" + c + "->svc-" + s);
          keyBytes.add(keys.get(keys.size() - 1).getBytes(StandardCharsets.UTF_8));
        }
      }
    }

    EdgeAggregate window(int e, long start) {
      int[] cs = edges.get(e);
      double requests = 50 + (e * 7919L + start / MINUTE) % 200;
      double failed = Math.floor(requests * ((e % 10) / 200.0));
      return EdgeAggregate.newBuilder()
          .setSchemaVersion(1)
          .setClient(nodes.get(cs[0]))
          .setServer(nodes.get(cs[1]))
          .setSource(TelemetrySource.TELEMETRY_SOURCE_MESH)
          .setProtocol("http")
          .setWindowStartUnixMs(start)
          .setWindowEndUnixMs(start + MINUTE)
          .setRequestCount(requests)
          .setFailedCount(failed)
          .setServerLatency(histogram(requests, 0.005 + (e % 50) / 1000.0))
          .setClientLatency(histogram(requests, 0.006 + (e % 50) / 1000.0))
          .addResponses(CodeCount.newBuilder().setCode("2xx").setCount(requests - failed))
          .addResponses(CodeCount.newBuilder().setCode("5xx").setCount(failed))
          .setEmittedUnixMs(start + MINUTE + 2_000)
          .build();
    }

    ServiceAggregate serviceWindow(int s, long start) {
      double requests = 100 + (s * 7919L + start / MINUTE) % 400;
      double failed = Math.floor(requests * ((s % 10) / 200.0));
      return ServiceAggregate.newBuilder()
          .setSchemaVersion(1)
          .setService(nodes.get(s))
          .setSource(TelemetrySource.TELEMETRY_SOURCE_MESH)
          .setWindowStartUnixMs(start)
          .setWindowEndUnixMs(start + MINUTE)
          .setRequestCount(requests)
          .setFailedCount(failed)
          .setLatency(histogram(requests, 0.004 + (s % 40) / 1000.0))
          .addResponses(CodeCount.newBuilder().setCode("2xx").setCount(requests - failed))
          .addResponses(CodeCount.newBuilder().setCode("5xx").setCount(failed))
          .setEmittedUnixMs(start + MINUTE + 2_000)
          .build();
    }

    /** Requests spread over four neighbouring buckets around {@code typical}. */
    private static LatencyHistogram histogram(double requests, double typical) {
      LatencyHistogram.Builder h = LatencyBuckets.emptyHistogram();
      LatencyBuckets.observe(h, typical * 0.7, requests * 0.3);
      LatencyBuckets.observe(h, typical, requests * 0.5);
      LatencyBuckets.observe(h, typical * 1.5, requests * 0.15);
      LatencyBuckets.observe(h, typical * 4, requests * 0.05);
      return h.build();
    }
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> m = new java.util.HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("expected --name value pairs, got " + args[i]);
      }
      m.put(args[i].substring(2), args[i + 1]);
    }
    return m;
  }
}
