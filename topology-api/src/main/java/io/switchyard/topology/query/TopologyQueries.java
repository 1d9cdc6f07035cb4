package io.switchyard.topology.query;

import com.google.protobuf.InvalidProtocolBufferException;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.ServiceAggregate;
import io.switchyard.model.v1.SloAlertRecord;
import io.switchyard.model.v1.SloStatusRecord;
import io.switchyard.model.v1.TelemetrySource;
import io.switchyard.topology.store.Resolution;
import io.switchyard.topology.store.TopologyStore;
import io.switchyard.topology.store.TopologyStore.Freshness;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Reads graphs, RED series and freshness from the store. Thread-safe; its only state is a bounded cache of
 * decoded edge buckets that the store's change generations keep exact.
 */
public final class TopologyQueries {
  /** Upper bound on points in one series, so a tiny step over a long range cannot exhaust memory. */
  static final int MAX_POINTS = 11_000;

  private final TopologyStore store;
  private final Clock clock;
  private final LongSupplier consumerLag;
  private final BooleanSupplier caughtUp;
  private final DecodedPieces pieces;

  /** Records of decoded buckets kept between queries (about 1 KB each): a ragged hour of 5,000 hops is ~60,000. */
  public static final int DEFAULT_CACHED_RECORDS = 100_000;

  public TopologyQueries(TopologyStore store, Clock clock, LongSupplier consumerLag, BooleanSupplier caughtUp) {
    this(store, clock, consumerLag, caughtUp, DEFAULT_CACHED_RECORDS);
  }

  public TopologyQueries(
      TopologyStore store, Clock clock, LongSupplier consumerLag, BooleanSupplier caughtUp, int cachedRecords) {
    this.pieces = new DecodedPieces(store, cachedRecords);
    this.store = store;
    this.clock = clock;
    this.consumerLag = consumerLag;
    this.caughtUp = caughtUp;
  }

  public long nowMs() {
    return clock.millis();
  }

  public QueryWindow window(long requestedFrom, long requestedTo) {
    if (requestedFrom >= requestedTo) {
      throw new BadParameterException("from", "must be before 'to'");
    }
    return QueryWindow.resolve(requestedFrom, requestedTo, store.freshness());
  }

  /** How current the store is, attached to every response. */
  public FreshnessView freshness() {
    Freshness f = store.freshness();
    long now = clock.millis();
    Double lag = f.hasData() ? Math.max(0, (now - f.newestWindowEndMs()) / 1000.0) : null;
    double windowSeconds = (f.windowMillis() > 0 ? f.windowMillis() : QueryWindow.DEFAULT_WINDOW_MS) / 1000.0;
    boolean stale = lag == null || lag > 3 * windowSeconds + 60;
    return new FreshnessView(
        f.hasData() ? Instant.ofEpochMilli(f.newestWindowEndMs()).toString() : null,
        lag,
        consumerLag.getAsLong(),
        caughtUp.getAsBoolean(),
        stale);
  }

  /**
   * @param newestCompleteWindow end of the newest aggregate window in the store (null: none yet)
   * @param pipelineLagSeconds how far that window trails the clock
   * @param consumerLagRecords aggregate records published but not yet materialised (-1: unknown)
   * @param stale true when nothing arrived for more than three windows plus a minute: absent edges may
   *     mean a stopped pipeline rather than no traffic
   */
  public record FreshnessView(
      String newestCompleteWindow, Double pipelineLagSeconds, long consumerLagRecords, boolean caughtUp, boolean stale) {}

  public record GraphRequest(long fromMs, long toMs, String namespace, String service, Integer depth, GraphType type) {}

