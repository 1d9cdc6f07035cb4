package io.switchyard.topology.http;

import io.switchyard.topology.query.Graph;
import io.switchyard.topology.query.GraphType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The graph in the shapes other tools read: Kiali's Cytoscape elements and Grafana's Node Graph API. */
final class ExternalViews {
  private ExternalViews() {}

  // ---- Kiali ----

  /** Where the cluster's services live, as Istio's destination_service label names them. */
  private static final String CLUSTER_DOMAIN = "svc.cluster.local";

  /**
   * The response class of Envoy's own reply for each response flag (RL answers 429, UAEX 403, UH 503...), used
   * to put an edge's flags under the code they came with: the store counts flags per edge, not per code.
   * DC (downstream disconnect) has no response. FI and DI (fault injection) answer whatever was configured.
   */
  private static final Map<String, String> FLAG_CLASS = Map.ofEntries(
      Map.entry("RL", "4"), Map.entry("UAEX", "4"), Map.entry("NR", "4"), Map.entry("DPE", "4"),
      Map.entry("IH", "4"), Map.entry("SI", "4"), Map.entry("UH", "5"), Map.entry("UF", "5"),
      Map.entry("UO", "5"), Map.entry("URX", "5"), Map.entry("UC", "5"), Map.entry("UT", "5"),
      Map.entry("LH", "5"), Map.entry("LR", "5"), Map.entry("OM", "5"), Map.entry("DF", "5"),
      Map.entry("DO", "5"), Map.entry("UPE", "5"), Map.entry("RLSE", "5"), Map.entry("NC", "5"),
      Map.entry("UMSDR", "5"), Map.entry("DC", "-"));

  /** Kiali's protocols with their edge and node rates, in Kiali's order (its {@code graph.Protocols}). */
  private record KialiProtocol(String name, List<String> edgeRates, List<String> nodeRates) {}

  private static final List<KialiProtocol> PROTOCOLS = List.of(
      new KialiProtocol("grpc", List.of("grpc", "grpcNoResponse", "grpcErr"),
          List.of("grpcIn", "grpcInNoResponse", "grpcInErr", "grpcOut")),
      new KialiProtocol("http", List.of("http", "httpNoResponse", "http3xx", "http4xx", "http5xx"),
          List.of("httpIn", "httpInNoResponse", "httpIn3xx", "httpIn4xx", "httpIn5xx", "httpOut")),
      new KialiProtocol("tcp", List.of("tcp"), List.of("tcpIn", "tcpOut")));

  /** The edge rates Kiali marks IsErr: their sum over the total is the protocol's PercentErr. */
  private static final Set<String> ERROR_RATES = Set.of("httpNoResponse", "http4xx", "http5xx", "grpcNoResponse", "grpcErr");

