package io.switchyard.flinkjobs.mesh;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.model.v1.AccessLogRecord;
import io.switchyard.model.v1.AccessLogRecord.Protocol;
import io.switchyard.model.v1.AccessLogRecord.Reporter;
import io.switchyard.model.v1.NodeRef.NodeKind;
import io.switchyard.model.v1.TelemetrySource;
import org.junit.jupiter.api.Test;

class AccessLogEdgesTest {
  private static AccessLogRecord.Builder inMesh(Reporter reporter) {
    return AccessLogRecord.newBuilder().setReporter(reporter).setSourceWorkload("productpage-v1").setSourceNamespace("bookinfo")
        .setDestinationService("reviews.bookinfo.svc.cluster.local").setDestinationWorkload("reviews-v2")
        .setDestinationNamespace("bookinfo").setDestinationVersion("v2").setProtocol(Protocol.PROTOCOL_HTTP)
        .setResponseCode(200).setDurationMicros(12_000).setStartTimeUnixNano(1_700_000_000_000_000_000L)
        .setUpstreamCluster("outbound|9080|v2|reviews.bookinfo.svc.cluster.local").setGrpcStatus(-1);
  }

  @Test
  void inMeshRequestLoggedByBothSidecarsCountsOnceFromTheDestination() {
    assertThat(AccessLogEdges.toEdge(inMesh(Reporter.REPORTER_SOURCE).build())).isEmpty();
    EdgeEvent e = AccessLogEdges.toEdge(inMesh(Reporter.REPORTER_DESTINATION).build()).orElseThrow();
    assertThat(e.source).isEqualTo(TelemetrySource.TELEMETRY_SOURCE_MESH_VALUE);
    assertThat(e.clientName).isEqualTo("productpage-v1");
    assertThat(e.serverName).isEqualTo("reviews");
    assertThat(e.serverNamespace).isEqualTo("bookinfo");
    assertThat(e.serverWorkload).isEqualTo("reviews-v2");
    assertThat(e.serverVersion).isEqualTo("v2");
    assertThat(e.serverLatencySeconds).isEqualTo(0.012);
    assertThat(e.clientLatencySeconds).isNegative();
    assertThat(e.responseClass).isEqualTo("2xx");
    assertThat(e.weight).isEqualTo(1.0);
    assertThat(e.timestampMs).isEqualTo(1_700_000_000_000L);
  }

  @Test
  void edgesCarryTheExactCodeAsKialiKeysItAndTheExchangesBytes() {
    EdgeEvent http = AccessLogEdges.toEdge(inMesh(Reporter.REPORTER_DESTINATION).setResponseCode(404)
        .setRequestBytes(120).setResponseBytes(3400).build()).orElseThrow();
    assertThat(http.responseCode).isEqualTo("404");
    assertThat(http.receivedBytes).isEqualTo(120);
    assertThat(http.sentBytes).isEqualTo(3400);
    EdgeEvent grpc = AccessLogEdges.toEdge(inMesh(Reporter.REPORTER_DESTINATION).setProtocol(Protocol.PROTOCOL_GRPC)
        .setGrpcStatus(14).build()).orElseThrow();
    assertThat(grpc.responseCode).isEqualTo("14"); // Kiali keys gRPC responses by grpc_response_status
    EdgeEvent none = AccessLogEdges.toEdge(inMesh(Reporter.REPORTER_DESTINATION).setResponseCode(0).build()).orElseThrow();
    assertThat(none.responseCode).isEqualTo("-");
    EdgeEvent tcp = AccessLogEdges.toEdge(inMesh(Reporter.REPORTER_DESTINATION).setProtocol(Protocol.PROTOCOL_TCP)
        .setResponseCode(0).setRequestBytes(1000).setResponseBytes(5000).build()).orElseThrow();
    assertThat(tcp.responseCode).isEmpty();
    assertThat(tcp.receivedBytes).isEqualTo(1000);
    assertThat(tcp.sentBytes).isEqualTo(5000);
  }

