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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Reads graphs, RED series and freshness from the store. Thread-safe; its only state is a bounded cache of
 * decoded edge buckets that the store's change generations keep exact.
 */
public final class TopologyQueries {
  /** Upper bound on points in one series, so a tiny step over a long range cannot exhaust memory. */
  static final int MAX_POINTS = 11_000;
  /**
   * Upper bound on the points of one response summed over all its series (one RED series per service), checked
   * before any series is built: each point costs about a kilobyte while it is summed and written, so a day by the
   * minute for 1,000 services (1.44 million points) would exhaust the heap.
   */
  public static final int MAX_RESPONSE_POINTS = 100_000;

  private final TopologyStore store;
  private final Clock clock;
  private final LongSupplier consumerLag;
  private final BooleanSupplier caughtUp;
  private final DecodedPieces pieces;
  /**
   * Minutes split into their workloads ({@link WorkloadEntries}), for graphs that show workloads apart; numbered in
   * their own catalog, since a workload is a hop of its own there. Bounded by half the hop pieces' bytes.
   */
  private final DecodedPieces workloadPieces;
  private final GraphCache graphs;
  /** Sum tables of finished graphs, reused by the next. */
  private final SumTables sumTables = new SumTables(SumTables.DEFAULT_MAX_BYTES);
  private final DecodePool decoders;
  /** Where pre-decoded closed buckets are handed to the store: off the request, dropped when it falls behind. */
  private final Executor storeWrites;
  private final java.util.concurrent.atomic.AtomicLong storedReads = new java.util.concurrent.atomic.AtomicLong();

  /** Bytes of decoded buckets kept between queries: a day of hourly roll-ups of 5,000 hops is about 25 MB. */
  public static final long DEFAULT_CACHED_PIECE_BYTES = 160L << 20;
  /** Finished graphs kept for repeated requests (dashboard refreshes), each about a few MB for 5,000 edges. */
  public static final int DEFAULT_CACHED_GRAPHS = 8;

  public TopologyQueries(TopologyStore store, Clock clock, LongSupplier consumerLag, BooleanSupplier caughtUp,
      DecodePool decoders) {
    this(store, clock, consumerLag, caughtUp, decoders, DEFAULT_CACHED_PIECE_BYTES, DEFAULT_CACHED_GRAPHS);
  }

  /**
   * @param decoders helpers for decoding a graph's uncached pieces; owned (and closed) by the caller
   * @param cachedPieceBytes bound on decoded buckets kept between queries (0: decode every bucket each time)
   * @param cachedGraphs finished graphs kept while every bucket they read is unchanged (0: none)
   */
  public TopologyQueries(TopologyStore store, Clock clock, LongSupplier consumerLag, BooleanSupplier caughtUp,
      DecodePool decoders, long cachedPieceBytes, int cachedGraphs) {
    this(store, clock, consumerLag, caughtUp, decoders, cachedPieceBytes, cachedGraphs, storeWriter());
  }

  /** @param storeWrites runs the writes of pre-decoded buckets (tests: on the calling thread) */
  TopologyQueries(TopologyStore store, Clock clock, LongSupplier consumerLag, BooleanSupplier caughtUp,
      DecodePool decoders, long cachedPieceBytes, int cachedGraphs, Executor storeWrites) {
    this.storeWrites = storeWrites;
    this.decoders = decoders;
    this.pieces = new DecodedPieces(store, cachedPieceBytes);
    this.workloadPieces = new DecodedPieces(store, cachedPieceBytes / 2);
    this.graphs = new GraphCache(store, cachedGraphs);
    this.store = store;
    this.clock = clock;
    this.consumerLag = consumerLag;
    this.caughtUp = caughtUp;
  }

  /**
   * One thread, started when there is something to write and ended when idle; a few buckets may wait, more are
   * dropped (the next read of such a bucket scans it and offers it again).
   */
  private static Executor storeWriter() {
    ThreadPoolExecutor writer = new ThreadPoolExecutor(1, 1, 10, TimeUnit.SECONDS, new ArrayBlockingQueue<>(8), r -> {
      Thread t = new Thread(r, "topology-store-decoded");
      t.setDaemon(true);
      return t;
    }, new ThreadPoolExecutor.DiscardPolicy());
    writer.allowCoreThreadTimeOut(true);
    return writer;
  }

  public long nowMs() {
    return clock.millis();
  }

