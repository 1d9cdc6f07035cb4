package io.switchyard.xds.server;

import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.envoyproxy.controlplane.cache.DeltaResponse;
import io.envoyproxy.controlplane.cache.DeltaWatch;
import io.envoyproxy.controlplane.cache.DeltaXdsRequest;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * State of the world: a name the client dropped from its subscription and asks for again is sent again.
 *
 * <p>A state-of-the-world client keeps only the resources it subscribes to (xds_protocol.rst, "Resource Updates": a
 * request lists every name it wants, and what it leaves out it no longer holds). java-control-plane 1.0.49 counts as
 * known to the client the names of the last response it ACKed, and answers a request at its current version at once
 * only for names outside that set. So a client that ACKed routes {@code http.8080}, then asked for {@code http.8081}
 * only (its listener moved) and, before that was answered, for {@code http.8080} again (the listener moved back) at the
 * same version, was never sent {@code http.8080} again: the library took it for known, and the client kept a listener
 * without routes until the routes next changed. Here a name counts as known only while the client has asked for it
 * without a break: the known names handed down are those of the library that the client's previous request of the type
 * on the stream also named.
 *
 * <p>The server calls the request callback and then asks for the watch on the same thread, which is how the stream id
 * gets here. Delta streams say what they drop ({@code resource_names_unsubscribe}) and are left alone.
 */
final class ResubscribedNames extends StreamScopedCallbacks {
  private record StreamType(long stream, String typeUrl) {}

  private final ThreadLocal<Long> currentStream = new ThreadLocal<>();
  // The names of each stream's previous request of each type.
  private final Map<StreamType, Set<String>> previous = new ConcurrentHashMap<>();

  @Override
  public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
    currentStream.set(streamId);
  }

  @Override
  public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
    // Delta requests name what they drop; nothing to do.
  }

  @Override
  void streamClosed(long streamId) {
    previous.keySet().removeIf(k -> k.stream() == streamId);
  }

  /** {@code chain} with the known names of each state-of-the-world request cut to those asked for without a break. */
  ConfigWatcher around(ConfigWatcher chain) {
    return new ConfigWatcher() {
      @Override
      public Watch createWatch(boolean ads, XdsRequest request, Set<String> knownResourceNames,
          Consumer<Response> responseConsumer, boolean hasClusterChanged, boolean allowDefaultEmptyEdsUpdate) {
        Long stream = currentStream.get();
        currentStream.remove();
        Set<String> known = knownResourceNames;
        if (stream != null) {
          Set<String> before = previous.put(new StreamType(stream, request.getTypeUrl()),
              Set.copyOf(request.getResourceNamesList()));
          if (before != null && !before.containsAll(knownResourceNames)) {
            known = new HashSet<>(knownResourceNames);
            known.retainAll(before);
          }
        }
        return chain.createWatch(ads, request, known, responseConsumer, hasClusterChanged, allowDefaultEmptyEdsUpdate);
      }

      @Override
      public DeltaWatch createDeltaWatch(DeltaXdsRequest request, String requesterVersion,
          Map<String, String> resourceVersions, Set<String> pendingResources, boolean isWildcard,
          Consumer<DeltaResponse> responseConsumer, boolean hasClusterChanged) {
        return chain.createDeltaWatch(request, requesterVersion, resourceVersions, pendingResources, isWildcard,
            responseConsumer, hasClusterChanged);
      }
    };
  }
}
