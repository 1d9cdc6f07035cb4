package io.switchyard.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.metrics.Metrics;
import io.switchyard.xds.mesh.Mesh;
import io.switchyard.xds.mesh.MeshFiles;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeInterceptorTest {
  static final Mesh MESH;

  static {
    try {
      MESH = MeshFiles.load(Path.of("src/test/resources/mesh/example.yaml"));
    } catch (Exception e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final XdsMetrics metrics = new XdsMetrics(new Metrics(new PrometheusRegistry()));

  static Node node(String cluster) {
    return Node.newBuilder().setId("sidecar~10.0.0.1~gw.shop~shop.svc.cluster.local").setCluster(cluster).build();
  }

  @Test
  void withMtlsTheCertificateMustCarryTheGroupsWorkloadIdentity() {
    NodeInterceptor mtls = new NodeInterceptor(() -> MESH, true, metrics);
    assertThat(mtls.check(node("edge"), List.of("spiffe://cluster.local/ns/shop/sa/ingress"))).isEmpty();
    assertThat(mtls.check(node("edge"), List.of("spiffe://cluster.local/ns/shop/sa/reviews")))
        .hasValueSatisfying(r -> assertThat(r).contains("spiffe://cluster.local/ns/shop/sa/ingress"));
    assertThat(mtls.check(node("nope"), List.of("spiffe://cluster.local/ns/shop/sa/ingress")))
        .hasValueSatisfying(r -> assertThat(r).contains("not declared"));
  }

  @Test
  void withoutMtlsAnyDeclaredOrUndeclaredGroupIsServedButANodeClusterIsRequired() {
    NodeInterceptor plain = new NodeInterceptor(() -> MESH, false, metrics);
    assertThat(plain.check(node("edge"), List.of())).isEmpty();
    assertThat(plain.check(node("unknown"), List.of())).isEmpty();
    assertThat(plain.check(Node.getDefaultInstance(), List.of())).hasValueSatisfying(r -> assertThat(r).contains("node.cluster"));
  }
}