  /**
   * The windows a query reads: from the requested start, or the oldest stored minute if that is later, to the
   * requested end capped at the newest complete window.
   */
  public QueryWindow window(long requestedFrom, long requestedTo) {
    if (requestedFrom >= requestedTo) {
      throw new BadParameterException("from", "must be before 'to'");
    }
    // Nothing is stored before the oldest minute: starting there keeps a range like from=0 from planning one read
    // per minute of the decades before it (and an empty store answers an empty range).
    long from = Math.max(requestedFrom, Math.min(store.oldestWindowStartMs(), requestedTo));
    return QueryWindow.resolve(from, requestedTo, store.freshness());
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
    GraphType type = request.type() == null ? GraphType.SERVICE : request.type();
    if ((request.service() == null || request.service().isBlank()) && request.depth() != null) {
      throw new BadParameterException("depth", "needs 'service' to start from");
    }
    GraphCache.Key key = new GraphCache.Key(window, request.namespace(), request.service(), request.depth(), type);
    // Read before any scan: a piece (and the graph) is stamped with a generation no newer than the data it saw.
    long generation = store.edgeGeneration();
    Graph cached = graphs.get(key);
    if (cached != null) {
      return cached;
    }
    // Roll-ups hold hop totals: a graph that shows a hop's workloads apart adds up minutes, split into workloads.
    boolean perWorkload = type.showsWorkloads();
    DecodedPieces cache = perWorkload ? workloadPieces : pieces;
    HopCatalog catalog = cache.catalog();
    List<Supplier<DecodedPieces.Piece>> work = new ArrayList<>();
    GraphCache.Buckets buckets = new GraphCache.Buckets();
    // Read after the generation: a roll-up completed in between was written before either moved.
    long rollupsComplete = store.rollupsCompleteUntil();
    long end = window.toMs();
    List<RangePlan.Piece> plan = perWorkload ? List.of(new RangePlan.Piece(null, window.fromMs(), end))
        : RangePlan.decompose(window.fromMs(), end, window.windowMillis(), rollupsComplete);
    for (RangePlan.Piece piece : plan) {
      Resolution r = piece.resolution();
      if (r != null) {
        for (long bucket = piece.fromMs(); bucket < piece.toMs(); bucket += r.millis) {
          long b = bucket;
          work.add(() -> rollupPiece(r, b, window.windowMillis(), generation, rollupsComplete, catalog));
          buckets.add(r, bucket);
        }
      } else {
        for (long from = piece.fromMs(); from < piece.toMs(); ) {
          long minuteStart = Math.floorDiv(from, MINUTE_MS) * MINUTE_MS;
          long to = Math.min(minuteStart + MINUTE_MS, piece.toMs());
          long f = from;
          work.add(() -> {
            DecodedPieces.Piece minute = f == minuteStart && to == f + MINUTE_MS ? minutePiece(cache, f, generation,
                rollupsComplete, catalog, perWorkload) : null;
            if (minute == null || minute.maxWindowEnd > end) {
              if (minute != null) {
                cache.release(new DecodedPieces.Piece[] {minute});
              }
              DecodedPieces.Builder b = new DecodedPieces.Builder(catalog);
              scanPickedMinutes(f, to, end, into(b, perWorkload));
              minute = b.build(generation, cache);
            }
            return minute;
          });
          buckets.add(null, minuteStart);
          from = to;
        }
      }
    }
    // Pieces not in the cache are decoded side by side (the decoding is most of an uncached graph's time), then
    // added up in time order, as one at a time.
    DecodedPieces.Piece[] parts = new DecodedPieces.Piece[work.size()];
    SumTable perHop = null;
    Graph g;
    try {
      int[] hopOfRow;
      try {
        decoders.runAll(work, parts);
        // Every hop the pieces name is in the catalog now, so the per-query index can be sized once.
        int[] rowOfHop = new int[catalog.hopCount()];
        hopOfRow = new int[rowOfHop.length];
        perHop = sumTables.take(Math.min(rowOfHop.length, 8192));
        for (DecodedPieces.Piece p : parts) {
          p.addTo(perHop, rowOfHop, hopOfRow);
        }
      } finally {
        // Their arrays may now go to other pieces: nothing below reads them.
        cache.release(parts);
      }
      HopCatalog.Hop[] hops = new HopCatalog.Hop[perHop.rows()];
      for (int row = 0; row < hops.length; row++) {
        hops[row] = catalog.hop(hopOfRow[row]);
      }
      g = assemble(window, type, perHop, hops, filter(hops, request), catalog);
    } finally {
      // The graph holds its own figures: the tables go to the next query.
      if (perHop != null) {
        sumTables.give(perHop);
      }
    }
    graphs.put(key, g, generation, buckets);
    return g;
  }

  /** Nodes and edges of the kept hops (rows of {@code perHop}), in order of first appearance. */
  private Graph assemble(QueryWindow window, GraphType type, SumTable perHop, HopCatalog.Hop[] hops,
      boolean[] kept, HopCatalog catalog) {
    SumTable in = sumTables.take(hops.length / 2);
    SumTable edges = sumTables.take(hops.length);
    try {
      return assembleInto(window, type, perHop, hops, kept, catalog, in, edges);
    } finally {
      sumTables.give(in);
      sumTables.give(edges);
    }
  }

