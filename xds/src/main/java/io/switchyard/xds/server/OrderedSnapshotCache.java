package io.switchyard.xds.server;

import io.envoyproxy.controlplane.cache.CacheStatusInfo;
import io.envoyproxy.controlplane.cache.DeltaCacheStatusInfo;
import io.envoyproxy.controlplane.cache.DeltaResponse;
import io.envoyproxy.controlplane.cache.DeltaWatch;
import io.envoyproxy.controlplane.cache.DeltaXdsRequest;
import io.envoyproxy.controlplane.cache.NodeGroup;
import io.envoyproxy.controlplane.cache.Resources.ResourceType;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * java-control-plane's snapshot cache with the push order kept while a snapshot is set.
 *
 * <p>In 1.0.49 {@code setSnapshot} stores the new snapshot under its lock, releases the lock and only then answers
 * the open watches, clusters first. A request that creates a watch in between (e.g. the client's ACK of the previous
 * routes, arriving on its stream's thread) sees the new snapshot, finds its version outdated and is answered at once:
 * the new routes went out before the new clusters they point at, and Envoy answered 503 until the clusters came.
 * Here setting a snapshot, answering its watches included, excludes creating watches: such a request waits, and its
 * answer follows the clusters.
 *
 * <p>It also keeps the state-of-the-world ADS watches a snapshot cannot answer. The cache answers such a watch only from
 * a snapshot that has every name it asks for, but 1.0.49 dropped it unanswered when a snapshot lacked one: once a later
 * snapshot had the name again (e.g. a listener port moved and moved back before the client saw the moved listener),
 * the client, having nothing new to ask for, was never sent it and kept its old routes.
 *
 * <p>A request for a type it does not serve (e.g. a made-up type URL, or one of Envoy's other xDS types over ADS) gets
 * a watch that is never answered, as a type without resources: 1.0.49 throws a {@code NullPointerException} from its
 * type lookup, and gRPC then ends the whole ADS stream, clusters and listeners included.
 */
class OrderedSnapshotCache extends SimpleCache<String> {
  private static final Logger log = LoggerFactory.getLogger(OrderedSnapshotCache.class);
  private final ReadWriteLock publishing = new ReentrantReadWriteLock();
  private final NodeGroup<String> groups;

  OrderedSnapshotCache(NodeGroup<String> groups) {
    super(groups);
    this.groups = groups;
  }

  @Override
  public void setSnapshot(String group, Snapshot snapshot) {
    publishing.writeLock().lock();
    try {
      super.setSnapshot(group, snapshot);
    } finally {
      publishing.writeLock().unlock();
    }
  }

  @Override
  protected void respondWithSpecificOrder(String group, Snapshot previous, Snapshot snapshot,
      Map<ResourceType, CacheStatusInfo<String>> status, Map<ResourceType, DeltaCacheStatusInfo<String>> delta) {
    Map<CacheStatusInfo<String>, Map<Long, Watch>> kept = new HashMap<>();
    status.forEach((type, watches) -> watches.watchesRemoveIf((id, watch) -> {
      if (!unanswerable(watch, type, snapshot)) {
        return false;
      }
      kept.computeIfAbsent(watches, k -> new HashMap<>()).put(id, watch);
      return true;
    }));
    super.respondWithSpecificOrder(group, previous, snapshot, status, delta);
    kept.forEach((watches, byId) -> byId.forEach((id, watch) -> {
      watches.setWatch(id, watch);
      if (watch.isCancelled()) {
        watches.removeWatch(id); // cancelled meanwhile: its stop found nothing to remove
      }
    }));
  }

  /** Whether the cache would drop this watch unanswered on this snapshot: an ADS one naming what it lacks. */
  private static boolean unanswerable(Watch watch, ResourceType type, Snapshot snapshot) {
    return watch.request().getResourceType() == type
        && !watch.request().getVersionInfo().equals(snapshot.version(type, watch.request().getResourceNamesList()))
        && lacksNames(watch, type, snapshot);
  }

  /** An ADS watch naming what the snapshot lacks: the cache answers it only from a snapshot with every name. */
  private static boolean lacksNames(Watch watch, ResourceType type, Snapshot snapshot) {
    List<String> names = watch.request().getResourceNamesList();
    if (!watch.ads() || names.isEmpty() || (watch.allowDefaultEmptyEdsUpdate() && type == ResourceType.ENDPOINT)) {
      return false;
    }
    return !snapshot.resources(type).keySet().containsAll(names);
  }

  @Override
  public Watch createWatch(boolean ads, XdsRequest request, Set<String> knownResourceNames,
      Consumer<Response> responseConsumer, boolean hasClusterChanged, boolean allowDefaultEmptyEdsUpdate) {
    if (request.getResourceType() == null) {
      unserved(request.v3Request().getNode().getCluster(), request.getTypeUrl());
      return new Watch(ads, allowDefaultEmptyEdsUpdate, request, responseConsumer);
    }
    // Shared: watches of different streams are still created in parallel; only a publish waits for them.
    publishing.readLock().lock();
    try {
      Snapshot snapshot = getSnapshot(groups.hash(request.v3Request().getNode()));
      if (snapshot != null && request.getResourceType() != null) {
        Watch probe = new Watch(ads, allowDefaultEmptyEdsUpdate, request, responseConsumer);
        if (lacksNames(probe, request.getResourceType(), snapshot)) {
          // Names the client asks for anew are answered at once, but not from this snapshot, and the library then
          // dropped the watch without opening it. Taken as known, they leave it open until a snapshot has them all.
          knownResourceNames = Set.copyOf(request.getResourceNamesList());
        }
      }
      return super.createWatch(ads, request, knownResourceNames, responseConsumer, hasClusterChanged,
          allowDefaultEmptyEdsUpdate);
    } finally {
      publishing.readLock().unlock();
    }
  }

  @Override
  public DeltaWatch createDeltaWatch(DeltaXdsRequest request, String requesterVersion,
      Map<String, String> resourceVersions, Set<String> pendingResources, boolean isWildcard,
      Consumer<DeltaResponse> responseConsumer, boolean hasClusterChanged) {
    if (request.getResourceType() == null) {
      unserved(request.v3Request().getNode().getCluster(), request.getTypeUrl());
      return new DeltaWatch(request, resourceVersions, pendingResources, requesterVersion, isWildcard,
          responseConsumer);
    }
    publishing.readLock().lock();
    try {
      return super.createDeltaWatch(request, requesterVersion, resourceVersions, pendingResources, isWildcard,
          responseConsumer, hasClusterChanged);
    } finally {
      publishing.readLock().unlock();
    }
  }

  private static void unserved(String group, String typeUrl) {
    log.warn("node group {} asked for type {}, which this server does not serve; it is not answered", group, typeUrl);
  }
}
