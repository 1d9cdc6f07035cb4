package io.switchyard.topology.query;

import static io.switchyard.topology.Fixtures.MINUTE;
import static io.switchyard.topology.Fixtures.T0;
import static io.switchyard.topology.Fixtures.edge;
import static io.switchyard.topology.Fixtures.histogram;
import static io.switchyard.topology.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.TelemetrySource;
import io.switchyard.testing.MutableClock;
import io.switchyard.topology.query.TopologyQueries.GraphRequest;
import io.switchyard.topology.store.RocksTopologyStore;
import io.switchyard.topology.store.StoreBatch;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Messaging edges carry the queue latency of the minutes (or roll-ups) a graph adds up; other edges carry none. */
class QueueLatencyGraphTest {
  private static final long HOUR = 60 * MINUTE;
  /** A percentile read off a log bucket is within one bucket (factor 2^(1/2)) of the true value. */
  private static final double BUCKET = Math.sqrt(2) * 1.0001;
  private static final NodeRef ORDERS = service("orders", "shop");
  private static final NodeRef SHIPPING = service("shipping", "shop");
  private static final NodeRef FRONTEND = service("frontend", "shop");
  private static final TelemetrySource TRACE = TelemetrySource.TELEMETRY_SOURCE_TRACE;

  @TempDir Path dir;

  /** orders -> shipping over two hours: messages wait 1 s in the first hour, 4 s in the second; frontend -> orders is HTTP. */
  private static StoreBatch twoHours() {
    StoreBatch b = new StoreBatch();
    for (int i = 0; i < 120; i++) {
      long start = T0 + i * MINUTE;
      double queue = i < 60 ? 1.0 : 4.0;
      b.edge("shop/orders->shop/shipping", edge(ORDERS, SHIPPING, TRACE, start, 10, 0, 0.02).toBuilder()
          .setConnectionType("messaging_system").setProtocol("kafka").setMessagingLatency(histogram(10, queue)).build());
      b.edge("shop/frontend->shop/orders", edge(FRONTEND, ORDERS, TRACE, start, 20, 0, 0.01));
    }
    return b;
  }

  @Test
  void queueLatencyPercentilesFollowTheRangeThroughMinutesAndRollUpsOnAllGraphTypes() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir); DecodePool decoders = new DecodePool(0)) {
      store.write(twoHours());
      TopologyQueries queries = new TopologyQueries(store, new MutableClock(Instant.ofEpochMilli(T0 + 3 * HOUR)), () -> 0,
          () -> true, decoders);
      for (GraphType type : new GraphType[] {GraphType.SERVICE, GraphType.WORKLOAD}) {
        // A ragged range inside the first hour, one inside the second, and both whole hours.
        Map<String, Graph.Edge> first = edges(queries, T0 + 7 * MINUTE, T0 + 53 * MINUTE, type);
        Map<String, Graph.Edge> second = edges(queries, T0 + HOUR + 3 * MINUTE, T0 + HOUR + 31 * MINUTE, type);
        Map<String, Graph.Edge> both = edges(queries, T0, T0 + 2 * HOUR, type);
        assertThat(queue(first).p99()).as(type.name()).isBetween(1000 / BUCKET, 1000 * BUCKET);
        assertThat(queue(second).p50()).as(type.name()).isBetween(4000 / BUCKET, 4000 * BUCKET);
        // Half the messages waited 1 s, half 4 s.
        assertThat(queue(both).p50()).as(type.name()).isLessThan(1000 * BUCKET);
        assertThat(queue(both).p99()).as(type.name()).isBetween(4000 / BUCKET, 4000 * BUCKET);
        assertThat(http(both).queueLatencyMs()).as(type.name()).isNull();
      }
    }
  }

  /** A traced messaging hop into a service with access-log figures is dropped, queue entries and all. */
  @Test
  void aDroppedTracedMessagingHopLeavesTheHopsAfterItIntact() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir); DecodePool decoders = new DecodePool(0)) {
      StoreBatch b = new StoreBatch();
      // Keys in this order in the store: the dropped record comes first in the minute's piece.
      b.edge("shop/a-orders->shop/shipping", edge(ORDERS, SHIPPING, TRACE, T0, 10, 0, 0.02).toBuilder()
          .setConnectionType("messaging_system").setProtocol("kafka").setMessagingLatency(histogram(10, 1.0)).build());
      b.edge("shop/frontend->shop/orders", edge(FRONTEND, ORDERS, TRACE, T0, 20, 2, 0.01));
      b.edge("shop/frontend->shop/shipping", edge(FRONTEND, SHIPPING, TelemetrySource.TELEMETRY_SOURCE_MESH, T0, 5, 1, 0.01));
      store.write(b);
      TopologyQueries queries = new TopologyQueries(store, new MutableClock(Instant.ofEpochMilli(T0 + HOUR)), () -> 0,
          () -> true, decoders);
      Map<String, Graph.Edge> edges = edges(queries, T0, T0 + MINUTE, GraphType.SERVICE);
      assertThat(edges.keySet()).containsExactlyInAnyOrder("shop/frontend->shop/orders", "shop/frontend->shop/shipping");
      assertThat(edges.get("shop/frontend->shop/orders").requests()).isEqualTo(20);
      assertThat(edges.get("shop/frontend->shop/orders").failed()).isEqualTo(2);
      assertThat(edges.get("shop/frontend->shop/shipping").requests()).isEqualTo(5);
    }
  }

  @Test
  void aMessagingEdgeWithoutQueueObservationsHasNullPercentiles() {
    try (RocksTopologyStore store = RocksTopologyStore.open(dir); DecodePool decoders = new DecodePool(0)) {
      // Clock skew made every queue time negative: the job records none.
      store.write(new StoreBatch().edge("shop/orders->shop/shipping", edge(ORDERS, SHIPPING, TRACE, T0, 10, 0, 0.02).toBuilder()
          .setConnectionType("messaging_system").build()));
      TopologyQueries queries = new TopologyQueries(store, new MutableClock(Instant.ofEpochMilli(T0 + HOUR)), () -> 0,
          () -> true, decoders);
      Graph.Edge e = edges(queries, T0, T0 + MINUTE, GraphType.SERVICE).values().iterator().next();
      assertThat(e.queueLatencyMs()).isEqualTo(new Traffic.Latency(null, null, null, null));
    }
  }

  private static Map<String, Graph.Edge> edges(TopologyQueries queries, long from, long to, GraphType type) {
    return queries.graph(new GraphRequest(from, to, null, null, null, type)).edges().stream()
        .collect(Collectors.toMap(Graph.Edge::id, Function.identity()));
  }

  private static Traffic.Latency queue(Map<String, Graph.Edge> edges) {
    Graph.Edge messaging = edges.values().stream().filter(e -> e.connectionType().equals("messaging_system")).findFirst()
        .orElseThrow();
    assertThat(messaging.latencyMs().p50()).isBetween(20 / BUCKET, 20 * BUCKET);
    return messaging.queueLatencyMs();
  }

  private static Graph.Edge http(Map<String, Graph.Edge> edges) {
    return edges.values().stream().filter(e -> e.connectionType().isEmpty()).findFirst().orElseThrow();
  }
}
