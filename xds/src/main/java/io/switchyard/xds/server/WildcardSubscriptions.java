package io.switchyard.xds.server;

import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.envoyproxy.controlplane.cache.DeltaResponse;
import io.envoyproxy.controlplane.cache.DeltaWatch;
import io.envoyproxy.controlplane.cache.DeltaXdsRequest;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Listener and cluster subscriptions as the xDS protocol defines them ("How the client specifies what resources to
 * return"), which java-control-plane 1.0.49 does not:
 *
 * <ul>
 *   <li>The name {@code *} subscribes to every resource of the type, alone or next to other names. The library takes
 *       it for a resource name, and over ADS withholds the answer forever because no resource has that name.
 *   <li>An empty name list means "everything" only while the stream has never named a resource of that type (legacy
 *       wildcard); after that it means "nothing". The library always reads it as "everything".
 *   <li>Delta: a stream is a wildcard subscriber only after an empty first request or a subscription to {@code *},
 *       and stops being one when it unsubscribes from {@code *}. The library makes every CDS/LDS delta stream a
 *       wildcard subscriber, so a client naming one cluster receives all of them.
 *   <li>Newly requested resources are sent even if unchanged: turning wildcard on re-sends every resource.
 * </ul>
 *
 * <p>Only listeners and clusters have wildcard semantics; other types pass through unchanged. State is per stream
 * and type; gRPC delivers one stream's requests one at a time, and the server runs the request callbacks and then
 * asks for the watch on the same thread, which is how the stream id reaches {@code createWatch}.
 */
final class WildcardSubscriptions extends StreamScopedCallbacks implements ConfigWatcher {
  static final String WILDCARD = "*";

  private record StreamType(long stream, String typeUrl) {}

  /** SotW: has the stream named resources of this type, and was its last accepted request a wildcard one. */
  private static final class SotwState {
    boolean explicit;
    Boolean lastWildcard;
  }

  private static final class DeltaState {
    boolean seen;
    boolean wildcard;
    boolean resendAll;
    final Set<String> names = new HashSet<>();
    // Names unsubscribed while the wildcard stays on, not answered yet: the client cannot tell whether to keep them.
    final Set<String> toSettle = new HashSet<>();
  }

  private final ConfigWatcher delegate;
  private final ThreadLocal<Long> currentStream = new ThreadLocal<>();
  private final Map<StreamType, SotwState> sotw = new ConcurrentHashMap<>();
  private final Map<StreamType, DeltaState> delta = new ConcurrentHashMap<>();
  // Delta, every type: what a reconnecting client said it has (initial_resource_versions) and has not heard about
  // since on this stream. The library ignores the field, so resources deleted meanwhile were never removed.
  private final Map<StreamType, Map<String, String>> initial = new ConcurrentHashMap<>();

  WildcardSubscriptions(ConfigWatcher delegate) {
    this.delegate = delegate;
  }

  static boolean hasWildcardSemantics(String typeUrl) {
    return Resources.V3.CLUSTER_TYPE_URL.equals(typeUrl) || Resources.V3.LISTENER_TYPE_URL.equals(typeUrl);
  }

  // ------------------------------------------------------------------ callbacks

  @Override
  public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
    currentStream.set(streamId);
  }

  @Override
  public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
    currentStream.set(streamId);
    StreamType key = new StreamType(streamId, request.getTypeUrl());
    if (!request.getInitialResourceVersionsMap().isEmpty()) {
      initial.putIfAbsent(key, new ConcurrentHashMap<>(request.getInitialResourceVersionsMap()));
    }
    Map<String, String> known = initial.get(key);
    if (known != null) {
      request.getResourceNamesUnsubscribeList().forEach(known::remove);
    }
    if (!hasWildcardSemantics(request.getTypeUrl())) {
      return;
    }
    // Subscriptions change with every request, even one whose nonce is stale (the protocol says so for delta).
    DeltaState s = delta.computeIfAbsent(new StreamType(streamId, request.getTypeUrl()), k -> new DeltaState());
    List<String> subscribe = request.getResourceNamesSubscribeList();
    if (!s.seen && subscribe.isEmpty()) {
      s.wildcard = true;
    }
    s.seen = true;
    for (String name : subscribe) {
      if (WILDCARD.equals(name)) {
        s.resendAll |= !s.wildcard;
        s.wildcard = true;
      } else {
        s.names.add(name);
        s.toSettle.remove(name);
      }
    }
    for (String name : request.getResourceNamesUnsubscribeList()) {
      if (WILDCARD.equals(name)) {
        s.wildcard = false;
        s.resendAll = false;
      } else if (s.names.remove(name)) {
        s.toSettle.add(name);
      }
    }
    if (!s.wildcard) {
      s.toSettle.clear();
    }
  }

  @Override
  public void onV3StreamDeltaResponse(long streamId, DeltaDiscoveryRequest request, DeltaDiscoveryResponse response) {
    Map<String, String> known = initial.get(new StreamType(streamId, response.getTypeUrl()));
    if (known != null) {
      // From here on the library tracks these from the response (or they are gone).
      response.getResourcesList().forEach(r -> known.remove(r.getName()));
      response.getRemovedResourcesList().forEach(known::remove);
    }
  }

  @Override
  void streamClosed(long streamId) {
    sotw.keySet().removeIf(k -> k.stream() == streamId);
    delta.keySet().removeIf(k -> k.stream() == streamId);
    initial.keySet().removeIf(k -> k.stream() == streamId);
  }

  // ------------------------------------------------------------------ watches

  @Override
  public Watch createWatch(boolean ads, XdsRequest request, Set<String> knownResourceNames,
      Consumer<Response> responseConsumer, boolean hasClusterChanged, boolean allowDefaultEmptyEdsUpdate) {
    DiscoveryRequest r = request.v3Request();
    Long stream = currentStream.get();
    if (!hasWildcardSemantics(r.getTypeUrl()) && r.getResourceNamesList().isEmpty()) {
      // Endpoints and routes have no wildcard: no names means no interest. The library would send every resource of
      // the group. The watch is never answered; the client names what it wants in its next request.
      return new Watch(ads, allowDefaultEmptyEdsUpdate, request, responseConsumer);
    }
    if (stream == null || !hasWildcardSemantics(r.getTypeUrl())) {
      return delegate.createWatch(ads, request, knownResourceNames, responseConsumer, hasClusterChanged,
          allowDefaultEmptyEdsUpdate);
    }
    // Only requests the server accepted (current nonce) get here, so stale ones do not change the subscription.
    SotwState s = sotw.computeIfAbsent(new StreamType(stream, r.getTypeUrl()), k -> new SotwState());
    List<String> names = r.getResourceNamesList();
    boolean wildcard;
    if (names.contains(WILDCARD)) {
      wildcard = true;
      s.explicit = true;
    } else if (names.isEmpty()) {
      wildcard = !s.explicit;
    } else {
      wildcard = false;
      s.explicit = true;
    }
    Boolean before = s.lastWildcard;
    s.lastWildcard = wildcard;
    if (!wildcard && names.isEmpty()) {
      // Subscribed to nothing: there is nothing to send until the client asks again. The watch is never answered.
      return new Watch(ads, allowDefaultEmptyEdsUpdate, request, responseConsumer);
    }
    if (!wildcard) {
      return delegate.createWatch(ads, request, knownResourceNames, responseConsumer, hasClusterChanged,
          allowDefaultEmptyEdsUpdate);
    }
    // The cache's own wildcard is the empty list.
    DiscoveryRequest.Builder rewritten = r.toBuilder().clearResourceNames();
    if (Boolean.FALSE.equals(before) && !r.hasErrorDetail()) {
      // From named resources to all of them: the others are newly requested and must be sent even if unchanged.
      rewritten.setVersionInfo("");
    }
    return delegate.createWatch(ads, XdsRequest.create(rewritten.build()), knownResourceNames, responseConsumer,
        hasClusterChanged, allowDefaultEmptyEdsUpdate);
  }

  @Override
  public DeltaWatch createDeltaWatch(DeltaXdsRequest request, String requesterVersion,
      Map<String, String> resourceVersions, Set<String> pendingResources, boolean isWildcard,
      Consumer<DeltaResponse> responseConsumer, boolean hasClusterChanged) {
    Long stream = currentStream.get();
    Map<String, String> known = stream == null ? null : initial.get(new StreamType(stream, request.getTypeUrl()));
    if (known != null && !known.isEmpty()) {
      // What the client has from an earlier stream counts as tracked: unchanged resources are not sent again and
      // those the server no longer has are removed.
      Map<String, String> merged = new HashMap<>(known);
      merged.putAll(resourceVersions);
      resourceVersions = merged;
    }
    DeltaState s = stream == null ? null : delta.get(new StreamType(stream, request.getTypeUrl()));
    if (s == null) {
      return delegate.createDeltaWatch(request, requesterVersion, resourceVersions, pendingResources, isWildcard,
          responseConsumer, hasClusterChanged);
    }
    Set<String> pending = new HashSet<>(pendingResources);
    pending.remove(WILDCARD);
    Map<String, String> tracked = resourceVersions;
    if (!s.wildcard) {
      // Resources the client only had through the wildcard are no longer its business.
      tracked = new HashMap<>();
      for (Map.Entry<String, String> e : resourceVersions.entrySet()) {
        if (s.names.contains(e.getKey())) {
          tracked.put(e.getKey(), e.getValue());
        }
      }
    }
    String version = requesterVersion;
    if (s.resendAll && !request.v3Request().hasErrorDetail()) {
      // Wildcard newly on: every resource the client did not name is newly requested.
      version = "";
      s.resendAll = false;
    }
    if (s.wildcard && !s.toSettle.isEmpty() && !request.v3Request().hasErrorDetail()) {
      // xds_protocol.rst, "Unsubscribing from Resources": a name unsubscribed next to the wildcard must be answered,
      // in resources if the wildcard covers it, else in removed_resources. Tracked at a version no snapshot has, the
      // cache does both: it sends the resource it has and removes the one it has not. The library alone answers
      // nothing (the unsubscription leaves the type's version unchanged): the client could not tell whether to keep
      // the resource.
      tracked = new HashMap<>(tracked);
      for (String name : s.toSettle) {
        tracked.put(name, "");
      }
      s.toSettle.clear();
      version = "";
    }
    return delegate.createDeltaWatch(request, version, tracked, pending, s.wildcard, responseConsumer,
        hasClusterChanged);
  }
}
