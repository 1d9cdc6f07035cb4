package io.switchyard.xds.server;

import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.envoyproxy.controlplane.cache.DeltaResponse;
import io.envoyproxy.controlplane.cache.DeltaWatch;
import io.envoyproxy.controlplane.cache.DeltaXdsRequest;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Delta: tells a client which of the names it subscribed to do not exist, as xds_protocol.rst requires ("Knowing When
 * a Requested Resource Does Not Exist", incremental variant): the name comes back in {@code removed_resources}, so
 * the client need not wait for its initial fetch timeout (Envoy's EDS cluster then finishes warming at once, with no
 * endpoints, instead of after {@code initial_fetch_timeout}).
 *
 * <p>java-control-plane 1.0.49 only reports as removed the names the client holds a version of; a subscribed name it
 * never had stays pending and is never answered. Here such a name is handed to the cache as if the client held it: the
 * cache then lists it in {@code removed_resources} itself, next to whatever else it sends. The requester version is
 * cleared for that watch so that the cache compares the resources now rather than waiting for a new snapshot version
 * (its tracked versions still keep unchanged resources from being sent again).
 *
 * <p>Each missing name is reported once per subscription: again only after the client subscribes to it again. It stays
 * pending in the library, so when the resource appears later it is sent, as the protocol also requires. Without a
 * snapshot for the group nothing is reported (nothing is known yet). State is per stream and type; the server calls
 * the request callback and then asks for the watch on the same thread, which is how the stream id gets here.
 */
final class MissingResources implements ConfigWatcher, DiscoveryServerCallbacks {
  private record StreamType(long stream, String typeUrl) {}

  private final SimpleCache<String> cache;
  private final ThreadLocal<Long> currentStream = new ThreadLocal<>();
  // Names reported missing that the client has not subscribed to again since.
  private final Map<StreamType, Set<String>> reported = new ConcurrentHashMap<>();

  MissingResources(SimpleCache<String> cache) {
    this.cache = cache;
  }

  // ------------------------------------------------------------------ callbacks

  @Override
  public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
    // State of the world has no way to say "does not exist"; nothing to do.
  }

  @Override
  public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
    currentStream.set(streamId);
    Set<String> names = reported.get(new StreamType(streamId, request.getTypeUrl()));
    if (names != null) {
      // Subscribing again asks again; unsubscribing ends the subscription that was answered.
      request.getResourceNamesSubscribeList().forEach(names::remove);
      request.getResourceNamesUnsubscribeList().forEach(names::remove);
    }
  }

  @Override
  public void onStreamClose(long streamId, String typeUrl) {
    forget(streamId);
  }

  @Override
  public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
    forget(streamId);
  }

  private void forget(long streamId) {
    reported.keySet().removeIf(k -> k.stream() == streamId);
  }

  // ------------------------------------------------------------------ watches

  @Override
  public Watch createWatch(boolean ads, XdsRequest request, Set<String> knownResourceNames,
      Consumer<Response> responseConsumer, boolean hasClusterChanged, boolean allowDefaultEmptyEdsUpdate) {
    return cache.createWatch(ads, request, knownResourceNames, responseConsumer, hasClusterChanged,
        allowDefaultEmptyEdsUpdate);
  }

  @Override
  public DeltaWatch createDeltaWatch(DeltaXdsRequest request, String requesterVersion,
      Map<String, String> resourceVersions, Set<String> pendingResources, boolean isWildcard,
      Consumer<DeltaResponse> responseConsumer, boolean hasClusterChanged) {
    Long stream = currentStream.get();
    Set<String> missing = stream == null || pendingResources.isEmpty()
        ? Set.of() : missing(stream, request, resourceVersions, pendingResources);
    if (missing.isEmpty()) {
      return cache.createDeltaWatch(request, requesterVersion, resourceVersions, pendingResources, isWildcard,
          responseConsumer, hasClusterChanged);
    }
    Map<String, String> tracked = new HashMap<>(resourceVersions);
    // No snapshot has an empty version, so the cache will not take these for up to date.
    missing.forEach(name -> tracked.put(name, ""));
    reported.computeIfAbsent(new StreamType(stream, request.getTypeUrl()), k -> ConcurrentHashMap.newKeySet())
        .addAll(missing);
    return cache.createDeltaWatch(request, "", tracked, pendingResources, isWildcard, responseConsumer,
        hasClusterChanged);
  }

  /** Pending names the group's snapshot does not have and that were not reported on this subscription yet. */
  private Set<String> missing(long stream, DeltaXdsRequest request, Map<String, String> tracked,
      Set<String> pending) {
    Snapshot snapshot = cache.getSnapshot(request.v3Request().getNode().getCluster());
    if (snapshot == null || request.getResourceType() == null) {
      return Set.of();
    }
    Map<String, ?> existing = snapshot.resources(request.getResourceType());
    Set<String> done = reported.getOrDefault(new StreamType(stream, request.getTypeUrl()), Set.of());
    Set<String> missing = new HashSet<>();
    for (String name : pending) {
      // A tracked name the cache removes itself.
      if (!existing.containsKey(name) && !tracked.containsKey(name) && !done.contains(name)) {
        missing.add(name);
      }
    }
    return missing;
  }
}
