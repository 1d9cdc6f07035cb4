package io.switchyard.topology.query;

import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.TelemetrySource;
import java.util.HashMap;
import java.util.HashSet;
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
 * is dropped next to the logged {@code cart -> storefront/postgres}. The per-hop preference of the store (a hop's mesh
 * minute over its trace minute) is kept; this removes what it cannot see, the same requests named by other hops.
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

  /** Whether access-log records into {@code server} make it meshed: a service node, not a peer named from outside. */
  public static boolean isMeshServer(NodeRef server) {
    return switch (server.getKind()) {
      case NODE_KIND_USER, NODE_KIND_UNKNOWN, NODE_KIND_GROUPED, NODE_KIND_VIRTUAL -> false;
      default -> true;
    };
  }

  /**
   * The rule applied to a list of services (the services API, {@code switchyard_service_*}): the keys of the listed
   * virtual peers (a {@code postgres} named by {@code db.*} or {@code peer.service} of its callers' spans) that
   * resolve, with the namespace of every client that ever called them, to one listed service with access-log figures.
   * Their requests are that service's, which its sidecar logs. Peers that resolve to nothing listed, or to a service
   * without access logs, stay.
   *
   * @param virtualPeers listed virtual peers: name to list key
   * @param meshed list keys ({@code namespace/name}) of the listed services with access-log figures
   * @param edgeTotals feeds the edge totals (at least every edge into a listed virtual peer)
   */
  public static Set<String> peersOfMeshedServices(Map<String, String> virtualPeers, Set<String> meshed,
      Consumer<Consumer<EdgeAggregate>> edgeTotals) {
    if (virtualPeers.isEmpty() || meshed.isEmpty()) {
      return Set.of();
    }
    // Per peer name, what it resolves to from each of its callers (null: unresolvable from one of them).
    Map<String, Set<String>> resolved = new HashMap<>();
    edgeTotals.accept(e -> {
      if (e.getServer().getKind() == NodeRef.NodeKind.NODE_KIND_VIRTUAL && virtualPeers.containsKey(e.getServer().getName())) {
        resolved.computeIfAbsent(e.getServer().getName(), n -> new HashSet<>()).add(serverOf(e.getClient(), e.getServer()));
      }
    });
    Set<String> drop = new HashSet<>();
    resolved.forEach((name, services) -> {
      if (services.size() == 1 && meshed.contains(services.iterator().next())) {
        drop.add(virtualPeers.get(name));
      }
    });
    return drop;
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
    // Per (minute, server): whether a mesh record covers it wholly (a minute record, or a roll-up of every window).
    Map<SegmentServer, Boolean> meshed = new HashMap<>();
    for (int r = 0; r < records; r++) {
      if (sources[r] == MESH) {
        HopCatalog.Hop hop = catalog.hop(hops[r]);
        if (hop.meshServer != null && hop.serverIsService) {
          boolean whole = minutes[r] == 0 || minutes[r] >= windowsPerBucket;
          meshed.merge(new SegmentServer(segments[r], hop.meshServer), whole, Boolean::logicalOr);
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
      Boolean whole = hop.meshServer == null ? null : meshed.get(new SegmentServer(segments[r], hop.meshServer));
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
