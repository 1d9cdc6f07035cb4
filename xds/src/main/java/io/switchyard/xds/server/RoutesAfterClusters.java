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
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import java.util.ArrayList;
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
 * <p>Sits right above the cache: every answer is given while {@link OrderedSnapshotCache} excludes publishing, so the
 * cache's snapshot is the one answering, and a held watch can be asked again with the same arguments. The stream id
 * reaches {@code createWatch} in a thread local, as for the other watchers.
 */
final class RoutesAfterClusters extends StreamScopedCallbacks implements ConfigWatcher {
  private final SimpleCache<String> cache;
  private final ThreadLocal<Long> currentStream = new ThreadLocal<>();
  private final Map<Long, StreamState> streams = new ConcurrentHashMap<>();

  /** What a stream subscribed to and was sent of the clusters, and the answers held for them. */
  private static final class StreamState {
    final String group;
    boolean wildcard;
    final Set<String> sent = new HashSet<>();
    final List<Held> held = new ArrayList<>();

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

  RoutesAfterClusters(SimpleCache<String> cache) {
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
      StreamState s = streams.computeIfAbsent(stream, k -> new StreamState(request.v3Request().getNode().getCluster()));
      Snapshot snapshot = cache.getSnapshot(s.group);
      synchronized (s) {
        // Wildcards reach the cache as an empty name list (WildcardSubscriptions).
        s.wildcard = request.getResourceNamesList().isEmpty();
        if (snapshot != null && request.getVersionInfo().equals(snapshot.version(ResourceType.CLUSTER))) {
          // It holds these clusters already, e.g. from before it reconnected: the cache will not send them again.
          s.sent.addAll(snapshot.resources(ResourceType.CLUSTER).keySet());
        }
      }
      return cache.createWatch(ads, request, knownResourceNames, r -> {
        responseConsumer.accept(r);
        clustersSent(stream, r.resources().stream().map(c -> ((Cluster) c).getName()).toList(), List.of(), true);
      }, hasClusterChanged, allowDefaultEmptyEdsUpdate);
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
      StreamState s = streams.computeIfAbsent(stream, k -> new StreamState(request.v3Request().getNode().getCluster()));
      synchronized (s) {
        s.wildcard = isWildcard;
        // What it holds (also what a reconnecting client listed in initial_resource_versions): not sent again.
        s.sent.addAll(resourceVersions.keySet());
      }
      return cache.createDeltaWatch(request, requesterVersion, resourceVersions, pendingResources, isWildcard, r -> {
        responseConsumer.accept(r);
        clustersSent(stream, r.resources().keySet(), r.removedResources(), false);
      }, hasClusterChanged);
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
      if (!s.wildcard || snapshot == null || s.sent.containsAll(snapshot.resources(ResourceType.CLUSTER).keySet())) {
        send.run();
        return;
      }
      h.answeredFrom = snapshot;
      h.pendingAnswer = send;
      s.held.add(h);
    }
  }

  /** A cluster response went out on the stream: what it sent counts, and held answers that waited for it go. */
  private void clustersSent(long stream, Iterable<String> names, List<String> removed, boolean stateOfTheWorld) {
    StreamState s = streams.get(stream);
    if (s == null) {
      return;
    }
    Snapshot now = cache.getSnapshot(s.group);
    List<Held> release;
    synchronized (s) {
      if (stateOfTheWorld) {
        s.sent.clear();
      }
      names.forEach(s.sent::add);
      removed.forEach(s.sent::remove);
      release = List.copyOf(s.held);
      s.held.clear();
    }
    // Each goes out, or is held again, by the same rule; from the current snapshot if the held one is outdated.
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
