package io.switchyard.ingest.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.StringValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.core.v3.RequestMethod;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogType;
import io.envoyproxy.envoy.data.accesslog.v3.ConnectionProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPRequestProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPResponseProperties;
import io.envoyproxy.envoy.data.accesslog.v3.ResponseFlags;
import io.envoyproxy.envoy.data.accesslog.v3.TCPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.TLSProperties;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.switchyard.model.v1.AccessLogRecord;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AlsMapperTest {
  final AlsMapper mapper = new AlsMapper(MappingOptions.DEFAULTS);

  static Node productpageNode() {
    Struct labels = Struct.newBuilder()
        .putFields("app", str("productpage")).putFields("version", str("v1"))
        .putFields("service.istio.io/canonical-name", str("productpage")).build();
    Struct md = Struct.newBuilder()
        .putFields("NAME", str("productpage-v1-6b746f74dc-9stvs")).putFields("NAMESPACE", str("bookinfo"))
        .putFields("WORKLOAD_NAME", str("productpage-v1")).putFields("SERVICE_ACCOUNT", str("bookinfo-productpage"))
        .putFields("LABELS", Value.newBuilder().setStructValue(labels).build()).build();
    return Node.newBuilder().setId("sidecar~10.44.0.12~productpage-v1-6b746f74dc-9stvs.bookinfo~bookinfo.svc.cluster.local")
        .setCluster("productpage.bookinfo").setMetadata(md).build();
  }

  static Node reviewsNodeWithoutMetadata() {
    return Node.newBuilder().setId("sidecar~10.44.0.20~reviews-v2-7bf8c9648f-xk2vp.bookinfo~bookinfo.svc.cluster.local")
        .setCluster("reviews.bookinfo").build();
  }

  static Value str(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  static Address addr(String ip, int port) {
    return Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port)).build();
  }

  static HTTPAccessLogEntry.Builder outboundToReviews() {
    return HTTPAccessLogEntry.newBuilder()
        .setCommonProperties(AccessLogCommon.newBuilder()
            .setUpstreamCluster("outbound|9080|v2|reviews.bookinfo.svc.cluster.local")
            .setUpstreamRemoteAddress(addr("10.44.0.20", 9080))
            .setDownstreamRemoteAddress(addr("10.44.0.12", 51234))
            .setStartTime(Timestamp.newBuilder().setSeconds(1_700_000_000L).setNanos(5))
            .setTimeToLastDownstreamTxByte(com.google.protobuf.Duration.newBuilder().setNanos(12_345_000))
            .setDuration(com.google.protobuf.Duration.newBuilder().setSeconds(9))
            .setRouteName("default")
            .setResponseFlags(ResponseFlags.newBuilder().setUpstreamRetryLimitExceeded(true).setNoHealthyUpstream(true)))
        .setRequest(HTTPRequestProperties.newBuilder().setRequestMethod(RequestMethod.GET)
            .setAuthority("reviews:9080").setPath("/reviews/0").setRequestId("req-1")
            .setRequestHeadersBytes(200).setRequestBodyBytes(10)
            .putRequestHeaders("traceparent", "00-5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174-01"))
        .setResponse(HTTPResponseProperties.newBuilder().setResponseCode(UInt32Value.of(503))
            .setResponseHeadersBytes(100).setResponseBodyBytes(95));
  }

  static StreamAccessLogsMessage withNode(Node node, HTTPAccessLogEntry... entries) {
    return StreamAccessLogsMessage.newBuilder()
        .setIdentifier(StreamAccessLogsMessage.Identifier.newBuilder().setNode(node).setLogName("als"))
        .setHttpLogs(StreamAccessLogsMessage.HTTPAccessLogEntries.newBuilder().addAllLogEntry(java.util.List.of(entries)))
        .build();
  }

  static StreamAccessLogsMessage without(HTTPAccessLogEntry... entries) {
    return StreamAccessLogsMessage.newBuilder()
        .setHttpLogs(StreamAccessLogsMessage.HTTPAccessLogEntries.newBuilder().addAllLogEntry(java.util.List.of(entries)))
        .build();
  }

  @Test
  void outboundEntryReportsSourceWithNodeIdentityAndFqdnDestination() {
    AccessLogRecord r = mapper.newStream().map(withNode(productpageNode(), outboundToReviews().build()), 7)
        .records().get(0);

    assertThat(r.getReporter()).isEqualTo(AccessLogRecord.Reporter.REPORTER_SOURCE);
    assertThat(r.getNodeId()).startsWith("sidecar~10.44.0.12~");
    assertThat(r.getNodeCluster()).isEqualTo("productpage.bookinfo");
    assertThat(r.getSourceWorkload()).isEqualTo("productpage-v1");
    assertThat(r.getSourceService()).isEqualTo("productpage"); // LABELS service.istio.io/canonical-name
    assertThat(r.getSourceVersion()).isEqualTo("v1"); // LABELS version (no canonical-revision)
    assertThat(r.getSourceNamespace()).isEqualTo("bookinfo");
    assertThat(r.getSourcePrincipal()).isEqualTo("spiffe://cluster.local/ns/bookinfo/sa/bookinfo-productpage");
    assertThat(r.getSourceAddress()).isEqualTo("10.44.0.12");
    assertThat(r.getDestinationService()).isEqualTo("reviews.bookinfo.svc.cluster.local");
    assertThat(r.getDestinationNamespace()).isEqualTo("bookinfo");
    assertThat(r.getDestinationVersion()).isEqualTo("v2");
    assertThat(r.getDestinationPort()).isEqualTo(9080);
    assertThat(r.getDestinationAddress()).isEqualTo("10.44.0.20:9080");
    assertThat(r.getProtocol()).isEqualTo(AccessLogRecord.Protocol.PROTOCOL_HTTP);
    assertThat(r.getMethod()).isEqualTo("GET");
    assertThat(r.getAuthority()).isEqualTo("reviews:9080");
    assertThat(r.getPath()).isEqualTo("/reviews/0");
    assertThat(r.getRouteName()).isEqualTo("default");
    assertThat(r.getResponseCode()).isEqualTo(503);
    assertThat(r.getResponseFlags()).isEqualTo("UH,URX");
    assertThat(r.getGrpcStatus()).isEqualTo(-1);
    assertThat(r.getDurationMicros()).isEqualTo(9_000_000); // duration (%DURATION%), not the last byte's time
    assertThat(r.getRequestBytes()).isEqualTo(210);
    assertThat(r.getResponseBytes()).isEqualTo(195);
    assertThat(Hex.encode(r.getTraceId())).isEqualTo("5b8efff798038103d269b633813fc60c");
    assertThat(r.getRequestId()).isEqualTo("req-1");
    assertThat(r.getStartTimeUnixNano()).isEqualTo(1_700_000_000_000_000_005L);
    assertThat(r.getReceivedUnixNano()).isEqualTo(7);
    assertThat(AlsMapper.key(r)).isEqualTo("reviews.bookinfo.svc.cluster.local");
  }

  @Test
  void laterMessagesWithoutIdentifierGetTheStreamsNode() {
    AlsMapper.Stream stream = mapper.newStream();
    stream.map(withNode(productpageNode(), outboundToReviews().build()), 0);
    AccessLogRecord later = stream.map(without(outboundToReviews().build()), 0).records().get(0);

    assertThat(later.getNodeId()).startsWith("sidecar~10.44.0.12~");
    assertThat(later.getSourceWorkload()).isEqualTo("productpage-v1");
  }

  @Test
  void eachStreamHasItsOwnNode() {
    AlsMapper.Stream a = mapper.newStream();
    AlsMapper.Stream b = mapper.newStream();
    a.map(withNode(productpageNode(), outboundToReviews().build()), 0);
    b.map(withNode(reviewsNodeWithoutMetadata(), outboundToReviews().build()), 0);

    assertThat(a.map(without(outboundToReviews().build()), 0).records().get(0).getSourceWorkload()).isEqualTo("productpage-v1");
    assertThat(b.map(without(outboundToReviews().build()), 0).records().get(0).getSourceWorkload()).isEqualTo("reviews-v2");
  }

  @Test
  void entriesBeforeAnyIdentifierAreKeptWithUnknownNode() {
    AlsMapper.Stream stream = mapper.newStream();
    AccessLogRecord r = stream.map(without(outboundToReviews().build()), 0).records().get(0);
    assertThat(stream.hasNode()).isFalse();
    assertThat(r.getNodeId()).isEmpty();
    assertThat(r.getDestinationService()).isEqualTo("reviews.bookinfo.svc.cluster.local");
  }

  @Test
  void inboundEntryReportsDestinationAndTakesSourceFromPeerCertificate() {
    HTTPAccessLogEntry e = outboundToReviews()
        .setCommonProperties(outboundToReviews().getCommonProperties().toBuilder()
            .setUpstreamCluster("inbound|9080||")
            .setDownstreamRemoteAddress(addr("10.44.0.12", 40000))
            .setTlsProperties(TLSProperties.newBuilder().setPeerCertificateProperties(
                TLSProperties.CertificateProperties.newBuilder().addSubjectAltName(
                    TLSProperties.CertificateProperties.SubjectAltName.newBuilder()
                        .setUri("spiffe://cluster.local/ns/bookinfo/sa/bookinfo-productpage")))))
        .build();
    AccessLogRecord r = mapper.newStream().map(withNode(reviewsNodeWithoutMetadata(), e), 0).records().get(0);

    assertThat(r.getReporter()).isEqualTo(AccessLogRecord.Reporter.REPORTER_DESTINATION);
    assertThat(r.getDestinationWorkload()).isEqualTo("reviews-v2");
    assertThat(r.getDestinationNamespace()).isEqualTo("bookinfo");
    assertThat(r.getDestinationService()).isEqualTo("reviews.bookinfo.svc.cluster.local");
    assertThat(r.getDestinationPort()).isEqualTo(9080);
    assertThat(r.getDestinationAddress()).isEqualTo("10.44.0.20");
    assertThat(r.getSourcePrincipal()).isEqualTo("spiffe://cluster.local/ns/bookinfo/sa/bookinfo-productpage");
    assertThat(r.getSourceNamespace()).isEqualTo("bookinfo");
    assertThat(r.getSourceWorkload()).isEmpty();
    assertThat(r.getSourceService()).isEmpty();
    assertThat(r.getSourceVersion()).isEmpty();
    assertThat(r.getSourceAddress()).isEqualTo("10.44.0.12:40000");
  }

  @Test
  void outboundEntryOfANodeWithoutLabelsTakesTheSourceServiceFromTheNodeClusterAndHasNoVersion() {
    // Istio names a proxy's node cluster <canonical-service>.<namespace>; the pod's workload is reviews-v2.
    AccessLogRecord r = mapper.newStream().map(withNode(reviewsNodeWithoutMetadata(), outboundToReviews().build()), 0)
        .records().get(0);
    assertThat(r.getSourceWorkload()).isEqualTo("reviews-v2");
    assertThat(r.getSourceService()).isEqualTo("reviews");
    assertThat(r.getSourceVersion()).isEmpty();
  }

  @Test
  void outboundEntryPrefersTheCanonicalLabelsOverAppAndVersion() {
    Struct labels = Struct.newBuilder().putFields("app", str("reviews-app")).putFields("version", str("v2"))
        .putFields("service.istio.io/canonical-name", str("reviews"))
        .putFields("service.istio.io/canonical-revision", str("2024-06")).build();
    Node node = reviewsNodeWithoutMetadata().toBuilder().setMetadata(Struct.newBuilder()
        .putFields("LABELS", Value.newBuilder().setStructValue(labels).build())).build();
    AccessLogRecord r = mapper.newStream().map(withNode(node, outboundToReviews().build()), 0).records().get(0);
    assertThat(r.getSourceService()).isEqualTo("reviews");
    assertThat(r.getSourceVersion()).isEqualTo("2024-06");
  }

  @Test
  void inboundEntryTakesSourceWorkloadFromDownstreamPeerMetadata() {
    Struct peer = Struct.newBuilder().putFields("WORKLOAD_NAME", str("productpage-v1"))
        .putFields("NAMESPACE", str("bookinfo")).build();
    HTTPAccessLogEntry e = outboundToReviews()
        .setCommonProperties(outboundToReviews().getCommonProperties().toBuilder()
            .setUpstreamCluster("inbound|9080||").putFilterStateObjects("wasm.downstream_peer", Any.pack(peer)))
        .build();
    AccessLogRecord r = mapper.newStream().map(withNode(reviewsNodeWithoutMetadata(), e), 0).records().get(0);

    assertThat(r.getSourceWorkload()).isEqualTo("productpage-v1");
    assertThat(r.getSourceNamespace()).isEqualTo("bookinfo");
    assertThat(r.getSourceService()).isEmpty(); // the peer logged no LABELS
    assertThat(r.getSourceVersion()).isEmpty();
  }

  @Test
  void inboundEntryTakesSourceServiceAndVersionFromTheDownstreamPeersLabels() {
    Struct labels = Struct.newBuilder().putFields("app", str("reviews")).putFields("version", str("v3"))
        .putFields("service.istio.io/canonical-revision", str("latest")).build();
    Struct peer = Struct.newBuilder().putFields("NAME", str("reviews-v3-84779c7bbc-6rkq2"))
        .putFields("NAMESPACE", str("bookinfo")).putFields("LABELS", Value.newBuilder().setStructValue(labels).build()).build();
    HTTPAccessLogEntry e = outboundToReviews()
        .setCommonProperties(outboundToReviews().getCommonProperties().toBuilder()
            .setUpstreamCluster("inbound|9080||").putFilterStateObjects("wasm.downstream_peer", Any.pack(peer)))
        .build();
    AccessLogRecord r = mapper.newStream().map(withNode(reviewsNodeWithoutMetadata(), e), 0).records().get(0);

    assertThat(r.getSourceWorkload()).isEqualTo("reviews-v3"); // the pod name less its ReplicaSet suffixes
    assertThat(r.getSourceService()).isEqualTo("reviews"); // app, no canonical-name
    assertThat(r.getSourceVersion()).isEqualTo("v3"); // version, as canonical-revision is Istio's default "latest"
  }

  @Test
  void inboundEntryTakesTheFlattenedPeerServiceAndVersion() {
    Struct peer = Struct.newBuilder().putFields("workload", str("ratings-v1")).putFields("namespace", str("bookinfo"))
        .putFields("service", str("ratings")).putFields("version", str("v1")).build();
    HTTPAccessLogEntry e = outboundToReviews()
        .setCommonProperties(outboundToReviews().getCommonProperties().toBuilder()
            .setUpstreamCluster("inbound|9080||").putFilterStateObjects("wasm.downstream_peer", Any.pack(peer)))
        .build();
    AccessLogRecord r = mapper.newStream().map(withNode(reviewsNodeWithoutMetadata(), e), 0).records().get(0);
    assertThat(r.getSourceService()).isEqualTo("ratings");
    assertThat(r.getSourceVersion()).isEqualTo("v1");
  }

  /**
   * Istio 1.24 and later log the peers under {@code downstream_peer} / {@code upstream_peer} (no {@code wasm.}
   * prefix): a CelState whose Any holds the Struct of Istio's WorkloadMetadataObject, keyed type, workload, name,
   * cluster, namespace, service (canonical name), revision (canonical revision), app, version.
   */
  static Any istio124Peer(String workload, String pod, String namespace, String service, String revision,
      String version) {
    Struct peer = Struct.newBuilder().putFields("type", str("deployment")).putFields("workload", str(workload))
        .putFields("name", str(pod)).putFields("cluster", str("Kubernetes")).putFields("namespace", str(namespace))
        .putFields("service", str(service)).putFields("revision", str(revision)).putFields("app", str(service))
        .putFields("version", str(version)).build();
    return Any.newBuilder().setTypeUrl("type.googleapis.com/google.protobuf.Struct").setValue(peer.toByteString())
        .build();
  }

  @Test
  void inboundEntryTakesTheSourceFromIstio124sDownstreamPeerFilterState() {
    HTTPAccessLogEntry e = outboundToReviews()
        .setCommonProperties(outboundToReviews().getCommonProperties().toBuilder()
            .setUpstreamCluster("inbound|9080||").putFilterStateObjects("downstream_peer",
                istio124Peer("productpage-v1", "productpage-v1-6b746f74dc-9stvs", "bookinfo", "productpage", "2024-06",
                    "v1")))
        .build();
    AccessLogRecord r = mapper.newStream().map(withNode(reviewsNodeWithoutMetadata(), e), 0).records().get(0);

    assertThat(r.getSourceWorkload()).isEqualTo("productpage-v1");
    assertThat(r.getSourceNamespace()).isEqualTo("bookinfo");
    assertThat(r.getSourceService()).isEqualTo("productpage");
    assertThat(r.getSourceVersion()).isEqualTo("2024-06"); // the canonical revision, as Istio's telemetry names it
  }

  @Test
  void outboundEntryTakesTheDestinationWorkloadFromIstio124sUpstreamPeerFilterState() {
    HTTPAccessLogEntry e = outboundToReviews()
        .setCommonProperties(outboundToReviews().getCommonProperties().toBuilder()
            .putFilterStateObjects("upstream_peer",
                istio124Peer("reviews-v2", "reviews-v2-7bf8c9648f-xk2vp", "bookinfo", "reviews", "latest", "v2")))
        .build();
    AccessLogRecord r = mapper.newStream().map(withNode(productpageNode(), e), 0).records().get(0);

    assertThat(r.getDestinationWorkload()).isEqualTo("reviews-v2");
    assertThat(r.getDestinationNamespace()).isEqualTo("bookinfo");
  }

  @Test
  void aFlattenedPeersLatestRevisionFallsBackToItsVersion() {
    HTTPAccessLogEntry e = outboundToReviews()
        .setCommonProperties(outboundToReviews().getCommonProperties().toBuilder()
            .setUpstreamCluster("inbound|9080||").putFilterStateObjects("downstream_peer",
                istio124Peer("ratings-v1", "ratings-v1-5f9699cfdf-4c7ms", "bookinfo", "ratings", "latest", "v1")))
        .build();
    AccessLogRecord r = mapper.newStream().map(withNode(reviewsNodeWithoutMetadata(), e), 0).records().get(0);

    assertThat(r.getSourceVersion()).isEqualTo("v1");
  }

  @Test
  void peerNodeIdIsUsedWhenOnlyTheIdWasLogged() {
    HTTPAccessLogEntry e = outboundToReviews()
        .setCommonProperties(outboundToReviews().getCommonProperties().toBuilder()
            .putFilterStateObjects("wasm.upstream_peer_id",
                Any.pack(StringValue.of("sidecar~10.44.0.20~reviews-v2-7bf8c9648f-xk2vp.bookinfo~bookinfo.svc.cluster.local"))))
        .build();
    AccessLogRecord r = mapper.newStream().map(withNode(productpageNode(), e), 0).records().get(0);
    assertThat(r.getDestinationWorkload()).isEqualTo("reviews-v2");
  }

  @Test
  void preIstio18InboundClusterCarriesTheServiceFqdn() {
    HTTPAccessLogEntry e = outboundToReviews()
        .setCommonProperties(outboundToReviews().getCommonProperties().toBuilder()
            .setUpstreamCluster("inbound|9080|http|reviews.bookinfo.svc.cluster.local"))
        .build();
    AccessLogRecord r = mapper.newStream().map(withNode(reviewsNodeWithoutMetadata(), e), 0).records().get(0);
    assertThat(r.getReporter()).isEqualTo(AccessLogRecord.Reporter.REPORTER_DESTINATION);
    assertThat(r.getDestinationService()).isEqualTo("reviews.bookinfo.svc.cluster.local");
    assertThat(r.getDestinationVersion()).isEmpty();
  }

  @Test
  void grpcStatusFromTrailersMarksGrpcProtocol() {
    HTTPAccessLogEntry e = outboundToReviews()
        .setResponse(HTTPResponseProperties.newBuilder().setResponseCode(UInt32Value.of(200))
            .putResponseTrailers("grpc-status", "14"))
        .build();
    AccessLogRecord r = mapper.newStream().map(withNode(productpageNode(), e), 0).records().get(0);
    assertThat(r.getProtocol()).isEqualTo(AccessLogRecord.Protocol.PROTOCOL_GRPC);
    assertThat(r.getGrpcStatus()).isEqualTo(14);
  }

  @Test
  void tcpEntryMapsBytesAndProtocol() {
    TCPAccessLogEntry tcp = TCPAccessLogEntry.newBuilder()
        .setCommonProperties(AccessLogCommon.newBuilder().setUpstreamCluster("outbound|27017||mongodb.db.svc.cluster.local")
            .setDuration(com.google.protobuf.Duration.newBuilder().setSeconds(2)))
        .setConnectionProperties(ConnectionProperties.newBuilder().setReceivedBytes(1000).setSentBytes(5000))
        .build();
    StreamAccessLogsMessage msg = StreamAccessLogsMessage.newBuilder()
        .setIdentifier(StreamAccessLogsMessage.Identifier.newBuilder().setNode(productpageNode()))
        .setTcpLogs(StreamAccessLogsMessage.TCPAccessLogEntries.newBuilder().addLogEntry(tcp)).build();
    AccessLogRecord r = mapper.newStream().map(msg, 0).records().get(0);

    assertThat(r.getProtocol()).isEqualTo(AccessLogRecord.Protocol.PROTOCOL_TCP);
    assertThat(r.getRequestBytes()).isEqualTo(1000);
    assertThat(r.getResponseBytes()).isEqualTo(5000);
    assertThat(r.getDurationMicros()).isEqualTo(2_000_000);
    assertThat(r.getDestinationService()).isEqualTo("mongodb.db.svc.cluster.local");
    assertThat(r.getDestinationNamespace()).isEqualTo("db");
    assertThat(r.getResponseCode()).isZero();
  }

  @Test
  void bothSidecarsOfOneTcpConnectionReportTheSameConnectionAddresses() {
    // productpage's sidecar opens 10.44.0.12:40312 -> 10.44.0.20:9080; reviews' sidecar accepts it.
    TCPAccessLogEntry out = TCPAccessLogEntry.newBuilder()
        .setCommonProperties(AccessLogCommon.newBuilder().setUpstreamCluster("outbound|9080||reviews.bookinfo.svc.cluster.local")
            .setDownstreamRemoteAddress(addr("10.44.0.12", 55100)).setDownstreamLocalAddress(addr("10.96.0.15", 9080))
            .setUpstreamLocalAddress(addr("10.44.0.12", 40312)).setUpstreamRemoteAddress(addr("10.44.0.20", 9080)))
        .build();
    TCPAccessLogEntry in = TCPAccessLogEntry.newBuilder()
        .setCommonProperties(AccessLogCommon.newBuilder().setUpstreamCluster("inbound|9080||")
            .setDownstreamRemoteAddress(addr("10.1.1.1", 1)).setDownstreamDirectRemoteAddress(addr("10.44.0.12", 40312))
            .setDownstreamLocalAddress(addr("10.44.0.20", 9080))
            .setUpstreamLocalAddress(addr("127.0.0.6", 39001)).setUpstreamRemoteAddress(addr("10.44.0.20", 9080)))
        .build();
    AccessLogRecord source = mapper.newStream().map(StreamAccessLogsMessage.newBuilder()
        .setIdentifier(StreamAccessLogsMessage.Identifier.newBuilder().setNode(productpageNode()))
        .setTcpLogs(StreamAccessLogsMessage.TCPAccessLogEntries.newBuilder().addLogEntry(out)).build(), 0).records().get(0);
    AccessLogRecord destination = mapper.newStream().map(StreamAccessLogsMessage.newBuilder()
        .setIdentifier(StreamAccessLogsMessage.Identifier.newBuilder().setNode(reviewsNodeWithoutMetadata()))
        .setTcpLogs(StreamAccessLogsMessage.TCPAccessLogEntries.newBuilder().addLogEntry(in)).build(), 0).records().get(0);

    assertThat(source.getReporter()).isEqualTo(AccessLogRecord.Reporter.REPORTER_SOURCE);
    assertThat(destination.getReporter()).isEqualTo(AccessLogRecord.Reporter.REPORTER_DESTINATION);
    assertThat(source.getConnectionClientAddress()).isEqualTo("10.44.0.12:40312");
    assertThat(source.getConnectionServerAddress()).isEqualTo("10.44.0.20:9080");
    assertThat(destination.getConnectionClientAddress()).isEqualTo(source.getConnectionClientAddress());
    assertThat(destination.getConnectionServerAddress()).isEqualTo(source.getConnectionServerAddress());
  }

  @Test
  void passthroughUsesAuthorityAsDestination() {
    HTTPAccessLogEntry e = outboundToReviews()
        .setCommonProperties(outboundToReviews().getCommonProperties().toBuilder().setUpstreamCluster("PassthroughCluster"))
        .setRequest(outboundToReviews().getRequest().toBuilder().setAuthority("api.github.com"))
        .build();
    AccessLogRecord r = mapper.newStream().map(withNode(productpageNode(), e), 0).records().get(0);
    assertThat(r.getReporter()).isEqualTo(AccessLogRecord.Reporter.REPORTER_SOURCE);
    assertThat(r.getDestinationService()).isEqualTo("api.github.com");
  }

  @Test
  void plainEnvoyClusterNameIsTheDestination() {
    Node edge = Node.newBuilder().setId("edge-proxy-1").setCluster("edge").build();
    HTTPAccessLogEntry e = outboundToReviews()
        .setCommonProperties(outboundToReviews().getCommonProperties().toBuilder().setUpstreamCluster("backend"))
        .build();
    AccessLogRecord r = mapper.newStream().map(withNode(edge, e), 0).records().get(0);
    assertThat(r.getDestinationService()).isEqualTo("backend");
    assertThat(r.getSourceWorkload()).isEqualTo("edge-proxy-1");
    assertThat(r.getSourceService()).isEmpty(); // not an Istio node: its cluster names no namespace
    assertThat(r.getSourceAddress()).isEqualTo("10.44.0.12:51234");
  }

  @Test
  void noUpstreamClusterLeavesReporterUnspecified() {
    HTTPAccessLogEntry e = outboundToReviews()
        .setCommonProperties(outboundToReviews().getCommonProperties().toBuilder().clearUpstreamCluster()
            .setResponseFlags(ResponseFlags.newBuilder().setNoRouteFound(true)))
        .build();
    AccessLogRecord r = mapper.newStream().map(withNode(productpageNode(), e), 0).records().get(0);
    assertThat(r.getReporter()).isEqualTo(AccessLogRecord.Reporter.REPORTER_UNSPECIFIED);
    assertThat(r.getResponseFlags()).isEqualTo("NR");
    assertThat(r.getDestinationService()).isEqualTo("reviews");
  }

  @Test
  void b3TraceIdIsPaddedTo128Bits() {
    HTTPAccessLogEntry e = outboundToReviews()
        .setRequest(HTTPRequestProperties.newBuilder().putRequestHeaders("x-b3-traceid", "d269b633813fc60c"))
        .build();
    AccessLogRecord r = mapper.newStream().map(withNode(productpageNode(), e), 0).records().get(0);
    assertThat(Hex.encode(r.getTraceId())).isEqualTo("0000000000000000d269b633813fc60c");
  }

  static HTTPAccessLogEntry httpOfType(AccessLogType type, int responseCode) {
    HTTPAccessLogEntry.Builder e = outboundToReviews();
    e.getCommonPropertiesBuilder().setAccessLogType(type);
    e.getResponseBuilder().setResponseCode(UInt32Value.of(responseCode));
    return e.build();
  }

  static TCPAccessLogEntry tcpOfType(AccessLogType type, long receivedBytes) {
    return TCPAccessLogEntry.newBuilder()
        .setCommonProperties(AccessLogCommon.newBuilder().setUpstreamCluster("outbound|27017||mongodb.db.svc.cluster.local")
            .setAccessLogType(type))
        .setConnectionProperties(ConnectionProperties.newBuilder().setReceivedBytes(receivedBytes))
        .build();
  }

  static StreamAccessLogsMessage tcpMessage(TCPAccessLogEntry... entries) {
    return StreamAccessLogsMessage.newBuilder()
        .setIdentifier(StreamAccessLogsMessage.Identifier.newBuilder().setNode(productpageNode()))
        .setTcpLogs(StreamAccessLogsMessage.TCPAccessLogEntries.newBuilder().addAllLogEntry(java.util.List.of(entries)))
        .build();
  }

  @Test
  void onlyTheFinalHttpEntryOfARequestIsPublishedTheIntermediateOnesAreSkippedByType() {
    // flush_access_log_on_new_request + access_log_flush_interval: start, two periodic flushes, then the end.
    MappedBatch<AccessLogRecord> batch = mapper.newStream().map(withNode(productpageNode(),
        httpOfType(AccessLogType.DownstreamStart, 0), httpOfType(AccessLogType.DownstreamPeriodic, 0),
        httpOfType(AccessLogType.DownstreamPeriodic, 0), httpOfType(AccessLogType.DownstreamEnd, 200)), 0);

    assertThat(batch.records()).hasSize(1);
    assertThat(batch.records().get(0).getResponseCode()).isEqualTo(200);
    assertThat(batch.ignored()).isEqualTo(3);
    assertThat(batch.skipped()).isEqualTo(Map.of("DownstreamStart", 1L, "DownstreamPeriodic", 2L));
    assertThat(batch.rejected()).isZero();
  }

  @Test
  void onlyTheConnectionEndOfATcpProxyConnectionIsPublished() {
    MappedBatch<AccessLogRecord> batch = mapper.newStream().map(tcpMessage(
        tcpOfType(AccessLogType.TcpUpstreamConnected, 0), tcpOfType(AccessLogType.TcpPeriodic, 400),
        tcpOfType(AccessLogType.TcpConnectionEnd, 1000)), 0);

    assertThat(batch.records()).extracting(AccessLogRecord::getRequestBytes).containsExactly(1000L);
    assertThat(batch.skipped()).isEqualTo(Map.of("TcpUpstreamConnected", 1L, "TcpPeriodic", 1L));
  }

  @Test
  void everyFinalTypeAndNotSetArePublishedEveryOtherTypeIsSkipped() {
    for (AccessLogType type : AccessLogType.values()) {
      if (type == AccessLogType.UNRECOGNIZED) {
        continue;
      }
      boolean finalEntry = type == AccessLogType.NotSet || type == AccessLogType.DownstreamEnd
          || type == AccessLogType.TcpConnectionEnd || type == AccessLogType.UpstreamEnd
          || type == AccessLogType.UdpSessionEnd;
      MappedBatch<AccessLogRecord> batch =
          mapper.newStream().map(withNode(productpageNode(), httpOfType(type, 200)), 0);
      assertThat(batch.records()).as(type.name()).hasSize(finalEntry ? 1 : 0);
      assertThat(batch.skipped()).as(type.name()).isEqualTo(finalEntry ? Map.of() : Map.of(type.name(), 1L));
    }
  }

  @Test
  void aTypeNewerThanThisIngestIsPublished() {
    // Unknown to this build: dropping it could lose the only entry of a request, publishing it cannot.
    HTTPAccessLogEntry.Builder e = outboundToReviews();
    e.getCommonPropertiesBuilder().setAccessLogTypeValue(99);
    MappedBatch<AccessLogRecord> batch = mapper.newStream().map(withNode(productpageNode(), e.build()), 0);
    assertThat(batch.records()).hasSize(1);
    assertThat(batch.skipped()).isEmpty();
  }

  @Test
  @SuppressWarnings("deprecation")
  void olderEnvoysIntermediateLogEntryFlagIsSkippedWhenNoTypeIsSet() {
    // Envoy before access_log_type marked a TCP proxy's periodic entries only with intermediate_log_entry.
    TCPAccessLogEntry.Builder periodic = tcpOfType(AccessLogType.NotSet, 400).toBuilder();
    periodic.getCommonPropertiesBuilder().setIntermediateLogEntry(true);
    MappedBatch<AccessLogRecord> batch =
        mapper.newStream().map(tcpMessage(periodic.build(), tcpOfType(AccessLogType.NotSet, 1000)), 0);

    assertThat(batch.records()).extracting(AccessLogRecord::getRequestBytes).containsExactly(1000L);
    assertThat(batch.skipped()).isEqualTo(Map.of("intermediate_log_entry", 1L));
  }

  @Test
  void invalidTraceHeadersLeaveTheRecordWithoutTraceIdAndAreCounted() {
    HTTPAccessLogEntry badTraceparent = outboundToReviews()
        .setRequest(HTTPRequestProperties.newBuilder()
            .putRequestHeaders("traceparent", "00-5b8efff798038103d269b633813fczzz-eee19b7ec3c1b174-01"))
        .build();
    HTTPAccessLogEntry zeroB3 = outboundToReviews()
        .setRequest(HTTPRequestProperties.newBuilder().putRequestHeaders("x-b3-traceid", "0000000000000000"))
        .build();
    HTTPAccessLogEntry shortB3 = outboundToReviews()
        .setRequest(HTTPRequestProperties.newBuilder().putRequestHeaders("x-b3-traceid", "d269b633813fc6"))
        .build();
    HTTPAccessLogEntry none = outboundToReviews().setRequest(HTTPRequestProperties.getDefaultInstance()).build();
    MappedBatch<AccessLogRecord> batch =
        mapper.newStream().map(withNode(productpageNode(), badTraceparent, zeroB3, shortB3, none), 0);

    assertThat(batch.records()).hasSize(4).allSatisfy(r -> assertThat(r.getTraceId()).isEmpty());
    assertThat(batch.rejected()).isZero();
    assertThat(batch.traceIdsInvalid()).isEqualTo(3);
  }

  @Test
  void singleB3AndDatadogHeadersGiveTheTraceIdAndInvalidOnesAreCounted() {
    HTTPAccessLogEntry b3 = outboundToReviews()
        .setRequest(HTTPRequestProperties.newBuilder().putRequestHeaders("b3", "e457b5a2e4d86bd1-05e3ac9a4f6e3b90-1"))
        .build();
    HTTPAccessLogEntry datadog = outboundToReviews()
        .setRequest(HTTPRequestProperties.newBuilder().putRequestHeaders("x-datadog-trace-id", "18446744073709551615")
            .putRequestHeaders("x-datadog-tags", "_dd.p.dm=-4,_dd.p.tid=640cfd8d00000000"))
        .build();
    HTTPAccessLogEntry badDatadog = outboundToReviews()
        .setRequest(HTTPRequestProperties.newBuilder().putRequestHeaders("x-datadog-trace-id", "18446744073709551616"))
        .build();
    MappedBatch<AccessLogRecord> batch = mapper.newStream().map(withNode(productpageNode(), b3, datadog, badDatadog), 0);

    assertThat(batch.records()).extracting(r -> Hex.encode(r.getTraceId()))
        .containsExactly("0000000000000000e457b5a2e4d86bd1", "640cfd8d00000000ffffffffffffffff", "");
    assertThat(batch.traceIdsInvalid()).isEqualTo(1);
  }

  @Test
  void aValidB3IdBesideAnInvalidTraceparentIsKeptAndNotCounted() {
    HTTPAccessLogEntry e = outboundToReviews()
        .setRequest(HTTPRequestProperties.newBuilder().putRequestHeaders("traceparent", "garbage")
            .putRequestHeaders("x-b3-traceid", "d269b633813fc60c"))
        .build();
    MappedBatch<AccessLogRecord> batch = mapper.newStream().map(withNode(productpageNode(), e), 0);
    assertThat(Hex.encode(batch.records().get(0).getTraceId())).isEqualTo("0000000000000000d269b633813fc60c");
    assertThat(batch.traceIdsInvalid()).isZero();
  }

  @Test
  void everyResponseFlagHasItsShortCode() {
    ResponseFlags all = ResponseFlags.newBuilder().setFailedLocalHealthcheck(true).setNoHealthyUpstream(true)
        .setUpstreamRequestTimeout(true).setLocalReset(true).setUpstreamRemoteReset(true)
        .setUpstreamConnectionFailure(true).setUpstreamConnectionTermination(true).setUpstreamOverflow(true)
        .setNoRouteFound(true).setDelayInjected(true).setFaultInjected(true).setRateLimited(true)
        .setUnauthorizedDetails(ResponseFlags.Unauthorized.getDefaultInstance()).setRateLimitServiceError(true)
        .setDownstreamConnectionTermination(true).setUpstreamRetryLimitExceeded(true).setStreamIdleTimeout(true)
        .setInvalidEnvoyRequestHeaders(true).setDownstreamProtocolError(true)
        .setUpstreamMaxStreamDurationReached(true).setResponseFromCacheFilter(true).setNoFilterConfigFound(true)
        .setDurationTimeout(true).setUpstreamProtocolError(true).setNoClusterFound(true).setOverloadManager(true)
        .setDnsResolutionFailure(true).setDownstreamRemoteReset(true).build();
    assertThat(AlsMapper.flags(all).split(",")).hasSize(28).doesNotHaveDuplicates();
    assertThat(AlsMapper.flags(ResponseFlags.getDefaultInstance())).isEmpty();
  }
}
