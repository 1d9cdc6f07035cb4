package io.switchyard.topology.query;

import static io.switchyard.topology.Fixtures.MINUTE;
import static io.switchyard.topology.Fixtures.T0;
import static io.switchyard.topology.Fixtures.edge;
import static io.switchyard.topology.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.TelemetrySource;
import io.switchyard.testing.MutableClock;
import io.switchyard.topology.query.TopologyQueries.GraphRequest;
import io.switchyard.topology.store.Resolution;
import io.switchyard.topology.store.RocksTopologyStore;
import io.switchyard.topology.store.StoreBatch;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** Cached decoded buckets never outlive what the store holds. */
class DecodedPiecesTest {
  private static final long HOUR = 60 * MINUTE;
  private static final NodeRef A = service("a", "x");
  private static final NodeRef B = service("b", "x");
  private static final String HOP = "x/a->x/b";

  @TempDir Path dir;
  private RocksTopologyStore store;
  private TopologyQueries queries;

  @BeforeEach
  void open() {
    store = RocksTopologyStore.open(dir);
  }

  /** With finished graphs cached too (the default) and without, so both caches are held to the store. */
  private void queries(int cachedGraphs) {
    queries = new TopologyQueries(store, new MutableClock(Instant.ofEpochMilli(T0 + 3 * HOUR)), () -> 0, () -> true,
        new DecodePool(0), TopologyQueries.DEFAULT_CACHED_PIECE_BYTES, cachedGraphs);
  }

  @org.junit.jupiter.api.AfterEach
  void close() {
    store.close();
  }

  private void write(long start, int requests) {
    StoreBatch b = new StoreBatch();
    b.edge(HOP, edge(A, B, TelemetrySource.TELEMETRY_SOURCE_MESH, start, requests, 0, 0.02));
    store.write(b);
  }

  /** Graphs answered, held as a client reading them would: a graph asked for once is cached only while held. */
  private final java.util.List<Graph> answered = new java.util.ArrayList<>();

  private double requests(long from, long to) {
    Graph g = queries.graph(new GraphRequest(from, to, null, null, null, GraphType.SERVICE));
    answered.add(g);
    return g.edges().stream().mapToDouble(Graph.Edge::requests).sum();
  }

  @ParameterizedTest(name = "cached graphs {0}")
  @ValueSource(ints = {0, TopologyQueries.DEFAULT_CACHED_GRAPHS})
  void reEmittedMinuteReplacesTheCachedMinuteAndRollUps(int cachedGraphs) {
    queries(cachedGraphs);
    for (int m = 0; m < 60; m++) {
      write(T0 + m * MINUTE, 10);
    }
    long raggedFrom = T0 + 3 * MINUTE;
    long raggedTo = T0 + 58 * MINUTE;
    assertThat(requests(raggedFrom, raggedTo)).isEqualTo(550);
    assertThat(requests(T0, T0 + HOUR)).isEqualTo(600);
    long missesBefore = queries.pieceCacheCounts()[1];
    assertThat(requests(raggedFrom, raggedTo)).isEqualTo(550);
    assertThat(requests(T0, T0 + HOUR)).isEqualTo(600);
    assertThat(queries.pieceCacheCounts()[1]).as("second reads come from the cache").isEqualTo(missesBefore);
    if (cachedGraphs > 0) {
      assertThat(queries.graphCacheHits()).as("repeated graphs come from the graph cache").isEqualTo(2);
    }

    write(T0 + 4 * MINUTE, 25); // a minute at the ragged start (read from minutes)
    write(T0 + 30 * MINUTE, 40); // a minute inside a ten-minute and the hourly roll-up
    assertThat(requests(raggedFrom, raggedTo)).isEqualTo(550 + 15 + 30);
    assertThat(requests(T0, T0 + HOUR)).isEqualTo(600 + 15 + 30);
    assertThat(requests(T0 + 4 * MINUTE, T0 + 5 * MINUTE)).isEqualTo(25);
  }

