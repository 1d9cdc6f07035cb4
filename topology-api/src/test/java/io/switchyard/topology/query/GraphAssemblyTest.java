package io.switchyard.topology.query;

import static io.switchyard.topology.Fixtures.MINUTE;
import static io.switchyard.topology.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.model.LatencyBuckets;
import io.switchyard.model.v1.CodeCount;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.LatencyHistogram;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.TelemetrySource;
import io.switchyard.testing.MutableClock;
import io.switchyard.topology.query.TopologyQueries.GraphRequest;
import io.switchyard.topology.store.RocksTopologyStore;
import io.switchyard.topology.store.StoreBatch;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A graph's nodes and edges equal figures added up by hand from the records written, for every graph type, on a mesh
 * whose services run several workloads: edges of several hops (a service edge over the workloads of both ends, or
 * over protocols), edges of one hop, messaging edges with queue latency, TCP edges with bytes, mesh and trace minutes.
 */
class GraphAssemblyTest {
  private static final String[] SERVICES = {"a", "b", "c", "d", "e"};

  @TempDir Path dir;

  /** Per edge (or node) what the records add up to. */
  private static final class Sum {
    double requests;
    double failed;
    final double[] server = new double[SumTable.LATENCY];
    final double[] client = new double[SumTable.LATENCY];
    final double[] queue = new double[SumTable.LATENCY];
    final Map<String, Double> responses = new TreeMap<>();
    final Map<String, Double> flags = new TreeMap<>();
    final Map<String, Double> codes = new TreeMap<>();
    double sent;
    double received;
    boolean mesh;
    boolean trace;

    void add(EdgeAggregate e, boolean withFlags) {
      requests += e.getRequestCount();
      failed += e.getFailedCount();
      add(server, e.getServerLatency());
      add(client, e.getClientLatency());
      add(queue, e.getMessagingLatency());
      e.getResponsesList().forEach(c -> responses.merge(c.getCode(), c.getCount(), Double::sum));
      if (withFlags) {
        e.getResponseFlagsList().forEach(c -> flags.merge(c.getCode(), c.getCount(), Double::sum));
        e.getResponseCodesList().forEach(c -> codes.merge(c.getCode(), c.getCount(), Double::sum));
      }
      sent += e.getSentBytes();
      received += e.getReceivedBytes();
      mesh |= e.getSource() == TelemetrySource.TELEMETRY_SOURCE_MESH;
      trace |= e.getSource() == TelemetrySource.TELEMETRY_SOURCE_TRACE;
    }

    private static void add(double[] into, LatencyHistogram h) {
      for (int i = 0; i < h.getBucketCountsCount(); i++) {
        into[i] += h.getBucketCounts(i);
      }
      into[Traffic.COUNT] += h.getCount();
    }
  }