  /**
   * {@link #assemble} with empty tables for the nodes' inbound figures ({@code in}) and for the edges of several
   * hops to fold the hops into. An edge of one hop (most edges: a hop is an edge with its workloads, connection
   * type and protocol) is read from its hop's row, and a node's outbound side adds only requests: folding every hop
   * whole into three tables was most of a graph's assembly. The sums are the same, added in the same order.
   */
  private static Graph assembleInto(QueryWindow window, GraphType type, SumTable perHop, HopCatalog.Hop[] hops,
      boolean[] kept, HopCatalog catalog, SumTable in, SumTable edges) {
    HopCatalog.Numbers[] numbers = new HopCatalog.Numbers[hops.length];
    for (int row = 0; row < hops.length; row++) {
      if (kept[row]) {
        numbers[row] = catalog.numbers(hops[row], type);
      }
    }
    // Row + 1 per catalog node and edge number (0: no row yet); sized after numbering, so every number fits.
    int[] nodeRows = new int[catalog.nodeCount(type)];
    int[] edgeRows = new int[catalog.edgeCount(type)];
    List<HopCatalog.Hop> nodeRefs = new ArrayList<>();
    List<Boolean> nodeIsServer = new ArrayList<>();
    List<HopCatalog.Hop> edgeFirst = new ArrayList<>();
    // Per edge: the row of its first hop in perHop, and its row in edges + 1 once a second hop joins it (0: none).
    int[] edgeHopRow = new int[hops.length];
    int[] edgeTableRow = new int[hops.length];
    boolean[] hasCaller = new boolean[hops.length * 2 + 1];
    double[] outRequests = new double[hops.length * 2 + 1];
    for (int row = 0; row < hops.length; row++) {
      if (!kept[row]) {
        continue;
      }
      HopCatalog.Hop hop = hops[row];
      HopCatalog.Numbers n = numbers[row];
      int client = node(nodeRows, n.client(), hop, false, nodeRefs, nodeIsServer, in);
      int server = node(nodeRows, n.server(), hop, true, nodeRefs, nodeIsServer, in);
      outRequests[client] += perHop.requests(row);
      in.addRow(server, perHop, row, false);
      hasCaller[server] = true;
      int edge = edgeRows[n.edge()] - 1;
      if (edge < 0) {
        edge = edgeFirst.size();
        edgeRows[n.edge()] = edge + 1;
        edgeFirst.add(hop);
        edgeHopRow[edge] = row;
        continue;
      }
      int t = edgeTableRow[edge] - 1;
      if (t < 0) {
        t = edges.addRow();
        edgeTableRow[edge] = t + 1;
        edges.addRow(t, perHop, edgeHopRow[edge], true);
      }
      edges.addRow(t, perHop, row, true);
    }
    double seconds = window.seconds();
    List<Graph.Node> nodeViews = new ArrayList<>(nodeRefs.size());
    for (int n = 0; n < nodeRefs.size(); n++) {
      HopCatalog.Hop hop = nodeRefs.get(n);
      boolean server = nodeIsServer.get(n);
      NodeRef r = server ? hop.server : hop.client;
      nodeViews.add(new Graph.Node(server ? hop.serverId(type) : hop.clientId(type), type.label(r), r.getNamespace(),
          r.getName(), r.getWorkload(), r.getApp(), r.getVersion(), kindName(r.getKind()), !hasCaller[n],
          in.requests(n), in.rate(n, seconds), in.errorPercent(n), outRequests[n],
          seconds > 0 ? Traffic.round(outRequests[n] / seconds, 4) : 0, in.latency(n), in.responses(n, catalog)));
    }
    List<Graph.Edge> edgeViews = new ArrayList<>(edgeFirst.size());
    for (int e = 0; e < edgeFirst.size(); e++) {
      HopCatalog.Hop first = edgeFirst.get(e);
      SumTable sums = edgeTableRow[e] == 0 ? perHop : edges;
      int row = edgeTableRow[e] == 0 ? edgeHopRow[e] : edgeTableRow[e] - 1;
      String telemetry = sums.telemetry(row);
      // Only access logs count bytes: a TCP edge seen only in traces has none to show, not zero.
      boolean tcp = TCP.equals(first.protocol) && !telemetry.equals("trace");
      double sent = sums.sentBytes(row);
      double received = sums.receivedBytes(row);
      edgeViews.add(new Graph.Edge(first.edgeId(type), first.clientId(type), first.serverId(type), first.connectionType,
          first.protocol, telemetry, sums.requests(row), sums.failed(row), sums.rate(row, seconds),
          sums.errorPercent(row), sums.latency(row), sums.clientLatency(row), queueLatency(sums, row, first),
          sums.responses(row, catalog), sums.flags(row, catalog), sums.exactCodes(row, catalog), tcp ? sent : null,
          tcp ? received : null, tcp ? perSecond(sent, seconds) : null, tcp ? perSecond(received, seconds) : null));
    }
    return new Graph(type, window, nodeViews, edgeViews);
  }

  /** A messaging edge's queue latency (its percentiles null when none was observed); null for other edges. */
  private static Traffic.Latency queueLatency(SumTable edges, int row, HopCatalog.Hop first) {
    Traffic.Latency queue = edges.queueLatency(row);
    return queue == null && MESSAGING.equals(first.connectionType) ? Traffic.Latency.NONE : queue;
  }

  private static final String MESSAGING = "messaging_system";
  private static final String TCP = "tcp";

