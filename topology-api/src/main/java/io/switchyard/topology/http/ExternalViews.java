package io.switchyard.topology.http;

import io.switchyard.topology.query.Graph;
import io.switchyard.topology.query.GraphType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The graph in the shapes other tools read: Kiali's Cytoscape elements and Grafana's Node Graph API. */
final class ExternalViews {
  private ExternalViews() {}

  // ---- Kiali ----

  /**
   * Kiali's graph; {@code responsePercentile} is Kiali's {@code responseTime} parameter as a percentile (50, 95
   * or 99) whose latency goes into each edge's {@code responseTime}, or {@code null} for none ({@code avg}: the
   * store keeps histograms, not means). {@code namespaces} are the namespaces Kiali asked for (empty: all): a
   * node in another namespace is marked {@code isOutside}, as Kiali marks it.
   */
  static Map<String, Object> kiali(Graph g, long nowMs, Integer responsePercentile, Set<String> namespaces) {
    double seconds = g.window().seconds();
    double totalRequests = g.edges().stream().mapToDouble(Graph.Edge::requests).sum();
    List<Map<String, Object>> nodes = new ArrayList<>();
    for (Graph.Node n : g.nodes()) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("id", n.id());
      d.put("nodeType", kialiNodeType(n, g.type()));
      d.put("cluster", "unknown");
      d.put("namespace", n.namespace().isEmpty() ? "unknown" : n.namespace());
      if (!n.workload().isEmpty()) {
        d.put("workload", n.workload());
      }
      if (!n.app().isEmpty()) {
        d.put("app", n.app());
      }
      if (!n.version().isEmpty()) {
        d.put("version", n.version());
      }
      d.put("service", n.service());
      List<Map<String, Object>> traffic = new ArrayList<>();
      if (n.requestsIn() > 0 || n.requestsOut() > 0) {
        Map<String, String> rates = new LinkedHashMap<>();
        if (n.requestsIn() > 0) {
          rates.put("httpIn", rate(n.requestRateIn()));
          putClassRates(rates, "httpIn", n.responsesIn(), seconds);
        }
        if (n.requestsOut() > 0) {
          rates.put("httpOut", rate(n.requestRateOut()));
        }
        traffic.add(Map.of("protocol", "http", "rates", rates));
      }
      d.put("traffic", traffic);
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
    for (Graph.Edge e : g.edges()) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("id", e.id());
      d.put("source", e.source());
      d.put("target", e.target());
      String protocol = kialiProtocol(e.protocol());
      Map<String, String> rates = new LinkedHashMap<>();
      double pctReq = totalRequests > 0 ? 100 * e.requests() / totalRequests : 0;
      if (protocol.equals("tcp")) {
        rates.put("tcp", rate(e.requestRate()));
      } else {
        rates.put(protocol, rate(e.requestRate()));
        if (protocol.equals("http")) {
          putClassRates(rates, "http", e.responses(), seconds);
        } else {
          rates.put("grpcErr", rate(seconds > 0 ? e.failed() / seconds : 0));
        }
        String noResponse = protocol.equals("http") ? "httpNoResponse" : "grpcNoResponse";
        double none = e.responses().getOrDefault("-", 0.0);
        if (none > 0) {
          rates.put(noResponse, rate(seconds > 0 ? none / seconds : 0));
        }
        rates.put(protocol + "PercentErr", percent(e.errorPercent() == null ? 0 : e.errorPercent()));
        rates.put(protocol + "PercentReq", percent(pctReq));
      }
      Map<String, Object> responses = new LinkedHashMap<>();
      double requests = e.requests();
      for (Map.Entry<String, Double> r : e.responses().entrySet()) {
        String flagsPercent = requests > 0 ? percent(100 * r.getValue() / requests) : "0.0";
        responses.put(r.getKey(), Map.of("flags", Map.of("-", flagsPercent), "hosts", Map.of(hostOf(g, e.target()), flagsPercent)));
      }
      d.put("traffic", Map.of("protocol", protocol, "rates", rates, "responses", responses));
      Double responseTime = responsePercentile == null ? null : switch (responsePercentile) {
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
    body.put("timestamp", nowMs / 1000);
    body.put("duration", (long) seconds);
    body.put("graphType", g.type().wireName());
    body.put("elements", Map.of("nodes", nodes, "edges", edges));
    return body;
  }

  private static String hostOf(Graph g, String nodeId) {
    return g.nodes().stream().filter(n -> n.id().equals(nodeId)).findFirst().map(Graph.Node::service).orElse(nodeId);
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

  private static String kialiProtocol(String protocol) {
    String p = protocol == null ? "" : protocol.toLowerCase(Locale.ROOT);
    if (p.startsWith("grpc")) {
      return "grpc";
    }
    return p.equals("tcp") ? "tcp" : "http";
  }

  /** Adds {prefix}3xx/4xx/5xx rates from response classes ("404" and "4xx" both count as 4xx). */
  private static void putClassRates(Map<String, String> rates, String prefix, Map<String, Double> codes, double seconds) {
    double[] byClass = new double[6];
    for (Map.Entry<String, Double> c : codes.entrySet()) {
      String code = c.getKey();
      if (!code.isEmpty() && code.charAt(0) >= '1' && code.charAt(0) <= '5') {
        byClass[code.charAt(0) - '0'] += c.getValue();
      }
    }
    for (int k = 3; k <= 5; k++) {
      if (byClass[k] > 0) {
        rates.put(prefix + k + "xx", rate(seconds > 0 ? byClass[k] / seconds : 0));
      }
    }
  }

  private static String rate(double v) {
    return String.format(Locale.ROOT, "%.2f", v);
  }

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
      d.put("detail__telemetry", e.telemetry());
      edges.add(d);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("nodes", nodes);
    body.put("edges", edges);
    return body;
  }
}
