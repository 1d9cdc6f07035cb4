package io.switchyard.topology.query;

import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.TelemetrySource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Istio's reporter model applied per server: the destination sidecar of a meshed server logs every inbound request,
 * so in a calendar minute where any access-log (mesh) record names a service as its server, the traced (trace)
 * records into that service are dropped, whichever client they name. Trace hops into a virtual peer count as hops
 * into the service its name resolves to (Kubernetes DNS: {@code postgres} from a client in {@code storefront},
 * {@code postgres.storefront}, {@code postgres.storefront.svc[.cluster.local]}), so the traced {@code cart -> postgres}
 * is dropped next to the logged {@code cart -> storefront/postgres}. A traced service without a namespace (an SDK that
 * sets no {@code service.namespace}) is the logged service of its name when exactly one namespace has a logged service
 * so named ({@link Twins}): traced {@code gw -> frontend} is dropped next to logged {@code m10/gw -> m10/frontend}, and
 * its bare peer names resolve in that namespace. The per-hop preference of the store (a hop's mesh minute over its
 * trace minute) is kept; this removes what it cannot see, the same requests named by other hops.
 */
public final class MeshRule {
  private static final int MESH = TelemetrySource.TELEMETRY_SOURCE_MESH_VALUE;
  private static final int TRACE = TelemetrySource.TELEMETRY_SOURCE_TRACE_VALUE;

  private MeshRule() {}

  /**
   * The service ({@code namespace/name}) a hop's server stands for under the rule: a service node's own, a virtual
   * peer's by name resolution, else null (user, unknown and grouped nodes, names that are no cluster host).
   */
  public static String serverOf(NodeRef client, NodeRef server) {
    return switch (server.getKind()) {
      case NODE_KIND_USER, NODE_KIND_UNKNOWN, NODE_KIND_GROUPED -> null;
      case NODE_KIND_VIRTUAL -> resolve(server.getName(), client.getNamespace());
      default -> server.getNamespace() + "/" + server.getName();
    };
  }

  /**
   * {@link #serverOf(NodeRef, NodeRef)} where a namespace-less service, as the server or as the caller whose namespace
   * a bare peer name is resolved in, stands for its twin in {@code twins}: the one logged service of its name.
   */
  public static String serverOf(NodeRef client, NodeRef server, Twins twins) {
    return switch (server.getKind()) {
      case NODE_KIND_USER, NODE_KIND_UNKNOWN, NODE_KIND_GROUPED -> null;
      case NODE_KIND_VIRTUAL -> resolve(server.getName(), twins.namespaceOf(client));
      default -> twins.namespaceOf(server) + "/" + server.getName();
    };
  }

  /**
   * The name whose twin can change {@link #serverOf} for a hop, or null: the server's when it is a service without
   * namespace, the client's when it is one and the server a virtual peer (named in the client's namespace).
   */
  static String twinName(NodeRef client, NodeRef server) {
    if (server.getKind() == NodeRef.NodeKind.NODE_KIND_VIRTUAL) {
      return Twins.wanted(client) ? client.getName() : null;
    }
    return isMeshServer(server) && Twins.wanted(server) ? server.getName() : null;
  }

  /**
   * Per name, the namespaces of the logged services (service nodes at either end of an access-log record) so named:
   * a traced service of that name without a namespace is the one logged service when there is exactly one, and stays
   * itself when there is none or several (the same name in two namespaces is never guessed). Records of a roll-up
   * bucket may hold only some of its minutes, so a name with several namespaces of which not every one is present in
   * every minute may have exactly one in some minute: {@link #undecided}.
   */
  public static final class Twins {
    private final Map<String, Map<String, Boolean>> byName = new HashMap<>();

    /** A node of an access-log record present in every minute the twins are asked for. */
    public void logged(NodeRef node) {
      logged(node, true);
    }

    void logged(NodeRef node, boolean inEveryMinute) {
      if (node.getKind() == NodeRef.NodeKind.NODE_KIND_SERVICE && !node.getNamespace().isEmpty()) {
        byName.computeIfAbsent(node.getName(), n -> new HashMap<>(2))
            .merge(node.getNamespace(), inEveryMinute, Boolean::logicalOr);
      }
    }

    /** A service node without namespace: the only nodes a twin stands for. */
    static boolean wanted(NodeRef node) {
      return node.getKind() == NodeRef.NodeKind.NODE_KIND_SERVICE && node.getNamespace().isEmpty();
    }

    /** The namespace {@code node} stands in: its own, else its twin's, else {@code ""}. */
    String namespaceOf(NodeRef node) {
      if (!wanted(node)) {
        return node.getNamespace();
      }
      String twin = namespaceOf(node.getName());
      return twin == null ? "" : twin;
    }