  @Test
  void trafficLeavingTheMeshCountsFromTheSourceWithClientLatency() {
    AccessLogRecord r = AccessLogRecord.newBuilder().setReporter(Reporter.REPORTER_SOURCE).setSourceWorkload("checkout")
        .setSourceNamespace("shop").setUpstreamCluster("PassthroughCluster").setAuthority("api.stripe.com:443")
        .setProtocol(Protocol.PROTOCOL_HTTP).setResponseCode(503).setResponseFlags("UF,URX").setDurationMicros(250_000).build();
    EdgeEvent e = AccessLogEdges.toEdge(r).orElseThrow();
    assertThat(e.serverName).isEqualTo("api.stripe.com");
    assertThat(e.serverKind).isEqualTo(NodeKind.NODE_KIND_VIRTUAL_VALUE);
    assertThat(e.failed).isTrue();
    assertThat(e.responseClass).isEqualTo("5xx");
    assertThat(e.responseFlags).isEqualTo("UF,URX");
    assertThat(e.clientLatencySeconds).isEqualTo(0.25);
  }

  @Test
  void noResponseAndGrpcErrorsFail() {
    EdgeEvent noResponse = AccessLogEdges.toEdge(inMesh(Reporter.REPORTER_DESTINATION).setResponseCode(0).setResponseFlags("DC").build())
        .orElseThrow();
    assertThat(noResponse.failed).isTrue();
    assertThat(noResponse.responseClass).isEqualTo("-");
    EdgeEvent grpc = AccessLogEdges.toEdge(inMesh(Reporter.REPORTER_DESTINATION).setProtocol(Protocol.PROTOCOL_GRPC).setGrpcStatus(14)
        .build()).orElseThrow();
    assertThat(grpc.failed).isTrue();
    assertThat(grpc.protocol).isEqualTo("grpc");
  }

  @Test
  void clientWithoutWorkloadIsNamedFromItsSpiffeIdentity() {
    AccessLogRecord r = inMesh(Reporter.REPORTER_DESTINATION).clearSourceWorkload()
        .setSourcePrincipal("spiffe://cluster.local/ns/shop/sa/frontend").build();
    EdgeEvent e = AccessLogEdges.toEdge(r).orElseThrow();
    assertThat(e.clientName).isEqualTo("frontend");
    assertThat(e.clientNamespace).isEqualTo("shop");
  }
  /** productpage-v1's outbound report to the v2 subset, as an OTLP access log gives it: no peer metadata. */
  private static AccessLogRecord.Builder otlpSourceReport() {
    return inMesh(Reporter.REPORTER_SOURCE).setSourceService("productpage").setSourceVersion("v1")
        .clearDestinationWorkload().setDurationMicros(14_000);
  }

  /** reviews-v2's inbound report of the same request: it knows its workload but no version, its caller by SPIFFE id. */
  private static AccessLogRecord.Builder otlpDestinationReport() {
    return inMesh(Reporter.REPORTER_DESTINATION).clearSourceWorkload().clearDestinationVersion()
        .setSourcePrincipal("spiffe://cluster.local/ns/bookinfo/sa/bookinfo-productpage")
        .setUpstreamCluster("inbound|9080||").setResponseCode(503);
  }

  @Test
  void aPairedRequestTakesEachServerFieldFromTheDestinationElseFromTheSourcesSubset() {
    EdgeEvent e = AccessLogEdges.edge(otlpSourceReport().build(), otlpDestinationReport().build());
    assertThat(e.serverName).isEqualTo("reviews");
    assertThat(e.serverWorkload).isEqualTo("reviews-v2"); // the destination's own
    assertThat(e.serverVersion).isEqualTo("v2"); // outbound|9080|v2|reviews... of the source report
    assertThat(e.responseClass).isEqualTo("5xx"); // the outcome stays the destination's
    assertThat(e.clientLatencySeconds).isEqualTo(0.014);
    assertThat(e.serverLatencySeconds).isEqualTo(0.012);

    EdgeEvent own = AccessLogEdges.edge(otlpSourceReport().build(), otlpDestinationReport().setDestinationVersion("v3").build());
    assertThat(own.serverVersion).isEqualTo("v3"); // the destination's own view wins where it has one
  }

  @Test
  void aPairedRequestNamesTheCallerByItsServiceWithItsWorkloadAndVersion() {
    EdgeEvent e = AccessLogEdges.edge(otlpSourceReport().build(), otlpDestinationReport().build());
    assertThat(e.clientName).isEqualTo("productpage");
    assertThat(e.clientWorkload).isEqualTo("productpage-v1");
    assertThat(e.clientVersion).isEqualTo("v1");
    assertThat(e.clientNamespace).isEqualTo("bookinfo");
  }

