package io.switchyard.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.metrics.Metrics;
import io.switchyard.xds.envoy.EnvoyResources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Randomized guard of the ADS ordering rule ({@link RoutesAfterClusters}): Envoy-like raw ADS clients (state of the
 * world and delta, an Envoy sidecar group and a proxyless one) apply every response as it arrives and answer it as
 * Envoy does (ACK, endpoint and route subscriptions following the clusters and listeners they hold), with their
 * requests held back and let out at random points, while random mesh edits go through the server's reload path.
 *
 * <p>At every route configuration a client receives, every cluster it names is one the client holds, and an EDS
 * cluster among them has had its endpoints sent since the client got it. With make before break on (dropped clusters
 * stay for longer than the test runs) that holds for every route the client has, at every response. Once the edits
 * stop and the clients answered everything, each holds exactly its group's last snapshot: nothing is held forever.
 *
 * <p>The seed fixes the edits and the clients' choices; the server's threads still interleave as they will, which is
 * what the test is after. A failure names its seed and step.
 *
 * <p>Before {@link ResubscribedNames}, about one case in 36 here (and 8 in 60 without the ordering rule) left a
 * state-of-the-world client that dropped routes and asked for them again without them for good.
 */
class RoutesAfterClustersStressTest {
  static final String CDS = AdsClient.CDS;
  static final String EDS = AdsClient.EDS;
  static final String LDS = AdsClient.LDS;
  static final String RDS = AdsClient.RDS;
  static final int EDITS = 40;
  static final int STEPS = 400;
  static final Duration SETTLE = Duration.ofSeconds(10);

