package io.switchyard.demo;

import java.util.List;
import java.util.Map;

/**
 * The simulated mesh: a storefront of ten services in namespace {@code storefront}. Each service has a
 * pod IP, an own-processing latency (log-normal: median and p99) and an error rate; calls between them
 * follow the routes below. Steady-state error rates are small enough that the demo SLOs (config/demo/slo)
 * keep their budget; only the checkout-outage scenario burns it. {@code postgres} is a database (client spans only) and {@code orders} a
 * message queue between checkout (producer) and shipping (consumer).
 */
final class Storefront {
  static final String NAMESPACE = "storefront";
  static final String TRUST_DOMAIN = "cluster.local";
  static final int PORT = 8080;

  enum Kind { HTTP, DATABASE, QUEUE }

  record Service(String name, String ip, double medianMs, double p99Ms, double errorRate, Kind kind) {
    String fqdn() {
      return name + "." + NAMESPACE + ".svc.cluster.local";
    }

    String pod() {
      return name + "-7d9f8b6c5-" + String.format("%05x", name.hashCode() & 0xfffff);
    }

    String nodeId() {
      return "sidecar~" + ip + "~" + pod() + "." + NAMESPACE + "~" + NAMESPACE + ".svc.cluster.local";
    }

    String principal() {
      return name.equals(INGRESS_NAME) ? INGRESS_PRINCIPAL : "spiffe://" + TRUST_DOMAIN + "/ns/" + NAMESPACE + "/sa/" + name;
    }
  }

  /** A downstream call a service makes while serving a request; {@code probability} of making it. */
  record Call(String to, double probability) {}

  static final Map<String, Service> SERVICES = Map.ofEntries(
      svc("frontend", "10.8.0.10", 4, 25, 0.0001, Kind.HTTP),
      svc("catalog", "10.8.0.11", 3, 20, 0.0001, Kind.HTTP),
      svc("cart", "10.8.0.12", 2, 15, 0.0001, Kind.HTTP),
      svc("checkout", "10.8.0.13", 6, 40, 0.0002, Kind.HTTP),
      svc("payments", "10.8.0.14", 12, 90, 0.0003, Kind.HTTP),
      svc("shipping", "10.8.0.15", 5, 30, 0.0001, Kind.HTTP),
      svc("recommendation", "10.8.0.16", 8, 60, 0.0005, Kind.HTTP),
      svc("currency", "10.8.0.17", 1, 6, 0.0001, Kind.HTTP),
      svc("postgres", "10.8.0.30", 2, 18, 0.00005, Kind.DATABASE),
      svc("orders", "10.8.0.31", 1, 5, 0, Kind.QUEUE));

  static final Map<String, List<Call>> CALLS = Map.of(
      "frontend:/api/products", List.of(new Call("catalog", 1), new Call("recommendation", 0.7), new Call("currency", 1)),
      "frontend:/api/cart", List.of(new Call("cart", 1), new Call("currency", 0.5)),
      "frontend:/api/checkout", List.of(new Call("checkout", 1)),
      "catalog", List.of(new Call("postgres", 1)),
      "cart", List.of(new Call("postgres", 0.8)),
      "recommendation", List.of(new Call("catalog", 1)),
      "checkout", List.of(new Call("cart", 1), new Call("currency", 1), new Call("payments", 1), new Call("orders", 1)),
      "orders", List.of(new Call("shipping", 1)));

  /** The ingress gateway's node; its outbound log entries are the mesh's entry edge. */
  static final String INGRESS_NAME = "istio-ingressgateway";
  static final String INGRESS_PRINCIPAL = "spiffe://" + TRUST_DOMAIN + "/ns/istio-system/sa/istio-ingressgateway";
  static final Service INGRESS = new Service(INGRESS_NAME, "10.8.0.2", 1, 4, 0, Kind.HTTP);

  /** Entry paths with their share of traffic; /admin is denied by the demo's policies. */
  static final List<Map.Entry<String, Double>> PATHS = List.of(
      Map.entry("/api/products", 0.55),
      Map.entry("/api/cart", 0.2),
      Map.entry("/api/checkout", 0.22),
      Map.entry("/admin/stats", 0.03));

  private static Map.Entry<String, Service> svc(String name, String ip, double median, double p99, double err, Kind kind) {
    return Map.entry(name, new Service(name, ip, median, p99, err, kind));
  }

  private Storefront() {}
}