  @Test
  void nodesAndEdgesEqualTheRecordsAddedUpByHand() {
    Random random = new Random(41);
    List<EdgeAggregate> written = new ArrayList<>();
    try (RocksTopologyStore store = RocksTopologyStore.open(dir); DecodePool decoders = new DecodePool(1)) {
      for (int m = 0; m < 12; m++) {
        StoreBatch b = new StoreBatch();
        // One source per server and minute: the mesh rule drops nothing, and edges see both sources over the range.
        Map<String, TelemetrySource> sources = new HashMap<>();
        for (int hop = 0; hop < 40; hop++) {
          String c = SERVICES[random.nextInt(SERVICES.length)];
          String s = SERVICES[random.nextInt(SERVICES.length)];
          if (c.equals(s) || random.nextInt(4) == 0) {
            continue;
          }
          NodeRef client = pod(c, random.nextInt(3));
          NodeRef server = pod(s, random.nextInt(3));
          String protocol = random.nextInt(5) == 0 ? "tcp" : random.nextInt(4) == 0 ? "grpc" : "http";
          String connection = random.nextInt(6) == 0 ? "messaging_system" : "";
          String key = client.getWorkload() + "->" + server.getWorkload() + "/" + protocol + "/" + connection;
          TelemetrySource source = sources.computeIfAbsent(s, k -> random.nextBoolean() ? TelemetrySource.TELEMETRY_SOURCE_MESH
              : TelemetrySource.TELEMETRY_SOURCE_TRACE);
          EdgeAggregate e = record(random, client, server, protocol, connection, source, T0 + m * MINUTE);
          if (written.stream().anyMatch(w -> w.getWindowStartUnixMs() == e.getWindowStartUnixMs() && keyOf(w).equals(key))) {
            continue;
          }
          b.edge(key, e);
          written.add(e);
        }
        store.write(b);
      }
      store.completeRollups();
      TopologyQueries queries = new TopologyQueries(store, new MutableClock(Instant.ofEpochMilli(T0 + 3 * 60 * MINUTE)),
          () -> 0, () -> true, decoders);
      int multiHopEdges = 0;
      for (GraphType type : GraphType.values()) {
        for (long[] range : new long[][] {{T0, T0 + 12 * MINUTE}, {T0 + 3 * MINUTE, T0 + 11 * MINUTE}}) {
          Graph g = queries.graph(new GraphRequest(range[0], range[1], null, null, null, type));
          double seconds = (range[1] - range[0]) / 1000.0;
          Map<String, Sum> edges = new TreeMap<>();
          Map<String, Sum> in = new TreeMap<>();
          Map<String, Double> out = new TreeMap<>();
          Map<String, Integer> hops = new HashMap<>();
          Map<String, String> protocols = new HashMap<>();
          Map<String, String> connections = new HashMap<>();
          for (EdgeAggregate e : written) {
            if (e.getWindowStartUnixMs() < range[0] || e.getWindowStartUnixMs() >= range[1]) {
              continue;
            }
            String from = type.nodeId(e.getClient());
            String to = type.nodeId(e.getServer());
            String id = from + "->" + to;
            edges.computeIfAbsent(id, k -> new Sum()).add(e, true);
            in.computeIfAbsent(to, k -> new Sum()).add(e, false);
            in.computeIfAbsent(from, k -> new Sum());
            out.merge(from, e.getRequestCount(), Double::sum);
            out.merge(to, 0.0, Double::sum);
            hops.merge(id + " " + keyOf(e), 1, Integer::sum);
            protocols.putIfAbsent(id, e.getProtocol());
            connections.putIfAbsent(id, e.getConnectionType());
          }
          Map<String, Long> hopsPerEdge = hops.keySet().stream().collect(Collectors.groupingBy(k -> k.split(" ")[0],
              Collectors.counting()));
          multiHopEdges += (int) hopsPerEdge.values().stream().filter(n -> n > 1).count();
          Map<String, Graph.Edge> gotEdges = byId(g.edges(), Graph.Edge::id);
          assertThat(gotEdges.keySet()).as("%s edges", type).isEqualTo(edges.keySet());
          edges.forEach((id, s) -> {
            Graph.Edge e = gotEdges.get(id);
            String telemetry = s.mesh && s.trace ? "mesh+trace" : s.mesh ? "mesh" : "trace";
            boolean tcp = "tcp".equals(e.protocol()) && !telemetry.equals("trace");
            boolean messaging = "messaging_system".equals(e.connectionType());
            assertThat(e).as("%s edge %s", type, id).isEqualTo(new Graph.Edge(id, id.split("->")[0], id.split("->")[1],
                e.connectionType(), e.protocol(), telemetry, s.requests, s.failed, Traffic.round(s.requests / seconds, 4),
                errorPercent(s), latency(s.server[Traffic.COUNT] > 0 ? s.server : s.client), latency(s.client),
                s.queue[Traffic.COUNT] > 0 ? latency(s.queue) : messaging ? Traffic.Latency.NONE : null, s.responses, s.flags, s.codes.isEmpty() ? null : s.codes,
                tcp ? s.sent : null, tcp ? s.received : null, tcp ? Traffic.round(s.sent / seconds, 4) : null,
                tcp ? Traffic.round(s.received / seconds, 4) : null));
          });
          Map<String, Graph.Node> gotNodes = byId(g.nodes(), Graph.Node::id);
          assertThat(gotNodes.keySet()).as("%s nodes", type).isEqualTo(in.keySet());
          in.forEach((id, s) -> {
            Graph.Node n = gotNodes.get(id);
            assertThat(List.of(n.requestsIn(), n.requestRateIn(), n.requestsOut(), n.requestRateOut(), n.root()))
                .as("%s node %s", type, id).isEqualTo(List.of(s.requests, Traffic.round(s.requests / seconds, 4), out.get(id),
                    Traffic.round(out.get(id) / seconds, 4), noCaller(edges, id)));
            assertThat(n.errorPercentIn()).isEqualTo(errorPercent(s));
            assertThat(n.latencyMs()).isEqualTo(latency(s.server[Traffic.COUNT] > 0 ? s.server : s.client));
            assertThat(n.responsesIn()).isEqualTo(s.responses);
          });
        }
      }
      assertThat(multiHopEdges).as("edges of several hops were checked").isGreaterThan(20);
    }
  }

