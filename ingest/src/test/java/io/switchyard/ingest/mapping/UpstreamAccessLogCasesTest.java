package io.switchyard.ingest.mapping;

import static io.switchyard.ingest.mapping.SpanMapperTest.kv;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.RequestMethod;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogType;
import io.envoyproxy.envoy.data.accesslog.v3.ConnectionProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPRequestProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPResponseProperties;
import io.envoyproxy.envoy.data.accesslog.v3.ResponseFlags;
import io.envoyproxy.envoy.data.accesslog.v3.TCPAccessLogEntry;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.switchyard.model.v1.AccessLogRecord;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Access-log entries as Envoy and Istio define them, driven through the real mappers (an ALS message or an OTLP
 * export in, the {@link AccessLogRecord} the Flink jobs read out). Each case names the upstream source it follows.
 */
class UpstreamAccessLogCasesTest {
  /** envoyproxy/envoy source/common/stream_info/utility.h, ALL_RESPONSE_STRINGS_FLAGS (short names, order). */
  static final String FLAGS = "envoy source/common/stream_info/utility.h ALL_RESPONSE_STRINGS_FLAGS; "
      + "source/extensions/access_loggers/grpc/grpc_access_log_utils.cc responseFlagsToAccessLogResponseFlags";
  /** %DURATION% is StreamInfo::requestComplete(), the same value ALS sends as AccessLogCommon.duration. */
  static final String DURATION = "envoy source/common/formatter/stream_info_formatter.cc DURATION = requestComplete(); "
      + "grpc_access_log_utils.cc duration = requestComplete(); istio/proxy istio_stats.cc "
      + "request_duration_milliseconds = requestComplete()";

  record Case(String name, String upstream, AccessLogRecord record, Consumer<AccessLogRecord> expect) {
    @Override
    public String toString() {
      return name + " [" + upstream + "]";
    }
  }