  public Graph graph(GraphRequest request) {
    QueryWindow window = window(request.fromMs(), request.toMs());
    Map<HopId, HopTraffic> perHop = new LinkedHashMap<>();
    // Read before any scan: a piece is stamped with a generation no newer than the data it saw.
    long generation = store.edgeGeneration();
    for (RangePlan.Piece piece : RangePlan.decompose(window.fromMs(), window.toMs(), window.windowMillis())) {
      Resolution r = piece.resolution();
      if (r != null) {
        for (long bucket = piece.fromMs(); bucket < piece.toMs(); bucket += r.millis) {
          DecodedPieces.addTo(perHop, rollupPiece(r, bucket, generation));
        }
      } else {
        for (long from = piece.fromMs(); from < piece.toMs(); ) {
          long to = Math.min(Math.floorDiv(from, MINUTE_MS) * MINUTE_MS + MINUTE_MS, piece.toMs());
          DecodedPieces.Piece minute = from % MINUTE_MS == 0 && to == from + MINUTE_MS ? minutePiece(from, generation) : null;
          if (minute != null && minute.maxWindowEnd() <= window.toMs()) {
            DecodedPieces.addTo(perHop, minute);
          } else {
            addMinutes(perHop, from, to, window.toMs());
          }
          from = to;
        }
      }
    }
    List<HopTraffic> selected = filter(new ArrayList<>(perHop.values()), request);

    GraphType type = request.type() == null ? GraphType.SERVICE : request.type();
    Map<String, NodeAcc> nodes = new LinkedHashMap<>();
    Map<String, EdgeAcc> edges = new LinkedHashMap<>();
    for (HopTraffic hop : selected) {
      String source = type.nodeId(hop.first.getClient());
      String target = type.nodeId(hop.first.getServer());
      NodeAcc client = nodes.computeIfAbsent(source, id -> new NodeAcc(id, type.label(hop.first.getClient()), hop.first.getClient()));
      NodeAcc server = nodes.computeIfAbsent(target, id -> new NodeAcc(id, type.label(hop.first.getServer()), hop.first.getServer()));
      client.out.add(hop.traffic);
      server.in.add(hop.traffic);
      server.hasCaller = true;
      EdgeAcc edge = edges.computeIfAbsent(source + "->" + target, id -> new EdgeAcc(id, source, target, hop.first));
      edge.traffic.add(hop.traffic);
      edge.sources.addAll(hop.sources);
    }
    double seconds = window.seconds();
    List<Graph.Node> nodeViews = new ArrayList<>(nodes.size());
    for (NodeAcc n : nodes.values()) {
      NodeRef r = n.ref;
      nodeViews.add(new Graph.Node(n.id, n.label, r.getNamespace(), r.getName(), r.getWorkload(), r.getApp(), r.getVersion(),
          kindName(r.getKind()), !n.hasCaller, n.in.requests, n.in.rate(seconds), n.in.errorPercent(), n.out.requests,
          n.out.rate(seconds), n.in.latency(), n.in.responses));
    }
    List<Graph.Edge> edgeViews = new ArrayList<>(edges.size());
    for (EdgeAcc e : edges.values()) {
      edgeViews.add(new Graph.Edge(e.id, e.source, e.target, e.first.getConnectionType(), e.first.getProtocol(),
          String.join("+", e.sources), e.traffic.requests, e.traffic.failed, e.traffic.rate(seconds),
          e.traffic.errorPercent(), e.traffic.latency(), e.traffic.clientSideLatency(), e.traffic.responses, e.traffic.flags));
    }
    return new Graph(type, window, nodeViews, edgeViews);
  }

  private static final long MINUTE_MS = 60_000L;

  /** A roll-up already holds, per hop, only the minutes picked by the source preference of the minutes. */
  private DecodedPieces.Piece rollupPiece(Resolution r, long bucket, long generation) {
    DecodedPieces.Piece p = pieces.get(r, bucket);
    if (p == null) {
      DecodedPieces.Builder b = new DecodedPieces.Builder();
      store.scanEdgeRollupBytes(r, bucket, bucket + r.millis, b::add);
      p = b.build(generation);
      pieces.put(r, bucket, p);
    }
    return p;
  }

  /** The records a graph picks among the windows starting in one calendar minute, unfiltered by range end. */
  private DecodedPieces.Piece minutePiece(long minute, long generation) {
    DecodedPieces.Piece p = pieces.get(null, minute);
    if (p == null) {
      DecodedPieces.Builder b = new DecodedPieces.Builder();
      scanPickedMinutes(minute, minute + MINUTE_MS, Long.MAX_VALUE, b::add);
      p = b.build(generation);
      pieces.put(null, minute, p);
    }
    return p;
  }

