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
import io.switchyard.topology.store.RocksTopologyStore;
import io.switchyard.topology.store.StoreBatch;
import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finished graphs are held from their second request on; one asked for once is left to the collector. */
class GraphCacheTest {
  private static final long HOUR = 60 * MINUTE;
  private static final NodeRef A = service("a", "x");
  private static final NodeRef B = service("b", "x");

  @TempDir Path dir;
  private RocksTopologyStore store;
  private TopologyQueries queries;

  @BeforeEach
  void open() {
    store = RocksTopologyStore.open(dir);
    queries = new TopologyQueries(store, new MutableClock(Instant.ofEpochMilli(T0 + 3 * HOUR)), () -> 0, () -> true,
        new DecodePool(0), TopologyQueries.DEFAULT_CACHED_PIECE_BYTES, TopologyQueries.DEFAULT_CACHED_GRAPHS);
    for (int m = 0; m < 60; m++) {
      write(T0 + m * MINUTE, 10);
    }
  }

  @AfterEach
  void close() {
    store.close();
  }

  private void write(long start, int requests) {
    StoreBatch b = new StoreBatch();
    b.edge("x/a->x/b", edge(A, B, TelemetrySource.TELEMETRY_SOURCE_MESH, start, requests, 0, 0.02));
    store.write(b);
  }

  private Graph graph() {
    return queries.graph(new GraphRequest(T0 + 3 * MINUTE, T0 + 58 * MINUTE, null, null, null, GraphType.SERVICE));
  }

  /**
   * Full collections until the reference is cleared, or a bounded number of them (one full collection clears a
   * referent nothing else holds; the rest are for a JVM that treats System.gc() as a hint).
   */
  private static boolean collected(WeakReference<?> ref, int attempts) {
    for (int i = 0; i < attempts && ref.get() != null; i++) {
      System.gc();
    }
    return ref.get() == null;
  }

  /** With nothing else holding it, the graph survives full collections and is what the next request gets. */
  private void assertHeldAndAnsweredAgain(WeakReference<Graph> kept, String why) {
    assertThat(collected(kept, 2)).as(why).isFalse();
    assertThat(graph()).isSameAs(kept.get());
  }

  @Test
  void aRepeatWhileTheFirstGraphIsHeldGetsTheSameGraphAndKeepsIt() {
    Graph first = graph();
    assertThat(graph()).isSameAs(first);
    assertThat(queries.graphCacheHits()).isEqualTo(1);

    WeakReference<Graph> kept = new WeakReference<>(first);
    first = null;
    assertHeldAndAnsweredAgain(kept, "held by the cache from its second request");
    assertThat(queries.graphCacheHits()).isEqualTo(2);
  }

  @Test
  void aGraphAskedForOnceIsLeftToTheCollectorAndTheOneComputedForItsRepeatIsKept() {
    WeakReference<Graph> once = new WeakReference<>(graph());
    assertThat(collected(once, 20)).as("a graph asked for once is not held").isTrue();

    Graph again = graph();
    assertThat(queries.graphCacheHits()).as("computed afresh after a collection").isZero();
    assertThat(again.edges()).singleElement().satisfies(e -> assertThat(e.requests()).isEqualTo(550));
    WeakReference<Graph> kept = new WeakReference<>(again);
    again = null;
    assertHeldAndAnsweredAgain(kept, "its key was asked for before: kept");
    assertThat(queries.graphCacheHits()).isEqualTo(1);
  }

  @Test
  void aKeptGraphRecomputedAfterLateDataIsKeptAgain() {
    Graph first = graph();
    assertThat(graph()).isSameAs(first);
    write(T0 + 30 * MINUTE, 40);

    Graph recomputed = graph();
    assertThat(recomputed).isNotSameAs(first);
    assertThat(recomputed.edges()).singleElement().satisfies(e -> assertThat(e.requests()).isEqualTo(580));
    WeakReference<Graph> kept = new WeakReference<>(recomputed);
    first = null;
    recomputed = null;
    assertHeldAndAnsweredAgain(kept, "asked for before the late data: kept");
  }
}
