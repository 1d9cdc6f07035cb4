package io.switchyard.xds.server;

import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import io.envoyproxy.controlplane.cache.AbstractWatch;
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
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Keeps, per ADS stream, listeners and routes behind the clusters of the snapshot they come from, as xds_protocol.rst
 * asks ("Eventual consistency considerations": CDS before the LDS/RDS that use the clusters).
 *
 * <p>java-control-plane 1.0.49 answers a type only while the client has a request of that type open, and a client has
 * none between a response and its ACK. An edit landing while a client's ACK of the previous clusters is on its way
 * therefore found the listener and route watches open but not the cluster one: the new routes went out at once and
 * the new clusters they use one round trip later (Envoy answered 503 NC for them meanwhile).
 *
 * <p>Here a listener or route answer for a stream that subscribes to every cluster (wildcard CDS, as Envoy does) is
 * held while the snapshot it comes from has a cluster the stream has not been sent, and goes out right after the
 * cluster response that sends it; if the snapshot changed meanwhile, the held request is answered from the new one
 * instead. Streams without a cluster subscription, or naming their clusters (proxyless gRPC names the clusters its
 * routes use, so it can only ask for a new one after getting the routes), are never held. A rejected cluster update
 * still counts as sent: Envoy keeps the clusters of a rejected update that it could add, and the rejection parks the
 * cluster watch only until a snapshot with other clusters, whose cluster response then releases what is held.
 *
 * <p>The answers also wait for the endpoints of the new EDS clusters of their snapshot (the same section: CDS, then
 * EDS, then LDS/RDS): Envoy keeps a new EDS cluster warming until its endpoints arrive (our clusters have no initial
 * fetch timeout) and answers 503 NC for a route to it meanwhile, and it asks for those endpoints only once it has the
 * cluster. A cluster response that sends a cluster whose endpoints the stream has not been sent, to a stream that
 * subscribes to endpoints at all, makes the stream wait for those endpoints; the wait ends, for each, at the first of:
 * an endpoint response carrying them (or their removal) goes out; an endpoint request naming them is not answered at
 * once (the cache has nothing new for them before the next snapshot, e.g. a NACK parked it); the client answers the
 * cluster response (its ACK or NACK) while its endpoint subscription does not name them (Envoy asks for a new
 * cluster's endpoints before it ACKs the clusters: CdsApiHelper pauses EDS requests during a cluster update and
 * resumes them when it is applied), or later drops them from that subscription; the snapshot no longer has the
 * cluster. Each of these depends only on what the client sends next, so nothing is held for ever by a client that
 * never asks: at worst until its cluster ACK, which the cluster hold above already relies on.
 *
 * <p>Sits right above the cache: every answer is given while {@link OrderedSnapshotCache} excludes publishing, so the
 * cache's snapshot is the one answering, and a held watch can be asked again with the same arguments. The stream id
 * reaches {@code createWatch} in a thread local, as for the other watchers.
 */
final class RoutesAfterClusters extends StreamScopedCallbacks implements ConfigWatcher {
  private final OrderedSnapshotCache cache;
  private final ThreadLocal<Long> currentStream = new ThreadLocal<>();
  private final Map<Long, StreamState> streams = new ConcurrentHashMap<>();

  /** What a stream subscribed to and was sent of the clusters, and the answers held for them. */
  private static final class StreamState {
    final String group;
    boolean wildcard;
    final Set<String> sent = new HashSet<>();
    final List<Held> held = new ArrayList<>();
    // Endpoint (EDS) names: those the stream subscribes to, those it was sent (while it has their cluster), those of
    // new clusters the held answers wait for, and of these the ones whose cluster response is not answered yet.
    Set<String> endpointSubscription = new HashSet<>();
    final Set<String> endpointsSent = new HashSet<>();
    final Set<String> awaited = new HashSet<>();
    final Set<String> unanswered = new HashSet<>();
    // The endpoint name of each EDS cluster the stream was sent, to forget its endpoints when the cluster goes.
    final Map<String, String> endpointsOfCluster = new HashMap<>();

    StreamState(String group) {
      this.group = group;
    }
  }

  /** A listener or route watch of a stream: its answer is held, or it waits in the cache. */
  private abstract static class Held {
    final long stream;
    Snapshot answeredFrom;
    Runnable pendingAnswer;
    boolean cancelled;

    Held(long stream) {
      this.stream = stream;
    }

    private AbstractWatch<?, ?> inner;
    private boolean stopped;