  static Stream<Arguments> cases() {
    List<Case> cases = new java.util.ArrayList<>();
    // Every ResponseFlags field becomes the short name Envoy's %RESPONSE_FLAGS% prints for it.
    flag(cases, "LH", b -> b.setFailedLocalHealthcheck(true));
    flag(cases, "UH", b -> b.setNoHealthyUpstream(true));
    flag(cases, "UT", b -> b.setUpstreamRequestTimeout(true));
    flag(cases, "LR", b -> b.setLocalReset(true));
    flag(cases, "UR", b -> b.setUpstreamRemoteReset(true));
    flag(cases, "UF", b -> b.setUpstreamConnectionFailure(true));
    flag(cases, "UC", b -> b.setUpstreamConnectionTermination(true));
    flag(cases, "UO", b -> b.setUpstreamOverflow(true));
    flag(cases, "NR", b -> b.setNoRouteFound(true));
    flag(cases, "DI", b -> b.setDelayInjected(true));
    flag(cases, "FI", b -> b.setFaultInjected(true));
    flag(cases, "RL", b -> b.setRateLimited(true));
    // Envoy sets unauthorized_details{reason: EXTERNAL_SERVICE} for UnauthorizedExternalService.
    flag(cases, "UAEX", b -> b.setUnauthorizedDetails(ResponseFlags.Unauthorized.newBuilder()
        .setReason(ResponseFlags.Unauthorized.Reason.EXTERNAL_SERVICE)));
    flag(cases, "RLSE", b -> b.setRateLimitServiceError(true));
    flag(cases, "DC", b -> b.setDownstreamConnectionTermination(true));
    flag(cases, "URX", b -> b.setUpstreamRetryLimitExceeded(true));
    flag(cases, "SI", b -> b.setStreamIdleTimeout(true));
    flag(cases, "IH", b -> b.setInvalidEnvoyRequestHeaders(true));
    flag(cases, "DPE", b -> b.setDownstreamProtocolError(true));
    flag(cases, "UMSDR", b -> b.setUpstreamMaxStreamDurationReached(true));
    flag(cases, "RFCF", b -> b.setResponseFromCacheFilter(true));
    flag(cases, "NFCF", b -> b.setNoFilterConfigFound(true));
    flag(cases, "DT", b -> b.setDurationTimeout(true));
    flag(cases, "UPE", b -> b.setUpstreamProtocolError(true));
    flag(cases, "NC", b -> b.setNoClusterFound(true));
    flag(cases, "OM", b -> b.setOverloadManager(true));
    flag(cases, "DF", b -> b.setDnsResolutionFailure(true));
    flag(cases, "DR", b -> b.setDownstreamRemoteReset(true));
    // Several flags: Envoy joins the short names with "," in its table's order (toString: absl::StrJoin(.., ",")).
    flag(cases, "UH,URX", b -> b.setUpstreamRetryLimitExceeded(true).setNoHealthyUpstream(true));
    flag(cases, "UF,URX", b -> b.setUpstreamRetryLimitExceeded(true).setUpstreamConnectionFailure(true));
    flag(cases, "UT,DC", b -> b.setDownstreamConnectionTermination(true).setUpstreamRequestTimeout(true));
    flag(cases, "DI,FI", b -> b.setFaultInjected(true).setDelayInjected(true));
    flag(cases, "RL,RLSE", b -> b.setRateLimitServiceError(true).setRateLimited(true));
    // None set: Envoy prints "-" (ResponseFlagUtils::NONE); records carry "" for it (docs/ingest.md, span records).
    cases.add(new Case("ALS no flags", FLAGS + " NONE",
        als(http(e -> e.getCommonPropertiesBuilder().clearResponseFlags())),
        r -> assertThat(r.getResponseFlags()).isEmpty()));
    cases.add(new Case("OTLP %RESPONSE_FLAGS% '-'", FLAGS + " NONE",
        otlp(l -> l.addAttributes(kv("response_flags", "-"))), r -> assertThat(r.getResponseFlags()).isEmpty()));
    cases.add(new Case("OTLP %RESPONSE_FLAGS% 'UF,URX'", FLAGS,
        otlp(l -> l.addAttributes(kv("response_flags", "UF,URX"))),
        r -> assertThat(r.getResponseFlags()).isEqualTo("UF,URX")));

    // Durations: %DURATION% (and Istio's request duration) is the request's completion, whatever the last
    // downstream byte's time; the two transports must agree.
    cases.add(new Case("ALS duration wins over time_to_last_downstream_tx_byte", DURATION,
        als(http(e -> e.getCommonPropertiesBuilder()
            .setDuration(Duration.newBuilder().setSeconds(2).setNanos(500_000_000))
            .setTimeToLastDownstreamTxByte(Duration.newBuilder().setNanos(12_345_000)))),
        r -> assertThat(r.getDurationMicros()).isEqualTo(2_500_000)));
    cases.add(new Case("ALS duration only", DURATION,
        als(http(e -> e.getCommonPropertiesBuilder().setDuration(Duration.newBuilder().setNanos(7_000_123)))),
        r -> assertThat(r.getDurationMicros()).isEqualTo(7_000)));
    cases.add(new Case("ALS without duration: time_to_last_downstream_tx_byte stands in", DURATION,
        als(http(e -> e.getCommonPropertiesBuilder().clearDuration()
            .setTimeToLastDownstreamTxByte(Duration.newBuilder().setNanos(12_345_000)))),
        r -> assertThat(r.getDurationMicros()).isEqualTo(12_345)));
    cases.add(new Case("OTLP %DURATION% in ms", DURATION,
        otlp(l -> l.addAttributes(kv("duration", "2500"))),
        r -> assertThat(r.getDurationMicros()).isEqualTo(2_500_000)));

    // %RESPONSE_CODE%: 0 means the server never sent the beginning of a response (envoy access log docs).
    String code0 = "envoy docs configuration/observability/access_log/usage %RESPONSE_CODE% ('0' = no response)";
    cases.add(new Case("ALS no response_code", code0,
        als(http(e -> e.getResponseBuilder().clearResponseCode())), r -> assertThat(r.getResponseCode()).isZero()));
    cases.add(new Case("ALS DC with no response", code0,
        als(http(e -> {
          e.getResponseBuilder().clearResponseCode();
          e.getCommonPropertiesBuilder().setResponseFlags(ResponseFlags.newBuilder()
              .setDownstreamConnectionTermination(true));
        })), r -> {
          assertThat(r.getResponseCode()).isZero();
          assertThat(r.getResponseFlags()).isEqualTo("DC");
        }));
    cases.add(new Case("OTLP %RESPONSE_CODE% 0", code0,
        otlp(l -> l.addAttributes(kv("response_code", 0L))), r -> assertThat(r.getResponseCode()).isZero()));

    // gRPC status: trailers first, then headers (trailers-only responses), as Grpc::Common::getGrpcStatus reads them.
    String grpc = "envoy source/common/grpc/common.cc getGrpcStatus(trailers, headers, info)";
    cases.add(new Case("ALS grpc-status trailer", grpc,
        als(http(e -> e.getResponseBuilder().putResponseTrailers("grpc-status", "14")
            .putResponseHeaders("grpc-status", "0"))), r -> {
          assertThat(r.getGrpcStatus()).isEqualTo(14);
          assertThat(r.getProtocol()).isEqualTo(AccessLogRecord.Protocol.PROTOCOL_GRPC);
        }));
    cases.add(new Case("ALS trailers-only grpc-status header", grpc,
        als(http(e -> e.getResponseBuilder().putResponseHeaders("grpc-status", "7"))),
        r -> assertThat(r.getGrpcStatus()).isEqualTo(7)));
    cases.add(new Case("OTLP %GRPC_STATUS_NUMBER%", "envoy access log docs %GRPC_STATUS_NUMBER%",
        otlp(l -> l.addAttributes(kv("grpc_status", 4L))), r -> {
          assertThat(r.getGrpcStatus()).isEqualTo(4);
          assertThat(r.getProtocol()).isEqualTo(AccessLogRecord.Protocol.PROTOCOL_GRPC);
        }));
    // gRPC is content-type application/grpc or application/grpc+<codec>; application/grpc-web is not (Envoy's
    // Grpc::Common::hasGrpcContentType, which Istio's istio_stats request_protocol = grpc|http reads).
    String grpcType = "envoy source/common/grpc/common.cc hasGrpcContentType; istio/proxy istio_stats.cc "
        + "isGrpcRequestHeaders -> request_protocol, grpc_response_status";
    cases.add(new Case("ALS content-type application/grpc", grpcType,
        als(http(e -> e.getRequestBuilder().putRequestHeaders("content-type", "application/grpc"))), r -> {
          assertThat(r.getProtocol()).isEqualTo(AccessLogRecord.Protocol.PROTOCOL_GRPC);
          assertThat(r.getGrpcStatus()).isEqualTo(-1);
        }));
    cases.add(new Case("ALS content-type application/grpc+proto", grpcType,
        als(http(e -> {
          e.getRequestBuilder().putRequestHeaders("content-type", "application/grpc+proto");
          e.getResponseBuilder().putResponseTrailers("grpc-status", "0");
        })), r -> {
          assertThat(r.getProtocol()).isEqualTo(AccessLogRecord.Protocol.PROTOCOL_GRPC);
          assertThat(r.getGrpcStatus()).isZero();
        }));
    cases.add(new Case("ALS content-type application/grpc-web-text is HTTP", grpcType,
        als(http(e -> e.getRequestBuilder().putRequestHeaders("content-type", "application/grpc-web-text"))),
        r -> {
          assertThat(r.getProtocol()).isEqualTo(AccessLogRecord.Protocol.PROTOCOL_HTTP);
          assertThat(r.getGrpcStatus()).isEqualTo(-1);
        }));
    cases.add(new Case("ALS gRPC-Web with a grpc-status header is HTTP without gRPC status", grpcType,
        als(http(e -> {
          e.getRequestBuilder().putRequestHeaders("content-type", "application/grpc-web+proto");
          e.getResponseBuilder().putResponseHeaders("grpc-status", "14");
        })), r -> {
          assertThat(r.getProtocol()).isEqualTo(AccessLogRecord.Protocol.PROTOCOL_HTTP);
          assertThat(r.getGrpcStatus()).isEqualTo(-1);
        }));
    cases.add(new Case("ALS plain HTTP has no gRPC status", grpc,
        als(http(e -> { })), r -> {
          assertThat(r.getGrpcStatus()).isEqualTo(-1);
          assertThat(r.getProtocol()).isEqualTo(AccessLogRecord.Protocol.PROTOCOL_HTTP);
        }));

    // TCP: %RESPONSE_CODE% not implemented, bytes are the connection's, flags as for HTTP (UF on connect failure).
    String tcp = "envoy access log docs (TCP: %BYTES_RECEIVED%/%BYTES_SENT% downstream bytes on the connection; "
        + "%RESPONSE_CODE% not implemented); tcp_grpc_access_log_impl.cc ConnectionProperties";
    cases.add(new Case("ALS TCP entry", tcp, alsTcp(), r -> {
      assertThat(r.getProtocol()).isEqualTo(AccessLogRecord.Protocol.PROTOCOL_TCP);
      assertThat(r.getResponseCode()).isZero();
      assertThat(r.getRequestBytes()).isEqualTo(1_000);
      assertThat(r.getResponseBytes()).isEqualTo(2_000);
      assertThat(r.getResponseFlags()).isEqualTo("UF");
      assertThat(r.getDurationMicros()).isEqualTo(3_000_000);
      assertThat(r.getGrpcStatus()).isEqualTo(-1);
    }));
    cases.add(new Case("OTLP TCP entry (%PROTOCOL% '-')", tcp, otlpTcp(), r -> {
      assertThat(r.getProtocol()).isEqualTo(AccessLogRecord.Protocol.PROTOCOL_TCP);
      assertThat(r.getResponseCode()).isZero();
      assertThat(r.getRequestBytes()).isEqualTo(1_000);
      assertThat(r.getResponseBytes()).isEqualTo(2_000);
      assertThat(r.getResponseFlags()).isEqualTo("UF");
      assertThat(r.getDurationMicros()).isEqualTo(3_000_000);
    }));

    // Request id and upstream cluster as logged (%REQ(X-REQUEST-ID)%, %UPSTREAM_CLUSTER%).
    cases.add(new Case("ALS request id and upstream cluster", "envoy accesslog.proto request_id, upstream_cluster",
        als(http(e -> { })), r -> {
          assertThat(r.getRequestId()).isEqualTo("req-1");
          assertThat(r.getUpstreamCluster()).isEqualTo("outbound|9080|v2|reviews.bookinfo.svc.cluster.local");
        }));
    return cases.stream().map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void mapsAsEnvoyAndIstioDefine(Case c) {
    c.expect().accept(c.record());
  }

  private static void flag(List<Case> cases, String expected, UnaryOperator<ResponseFlags.Builder> set) {
    ResponseFlags flags = set.apply(ResponseFlags.newBuilder()).build();
    cases.add(new Case("ALS flags " + expected, FLAGS,
        als(http(e -> e.getCommonPropertiesBuilder().setResponseFlags(flags))),
        r -> assertThat(r.getResponseFlags()).isEqualTo(expected)));
    cases.add(new Case("ALS TCP flags " + expected, FLAGS,
        alsTcp(e -> e.getCommonPropertiesBuilder().setResponseFlags(flags)),
        r -> assertThat(r.getResponseFlags()).isEqualTo(expected)));
  }

  static HTTPAccessLogEntry http(Consumer<HTTPAccessLogEntry.Builder> edit) {
    HTTPAccessLogEntry.Builder e = HTTPAccessLogEntry.newBuilder()
        .setCommonProperties(AccessLogCommon.newBuilder()
            .setUpstreamCluster("outbound|9080|v2|reviews.bookinfo.svc.cluster.local")
            .setUpstreamRemoteAddress(AlsMapperTest.addr("10.44.0.20", 9080))
            .setStartTime(Timestamp.newBuilder().setSeconds(1_700_000_000L))
            .setDuration(Duration.newBuilder().setNanos(5_000_000))
            .setAccessLogType(AccessLogType.DownstreamEnd))
        .setRequest(HTTPRequestProperties.newBuilder().setRequestMethod(RequestMethod.GET)
            .setAuthority("reviews:9080").setPath("/reviews/0").setRequestId("req-1"))
        .setResponse(HTTPResponseProperties.newBuilder().setResponseCode(UInt32Value.of(200)));
    edit.accept(e);
    return e.build();
  }

  static AccessLogRecord als(HTTPAccessLogEntry entry) {
    var batch = new AlsMapper(MappingOptions.DEFAULTS).newStream()
        .map(AlsMapperTest.withNode(AlsMapperTest.productpageNode(), entry), 1);
    assertThat(batch.records()).hasSize(1);
    return batch.records().get(0);
  }

  static AccessLogRecord alsTcp() {
    return alsTcp(e -> e.getCommonPropertiesBuilder().setResponseFlags(ResponseFlags.newBuilder()
        .setUpstreamConnectionFailure(true)));
  }

  static AccessLogRecord alsTcp(Consumer<TCPAccessLogEntry.Builder> edit) {
    TCPAccessLogEntry.Builder e = TCPAccessLogEntry.newBuilder()
        .setCommonProperties(AccessLogCommon.newBuilder()
            .setUpstreamCluster("outbound|27017||mongodb.db.svc.cluster.local")
            .setStartTime(Timestamp.newBuilder().setSeconds(1_700_000_000L))
            .setDuration(Duration.newBuilder().setSeconds(3))
            .setAccessLogType(AccessLogType.TcpConnectionEnd))
        .setConnectionProperties(ConnectionProperties.newBuilder().setReceivedBytes(1_000).setSentBytes(2_000));
    edit.accept(e);
    var batch = new AlsMapper(MappingOptions.DEFAULTS).newStream().map(AlsMapperTest.tcpMessage(e.build()), 1);
    assertThat(batch.records()).hasSize(1);
    return batch.records().get(0);
  }

  /** An OTLP access log of Envoy's OpenTelemetry logger; later attributes of the same key are the ones read. */
  static AccessLogRecord otlp(Consumer<LogRecord.Builder> edit) {
    LogRecord.Builder l = LogRecord.newBuilder().setTimeUnixNano(1_700_000_000_000_000_000L)
        .addAttributes(kv("upstream_cluster", "outbound|9080|v1|reviews.bookinfo.svc.cluster.local"))
        .addAttributes(kv("protocol", "HTTP/2"))
        .addAttributes(kv("method", "POST"));
    edit.accept(l);
    if (l.getAttributesList().stream().noneMatch(a -> a.getKey().equals("response_code"))) {
      l.addAttributes(kv("response_code", 200L));
    }
    return otlpRecord(l.build());
  }

  static AccessLogRecord otlpTcp() {
    return otlpRecord(LogRecord.newBuilder().setTimeUnixNano(1_700_000_000_000_000_000L)
        .addAttributes(kv("upstream_cluster", "outbound|27017||mongodb.db.svc.cluster.local"))
        .addAttributes(kv("response_code", 0L))
        .addAttributes(kv("response_flags", "UF"))
        .addAttributes(kv("protocol", "-"))
        .addAttributes(kv("method", "-"))
        .addAttributes(kv("bytes_received", 1_000L))
        .addAttributes(kv("bytes_sent", 2_000L))
        .addAttributes(kv("duration", 3_000L))
        .addAttributes(kv("grpc_status", "-"))
        .build());
  }

  private static AccessLogRecord otlpRecord(LogRecord log) {
    var batch = new OtlpAccessLogMapper(MappingOptions.DEFAULTS)
        .map(OtlpAccessLogMapperTest.request(OtlpAccessLogMapperTest.envoyResource(), log), 1);
    assertThat(batch.records()).hasSize(1);
    return batch.records().get(0);
  }
}
