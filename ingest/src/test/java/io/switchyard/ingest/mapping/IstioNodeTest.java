package io.switchyard.ingest.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IstioNodeTest {
  @Test
  void parsesSidecarNodeId() {
    IstioNode n = IstioNode.of("sidecar~10.1.2.3~ratings-v1-5f9699cfdf-7kzvz.bookinfo~bookinfo.svc.cluster.local",
        "ratings.bookinfo", NodeMetadata.EMPTY);
    assertThat(n.type()).isEqualTo("sidecar");
    assertThat(n.ip()).isEqualTo("10.1.2.3");
    assertThat(n.pod()).isEqualTo("ratings-v1-5f9699cfdf-7kzvz");
    assertThat(n.namespace()).isEqualTo("bookinfo");
    assertThat(n.workload()).isEqualTo("ratings-v1");
    assertThat(n.canonicalService()).isEqualTo("ratings");
    assertThat(n.serviceFqdn("cluster.local")).isEqualTo("ratings.bookinfo.svc.cluster.local");
    assertThat(n.principal()).isEmpty();
  }

  @Test
  void gatewayRouterNodeId() {
    IstioNode n = IstioNode.of("router~10.0.0.5~istio-ingressgateway-7d6b8c9f5-abcde.istio-system~istio-system.svc.cluster.local",
        "istio-ingressgateway.istio-system", NodeMetadata.EMPTY);
    assertThat(n.type()).isEqualTo("router");
    assertThat(n.workload()).isEqualTo("istio-ingressgateway");
    assertThat(n.namespace()).isEqualTo("istio-system");
  }

  @Test
  void workloadFromControllerPodNameSuffixes() {
    assertThat(IstioNode.workloadOfPod("reviews-v1-545db77b95-xyz12")).isEqualTo("reviews-v1");
    assertThat(IstioNode.workloadOfPod("redis-0")).isEqualTo("redis");
    assertThat(IstioNode.workloadOfPod("fluentd-x7k2p")).isEqualTo("fluentd");
    assertThat(IstioNode.workloadOfPod("standalone")).isEqualTo("standalone");
  }

  @Test
  void nonIstioIdIsItsOwnWorkload() {
    IstioNode n = IstioNode.of("front-envoy", "front", NodeMetadata.EMPTY);
    assertThat(n.isIstio()).isFalse();
    assertThat(n.workload()).isEqualTo("front-envoy");
    assertThat(n.namespace()).isEmpty();
  }

  @Test
  void clusterDomainComesFromNodeId() {
    assertThat(AccessLogDerivation.clusterDomain("sidecar~1.1.1.1~a-0.ns~ns.svc.corp.example")).isEqualTo("corp.example");
    assertThat(AccessLogDerivation.clusterDomain("front")).isEqualTo("cluster.local");
  }

  @Test
  void authorityExpandsLikeKubernetesDns() {
    assertThat(AccessLogDerivation.serviceOfAuthority("reviews:9080", "bookinfo", "cluster.local"))
        .isEqualTo("reviews.bookinfo.svc.cluster.local");
    assertThat(AccessLogDerivation.serviceOfAuthority("reviews.other", "bookinfo", "cluster.local"))
        .isEqualTo("reviews.other.svc.cluster.local");
    assertThat(AccessLogDerivation.serviceOfAuthority("reviews.other.svc", "bookinfo", "cluster.local"))
        .isEqualTo("reviews.other.svc.cluster.local");
    assertThat(AccessLogDerivation.serviceOfAuthority("api.example.com", "bookinfo", "cluster.local"))
        .isEqualTo("api.example.com");
    assertThat(AccessLogDerivation.serviceOfAuthority("10.0.0.1:8080", "bookinfo", "cluster.local")).isEmpty();
  }

  @Test
  void spiffeParts() {
    String id = "spiffe://cluster.local/ns/shop/sa/cart";
    assertThat(Spiffe.namespace(id)).isEqualTo("shop");
    assertThat(Spiffe.serviceAccount(id)).isEqualTo("cart");
    assertThat(Spiffe.namespace("URI:foo")).isEmpty();
    assertThat(Spiffe.first(java.util.List.of("https://x", id))).isEqualTo(id);
  }

  @Test
  void upstreamClusterForms() {
    UpstreamCluster out = UpstreamCluster.parse("outbound|9080|v1|reviews.bookinfo.svc.cluster.local");
    assertThat(out.direction()).isEqualTo(UpstreamCluster.Direction.OUTBOUND);
    assertThat(out.port()).isEqualTo(9080);
    assertThat(out.subset()).isEqualTo("v1");
    assertThat(out.fqdn()).isEqualTo("reviews.bookinfo.svc.cluster.local");
    UpstreamCluster in = UpstreamCluster.parse("inbound|8080||");
    assertThat(in.direction()).isEqualTo(UpstreamCluster.Direction.INBOUND);
    assertThat(in.port()).isEqualTo(8080);
    assertThat(UpstreamCluster.parse("InboundPassthroughClusterIpv4").receivedByThisProxy()).isTrue();
    assertThat(UpstreamCluster.parse("BlackHoleCluster").direction()).isEqualTo(UpstreamCluster.Direction.BLACKHOLE);
    assertThat(UpstreamCluster.parse("-").direction()).isEqualTo(UpstreamCluster.Direction.NONE);
    assertThat(UpstreamCluster.parse("outbound|notaport||x").port()).isZero();
  }
}
