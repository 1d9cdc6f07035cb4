package io.switchyard.xds.server;

import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.envoyproxy.controlplane.cache.DeltaResponse;
import io.envoyproxy.controlplane.cache.DeltaWatch;
import io.envoyproxy.controlplane.cache.DeltaXdsRequest;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.config.core.v3.Node;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits between java-control-plane's server and its cache to fix what the library gets wrong:
 *
 * <ul>
 *   <li>A NACK (a request with {@code error_detail}) makes the cache answer with the same snapshot again at once,
 *       which the client rejects again, forever. Here a NACK is logged, counted and recorded, and the watch is
 *       opened as if the client held the rejected version, so the cache parks it until a newer snapshot.
 *   <li>It tracks streams per node group, so groups nobody is connected to can be forgotten.
 * </ul>
 *
 * <p>The server calls the request callback and then {@code createWatch} on the same thread for the same message,
 * so the stream id of the request being watched is handed over in a thread local.
 */
final class NackGuard extends StreamScopedCallbacks implements ConfigWatcher {
  private static final Logger log = LoggerFactory.getLogger(NackGuard.class);

  /** How many rejections {@link #recentRejections()} keeps, newest first. */
  static final int RECENT_REJECTIONS = 100;

  /** One rejection: who rejected which response (version and nonce), why, and when. */
  record Rejection(String nodeGroup, String nodeId, String typeUrl, String version, String nonce, String message,
      Instant at) {}

  private record StreamType(long stream, String typeUrl) {}

  /** The latest response of a stream and type; for delta also what it carried: resource versions and removals. */
  private record Sent(String nonce, String version, Map<String, String> resources, List<String> removed) {
    Sent(String nonce, String version) {
      this(nonce, version, Map.of(), List.of());
    }
  }

  /** Resource versions rejected delta responses carried, and names they removed, that no later answer replaced. */
  private record Rejected(Map<String, String> versions, Set<String> removed) {
    Rejected() {
      this(new ConcurrentHashMap<>(), ConcurrentHashMap.newKeySet());
    }

    void forget(Collection<String> names) {
      names.forEach(n -> {
        versions.remove(n);
        removed.remove(n);
      });
    }
  }

  private final ConfigWatcher delegate;
  private final XdsMetrics metrics;
  private final Clock clock;
  private final Predicate<String> declaredGroup;
  private final ThreadLocal<Long> currentStream = new ThreadLocal<>();
  // Only the latest response per stream and type: the server drops requests with an older nonce before they
  // reach a watch, so a NACK that gets here always answers the latest response.
  private final Map<StreamType, Sent> lastSent = new ConcurrentHashMap<>();
  // Delta: what rejected responses left on the client, per stream and type. java-control-plane applies a response to
  // what it tracks for the stream only on its ACK, so without this a rejected response was forgotten once a later one
  // was ACKed: a cluster it added was never removed, one it removed never sent again (and routes to it released).
  private final Map<StreamType, Rejected> rejectedState = new ConcurrentHashMap<>();
  private final Map<Long, String> groupOfStream = new ConcurrentHashMap<>();
  private final Map<String, Instant> lastActivity = new ConcurrentHashMap<>();
  private final Map<String, Rejection> lastRejection = new ConcurrentHashMap<>();
  private final Deque<Rejection> recent = new ArrayDeque<>();

  NackGuard(ConfigWatcher delegate, XdsMetrics metrics, Clock clock, Predicate<String> declaredGroup) {
    this.delegate = delegate;
    this.metrics = metrics;
    this.clock = clock;
    this.declaredGroup = declaredGroup;
  }

  // ------------------------------------------------------------------ callbacks

  @Override
  public void onStreamOpen(long streamId, String typeUrl) {
    metrics.streams.inc();
  }

  @Override
  void streamClosed(long streamId) {
    metrics.streams.dec();
    String group = groupOfStream.remove(streamId);
    if (group != null) {
      lastActivity.put(group, clock.instant());
    }
    lastSent.keySet().removeIf(k -> k.stream() == streamId);
    rejectedState.keySet().removeIf(k -> k.stream() == streamId);
  }

