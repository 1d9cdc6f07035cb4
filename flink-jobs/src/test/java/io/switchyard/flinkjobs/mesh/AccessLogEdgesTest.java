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
}
