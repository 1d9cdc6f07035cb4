package io.switchyard.bench.topology;

import io.switchyard.kafkaembedded.EmbeddedKafka;
import io.switchyard.model.LatencyBuckets;
import io.switchyard.model.Topics;
import io.switchyard.model.v1.CodeCount;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.LatencyHistogram;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.TelemetrySource;
import io.switchyard.topology.materialise.Materialiser;
import io.switchyard.topology.materialise.MaterialiserOptions;
import io.switchyard.topology.query.Graph;
import io.switchyard.topology.query.GraphType;
import io.switchyard.topology.query.TopologyQueries;
import io.switchyard.topology.query.TopologyQueries.GraphRequest;
import io.switchyard.topology.store.RocksTopologyStore;
import io.switchyard.topology.store.StoreBatch;
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

  public static void main(String[] args) throws Exception {
    Map<String, String> a = parse(args);
    int services = Integer.parseInt(a.getOrDefault("services", "1000"));
    int edgeCount = Integer.parseInt(a.getOrDefault("edges", "5000"));
    int hours = Integer.parseInt(a.getOrDefault("hours", "24"));
    int rateRecords = Integer.parseInt(a.getOrDefault("rate-records", "250000"));
    int iterations = Integer.parseInt(a.getOrDefault("iterations", "30"));
    int rounds = Integer.parseInt(a.getOrDefault("rounds", "3"));
    boolean skipRate = Boolean.parseBoolean(a.getOrDefault("skip-rate", "false"));
    boolean skipQueries = Boolean.parseBoolean(a.getOrDefault("skip-queries", "false"));
    Path dir = Files.createTempDirectory("switchyard-topology-bench");
    try {
      Mesh mesh = new Mesh(services, edgeCount, 42);
      if (!skipQueries) {
        queryLatency(mesh, dir.resolve("store"), hours, iterations, rounds);
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

  private static void queryLatency(Mesh mesh, Path storeDir, int hours, int iterations, int rounds) {
    long end = Instant.parse("2026-11-25T12:00:00Z").toEpochMilli();
    long start = end - hours * 60 * MINUTE;
    try (RocksTopologyStore store = RocksTopologyStore.open(storeDir)) {
      long t0 = System.nanoTime();
      long records = 0;
      for (long w = start; w < end; w += MINUTE) {
        StoreBatch batch = new StoreBatch();
        for (int e = 0; e < mesh.edges.size(); e++) {
          try {
            batch.edge(mesh.keyBytes.get(e), mesh.window(e, w).toByteArray());
          } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
            throw new IllegalStateException(ex);
          }
        }
        store.write(batch);
        records += mesh.edges.size();
      }
      double fillSeconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf(Locale.ROOT, "fill: %,d edge windows (%d services, %d edges, %d h of 1-minute windows) in %.1f s = %,.0f records/s%n",
          records, mesh.services, mesh.edges.size(), hours, fillSeconds, records / fillSeconds);

      Clock clock = Clock.fixed(Instant.ofEpochMilli(end + 30_000), ZoneOffset.UTC);
      TopologyQueries queries = new TopologyQueries(store, clock, () -> 0, () -> true);
      // The same queries without the cache of decoded buckets: what every query paid before it.
      TopologyQueries uncached = new TopologyQueries(store, clock, () -> 0, () -> true, 0);
      long now = clock.millis();
      Random random = new Random(5);
      // Ranges: the newest 15 min, 1 h and 24 h (aligned to the hour, as "now" is 12:00:30), and 1-hour
      // ranges ending at random minutes of the last 12 h (ragged ends read minute windows).
      List<String> names = new ArrayList<>();
      List<long[][]> ranges = new ArrayList<>();
      for (long span : new long[] {15 * MINUTE, 60 * MINUTE, 24 * 60 * MINUTE}) {
        if (span <= hours * 60 * MINUTE) {
          names.add((span / MINUTE) + " min");
          ranges.add(new long[][] {{now - span, now}});
        }
      }
      long[][] ragged = new long[64][];
      for (int i = 0; i < ragged.length; i++) {
        long to = end - (1 + random.nextInt(Math.max(1, Math.min(hours * 60 - 61, 720)))) * MINUTE;
        ragged[i] = new long[] {to - 60 * MINUTE, to};
      }
      names.add("60 min, ragged ends");
      ranges.add(ragged);
      for (int r = 0; r < names.size(); r++) {
        long[][] rs = ranges.get(r);
        boolean day = rs[0][1] - rs[0][0] > 2 * 60 * MINUTE;
        int n = day ? Math.max(3, iterations / 6) : iterations;
        System.out.printf(Locale.ROOT, "graph %s (%d rounds of %d queries each, interleaved):%n", names.get(r), rounds, n);
        List<double[]> base = new ArrayList<>();
        List<double[]> subject = new ArrayList<>();
        List<double[]> cold = new ArrayList<>();
        long[] scanned = {0};
        Graph[] g = new Graph[1];
        for (int round = 0; round < rounds; round++) {
          int[] next = {0};
          // Baseline: iterating the stored minute windows of the same range without decoding them (what a
          // query without roll-ups must at least do).
          base.add(measure(n, () -> {
            long[] range = rs[next[0]++ % rs.length];
            scanned[0] = 0;
            store.scanEdgeBytes(range[0] - Math.floorMod(range[0], MINUTE), range[1] - Math.floorMod(range[1], MINUTE),
                (k, v) -> scanned[0] += v.length > 0 ? 1 : 0);
          }));
          next[0] = 0;
          cold.add(measure(n, () -> {
            long[] range = rs[next[0]++ % rs.length];
            g[0] = uncached.graph(new GraphRequest(range[0], range[1], null, null, null, GraphType.SERVICE));
          }));
          next[0] = 0;
          subject.add(measure(n, () -> {
            long[] range = rs[next[0]++ % rs.length];
            g[0] = queries.graph(new GraphRequest(range[0], range[1], null, null, null, GraphType.SERVICE));
          }));
          report("  round " + (round + 1) + " raw scan baseline", base.get(round), null);
          report("  round " + (round + 1) + " graph, no cache  ", cold.get(round), base.get(round));
          report("  round " + (round + 1) + " graph            ", subject.get(round), base.get(round));
        }
        double[] ratios = new double[rounds];
        for (int i = 0; i < rounds; i++) {
          ratios[i] = pct(subject.get(i), 0.5) / pct(base.get(i), 0.5);
        }
        Arrays.sort(ratios);
        double[] all = merged(subject);
        double[] allBase = merged(base);
        double[] allCold = merged(cold);
        double[] coldRatios = new double[rounds];
        for (int i = 0; i < rounds; i++) {
          coldRatios[i] = pct(subject.get(i), 0.5) / pct(cold.get(i), 0.5);
        }
        Arrays.sort(coldRatios);
        System.out.printf(Locale.ROOT, "  => %s: graph without cache p50 %.1f ms p99 %.1f ms | cached/uncached median p50 ratio %.3f%n",
            names.get(r), pct(allCold, 0.5), pct(allCold, 0.99), coldRatios[rounds / 2]);
        System.out.printf(Locale.ROOT, "  => %s: graph p50 %.1f ms p99 %.1f ms | raw scan p50 %.1f ms p99 %.1f ms | median p50 ratio %.3f"
            + " (%,d minute windows in the last range; %d nodes, %d edges)%n", names.get(r), pct(all, 0.5), pct(all, 0.99),
            pct(allBase, 0.5), pct(allBase, 0.99), ratios[rounds / 2], scanned[0], g[0].nodes().size(), g[0].edges().size());
      }
    }
  }

  private static double[] merged(List<double[]> runs) {
    double[] out = runs.stream().flatMapToDouble(Arrays::stream).toArray();
    Arrays.sort(out);
    return out;
  }

  private static double[] measure(int iterations, Runnable r) {
    for (int i = 0; i < Math.max(2, iterations / 5); i++) {
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

  private static void report(String name, double[] ms, double[] baseline) {
    String ratio = baseline == null ? "" : String.format(Locale.ROOT, "  (p50 %.3fx baseline)", pct(ms, 0.5) / pct(baseline, 0.5));
    System.out.printf(Locale.ROOT, "%s p50 %8.2f ms  p95 %8.2f ms  p99 %8.2f ms%s%n", name, pct(ms, 0.5), pct(ms, 0.95),
        pct(ms, 0.99), ratio);
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
      for (int round = 0; round < rounds; round++) {
        double raw = rawConsumerRate(kafka.bootstrapServers(), topic, records);
        double materialised = materialiserRate(kafka.bootstrapServers(), prefix, dir.resolve("m" + round), records);
        ratios[round] = materialised / raw;
        System.out.printf(Locale.ROOT, "round %d: raw read_committed consumer %,.0f records/s, materialiser (Kafka -> RocksDB) %,.0f records/s"
            + " = %.3f of raw%n", round + 1, raw, materialised, ratios[round]);
      }
      Arrays.sort(ratios);
      System.out.printf(Locale.ROOT, "materialisation: median ratio to the raw consumer %.3f (%d rounds, %,d records each)%n",
          ratios[rounds / 2], rounds, records);
    }
  }
  private static double rawConsumerRate(String bootstrap, String topic, int expected) {
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap,
        "isolation.level", "read_committed", "enable.auto.commit", false, "max.poll.records", 2000),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      for (PartitionInfo i : c.partitionsFor(topic)) {
        parts.add(new TopicPartition(topic, i.partition()));
      }
      c.assign(parts);
      c.seekToBeginning(parts);
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
      if (bytes == 0) {
        throw new IllegalStateException("no bytes read");
      }
      return n / s;
    }
  }

  private static double materialiserRate(String bootstrap, String prefix, Path storeDir, int expected) throws Exception {
    try (RocksTopologyStore store = RocksTopologyStore.open(storeDir)) {
      long t = System.nanoTime();
      try (Materialiser m = new Materialiser(new MaterialiserOptions(bootstrap, prefix, null, Duration.ZERO, null, null), store,
          Clock.systemUTC()).start()) {
        while (!m.caughtUp() || m.materialisedRecords() < expected) {
          Thread.sleep(5); // a polling driver, not a timed assertion: the rate is measured, not checked
        }
        double s = (System.nanoTime() - t) / 1e9;
        return m.materialisedRecords() / s;
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