  /** Cache hits and misses of decoded buckets since start, for tests and the bench. */
  long[] pieceCacheCounts() {
    return new long[] {pieces.hits(), pieces.misses()};
  }

  private void addMinutes(Map<HopId, HopTraffic> perHop, long fromMs, long toMs, long windowEndLimit) {
    scanPickedMinutes(fromMs, toMs, windowEndLimit, (order, value) -> addHop(perHop, order, value));
  }

  /** Per (hop, window) the record of the highest source, in scan order. */
  private void scanPickedMinutes(long fromMs, long toMs, long windowEndLimit, TopologyStore.RawSink picked) {
    byte[][] pending = new byte[2][];
    store.scanEdgeBytes(fromMs, toMs, (order, value) -> {
      if (EdgeWindowDecoder.windowEnd(value) > windowEndLimit) {
        return;
      }
      if (pending[0] != null && sameHopAndWindow(pending[0], order)) {
        // Same hop, same window, another source: access-log (mesh) figures replace trace figures.
        if (pending[0][pending[0].length - 1] != TelemetrySource.TELEMETRY_SOURCE_MESH_VALUE) {
          pending[0] = order;
          pending[1] = value;
        }
        return;
      }
      if (pending[0] != null) {
        picked.accept(pending[0], pending[1]);
      }
      pending[0] = order;
      pending[1] = value;
    });
    if (pending[0] != null) {
      picked.accept(pending[0], pending[1]);
    }
  }

  private static boolean sameHopAndWindow(byte[] a, byte[] b) {
    return a.length == b.length && Arrays.equals(a, 0, a.length - 1, b, 0, b.length - 1);
  }

  private static void addHop(Map<HopId, HopTraffic> perHop, byte[] order, byte[] value) {
    HopId id = hopId(order);
    HopTraffic t = perHop.get(id);
    if (t == null) {
      t = new HopTraffic(parse(value));
      perHop.put(id, t);
    }
    int source = EdgeWindowDecoder.addTo(t.traffic, value);
    t.sources.add(sourceName(source));
  }

  static HopId hopId(byte[] order) {
    return new HopId(Arrays.copyOfRange(order, 8, order.length - 2));
  }

  static EdgeAggregate parse(byte[] value) {
    try {
      return EdgeAggregate.parseFrom(value);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt edge aggregate in store", e);
    }
  }

  static String sourceName(int source) {
    return source == TelemetrySource.TELEMETRY_SOURCE_MESH_VALUE ? "mesh" : "trace";
  }

  /** A hop's name bytes, compared by content; looked up once per record read, so the hash is kept. */
  static final class HopId {
    final byte[] bytes;
    final int hash;