  @Override
  public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
    currentStream.set(streamId);
    String group = request.getNode().getCluster();
    groupOfStream.putIfAbsent(streamId, group);
    String kind = request.getResponseNonce().isEmpty() ? "initial" : request.hasErrorDetail() ? "nack" : "ack";
    metrics.requests.labelValues(XdsMetrics.typeLabel(request.getTypeUrl()), kind).inc();
  }

  @Override
  public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
    currentStream.set(streamId);
    groupOfStream.putIfAbsent(streamId, request.getNode().getCluster());
    String kind = request.getResponseNonce().isEmpty() ? "initial" : request.hasErrorDetail() ? "nack" : "ack";
    metrics.requests.labelValues(XdsMetrics.typeLabel(request.getTypeUrl()), kind).inc();
  }

  @Override
  public void onV3StreamResponse(long streamId, DiscoveryRequest request, DiscoveryResponse response) {
    remember(streamId, response.getTypeUrl(), new Sent(response.getNonce(), response.getVersionInfo()));
    metrics.responses.labelValues(XdsMetrics.shortType(response.getTypeUrl())).inc();
  }

  @Override
  public void onV3StreamDeltaResponse(long streamId, DeltaDiscoveryRequest request, DeltaDiscoveryResponse response) {
    Map<String, String> resources = new HashMap<>();
    response.getResourcesList().forEach(r -> resources.put(r.getName(), r.getVersion()));
    remember(streamId, response.getTypeUrl(), new Sent(response.getNonce(), response.getSystemVersionInfo(), resources,
        List.copyOf(response.getRemovedResourcesList())));
    metrics.responses.labelValues(XdsMetrics.shortType(response.getTypeUrl())).inc();
  }

  /**
   * Keeps what was sent on an open stream only. The library runs the close callbacks before it cancels the stream's
   * watches, so a push may still answer one of a closed stream; kept then, it would never be dropped. Done under the
   * stream's entry, which {@link #streamClosed} removes before it drops the stream's responses.
   */
  private void remember(long streamId, String typeUrl, Sent sent) {
    groupOfStream.computeIfPresent(streamId, (id, group) -> {
      lastSent.put(new StreamType(streamId, typeUrl), sent);
      return group;
    });
  }

  /** Whether anything is kept for the stream (for tests: nothing outlives it). */
  boolean tracks(long streamId) {
    return groupOfStream.containsKey(streamId) || lastSent.keySet().stream().anyMatch(k -> k.stream() == streamId)
        || rejectedState.keySet().stream().anyMatch(k -> k.stream() == streamId);
  }

  // ------------------------------------------------------------------ watches

  @Override
  public Watch createWatch(boolean ads, XdsRequest request, Set<String> knownResourceNames,
      Consumer<Response> responseConsumer, boolean hasClusterChanged, boolean allowDefaultEmptyEdsUpdate) {
    DiscoveryRequest r = request.v3Request();
    if (r.hasErrorDetail()) {
      String rejected = rejectedVersion(r.getTypeUrl(), r.getResponseNonce());
      recordNack(r.getNode(), r.getTypeUrl(), rejected, r.getResponseNonce(), r.getErrorDetail().getMessage());
      if (rejected != null) {
        // Pretend the client holds the rejected version and already knows the names it asks for: the cache then
        // waits for a snapshot with a different version instead of answering with the same config again.
        XdsRequest parked = XdsRequest.create(r.toBuilder().setVersionInfo(rejected).build());
        return delegate.createWatch(ads, parked, Set.copyOf(r.getResourceNamesList()), responseConsumer, false,
            allowDefaultEmptyEdsUpdate);
      }
    }
    return delegate.createWatch(ads, request, knownResourceNames, responseConsumer, hasClusterChanged,
        allowDefaultEmptyEdsUpdate);
  }

  @Override
  public DeltaWatch createDeltaWatch(DeltaXdsRequest request, String requesterVersion,
      Map<String, String> resourceVersions, Set<String> pendingResources, boolean isWildcard,
      Consumer<DeltaResponse> responseConsumer, boolean hasClusterChanged) {
    DeltaDiscoveryRequest r = request.v3Request();
    Long stream = currentStream.get();
    StreamType key = stream == null ? null : new StreamType(stream, r.getTypeUrl());
    Sent answered = r.getResponseNonce().isEmpty() ? null : rejected(r.getTypeUrl(), r.getResponseNonce());
    Rejected state = key == null ? null : rejectedState.get(key);
    if (state != null) {
      // The answered response is what the client now holds of its names (the library tracks it on an ACK, the
      // NACK below on a rejection); names the client leaves are the library's to forget.
      if (answered != null) {
        state.forget(answered.resources().keySet());
        state.forget(answered.removed());
      }
      state.forget(r.getResourceNamesUnsubscribeList());
    }
    if (r.hasErrorDetail()) {
      String rejected = answered == null ? null : answered.version();
      recordNack(r.getNode(), r.getTypeUrl(), rejected, r.getResponseNonce(), r.getErrorDetail().getMessage());
      if (answered != null) {
        // As for state of the world: the watch is opened as if the client held what it rejected, so only a change
        // to those resources sends them again. They leave the pending names (which the cache would answer at once),
        // but are still tracked, so that a changed version is sent even on a subscription that names them. They stay
        // so for later requests too (rejectedState), as the library never applies a rejected response.
        state = rejectedState.computeIfAbsent(key, k -> new Rejected());
        state.versions().putAll(answered.resources());
        state.removed().addAll(answered.removed());
        Set<String> pending = new HashSet<>(pendingResources);
        pending.removeAll(answered.resources().keySet());
        answered.removed().forEach(pending::remove);
        Map<String, String> tracked = held(resourceVersions, state, isWildcard);
        answered.removed().forEach(tracked::remove);
        return delegate.createDeltaWatch(request, rejected, tracked, pending, isWildcard, responseConsumer, false);
      }
    }
    if (state != null && !(state.versions().isEmpty() && state.removed().isEmpty())) {
      return delegate.createDeltaWatch(request, requesterVersion, held(resourceVersions, state, isWildcard),
          pendingResources, isWildcard, responseConsumer, hasClusterChanged);
    }
    return delegate.createDeltaWatch(request, requesterVersion, resourceVersions, pendingResources, isWildcard,
        responseConsumer, hasClusterChanged);
  }

  /**
   * What a delta stream holds: the library's tracked versions with those of rejected responses over them. A name a
   * rejected response removed is dropped only on a wildcard stream, where it comes back like any resource the client
   * lacks; on a stream naming its resources it stays tracked at its old version (as the subscription it still is),
   * so only a changed version of it is sent again.
   */
  private static Map<String, String> held(Map<String, String> tracked, Rejected state, boolean isWildcard) {
    Map<String, String> held = new HashMap<>(tracked);
    held.putAll(state.versions());
    if (isWildcard) {
      state.removed().forEach(held::remove);
    }
    return held;
  }

  private String rejectedVersion(String typeUrl, String nonce) {
    Sent sent = rejected(typeUrl, nonce);
    return sent == null ? null : sent.version();
  }

  /** The response a NACK with this nonce rejects, if it is the latest one sent on the current stream. */
  private Sent rejected(String typeUrl, String nonce) {
    Long stream = currentStream.get();
    Sent sent = stream == null ? null : lastSent.get(new StreamType(stream, typeUrl));
    return sent != null && sent.nonce().equals(nonce) ? sent : null;
  }

  private void recordNack(Node node, String typeUrl, String version, String nonce, String message) {
    String group = node.getCluster();
    // Any client may announce any node.cluster (unless --tls-client-ca ties it to an identity): only the mesh's
    // groups are label values, so that /metrics stays bounded.
    metrics.nacks.labelValues(declaredGroup.test(group) ? group : XdsMetrics.UNKNOWN, XdsMetrics.typeLabel(typeUrl))
        .inc();
    Rejection rejection = new Rejection(group, node.getId(), typeUrl, version == null ? "" : version, nonce, message,
        clock.instant());
    lastRejection.put(group, rejection);
    synchronized (recent) {
      recent.addFirst(rejection);
      while (recent.size() > RECENT_REJECTIONS) {
        recent.removeLast();
      }
    }
    log.warn("node group {} rejected {} version {}: {} (not re-sent until the mesh changes)", group,
        XdsMetrics.shortType(typeUrl), version, message);
  }

  // ------------------------------------------------------------------ state for the server

  Optional<Rejection> lastRejection(String group) {
    return Optional.ofNullable(lastRejection.get(group));
  }

  /** The latest rejections of every group, newest first (at most {@value #RECENT_REJECTIONS}). */
  List<Rejection> recentRejections() {
    synchronized (recent) {
      return List.copyOf(recent);
    }
  }

  boolean hasStreams(String group) {
    return groupOfStream.containsValue(group);
  }

  /** When the last stream of the group closed; empty while it has streams or was never seen. */
  Optional<Instant> idleSince(String group) {
    return hasStreams(group) ? Optional.empty() : Optional.ofNullable(lastActivity.get(group));
  }

  void forget(String group) {
    lastActivity.remove(group);
    lastRejection.remove(group);
  }
}
