package io.switchyard.ingest.mapping;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.switchyard.model.v1.AccessLogRecord;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * OTLP log records that carry Envoy access-log attributes (Envoy's OpenTelemetry access logger configured with the
 * attribute contract in docs/ingest.md) to {@link AccessLogRecord}s. A log record qualifies when it has both
 * {@value #QUALIFIER_CLUSTER} and {@value #QUALIFIER_CODE}; every other log record is ignored and counted.
 */
public final class OtlpAccessLogMapper {
  static final String QUALIFIER_CLUSTER = "upstream_cluster";
  static final String QUALIFIER_CODE = "response_code";
  /** Optional {@code %ACCESS_LOG_TYPE%}: Envoy's intermediate entries are skipped, as over ALS. */
  static final String ACCESS_LOG_TYPE = "access_log_type";
  private static final String POD_LABEL = "k8s.pod.label.";
  private static final String POD_LABELS = "k8s.pod.labels.";

  private final MappingOptions options;

  public OtlpAccessLogMapper(MappingOptions options) {
    this.options = options;
  }

  public MappedBatch<AccessLogRecord> map(ExportLogsServiceRequest request, long receivedUnixNano) {
    List<AccessLogRecord> out = new ArrayList<>();
    long rejected = 0;
    long ignored = 0;
    long truncated = 0;
    String firstError = "";
    Map<String, Long> skipped = null;
    long traceIdsInvalid = 0;
    for (int r = 0; r < request.getResourceLogsCount(); r++) {
      ResourceLogs rl = request.getResourceLogs(r);
      Attributes resource = Attributes.of(rl.getResource().getAttributesList());
      IstioNode node = null;
      for (int s = 0; s < rl.getScopeLogsCount(); s++) {
        ScopeLogs sl = rl.getScopeLogs(s);
        for (int i = 0; i < sl.getLogRecordsCount(); i++) {
          LogRecord log = sl.getLogRecords(i);
          Attributes attrs = Attributes.of(log.getAttributesList(), options.maxAttributes(),
              options.maxValueLength());
          if (!attrs.has(QUALIFIER_CLUSTER) || !attrs.has(QUALIFIER_CODE)) {
            ignored++;
            continue;
          }
          String skip = AccessLogTypes.skipReason(value(attrs, ACCESS_LOG_TYPE));
          if (skip != null) {
            ignored++;
            skipped = AccessLogTypes.count(skipped, skip);
            continue;
          }
          String problem = validate(log, attrs);
          if (problem != null) {
            rejected++;
            if (firstError.isEmpty()) {
              firstError = "resource_logs[" + r + "].scope_logs[" + s + "].log_records[" + i + "]: " + problem;
            }
            continue;
          }
          if (node == null) {
            node = node(resource);
          }
          if (attrs.overLimit()) {
            truncated++;
          }
          AccessLogFacts f = facts(node, log, attrs, receivedUnixNano);
          traceIdsInvalid += f.traceIdInvalid ? 1 : 0;
          out.add(AccessLogDerivation.derive(f, receivedUnixNano, options));
        }
      }
    }
    return new MappedBatch<>(out, rejected, ignored, firstError, truncated, 0, 0, AccessLogTypes.result(skipped),
        traceIdsInvalid);
  }

  static String validate(LogRecord log, Attributes attrs) {
    String code = value(attrs, QUALIFIER_CODE);
    long number = attrs.number(-1, QUALIFIER_CODE);
    if (!code.isEmpty() && (number < 0 || number > 999)) {
      // Envoy logs 0 (no response) or the upstream's three-digit status; a larger number wrapped when cast.
      return "attribute response_code must be a number from 0 to 999, got '" + code + "'";
    }
    String start = value(attrs, "start_time");
    if (!start.isEmpty() && parseInstant(start) < 0) {
      return "attribute start_time must be an RFC 3339 timestamp, got '" + start + "'";
    }
    return null;
  }

  private static IstioNode node(Attributes resource) {
    String id = resource.string("node_name", "node_id");
    String cluster = resource.string("cluster_name");
    NodeMetadata md = new NodeMetadata(
        resource.string("k8s.pod.name"), resource.string("k8s.namespace.name"),
        resource.string("k8s.workload.name", "k8s.deployment.name"),
        resource.string("k8s.serviceaccount.name"), "", podLabels(resource));
    return IstioNode.of(id, cluster, md);
  }

  /**
   * The pod's labels from resource attributes {@code k8s.pod.label.<key>} (OpenTelemetry's semantic convention)
   * or {@code k8s.pod.labels.<key>} (the Collector's k8sattributes processor), the OTLP stand-in for Istio's
   * node metadata LABELS (e.g. Envoy's {@code resource_attributes}).
   */
  private static Map<String, String> podLabels(Attributes resource) {
    Map<String, String> labels = new HashMap<>();
    resource.asMap().forEach((key, value) -> {
      String label = key.startsWith(POD_LABEL) ? key.substring(POD_LABEL.length())
          : key.startsWith(POD_LABELS) ? key.substring(POD_LABELS.length()) : "";
      if (!label.isEmpty()) {
        String v = resource.string(key);
        if (!v.isEmpty()) {
          labels.putIfAbsent(label, v);
        }
      }
    });
    return labels.isEmpty() ? Map.of() : Map.copyOf(labels);
  }

  private static AccessLogFacts facts(IstioNode node, LogRecord log, Attributes a, long receivedUnixNano) {
    AccessLogFacts f = new AccessLogFacts();
    f.node = node;
    f.upstreamCluster = value(a, "upstream_cluster");
    f.responseCode = (int) Math.max(0, a.number(0, "response_code"));
    f.responseFlags = value(a, "response_flags");
    f.method = value(a, "method");
    f.authority = value(a, "authority");
    f.path = value(a, "path");
    f.routeName = value(a, "route_name");
    f.requestBytes = Math.max(0, a.number(0, "bytes_received"));
    f.responseBytes = Math.max(0, a.number(0, "bytes_sent"));
    f.durationMicros = Math.max(0, a.number(0, "duration")) * 1000;
    f.upstreamRemoteAddress = value(a, "upstream_host");
    f.downstreamRemoteAddress = value(a, "downstream_remote_address");
    f.downstreamLocalAddress = value(a, "downstream_local_address");
    f.upstreamLocalAddress = value(a, "upstream_local_address");
    f.downstreamPeerUriSans = sans(value(a, "downstream_peer_uri_san"));
    f.upstreamPeerUriSans = sans(value(a, "upstream_peer_uri_san"));
    f.downstreamPeer = new PeerInfo(value(a, "downstream_peer_workload"), value(a, "downstream_peer_namespace"),
        value(a, "downstream_peer_service"), value(a, "downstream_peer_version"));
    f.upstreamPeer = new PeerInfo(value(a, "upstream_peer_workload"), value(a, "upstream_peer_namespace"),
        value(a, "upstream_peer_service"), value(a, "upstream_peer_version"));
    f.requestId = value(a, "request_id");
    String grpc = value(a, "grpc_status");
    f.grpcStatus = grpc.isEmpty() ? -1 : (int) a.number(-1, "grpc_status");
    String protocol = value(a, "protocol");
    if (f.grpcStatus >= 0) {
      f.protocol = AccessLogRecord.Protocol.PROTOCOL_GRPC;
    } else if (protocol.startsWith("HTTP") || !f.method.isEmpty()) {
      f.protocol = AccessLogRecord.Protocol.PROTOCOL_HTTP;
    } else {
      f.protocol = AccessLogRecord.Protocol.PROTOCOL_TCP;
    }
    String start = value(a, "start_time");
    if (!start.isEmpty()) {
      f.startUnixNano = parseInstant(start);
    } else if (log.getTimeUnixNano() != 0) {
      f.startUnixNano = log.getTimeUnixNano();
    } else if (log.getObservedTimeUnixNano() != 0) {
      f.startUnixNano = log.getObservedTimeUnixNano();
    } else {
      f.startUnixNano = receivedUnixNano;
    }
    // OTLP: a receiver takes a record whose trace_id is invalid as not associated with a trace (the record is kept);
    // the request's own headers may still name it.
    f.traceId = TraceIds.fromBytes(log.getTraceId());
    if (f.traceId.isEmpty()) {
      TraceIds.Headers trace = new TraceIds.Headers(value(a, "traceparent"), value(a, "b3"), value(a, "x_b3_traceid"),
          value(a, "x_datadog_trace_id"), value(a, "x_datadog_tags"));
      f.traceId = TraceIds.fromHeaders(trace);
      f.traceIdInvalid = f.traceId.isEmpty() && (!TraceIds.allZero(log.getTraceId()) || trace.present());
    }
    return f;
  }

  /** Envoy writes "-" for an operator with no value. */
  private static String value(Attributes a, String key) {
    String v = a.string(key);
    return "-".equals(v) ? "" : v;
  }

  private static List<String> sans(String v) {
    return v.isEmpty() ? List.of() : List.of(v.split(","));
  }

  /** Unix nanos of an RFC 3339 timestamp, or -1. */
  static long parseInstant(String s) {
    try {
      Instant t = Instant.parse(s);
      return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    } catch (DateTimeParseException e) {
      return -1;
    }
  }
}
