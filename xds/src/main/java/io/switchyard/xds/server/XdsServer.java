package io.switchyard.xds.server;

import com.sun.net.httpserver.HttpHandler;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.grpc.BindableService;
import io.grpc.ServerInterceptors;
import io.switchyard.model.DefaultPorts;
import io.switchyard.serverkit.config.ConfigException;
import io.switchyard.serverkit.config.ConfigReloader;
import io.switchyard.serverkit.grpc.GrpcServer;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.serverkit.metrics.Metrics;
import io.switchyard.serverkit.tls.TlsOptions;
import io.switchyard.xds.envoy.EnvoyResources;
import io.switchyard.xds.mesh.Mesh;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Switchyard's xDS server: serves the resources generated from a mesh file to Envoys and proxyless gRPC clients
 * over ADS (state of the world and delta) and the per-type CDS/EDS/LDS/RDS services. One snapshot per node group
 * ({@code node.cluster}); a mesh-file edit publishes new snapshots for the groups whose resources changed.
 */
public final class XdsServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(XdsServer.class);

  private final Builder config;
  private final XdsMetrics metrics;
  // Not the plain SimpleCache: it could send a request's answer from a new snapshot before the watches it answers
  // in push order (see OrderedSnapshotCache).
  private final SimpleCache<String> cache = new OrderedSnapshotCache(Node::getCluster);
  // Routes and listeners of an ADS stream wait for the clusters and endpoints they use (see RoutesAfterClusters).
  private final RoutesAfterClusters order = new RoutesAfterClusters(cache, cache::getSnapshot);
  private final MissingResources missing = new MissingResources(order.inner(), cache);
  private final WildcardSubscriptions wildcards = new WildcardSubscriptions(missing);
  // A state-of-the-world name dropped and asked for again is sent again (see ResubscribedNames).
  private final ResubscribedNames resubscribed = new ResubscribedNames();
  private final NackGuard guard;
  private final AtomicLong generation = new AtomicLong();
  private final Map<String, EnvoyResources> published = new HashMap<>();
  private final Map<String, String> versions = new HashMap<>();
  private final Map<String, String[]> typeVersions = new HashMap<>();
  private final Readiness.Component readiness;
  private ConfigReloader<MeshConfig> reloader;
  private volatile MeshConfig current;
  private GrpcServer grpc;
  private ScheduledExecutorService scheduler;

  private XdsServer(Builder b) {
    this.config = b;
    this.metrics = new XdsMetrics(b.metrics);
    this.guard = new NackGuard(wildcards, metrics, b.clock, g -> current != null && current.groups().containsKey(g));
    this.readiness = b.readiness == null ? null : b.readiness.register("xds");
  }

  public static Builder builder(Path meshFile, Metrics metrics) {
    return new Builder(meshFile, metrics);
  }

  /** Loads the mesh (throwing on an invalid file), publishes the first snapshots and starts serving. */
  public XdsServer start() throws ConfigException, IOException {
    scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "xds-scheduler");
      t.setDaemon(true);
      return t;
    });
    reloader = ConfigReloader.builder("xds-mesh", config.meshFile, MeshConfig.LOADER)
        .metrics(config.metrics)
        .onChange(this::publish)
        .pollInterval(config.pollInterval)
        .build();
    try {
      publish(reloader.start());
    } catch (ConfigException | RuntimeException e) {
      scheduler.shutdownNow();
      throw e;
    }
    V3DiscoveryServer xds = new V3DiscoveryServer(List.of(guard, wildcards, missing, order, resubscribed),
        order.outer(resubscribed.around(guard)));
    DeltaAckFilter acks = new DeltaAckFilter();
    NodeInterceptor nodes = new NodeInterceptor(() -> current.mesh(),
        config.tls != null && config.tls.clientCa() != null, metrics);
    GrpcServer.Builder gb = GrpcServer.builder("xds", config.port).host(config.host)
        .permitKeepAliveTime(Duration.ofSeconds(5)).readiness(readiness);
    if (config.tls != null) {
      gb.tls(config.tls);
    }
    for (BindableService s : List.<BindableService>of(xds.getAggregatedDiscoveryServiceImpl(),
        xds.getClusterDiscoveryServiceImpl(), xds.getEndpointDiscoveryServiceImpl(),
        xds.getListenerDiscoveryServiceImpl(), xds.getRouteDiscoveryServiceImpl())) {
      // The last interceptor sees each message first: the node is settled before the ACK filter looks at it.
      gb.addService(ServerInterceptors.intercept(s, acks, nodes));
    }
    grpc = gb.build().start();
    if (!config.collectInterval.isZero()) {
      scheduler.scheduleWithFixedDelay(this::collectIdleGroups, config.collectInterval.toMillis(),
          config.collectInterval.toMillis(), TimeUnit.MILLISECONDS);
    }
    if (readiness != null) {
      readiness.ready();
    }
    log.info("xDS server on port {} serving node groups {}", grpc.port(), current.groups().keySet());
    return this;
  }

  public int port() {
    return grpc.port();
  }

  /** Re-reads the mesh file now if it changed; true when a new valid mesh was published. */
  public boolean reloadNow() {
    return reloader.reloadNow();
  }

  /** The snapshot version a node group is served, if it has one. */
  public synchronized Optional<String> snapshotVersion(String nodeGroup) {
    return Optional.ofNullable(versions.get(nodeGroup));
  }

  /** The last config a client of the group rejected, as {@code TYPE version: message}. */
  public Optional<String> lastRejection(String nodeGroup) {
    return guard.lastRejection(nodeGroup)
        .map(r -> XdsMetrics.shortType(r.typeUrl()) + " version " + r.version() + ": " + r.message());
  }

  /**
   * Routes for the admin endpoint, all behind its bearer token (they show config details): {@code /xds/nacks}, the
   * latest rejected configs with the client's error message.
   */
  public Map<String, HttpHandler> adminRoutes() {
    return Map.of(NacksEndpoint.PATH, new NacksEndpoint(guard::recentRejections));
  }

  public Mesh mesh() {
    return current.mesh();
  }

  private synchronized void publish(MeshConfig next) {
    current = next;
    Map<String, EnvoyResources> groups = next.groups();
    boolean dropsClusters = false;
    for (Map.Entry<String, EnvoyResources> e : groups.entrySet()) {
      EnvoyResources target = e.getValue();
      if (!config.removalDelay.isZero()) {
        // Make before break: clusters the edit drops stay until the new routes are out (removeDropped).
        EnvoyResources kept = keepingDropped(published.get(e.getKey()), target);
        dropsClusters |= kept != target;
        target = kept;
      }
      publishGroup(e.getKey(), target);
    }
    for (String gone : List.copyOf(published.keySet())) {
      if (!groups.containsKey(gone)) {
        // Withdraw the config of a group removed from the mesh: its proxies get an empty snapshot.
        String version = Long.toString(generation.incrementAndGet());
        cache.setSnapshot(gone, Snapshot.createEmpty(version));
        published.remove(gone);
        typeVersions.remove(gone);
        versions.put(gone, version);
        log.info("node group {} removed from the mesh; its config is withdrawn (version {})", gone, version);
      }
    }
    if (dropsClusters) {
      scheduler.schedule(() -> removeDropped(next), config.removalDelay.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** Publishes the mesh exactly, without the clusters its edit dropped, unless a newer mesh came meanwhile. */
  private synchronized void removeDropped(MeshConfig mesh) {
    if (current != mesh) {
      return; // the newer mesh keeps them itself and schedules their removal
    }
    mesh.groups().forEach(this::publishGroup);
  }

  /**
   * The target resources plus the clusters (and their endpoints) of the published ones that the target no longer
   * has; the target itself when it drops none. Routes and listeners are the target's: the protocol's make before
   * break order adds clusters first, moves the routes, and removes stale clusters last.
   */
  static EnvoyResources keepingDropped(EnvoyResources before, EnvoyResources target) {
    if (before == null) {
      return target;
    }
    Set<String> names = new HashSet<>();
    target.clusters().forEach(c -> names.add(c.getName()));
    List<Cluster> clusters = new ArrayList<>(target.clusters());
    Set<String> dropped = new HashSet<>();
    for (Cluster c : before.clusters()) {
      if (!names.contains(c.getName())) {
        clusters.add(c);
        dropped.add(c.getName());
      }
    }
    if (dropped.isEmpty()) {
      return target;
    }
    List<ClusterLoadAssignment> endpoints = new ArrayList<>(target.endpoints());
    before.endpoints().stream().filter(cla -> dropped.contains(cla.getClusterName())).forEach(endpoints::add);
    return new EnvoyResources(target.nodeGroup(), clusters, endpoints, target.listeners(), target.routes());
  }

  private void publishGroup(String group, EnvoyResources r) {
    EnvoyResources before = published.get(group);
    if (sameResources(r, before)) {
      return;
    }
    // A version is never reused: a newer generation always means different content. Each type keeps its version
    // while its resources are unchanged, so an endpoint edit pushes EDS only, not every cluster again.
    String version = Long.toString(generation.incrementAndGet());
    String[] previous = typeVersions.get(group);
    String[] v = new String[4];
    v[0] = before != null && same(before.clusters(), r.clusters()) ? previous[0] : version;
    v[1] = before != null && same(before.endpoints(), r.endpoints()) ? previous[1] : version;
    v[2] = before != null && same(before.listeners(), r.listeners()) ? previous[2] : version;
    v[3] = before != null && same(before.routes(), r.routes()) ? previous[3] : version;
    Snapshot snapshot = Snapshot.create(r.clusters(), v[0], r.endpoints(), v[1], r.listeners(), v[2],
        r.routes(), v[3], List.of(), version);
    cache.setSnapshot(group, snapshot);
    published.put(group, r);
    typeVersions.put(group, v);
    versions.put(group, version);
    metrics.snapshotVersion.labelValues(group).set(generation.get());
    log.info("node group {} now at snapshot version {}", group, version);
  }

  private static boolean sameResources(EnvoyResources a, EnvoyResources b) {
    return b != null && same(a.clusters(), b.clusters()) && same(a.endpoints(), b.endpoints())
        && same(a.listeners(), b.listeners()) && same(a.routes(), b.routes());
  }

  /**
   * The same resources, in any order: a cache snapshot is keyed by name, so an edit that only moves blocks of the
   * mesh file around changes nothing the clients see and must not cost a new version.
   */
  private static boolean same(List<?> a, List<?> b) {
    return a.size() == b.size() && new HashSet<>(a).equals(new HashSet<>(b));
  }

  /**
   * Forgets node groups that are not in the mesh and whose last stream closed more than the idle time ago, so that
   * proxies announcing random node clusters cannot grow the cache without bound.
   */
  public synchronized int collectIdleGroups() {
    Instant now = config.clock.instant();
    int collected = 0;
    for (String group : cache.groups()) {
      if (current.groups().containsKey(group)) {
        continue;
      }
      Optional<Instant> idle = guard.idleSince(group);
      if (guard.hasStreams(group) || (idle.isPresent() && idle.get().plus(config.idleGroupTtl).isAfter(now))) {
        continue;
      }
      if (cache.clearSnapshot(group)) {
        guard.forget(group);
        versions.remove(group);
        metrics.groupsCollected.inc();
        collected++;
        log.info("forgot node group {}: no stream for {}", group, config.idleGroupTtl);
      }
    }
    return collected;
  }

  /** Node groups the cache currently tracks (served or seen from a client). */
  public List<String> knownGroups() {
    return List.copyOf(cache.groups());
  }

  @Override
  public void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
    if (grpc != null) {
      grpc.close();
    }
    if (reloader != null) {
      reloader.close();
    }
    if (readiness != null) {
      readiness.notReady("stopped");
    }
  }

  public static final class Builder {
    private final Path meshFile;
    private final Metrics metrics;
    private int port = DefaultPorts.XDS_GRPC;
    private String host = "0.0.0.0";
    private TlsOptions tls;
    private Duration pollInterval = Duration.ofSeconds(2);
    private Duration collectInterval = Duration.ofMinutes(1);
    private Duration idleGroupTtl = Duration.ofMinutes(5);
    private Duration removalDelay = Duration.ofSeconds(5);
    private Clock clock = Clock.systemUTC();
    private Readiness readiness;

    private Builder(Path meshFile, Metrics metrics) {
      this.meshFile = meshFile;
      this.metrics = metrics;
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder host(String host) {
      this.host = host;
      return this;
    }

    /** With a client CA, every stream's node must match its certificate's workload identity. */
    public Builder tls(TlsOptions tls) {
      this.tls = tls;
      return this;
    }

    /** How often the mesh file is checked for changes; zero = only on {@link XdsServer#reloadNow()}. */
    public Builder pollInterval(Duration d) {
      this.pollInterval = d;
      return this;
    }

    /** How often idle groups are collected; zero = only on {@link XdsServer#collectIdleGroups()}. */
    public Builder collectInterval(Duration d) {
      this.collectInterval = d;
      return this;
    }

    /**
     * How long clusters (and their endpoints) that an edit drops stay served next to the new config, so that routes
     * have moved away from them before they go (make before break); zero = removed at once.
     */
    public Builder removalDelay(Duration d) {
      this.removalDelay = d;
      return this;
    }

    public Builder idleGroupTtl(Duration d) {
      this.idleGroupTtl = d;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    public Builder readiness(Readiness readiness) {
      this.readiness = readiness;
      return this;
    }

    public XdsServer build() {
      return new XdsServer(this);
    }
  }
}