  @ParameterizedTest(name = "cached graphs {0}")
  @ValueSource(ints = {0, TopologyQueries.DEFAULT_CACHED_GRAPHS})
  void lateMinuteAfterItsRollUpsWereWrittenIsInTheGraph(int cachedGraphs) {
    queries(cachedGraphs);
    for (int m = 0; m < 60; m++) {
      write(T0 + m * MINUTE, 10);
    }
    // The hour is still open (complete until two minutes before its end): read from minutes and shorter roll-ups.
    assertThat(store.rollupsCompleteUntil()).isEqualTo(T0 + 58 * MINUTE);
    assertThat(requests(T0, T0 + HOUR)).isEqualTo(600);
    assertThat(requests(T0 + 50 * MINUTE, T0 + HOUR)).isEqualTo(100);

    store.completeRollups();
    assertThat(store.rollupsCompleteUntil()).isEqualTo(T0 + HOUR);
    assertThat(rollupCount(Resolution.HOUR)).isEqualTo(1);
    assertThat(requests(T0, T0 + HOUR)).isEqualTo(600);

    write(T0 + 30 * MINUTE, 40); // after the hour, its ten- and five-minute roll-ups were written
    write(T0 + 59 * MINUTE, 1);
    assertThat(requests(T0, T0 + HOUR)).isEqualTo(600 + 30 - 9);
    assertThat(requests(T0 + 30 * MINUTE, T0 + 40 * MINUTE)).isEqualTo(130);
    assertThat(requests(T0 + 55 * MINUTE, T0 + HOUR)).isEqualTo(41);
  }

  @Test
  void storedPreDecodedBucketsGoWithLateDataAndRetention() {
    queries = new TopologyQueries(store, new MutableClock(Instant.ofEpochMilli(T0 + 3 * HOUR)), () -> 0, () -> true,
        new DecodePool(0), 0, 0, Runnable::run);
    for (int m = 0; m < 60; m++) {
      write(T0 + m * MINUTE, 10);
    }
    store.completeRollups();
    long before = store.edgeGeneration();
    long raggedFrom = T0 + 3 * MINUTE;
    long raggedTo = T0 + 58 * MINUTE;
    assertThat(requests(raggedFrom, raggedTo)).isEqualTo(550);
    assertThat(storedForm(null, T0 + 3 * MINUTE)).as("a closed minute read is stored").isTrue();
    assertThat(storedForm(Resolution.TEN_MINUTES, T0 + 10 * MINUTE)).isTrue();
    assertThat(requests(raggedFrom, raggedTo)).isEqualTo(550);
    assertThat(queries.storedPieceReads()).as("the second read comes from the stored forms").isPositive();

    write(T0 + 3 * MINUTE, 25); // the job re-emits the minute with late data
    write(T0 + 12 * MINUTE, 40);
    assertThat(storedForm(null, T0 + 3 * MINUTE)).as("deleted with the late write").isFalse();
    assertThat(storedForm(Resolution.TEN_MINUTES, T0 + 10 * MINUTE)).isFalse();
    assertThat(store.putDecodedEdgeBucket(null, T0 + 3 * MINUTE, before, new byte[] {StoredPieces.LAYOUT}))
        .as("a form built before the late write is refused").isFalse();
    assertThat(requests(raggedFrom, raggedTo)).isEqualTo(550 + 15 + 30);
    assertThat(requests(raggedFrom, raggedTo)).isEqualTo(550 + 15 + 30);
    assertThat(storedForm(null, T0 + 3 * MINUTE)).as("stored again from the new sums").isTrue();

    store.deleteOlderThan(T0 + 20 * MINUTE);
    assertThat(storedForm(null, T0 + 3 * MINUTE)).as("retention deletes stored forms").isFalse();
    assertThat(storedForm(Resolution.TEN_MINUTES, T0 + 10 * MINUTE)).isFalse();
    assertThat(requests(raggedFrom, raggedTo)).isEqualTo(10 * 38);
  }

