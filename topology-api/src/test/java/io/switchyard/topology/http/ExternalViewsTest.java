package io.switchyard.topology.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.topology.query.Graph;
import io.switchyard.topology.query.GraphType;
import io.switchyard.topology.query.QueryWindow;
import io.switchyard.topology.query.Traffic;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The Kiali view marks nodes as Kiali's outsider finalizer does. */
class ExternalViewsTest {
  private static final Traffic.Latency NO_LATENCY = new Traffic.Latency(null, null, null);

  private static final Graph GRAPH = new Graph(GraphType.SERVICE, new QueryWindow(0, 60_000, 60_000),
      List.of(node("user", "", "user", true), node("shop/frontend", "shop", "service", false),
          node("billing/payments", "billing", "service", false), node("mysql", "", "virtual", false)),
      List.of(edge("user", "shop/frontend"), edge("shop/frontend", "billing/payments"), edge("billing/payments", "mysql")));

  @Test
  void nodesOfNamespacesNotAskedForAreOutside() {
    Map<String, Map<String, Object>> nodes = nodes(ExternalViews.kiali(GRAPH, 60_000, null, Set.of("shop")));
    assertThat(nodes.get("shop/frontend")).doesNotContainKeys("isOutside", "isInaccessible");
    assertThat(nodes.get("billing/payments")).containsEntry("isOutside", true).doesNotContainKey("isInaccessible");
  }

  @Test
  void withoutNamespacesAskedNoNodeIsOutside() {
    Map<String, Map<String, Object>> nodes = nodes(ExternalViews.kiali(GRAPH, 60_000, null, Set.of()));
    assertThat(nodes.values()).allSatisfy(d -> assertThat(d).doesNotContainKey("isOutside"));
  }

  @Test
  void unknownAndVirtualNodesAreInaccessibleNotOutside() {
    Map<String, Map<String, Object>> nodes = nodes(ExternalViews.kiali(GRAPH, 60_000, null, Set.of("shop")));
    assertThat(nodes.get("user")).containsEntry("nodeType", "unknown").containsEntry("isRoot", true)
        .containsEntry("isInaccessible", true).doesNotContainKey("isOutside");
    // A peer named from span attributes is a service outside the mesh, in no namespace Kiali knows.
    assertThat(nodes.get("mysql")).containsEntry("nodeType", "service").containsEntry("namespace", "unknown")
        .containsEntry("isInaccessible", true).doesNotContainKey("isOutside");
  }

  @Test
  void edgesCarryNoMtlsShareTheRecordsDoNotHave() {
    Map<String, Object> body = ExternalViews.kiali(GRAPH, 60_000, 95, Set.of());
    assertThat(elements(body, "edges")).hasSize(3).allSatisfy(d -> assertThat(d).doesNotContainKey("isMTLS"));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> elements(Map<String, Object> body, String kind) {
    Map<String, List<Map<String, Object>>> elements = (Map<String, List<Map<String, Object>>>) body.get("elements");
    return elements.get(kind).stream().map(e -> (Map<String, Object>) e.get("data")).toList();
  }

  private static Map<String, Map<String, Object>> nodes(Map<String, Object> body) {
    return elements(body, "nodes").stream().collect(java.util.stream.Collectors.toMap(d -> (String) d.get("id"), d -> d));
  }

  private static Graph.Node node(String id, String namespace, String kind, boolean root) {
    String name = id.substring(id.indexOf('/') + 1);
    return new Graph.Node(id, name, namespace, name, "", "", "", kind, root, 10, 1, 0.0, 10, 1, NO_LATENCY, Map.of("200", 10.0));
  }

  private static Graph.Edge edge(String source, String target) {
    return new Graph.Edge(source + ">" + target, source, target, "", "http", "mesh", 10, 0, 1, 0.0, NO_LATENCY, NO_LATENCY,
        Map.of("200", 10.0), Map.of());
  }
}
