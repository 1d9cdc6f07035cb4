package io.switchyard.xds.envoy;

import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.CommonGrpcAccessLogConfig;
import io.envoyproxy.envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.switchyard.xds.mesh.Mesh.Workload;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Envoy's OpenTelemetry access logger configured with the attribute contract that ingest publishes (docs/ingest.md,
 * "The OTLP access-log attribute contract"): ingest recognises a log record as an access log by these keys, so
 * they must be spelled exactly as its mapper reads them.
 */
final class OtelAccessLog {
  static final String NAME = "envoy.access_loggers.open_telemetry";

  /** Log record attribute → Envoy command operator. Envoy writes "-" for an operator without a value. */
  static final Map<String, String> ATTRIBUTES = attributes();

  private OtelAccessLog() {}

  private static Map<String, String> attributes() {
    Map<String, String> a = new LinkedHashMap<>();
    // Our clusters carry no alt_stat_name, but the RAW form stays right if a user adds one.
    a.put("upstream_cluster", "%UPSTREAM_CLUSTER_RAW%");
    a.put("response_code", "%RESPONSE_CODE%");
    a.put("response_flags", "%RESPONSE_FLAGS%");
    a.put("protocol", "%PROTOCOL%");
    a.put("method", "%REQ(:METHOD)%");
    a.put("authority", "%REQ(:AUTHORITY)%");
    a.put("path", "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%");
    a.put("route_name", "%ROUTE_NAME%");
    a.put("grpc_status", "%GRPC_STATUS_NUMBER%");
    a.put("bytes_received", "%BYTES_RECEIVED%");
    a.put("bytes_sent", "%BYTES_SENT%");
    a.put("duration", "%DURATION%");
    a.put("start_time", "%START_TIME%");
    a.put("upstream_host", "%UPSTREAM_HOST%");
    a.put("downstream_remote_address", "%DOWNSTREAM_REMOTE_ADDRESS%");
    // The connection between the two sidecars, which both logs of one TCP connection name alike: how the Flink
    // job counts such a connection once (a TCP log has no request id).
    a.put("downstream_local_address", "%DOWNSTREAM_LOCAL_ADDRESS%");
    a.put("upstream_local_address", "%UPSTREAM_LOCAL_ADDRESS%");
    a.put("downstream_peer_uri_san", "%DOWNSTREAM_PEER_URI_SAN%");
    a.put("upstream_peer_uri_san", "%UPSTREAM_PEER_URI_SAN%");
    a.put("request_id", "%REQ(X-REQUEST-ID)%");
    a.put("traceparent", "%REQ(TRACEPARENT)%");
    // Which entry of a request this is: ingest skips the periodic and start ones (Envoy 1.26+).
    a.put("access_log_type", "%ACCESS_LOG_TYPE%");
    return Collections.unmodifiableMap(a);
  }

  static OpenTelemetryAccessLogConfig config(Workload w, GrpcService otlp) {
    KeyValueList.Builder attrs = KeyValueList.newBuilder();
    ATTRIBUTES.forEach((k, v) -> attrs.addValues(keyValue(k, v)));
    // Envoy adds node_name and cluster_name to the resource itself; the mesh knows the workload identity, which
    // ingest prefers over what it would guess from the node id.
    KeyValueList resource = KeyValueList.newBuilder()
        .addValues(keyValue("k8s.namespace.name", w.namespace()))
        .addValues(keyValue("k8s.workload.name", w.name()))
        .addValues(keyValue("k8s.serviceaccount.name", w.serviceAccount()))
        .build();
    return OpenTelemetryAccessLogConfig.newBuilder()
        .setCommonConfig(CommonGrpcAccessLogConfig.newBuilder()
            .setLogName(w.nodeGroup())
            .setTransportApiVersion(ApiVersion.V3)
            .setGrpcService(otlp))
        .setResourceAttributes(resource)
        .setBody(AnyValue.newBuilder()
            .setStringValue("%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %RESPONSE_CODE%"))
        .setAttributes(attrs)
        .build();
  }

  private static KeyValue keyValue(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }
}
