package io.switchyard.xds.server;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.envoyproxy.controlplane.cache.DeltaResponse;
import io.envoyproxy.controlplane.cache.DeltaWatch;
import io.envoyproxy.controlplane.cache.DeltaXdsRequest;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.Resources.ResourceType;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Keeps an ADS stream's listeners and routes behind the clusters and endpoints they use (xds_protocol.rst, "Eventual
 * consistency considerations": CDS first, EDS after the CDS of its clusters, LDS/RDS after the CDS/EDS they need).
 *
 * <p>java-control-plane 1.0.49 answers a type only when the client has asked for it again. While a client's ACK of a
 * cluster update is on its way it has no cluster watch open, so a snapshot arriving then (a second cluster-changing
 * edit) reached it as routes at once and clusters one round trip later: Envoy answered 503 {@code NC} for routes to the
 * new cluster meanwhile. The same holds for delta streams, whose watch of a type is opened only once the client answered
 * the previous response of that type.
 *
 * <p>Here an LDS or RDS response of a snapshot is held while the stream still owes the client that snapshot's clusters
 * or endpoints and a request that will fetch them is sure to come:
 *
 * <ul>
 *   <li>the latest cluster response sent is not answered yet and is not of the snapshot's cluster version;
 *   <li>the stream asks for endpoints, its latest endpoint response is not answered yet and is not of the snapshot's
 *       endpoint version;
 *   <li>the stream asks for endpoints and the clusters it was sent (still in flight, or ACKed) name EDS clusters it has
 *       not asked endpoints for yet: a client asks for them as soon as it has those clusters. A request that still
 *       names the endpoints of a cluster the client accepted losing does not ask for them should the cluster come
 *       back: the client drops them from its request and names them again once it has the cluster again;
 *   <li>delta: the stream subscribed to endpoints while an endpoint response was unanswered: the library opens no watch
 *       then, so they are fetched only with the answer to that response;
 *   <li>state of the world: the endpoint request names endpoints the snapshot lacks, of clusters the client accepted
 *       losing or is being sent without: the request is left unanswered (an ADS request is answered only once every
 *       name exists), so what else it asks for was not sent, and the client asks again without them.
 * </ul>
 *
 * <p>The held watch is opened again on the cache after each request of the stream, from the snapshot current then (so
 * never with stale routes), once none of the conditions holds: the request that answers the clusters is served first,
 * as it is handled before the held watch is looked at. A request that leaves its watch unanswered (a NACK parked by
 * {@link NackGuard}, names the snapshot lacks) ends the wait too, as nothing more is coming for that type, unless the
 * client is sure to ask again as above. Nothing waits
 * on a clock or a thread: a new request for the held type or the stream's end cancels the held watch.
 *
 * <p>The conditions look only at the stream's own responses; per-type streams, which the protocol cannot order against
 * each other, are left alone. The server's default direct executor sends a response from within the watch's consumer,
 * and one stream's requests and the snapshot pushes are serialized by {@link OrderedSnapshotCache}'s lock, so a response
 * the state below calls sent is written before any held one is released.
 *
 * <p>Use {@link #inner()} right above the cache (it sees the requests as the cache does) and {@link #outer} around
 * the whole chain of watchers (it runs after a request's watch is settled), and register this as a callback.
 */
final class RoutesAfterClusters extends StreamScopedCallbacks {
  private static final String CDS = Resources.V3.CLUSTER_TYPE_URL;
  private static final String EDS = Resources.V3.ENDPOINT_TYPE_URL;
  private static final String LDS = Resources.V3.LISTENER_TYPE_URL;
  private static final String RDS = Resources.V3.ROUTE_TYPE_URL;

  /** What an ADS stream has sent and been answered, per stream; guarded by itself. */
  private static final class StreamOrder {
    String cdsNonce;
    String cdsVersion;
    boolean cdsOwed;
    // EDS clusters the client holds once it accepts the latest cluster response, and once it accepted the latest one it
    // accepted (for delta, whose responses carry changes only, with the clusters it held before).
    Set<String> edsOfSentClusters = Set.of();
    Set<String> edsOfAcceptedClusters = Set.of();
    // EDS clusters the client accepted losing (a later cluster response it accepted removed them) while its endpoint
    // request still names them: it drops them from that request, which therefore does not ask for them should a later
    // response bring them back; only a request made after it dropped them does, or endpoints sent after the clusters
    // that brought them back.
    final Set<String> edsDropped = new HashSet<>();
    boolean sotw;
    // Delta: the EDS name of each EDS cluster the client holds once it accepts the latest cluster response, and as of
    // the latest one it accepted.
    Map<String, String> deltaSent = Map.of();
    Map<String, String> deltaAccepted = Map.of();
    boolean edsSubscribed;
    final Set<String> edsRequested = new HashSet<>();
    // Delta: endpoints subscribed while an endpoint response was unanswered. The library opens no watch then, so they
    // are fetched only by the answer to that response.
    final Set<String> edsUnserved = new HashSet<>();
    String edsNonce;
    String edsVersion;
    boolean edsOwed;
    final Map<String, Held> held = new HashMap<>();

    boolean mustWait(Snapshot s) {
      if (cdsOwed && !s.version(ResourceType.CLUSTER).equals(cdsVersion)) {
        return true;
      }
      if (!edsSubscribed) {
        return false;
      }
      if (edsOwed && !s.version(ResourceType.ENDPOINT).equals(edsVersion)) {
        return true;
      }
      Set<String> needed = cdsOwed ? edsOfSentClusters : edsOfAcceptedClusters;
      if (needed.stream().anyMatch(n -> !edsRequested.contains(n) || edsDropped.contains(n))) {
        return true;
      }
      return !edsUnserved.isEmpty() || asksAgain(s);
    }

    /**
     * State of the world: the endpoint request names endpoints the snapshot lacks, so it is left unanswered (an ADS
     * request is answered only once every name it asks for exists) and what else it asks for was not sent; and those
     * are endpoints of clusters the client is dropping, so it asks again without them once it has the new clusters.
     */
    private boolean asksAgain(Snapshot s) {
      if (!sotw) {
        return false; // a delta client is told about names that do not exist, next to what it asked for
      }
      Set<String> leaving = new HashSet<>(edsDropped);
      if (cdsOwed) {
        edsOfAcceptedClusters.stream().filter(n -> !edsOfSentClusters.contains(n)).forEach(leaving::add);
      }
      Map<String, ?> endpoints = s.resources(ResourceType.ENDPOINT);
      return leaving.stream().anyMatch(n -> edsRequested.contains(n) && !endpoints.containsKey(n));
    }
  }

  /** A watch handed to the library whose cache watch is opened again when it is released. */
  private interface Held {
    String group();

    void reopen();
  }

  private final ConfigWatcher cache;
  private final Function<String, Snapshot> snapshots;
  private final ThreadLocal<Long> currentStream = new ThreadLocal<>();
  private final Map<Long, StreamOrder> streams = new ConcurrentHashMap<>();

  RoutesAfterClusters(ConfigWatcher cache, Function<String, Snapshot> snapshots) {
    this.cache = cache;
    this.snapshots = snapshots;
  }

  private static String group(Node node) {
    return node.getCluster();
  }

  /**
   * A request that may answer the stream's latest cluster or endpoint response. Applied only once its watch is settled:
   * until then a snapshot being pushed must still see the response as owed, or it would send routes ahead of the
   * clusters this very request is about to get.
   */
  private record Answer(long stream, String typeUrl, String nonce, boolean rejected, Set<String> edsOfAnswered,
      List<String> edsNames, boolean answersEds) {}

  private final ThreadLocal<Answer> answering = new ThreadLocal<>();

  // ------------------------------------------------------------------ callbacks

  @Override
  public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
    currentStream.set(streamId);
    answering.set(answer(streamId, request.getTypeUrl(), request.getResponseNonce(), request.hasErrorDetail(),
        request.getResourceNamesList()));
  }

  @Override
  public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
    currentStream.set(streamId);
    answering.set(answer(streamId, request.getTypeUrl(), request.getResponseNonce(), request.hasErrorDetail(), null));
    if (EDS.equals(request.getTypeUrl())) {
      // Delta subscriptions change with every request, also those that open no watch (the library opens one only
      // when no response of the type is unanswered).
      StreamOrder s = streams.computeIfAbsent(streamId, k -> new StreamOrder());
      synchronized (s) {
        s.edsSubscribed = true;
        s.edsRequested.removeAll(request.getResourceNamesUnsubscribeList());
        s.edsUnserved.removeAll(request.getResourceNamesUnsubscribeList());
        s.edsDropped.retainAll(s.edsRequested);
        List<String> added = new ArrayList<>(request.getResourceNamesSubscribeList());
        added.addAll(request.getInitialResourceVersionsMap().keySet());
        s.edsRequested.addAll(added);
        if (s.edsOwed && !request.getResponseNonce().equals(s.edsNonce)) {
          s.edsUnserved.addAll(added);
        }
      }
    }
  }

  private Answer answer(long streamId, String typeUrl, String nonce, boolean rejected, List<String> edsNames) {
    StreamOrder s = streams.computeIfAbsent(streamId, k -> new StreamOrder());
    synchronized (s) {
      // No cluster response can be sent on the stream meanwhile: the library has no cluster watch open while the
      // latest one is unanswered.
      boolean answersCds = CDS.equals(typeUrl) && nonce.equals(s.cdsNonce);
      s.sotw |= edsNames != null;
      boolean answersEds = EDS.equals(typeUrl) && nonce.equals(s.edsNonce);
      if (answersCds && !rejected) {
        // What a delta response is applied to from now on (the next one may be sent before this request settles).
        s.deltaAccepted = s.deltaSent;
      }
      return new Answer(streamId, typeUrl, nonce, rejected, answersCds ? s.edsOfSentClusters : null, edsNames,
          answersEds);
    }
  }

  /** Applies a request once its watch is settled (only requests the server accepted get that far). */
  private void apply(Answer a) {
    StreamOrder s = streams.get(a.stream());
    if (s == null) {
      return;
    }
    synchronized (s) {
      if (CDS.equals(a.typeUrl())) {
        if (a.edsOfAnswered() != null && !a.rejected()) {
          // A client asks for the endpoints of the clusters it accepted only.
          s.edsOfAcceptedClusters.stream().filter(n -> !a.edsOfAnswered().contains(n)).forEach(s.edsDropped::add);
          s.edsDropped.retainAll(s.edsRequested);
          s.edsOfAcceptedClusters = a.edsOfAnswered();
        }
        if (a.nonce().equals(s.cdsNonce)) {
          s.cdsOwed = false; // and no newer response was sent in its place
        }
      } else if (EDS.equals(a.typeUrl())) {
        if (a.edsNames() != null) {
          s.edsSubscribed = true;
          s.edsRequested.clear();
          s.edsRequested.addAll(a.edsNames());
          s.edsDropped.retainAll(s.edsRequested);
        }
        if (a.answersEds()) {
          // The library opened the watch on it with every pending name (the cache answers those at once).
          s.edsUnserved.clear();
        }
        if (a.nonce().equals(s.edsNonce)) {
          s.edsOwed = false;
        }
      }
    }
  }

  @Override
  public void onV3StreamResponse(long streamId, DiscoveryRequest request, DiscoveryResponse response) {
    sent(streamId, response.getTypeUrl(), response.getNonce(), response.getVersionInfo(),
        CDS.equals(response.getTypeUrl()) ? response.getResourcesList() : List.of(), null,
        () -> endpointNames(response.getResourcesList()));
  }

  @Override
  public void onV3StreamDeltaResponse(long streamId, DeltaDiscoveryRequest request, DeltaDiscoveryResponse response) {
    List<Any> clusters = new ArrayList<>();
    if (CDS.equals(response.getTypeUrl())) {
      response.getResourcesList().stream().map(Resource::getResource).forEach(clusters::add);
    }
    sent(streamId, response.getTypeUrl(), response.getNonce(), response.getSystemVersionInfo(), clusters,
        response.getRemovedResourcesList(), () -> {
          // A removal answers a subscription too: the client's cluster finishes warming, without endpoints.
          Set<String> names = new HashSet<>(response.getRemovedResourcesList());
          response.getResourcesList().forEach(r -> names.add(r.getName()));
          return names;
        });
  }

  /**
   * Records a response; {@code removed} are the names a delta response removes (null for state of the world),
   * {@code endpoints} the endpoint names it answers.
   */
  private void sent(long streamId, String type, String nonce, String version, List<Any> clusters,
      List<String> removed, Supplier<Set<String>> endpoints) {
    // A response follows a request of its stream, which made its state; without one the stream has closed (the library
    // runs the close callbacks before it cancels the stream's watches, so a push may still answer one).
    StreamOrder s = streams.get(streamId);
    if (s == null) {
      return;
    }
    synchronized (s) {
      if (CDS.equals(type)) {
        s.cdsNonce = nonce;
        s.cdsVersion = version;
        s.cdsOwed = true;
        if (removed == null) {
          s.edsOfSentClusters = edsNames(clusters);
        } else {
          s.deltaSent = deltaApplied(s.deltaAccepted, clusters, removed);
          s.edsOfSentClusters = Set.copyOf(s.deltaSent.values());
        }
      } else if (EDS.equals(type)) {
        s.edsNonce = nonce;
        s.edsVersion = version;
        s.edsOwed = true;
        if (!s.edsDropped.isEmpty()) {
          // Endpoints of a cluster that came back, sent after the clusters that brought it back: the client has them
          // (it asked again before these arrive, or keeps asking in its request from before).
          endpoints.get().stream().filter(s.edsOfSentClusters::contains).forEach(s.edsDropped::remove);
        }
      }
    }
  }

  private static Set<String> endpointNames(List<Any> endpoints) {
    Set<String> names = new HashSet<>();
    for (Any any : endpoints) {
      try {
        names.add(any.unpack(ClusterLoadAssignment.class).getClusterName());
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("the cache sent endpoints that are not", e);
      }
    }
    return names;
  }

  /** The endpoint names the EDS clusters among these ask for. */
  private static Set<String> edsNames(List<Any> clusters) {
    Set<String> names = new HashSet<>();
    for (Any any : clusters) {
      String name = edsName(cluster(any));
      if (name != null) {
        names.add(name);
      }
    }
    return names;
  }

  /** The EDS name of each EDS cluster held, after a delta cluster response. */
  private static Map<String, String> deltaApplied(Map<String, String> held, List<Any> clusters, List<String> removed) {
    Map<String, String> after = new HashMap<>(held);
    removed.forEach(after::remove);
    for (Any any : clusters) {
      Cluster c = cluster(any);
      String eds = edsName(c);
      if (eds == null) {
        after.remove(c.getName());
      } else {
        after.put(c.getName(), eds);
      }
    }
    return after;
  }

  private static Cluster cluster(Any any) {
    try {
      return any.unpack(Cluster.class);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("the cache sent a cluster that is not one", e);
    }
  }

  /** The endpoint name an EDS cluster asks for; null for other clusters. */
  private static String edsName(Cluster c) {
    if (c.getType() != Cluster.DiscoveryType.EDS) {
      return null;
    }
    String service = c.getEdsClusterConfig().getServiceName();
    return service.isEmpty() ? c.getName() : service;
  }

  @Override
  void streamClosed(long streamId) {
    // The library cancels the stream's watches, held ones included, as it closes.
    streams.remove(streamId);
  }

  /** Whether anything is kept for the stream (for tests: nothing outlives it). */
  boolean tracks(long streamId) {
    return streams.containsKey(streamId);
  }

  /** After a request's watch is settled: applies the request, then releases what no longer waits. */
  private void settled() {
    Answer a = answering.get();
    answering.remove();
    if (a != null) {
      apply(a);
      releaseHeld(a.stream());
    }
  }

  /** Releases the stream's held watches whose snapshot the stream no longer owes clusters or endpoints for. */
  private void releaseHeld(long streamId) {
    StreamOrder s = streams.get(streamId);
    if (s == null) {
      return;
    }
    List<Held> candidates;
    synchronized (s) {
      candidates = List.copyOf(s.held.values());
    }
    // Snapshots are looked up outside the stream's lock: a push answering watches holds the cache's lock and then
    // takes the stream's.
    Map<Held, Snapshot> current = new HashMap<>();
    candidates.forEach(h -> current.put(h, snapshots.apply(h.group())));
    List<Held> released = new ArrayList<>();
    synchronized (s) {
      s.held.values().removeIf(h -> {
        if (!current.containsKey(h)) {
          return false; // held meanwhile, against the state this request left: the next request looks again
        }
        Snapshot snapshot = current.get(h);
        if (snapshot == null || !s.mustWait(snapshot)) {
          released.add(h);
          return true;
        }
        return false;
      });
    }
    released.forEach(Held::reopen);
  }

  /** True when the response may go out now; otherwise {@code held} is kept to be opened again later. */
  private boolean mayRespond(long streamId, String typeUrl, Held held, boolean cancelled) {
    StreamOrder s = streams.get(streamId);
    if (s == null || cancelled) {
      return true; // the stream is gone: the library drops the response itself
    }
    Snapshot snapshot = snapshots.apply(held.group());
    synchronized (s) {
      if (snapshot == null || !s.mustWait(snapshot)) {
        return true;
      }
      s.held.put(typeUrl, held);
      return false;
    }
  }

  private void dropHeld(long streamId, String typeUrl, Held held) {
    StreamOrder s = streams.get(streamId);
    if (s != null) {
      synchronized (s) {
        s.held.remove(typeUrl, held);
      }
    }
  }

  private static boolean ordered(String typeUrl) {
    return LDS.equals(typeUrl) || RDS.equals(typeUrl);
  }

  // ------------------------------------------------------------------ watchers

  /** The watcher to put right above the cache: holds listener and route responses as described above. */
  ConfigWatcher inner() {
    return new ConfigWatcher() {
      @Override
      public Watch createWatch(boolean ads, XdsRequest request, Set<String> knownResourceNames,
          Consumer<Response> responseConsumer, boolean hasClusterChanged, boolean allowDefaultEmptyEdsUpdate) {
        Long stream = currentStream.get();
        if (!ads || stream == null || !ordered(request.getTypeUrl())) {
          return cache.createWatch(ads, request, knownResourceNames, responseConsumer, hasClusterChanged,
              allowDefaultEmptyEdsUpdate);
        }
        OrderedWatch w = new OrderedWatch(stream, request, knownResourceNames, responseConsumer, hasClusterChanged,
            allowDefaultEmptyEdsUpdate);
        w.reopen();
        return w;
      }

      @Override
      public DeltaWatch createDeltaWatch(DeltaXdsRequest request, String requesterVersion,
          Map<String, String> resourceVersions, Set<String> pendingResources, boolean isWildcard,
          Consumer<DeltaResponse> responseConsumer, boolean hasClusterChanged) {
        Long stream = currentStream.get();
        // A per-type delta stream's requests may leave the type out; an ADS one always names it.
        if (stream == null || !ordered(request.getTypeUrl())) {
          return cache.createDeltaWatch(request, requesterVersion, resourceVersions, pendingResources, isWildcard,
              responseConsumer, hasClusterChanged);
        }
        OrderedDeltaWatch w = new OrderedDeltaWatch(stream, request, requesterVersion, resourceVersions,
            pendingResources, isWildcard, responseConsumer, hasClusterChanged);
        w.reopen();
        return w;
      }
    };
  }

  /** The watcher around the whole chain: once a request's own watch is settled, held watches may go. */
  ConfigWatcher outer(ConfigWatcher chain) {
    return new ConfigWatcher() {
      @Override
      public Watch createWatch(boolean ads, XdsRequest request, Set<String> knownResourceNames,
          Consumer<Response> responseConsumer, boolean hasClusterChanged, boolean allowDefaultEmptyEdsUpdate) {
        Watch w = chain.createWatch(ads, request, knownResourceNames, responseConsumer, hasClusterChanged,
            allowDefaultEmptyEdsUpdate);
        settled();
        return w;
      }

      @Override
      public DeltaWatch createDeltaWatch(DeltaXdsRequest request, String requesterVersion,
          Map<String, String> resourceVersions, Set<String> pendingResources, boolean isWildcard,
          Consumer<DeltaResponse> responseConsumer, boolean hasClusterChanged) {
        DeltaWatch w = chain.createDeltaWatch(request, requesterVersion, resourceVersions, pendingResources,
            isWildcard, responseConsumer, hasClusterChanged);
        settled();
        return w;
      }
    };
  }

  /** A state-of-the-world LDS/RDS watch of an ADS stream; its cache watch is opened again when released. */
  private final class OrderedWatch extends Watch implements Held {
    private final long stream;
    private final Set<String> knownResourceNames;
    private final Consumer<Response> consumer;
    private final boolean hasClusterChanged;
    private volatile Watch current;

    OrderedWatch(long stream, XdsRequest request, Set<String> knownResourceNames, Consumer<Response> consumer,
        boolean hasClusterChanged, boolean allowDefaultEmptyEdsUpdate) {
      super(true, allowDefaultEmptyEdsUpdate, request, consumer);
      this.stream = stream;
      this.knownResourceNames = knownResourceNames;
      this.consumer = consumer;
      this.hasClusterChanged = hasClusterChanged;
    }

    @Override
    public String group() {
      return RoutesAfterClusters.group(request().v3Request().getNode());
    }

    @Override
    public void reopen() {
      if (isCancelled()) {
        return;
      }
      // The cache answers from the snapshot current now, so a held response is never one of a stale snapshot.
      current = cache.createWatch(true, request(), knownResourceNames, r -> {
        if (mayRespond(stream, request().getTypeUrl(), this, isCancelled())) {
          consumer.accept(r);
        }
      }, hasClusterChanged, allowDefaultEmptyEdsUpdate());
      if (isCancelled()) {
        current.cancel();
      }
    }

    @Override
    public void cancel() {
      super.cancel();
      dropHeld(stream, request().getTypeUrl(), this);
      Watch w = current;
      if (w != null) {
        w.cancel();
      }
    }
  }

  /** The delta counterpart of {@link OrderedWatch}. */
  private final class OrderedDeltaWatch extends DeltaWatch implements Held {
    private final long stream;
    private final Consumer<DeltaResponse> consumer;
    private final boolean hasClusterChanged;
    private volatile DeltaWatch current;

    OrderedDeltaWatch(long stream, DeltaXdsRequest request, String requesterVersion,
        Map<String, String> resourceVersions, Set<String> pendingResources, boolean isWildcard,
        Consumer<DeltaResponse> consumer, boolean hasClusterChanged) {
      super(request, resourceVersions, pendingResources, requesterVersion, isWildcard, consumer);
      this.stream = stream;
      this.consumer = consumer;
      this.hasClusterChanged = hasClusterChanged;
    }

    @Override
    public String group() {
      return RoutesAfterClusters.group(request().v3Request().getNode());
    }

    @Override
    public void reopen() {
      if (isCancelled()) {
        return;
      }
      current = cache.createDeltaWatch(request(), version(), trackedResources(), pendingResources(), isWildcard(),
          r -> {
            if (mayRespond(stream, request().getTypeUrl(), this, isCancelled())) {
              consumer.accept(r);
            }
          }, hasClusterChanged);
      if (isCancelled()) {
        current.cancel();
      }
    }

    @Override
    public void cancel() {
      super.cancel();
      dropHeld(stream, request().getTypeUrl(), this);
      DeltaWatch w = current;
      if (w != null) {
        w.cancel();
      }
    }
  }
}
