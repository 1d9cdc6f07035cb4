package io.switchyard.topology.query;

import static io.switchyard.topology.Fixtures.MINUTE;
import static io.switchyard.topology.Fixtures.T0;
import static io.switchyard.topology.Fixtures.edge;
import static io.switchyard.topology.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.ServiceAggregate;
import io.switchyard.model.v1.SloAlertRecord;
import io.switchyard.model.v1.SloStatusRecord;
import io.switchyard.model.v1.TelemetrySource;
import io.switchyard.topology.MutableClock;
import io.switchyard.topology.query.TopologyQueries.GraphRequest;
import io.switchyard.topology.store.Resolution;
import io.switchyard.topology.store.RocksTopologyStore;
import io.switchyard.topology.store.StoreBatch;
import io.switchyard.topology.store.TopologyStore;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Graphs from roll-ups (of every resolution), cached pieces, cached graphs and pieces decoded side by side equal
 * graphs recomputed from the stored minutes alone, on random ranges, while minutes arrive late or are re-emitted,
 * switch between trace and mesh, roll-ups complete and retention cuts through buckets.
 */
class GraphEquivalenceTest {
  private static final long HOUR = 60 * MINUTE;
  private static final NodeRef[] NODES = {service("a", "x"), service("b", "x"), service("c", "y"), service("d", "y"),
      service("e", "z"), service("f", "z")};

  @TempDir Path dir;

  @Test
  void cachedRollUpGraphsEqualGraphsRecomputedFromMinutes() {
    Random random = new Random(23);
    try (RocksTopologyStore store = RocksTopologyStore.open(dir); DecodePool decoders = new DecodePool(2)) {
      MutableClock clock = new MutableClock(Instant.ofEpochMilli(T0 + 4 * HOUR));
      Set<Resolution> read = ConcurrentHashMap.newKeySet();
      TopologyQueries subject = new TopologyQueries(new Wrapped(store, false, read), clock, () -> 0, () -> true, decoders);
      TopologyQueries small = new TopologyQueries(store, clock, () -> 0, () -> true, decoders, 3L << 20, 2);
      // A few pieces at most: evicted pieces' arrays are reused all the time, also while two queries read.
      TopologyQueries tiny = new TopologyQueries(store, clock, () -> 0, () -> true, decoders, 12L << 10, 0);
      ExecutorService concurrent = Executors.newFixedThreadPool(2);
      TopologyQueries minutes = new TopologyQueries(new Wrapped(store, true, read), clock, () -> 0, () -> true, new DecodePool(0), 0, 0);
      // No memory cache, pre-decoded buckets stored as they are read: every closed bucket read a second time comes
      // from its stored form, unless a write since deleted it.
      TopologyQueries stored = new TopologyQueries(store, clock, () -> 0, () -> true, new DecodePool(0), 0, 0, Runnable::run);
      int compared = 0;
      for (int phase = 0; phase < 12; phase++) {
        // Fifteen new minutes per phase, then a few late or re-emitted ones anywhere before.
        StoreBatch b = new StoreBatch();
        for (int m = phase * 15; m < (phase + 1) * 15; m++) {
          for (int hop = 0; hop < 8; hop++) {
            write(b, random, hop, T0 + m * MINUTE);
          }
        }
        for (int late = 0; late < 6; late++) {
          write(b, random, random.nextInt(8), T0 + random.nextInt((phase + 1) * 15) * MINUTE);
        }
        store.write(b);
        if (phase % 3 == 2) {
          store.completeRollups();
        }
        if (phase == 7) {
          // Cuts through a 30-minute and an hourly bucket; later late minutes may land before the cutoff again.
          store.deleteOlderThan(T0 + 40 * MINUTE);
        }
        long newest = T0 + (phase + 1) * 15 * MINUTE;
        for (int q = 0; q < 25; q++) {
          long to = T0 + (long) (random.nextDouble() * (newest - T0 + 10 * MINUTE));
          long from = Math.max(T0 - 5 * MINUTE, to - (q % 2 == 0 ? HOUR : (1 + random.nextInt(150)) * MINUTE));
          if (random.nextBoolean()) {
            from = from / MINUTE * MINUTE;
            to = to / MINUTE * MINUTE;
          }
          if (from >= to) {
            continue;
          }
          GraphType type = GraphType.values()[random.nextInt(GraphType.values().length)];
          GraphRequest request = new GraphRequest(from, to, null, null, null, type);
          Graph expected = minutes.graph(request);
          List<Graph> graphs = new ArrayList<>();
          for (TopologyQueries q2 : List.of(subject, small, subject, stored, stored)) {
            graphs.add(q2.graph(request));
          }
          Future<Graph> other = concurrent.submit(() -> tiny.graph(request));
          graphs.add(tiny.graph(request));
          graphs.add(join(other));
          for (Graph g : graphs) {
            assertThat(g.window()).isEqualTo(expected.window());
            assertThat(byId(g.edges(), Graph.Edge::id)).as("edges of %s", g.window()).isEqualTo(byId(expected.edges(), Graph.Edge::id));
            assertThat(byId(g.nodes(), Graph.Node::id)).as("nodes of %s", g.window()).isEqualTo(byId(expected.nodes(), Graph.Node::id));
          }
          compared++;
        }
      }
      concurrent.shutdown();
      assertThat(compared).isGreaterThan(250);
      assertThat(read).as("roll-ups of every resolution were read").containsExactlyInAnyOrder(Resolution.values());
      assertThat(tiny.pieceCacheCounts()[0]).as("the tiny cache was used too").isPositive();
      assertThat(subject.pieceCacheCounts()[0]).as("cached pieces were used").isPositive();
      assertThat(stored.storedPieceReads()).as("stored pre-decoded buckets were used").isGreaterThan(100);
    }
  }