  /**
   * Kiali's graph ({@code graph/config/cytoscape}): {@code queryTimeSeconds} and {@code durationSeconds} are
   * echoed as Kiali echoes them; {@code responsePercentile} is Kiali's {@code responseTime} parameter as a
   * percentile (50, 95 or 99) whose latency goes into each edge's {@code responseTime}, or {@code null} for
   * none ({@code avg}: the store keeps histograms, not means). {@code namespaces} are the namespaces Kiali asked
   * for (empty: all): a node in another namespace is marked {@code isOutside}, as Kiali marks it.
   */
  static Map<String, Object> kiali(Graph g, long queryTimeSeconds, long durationSeconds, Integer responsePercentile,
      Set<String> namespaces) {
    double seconds = g.window().seconds();
    Map<String, Graph.Node> byId = new HashMap<>();
    for (Graph.Node n : g.nodes()) {
      byId.put(n.id(), n);
    }
    // Kiali fills node rates from the traffic of their edges, so node and edge figures always agree.
    Map<String, Map<String, Double>> nodeRates = new HashMap<>();
    List<KialiEdge> kialiEdges = new ArrayList<>();
    for (Graph.Edge e : g.edges()) {
      KialiEdge k = KialiEdge.of(e, seconds, hostOf(byId.get(e.target()), e.target()));
      kialiEdges.add(k);
      k.addTo(nodeRates.computeIfAbsent(e.source(), id -> new HashMap<>()), nodeRates.computeIfAbsent(e.target(), id -> new HashMap<>()));
    }
    List<Map<String, Object>> nodes = new ArrayList<>();
    for (Graph.Node n : g.nodes()) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("id", n.id());
      String nodeType = kialiNodeType(n, g.type());
      d.put("nodeType", nodeType);
      d.put("cluster", "unknown");
      d.put("namespace", n.namespace().isEmpty() ? "unknown" : n.namespace());
      // Kiali names a node by the field of its type: a node without its own workload or app label (a traced
      // service) is named as the graph API names it, else Kiali's tools show it unnamed. The other labels are kept
      // as Kiali's NewNodeExplicit keeps them per type (its find/hide expressions and side panel read them): a
      // service node has no workload, app or version, a workload node no service, an app node no service and, but
      // in a versionedApp graph, no workload or version. Unknown nodes keep theirs, as Kiali does.
      boolean service = nodeType.equals("service");
      boolean unknown = nodeType.equals("unknown");
      boolean versioned = g.type() == GraphType.VERSIONED_APP;
      if ((!n.workload().isEmpty() && !service && (!nodeType.equals("app") || versioned)) || nodeType.equals("workload")) {
        d.put("workload", n.workload().isEmpty() ? n.name() : n.workload());
      }
      if ((!n.app().isEmpty() && !service) || nodeType.equals("app")) {
        d.put("app", n.app().isEmpty() ? n.name() : n.app());
      }
      if (!n.version().isEmpty() && !service && (!nodeType.equals("app") || versioned)) {
        d.put("version", n.version());
      }
      if (service || unknown) {
        d.put("service", n.service());
      }
      List<Map<String, Object>> traffic = nodeTraffic(nodeRates.getOrDefault(n.id(), Map.of()));
      if (!traffic.isEmpty()) {
        d.put("traffic", traffic);
      }
      if (n.root()) {
        d.put("isRoot", true);
      }
      // Kiali's outsider rule: nodes it cannot place in a namespace (its unknown nodes and services of an
      // unknown namespace) are inaccessible; a node of a namespace other than those asked for is outside.
      if (!"service".equals(n.kind())) {
        d.put("isInaccessible", true);
      } else if (!namespaces.isEmpty() && !namespaces.contains(n.namespace())) {
        d.put("isOutside", true);
      }
      nodes.add(Map.of("data", d));
    }
    List<Map<String, Object>> edges = new ArrayList<>();
    for (KialiEdge k : kialiEdges) {
      Graph.Edge e = k.edge;
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("id", e.id());
      d.put("source", e.source());
      d.put("target", e.target());
      double sourceOut = nodeRates.get(e.source()).getOrDefault(k.protocol + "Out", 0.0);
      d.put("traffic", k.traffic(sourceOut));
      // Kiali's responseTime appender reads istio_request_duration, which Envoy records for HTTP and gRPC requests
      // only: a TCP edge (a traced database or messaging hop included, TCP to Kiali) has none.
      Double responseTime = responsePercentile == null || k.protocol.equals("tcp") ? null : switch (responsePercentile) {
        case 50 -> e.latencyMs().p50();
        case 99 -> e.latencyMs().p99();
        default -> e.latencyMs().p95();
      };
      if (responseTime != null) {
        d.put("responseTime", String.format(Locale.ROOT, "%.0f", responseTime));
      }
      // No isMTLS: Kiali omits it unless it knows the share of mutual-TLS traffic, which the records do not carry.
      edges.add(Map.of("data", d));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("timestamp", queryTimeSeconds);
    body.put("duration", durationSeconds);
    body.put("graphType", g.type().wireName());
    body.put("elements", Map.of("nodes", nodes, "edges", edges));
    return body;
  }