  private static double perSecond(double total, double seconds) {
    return seconds > 0 ? Traffic.round(total / seconds, 4) : 0;
  }

  /** The row of a node, made on first sight from the hop end that names it. */
  private static int node(int[] rows, int number, HopCatalog.Hop hop, boolean server, List<HopCatalog.Hop> refs,
      List<Boolean> isServer, SumTable in) {
    int row = rows[number] - 1;
    if (row < 0) {
      row = in.addRow();
      rows[number] = row + 1;
      refs.add(hop);
      isServer.add(server);
    }
    return row;
  }

  private static final long MINUTE_MS = 60_000L;

  /**
   * A roll-up already holds, per hop, only the minutes picked by the source preference of the minutes. When
   * {@link MeshRule} cannot judge it (a server with mesh figures in only some of its minutes, next to trace figures),
   * the bucket is read from its minutes instead, judged minute by minute; that piece is cached in the roll-up's place.
   */
  private DecodedPieces.Piece rollupPiece(Resolution r, long bucket, long windowMillis, long generation,
      long rollupsComplete, HopCatalog catalog) {
    DecodedPieces.Piece p = pieces.get(r, bucket, catalog);
    if (p != null) {
      return p;
    }
    p = stored(r, bucket, generation, catalog);
    if (p == null) {
      DecodedPieces.Builder b = new DecodedPieces.Builder(catalog, r.millis / windowMillis);
      store.scanEdgeLent(r, bucket, bucket + r.millis, b::add);
      p = b.build(generation, pieces);
      if (p.ambiguous) {
        pieces.release(new DecodedPieces.Piece[] {p});
        DecodedPieces.Builder minutes = new DecodedPieces.Builder(catalog);
        scanPickedMinutes(bucket, bucket + r.millis, Long.MAX_VALUE, minutes::add);
        p = minutes.build(generation, pieces);
      }
      offer(r, bucket, r.millis, p, generation, rollupsComplete);
    }
    pieces.put(r, bucket, p);
    return p;
  }

  /** The bucket's piece from its stored pre-decoded form, or null when there is none the catalog can read. */
  private DecodedPieces.Piece stored(Resolution r, long bucket, long generation, HopCatalog catalog) {
    if (generation < 0) {
      return null;
    }
    byte[] value = STORED_SCRATCH.get();
    int length = store.decodedEdgeBucket(r, bucket, value);
    if (length > value.length) {
      value = new byte[length + length / 8];
      STORED_SCRATCH.set(value);
      length = store.decodedEdgeBucket(r, bucket, value);
    }
    DecodedPieces.Piece p = length < 0 || length > value.length ? null
        : StoredPieces.decode(value, length, generation, catalog, pieces);
    if (p != null) {
      storedReads.incrementAndGet();
    }
    return p;
  }

  /** Per reading thread, grown to the largest stored bucket read: reused, so a read allocates no megabyte array. */
  private static final ThreadLocal<byte[]> STORED_SCRATCH = ThreadLocal.withInitial(() -> new byte[64 << 10]);

  /** Buckets read from their stored pre-decoded form since start, for tests and the bench. */
  long storedPieceReads() {
    return storedReads.get();
  }

  /**
   * Hands a piece just scanned to the store as its bucket's pre-decoded form, if the bucket is closed (late data
   * may still change it: the store then deletes the form). The store refuses it if the bucket changed after
   * {@code generation}, so a form built from what a write replaced is never stored.
   */
  private void offer(Resolution r, long bucket, long millis, DecodedPieces.Piece p, long generation,
      long rollupsComplete) {
    if (generation < 0 || bucket + millis > rollupsComplete) {
      return;
    }
    byte[] value = StoredPieces.encode(p);
    storeWrites.execute(() -> store.putDecodedEdgeBucket(r, bucket, generation, value));
  }

  /**
   * The records a graph picks among the windows starting in one calendar minute, unfiltered by range end; split
   * into workloads when {@code perWorkload} (then {@code cache} is {@link #workloadPieces}).
   */
  private DecodedPieces.Piece minutePiece(DecodedPieces cache, long minute, long generation, long rollupsComplete,
      HopCatalog catalog, boolean perWorkload) {
    DecodedPieces.Piece p = cache.get(null, minute, catalog);
    if (p == null && !perWorkload) {
      p = stored(null, minute, generation, catalog);
      if (p != null) {
        cache.put(null, minute, p);
        return p;
      }
    }
    if (p == null) {
      DecodedPieces.Builder b = new DecodedPieces.Builder(catalog);
      scanPickedMinutes(minute, minute + MINUTE_MS, Long.MAX_VALUE, into(b, perWorkload));
      p = b.build(generation, cache);
      if (!perWorkload) {
        offer(null, minute, MINUTE_MS, p, generation, rollupsComplete);
      }
      cache.put(null, minute, p);
    }
    return p;
  }