    /** The one namespace with a logged service named {@code name}, or null (none, or several). */
    String namespaceOf(String name) {
      Map<String, Boolean> namespaces = byName.get(name);
      return namespaces != null && namespaces.size() == 1 ? namespaces.keySet().iterator().next() : null;
    }

    /**
     * Whether the twin of {@code name} may differ between the minutes: several namespaces, fewer than two of them in
     * every minute (with two in every minute no minute has one twin).
     */
    boolean undecided(String name) {
      Map<String, Boolean> namespaces = byName.get(name);
      if (namespaces == null || namespaces.size() < 2) {
        return false;
      }
      int everyMinute = 0;
      for (boolean b : namespaces.values()) {
        everyMinute += b ? 1 : 0;
      }
      return everyMinute < 2;
    }
  }

  /** Whether access-log records into {@code server} make it meshed: a service node, not a peer named from outside. */
  public static boolean isMeshServer(NodeRef server) {
    return switch (server.getKind()) {
      case NODE_KIND_USER, NODE_KIND_UNKNOWN, NODE_KIND_GROUPED, NODE_KIND_VIRTUAL -> false;
      default -> true;
    };
  }

  /**
   * The rule applied to a list of services (the services API, {@code switchyard_service_*}) over the listed range as a
   * whole: which listed entries hold requests that a listed service with access-log figures also counts, and are left
   * out. A virtual peer (a {@code postgres} named by {@code db.*} or {@code peer.service} of its callers' spans) is when
   * it resolves, with the namespace of every client that ever called it, to one such service. A service without
   * namespace is when exactly one namespace has a listed service of its name with access-log figures, and that is
   * it ({@link Twins}). Peers that resolve to nothing listed or to a service without access logs, and names logged in
   * several namespaces, stay.
   */
  public static final class ServiceList {
    private final Map<String, String> virtualPeers = new HashMap<>();
    private final Map<String, String> namespaceLess = new HashMap<>();
    private final Set<String> meshed = new HashSet<>();
    private final Twins twins = new Twins();

    /**
     * @param key the entry's list key
     * @param logged whether its figures include access logs
     */
    public void add(String key, NodeRef service, boolean logged) {
      if (service.getKind() == NodeRef.NodeKind.NODE_KIND_VIRTUAL) {
        virtualPeers.put(service.getName(), key);
      } else if (isMeshServer(service) && logged) {
        meshed.add(service.getNamespace() + "/" + service.getName());
        twins.logged(service);
      } else if (Twins.wanted(service)) {
        namespaceLess.put(service.getName(), key);
      }
    }

    /**
     * The keys of the entries to leave out; a namespace-less caller of a virtual peer resolves it in the namespace of
     * its twin among the access-log edges of {@code edgeTotals}.
     *
     * @param edgeTotals feeds the edge totals (every edge into a listed virtual peer, every access-log edge)
     */
    public Set<String> standIns(Consumer<Consumer<EdgeAggregate>> edgeTotals) {
      return standIns(edgeTotals, null);
    }

    /**
     * {@link #standIns(Consumer)} with the callers' twins already known ({@code callers}, from the same edge totals);
     * then {@code edgeTotals} need feed only the edges into listed virtual peers.
     */
    public Set<String> standIns(Consumer<Consumer<EdgeAggregate>> edgeTotals, Twins callers) {
      if (meshed.isEmpty()) {
        return Set.of();
      }
      Set<String> drop = new HashSet<>();
      namespaceLess.forEach((name, key) -> {
        String namespace = twins.namespaceOf(name);
        if (namespace != null && meshed.contains(namespace + "/" + name)) {
          drop.add(key);
        }
      });
      if (virtualPeers.isEmpty()) {
        return drop;
      }
      Twins callerTwins = callers != null ? callers : new Twins();
      List<EdgeAggregate> intoPeers = new ArrayList<>();
      edgeTotals.accept(e -> {
        if (e.getServer().getKind() == NodeRef.NodeKind.NODE_KIND_VIRTUAL && virtualPeers.containsKey(e.getServer().getName())) {
          intoPeers.add(e);
        } else if (callers == null && e.getSource() == TelemetrySource.TELEMETRY_SOURCE_MESH) {
          callerTwins.logged(e.getClient());
          callerTwins.logged(e.getServer());
        }
      });
      // Per peer name, what it resolves to from each of its callers (null: unresolvable from one of them).
      Map<String, Set<String>> resolved = new HashMap<>();
      for (EdgeAggregate e : intoPeers) {
        resolved.computeIfAbsent(e.getServer().getName(), n -> new HashSet<>())
            .add(serverOf(e.getClient(), e.getServer(), callerTwins));
      }
      resolved.forEach((name, services) -> {
        if (services.size() == 1 && meshed.contains(services.iterator().next())) {
          drop.add(virtualPeers.get(name));
        }
      });
      return drop;
    }
  }

