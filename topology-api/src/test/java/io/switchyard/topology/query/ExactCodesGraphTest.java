package io.switchyard.topology.query;

import static io.switchyard.topology.Fixtures.MINUTE;
import static io.switchyard.topology.Fixtures.T0;
import static io.switchyard.topology.Fixtures.edge;
import static io.switchyard.topology.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.model.v1.CodeCount;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.TelemetrySource;
import io.switchyard.testing.MutableClock;
import io.switchyard.topology.query.TopologyQueries.GraphRequest;
import io.switchyard.topology.store.Resolution;
import io.switchyard.topology.store.RocksTopologyStore;
import io.switchyard.topology.store.StoreBatch;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exact response codes and a TCP edge's bytes go from the store's minutes and roll-ups, through decoded and stored
 * pre-decoded buckets, to the graph's edges; a stored bucket of the layout before them is never read.
 */
class ExactCodesGraphTest {
  private static final long HOUR = 60 * MINUTE;
  private static final NodeRef FRONTEND = service("frontend", "shop");
  private static final NodeRef PRODUCTPAGE = service("productpage", "shop");
  private static final NodeRef REVIEWS = service("reviews", "shop");
  private static final NodeRef MONGODB = service("mongodb", "shop");
  private static final String HTTP = "shop/productpage->shop/reviews";
  private static final String TCP = "shop/productpage->shop/mongodb";
  private static final String TRACED = "shop/frontend->shop/productpage";
  private static final TelemetrySource MESH = TelemetrySource.TELEMETRY_SOURCE_MESH;

  @TempDir Path dir;
  private RocksTopologyStore store;

  @BeforeEach
  void open() {
    store = RocksTopologyStore.open(dir);
    StoreBatch b = new StoreBatch();
    for (int m = 0; m < 60; m++) {
      long start = T0 + m * MINUTE;
      // Per minute: 9 x 200 and 1 x 503 (upstream connection failure), 1,000 bytes sent and 100 received.
      b.edge(HTTP, edge(PRODUCTPAGE, REVIEWS, MESH, start, 10, 1, 0.02).toBuilder()
          .addResponseCodes(code("200", 9)).addResponseCodes(code("503", 1)).addResponseFlags(code("UF", 1))
          .setSentBytes(1000).setReceivedBytes(100).build());
      // Two connections a minute, 5,000 bytes sent and 1,000 received: no response codes.
      b.edge(TCP, edge(PRODUCTPAGE, MONGODB, MESH, start, 2, 0, 0.01).toBuilder().setProtocol("tcp")
          .clearResponses().setSentBytes(5000).setReceivedBytes(1000).build());
      b.edge(TRACED, edge(FRONTEND, PRODUCTPAGE, TelemetrySource.TELEMETRY_SOURCE_TRACE, start, 20, 2, 0.05));
    }
    store.write(b);
    store.completeRollups();
  }

  @AfterEach
  void close() {
    store.close();
  }

  /** No memory caches, pre-decoded buckets stored on the calling thread: every read is a scan or a stored form. */
  private TopologyQueries queries() {
    return new TopologyQueries(store, new MutableClock(Instant.ofEpochMilli(T0 + 3 * HOUR)), () -> 0, () -> true,
        new DecodePool(0), 0, 0, Runnable::run);
  }

  private static CodeCount code(String code, double count) {
    return CodeCount.newBuilder().setCode(code).setCount(count).build();
  }

  /** By source and target service (workload ids name the fixture's "-v1" workloads). */
  private static Map<String, Graph.Edge> edges(TopologyQueries q, long from, long to, GraphType type) {
    return q.graph(new GraphRequest(from, to, null, null, null, type)).edges().stream()
        .collect(Collectors.toMap(e -> (e.source() + "->" + e.target()).replace("-v1", ""), Function.identity()));
  }

  /** What the graph of {@code minutes} whole minutes holds, by hand. */
  private static void assertFigures(Map<String, Graph.Edge> edges, int minutes, String as) {
    Graph.Edge http = edges.get(HTTP);
    assertThat(http.responseCodes()).as(as).isEqualTo(Map.of("200", 9.0 * minutes, "503", 1.0 * minutes));
    assertThat(http.responses()).as(as).isEqualTo(Map.of("2xx", 9.0 * minutes, "5xx", 1.0 * minutes));
    assertThat(http.bytesSent()).as(as + ": bytes only on TCP edges").isNull();
    assertThat(http.bytesSentRate()).as(as).isNull();
    Graph.Edge tcp = edges.get(TCP);
    assertThat(tcp.responseCodes()).as(as).isNull();
    assertThat(tcp.requests()).as(as).isEqualTo(2.0 * minutes);
    assertThat(tcp.bytesSent()).as(as).isEqualTo(5000.0 * minutes);
    assertThat(tcp.bytesReceived()).as(as).isEqualTo(1000.0 * minutes);
    assertThat(tcp.bytesSentRate()).as(as).isEqualTo(Traffic.round(5000.0 / 60, 4));
    assertThat(tcp.bytesReceivedRate()).as(as).isEqualTo(Traffic.round(1000.0 / 60, 4));
    Graph.Edge traced = edges.get(TRACED);
    assertThat(traced.responseCodes()).as(as + ": spans keep only the class").isNull();
    assertThat(traced.responses()).as(as).isEqualTo(Map.of("2xx", 18.0 * minutes, "5xx", 2.0 * minutes));
  }