  /** Where picked records go: {@code b} as they are, or split into their workloads first. */
  private static TopologyStore.LentSink into(DecodedPieces.Builder b, boolean perWorkload) {
    return perWorkload ? (o, ol, v, vl) -> WorkloadEntries.split(o, ol, v, vl, b::add) : b::add;
  }

  /** Cache hits and misses of decoded buckets since start, for tests and the bench. */
  long[] pieceCacheCounts() {
    return new long[] {pieces.hits(), pieces.misses()};
  }

  /** Graphs served from the graph cache since start, for tests. */
  long graphCacheHits() {
    return graphs.hits();
  }

  /** Per (hop, window) the record of the highest source, in scan order. */
  private void scanPickedMinutes(long fromMs, long toMs, long windowEndLimit, TopologyStore.LentSink picked) {
    Pending pending = new Pending();
    store.scanEdgeLent(null, fromMs, toMs, (order, orderLength, value, valueLength) -> {
      if (windowEndLimit != Long.MAX_VALUE && EdgeWindowDecoder.windowEnd(value, valueLength) > windowEndLimit) {
        return;
      }
      if (pending.orderLength > 0 && pending.sameHopAndWindow(order, orderLength)) {
        // Same hop, same window, another source: access-log (mesh) figures replace trace figures.
        if (pending.order[pending.orderLength - 1] != TelemetrySource.TELEMETRY_SOURCE_MESH_VALUE) {
          pending.set(order, orderLength, value, valueLength);
        }
        return;
      }
      if (pending.orderLength > 0) {
        picked.accept(pending.order, pending.orderLength, pending.value, pending.valueLength);
      }
      pending.set(order, orderLength, value, valueLength);
    });
    if (pending.orderLength > 0) {
      picked.accept(pending.order, pending.orderLength, pending.value, pending.valueLength);
    }
  }

  /** The record held back until the next shows whether another source of its hop and window follows. */
  private static final class Pending {
    byte[] order = new byte[256];
    int orderLength;
    byte[] value = new byte[4096];
    int valueLength;

    void set(byte[] o, int oLength, byte[] v, int vLength) {
      if (oLength > order.length) {
        order = new byte[Math.max(oLength, 2 * order.length)];
      }
      if (vLength > value.length) {
        value = new byte[Math.max(vLength, 2 * value.length)];
      }
      System.arraycopy(o, 0, order, 0, oLength);
      System.arraycopy(v, 0, value, 0, vLength);
      orderLength = oLength;
      valueLength = vLength;
    }

    boolean sameHopAndWindow(byte[] o, int oLength) {
      return oLength == orderLength && Arrays.equals(order, 0, orderLength - 1, o, 0, oLength - 1);
    }
  }

  static EdgeAggregate parse(byte[] value, int length) {
    try {
      return EdgeAggregate.parser().parseFrom(value, 0, length);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt edge aggregate in store", e);
    }
  }

  /**
   * Which hops (rows) the graph keeps: the namespace filter (either end in one of the comma-separated
   * namespaces), then the neighbourhood of a service up to {@code depth} hops.
   */
  private static boolean[] filter(HopCatalog.Hop[] hops, GraphRequest request) {
    boolean[] kept = new boolean[hops.length];
    Arrays.fill(kept, true);
    Set<String> ns = namespaces(request.namespace());
    if (ns != null) {
      for (int i = 0; i < hops.length; i++) {
        kept[i] = ns.contains(hops[i].client.getNamespace()) || ns.contains(hops[i].server.getNamespace());
      }
    }
    if (request.service() != null && !request.service().isBlank()) {
      int depth = request.depth() == null ? 1 : request.depth();
      Map<String, List<Integer>> byNode = new HashMap<>();
      for (int i = 0; i < hops.length; i++) {
        if (kept[i]) {
          byNode.computeIfAbsent(hops[i].client.getName(), k -> new ArrayList<>()).add(i);
          byNode.computeIfAbsent(hops[i].server.getName(), k -> new ArrayList<>()).add(i);
        }
      }
      boolean[] near = new boolean[hops.length];
      Set<String> seen = new HashSet<>();
      Deque<String> frontier = new ArrayDeque<>();
      frontier.add(request.service());
      seen.add(request.service());
      for (int d = 0; d < depth && !frontier.isEmpty(); d++) {
        Deque<String> next = new ArrayDeque<>();
        for (String node : frontier) {
          for (int i : byNode.getOrDefault(node, List.of())) {
            near[i] = true;
            for (String end : List.of(hops[i].client.getName(), hops[i].server.getName())) {
              if (seen.add(end)) {
                next.add(end);
              }
            }
          }
        }
        frontier = next;
      }
      return near;
    }
    return kept;
  }