  @Test
  void aPairedRequestTakesTheCallersServiceFromTheDestinationsPeerViewWhenTheSourceLacksIt() {
    AccessLogRecord source = otlpSourceReport().setSourceWorkload("reviews-v2").clearSourceService().clearSourceVersion().build();
    AccessLogRecord destination = otlpDestinationReport().setSourceWorkload("reviews-v2").setSourceService("reviews")
        .setSourceVersion("v2").build();
    EdgeEvent e = AccessLogEdges.edge(source, destination);
    assertThat(e.clientName).isEqualTo("reviews");
    assertThat(e.clientWorkload).isEqualTo("reviews-v2");
    assertThat(e.clientVersion).isEqualTo("v2");
  }

  @Test
  void aLoneSourceReportNamesTheCallerByServiceAndKeepsTheSubset() {
    EdgeEvent e = AccessLogEdges.edge(otlpSourceReport().build(), null);
    assertThat(e.clientName).isEqualTo("productpage");
    assertThat(e.clientWorkload).isEqualTo("productpage-v1");
    assertThat(e.clientVersion).isEqualTo("v1");
    assertThat(e.serverName).isEqualTo("reviews");
    assertThat(e.serverWorkload).isEmpty();
    assertThat(e.serverVersion).isEqualTo("v2");
  }

  @Test
  void aLoneDestinationReportNamesTheCallerByItsPeerService() {
    EdgeEvent e = AccessLogEdges.edge(null, otlpDestinationReport().setSourceWorkload("reviews-v3").setSourceService("reviews")
        .setSourceVersion("v3").build());
    assertThat(e.clientName).isEqualTo("reviews");
    assertThat(e.clientWorkload).isEqualTo("reviews-v3");
    assertThat(e.clientVersion).isEqualTo("v3");
    assertThat(e.serverWorkload).isEqualTo("reviews-v2");
    assertThat(e.serverVersion).isEmpty();
  }

  @Test
  void theReporterRuleNamesTheCallerByServiceToo() {
    EdgeEvent outside = AccessLogEdges.toEdge(otlpSourceReport().setUpstreamCluster("PassthroughCluster")
        .setDestinationService("api.github.com").build()).orElseThrow();
    assertThat(outside.clientName).isEqualTo("productpage");
    assertThat(outside.clientWorkload).isEqualTo("productpage-v1");
    EdgeEvent inMesh = AccessLogEdges.toEdge(inMesh(Reporter.REPORTER_DESTINATION).setSourceService("productpage").build())
        .orElseThrow();
    assertThat(inMesh.clientName).isEqualTo("productpage");
    assertThat(inMesh.clientWorkload).isEqualTo("productpage-v1");
    assertThat(inMesh.clientVersion).isEmpty();
  }

  @Test
  void aCallerWithoutServiceIsNamedByItsWorkloadAsIstioDoes() {
    EdgeEvent e = AccessLogEdges.edge(inMesh(Reporter.REPORTER_SOURCE).setSourceWorkload("reviews-v2").build(), null);
    assertThat(e.clientName).isEqualTo("reviews-v2");
    assertThat(e.clientWorkload).isEqualTo("reviews-v2");
  }

  @Test
  void theCalleeIsNamedByTheFirstLabelOfItsServiceAndTheNamespaceBySecondInTheCluster() {
    var server = AccessLogEdges.serverNode(inMesh(Reporter.REPORTER_DESTINATION).clearDestinationNamespace().build(),
        AccessLogRecord.getDefaultInstance());
    assertThat(server.getName()).isEqualTo("reviews");
    assertThat(server.getNamespace()).isEqualTo("bookinfo");
    // Outside the cluster suffix: the first label only when the callee has a workload, else the whole name.
    var external = inMesh(Reporter.REPORTER_DESTINATION).setDestinationService("api.example.com").clearDestinationNamespace();
    assertThat(AccessLogEdges.serverNode(external.build(), AccessLogRecord.getDefaultInstance()).getName()).isEqualTo("api");
    var virtual = AccessLogEdges.serverNode(external.clearDestinationWorkload().build(), AccessLogRecord.getDefaultInstance());
    assertThat(virtual.getName()).isEqualTo("api.example.com");
    assertThat(virtual.getKind()).isEqualTo(NodeKind.NODE_KIND_VIRTUAL);
    assertThat(AccessLogEdges.serverNode(external.setDestinationWorkload("w").setDestinationService("single").build(),
        AccessLogRecord.getDefaultInstance()).getName()).isEqualTo("single");
    var odd = AccessLogEdges.serverNode(external.setDestinationService(".svc.cluster.local").build(), AccessLogRecord.getDefaultInstance());
    assertThat(odd.getName()).isEmpty();
    assertThat(odd.getNamespace()).isEqualTo("svc");
  }
}
