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
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
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
 * snapshot for the group nothing is reported (nothing is known yet).
 *
 * <p>The protocol also keeps a name subscribed after the server removed its resource ("the server must ... send the
 * resource when it exists again"), but the library forgets a name once the client ACKs its removal: it is neither
 * tracked nor pending, so the resource was never sent again. Here the names each stream subscribed to by name are
 * remembered (subscribe and unsubscribe lists; for types without a wildcard also the {@code initial_resource_versions}
 * of a reconnect), and those the library holds neither way are handed to the cache as pending again. A removal the
 * cache sent counts as the answer for that subscription, so it is not reported once more as missing.
 *
 * <p>State is per stream and type; the server calls the request callback and then asks for the watch on the same
 * thread, which is how the stream id gets here.
 */
final class MissingResources extends StreamScopedCallbacks implements ConfigWatcher {
  private record StreamType(long stream, String typeUrl) {}

  private final ConfigWatcher delegate;
  private final SimpleCache<String> cache;
  private final ThreadLocal<Long> currentStream = new ThreadLocal<>();
  // Names reported missing (or removed) that the client has not subscribed to again since.
  private final Map<StreamType, Set<String>> reported = new ConcurrentHashMap<>();
  // Names the client subscribed to by name and has not unsubscribed from; never the wildcard.
  private final Map<StreamType, Set<String>> subscribed = new ConcurrentHashMap<>();

  /** Watches go to {@code delegate}; the snapshots looked at are {@code cache}'s. */
  MissingResources(ConfigWatcher delegate, SimpleCache<String> cache) {
    this.delegate = delegate;
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
    StreamType key = new StreamType(streamId, request.getTypeUrl());
    Set<String> names = reported.get(key);
    if (names != null) {
      // Subscribing again asks again; unsubscribing ends the subscription that was answered.
      request.getResourceNamesSubscribeList().forEach(names::remove);
      request.getResourceNamesUnsubscribeList().forEach(names::remove);
    }
    // As the library does: unsubscribe first, then subscribe.
    Set<String> current = subscribed.get(key);
    if (current != null) {
      request.getResourceNamesUnsubscribeList().forEach(current::remove);
    }
    // For listeners and clusters a reconnecting wildcard subscriber lists what it got through the wildcard there,
    // which it never named; other types have no wildcard, so what the client holds it subscribed to.
    boolean initialNames = !WildcardSubscriptions.hasWildcardSemantics(request.getTypeUrl())
        && request.getInitialResourceVersionsCount() > 0;
    if (request.getResourceNamesSubscribeCount() > 0 || initialNames) {
      Set<String> added = subscribed.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet());
      for (String name : request.getResourceNamesSubscribeList()) {
        if (!WildcardSubscriptions.WILDCARD.equals(name)) {
          added.add(name);
        }
      }
      if (initialNames) {
        added.addAll(request.getInitialResourceVersionsMap().keySet());
      }
    }
  }

  @Override
  public void onV3StreamDeltaResponse(long streamId, DeltaDiscoveryRequest request, DeltaDiscoveryResponse response) {
    if (response.getRemovedResourcesCount() == 0) {
      return;
    }
    // Keyed like the requests: on a per-type (non-ADS) stream their type URL may be empty.
    StreamType key = new StreamType(streamId, request.getTypeUrl());
    Set<String> names = subscribed.get(key);
    if (names == null) {
      return;
    }
    // The removal answers the subscription: the name is not to be reported missing again until re-subscribed.
    for (String name : response.getRemovedResourcesList()) {
      if (names.contains(name)) {
        reported.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(name);
      }
    }
  }

  @Override
  void streamClosed(long streamId) {
    reported.keySet().removeIf(k -> k.stream() == streamId);
    subscribed.keySet().removeIf(k -> k.stream() == streamId);
  }

  // ------------------------------------------------------------------ watches

  @Override
  public Watch createWatch(boolean ads, XdsRequest request, Set<String> knownResourceNames,
      Consumer<Response> responseConsumer, boolean hasClusterChanged, boolean allowDefaultEmptyEdsUpdate) {
    return delegate.createWatch(ads, request, knownResourceNames, responseConsumer, hasClusterChanged,
        allowDefaultEmptyEdsUpdate);
  }

  @Override
  public DeltaWatch createDeltaWatch(DeltaXdsRequest request, String requesterVersion,
      Map<String, String> resourceVersions, Set<String> pendingResources, boolean isWildcard,
      Consumer<DeltaResponse> responseConsumer, boolean hasClusterChanged) {
    Long stream = currentStream.get();
    if (stream != null) {
      pendingResources = withForgottenSubscriptions(stream, request.getTypeUrl(), resourceVersions, pendingResources);
    }
    Set<String> missing = stream == null || pendingResources.isEmpty()
        ? Set.of() : missing(stream, request, resourceVersions, pendingResources);
    if (missing.isEmpty()) {
      return delegate.createDeltaWatch(request, requesterVersion, resourceVersions, pendingResources, isWildcard,
          responseConsumer, hasClusterChanged);
    }
    Map<String, String> tracked = new HashMap<>(resourceVersions);
    // No snapshot has an empty version, so the cache will not take these for up to date.
    missing.forEach(name -> tracked.put(name, ""));
    reported.computeIfAbsent(new StreamType(stream, request.getTypeUrl()), k -> ConcurrentHashMap.newKeySet())
        .addAll(missing);
    return delegate.createDeltaWatch(request, "", tracked, pendingResources, isWildcard, responseConsumer,
        hasClusterChanged);
  }

  /** The pending names plus the subscribed ones the library holds neither as tracked nor as pending. */
  private Set<String> withForgottenSubscriptions(long stream, String typeUrl, Map<String, String> tracked,
      Set<String> pending) {
    Set<String> names = subscribed.get(new StreamType(stream, typeUrl));
    if (names == null) {
      return pending;
    }
    Set<String> out = null;
    for (String name : names) {
      if (!tracked.containsKey(name) && !pending.contains(name)) {
        if (out == null) {
          out = new HashSet<>(pending);
        }
        out.add(name);
      }
    }
    return out == null ? pending : out;
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