  /** Kiali's node rates per protocol (Kiali's NodeRates order), leaving out protocols without traffic. */
  private static List<Map<String, Object>> nodeTraffic(Map<String, Double> rates) {
    List<Map<String, Object>> traffic = new ArrayList<>();
    for (KialiProtocol p : PROTOCOLS) {
      Map<String, String> shown = new LinkedHashMap<>();
      for (String name : p.nodeRates()) {
        double v = rates.getOrDefault(name, 0.0);
        if (v > 0) {
          shown.put(name, rate(v));
        }
      }
      if (!shown.isEmpty()) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("protocol", p.name());
        t.put("rates", shown);
        traffic.add(t);
      }
    }
    return traffic;
  }

  /** The host Istio's destination_service label names: a service's FQDN, a peer outside the mesh as named. */
  private static String hostOf(Graph.Node target, String nodeId) {
    if (target == null) {
      return nodeId;
    }
    if ("service".equals(target.kind()) && !target.namespace().isEmpty()) {
      return target.service() + "." + target.namespace() + "." + CLUSTER_DOMAIN;
    }
    return target.service().isEmpty() ? target.name() : target.service();
  }

  /**
   * One edge in Kiali's terms: its protocol, its rates per second by Kiali's rate names and its responses
   * by Kiali's code (counts, turned into shares of the edge's traffic when written).
   */
  private static final class KialiEdge {
    final Graph.Edge edge;
    final String protocol;
    final double total;
    final Map<String, Double> rates = new LinkedHashMap<>();
    /** Kiali code -> flag -> requests, and Kiali code -> requests (all to the one host). */
    final Map<String, Map<String, Double>> flags = new TreeMap<>();
    final Map<String, Double> codes = new TreeMap<>();
    final String host;

    private KialiEdge(Graph.Edge edge, String protocol, double total, String host) {
      this.edge = edge;
      this.protocol = protocol;
      this.total = total;
      this.host = host;
    }

    static KialiEdge of(Graph.Edge e, double seconds, String host) {
      String protocol = kialiProtocol(e);
      // Kiali's TCP rate is bytes per second (rateTcp=sent by default), its node tcpIn/tcpOut too; a TCP edge
      // from spans has no bytes, so it keeps its connections per second.
      // The request rate from the counts, not the graph's requestRate (rounded to 4 decimals for its JSON): Kiali's
      // shares and error % divide by it, and a slow edge's rounded rate made a 10 % failing edge read 9.9 %.
      double total = protocol.equals("tcp") && e.bytesSentRate() != null ? e.bytesSentRate()
          : seconds > 0 ? e.requests() / seconds : 0;
      KialiEdge k = new KialiEdge(e, protocol, total, host);
      k.put(protocol, total);
      if (protocol.equals("tcp")) {
        // Kiali keys all TCP traffic under "-": TCP has no response codes.
        k.codes.put("-", e.requests());
      } else {
        double grpcErrByCode = 0;
        double httpErrorsByCode = 0;
        // Exact codes where access logs gave them for all the edge's requests (Kiali's response_code /
        // grpc_response_status), else the classes: an edge with traced or older windows too has codes for a part.
        Map<String, Double> byCode = coversAll(e) ? e.responseCodes() : e.responses();
        for (Map.Entry<String, Double> r : byCode.entrySet()) {
          String code = kialiCode(r.getKey());
          double perSecond = seconds > 0 ? r.getValue() / seconds : 0;
          k.codes.merge(code.isEmpty() ? "-" : code, r.getValue(), Double::sum);
          if (protocol.equals("http")) {
            if (code.equals("-") || code.startsWith("4") || code.startsWith("5")) {
              httpErrorsByCode += r.getValue();
            }
            switch (code.isEmpty() ? ' ' : code.charAt(0)) {
              case '-' -> k.put("httpNoResponse", perSecond);
              case '3' -> k.put("http3xx", perSecond);
              case '4' -> k.put("http4xx", perSecond);
              case '5' -> k.put("http5xx", perSecond);
              default -> { }
            }
          } else if (code.equals("-")) {
            k.put("grpcNoResponse", perSecond);
          } else if (code.length() == 3 ? code.startsWith("4") || code.startsWith("5") : !code.equals("0") && !code.isEmpty()) {
            // Kiali's rule: a three-character code is an HTTP code, anything else a gRPC status.
            grpcErrByCode += perSecond;
          }
        }
        if (protocol.equals("http")) {
          // A failure without a known code (a traced span with status ERROR and no HTTP status) is in no class
          // above, and Kiali reads the error % from its rates alone: it goes under "-", no response code, or Kiali
          // would draw a failing hop healthy beside the graph API's error %. Kiali counts 4xx as errors: a traced
          // 404 whose client span has status ERROR (OTel's rule for HTTP clients) is failed and already an error
          // there, so counting it again under "-" put a hop with half its calls 404 at 100 %.
          double unexplained = e.failed() - httpErrorsByCode;
          if (unexplained > 1e-9 * Math.max(1, e.requests())) {
            k.codes.merge("-", unexplained, Double::sum);
            k.put("httpNoResponse", seconds > 0 ? unexplained / seconds : 0);
          }
        }
        if (protocol.equals("grpc")) {
          // Access-log records keep the HTTP class of a gRPC call; its gRPC status only shows in the failed
          // count, which also holds the calls that got no response.
          double noResponse = k.rates.getOrDefault("grpcNoResponse", 0.0);
          double failed = seconds > 0 ? e.failed() / seconds : 0;
          k.put("grpcErr", Math.max(grpcErrByCode, failed - noResponse));
        }
      }
      k.assignFlags(e.responseFlags());
      return k;
    }

    /** The exact codes count every request of the edge (their sums are of the same windows' whole counts). */
    private static boolean coversAll(Graph.Edge e) {
      if (e.responseCodes() == null) {
        return false;
      }
      double sum = 0;
      for (double n : e.responseCodes().values()) {
        sum += n;
      }
      return Math.abs(sum - e.requests()) <= 1e-6 * Math.max(1, e.requests());
    }

    private void put(String name, double perSecond) {
      if (perSecond > 0) {
        rates.merge(name, perSecond, Double::sum);
      }
    }

    /** Puts each flag's requests under the code Envoy answers it with, else under the code with most room. */
    private void assignFlags(Map<String, Double> edgeFlags) {
      Map<String, Double> room = new TreeMap<>(codes);
      for (Map.Entry<String, Double> f : new TreeMap<>(edgeFlags).entrySet()) {
        double left = f.getValue();
        String cls = FLAG_CLASS.get(f.getKey());
        if (cls != null) {
          for (Map.Entry<String, Double> c : room.entrySet()) {
            if (left > 0 && c.getKey().startsWith(cls) && c.getValue() > 0) {
              double n = Math.min(left, c.getValue());
              flag(c.getKey(), f.getKey(), n, room);
              left -= n;
            }
          }
        }
        while (left > 0) {
          Map.Entry<String, Double> most = room.entrySet().stream().max(Map.Entry.comparingByValue()).orElse(null);
          if (most == null || most.getValue() <= 0) {
            break;
          }
          double n = Math.min(left, most.getValue());
          flag(most.getKey(), f.getKey(), n, room);
          left -= n;
        }
      }
      // What no flag covers went out with Istio's "-" (no flags).
      room.forEach((code, n) -> {
        if (n > 0) {
          flags.computeIfAbsent(code, c -> new TreeMap<>()).merge("-", n, Double::sum);
        }
      });
    }

    private void flag(String code, String flag, double n, Map<String, Double> room) {
      flags.computeIfAbsent(code, c -> new TreeMap<>()).merge(flag, n, Double::sum);
      room.merge(code, -n, Double::sum);
    }

    /** Adds this edge's rates to its source's out and its destination's in, as Kiali's AddToMetadata does. */
    void addTo(Map<String, Double> source, Map<String, Double> dest) {
      if (total <= 0) {
        return;
      }
      source.merge(protocol + "Out", total, Double::sum);
      dest.merge(protocol + "In", total, Double::sum);
      rates.forEach((name, v) -> {
        if (!name.equals(protocol)) {
          // http4xx -> httpIn4xx, grpcErr -> grpcInErr, grpcNoResponse -> grpcInNoResponse
          dest.merge(protocol + "In" + name.substring(protocol.length()), v, Double::sum);
        }
      });
    }

    /** Kiali's edge traffic: rates with Kiali's precision, error and request shares, responses as shares. */
    Map<String, Object> traffic(double sourceOut) {
      Map<String, Object> t = new LinkedHashMap<>();
      t.put("protocol", protocol);
      if (total <= 0) {
        return t;
      }
      Map<String, String> shown = new LinkedHashMap<>();
      double err = 0;
      for (String name : PROTOCOLS.stream().filter(p -> p.name().equals(protocol)).findFirst().orElseThrow().edgeRates()) {
        double v = rates.getOrDefault(name, 0.0);
        if (v > 0) {
          shown.put(name, rate(v));
          if (ERROR_RATES.contains(name)) {
            err += v;
          }
        }
      }
      if (!protocol.equals("tcp")) {
        if (err > 0) {
          shown.put(protocol + "PercentErr", percent(err / total * 100));
        }
        if (sourceOut > 0) {
          shown.put(protocol + "PercentReq", percent(total / sourceOut * 100));
        }
      }
      t.put("rates", shown);
      Map<String, Object> responses = new LinkedHashMap<>();
      double requests = edge.requests();
      flags.forEach((code, byFlag) -> {
        Map<String, String> flagShares = new LinkedHashMap<>();
        byFlag.forEach((flag, n) -> flagShares.put(flag, percent(n / requests * 100)));
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("flags", flagShares);
        detail.put("hosts", Map.of(host, percent(codes.get(code) / requests * 100)));
        responses.put(code, detail);
      });
      if (!responses.isEmpty()) {
        t.put("responses", responses);
      }
      return t;
    }
  }

  /** The store's response key in Kiali's terms: gRPC statuses by number, classes ("4xx") as they are. */
  private static String kialiCode(String key) {
    return key.startsWith("grpc_") ? key.substring("grpc_".length()) : key;
  }

  /**
   * Kiali knows gRPC, HTTP and TCP: a database or messaging hop that is not HTTP is TCP to Istio, as is any
   * other named protocol; a span edge without a protocol is gRPC when its responses are gRPC statuses.
   */
  private static String kialiProtocol(Graph.Edge e) {
    String p = e.protocol() == null ? "" : e.protocol().toLowerCase(Locale.ROOT);
    if (p.startsWith("grpc") || (p.isEmpty() && e.responses().keySet().stream().anyMatch(k -> k.startsWith("grpc_")))) {
      return "grpc";
    }
    if (p.isEmpty() || p.startsWith("http")) {
      return "database".equals(e.connectionType()) || "messaging_system".equals(e.connectionType()) ? "tcp" : "http";
    }
    return "tcp";
  }

  /** A virtual node (a peer named from span attributes) is a service outside the mesh, as Kiali draws one. */
  private static String kialiNodeType(Graph.Node n, GraphType type) {
    if ("virtual".equals(n.kind())) {
      return "service";
    }
    if (!"service".equals(n.kind())) {
      return "unknown";
    }
    return switch (type) {
      case SERVICE -> "service";
      case WORKLOAD -> "workload";
      case APP, VERSIONED_APP -> "app";
    };
  }

  /** Kiali's rateToString: two decimals, more until a significant digit shows, at most five. */
  static String rate(double v) {
    double scaled = v;
    int needed = 0;
    while (v > 0 && needed < 5 && scaled < 1) {
      scaled *= 10;
      needed++;
    }
    return String.format(Locale.ROOT, "%." + Math.max(2, needed) + "f", v);
  }

  /** Kiali's percentages: one decimal, not widened. */
  private static String percent(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  // ---- Grafana Node Graph API ----

  static Map<String, Object> nodeGraphFields() {
    List<Map<String, Object>> edges = List.of(
        field("id", "string", null, null),
        field("source", "string", null, null),
        field("target", "string", null, null),
        field("mainstat", "number", null, "Requests/s"),
        field("secondarystat", "number", null, "Error %"),
        field("detail__p95_ms", "number", null, "p95 latency (ms)"),
        field("detail__queue_p95_ms", "number", null, "p95 queue latency (ms)"),
        field("detail__telemetry", "string", null, "Telemetry"));
    List<Map<String, Object>> nodes = List.of(
        field("id", "string", null, null),
        field("title", "string", null, null),
        field("subtitle", "string", null, null),
        field("mainstat", "number", null, "Requests/s in"),
        field("secondarystat", "number", null, "p95 latency (ms)"),
        field("arc__success", "number", "green", "Success"),
        field("arc__failed", "number", "red", "Failed"),
        field("detail__kind", "string", null, "Kind"),
        field("detail__error_percent", "number", null, "Error %"));
    return Map.of("edges_fields", edges, "nodes_fields", nodes);
  }

  private static Map<String, Object> field(String name, String type, String color, String displayName) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("field_name", name);
    f.put("type", type);
    if (color != null) {
      f.put("color", color);
    }
    if (displayName != null) {
      f.put("displayName", displayName);
    }
    return f;
  }

  static Map<String, Object> nodeGraphData(Graph g) {
    List<Map<String, Object>> nodes = new ArrayList<>();
    for (Graph.Node n : g.nodes()) {
      Map<String, Object> d = new LinkedHashMap<>();
      double failed = n.errorPercentIn() == null ? 0 : n.errorPercentIn() / 100;
      d.put("id", n.id());
      d.put("title", n.name());
      d.put("subtitle", n.namespace());
      d.put("mainstat", n.requestRateIn());
      d.put("secondarystat", n.latencyMs().p95());
      d.put("arc__success", 1 - failed);
      d.put("arc__failed", failed);
      d.put("detail__kind", n.kind());
      d.put("detail__error_percent", n.errorPercentIn());
      nodes.add(d);
    }
    List<Map<String, Object>> edges = new ArrayList<>();
    for (Graph.Edge e : g.edges()) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("id", e.id());
      d.put("source", e.source());
      d.put("target", e.target());
      d.put("mainstat", e.requestRate());
      d.put("secondarystat", e.errorPercent());
      d.put("detail__p95_ms", e.latencyMs().p95());
      d.put("detail__queue_p95_ms", e.queueLatencyMs() == null ? null : e.queueLatencyMs().p95());
      d.put("detail__telemetry", e.telemetry());
      edges.add(d);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("nodes", nodes);
    body.put("edges", edges);
    return body;
  }
}