  /**
   * The cluster service a peer name denotes, as a pod's resolver expands it: a bare name in the caller's namespace,
   * {@code name.namespace} and {@code name.namespace.svc...} as written; a port is ignored. Null for anything else
   * (an external host such as {@code api.stripe.com}, an address, a bare name from a caller without namespace).
   */
  static String resolve(String peer, String clientNamespace) {
    String host = peer.toLowerCase(Locale.ROOT);
    int colon = host.indexOf(':');
    if (colon >= 0) {
      host = host.substring(0, colon);
    }
    if (host.endsWith(".")) {
      host = host.substring(0, host.length() - 1);
    }
    if (host.isEmpty()) {
      return null;
    }
    String[] labels = host.split("\\.", -1);
    if (labels.length == 1) {
      return clientNamespace.isEmpty() ? null : clientNamespace + "/" + host;
    }
    boolean clusterName = labels.length == 2 || labels[2].equals("svc");
    if (!clusterName || labels[0].isEmpty() || labels[1].isEmpty() || Character.isDigit(labels[1].charAt(0))) {
      return null;
    }
    return labels[1] + "/" + labels[0];
  }

  /** What the rule decided for the records of one piece. */
  record Decision(long[] dropped, boolean ambiguous) {
    static final Decision NONE = new Decision(null, false);

    static boolean isDropped(long[] dropped, int record) {
      return dropped != null && (dropped[record >>> 6] & (1L << record)) != 0;
    }
  }

  /**
   * Which of a piece's records the rule drops. Records of one {@code segment} (a calendar minute) are judged together.
   * A record with {@code minutes[r] == 0} is one window; a roll-up record holds {@code minutes[r]} windows of a bucket
   * of {@code windowsPerBucket}: a trace roll-up into a server is dropped when a mesh roll-up into that server holds
   * every window of the bucket (then every minute of it has mesh figures). When the mesh records into a server hold
   * only some windows, the piece cannot tell which minutes they cover: it is {@code ambiguous} and must be read from
   * its minutes.
   */
  static Decision decide(HopCatalog catalog, int records, int[] hops, int[] sources, long[] segments, long[] minutes,
      long windowsPerBucket) {
    int mesh = 0;
    int trace = 0;
    for (int r = 0; r < records; r++) {
      mesh += sources[r] == MESH ? 1 : 0;
      trace += sources[r] == TRACE ? 1 : 0;
    }
    if (mesh == 0 || trace == 0) {
      return Decision.NONE;
    }
    // Names of namespace-less traced services whose twin can change a trace record's server.
    Set<String> twinNames = null;
    for (int r = 0; r < records; r++) {
      String name = sources[r] == TRACE ? catalog.hop(hops[r]).twinName : null;
      if (name != null) {
        if (twinNames == null) {
          twinNames = new HashSet<>();
        }
        twinNames.add(name);
      }
    }
    // Per (minute, server): whether a mesh record covers it wholly (a minute record, or a roll-up of every window).
    Map<SegmentServer, Boolean> meshed = new HashMap<>();
    // Per minute, the logged services of the names asked for: built once per piece, only when a record needs it.
    Map<Long, Twins> twins = twinNames == null ? null : new HashMap<>();
    for (int r = 0; r < records; r++) {
      if (sources[r] == MESH) {
        HopCatalog.Hop hop = catalog.hop(hops[r]);
        boolean whole = minutes[r] == 0 || minutes[r] >= windowsPerBucket;
        if (hop.meshServer != null && hop.serverIsService) {
          meshed.merge(new SegmentServer(segments[r], hop.meshServer), whole, Boolean::logicalOr);
        }
        if (twins != null && (twinNames.contains(hop.client.getName()) || twinNames.contains(hop.server.getName()))) {
          Twins t = twins.computeIfAbsent(segments[r], k -> new Twins());
          t.logged(hop.client, whole);
          t.logged(hop.server, whole);
        }
      }
    }
    long[] dropped = null;
    boolean ambiguous = false;
    for (int r = 0; r < records; r++) {
      if (sources[r] != TRACE) {
        continue;
      }
      HopCatalog.Hop hop = catalog.hop(hops[r]);
      String server = hop.meshServer;
      if (hop.twinName != null) {
        Twins t = twins.get(segments[r]);
        if (t != null) {
          if (t.undecided(hop.twinName)) {
            ambiguous = true;
            continue;
          }
          server = serverOf(hop.client, hop.server, t);
        }
      }
      Boolean whole = server == null ? null : meshed.get(new SegmentServer(segments[r], server));
      if (whole == null) {
        continue;
      }
      if (!whole) {
        ambiguous = true;
        continue;
      }
      if (dropped == null) {
        dropped = new long[(records + 63) >>> 6];
      }
      dropped[r >>> 6] |= 1L << r;
    }
    return dropped == null && !ambiguous ? Decision.NONE : new Decision(dropped, ambiguous);
  }

  private record SegmentServer(long segment, String server) {}
}