  @Test
  void exactCodesAndTcpBytesAddUpOverMinutesRollUpsAndStoredBuckets() {
    TopologyQueries q = queries();
    for (GraphType type : new GraphType[] {GraphType.SERVICE, GraphType.WORKLOAD}) {
      for (int round = 0; round < 2; round++) {
        String as = type + " round " + round;
        assertFigures(edges(q, T0 + 3 * MINUTE, T0 + 58 * MINUTE, type), 55, as + " ragged");
        assertFigures(edges(q, T0, T0 + HOUR, type), 60, as + " hour");
        assertFigures(edges(q, T0 + 10 * MINUTE, T0 + 40 * MINUTE, type), 30, as + " ten-minute roll-ups");
      }
    }
    assertThat(q.storedPieceReads()).as("the second rounds read stored pre-decoded buckets").isPositive();
  }

  @Test
  void aServiceSumsTheExactCodesAndTcpBytesOfTheEdgesIntoIt() {
    // A second caller of reviews, from another namespace: 4 x 200 and 1 x 404 a minute.
    StoreBatch b = new StoreBatch();
    for (int m = 0; m < 60; m++) {
      b.edge("outlet/frontend->shop/reviews", edge(service("frontend", "outlet"), REVIEWS, MESH, T0 + m * MINUTE, 5, 0, 0.02)
          .toBuilder().addResponseCodes(code("200", 4)).addResponseCodes(code("404", 1)).build());
    }
    store.write(b);
    store.completeRollups();
    TopologyQueries q = queries();
    QueryWindow hour = q.window(T0, T0 + HOUR);
    assertThat(q.inbound("reviews", null, hour))
        .isEqualTo(new TopologyQueries.Inbound(Map.of("200", 780.0, "503", 60.0, "404", 60.0), null, null));
    assertThat(q.inbound("reviews", "shop,pay", hour)).isEqualTo(q.inbound("reviews", null, hour));
    assertThat(q.inbound("mongodb", "shop", hour)).isEqualTo(new TopologyQueries.Inbound(null, 300_000.0, 60_000.0));
    // Ten minutes of a ragged range: minutes and a roll-up.
    assertThat(q.inbound("mongodb", null, q.window(T0 + 7 * MINUTE, T0 + 17 * MINUTE)))
        .isEqualTo(new TopologyQueries.Inbound(null, 50_000.0, 10_000.0));
    // Traced callers only, or a namespace it is not in: nothing beyond RED.
    assertThat(q.inbound("productpage", null, hour)).isEqualTo(new TopologyQueries.Inbound(null, null, null));
    assertThat(q.inbound("reviews", "outlet", hour)).isEqualTo(new TopologyQueries.Inbound(null, null, null));
  }

  @Test
  void aStoredBucketOfTheLayoutBeforeExactCodesIsRebuiltNotRead() {
    TopologyQueries first = queries();
    assertFigures(edges(first, T0 + 3 * MINUTE, T0 + 58 * MINUTE, GraphType.SERVICE), 55, "first");
    // The stored forms as a build before exact codes would have left them: layout byte 1.
    long generation = store.edgeGeneration();
    int marked = 0;
    for (Resolution r : new Resolution[] {null, Resolution.FIVE_MINUTES, Resolution.TEN_MINUTES,
        Resolution.THIRTY_MINUTES, Resolution.HOUR}) {
      long step = r == null ? MINUTE : r.millis;
      for (long bucket = T0; bucket < T0 + HOUR; bucket += step) {
        byte[] value = storedForm(r, bucket);
        if (value != null) {
          assertThat(value[0]).isEqualTo(StoredPieces.LAYOUT);
          value[0] = 1;
          assertThat(store.putDecodedEdgeBucket(r, bucket, generation, value)).isTrue();
          marked++;
        }
      }
    }
    assertThat(marked).as("buckets of the ragged range stored").isGreaterThan(5);

    TopologyQueries restarted = queries();
    assertFigures(edges(restarted, T0 + 3 * MINUTE, T0 + 58 * MINUTE, GraphType.SERVICE), 55, "old layout");
    assertThat(restarted.storedPieceReads()).as("no form of the old layout is read").isZero();
    assertFigures(edges(restarted, T0 + 3 * MINUTE, T0 + 58 * MINUTE, GraphType.SERVICE), 55, "rebuilt");
    assertThat(restarted.storedPieceReads()).as("the scans stored them again in the new layout").isEqualTo(marked);
  }

  private byte[] storedForm(Resolution r, long bucket) {
    int length = store.decodedEdgeBucket(r, bucket, new byte[0]);
    if (length < 0) {
      return null;
    }
    byte[] value = new byte[length];
    store.decodedEdgeBucket(r, bucket, value);
    return Arrays.copyOf(value, length);
  }
}