  private static Graph join(Future<Graph> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  private static <T> Map<String, T> byId(List<T> items, Function<T, String> id) {
    return items.stream().collect(Collectors.toMap(id, Function.identity()));
  }

  private static void write(StoreBatch b, Random random, int hop, long start) {
    NodeRef client = NODES[hop % NODES.length];
    NodeRef server = NODES[(hop * 5 + 1) % NODES.length];
    if (client.equals(server)) {
      server = NODES[(hop + 1) % NODES.length];
    }
    TelemetrySource source = random.nextInt(3) == 0 ? TelemetrySource.TELEMETRY_SOURCE_TRACE : TelemetrySource.TELEMETRY_SOURCE_MESH;
    int requests = random.nextInt(60);
    EdgeAggregate e = edge(client, server, source, start, requests, random.nextInt(requests + 1),
        0.001 * (1 + random.nextInt(400)));
    b.edge(client.getNamespace() + "/" + client.getName() + "->" + server.getNamespace() + "/" + server.getName(), e);
  }

  /**
   * The same store, noting the roll-up resolutions read; {@code minutesOnly}: with no roll-up complete and no change
   * tracking, so every graph is added up from its minutes.
   */
  private record Wrapped(TopologyStore store, boolean minutesOnly, Set<Resolution> read) implements TopologyStore {
    @Override
    public long rollupsCompleteUntil() {
      return minutesOnly ? 0 : store.rollupsCompleteUntil();
    }

    @Override
    public long edgeGeneration() {
      return minutesOnly ? -1 : store.edgeGeneration();
    }

    @Override
    public boolean edgeBucketUnchangedSince(Resolution resolution, long bucketStartMs, long generation) {
      return !minutesOnly && store.edgeBucketUnchangedSince(resolution, bucketStartMs, generation);
    }

    @Override
    public void write(StoreBatch batch) {
      store.write(batch);
    }

    @Override
    public long oldestWindowStartMs() {
      return store.oldestWindowStartMs();
    }

    @Override
    public void completeRollups() {
      store.completeRollups();
    }

    @Override
    public void scanEdges(long fromMs, long toMs, Consumer<EdgeAggregate> sink) {
      store.scanEdges(fromMs, toMs, sink);
    }

    @Override
    public void scanEdgeBytes(long fromMs, long toMs, RawSink sink) {
      store.scanEdgeBytes(fromMs, toMs, sink);
    }

    @Override
    public void scanEdgeLent(Resolution resolution, long fromMs, long toMs, LentSink sink) {
      if (resolution != null) {
        if (minutesOnly) {
          throw new AssertionError("a graph from minutes read roll-ups");
        }
        read.add(resolution);
      }
      store.scanEdgeLent(resolution, fromMs, toMs, sink);
    }

    @Override
    public void scanServices(long fromMs, long toMs, Consumer<ServiceAggregate> sink) {
      store.scanServices(fromMs, toMs, sink);
    }

    @Override
    public void scanEdgeTotals(Consumer<EdgeAggregate> sink) {
      store.scanEdgeTotals(sink);
    }

    @Override
    public void scanServiceTotals(Consumer<ServiceAggregate> sink) {
      store.scanServiceTotals(sink);
    }

    @Override
    public List<SloStatusRecord> sloStatuses() {
      return store.sloStatuses();
    }

    @Override
    public Optional<SloStatusRecord> sloStatus(String name) {
      return store.sloStatus(name);
    }

    @Override
    public List<SloAlertRecord> sloAlerts(String slo) {
      return store.sloAlerts(slo);
    }

    @Override
    public Map<String, Long> offsets() {
      return store.offsets();
    }

    @Override
    public Freshness freshness() {
      return store.freshness();
    }

    @Override
    public long deleteOlderThan(long cutoffMs) {
      return store.deleteOlderThan(cutoffMs);
    }

    @Override
    public void close() {}
  }
}
