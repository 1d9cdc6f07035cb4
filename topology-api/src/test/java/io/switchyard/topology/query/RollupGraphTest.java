package io.switchyard.topology.query;

import static io.switchyard.topology.Fixtures.MINUTE;
import static io.switchyard.topology.Fixtures.T0;
import static io.switchyard.topology.Fixtures.edge;
import static io.switchyard.topology.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.TelemetrySource;
import io.switchyard.testing.MutableClock;
import io.switchyard.topology.query.TopologyQueries.GraphRequest;
import io.switchyard.topology.store.RocksTopologyStore;
import io.switchyard.topology.store.StoreBatch;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Graphs read through roll-ups give what the picked minutes of their range add up to. */
class RollupGraphTest {
  private static final long HOUR = 60 * MINUTE;
  private static final NodeRef[] NODES = {service("a", "x"), service("b", "x"), service("c", "y"), service("d", "y")};

  @TempDir Path dir;

  @Test
  void graphOverAnyRangeEqualsTheSumOfThePickedMinutes() {
    Random random = new Random(11);
    // Per hop and minute, per source: the last version written.
    Map<String, Map<Long, Map<Integer, EdgeAggregate>>> written = new TreeMap<>();
    try (RocksTopologyStore store = RocksTopologyStore.open(dir); DecodePool decoders = new DecodePool(2)) {
      for (int round = 0; round < 30; round++) {
        StoreBatch b = new StoreBatch();
        for (int i = 0; i < 40; i++) {
          int c = random.nextInt(NODES.length);
          int s = (c + 1 + random.nextInt(NODES.length - 1)) % NODES.length;
          long start = T0 + random.nextInt(3 * 60) * MINUTE;
          TelemetrySource source = random.nextInt(4) == 0 ? TelemetrySource.TELEMETRY_SOURCE_TRACE
              : TelemetrySource.TELEMETRY_SOURCE_MESH;
          int requests = 1 + random.nextInt(100);
          EdgeAggregate e = edge(NODES[c], NODES[s], source, start, requests, random.nextInt(requests + 1), 0.02);
          String hop = NODES[c].getNamespace() + "/" + NODES[c].getName() + "->" + NODES[s].getNamespace() + "/"
              + NODES[s].getName();
          b.edge(hop, e);
          written.computeIfAbsent(hop, k -> new TreeMap<>()).computeIfAbsent(start, k -> new HashMap<>())
              .put(source.getNumber(), e);
        }
        store.write(b);
      }
      MutableClock clock = new MutableClock(Instant.ofEpochMilli(T0 + 4 * HOUR));
      TopologyQueries queries = new TopologyQueries(store, clock, () -> 0, () -> true, decoders);
      long[][] ranges = {{T0, T0 + 3 * HOUR}, {T0 + 7 * MINUTE, T0 + 66 * MINUTE}, {T0 + 3 * MINUTE, T0 + 9 * MINUTE},
          {T0 + 58 * MINUTE, T0 + 2 * HOUR + 11 * MINUTE}, {T0 + 15 * MINUTE, T0 + 45 * MINUTE}, {T0 - HOUR, T0 + 5 * HOUR}};
      for (long[] range : ranges) {
        Graph g = queries.graph(new GraphRequest(range[0], range[1], null, null, null, GraphType.SERVICE));
        Map<String, Graph.Edge> edges = g.edges().stream().collect(Collectors.toMap(Graph.Edge::id, Function.identity()));
        Map<String, double[]> expected = new TreeMap<>();
        Map<String, String> sources = new TreeMap<>();
        // MeshRule: a server with a logged (mesh) minute counts no traced request of that minute, from any client.
        Set<String> meshedMinutes = new HashSet<>();
        written.forEach((hop, minutes) -> minutes.forEach((start, bySource) -> {
          if (bySource.containsKey(TelemetrySource.TELEMETRY_SOURCE_MESH_VALUE)) {
            meshedMinutes.add(hop.substring(hop.indexOf("->") + 2) + "@" + start);
          }
        }));
        written.forEach((hop, minutes) -> minutes.forEach((start, bySource) -> {
          if (start < g.window().fromMs() || start >= g.window().toMs()) {
            return;
          }
          EdgeAggregate picked = bySource.getOrDefault(TelemetrySource.TELEMETRY_SOURCE_MESH_VALUE,
              bySource.get(TelemetrySource.TELEMETRY_SOURCE_TRACE_VALUE));
          if (picked.getSource() == TelemetrySource.TELEMETRY_SOURCE_TRACE
              && meshedMinutes.contains(hop.substring(hop.indexOf("->") + 2) + "@" + start)) {
            return;
          }
          String id = hop;
          double[] sum = expected.computeIfAbsent(id, k -> new double[2]);
          sum[0] += picked.getRequestCount();
          sum[1] += picked.getFailedCount();
          sources.merge(id, picked.getSource() == TelemetrySource.TELEMETRY_SOURCE_MESH ? "mesh" : "trace",
              (x, y) -> x.equals(y) || x.contains(y) ? x : x.compareTo(y) < 0 ? x + "+" + y : y + "+" + x);
        }));
        assertThat(edges.keySet()).as("range %s", range[0]).isEqualTo(expected.keySet());
        expected.forEach((id, sum) -> {
          Graph.Edge e = edges.get(id);
          assertThat(e.requests()).as(id).isEqualTo(sum[0]);
          assertThat(e.failed()).as(id).isEqualTo(sum[1]);
          assertThat(e.responses()).as(id).containsEntry("2xx", sum[0] - sum[1]).containsEntry("5xx", sum[1]);
          assertThat(e.telemetry()).as(id).isEqualTo(sources.get(id));
        });
      }
    }
  }
}