  /** A stored bucket larger than a reader's first buffer is read whole (the buffer grows). */
  @Test
  void aLargeStoredBucketIsReadWhole() {
    queries = new TopologyQueries(store, new MutableClock(Instant.ofEpochMilli(T0 + 3 * HOUR)), () -> 0, () -> true,
        new DecodePool(0), 0, 0, Runnable::run);
    StoreBatch b = new StoreBatch();
    for (int i = 0; i < 3_000; i++) {
      NodeRef client = service("c" + i, "x");
      b.edge("x/c" + i + "->x/b", edge(client, B, TelemetrySource.TELEMETRY_SOURCE_MESH, T0, 1 + i % 7, 0, 0.02));
    }
    store.write(b);
    store.completeRollups();
    double expected = 0;
    for (int i = 0; i < 3_000; i++) {
      expected += 1 + i % 7;
    }
    assertThat(requests(T0, T0 + MINUTE)).isEqualTo(expected);
    assertThat(store.decodedEdgeBucket(null, T0, new byte[0])).as("stored, larger than 64 KB").isGreaterThan(64 << 10);
    assertThat(requests(T0, T0 + MINUTE)).isEqualTo(expected);
    assertThat(queries.storedPieceReads()).isEqualTo(1);
  }

  /**
   * Stored buckets naming other hops, in lists of the same length, each give their own edges: the hop numbers of a
   * name list read before are reused only for the same list.
   */
  @Test
  void storedBucketsOfOtherHopListsKeepTheirOwnHops() {
    queries = new TopologyQueries(store, new MutableClock(Instant.ofEpochMilli(T0 + 3 * HOUR)), () -> 0, () -> true,
        new DecodePool(0), 0, 0, Runnable::run);
    NodeRef c = service("c", "x");
    // Lists of the same length and name lengths: {a->b, a->c}, {a->c, b->c}, {a->b, b->c}, then each again.
    String[][] hops = {{"a", "b", "a", "c"}, {"a", "c", "b", "c"}, {"a", "b", "b", "c"}};
    Map<String, NodeRef> nodes = Map.of("a", A, "b", B, "c", c);
    for (int m = 0; m < 6; m++) {
      String[] h = hops[m % 3];
      StoreBatch b = new StoreBatch();
      for (int k = 0; k < 4; k += 2) {
        b.edge("x/" + h[k] + "->x/" + h[k + 1], edge(nodes.get(h[k]), nodes.get(h[k + 1]), TelemetrySource.TELEMETRY_SOURCE_MESH,
            T0 + m * MINUTE, 10 * m + k + 1, 0, 0.02));
      }
      store.write(b);
    }
    store.completeRollups();
    for (int pass = 0; pass < 3; pass++) {
      for (int m = 0; m < 6; m++) {
        String[] h = hops[m % 3];
        Map<String, Double> edges = queries.graph(new GraphRequest(T0 + m * MINUTE, T0 + (m + 1) * MINUTE, null, null, null,
            GraphType.SERVICE)).edges().stream().collect(java.util.stream.Collectors.toMap(Graph.Edge::id, Graph.Edge::requests));
        assertThat(edges).as("minute %d, pass %d", m, pass).isEqualTo(Map.of("x/" + h[0] + "->x/" + h[1], 10.0 * m + 1,
            "x/" + h[2] + "->x/" + h[3], 10.0 * m + 3));
      }
    }
    assertThat(queries.storedPieceReads()).as("later passes read the stored forms").isGreaterThanOrEqualTo(12);
  }

  @Test
  void aNameListIsMappedOnlyToTheHopsRememberedForTheSameBytes() {
    HopCatalog catalog = new HopCatalog();
    byte[] lists = "xxABCDxxABCExxABCD".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    int[] first = {1, 2};
    catalog.rememberHopsOfNames(lists, 2, 6, first);
    assertThat(catalog.hopsOfNames(lists, 14, 18)).as("same bytes elsewhere").isSameAs(first);
    assertThat(catalog.hopsOfNames(lists, 8, 12)).as("same length, other bytes").isNull();
    assertThat(catalog.hopsOfNames(lists, 2, 5)).as("a prefix").isNull();
    for (int i = 0; i < HopCatalog.RECENT_NAME_LISTS; i++) {
      catalog.rememberHopsOfNames(new byte[] {(byte) i}, 0, 1, new int[] {i});
    }
    assertThat(catalog.hopsOfNames(lists, 2, 6)).as("only the newest lists are kept").isNull();
    assertThat(catalog.hopsOfNames(new byte[] {0}, 0, 1)).containsExactly(0);
  }