    HopId(byte[] bytes) {
      this.bytes = bytes;
      this.hash = Arrays.hashCode(bytes);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof HopId h && h.hash == hash && Arrays.equals(bytes, h.bytes);
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public String toString() {
      return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  /**
   * Namespace filter (either end in one of the comma-separated namespaces), then the neighbourhood of a
   * service up to {@code depth} hops.
   */
  private static List<HopTraffic> filter(List<HopTraffic> hops, GraphRequest request) {
    List<HopTraffic> out = hops;
    if (request.namespace() != null && !request.namespace().isBlank()) {
      Set<String> ns = new HashSet<>();
      for (String n : request.namespace().split(",")) {
        if (!n.isBlank()) {
          ns.add(n.trim());
        }
      }
      out = out.stream()
          .filter(h -> ns.contains(h.first.getClient().getNamespace()) || ns.contains(h.first.getServer().getNamespace()))
          .toList();
    }
    if (request.service() != null && !request.service().isBlank()) {
      int depth = request.depth() == null ? 1 : request.depth();
      Map<String, List<HopTraffic>> byNode = new HashMap<>();
      for (HopTraffic h : out) {
        byNode.computeIfAbsent(h.first.getClient().getName(), k -> new ArrayList<>()).add(h);
        byNode.computeIfAbsent(h.first.getServer().getName(), k -> new ArrayList<>()).add(h);
      }
      Set<String> seen = new HashSet<>();
      Set<HopTraffic> kept = new LinkedHashSet<>();
      Deque<String> frontier = new ArrayDeque<>();
      frontier.add(request.service());
      seen.add(request.service());
      for (int d = 0; d < depth && !frontier.isEmpty(); d++) {
        Deque<String> next = new ArrayDeque<>();
        for (String node : frontier) {
          for (HopTraffic h : byNode.getOrDefault(node, List.of())) {
            kept.add(h);
            for (String end : List.of(h.first.getClient().getName(), h.first.getServer().getName())) {
              if (seen.add(end)) {
                next.add(end);
              }
            }
          }
        }
        frontier = next;
      }
      out = out.stream().filter(kept::contains).toList();
    } else if (request.depth() != null) {
      throw new BadParameterException("depth", "needs 'service' to start from");
    }
    return out;
  }

  static String kindName(NodeRef.NodeKind kind) {
    return switch (kind) {
      case NODE_KIND_VIRTUAL -> "virtual";
      case NODE_KIND_UNKNOWN -> "unknown";
      case NODE_KIND_USER -> "user";
      case NODE_KIND_GROUPED -> "grouped";
      default -> "service";
    };
  }

  static final class HopTraffic {
    final EdgeAggregate first;
    final Traffic traffic = new Traffic();
    final Set<String> sources = new TreeSet<>();

    HopTraffic(EdgeAggregate first) {
      this.first = first;
    }
  }

  private static final class NodeAcc {
    final String id;
    final String label;
    final NodeRef ref;
    final Traffic in = new Traffic();
    final Traffic out = new Traffic();
    boolean hasCaller;

    NodeAcc(String id, String label, NodeRef ref) {
      this.id = id;
      this.label = label;
      this.ref = ref;
    }
  }

  private static final class EdgeAcc {
    final String id;
    final String source;
    final String target;
    final EdgeAggregate first;
    final Traffic traffic = new Traffic();
    final Set<String> sources = new TreeSet<>();

    EdgeAcc(String id, String source, String target, EdgeAggregate first) {
      this.id = id;
      this.source = source;
      this.target = target;
      this.first = first;
    }
  }

  // ---- SLOs ----

  public List<SloStatusRecord> sloStatuses() {
    return store.sloStatuses().stream().sorted(Comparator.comparing(SloStatusRecord::getName)).toList();
  }

  public Optional<SloStatusRecord> sloStatus(String name) {
    return store.sloStatus(name);
  }

  public List<SloAlertRecord> sloAlerts(String slo) {
    return store.sloAlerts(slo);
  }

  // ---- services ----

  /** RED summary of one service over a window. */
  public record ServiceSummary(
      String name, String namespace, String telemetry, double requests, double failed, double requestRate,
      Double errorPercent, Traffic.Latency latencyMs, Map<String, Double> responses) {}

  public List<ServiceSummary> services(QueryWindow window, String namespace) {
    Map<String, ServiceAcc> acc = new LinkedHashMap<>();
    scanServicesPreferringMesh(window, s -> {
      if (namespace != null && !namespace.isBlank() && !namespace.equals(s.getService().getNamespace())) {
        return;
      }
      ServiceAcc a = acc.computeIfAbsent(s.getService().getName(), n -> new ServiceAcc(s.getService()));
      a.add(s);
    });
    double seconds = window.seconds();
    return acc.values().stream()
        .map(a -> a.summary(seconds))
        .sorted(Comparator.comparing(ServiceSummary::name))
        .toList();
  }

  /** One point of a RED series: the step that starts at {@code time}. */
  public record SeriesPoint(
      String time, double requests, double requestRate, Double errorPercent, Traffic.Latency latencyMs) {}

  public record ServiceDetail(ServiceSummary summary, double stepSeconds, List<SeriesPoint> series) {}

  /** RED series of one service; null when the service has no window in the range. */
  public ServiceDetail service(String name, QueryWindow window, Long requestedStepMs) {
    long w = window.windowMillis();
    long span = window.toMs() - window.fromMs();
    long step = requestedStepMs == null ? Math.max(w, ceilTo(span / 60, w)) : requestedStepMs;
    if (step <= 0) {
      throw new BadParameterException("step", "must be positive");
    }
    if (step % w != 0) {
      throw new BadParameterException("step", "must be a multiple of the aggregate window (" + (w / 1000) + "s)");
    }
    long points = span == 0 ? 0 : (span + step - 1) / step;
    if (points > MAX_POINTS) {
      throw new BadParameterException("step", "gives " + points + " points; at most " + MAX_POINTS + " allowed");
    }
    ServiceAcc[] whole = {null};
    ServiceAcc[] buckets = new ServiceAcc[(int) points];
    scanServicesPreferringMesh(window, s -> {
      if (!name.equals(s.getService().getName())) {
        return;
      }
      if (whole[0] == null) {
        whole[0] = new ServiceAcc(s.getService());
      }
      whole[0].add(s);
      int i = (int) ((s.getWindowStartUnixMs() - window.fromMs()) / step);
      if (i >= 0 && i < buckets.length) {
        if (buckets[i] == null) {
          buckets[i] = new ServiceAcc(s.getService());
        }
        buckets[i].add(s);
      }
    });
    if (whole[0] == null) {
      return null;
    }
    List<SeriesPoint> series = new ArrayList<>(buckets.length);
    for (int i = 0; i < buckets.length; i++) {
      long start = window.fromMs() + i * step;
      double stepSeconds = Math.min(step, window.toMs() - start) / 1000.0;
      ServiceAcc b = buckets[i];
      String time = Instant.ofEpochMilli(start).toString();
      if (b == null) {
        series.add(new SeriesPoint(time, 0, 0, null, new Traffic.Latency(null, null, null)));
      } else {
        series.add(new SeriesPoint(time, b.traffic.requests, b.traffic.rate(stepSeconds), b.traffic.errorPercent(),
            b.traffic.latency()));
      }
    }
    return new ServiceDetail(whole[0].summary(window.seconds()), step / 1000.0, series);
  }

  private static long ceilTo(long v, long multiple) {
    return ((v + multiple - 1) / multiple) * multiple;
  }

  private void scanServicesPreferringMesh(QueryWindow window, Consumer<ServiceAggregate> sink) {
    ServiceAggregate[] pending = new ServiceAggregate[1];
    store.scanServices(window.fromMs(), window.toMs(), s -> {
      if (s.getWindowEndUnixMs() > window.toMs()) {
        return;
      }
      ServiceAggregate p = pending[0];
      if (p != null && p.getWindowStartUnixMs() == s.getWindowStartUnixMs()
          && p.getService().getName().equals(s.getService().getName())
          && p.getService().getNamespace().equals(s.getService().getNamespace())) {
        pending[0] = p.getSource() == TelemetrySource.TELEMETRY_SOURCE_MESH
            && s.getSource() != TelemetrySource.TELEMETRY_SOURCE_MESH ? p : s;
        return;
      }
      if (p != null) {
        sink.accept(p);
      }
      pending[0] = s;
    });
    if (pending[0] != null) {
      sink.accept(pending[0]);
    }
  }

  private static final class ServiceAcc {
    final NodeRef ref;
    final Traffic traffic = new Traffic();
    final Set<String> sources = new TreeSet<>();

    ServiceAcc(NodeRef ref) {
      this.ref = ref;
    }

    void add(ServiceAggregate s) {
      traffic.add(s.getRequestCount(), s.getFailedCount(), s.getLatency(), null, s.getResponsesList(), List.of());
      sources.add(s.getSource() == TelemetrySource.TELEMETRY_SOURCE_MESH ? "mesh" : "trace");
    }

    ServiceSummary summary(double seconds) {
      return new ServiceSummary(ref.getName(), ref.getNamespace(), String.join("+", sources), traffic.requests,
          traffic.failed, traffic.rate(seconds), traffic.errorPercent(), traffic.latency(), traffic.responses);
    }
  }
}
