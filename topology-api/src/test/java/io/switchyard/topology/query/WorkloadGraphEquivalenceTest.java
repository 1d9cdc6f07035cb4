package io.switchyard.topology.query;

import static io.switchyard.topology.Fixtures.MINUTE;
import static io.switchyard.topology.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.TelemetrySource;
import io.switchyard.testing.MutableClock;
import io.switchyard.topology.Fixtures;
import io.switchyard.topology.query.TopologyQueries.GraphRequest;
import io.switchyard.topology.store.RocksTopologyStore;
import io.switchyard.topology.store.StoreBatch;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random meshes whose hop windows list their workloads ({@code EdgeAggregate.workloads}), some windows without
 * the list (a single workload, or the previous build's merged record), with late re-emits and with trace and mesh
 * windows of the same hop and minute. One store holds the records as written, another the same records without
 * the lists (what the previous build's readers saw). Over random ranges: the service graphs of the two stores are
 * equal (the per-workload lists change no hop total), and the workload graph's edges equal a reference summed by
 * hand: per hop and minute the mesh window if there is one, else the trace window, split into its workloads.
 */
class WorkloadGraphEquivalenceTest {
  private static final String[] SERVICES = {"productpage", "reviews", "ratings", "details"};
  private static final int MINUTES = 40;

  @TempDir Path dir;

  private record Written(String key, EdgeAggregate record) {}

  private static NodeRef pod(String service, String version) {
    return NodeRef.newBuilder().setName(service).setNamespace("bookinfo")
        .setWorkload(version.isEmpty() ? "" : service + "-" + version).setVersion(version).build();
  }

  /** One hop window of random workloads; null-versioned pods stand for the previous build's merged record. */
  private static EdgeAggregate window(Random r, String client, String server, TelemetrySource source, long start) {
    NodeRef clientPod = pod(client, "v1");
    int pods = 1 + r.nextInt(3);
    List<EdgeAggregate> entries = new ArrayList<>();
    for (int i = 0; i < pods; i++) {
      NodeRef serverPod = r.nextInt(10) == 0 ? pod(server, "") : pod(server, "v" + (1 + r.nextInt(3)));
      if (entries.stream().anyMatch(e -> e.getServer().equals(serverPod))) {
        continue;
      }
      double requests = 1 + r.nextInt(50);
      entries.add(Fixtures.edge(clientPod, serverPod, source, start, requests, r.nextInt((int) requests + 1), 0.01 * (1 + r.nextInt(40))));
    }
    EdgeAggregate.Builder hop = entries.get(0).toBuilder();
    for (EdgeAggregate e : entries.subList(1, entries.size())) {
      hop.setRequestCount(hop.getRequestCount() + e.getRequestCount()).setFailedCount(hop.getFailedCount() + e.getFailedCount());
      hop.setServer(pod(server, ""));
      for (int c = 0; c < 2; c++) {
        hop.getResponsesBuilder(c).setCount(hop.getResponses(c).getCount() + e.getResponses(c).getCount());
      }
      hop.setServerLatency(sum(hop.getServerLatency(), e.getServerLatency()));
      hop.setClientLatency(sum(hop.getClientLatency(), e.getClientLatency()));
    }
    if (entries.size() > 1) {
      for (EdgeAggregate e : entries) {
        hop.addWorkloads(e.toBuilder().clearSchemaVersion().clearSource().clearWindowStartUnixMs().clearWindowEndUnixMs()
            .clearEmittedUnixMs());
      }
    }
    return hop.build();
  }

  private static io.switchyard.model.v1.LatencyHistogram sum(io.switchyard.model.v1.LatencyHistogram a,
      io.switchyard.model.v1.LatencyHistogram b) {
    io.switchyard.model.v1.LatencyHistogram.Builder m = a.toBuilder();
    io.switchyard.model.LatencyBuckets.merge(m, b);
    return m.build();
  }

  @RepeatedTest(12)
  void serviceGraphsKeepTheirTotalsAndWorkloadGraphsSplitThemExactly(RepetitionInfo repetition) {
    Random r = new Random(repetition.getCurrentRepetition());
    List<Written> written = new ArrayList<>();
    for (int m = 0; m < MINUTES; m++) {
      for (int h = 0; h < SERVICES.length - 1; h++) {
        String client = SERVICES[h];
        String server = SERVICES[h + 1 + r.nextInt(SERVICES.length - h - 1)];
        String key = client + "-v1.bookinfo->" + server + ".bookinfo";
        for (TelemetrySource source : List.of(TelemetrySource.TELEMETRY_SOURCE_TRACE, TelemetrySource.TELEMETRY_SOURCE_MESH)) {
          if (r.nextInt(3) > 0) {
            written.add(new Written(key, window(r, client, server, source, T0 + m * MINUTE)));
          }
        }
      }
    }
    // Late re-emits of earlier windows (a reader overwrites them), in random places.
    int late = written.size() / 10;
    for (int i = 0; i < late; i++) {
      Written w = written.get(r.nextInt(written.size() - late));
      String[] ends = w.key().split("->");
      written.add(r.nextInt(written.size()), new Written(w.key(), window(r, ends[0].substring(0, ends[0].indexOf('-')),
          ends[1].substring(0, ends[1].indexOf('.')), w.record().getSource(), w.record().getWindowStartUnixMs())));
    }
    Map<String, EdgeAggregate> last = new HashMap<>();
    for (Written w : written) {
      last.put(w.key() + "|" + w.record().getWindowStartUnixMs() + "|" + w.record().getSourceValue(), w.record());
    }

    try (RocksTopologyStore withLists = RocksTopologyStore.open(dir.resolve("new"));
        RocksTopologyStore without = RocksTopologyStore.open(dir.resolve("old"))) {
      for (int from = 0; from < written.size(); from += 50) {
        StoreBatch a = new StoreBatch();
        StoreBatch b = new StoreBatch();
        for (Written w : written.subList(from, Math.min(written.size(), from + 50))) {
          a.edge(w.key(), w.record());
          b.edge(w.key(), w.record().toBuilder().clearWorkloads().build());
        }
        withLists.write(a);
        without.write(b);
      }
      MutableClock clock = new MutableClock(Instant.ofEpochMilli(T0 + (MINUTES + 5) * MINUTE));
      TopologyQueries newQueries = new TopologyQueries(withLists, clock, () -> 0, () -> true, new DecodePool(0));
      TopologyQueries oldQueries = new TopologyQueries(without, clock, () -> 0, () -> true, new DecodePool(0));
      for (int q = 0; q < 25; q++) {
        long from = T0 + r.nextInt(MINUTES) * MINUTE;
        long to = from + (1 + r.nextInt(MINUTES)) * MINUTE;
        GraphRequest service = new GraphRequest(from, to, null, null, null, GraphType.SERVICE);
        assertThat(newQueries.graph(service)).isEqualTo(oldQueries.graph(service));

        Graph workloads = newQueries.graph(new GraphRequest(from, to, null, null, null, GraphType.WORKLOAD));
        Map<String, double[]> actual = new TreeMap<>();
        for (Graph.Edge e : workloads.edges()) {
          actual.put(e.id(), new double[] {e.requests(), e.failed(), e.responses().getOrDefault("5xx", 0.0)});
        }
        assertThat(actual).usingRecursiveComparison().isEqualTo(reference(last, from, Math.min(to, T0 + MINUTES * MINUTE)));
      }
    }
  }

  /** Per workload edge: requests, failed, 5xx of the windows a graph picks in [from, to). */
  private static Map<String, double[]> reference(Map<String, EdgeAggregate> stored, long from, long to) {
    Map<String, EdgeAggregate> picked = new HashMap<>();
    for (EdgeAggregate a : stored.values()) {
      if (a.getWindowStartUnixMs() < from || a.getWindowEndUnixMs() > to) {
        continue;
      }
      String hopMinute = a.getClient().getName() + "->" + a.getServer().getName() + "@" + a.getWindowStartUnixMs();
      EdgeAggregate other = picked.get(hopMinute);
      if (other == null || a.getSource() == TelemetrySource.TELEMETRY_SOURCE_MESH) {
        picked.put(hopMinute, a);
      }
    }
    // MeshRule: a server with a logged (mesh) minute counts no traced request of that minute, from any client.
    Set<String> meshedMinutes = new HashSet<>();
    for (EdgeAggregate a : picked.values()) {
      if (a.getSource() == TelemetrySource.TELEMETRY_SOURCE_MESH) {
        meshedMinutes.add(a.getServer().getNamespace() + "/" + a.getServer().getName() + "@" + a.getWindowStartUnixMs());
      }
    }
    picked.values().removeIf(a -> a.getSource() == TelemetrySource.TELEMETRY_SOURCE_TRACE && meshedMinutes.contains(
        a.getServer().getNamespace() + "/" + a.getServer().getName() + "@" + a.getWindowStartUnixMs()));
    Map<String, double[]> sums = new TreeMap<>();
    for (EdgeAggregate a : picked.values()) {
      for (EdgeAggregate e : a.getWorkloadsCount() > 0 ? a.getWorkloadsList() : List.of(a)) {
        String id = id(e.getClient()) + "->" + id(e.getServer());
        double[] s = sums.computeIfAbsent(id, k -> new double[3]);
        s[0] += e.getRequestCount();
        s[1] += e.getFailedCount();
        s[2] += e.getResponses(1).getCount();
      }
    }
    return sums;
  }

  private static String id(NodeRef n) {
    return n.getNamespace() + "/" + (n.getWorkload().isEmpty() ? n.getName() : n.getWorkload());
  }
}