  private boolean storedForm(Resolution r, long bucketStart) {
    return store.decodedEdgeBucket(r, bucketStart, new byte[0]) >= 0;
  }

  private int rollupCount(Resolution r) {
    int[] n = {0};
    store.scanEdgeLent(r, 0, Long.MAX_VALUE, (k, kl, v, vl) -> n[0]++);
    return n[0];
  }

  @ParameterizedTest(name = "cached graphs {0}")
  @ValueSource(ints = {0, TopologyQueries.DEFAULT_CACHED_GRAPHS})
  void retentionDropsCachedBucketsItDeletesOrCuts(int cachedGraphs) {
    queries(cachedGraphs);
    for (int m = 0; m < 2 * 60; m++) {
      write(T0 + m * MINUTE, 1);
    }
    assertThat(requests(T0, T0 + 2 * HOUR)).isEqualTo(120);
    assertThat(requests(T0 + 2 * MINUTE, T0 + 9 * MINUTE)).isEqualTo(7);
    assertThat(requests(T0 + HOUR, T0 + 2 * HOUR)).isEqualTo(60);

    store.deleteOlderThan(T0 + HOUR + 7 * MINUTE);

    assertThat(requests(T0 + 2 * MINUTE, T0 + 9 * MINUTE)).isZero();
    assertThat(requests(T0, T0 + 2 * HOUR)).isEqualTo(53);
    assertThat(requests(T0 + HOUR, T0 + 2 * HOUR)).isEqualTo(53);
  }

  @Test
  void aPieceStillBeingAddedUpKeepsItsArraysUntilReleasedThenTheNextPieceReusesThem() {
    for (int m = 0; m < 3; m++) {
      write(T0 + m * MINUTE, 10 + m);
    }
    DecodedPieces cache = new DecodedPieces(store, TopologyQueries.DEFAULT_CACHED_PIECE_BYTES);
    HopCatalog catalog = cache.catalog();
    DecodedPieces.Piece first = minute(cache, catalog, T0);
    cache.put(null, T0, first);
    DecodedPieces.Piece hit = cache.get(null, T0, catalog);
    assertThat(hit).isSameAs(first);

    write(T0, 50); // re-emitted: the cache drops the piece while two queries still add it up
    assertThat(cache.get(null, T0, catalog)).isNull();
    DecodedPieces.Piece other = minute(cache, catalog, T0 + MINUTE);
    assertThat(cache.freeBytes()).as("nothing to reuse while the piece is read").isZero();
    assertThat(requests(first, catalog)).isEqualTo(10);

    cache.release(new DecodedPieces.Piece[] {first});
    assertThat(cache.freeBytes()).as("one query still reads it").isZero();
    assertThat(requests(first, catalog)).isEqualTo(10);
    cache.release(new DecodedPieces.Piece[] {hit, other});
    long free = cache.freeBytes();
    assertThat(free).as("retired: neither cached nor read").isPositive();

    DecodedPieces.Piece reusing = minute(cache, catalog, T0 + 2 * MINUTE);
    assertThat(cache.freeBytes()).as("the new piece took retired arrays").isLessThan(free);
    assertThat(requests(reusing, catalog)).isEqualTo(12);
  }

  private DecodedPieces.Piece minute(DecodedPieces cache, HopCatalog catalog, long start) {
    DecodedPieces.Builder b = new DecodedPieces.Builder(catalog);
    store.scanEdgeLent(null, start, start + MINUTE, b::add);
    return b.build(store.edgeGeneration(), cache);
  }

  private static double requests(DecodedPieces.Piece piece, HopCatalog catalog) {
    SumTable sums = new SumTable(4);
    int[] rowOfHop = new int[catalog.hopCount()];
    piece.addTo(sums, rowOfHop, new int[rowOfHop.length]);
    return sums.requests(0);
  }
}
