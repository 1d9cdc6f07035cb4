package io.switchyard.xds.server;

import io.envoyproxy.controlplane.cache.DeltaResponse;
import io.envoyproxy.controlplane.cache.DeltaWatch;
import io.envoyproxy.controlplane.cache.DeltaXdsRequest;
import io.envoyproxy.controlplane.cache.NodeGroup;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

/**
 * java-control-plane's snapshot cache with the push order kept while a snapshot is set.
 *
 * <p>In 1.0.49 {@code setSnapshot} stores the new snapshot under its lock, releases the lock and only then answers
 * the open watches, clusters first. A request that creates a watch in between (e.g. the client's ACK of the previous
 * routes, arriving on its stream's thread) sees the new snapshot, finds its version outdated and is answered at once:
 * the new routes went out before the new clusters they point at, and Envoy answered 503 until the clusters came.
 * Here setting a snapshot, answering its watches included, excludes creating watches: such a request waits, and its
 * answer follows the clusters.
 */
class OrderedSnapshotCache extends SimpleCache<String> {
  private final ReadWriteLock publishing = new ReentrantReadWriteLock();

  OrderedSnapshotCache(NodeGroup<String> groups) {
    super(groups);
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
  public Watch createWatch(boolean ads, XdsRequest request, Set<String> knownResourceNames,
      Consumer<Response> responseConsumer, boolean hasClusterChanged, boolean allowDefaultEmptyEdsUpdate) {
    // Shared: watches of different streams are still created in parallel; only a publish waits for them.
    publishing.readLock().lock();
    try {
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
    publishing.readLock().lock();
    try {
      return super.createDeltaWatch(request, requesterVersion, resourceVersions, pendingResources, isWildcard,
          responseConsumer, hasClusterChanged);
    } finally {
      publishing.readLock().unlock();
    }
  }
}