    /** Asks the cache again, with the arguments of the watch this one stands for. */
    abstract void watchAgain();

    /** The cache's watch now standing for this one; cancelled at once if the stream no longer wants it. */
    synchronized void inner(AbstractWatch<?, ?> watch) {
      inner = watch;
      if (stopped) {
        watch.cancel();
      }
    }

    synchronized void cancelInner() {
      stopped = true;
      if (inner != null) {
        inner.cancel();
      }
    }
  }

  RoutesAfterClusters(OrderedSnapshotCache cache) {
    this.cache = cache;
  }

  // ------------------------------------------------------------------ callbacks

  @Override
  public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
    currentStream.set(streamId);
  }

  @Override
  public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
    currentStream.set(streamId);
  }

  @Override
  void streamClosed(long streamId) {
    StreamState s = streams.remove(streamId);
    if (s != null) {
      synchronized (s) {
        s.held.forEach(h -> h.cancelled = true);
        s.held.clear();
      }
    }
  }

  private static boolean ordered(String typeUrl) {
    return Resources.V3.LISTENER_TYPE_URL.equals(typeUrl) || Resources.V3.ROUTE_TYPE_URL.equals(typeUrl);
  }

  /** The name of the endpoints (ClusterLoadAssignment) an EDS cluster asks for; null for other clusters. */
  private static String endpointName(Cluster c) {
    if (c.getType() != Cluster.DiscoveryType.EDS) {
      return null;
    }
    String service = c.getEdsClusterConfig().getServiceName();
    return service.isEmpty() ? c.getName() : service;
  }

  private StreamState state(long stream, String group) {
    return streams.computeIfAbsent(stream, k -> new StreamState(group));
  }

  /**
   * A cluster request (the client's answer to the clusters it was sent, Envoy sending it after asking for the new
   * clusters' endpoints): endpoints it did not ask for by then are not waited for.
   */
  private static void clustersAnswered(StreamState s) {
    synchronized (s) {
      s.unanswered.clear();
      s.awaited.retainAll(s.endpointSubscription);
    }
  }

  /**
   * An endpoint request was handled: what it subscribes to now is {@code subscription}. Awaited names it covers that
   * were not answered at once get nothing before the next snapshot, so they are not waited for; names it dropped
   * are not either, once the client answered their clusters.
   */
  private static void endpointsAsked(StreamState s, Set<String> subscription) {
    synchronized (s) {
      s.awaited.removeAll(subscription);
      s.awaited.removeIf(n -> !s.unanswered.contains(n) && !s.endpointSubscription.contains(n));
      s.unanswered.retainAll(s.awaited);
    }
  }

  // ------------------------------------------------------------------ state of the world

  @Override
  public Watch createWatch(boolean ads, XdsRequest request, Set<String> knownResourceNames,
      Consumer<Response> responseConsumer, boolean hasClusterChanged, boolean allowDefaultEmptyEdsUpdate) {
    Long stream = currentStream.get();
    String typeUrl = request.getTypeUrl();
    if (!ads || stream == null) {
      return cache.createWatch(ads, request, knownResourceNames, responseConsumer, hasClusterChanged,
          allowDefaultEmptyEdsUpdate);
    }
    if (Resources.V3.CLUSTER_TYPE_URL.equals(typeUrl)) {
      StreamState s = state(stream, request.v3Request().getNode().getCluster());
      Snapshot snapshot = cache.getSnapshot(s.group);
      synchronized (s) {
        // Wildcards reach the cache as an empty name list (WildcardSubscriptions).
        s.wildcard = request.getResourceNamesList().isEmpty();
        if (snapshot != null && request.getVersionInfo().equals(snapshot.version(ResourceType.CLUSTER))) {
          // It holds these clusters already, e.g. from before it reconnected: the cache will not send them again.
          s.sent.addAll(snapshot.resources(ResourceType.CLUSTER).keySet());
        }
      }
      clustersAnswered(s);
      Watch watch = cache.createWatch(ads, request, knownResourceNames, r -> {
        responseConsumer.accept(r);
        clustersSent(stream, r.resources().stream().map(c -> (Cluster) c).toList(), List.of(), true);
      }, hasClusterChanged, allowDefaultEmptyEdsUpdate);
      cache.whileNotPublishing(() -> release(s));
      return watch;
    }
    if (Resources.V3.ENDPOINT_TYPE_URL.equals(typeUrl)) {
      StreamState s = state(stream, request.v3Request().getNode().getCluster());
      Set<String> subscription = Set.copyOf(request.getResourceNamesList());
      synchronized (s) {
        s.endpointSubscription = new HashSet<>(subscription);
      }
      Watch watch = cache.createWatch(ads, request, knownResourceNames, r -> {
        responseConsumer.accept(r);
        endpointsSent(stream,
            r.resources().stream().map(e -> ((ClusterLoadAssignment) e).getClusterName()).toList(), List.of());
      }, hasClusterChanged, allowDefaultEmptyEdsUpdate);
      endpointsAsked(s, subscription);
      cache.whileNotPublishing(() -> release(s));
      return watch;
    }
    if (!ordered(typeUrl)) {
      return cache.createWatch(ads, request, knownResourceNames, responseConsumer, hasClusterChanged,
          allowDefaultEmptyEdsUpdate);
    }
    Watch outer = new Watch(ads, allowDefaultEmptyEdsUpdate, request, responseConsumer);
    Held h = new Held(stream) {
      @Override
      void watchAgain() {
        inner(cache.createWatch(ads, request, knownResourceNames, r -> answered(this, () -> responseConsumer.accept(r)),
            hasClusterChanged, allowDefaultEmptyEdsUpdate));
      }
    };
    outer.setStop(() -> cancel(h));
    h.watchAgain();
    return outer;
  }

  // ------------------------------------------------------------------ delta

  @Override
  public DeltaWatch createDeltaWatch(DeltaXdsRequest request, String requesterVersion,
      Map<String, String> resourceVersions, Set<String> pendingResources, boolean isWildcard,
      Consumer<DeltaResponse> responseConsumer, boolean hasClusterChanged) {
    Long stream = currentStream.get();
    String typeUrl = request.getTypeUrl();
    if (stream == null) {
      return cache.createDeltaWatch(request, requesterVersion, resourceVersions, pendingResources, isWildcard,
          responseConsumer, hasClusterChanged);
    }
    if (Resources.V3.CLUSTER_TYPE_URL.equals(typeUrl)) {
      StreamState s = state(stream, request.v3Request().getNode().getCluster());
      synchronized (s) {
        s.wildcard = isWildcard;
        // What it holds (also what a reconnecting client listed in initial_resource_versions): not sent again.
        s.sent.addAll(resourceVersions.keySet());
      }
      clustersAnswered(s);
      DeltaWatch watch = cache.createDeltaWatch(request, requesterVersion, resourceVersions, pendingResources,
          isWildcard, r -> {
            responseConsumer.accept(r);
            clustersSent(stream, r.resources().values().stream().map(v -> (Cluster) v.resource()).toList(),
                r.removedResources(), false);
          }, hasClusterChanged);
      cache.whileNotPublishing(() -> release(s));
      return watch;
    }
    if (Resources.V3.ENDPOINT_TYPE_URL.equals(typeUrl)) {
      StreamState s = state(stream, request.v3Request().getNode().getCluster());
      Set<String> subscription = new HashSet<>(resourceVersions.keySet());
      subscription.addAll(pendingResources);
      synchronized (s) {
        s.endpointSubscription = new HashSet<>(subscription);
      }
      DeltaWatch watch = cache.createDeltaWatch(request, requesterVersion, resourceVersions, pendingResources,
          isWildcard, r -> {
            responseConsumer.accept(r);
            endpointsSent(stream, r.resources().keySet(), r.removedResources());
          }, hasClusterChanged);
      endpointsAsked(s, subscription);
      cache.whileNotPublishing(() -> release(s));
      return watch;
    }
    if (!ordered(typeUrl)) {
      return cache.createDeltaWatch(request, requesterVersion, resourceVersions, pendingResources, isWildcard,
          responseConsumer, hasClusterChanged);
    }
    DeltaWatch outer = new DeltaWatch(request, ImmutableMap.copyOf(resourceVersions),
        ImmutableSet.copyOf(pendingResources), requesterVersion, isWildcard, responseConsumer);
    Held h = new Held(stream) {
      @Override
      void watchAgain() {
        inner(cache.createDeltaWatch(request, requesterVersion, resourceVersions, pendingResources, isWildcard,
            r -> answered(this, () -> responseConsumer.accept(r)), hasClusterChanged));
      }
    };
    outer.setStop(() -> cancel(h));
    h.watchAgain();
    return outer;
  }

  // ------------------------------------------------------------------ holding and releasing

  /** The cache answers a listener or route watch: send it now, or hold it until the stream has the clusters. */
  private void answered(Held h, Runnable send) {
    StreamState s = streams.get(h.stream);
    if (s == null) {
      send.run();
      return;
    }
    Snapshot snapshot = cache.getSnapshot(s.group);
    synchronized (s) {
      if (h.cancelled) {
        return;
      }
      if (!s.wildcard || snapshot == null || (s.sent.containsAll(snapshot.resources(ResourceType.CLUSTER).keySet())
          && !awaitsEndpoints(s, snapshot))) {
        send.run();
        return;
      }
      h.answeredFrom = snapshot;
      h.pendingAnswer = send;
      s.held.add(h);
    }
  }

  /** Whether the stream still waits for the endpoints of an EDS cluster of {@code snapshot}; under its lock. */
  private static boolean awaitsEndpoints(StreamState s, Snapshot snapshot) {
    if (s.awaited.isEmpty()) {
      return false;
    }
    for (Object c : snapshot.resources(ResourceType.CLUSTER).values()) {
      String endpoints = endpointName((Cluster) c);
      if (endpoints != null && s.awaited.contains(endpoints)) {
        return true;
      }
    }
    return false;
  }

  /**
   * A cluster response went out on the stream: what it sent counts, the endpoints of its new EDS clusters are waited
   * for, and held answers that waited for it go.
   */
  private void clustersSent(long stream, Collection<Cluster> clusters, List<String> removed, boolean stateOfTheWorld) {
    StreamState s = streams.get(stream);
    if (s == null) {
      return;
    }
    synchronized (s) {
      if (stateOfTheWorld) {
        s.sent.clear();
        // Clusters the response leaves out are gone from the client, and so are their endpoints.
        Set<String> kept = new HashSet<>();
        clusters.forEach(c -> kept.add(c.getName()));
        new ArrayList<>(s.endpointsOfCluster.keySet()).stream().filter(n -> !kept.contains(n)).forEach(n ->
            forgetEndpoints(s, n));
      }
      removed.forEach(n -> {
        s.sent.remove(n);
        forgetEndpoints(s, n);
      });
      for (Cluster c : clusters) {
        s.sent.add(c.getName());
        String endpoints = endpointName(c);
        if (endpoints == null) {
          continue;
        }
        s.endpointsOfCluster.put(c.getName(), endpoints);
        // A stream subscribing to no endpoints is not Envoy warming EDS clusters: it is not made to wait for them.
        if (!s.endpointsSent.contains(endpoints) && !s.endpointSubscription.isEmpty()) {
          s.awaited.add(endpoints);
          s.unanswered.add(endpoints);
        }
      }
    }
    release(s);
  }

  private static void forgetEndpoints(StreamState s, String cluster) {
    String endpoints = s.endpointsOfCluster.remove(cluster);
    if (endpoints != null && !s.endpointsOfCluster.containsValue(endpoints)) {
      s.endpointsSent.remove(endpoints);
      s.awaited.remove(endpoints);
      s.unanswered.remove(endpoints);
    }
  }

  /** An endpoint response went out on the stream: its endpoints (and removals) are no longer waited for. */
  private void endpointsSent(long stream, Collection<String> names, List<String> removed) {
    StreamState s = streams.get(stream);
    if (s == null) {
      return;
    }
    synchronized (s) {
      s.endpointsSent.addAll(names);
      names.forEach(s.awaited::remove);
      removed.forEach(s.awaited::remove);
      s.unanswered.retainAll(s.awaited);
    }
    release(s);
  }

  /**
   * Held answers go out, or are held again, by the same rule; from the current snapshot if the held one is outdated.
   * Called while no snapshot is being set.
   */
  private void release(StreamState s) {
    Snapshot now = cache.getSnapshot(s.group);
    List<Held> release;
    synchronized (s) {
      release = List.copyOf(s.held);
      s.held.clear();
    }
    for (Held h : release) {
      Runnable send;
      boolean outdated;
      synchronized (s) {
        if (h.cancelled) {
          continue;
        }
        send = h.pendingAnswer;
        outdated = now != null && h.answeredFrom != now;
        h.pendingAnswer = null;
        h.answeredFrom = null;
      }
      if (outdated) {
        h.watchAgain();
      } else {
        answered(h, send);
      }
    }
  }

  private void cancel(Held h) {
    StreamState s = streams.get(h.stream);
    if (s != null) {
      synchronized (s) {
        h.cancelled = true;
        s.held.remove(h);
      }
    } else {
      h.cancelled = true;
    }
    h.cancelInner();
  }
}