  private static boolean noCaller(Map<String, Sum> edges, String node) {
    return edges.keySet().stream().noneMatch(id -> id.endsWith("->" + node));
  }

  private static String keyOf(EdgeAggregate e) {
    return e.getClient().getWorkload() + "->" + e.getServer().getWorkload() + "/" + e.getProtocol() + "/"
        + e.getConnectionType();
  }

  private static <T> Map<String, T> byId(List<T> items, Function<T, String> id) {
    return items.stream().collect(Collectors.toMap(id, Function.identity()));
  }

  private static Double errorPercent(Sum s) {
    return s.requests > 0 ? Traffic.round(100 * s.failed / s.requests, 3) : null;
  }

  /** Percentiles as {@link LatencyBuckets#quantile} gives them, each alone. */
  private static Traffic.Latency latency(double[] h) {
    double count = h[Traffic.COUNT];
    if (count <= 0) {
      return Traffic.Latency.NONE;
    }
    return new Traffic.Latency(ms(h, count, 0.5), ms(h, count, 0.9), ms(h, count, 0.95), ms(h, count, 0.99));
  }

  private static Double ms(double[] h, double count, double q) {
    return Traffic.round(LatencyBuckets.quantile(h, 0, count, q) * 1000, 3);
  }

  private static NodeRef pod(String service, int version) {
    return NodeRef.newBuilder().setName(service).setNamespace(service.compareTo("c") < 0 ? "x" : "y")
        .setWorkload(service + "-v" + version).setApp(service).setVersion("v" + version).build();
  }

  private static EdgeAggregate record(Random random, NodeRef client, NodeRef server, String protocol, String connection,
      TelemetrySource source, long start) {
    int requests = random.nextInt(40);
    int failed = requests == 0 ? 0 : random.nextInt(requests + 1);
    boolean mesh = source == TelemetrySource.TELEMETRY_SOURCE_MESH;
    EdgeAggregate.Builder e = EdgeAggregate.newBuilder().setSchemaVersion(1).setClient(client).setServer(server)
        .setSource(source).setProtocol(protocol).setConnectionType(connection).setWindowStartUnixMs(start)
        .setWindowEndUnixMs(start + MINUTE).setRequestCount(requests).setFailedCount(failed)
        .setServerLatency(histogram(random, random.nextInt(5) == 0 ? 0 : requests))
        .setClientLatency(histogram(random, requests))
        .addResponses(CodeCount.newBuilder().setCode("2xx").setCount(requests - failed))
        .addResponses(CodeCount.newBuilder().setCode(random.nextBoolean() ? "5xx" : "4xx").setCount(failed))
        .setEmittedUnixMs(start + MINUTE + 5_000);
    if (random.nextInt(3) == 0) {
      e.addResponseFlags(CodeCount.newBuilder().setCode(random.nextBoolean() ? "UF" : "UO").setCount(1 + random.nextInt(3)));
    }
    if (connection.equals("messaging_system") && random.nextBoolean()) {
      e.setMessagingLatency(histogram(random, 1 + random.nextInt(9)));
    }
    if (mesh && !protocol.equals("tcp")) {
      e.addResponseCodes(CodeCount.newBuilder().setCode("200").setCount(requests - failed));
      e.addResponseCodes(CodeCount.newBuilder().setCode(random.nextBoolean() ? "503" : "404").setCount(failed));
    }
    if (mesh) {
      e.setSentBytes(random.nextInt(10_000)).setReceivedBytes(random.nextInt(10_000));
    }
    return e.build();
  }

  /** {@code requests} spread over a few random buckets, whole counts. */
  private static LatencyHistogram histogram(Random random, int requests) {
    LatencyHistogram.Builder h = LatencyBuckets.emptyHistogram();
    for (int left = requests; left > 0; ) {
      int n = 1 + random.nextInt(left);
      LatencyBuckets.observe(h, 0.0002 * (1 << random.nextInt(14)), n);
      left -= n;
    }
    return h.build();
  }
}