  /** A node kind as the API and {@code /metrics} name it. */
  public static String kindName(NodeRef.NodeKind kind) {
    return switch (kind) {
      case NODE_KIND_VIRTUAL -> "virtual";
      case NODE_KIND_UNKNOWN -> "unknown";
      case NODE_KIND_USER -> "user";
      case NODE_KIND_GROUPED -> "grouped";
      default -> "service";
    };
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

  /**
   * RED summary of one service over a window; {@code kind} as graph nodes have it ({@code service}, or {@code virtual}
   * for a peer named by its callers' spans, {@code user}, {@code unknown}, {@code grouped}).
   */
  public record ServiceSummary(
      String name, String namespace, String kind, String telemetry, double requests, double failed, double requestRate,
      Double errorPercent, Traffic.Latency latencyMs, Map<String, Double> responses) {}

  /** @param namespace one namespace, several separated by commas, or null for all */
  public List<ServiceSummary> services(QueryWindow window, String namespace) {
    Set<String> namespaces = namespaces(namespace);
    Map<String, ServiceAcc> acc = new LinkedHashMap<>();
    scanServiceSteps(window, Math.max(1, window.toMs() - window.fromMs()), null, (s, step) -> {
      if (namespaces != null && !namespaces.contains(s.getService().getNamespace())) {
        return;
      }
      // One summary per service and namespace: two namespaces' "cart" are two services.
      ServiceAcc a = acc.computeIfAbsent(s.getService().getNamespace() + "/" + s.getService().getName(),
          n -> new ServiceAcc(s.getService()));
      a.add(s);
    });
    acc.keySet().removeAll(standInsOfMeshedServices(acc));
    double seconds = window.seconds();
    return acc.values().stream()
        .map(a -> a.summary(seconds))
        .sorted(Comparator.comparing(ServiceSummary::name).thenComparing(ServiceSummary::namespace))
        .toList();
  }

  /** One point of a RED series: the step that starts at {@code time}. */
  public record SeriesPoint(
      String time, double requests, double requestRate, Double errorPercent, Traffic.Latency latencyMs) {}

  public record ServiceDetail(ServiceSummary summary, double stepSeconds, List<SeriesPoint> series) {}

  /**
   * RED series of one service, in {@code namespace} (or any of several separated by commas) or (null) the services
   * of that name in every namespace; null when it has no window in the range.
   */
  public ServiceDetail service(String name, String namespace, QueryWindow window, Long requestedStepMs) {
    Set<String> namespaces = namespaces(namespace);
    long step = step(window, requestedStepMs);
    int points = points(window, step);
    // Per entry of the list (namespace and name), so that the list's rule can leave out the same entries.
    Map<String, ServiceAcc> whole = new LinkedHashMap<>();
    Map<String, ServiceAcc[]> buckets = new HashMap<>();
    scanServiceSteps(window, step, name, (s, i) -> {
      if (!name.equals(s.getService().getName()) || namespaces != null && !namespaces.contains(s.getService().getNamespace())) {
        return;
      }
      String key = s.getService().getNamespace() + "/" + name;
      whole.computeIfAbsent(key, k -> new ServiceAcc(s.getService())).add(s);
      addToStep(buckets.computeIfAbsent(key, k -> new ServiceAcc[points]), i, s);
    });
    // Every entry the rule can leave out stands for a service of the same name, so the entries of this name suffice
    // (a virtual peer's callers are read from the edge totals).
    whole.keySet().removeAll(standInsOfMeshedServices(whole));
    ServiceAcc total = null;
    ServiceAcc[] steps = new ServiceAcc[points];
    for (Map.Entry<String, ServiceAcc> e : whole.entrySet()) {
      total = ServiceAcc.merge(total, e.getValue());
      ServiceAcc[] b = buckets.get(e.getKey());
      for (int i = 0; i < points; i++) {
        steps[i] = b[i] == null ? steps[i] : ServiceAcc.merge(steps[i], b[i]);
      }
    }
    if (total == null) {
      return null;
    }
    return new ServiceDetail(total.summary(window.seconds()), step / 1000.0, series(window, step, steps));
  }

  /**
   * What a service's inbound hops report beyond RED, summed over the hops into it (the graph's edges, so the access-log
   * figures of a hop where it has both sources): null fields when no hop into it has any.
   *
   * @param responseCodes requests by exact response code, as the graph's edges carry them (access-logged hops only)
   * @param bytesSent bytes the service sent over its TCP hops with access logs
   * @param bytesReceived bytes it received over them
   */
  public record Inbound(Map<String, Double> responseCodes, Double bytesSent, Double bytesReceived) {}

  /**
   * {@link Inbound} of the service {@code name} in {@code namespace} (or any of several separated by commas; null: in
   * every namespace), read from the service's one-hop graph over {@code window}.
   */
  public Inbound inbound(String name, String namespace, QueryWindow window) {
    Set<String> namespaces = namespaces(namespace);
    // Without the namespace filter: the graph's keeps hops with either end in it, and a caller elsewhere still counts.
    Graph g = graph(new GraphRequest(window.fromMs(), window.toMs(), null, name, 1, GraphType.SERVICE));
    Set<String> targets = new HashSet<>();
    for (Graph.Node n : g.nodes()) {
      if (name.equals(n.name()) && (namespaces == null || namespaces.contains(n.namespace()))) {
        targets.add(n.id());
      }
    }
    Map<String, Double> codes = null;
    Double sent = null;
    Double received = null;
    for (Graph.Edge e : g.edges()) {
      if (!targets.contains(e.target())) {
        continue;
      }
      if (e.responseCodes() != null) {
        Map<String, Double> sum = codes == null ? new TreeMap<>() : codes;
        e.responseCodes().forEach((code, n) -> sum.merge(code, n, Double::sum));
        codes = sum;
      }
      if (e.bytesSent() != null) {
        sent = (sent == null ? 0 : sent) + e.bytesSent();
      }
      if (e.bytesReceived() != null) {
        received = (received == null ? 0 : received) + e.bytesReceived();
      }
    }
    return new Inbound(codes, sent, received);
  }

  /** A service's summary and its RED series. */
  public record ServiceSeries(ServiceSummary service, List<SeriesPoint> series) {}

  /** Every service with traffic in the range (of {@code namespace}, or all), each with its RED series by {@code step}. */
  public List<ServiceSeries> servicesWithSeries(QueryWindow window, String namespace, long requestedStepMs) {
    long step = step(window, requestedStepMs);
    int points = points(window, step);
    Set<String> namespaces = namespaces(namespace);
    checkResponseBudget(countServices(window, namespaces), points, step, window);
    Map<String, ServiceAcc> whole = new LinkedHashMap<>();
    Map<String, ServiceAcc[]> buckets = new HashMap<>();
    scanServiceSteps(window, step, null, (s, i) -> {
      if (namespaces != null && !namespaces.contains(s.getService().getNamespace())) {
        return;
      }
      String id = s.getService().getNamespace() + "/" + s.getService().getName();
      whole.computeIfAbsent(id, n -> new ServiceAcc(s.getService())).add(s);
      addToStep(buckets.computeIfAbsent(id, n -> new ServiceAcc[points]), i, s);
    });
    whole.keySet().removeAll(standInsOfMeshedServices(whole));
    return whole.entrySet().stream()
        .map(e -> new ServiceSeries(e.getValue().summary(window.seconds()), series(window, step, buckets.get(e.getKey()))))
        .sorted(Comparator.comparing((ServiceSeries x) -> x.service().name()).thenComparing(x -> x.service().namespace()))
        .toList();
  }

  /** The namespaces a comma-separated parameter names, read as the graph reads them; null (all) when it names none. */
  private static Set<String> namespaces(String namespace) {
    if (namespace == null) {
      return null;
    }
    Set<String> names = Arrays.stream(namespace.split(",")).map(String::trim).filter(n -> !n.isEmpty())
        .collect(Collectors.toSet());
    return names.isEmpty() ? null : names;
  }

  /** Services (per namespace and name) with a window in the range; read whole-range, so mostly from roll-ups. */
  private int countServices(QueryWindow window, Set<String> namespaces) {
    Set<String> ids = new HashSet<>();
    scanServiceSteps(window, Math.max(1, window.toMs() - window.fromMs()), null, (s, step) -> {
      if (namespaces == null || namespaces.contains(s.getService().getNamespace())) {
        ids.add(s.getService().getNamespace() + "/" + s.getService().getName());
      }
    });
    return ids.size();
  }

  /**
   * Refuses a response of {@code services} RED series of {@code points} points each when it exceeds
   * {@link #MAX_RESPONSE_POINTS}, saying how to narrow it; the smallest step that would fit is given when one exists.
   */
  static void checkResponseBudget(int services, int points, long step, QueryWindow window) {
    long total = (long) services * points;
    if (total <= MAX_RESPONSE_POINTS) {
      return;
    }
    long span = window.toMs() - window.fromMs();
    long w = window.windowMillis();
    // Points per series that fit, then the smallest whole-window step giving no more than that.
    long perSeries = MAX_RESPONSE_POINTS / services;
    String largerStep = "a larger step";
    if (perSeries > 0) {
      long minStep = ceilTo(span / perSeries + (span % perSeries == 0 ? 0 : 1), w);
      largerStep = "a larger step (step=" + (minStep / 1000) + "s or more fits this range)";
    }
    throw new BadParameterException("step", "step=" + (step / 1000) + "s gives " + points + " points for each of " + services
        + " services = " + total + " points; a response holds at most " + MAX_RESPONSE_POINTS + " points. Narrow it with "
        + largerStep + ", a shorter from/to range, namespace=, or one service at /api/v1/services/{name}");
  }

  /** {@link MeshRule.ServiceList} over a services list and the store's edge totals. */
  private Set<String> standInsOfMeshedServices(Map<String, ServiceAcc> listed) {
    MeshRule.ServiceList rule = new MeshRule.ServiceList();
    listed.forEach((key, a) -> rule.add(key, a.ref, a.sources.contains("mesh")));
    return rule.standIns(store::scanEdgeTotals);
  }

  /** The step asked for, or about 60 points over the range; a positive multiple of the aggregate window. */
  private static long step(QueryWindow window, Long requestedStepMs) {
    long w = window.windowMillis();
    long span = window.toMs() - window.fromMs();
    long step = requestedStepMs == null ? Math.max(w, ceilTo(span / 60, w)) : requestedStepMs;
    if (step <= 0) {
      throw new BadParameterException("step", "must be positive");
    }
    if (step % w != 0) {
      throw new BadParameterException("step", "must be a multiple of the aggregate window (" + (w / 1000) + "s)");
    }
    points(window, step);
    return step;
  }

  private static int points(QueryWindow window, long step) {
    long span = window.toMs() - window.fromMs();
    long points = span / step + (span % step == 0 ? 0 : 1);
    if (points > MAX_POINTS) {
      throw new BadParameterException("step", "step=" + (step / 1000) + "s gives " + points + " points; a series holds at most "
          + MAX_POINTS + ". Narrow it with a larger step or a shorter from/to range");
    }
    return (int) points;
  }

  private static void addToStep(ServiceAcc[] buckets, int i, ServiceAggregate s) {
    if (i >= 0 && i < buckets.length) {
      if (buckets[i] == null) {
        buckets[i] = new ServiceAcc(s.getService());
      }
      buckets[i].add(s);
    }
  }

  private static List<SeriesPoint> series(QueryWindow window, long step, ServiceAcc[] buckets) {
    List<SeriesPoint> series = new ArrayList<>(buckets.length);
    for (int i = 0; i < buckets.length; i++) {
      long start = window.fromMs() + i * step;
      double stepSeconds = Math.min(step, window.toMs() - start) / 1000.0;
      ServiceAcc b = buckets[i];
      String time = Instant.ofEpochMilli(start).toString();
      if (b == null) {
        series.add(new SeriesPoint(time, 0, 0, null, new Traffic.Latency(null, null, null, null)));
      } else {
        series.add(new SeriesPoint(time, b.traffic.requests, b.traffic.rate(stepSeconds), b.traffic.errorPercent(),
            b.traffic.latency()));
      }
    }
    return series;
  }

  private static long ceilTo(long v, long multiple) {
    return ((v + multiple - 1) / multiple) * multiple;
  }

  /** Receives a service window (a minute or a roll-up) and the index of the step its start lies in. */
  private interface StepSink {
    void accept(ServiceAggregate window, int step);
  }

  /**
   * Feeds the service windows of {@code window} with their step: per step, its whole roll-up buckets (when the
   * store keeps service roll-ups and the window allows them, see {@link RangePlan#decompose}) and the minutes of
   * its ragged ends, in time order. A roll-up is the sum of the minutes it replaces, so the sums are the same.
   */
  private void scanServiceSteps(QueryWindow window, long step, String name, StepSink sink) {
    long from = window.fromMs();
    Consumer<ServiceAggregate> indexed = s -> sink.accept(s, (int) ((s.getWindowStartUnixMs() - from) / step));
    if (!store.hasServiceRollups()) {
      scanServicesPreferringMesh(from, window.toMs(), window.toMs(), name, indexed);
      return;
    }
    List<RangePlan.Piece> pieces = new ArrayList<>();
    for (long start = from; start < window.toMs(); start += step) {
      pieces.addAll(RangePlan.decompose(start, Math.min(start + step, window.toMs()), window.windowMillis(), Long.MAX_VALUE,
          RangePlan.SERVICES));
    }
    // Neighbouring pieces of one kind are read in one scan.
    for (int i = 0; i < pieces.size(); ) {
      RangePlan.Piece first = pieces.get(i);
      long end = first.toMs();
      int j = i + 1;
      while (j < pieces.size() && pieces.get(j).resolution() == first.resolution() && pieces.get(j).fromMs() == end) {
        end = pieces.get(j++).toMs();
      }
      if (first.resolution() == null) {
        scanServicesPreferringMesh(first.fromMs(), end, window.toMs(), name, indexed);
      } else {
        store.scanServiceRollups(first.resolution(), first.fromMs(), end, name, indexed);
      }
      i = j;
    }
  }

  /**
   * Service minutes starting in [fromMs, toMs) and ending by {@code maxEndMs}, per service and minute the mesh
   * one; only those of service {@code name} when it is not null.
   */
  private void scanServicesPreferringMesh(long fromMs, long toMs, long maxEndMs, String name,
      Consumer<ServiceAggregate> sink) {
    ServiceAggregate[] pending = new ServiceAggregate[1];
    store.scanServices(fromMs, toMs, name, s -> {
      if (s.getWindowEndUnixMs() > maxEndMs) {
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

    /** {@code into} with {@code more} added: {@code more} itself when {@code into} is null (then not to be changed). */
    static ServiceAcc merge(ServiceAcc into, ServiceAcc more) {
      if (into == null) {
        return more;
      }
      into.traffic.add(more.traffic);
      into.sources.addAll(more.sources);
      return into;
    }

    ServiceSummary summary(double seconds) {
      return new ServiceSummary(ref.getName(), ref.getNamespace(), kindName(ref.getKind()), String.join("+", sources), traffic.requests,
          traffic.failed, traffic.rate(seconds), traffic.errorPercent(), traffic.latency(), traffic.responses);
    }
  }
}
