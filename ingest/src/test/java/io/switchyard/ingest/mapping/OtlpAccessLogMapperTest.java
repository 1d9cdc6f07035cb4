package io.switchyard.ingest.mapping;

import static io.switchyard.ingest.mapping.SpanMapperTest.kv;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.resource.v1.Resource;
import io.switchyard.model.v1.AccessLogRecord;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OtlpAccessLogMapperTest {
  final OtlpAccessLogMapper mapper = new OtlpAccessLogMapper(MappingOptions.DEFAULTS);

  static Resource envoyResource() {
    return Resource.newBuilder()
        .addAttributes(kv("node_name", "sidecar~10.44.0.12~productpage-v1-6b746f74dc-9stvs.bookinfo~bookinfo.svc.cluster.local"))
        .addAttributes(kv("cluster_name", "productpage.bookinfo"))
        .addAttributes(kv("log_name", "otel_envoy_accesslog")).build();
  }

  static LogRecord.Builder accessLog() {
    return LogRecord.newBuilder().setTimeUnixNano(1_700_000_000_000_000_000L)
        .setBody(AnyValue.newBuilder().setStringValue("[2023-11-14T22:13:20.000Z] \"GET /reviews/0\" 200"))
        .addAttributes(kv("upstream_cluster", "outbound|9080|v1|reviews.bookinfo.svc.cluster.local"))
        .addAttributes(kv("response_code", 200L))
        .addAttributes(kv("response_flags", "-"))
        .addAttributes(kv("protocol", "HTTP/1.1"))
        .addAttributes(kv("method", "GET"))
        .addAttributes(kv("authority", "reviews:9080"))
        .addAttributes(kv("path", "/reviews/0"))
        .addAttributes(kv("route_name", "default"))
        .addAttributes(kv("bytes_received", "0"))
        .addAttributes(kv("bytes_sent", 358L))
        .addAttributes(kv("duration", "7"))
        .addAttributes(kv("upstream_host", "10.44.0.20:9080"))
        .addAttributes(kv("downstream_remote_address", "10.44.0.12:51000"))
        .addAttributes(kv("upstream_local_address", "10.44.0.12:40312"))
        .addAttributes(kv("request_id", "abc"))
        .addAttributes(kv("traceparent", "00-5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174-01"))
        .addAttributes(kv("upstream_peer_workload", "reviews-v1"));
  }

  static ExportLogsServiceRequest request(Resource resource, LogRecord... logs) {
    return ExportLogsServiceRequest.newBuilder()
        .addResourceLogs(ResourceLogs.newBuilder().setResource(resource)
            .addScopeLogs(ScopeLogs.newBuilder().addAllLogRecords(List.of(logs))))
        .build();
  }

  @Test
  void envoyAttributeContractMapsToAccessLogRecord() {
    var batch = mapper.map(request(envoyResource(), accessLog().build()), 9);
    assertThat(batch.ignored()).isZero();
    AccessLogRecord r = batch.records().get(0);

    assertThat(r.getReporter()).isEqualTo(AccessLogRecord.Reporter.REPORTER_SOURCE);
    assertThat(r.getNodeCluster()).isEqualTo("productpage.bookinfo");
    assertThat(r.getSourceWorkload()).isEqualTo("productpage-v1");
    assertThat(r.getSourceService()).isEqualTo("productpage"); // resource cluster_name <canonical>.<namespace>
    assertThat(r.getSourceVersion()).isEmpty(); // no pod labels in the resource
    assertThat(r.getSourceNamespace()).isEqualTo("bookinfo");
    assertThat(r.getDestinationService()).isEqualTo("reviews.bookinfo.svc.cluster.local");
    assertThat(r.getDestinationWorkload()).isEqualTo("reviews-v1");
    assertThat(r.getDestinationVersion()).isEqualTo("v1");
    assertThat(r.getDestinationAddress()).isEqualTo("10.44.0.20:9080");
    assertThat(r.getProtocol()).isEqualTo(AccessLogRecord.Protocol.PROTOCOL_HTTP);
    assertThat(r.getResponseCode()).isEqualTo(200);
    assertThat(r.getResponseFlags()).isEmpty();
    assertThat(r.getResponseBytes()).isEqualTo(358);
    assertThat(r.getDurationMicros()).isEqualTo(7000);
    assertThat(r.getStartTimeUnixNano()).isEqualTo(1_700_000_000_000_000_000L);
    assertThat(Hex.encode(r.getTraceId())).isEqualTo("5b8efff798038103d269b633813fc60c");
    assertThat(r.getRequestId()).isEqualTo("abc");
    assertThat(r.getReceivedUnixNano()).isEqualTo(9);
    assertThat(r.getConnectionClientAddress()).isEqualTo("10.44.0.12:40312");
    assertThat(r.getConnectionServerAddress()).isEqualTo("10.44.0.20:9080");
  }

  @Test
  void startTimeAttributeWinsOverLogTimestamp() {
    LogRecord log = accessLog().addAttributes(kv("start_time", "2024-01-02T03:04:05.006Z")).build();
    AccessLogRecord r = mapper.map(request(envoyResource(), log), 0).records().get(0);
    assertThat(r.getStartTimeUnixNano()).isEqualTo(1_704_164_645_006_000_000L);
  }

  @Test
  void logRecordTraceIdWinsOverTraceparent() {
    byte[] id = Hex.decode("0af7651916cd43dd8448eb211c80319c");
    LogRecord log = accessLog().setTraceId(ByteString.copyFrom(id)).build();
    assertThat(Hex.encode(mapper.map(request(envoyResource(), log), 0).records().get(0).getTraceId()))
        .isEqualTo("0af7651916cd43dd8448eb211c80319c");
  }

  @Test
  void sixtyFourBitLogRecordTraceIdIsWidenedTo128Bits() {
    // Envoy's OTel access logger copies the active span's id: 8 bytes under its Zipkin or Datadog tracer.
    LogRecord log = accessLog().setTraceId(ByteString.copyFrom(Hex.decode("d269b633813fc60c"))).build();
    MappedBatch<AccessLogRecord> batch = mapper.map(request(envoyResource(), log), 0);

    assertThat(batch.rejected()).isZero();
    assertThat(Hex.encode(batch.records().get(0).getTraceId())).isEqualTo("0000000000000000d269b633813fc60c");
    assertThat(batch.traceIdsInvalid()).isZero();
  }

  @Test
  void invalidLogRecordTraceIdKeepsTheRecordAndFallsBackToTheTraceparentAttribute() {
    LogRecord fiveBytes = accessLog().setTraceId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5})).build();
    MappedBatch<AccessLogRecord> batch = mapper.map(request(envoyResource(), fiveBytes), 0);

    assertThat(batch.rejected()).isZero();
    assertThat(batch.firstError()).isEmpty();
    assertThat(Hex.encode(batch.records().get(0).getTraceId())).isEqualTo("5b8efff798038103d269b633813fc60c");
    assertThat(batch.traceIdsInvalid()).isZero(); // the record still has a trace id
  }

  @Test
  void invalidLogRecordTraceIdWithoutAttributesKeepsTheRecordWithoutTraceIdAndIsCounted() {
    LogRecord fiveBytes = accessLog().addAttributes(kv("traceparent", "-"))
        .setTraceId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5})).build();
    LogRecord twelveBytes = accessLog().addAttributes(kv("traceparent", "-"))
        .setTraceId(ByteString.copyFrom(Hex.decode("0af7651916cd43dd8448eb21"))).build();
    MappedBatch<AccessLogRecord> batch = mapper.map(request(envoyResource(), fiveBytes, twelveBytes), 0);

    assertThat(batch.rejected()).isZero();
    assertThat(batch.records()).hasSize(2).allSatisfy(r -> assertThat(r.getTraceId()).isEmpty());
    assertThat(batch.traceIdsInvalid()).isEqualTo(2);
  }

  @Test
  void allZeroLogRecordTraceIdMeansNoneAndIsNotCounted() {
    // OTLP's "no trace id" as the Collector writes it; not kept as a zero id that would join unrelated requests.
    LogRecord zero = accessLog().setTraceId(ByteString.copyFrom(new byte[16])).build();
    MappedBatch<AccessLogRecord> batch = mapper.map(request(envoyResource(), zero), 0);
    assertThat(Hex.encode(batch.records().get(0).getTraceId())).isEqualTo("5b8efff798038103d269b633813fc60c");

    LogRecord zero128 = accessLog().addAttributes(kv("traceparent", "-"))
        .setTraceId(ByteString.copyFrom(new byte[16])).build();
    LogRecord zero64 = accessLog().addAttributes(kv("traceparent", "-"))
        .setTraceId(ByteString.copyFrom(new byte[8])).build();
    batch = mapper.map(request(envoyResource(), zero128, zero64), 0);
    assertThat(batch.records()).hasSize(2).allSatisfy(r -> assertThat(r.getTraceId()).isEmpty());
    assertThat(batch.traceIdsInvalid()).isZero();
  }

  @Test
  void singleB3AndDatadogAttributesGiveTheTraceIdWhenNoTraceparentDoes() {
    LogRecord b3 = accessLog().addAttributes(kv("traceparent", "-"))
        .addAttributes(kv("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1")).build();
    LogRecord datadog = accessLog().addAttributes(kv("traceparent", "-"))
        .addAttributes(kv("x_datadog_trace_id", "1234567890123456789"))
        .addAttributes(kv("x_datadog_tags", "_dd.p.tid=640cfd8d00000000")).build();
    LogRecord samplingOnly = accessLog().addAttributes(kv("traceparent", "-")).addAttributes(kv("b3", "0")).build();
    MappedBatch<AccessLogRecord> batch = mapper.map(request(envoyResource(), b3, datadog, samplingOnly), 0);

    assertThat(batch.records()).extracting(r -> Hex.encode(r.getTraceId()))
        .containsExactly("80f198ee56343ba864fe8b2a57d3eff7", "640cfd8d00000000112210f47de98115", "");
    assertThat(batch.traceIdsInvalid()).as("a sampling decision alone is no id meant").isZero();
  }

  @Test
  void malformedB3AndDatadogAttributesAreCountedAndAMalformedTagsHeaderLeavesTheHighBitsZero() {
    LogRecord upperB3 = accessLog().addAttributes(kv("traceparent", "-"))
        .addAttributes(kv("b3", "80F198EE56343BA864FE8B2A57D3EFF7-e457b5a2e4d86bd1-1")).build();
    LogRecord badDatadog = accessLog().addAttributes(kv("traceparent", "-")).addAttributes(kv("x_datadog_trace_id", "-5"))
        .build();
    LogRecord badTags = accessLog().addAttributes(kv("traceparent", "-"))
        .addAttributes(kv("x_datadog_trace_id", "1234567890123456789"))
        .addAttributes(kv("x_datadog_tags", "_dd.p.dm=-4,oops,_dd.p.tid=640cfd8d00000000")).build();
    MappedBatch<AccessLogRecord> batch = mapper.map(request(envoyResource(), upperB3, badDatadog, badTags), 0);

    assertThat(batch.records()).extracting(r -> Hex.encode(r.getTraceId()))
        .containsExactly("", "", "0000000000000000112210f47de98115");
    assertThat(batch.traceIdsInvalid()).isEqualTo(2);
  }

  @Test
  void invalidTraceparentAttributeIsCountedWhenTheRecordEndsWithoutTraceId() {
    LogRecord log = accessLog().addAttributes(kv("traceparent", "00-00000000000000000000000000000000-eee19b7ec3c1b174-01"))
        .build();
    MappedBatch<AccessLogRecord> batch = mapper.map(request(envoyResource(), log), 0);
    assertThat(batch.records().get(0).getTraceId()).isEmpty();
    assertThat(batch.traceIdsInvalid()).isEqualTo(1);
  }

  @Test
  void intermediateAccessLogTypesAreSkippedAndCountedByType() {
    LogRecord start = accessLog().addAttributes(kv("access_log_type", "DownstreamStart")).build();
    LogRecord periodic = accessLog().addAttributes(kv("access_log_type", "DownstreamPeriodic")).build();
    LogRecord end = accessLog().addAttributes(kv("access_log_type", "DownstreamEnd")).build();
    LogRecord notLogged = accessLog().addAttributes(kv("access_log_type", "-")).build();
    LogRecord tcpPeriodic = accessLog().addAttributes(kv("access_log_type", "TcpPeriodic")).build();
    MappedBatch<AccessLogRecord> batch =
        mapper.map(request(envoyResource(), start, periodic, end, notLogged, tcpPeriodic, periodic), 0);

    assertThat(batch.records()).hasSize(2);
    assertThat(batch.ignored()).isEqualTo(4);
    assertThat(batch.skipped())
        .isEqualTo(Map.of("DownstreamStart", 1L, "DownstreamPeriodic", 2L, "TcpPeriodic", 1L));
    assertThat(batch.rejected()).isZero();
  }

  @Test
  void inboundWithDownstreamSanReportsDestination() {
    LogRecord log = accessLog().addAttributes(kv("upstream_cluster", "inbound|9080||"))
        .addAttributes(kv("downstream_peer_uri_san", "spiffe://cluster.local/ns/frontend/sa/web")).build();
    AccessLogRecord r = mapper.map(request(envoyResource(), log), 0).records().get(0);
    assertThat(r.getReporter()).isEqualTo(AccessLogRecord.Reporter.REPORTER_DESTINATION);
    assertThat(r.getDestinationWorkload()).isEqualTo("productpage-v1");
    assertThat(r.getSourcePrincipal()).isEqualTo("spiffe://cluster.local/ns/frontend/sa/web");
    assertThat(r.getSourceNamespace()).isEqualTo("frontend");
  }

  static Resource reviewsV2Resource(String... labelKeyValues) {
    Resource.Builder b = Resource.newBuilder()
        .addAttributes(kv("node_name", "sidecar~10.44.0.20~reviews-v2-7bf8c9648f-xk2vp.bookinfo~bookinfo.svc.cluster.local"));
    for (int i = 0; i < labelKeyValues.length; i += 2) {
      b.addAttributes(kv(labelKeyValues[i], labelKeyValues[i + 1]));
    }
    return b.build();
  }

  @Test
  void podLabelResourceAttributesGiveTheSourceServiceAndVersion() {
    LogRecord toRatings = accessLog().addAttributes(kv("upstream_cluster", "outbound|9080||ratings.bookinfo.svc.cluster.local")).build();
    AccessLogRecord semconv = mapper.map(request(
        reviewsV2Resource("k8s.pod.label.app", "reviews", "k8s.pod.label.version", "v2"), toRatings), 0).records().get(0);
    assertThat(semconv.getSourceWorkload()).isEqualTo("reviews-v2");
    assertThat(semconv.getSourceService()).isEqualTo("reviews");
    assertThat(semconv.getSourceVersion()).isEqualTo("v2");

    AccessLogRecord collector = mapper.map(request(reviewsV2Resource("k8s.pod.labels.service.istio.io/canonical-name", "reviews",
        "k8s.pod.labels.service.istio.io/canonical-revision", "v2b", "cluster_name", "ignored.bookinfo"), toRatings), 0)
        .records().get(0);
    assertThat(collector.getSourceService()).isEqualTo("reviews"); // the label wins over the node cluster
    assertThat(collector.getSourceVersion()).isEqualTo("v2b");
  }

  @Test
  void withoutClusterNameOrLabelsTheSourceServiceIsLeftEmptyForTheWorkloadToName() {
    AccessLogRecord r = mapper.map(request(reviewsV2Resource(), accessLog().build()), 0).records().get(0);
    assertThat(r.getSourceWorkload()).isEqualTo("reviews-v2");
    assertThat(r.getSourceService()).isEmpty();
    assertThat(r.getSourceVersion()).isEmpty();
  }

  @Test
  void inboundTakesTheSourceServiceAndVersionFromDownstreamPeerAttributes() {
    LogRecord log = accessLog().addAttributes(kv("upstream_cluster", "inbound|9080||"))
        .addAttributes(kv("downstream_peer_workload", "reviews-v3")).addAttributes(kv("downstream_peer_namespace", "bookinfo"))
        .addAttributes(kv("downstream_peer_service", "reviews")).addAttributes(kv("downstream_peer_version", "v3")).build();
    AccessLogRecord r = mapper.map(request(envoyResource(), log), 0).records().get(0);
    assertThat(r.getReporter()).isEqualTo(AccessLogRecord.Reporter.REPORTER_DESTINATION);
    assertThat(r.getSourceWorkload()).isEqualTo("reviews-v3");
    assertThat(r.getSourceService()).isEqualTo("reviews");
    assertThat(r.getSourceVersion()).isEqualTo("v3");
  }

  @Test
  void outboundTakesTheDestinationVersionFromTheUpstreamPeerWhenTheClusterHasNoSubset() {
    LogRecord log = accessLog().addAttributes(kv("upstream_cluster", "outbound|9080||reviews.bookinfo.svc.cluster.local"))
        .addAttributes(kv("upstream_peer_version", "v3")).build();
    assertThat(mapper.map(request(envoyResource(), log), 0).records().get(0).getDestinationVersion()).isEqualTo("v3");
  }

  @Test
  void grpcStatusAttributeMarksGrpc() {
    LogRecord log = accessLog().addAttributes(kv("grpc_status", "0")).build();
    AccessLogRecord r = mapper.map(request(envoyResource(), log), 0).records().get(0);
    assertThat(r.getProtocol()).isEqualTo(AccessLogRecord.Protocol.PROTOCOL_GRPC);
    assertThat(r.getGrpcStatus()).isZero();
  }

  @Test
  void tcpHasNoMethodNorProtocol() {
    LogRecord log = LogRecord.newBuilder().addAttributes(kv("upstream_cluster", "outbound|5432||pg.db.svc.cluster.local"))
        .addAttributes(kv("response_code", "0")).addAttributes(kv("protocol", "-"))
        .addAttributes(kv("bytes_received", 10L)).build();
    AccessLogRecord r = mapper.map(request(envoyResource(), log), 0).records().get(0);
    assertThat(r.getProtocol()).isEqualTo(AccessLogRecord.Protocol.PROTOCOL_TCP);
    assertThat(r.getRequestBytes()).isEqualTo(10);
  }

  @Test
  void otherLogRecordsAreIgnoredAndCounted() {
    LogRecord app = LogRecord.newBuilder().setBody(AnyValue.newBuilder().setStringValue("hello"))
        .addAttributes(kv("code.function", "main")).build();
    var batch = mapper.map(request(envoyResource(), app, accessLog().build(), app), 0);
    assertThat(batch.records()).hasSize(1);
    assertThat(batch.ignored()).isEqualTo(2);
    assertThat(batch.rejected()).isZero();
  }

  @Test
  void invalidValuesAreRejectedNamingTheAttribute() {
    LogRecord badCode = accessLog().addAttributes(kv("response_code", "abc")).build();
    LogRecord badStart = accessLog().addAttributes(kv("start_time", "yesterday")).build();
    LogRecord hugeCode = accessLog().addAttributes(kv("response_code", 99_999_999_999L)).build();
    LogRecord negativeCode = accessLog().addAttributes(kv("response_code", "-5")).build();
    var batch = mapper.map(request(envoyResource(), badCode, badStart, hugeCode, negativeCode, accessLog().build()), 0);
    assertThat(batch.records()).hasSize(1);
    assertThat(batch.rejected()).isEqualTo(4);
    assertThat(batch.firstError())
        .isEqualTo("resource_logs[0].scope_logs[0].log_records[0]: attribute response_code must be a number from 0 to 999, got 'abc'");
    assertThat(mapper.map(request(envoyResource(), hugeCode), 0).firstError())
        .isEqualTo("resource_logs[0].scope_logs[0].log_records[0]: attribute response_code must be a number from 0 to 999, got '99999999999'");
  }
}