  @TempDir Path dir;
  Path meshFile;
  XdsServer server;
  ManagedChannel channel;
  final List<Sim> sims = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    sims.forEach(s -> s.ads.close());
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.close();
    }
  }

  static Stream<Arguments> seeds() {
    if (System.getProperty("stress.seed") != null) {
      // To rerun the seed of a failure: -Dstress.seed=N -Dstress.keep=true|false
      return Stream.of(Arguments.of(Long.getLong("stress.seed"), Boolean.getBoolean("stress.keep")));
    }
    return Stream.of(1L, 2L, 3L, 4L, 5L, 6L).flatMap(seed -> Stream.of(Arguments.of(seed, false),
        Arguments.of(seed, true)));
  }

  @ParameterizedTest(name = "seed {0}, make before break {1}")
  @MethodSource("seeds")
  void routesNeverGoOutAheadOfTheirClustersAndEndpointsAndEverythingArrivesInTheEnd(long seed, boolean keepDropped)
      throws Exception {
    Random rnd = new Random(seed);
    MeshGen gen = new MeshGen(rnd);
    meshFile = dir.resolve("mesh.yaml");
    String text = gen.next();
    Files.writeString(meshFile, text);
    // Make before break on: dropped clusters outlive the test, so no client ever loses a cluster a route names.
    server = XdsServer.builder(meshFile, new Metrics(new PrometheusRegistry()))
        .port(0).host("127.0.0.1").pollInterval(Duration.ZERO).collectInterval(Duration.ZERO)
        .removalDelay(keepDropped ? Duration.ofDays(1) : Duration.ZERO)
        .build().start();
    Map<String, EnvoyResources> expected = new HashMap<>(MeshConfig.load(meshFile).groups());
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(), InsecureChannelCredentials.create()).build();
    String ctx = "seed " + seed + (keepDropped ? " (make before break)" : "");
    sims.add(new Sim(ctx + " sotw edge", channel, false, "edge", keepDropped, rnd.nextLong()));
    sims.add(new Sim(ctx + " delta edge", channel, true, "edge", keepDropped, rnd.nextLong()));
    boolean deltaProxyless = rnd.nextBoolean();
    sims.add(new Sim(ctx + (deltaProxyless ? " delta" : " sotw") + " proxyless", channel, deltaProxyless, "pl",
        keepDropped, rnd.nextLong()));
    sims.forEach(Sim::start);

    int edits = 0;
    for (int step = 0; step < STEPS; step++) {
      int action = rnd.nextInt(10);
      Sim sim = sims.get(rnd.nextInt(sims.size()));
      if (action < 1 && edits < EDITS) {
        text = gen.next();
        Files.writeString(meshFile, text);
        assertThat(server.reloadNow()).as("%s: edit %d is published:%n%s", ctx, edits, text).isTrue();
        Map<String, EnvoyResources> next = MeshConfig.load(meshFile).groups();
        next.forEach((group, target) -> expected.put(group,
            keepDropped ? XdsServer.keepingDropped(expected.get(group), target) : target));
        edits++;
      } else if (action < 6) {
        sim.receiveArrived(step);
      } else {
        sim.flush(1 + rnd.nextInt(3));
      }
    }

    // The edits stop: the clients answer everything until each holds its group's last snapshot.
    long deadline = System.nanoTime() + SETTLE.toNanos();
    for (Sim sim : sims) {
      while (!sim.holdsExactly(expected.get(sim.group))) {
        assertThat(System.nanoTime()).as("%s: never got the last snapshot; holds %s, expected %s", sim.name,
            sim.describe(), describe(expected.get(sim.group))).isLessThan(deadline);
        sims.forEach(s -> s.flush(Integer.MAX_VALUE));
        sim.receiveWaiting(STEPS, Duration.ofMillis(50));
      }
    }
  }

  static String describe(EnvoyResources r) {
    return "clusters " + new TreeSet<>(r.clusters().stream().map(Cluster::getName).toList()) + ", routes "
        + r.routes().stream().map(rc -> rc.getName() + "->" + routeClusters(rc)).toList();
  }

  // ------------------------------------------------------------------ random meshes

  /** Random valid meshes over a few services: added and removed services, subsets, splits, endpoint moves. */
  static final class MeshGen {
    static final int SERVICES = 5;
    final Random rnd;
    int generation;

    MeshGen(Random rnd) {
      this.rnd = rnd;
    }

    String next() {
      generation++;
      StringBuilder sb = new StringBuilder();
      if (rnd.nextInt(3) == 0) {
        // A cluster that is not EDS (STATIC or STRICT_DNS): a client asks no endpoints for it.
        sb.append("switchyard:\n  extAuthz: {host: ").append(rnd.nextBoolean() ? "127.0.0.1" : "authz.example")
            .append("}\n");
      }
      sb.append("services:\n");
      List<Integer> present = new ArrayList<>();
      Set<Integer> withV2 = new HashSet<>();
      for (int i = 0; i < SERVICES; i++) {
        if (i != 0 && rnd.nextInt(3) == 0) {
          continue;
        }
        present.add(i);
        sb.append("  - name: svc").append(i).append("\n    namespace: default\n")
            .append("    ports: [{port: ").append(9080 + i).append(i % 2 == 0 ? "" : ", protocol: grpc").append("}]\n")
            .append("    connectTimeout: ").append(1 + rnd.nextInt(3)).append("s\n")
            .append("    endpoints:\n      - {address: 10.0.").append(i).append('.').append(1 + rnd.nextInt(3))
            .append(", labels: {version: v1}}\n");
        if (rnd.nextBoolean()) {
          withV2.add(i);
          sb.append("      - {address: 10.1.").append(i).append('.').append(1 + rnd.nextInt(3))
              .append(", labels: {version: v2}}\n");
        }
      }
      sb.append("workloads:\n  - name: gateway\n    namespace: default\n    nodeGroup: edge\n    listenerPort: ")
          .append(rnd.nextInt(4) == 0 ? 8081 : 8080).append("\n    routes:\n");
      routes(sb, present, withV2, true);
      sb.append("  - name: client\n    namespace: default\n    nodeGroup: pl\n    proxyless: true\n    routes:\n");
      routes(sb, present, withV2, false);
      // Every edit changes the text (an unchanged file is not published again).
      sb.append("# generation ").append(generation).append('\n');
      return sb.toString();
    }

    private void routes(StringBuilder sb, List<Integer> present, Set<Integer> withV2, boolean splits) {
      int n = 1 + rnd.nextInt(3);
      for (int r = 0; r < n; r++) {
        sb.append("      - match: {prefix: /r").append(r).append("}\n        to: [");
        int dests = splits && rnd.nextInt(3) == 0 ? 2 : 1;
        for (int d = 0; d < dests; d++) {
          int svc = present.get(rnd.nextInt(present.size()));
          sb.append(d == 0 ? "" : ", ").append("{service: svc").append(svc);
          int subset = rnd.nextInt(3);
          if (subset == 1) {
            sb.append(", subset: v1");
          } else if (subset == 2 && withV2.contains(svc)) {
            sb.append(", subset: v2");
          }
          sb.append(", weight: ").append(1 + rnd.nextInt(99)).append('}');
        }
        sb.append("]\n");
      }
    }
  }

  // ------------------------------------------------------------------ the Envoy-like client

  static String edsName(Cluster c) {
    String service = c.getEdsClusterConfig().getServiceName();
    return service.isEmpty() ? c.getName() : service;
  }

  static Set<String> routeClusters(RouteConfiguration rc) {
    Set<String> out = new TreeSet<>();
    for (VirtualHost vh : rc.getVirtualHostsList()) {
      for (Route r : vh.getRoutesList()) {
        if (!r.getRoute().getCluster().isEmpty()) {
          out.add(r.getRoute().getCluster());
        }
        for (WeightedCluster.ClusterWeight w : r.getRoute().getWeightedClusters().getClustersList()) {
          out.add(w.getName());
        }
      }
    }
    return out;
  }

  static HttpConnectionManager hcm(Listener l) throws InvalidProtocolBufferException {
    if (l.hasApiListener()) {
      return l.getApiListener().getApiListener().unpack(HttpConnectionManager.class);
    }
    for (FilterChain fc : l.getFilterChainsList()) {
      for (Filter f : fc.getFiltersList()) {
        if (f.getTypedConfig().is(HttpConnectionManager.class)) {
          return f.getTypedConfig().unpack(HttpConnectionManager.class);
        }
      }
    }
    return null;
  }

  /** One Envoy-like ADS client: applies responses on receipt, answers as Envoy, its requests let out later. */
  static final class Sim {
    final String name;
    final AdsClient ads;
    final boolean delta;
    final String group;
    final boolean strict;
    final Random rnd;
    final Node node;
    final Deque<Message> outbox = new ArrayDeque<>();
    final Map<String, Cluster> clusters = new HashMap<>();
    final Map<String, ClusterLoadAssignment> endpoints = new HashMap<>();
    // EDS names whose endpoints (or removal) arrived since the client got the cluster.
    final Set<String> endpointsSince = new HashSet<>();
    final Map<String, Listener> listeners = new HashMap<>();
    final Map<String, RouteConfiguration> routes = new HashMap<>();
    Set<String> edsNames = new TreeSet<>();
    Set<String> rdsNames = new TreeSet<>();
    final Map<String, String> versions = new HashMap<>();
    final Map<String, String> nonces = new HashMap<>();
    boolean listenersAsked;
    final List<String> log = new ArrayList<>();

    Sim(String name, ManagedChannel channel, boolean delta, String group, boolean strict, long seed) {
      this.name = name;
      this.ads = new AdsClient(channel, delta);
      this.delta = delta;
      this.group = group;
      this.strict = strict;
      this.rnd = new Random(seed);
      this.node = AdsClient.node(group);
    }

    void start() {
      if (delta) {
        outbox.add(DeltaDiscoveryRequest.newBuilder().setNode(node).setTypeUrl(CDS).build());
      } else {
        outbox.add(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(CDS).build());
      }
      flush(1);
    }

    /** Sends up to {@code n} of the held-back requests, in order. */
    void flush(int n) {
      for (int i = 0; i < n && !outbox.isEmpty(); i++) {
        Message m = outbox.poll();
        if (m instanceof DiscoveryRequest r) {
          ads.send(r);
        } else {
          ads.send((DeltaDiscoveryRequest) m);
        }
      }
    }

    void receiveArrived(int step) throws Exception {
      int n = rnd.nextInt(4);
      for (int i = 0; i < n; i++) {
        Message m = delta ? ads.deltaResponses.poll() : ads.responses.poll();
        if (m == null) {
          return;
        }
        receive(m, step);
      }
    }

    void receiveWaiting(int step, Duration wait) throws Exception {
      Message m = delta ? ads.deltaResponses.poll(wait.toMillis(), TimeUnit.MILLISECONDS)
          : ads.responses.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
      while (m != null) {
        receive(m, step);
        m = delta ? ads.deltaResponses.poll() : ads.responses.poll();
      }
    }

    private void receive(Message m, int step) throws Exception {
      String at = name + " at step " + step;
      if (m instanceof DiscoveryResponse r) {
        log.add(XdsMetrics.shortType(r.getTypeUrl()) + " v" + r.getVersionInfo());
        sotw(r, at);
      } else {
        DeltaDiscoveryResponse r = (DeltaDiscoveryResponse) m;
        log.add(XdsMetrics.shortType(r.getTypeUrl()) + " v" + r.getSystemVersionInfo());
        delta(r, at);
      }
      if (strict) {
        checkRoutes(routes.values(), at);
      }
    }

    // ---------------------------------------------------------------- state of the world

    private void sotw(DiscoveryResponse r, String at) throws Exception {
      String type = r.getTypeUrl();
      versions.put(type, r.getVersionInfo());
      nonces.put(type, r.getNonce());
      switch (type) {
        case CDS -> {
          Map<String, Cluster> next = new HashMap<>();
          for (Any a : r.getResourcesList()) {
            Cluster c = a.unpack(Cluster.class);
            next.put(c.getName(), c);
          }
          setClusters(next);
          outbox.add(ack(r, List.of()));
          Set<String> eds = edsNamesOfClusters();
          if (!eds.equals(edsNames)) {
            edsNames = eds;
            outbox.add(request(EDS, edsNames));
          }
          askListeners();
        }
        case EDS -> {
          for (Any a : r.getResourcesList()) {
            ClusterLoadAssignment cla = a.unpack(ClusterLoadAssignment.class);
            if (edsNames.contains(cla.getClusterName())) {
              endpoints.put(cla.getClusterName(), cla);
              endpointsSince.add(cla.getClusterName());
            }
          }
          outbox.add(ack(r, edsNames));
        }
        case LDS -> {
          listeners.clear();
          for (Any a : r.getResourcesList()) {
            Listener l = a.unpack(Listener.class);
            listeners.put(l.getName(), l);
          }
          outbox.add(ack(r, List.of()));
          Set<String> rds = rdsNamesOfListeners(at);
          if (!rds.equals(rdsNames)) {
            rdsNames = rds;
            routes.keySet().retainAll(rds);
            outbox.add(request(RDS, rdsNames));
          }
        }
        case RDS -> {
          List<RouteConfiguration> received = new ArrayList<>();
          for (Any a : r.getResourcesList()) {
            RouteConfiguration rc = a.unpack(RouteConfiguration.class);
            if (rdsNames.contains(rc.getName())) {
              routes.put(rc.getName(), rc);
              received.add(rc);
            }
          }
          checkRoutes(received, at);
          outbox.add(ack(r, rdsNames));
        }
        default -> throw new AssertionError(at + ": unexpected type " + type);
      }
    }

    private DiscoveryRequest ack(DiscoveryResponse r, Collection<String> names) {
      return DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(r.getTypeUrl()).setVersionInfo(r.getVersionInfo())
          .setResponseNonce(r.getNonce()).addAllResourceNames(names).build();
    }

    private DiscoveryRequest request(String type, Collection<String> names) {
      return DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(type)
          .setVersionInfo(versions.getOrDefault(type, "")).setResponseNonce(nonces.getOrDefault(type, ""))
          .addAllResourceNames(names).build();
    }

    private void askListeners() {
      if (!listenersAsked) {
        listenersAsked = true;
        outbox.add(delta ? DeltaDiscoveryRequest.newBuilder().setNode(node).setTypeUrl(LDS).build()
            : DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(LDS).build());
      }
    }

    // ---------------------------------------------------------------- delta

    private void delta(DeltaDiscoveryResponse r, String at) throws Exception {
      String type = r.getTypeUrl();
      switch (type) {
        case CDS -> {
          Map<String, Cluster> next = new HashMap<>(clusters);
          for (Resource res : r.getResourcesList()) {
            Cluster c = res.getResource().unpack(Cluster.class);
            next.put(c.getName(), c);
          }
          r.getRemovedResourcesList().forEach(next::remove);
          setClusters(next);
          outbox.add(deltaAck(r));
          Set<String> eds = edsNamesOfClusters();
          subscriptionChange(EDS, edsNames, eds);
          edsNames = eds;
          askListeners();
        }
        case EDS -> {
          for (Resource res : r.getResourcesList()) {
            ClusterLoadAssignment cla = res.getResource().unpack(ClusterLoadAssignment.class);
            if (edsNames.contains(cla.getClusterName())) {
              endpoints.put(cla.getClusterName(), cla);
              endpointsSince.add(cla.getClusterName());
            }
          }
          for (String removed : r.getRemovedResourcesList()) {
            if (edsNames.contains(removed)) {
              // Envoy's EDS cluster finishes warming on a removal too, with no endpoints.
              endpoints.remove(removed);
              endpointsSince.add(removed);
            }
          }
          outbox.add(deltaAck(r));
        }
        case LDS -> {
          for (Resource res : r.getResourcesList()) {
            Listener l = res.getResource().unpack(Listener.class);
            listeners.put(l.getName(), l);
          }
          r.getRemovedResourcesList().forEach(listeners::remove);
          outbox.add(deltaAck(r));
          Set<String> rds = rdsNamesOfListeners(at);
          subscriptionChange(RDS, rdsNames, rds);
          rdsNames = rds;
          routes.keySet().retainAll(rds);
        }
        case RDS -> {
          List<RouteConfiguration> received = new ArrayList<>();
          for (Resource res : r.getResourcesList()) {
            RouteConfiguration rc = res.getResource().unpack(RouteConfiguration.class);
            if (rdsNames.contains(rc.getName())) {
              routes.put(rc.getName(), rc);
              received.add(rc);
            }
          }
          checkRoutes(received, at);
          outbox.add(deltaAck(r));
        }
        default -> throw new AssertionError(at + ": unexpected type " + type);
      }
    }

    private DeltaDiscoveryRequest deltaAck(DeltaDiscoveryResponse r) {
      return DeltaDiscoveryRequest.newBuilder().setNode(node).setTypeUrl(r.getTypeUrl())
          .setResponseNonce(r.getNonce()).build();
    }

    private void subscriptionChange(String type, Set<String> before, Set<String> after) {
      Set<String> added = new TreeSet<>(after);
      added.removeAll(before);
      Set<String> removed = new TreeSet<>(before);
      removed.removeAll(after);
      if (!added.isEmpty() || !removed.isEmpty()) {
        outbox.add(DeltaDiscoveryRequest.newBuilder().setNode(node).setTypeUrl(type)
            .addAllResourceNamesSubscribe(added).addAllResourceNamesUnsubscribe(removed).build());
      }
    }

    // ---------------------------------------------------------------- shared

    /** The client's clusters become {@code next}; a cluster it gets anew has had no endpoints yet. */
    private void setClusters(Map<String, Cluster> next) {
      for (Cluster old : clusters.values()) {
        Cluster now = next.get(old.getName());
        if (now == null || !edsName(now).equals(edsName(old)) || now.getType() != old.getType()) {
          endpoints.remove(edsName(old));
          endpointsSince.remove(edsName(old));
        }
      }
      clusters.clear();
      clusters.putAll(next);
    }

    private Set<String> edsNamesOfClusters() {
      Set<String> out = new TreeSet<>();
      clusters.values().stream().filter(c -> c.getType() == Cluster.DiscoveryType.EDS)
          .forEach(c -> out.add(edsName(c)));
      return out;
    }

    private Set<String> rdsNamesOfListeners(String at) throws Exception {
      Set<String> out = new TreeSet<>();
      for (Listener l : listeners.values()) {
        HttpConnectionManager h = hcm(l);
        if (h == null) {
          continue;
        }
        if (h.hasRds()) {
          out.add(h.getRds().getRouteConfigName());
        } else if (h.hasRouteConfig()) {
          checkRoutes(List.of(h.getRouteConfig()), at + " (inline routes of listener " + l.getName() + ")");
        }
      }
      return out;
    }

    /** Every cluster these routes name is held, and an EDS one has had its endpoints since. */
    private void checkRoutes(Collection<RouteConfiguration> rcs, String at) {
      for (RouteConfiguration rc : rcs) {
        for (String c : routeClusters(rc)) {
          Cluster cluster = clusters.get(c);
          assertThat(cluster).as("%s: routes %s name cluster %s the client does not have; it has %s; received %s",
              at, rc.getName(), c, new TreeSet<>(clusters.keySet()), log).isNotNull();
          if (cluster.getType() == Cluster.DiscoveryType.EDS) {
            assertThat(endpointsSince).as("%s: routes %s name EDS cluster %s whose endpoints were not sent; received %s",
                at, rc.getName(), c, log).contains(edsName(cluster));
          }
        }
      }
    }

    boolean holdsExactly(EnvoyResources r) {
      if (!outbox.isEmpty()) {
        return false;
      }
      Map<String, Cluster> wantClusters = new HashMap<>();
      r.clusters().forEach(c -> wantClusters.put(c.getName(), c));
      Map<String, ClusterLoadAssignment> wantEndpoints = new HashMap<>();
      r.endpoints().forEach(e -> wantEndpoints.put(e.getClusterName(), e));
      wantEndpoints.keySet().retainAll(edsNamesOfClusters());
      Map<String, Listener> wantListeners = new LinkedHashMap<>();
      r.listeners().forEach(l -> wantListeners.put(l.getName(), l));
      Map<String, RouteConfiguration> wantRoutes = new HashMap<>();
      r.routes().forEach(rc -> wantRoutes.put(rc.getName(), rc));
      wantRoutes.keySet().retainAll(rdsNames);
      Map<String, ClusterLoadAssignment> held = new HashMap<>(endpoints);
      held.keySet().retainAll(edsNamesOfClusters());
      return clusters.equals(wantClusters) && held.equals(wantEndpoints) && listeners.equals(wantListeners)
          && routes.equals(wantRoutes);
    }

    String describe() {
      return "clusters " + new TreeSet<>(clusters.keySet()) + ", endpoints " + new TreeSet<>(endpoints.keySet())
          + ", listeners " + new TreeSet<>(listeners.keySet()) + ", routes "
          + routes.values().stream().map(rc -> rc.getName() + "->" + routeClusters(rc)).toList()
          + ", requests not sent " + outbox.size() + ", received " + log;
    }
  }
}
