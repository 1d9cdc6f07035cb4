package io.switchyard.ingest.mapping;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.StringValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPRequestProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPResponseProperties;
import io.envoyproxy.envoy.data.accesslog.v3.ResponseFlags;
import io.envoyproxy.envoy.data.accesslog.v3.TCPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.TLSProperties;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.switchyard.model.v1.AccessLogRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Envoy gRPC access-log service messages to {@link AccessLogRecord}s, one {@link Stream} per ALS stream. */
public final class AlsMapper {
  /** The filter-state keys of the peers before Istio 1.24 (a Struct, or the peer's node id under {@code <key>_id}). */
  static final String DOWNSTREAM_PEER = "wasm.downstream_peer";
  static final String UPSTREAM_PEER = "wasm.upstream_peer";
  /** Istio 1.24 and later log the peers under these keys instead (a Struct of Istio's workload metadata). */
  static final String ISTIO_DOWNSTREAM_PEER = "downstream_peer";
  static final String ISTIO_UPSTREAM_PEER = "upstream_peer";

  private final MappingOptions options;

  public AlsMapper(MappingOptions options) {
    this.options = options;
  }

  /** State of one StreamAccessLogs call: Envoy names its node only in the stream's first message. */
  public Stream newStream() {
    return new Stream();
  }

  public final class Stream {
    private IstioNode node;

    private Stream() {}

    /** True once a message with the node identifier has been seen. */
    public boolean hasNode() {
      return node != null;
    }

    /**
     * Maps one message. Entries that arrive before any identifier are still mapped (with an unknown node) rather
     * than dropped: Envoy never resends them. Envoy's intermediate entries of a request still running are skipped
     * ({@link AccessLogTypes}): only its final entry is published, once.
     */
    public MappedBatch<AccessLogRecord> map(StreamAccessLogsMessage message, long receivedUnixNano) {
      if (message.hasIdentifier() && message.getIdentifier().hasNode()) {
        node = nodeOf(message.getIdentifier().getNode());
      }
      IstioNode n = node == null ? IstioNode.UNKNOWN : node;
      List<AccessLogRecord> out = new ArrayList<>();
      Map<String, Long> skipped = null;
      long traceIdsInvalid = 0;
      if (message.hasHttpLogs()) {
        for (HTTPAccessLogEntry e : message.getHttpLogs().getLogEntryList()) {
          String skip = AccessLogTypes.skipReason(e.getCommonProperties());
          if (skip != null) {
            skipped = AccessLogTypes.count(skipped, skip);
            continue;
          }
          AccessLogFacts f = http(n, e);
          traceIdsInvalid += f.traceIdInvalid ? 1 : 0;
          out.add(AccessLogDerivation.derive(f, receivedUnixNano, options));
        }
      }
      if (message.hasTcpLogs()) {
        for (TCPAccessLogEntry e : message.getTcpLogs().getLogEntryList()) {
          String skip = AccessLogTypes.skipReason(e.getCommonProperties());
          if (skip != null) {
            skipped = AccessLogTypes.count(skipped, skip);
            continue;
          }
          out.add(AccessLogDerivation.derive(tcp(n, e), receivedUnixNano, options));
        }
      }
      Map<String, Long> skips = AccessLogTypes.result(skipped);
      long ignored = 0;
      for (long c : skips.values()) {
        ignored += c;
      }
      return new MappedBatch<>(out, 0, ignored, "", 0, 0, 0, skips, traceIdsInvalid);
    }
  }

  static IstioNode nodeOf(Node node) {
    return IstioNode.of(node.getId(), node.getCluster(), NodeMetadata.of(node.getMetadata()));
  }

  /** The Kafka key of a record (destination service). */
  public static String key(AccessLogRecord record) {
    return AccessLogDerivation.key(record);
  }

  static AccessLogFacts http(IstioNode node, HTTPAccessLogEntry e) {
    AccessLogFacts f = common(node, e.getCommonProperties());
    HTTPRequestProperties req = e.getRequest();
    HTTPResponseProperties resp = e.getResponse();
    f.method = req.getRequestMethod() == io.envoyproxy.envoy.config.core.v3.RequestMethod.METHOD_UNSPECIFIED
        ? "" : req.getRequestMethod().name();
    f.authority = req.getAuthority();
    f.path = req.getOriginalPath().isEmpty() ? req.getPath() : req.getOriginalPath();
    f.requestId = req.getRequestId();
    f.requestBytes = req.getRequestHeadersBytes() + req.getRequestBodyBytes();
    f.responseBytes = resp.getResponseHeadersBytes() + resp.getResponseBodyBytes();
    f.responseCode = resp.hasResponseCode() ? resp.getResponseCode().getValue() : 0;
    f.grpcStatus = grpcStatus(resp);
    String contentType = header(req.getRequestHeadersMap(), "content-type");
    if (!contentType.isEmpty() && !isGrpcContentType(contentType)) {
      // A logged content-type decides, as Istio's request_protocol does: gRPC-Web (its status in response
      // headers too) and anything else is HTTP, with no gRPC status.
      f.grpcStatus = -1;
    }
    f.protocol = f.grpcStatus >= 0 || isGrpcContentType(contentType)
        ? AccessLogRecord.Protocol.PROTOCOL_GRPC
        : AccessLogRecord.Protocol.PROTOCOL_HTTP;
    Map<String, String> headers = req.getRequestHeadersMap();
    TraceIds.Headers trace = new TraceIds.Headers(header(headers, "traceparent"), header(headers, "b3"),
        header(headers, "x-b3-traceid"), header(headers, "x-datadog-trace-id"), header(headers, "x-datadog-tags"));
    f.traceId = TraceIds.fromHeaders(trace);
    f.traceIdInvalid = f.traceId.isEmpty() && trace.present();
    return f;
  }

  static AccessLogFacts tcp(IstioNode node, TCPAccessLogEntry e) {
    AccessLogFacts f = common(node, e.getCommonProperties());
    f.protocol = AccessLogRecord.Protocol.PROTOCOL_TCP;
    f.requestBytes = e.getConnectionProperties().getReceivedBytes();
    f.responseBytes = e.getConnectionProperties().getSentBytes();
    return f;
  }

  private static AccessLogFacts common(IstioNode node, AccessLogCommon c) {
    AccessLogFacts f = new AccessLogFacts();
    f.node = node;
    f.upstreamCluster = c.getUpstreamCluster();
    f.downstreamRemoteAddress = address(c.hasDownstreamDirectRemoteAddress()
        ? c.getDownstreamDirectRemoteAddress() : c.getDownstreamRemoteAddress());
    f.upstreamRemoteAddress = address(c.getUpstreamRemoteAddress());
    f.downstreamLocalAddress = address(c.getDownstreamLocalAddress());
    f.upstreamLocalAddress = address(c.getUpstreamLocalAddress());
    f.routeName = c.getRouteName();
    f.responseFlags = flags(c.getResponseFlags());
    f.startUnixNano = nanos(c.getStartTime());
    // Envoy fills duration from requestComplete(), the value %DURATION% prints and Istio's request duration
    // records; the last downstream byte can go out long before the request completes (a response sent while
    // the client still uploads), so it only stands in when an Envoy sent no duration.
    com.google.protobuf.Duration d = c.hasDuration() || !c.hasTimeToLastDownstreamTxByte()
        ? c.getDuration() : c.getTimeToLastDownstreamTxByte();
    f.durationMicros = d.getSeconds() * 1_000_000L + d.getNanos() / 1_000;
    if (c.hasTlsProperties()) {
      f.downstreamPeerUriSans = uriSans(c.getTlsProperties().getPeerCertificateProperties());
    }
    Map<String, Any> fs = c.getFilterStateObjectsMap();
    f.downstreamPeer = peer(fs, ISTIO_DOWNSTREAM_PEER, DOWNSTREAM_PEER);
    f.upstreamPeer = peer(fs, ISTIO_UPSTREAM_PEER, UPSTREAM_PEER);
    return f;
  }

  /**
   * Peer metadata as Istio logs it: a Struct under {@code istioKey} (Istio 1.24 and later), else a Struct under
   * {@code wasmKey}, else the peer's node id under {@code <wasmKey>_id}.
   */
  static PeerInfo peer(Map<String, Any> filterState, String istioKey, String wasmKey) {
    PeerInfo p = peerStruct(filterState.get(istioKey));
    return p.isKnown() ? p : peer(filterState, wasmKey);
  }

  private static PeerInfo peerStruct(Any any) {
    try {
      return any != null && any.is(Struct.class) ? PeerInfo.of(any.unpack(Struct.class)) : PeerInfo.NONE;
    } catch (InvalidProtocolBufferException e) {
      return PeerInfo.NONE;
    }
  }

  /** Peer metadata as Istio logs it: a Struct under the key, or the peer's node id under {@code <key>_id}. */
  static PeerInfo peer(Map<String, Any> filterState, String key) {
    Any any = filterState.get(key);
    try {
      if (any != null && any.is(Struct.class)) {
        PeerInfo p = PeerInfo.of(any.unpack(Struct.class));
        if (p.isKnown()) {
          return p;
        }
      }
      Any id = filterState.get(key + "_id");
      if (id != null && id.is(StringValue.class)) {
        return PeerInfo.ofNodeId(id.unpack(StringValue.class).getValue());
      }
    } catch (InvalidProtocolBufferException e) {
      return PeerInfo.NONE;
    }
    return PeerInfo.NONE;
  }

  static List<String> uriSans(TLSProperties.CertificateProperties cert) {
    List<String> out = new ArrayList<>(cert.getSubjectAltNameCount());
    for (TLSProperties.CertificateProperties.SubjectAltName san : cert.getSubjectAltNameList()) {
      if (!san.getUri().isEmpty()) {
        out.add(san.getUri());
      }
    }
    return out;
  }

  /**
   * Envoy's Grpc::Common::hasGrpcContentType: exactly {@code application/grpc} or {@code application/grpc+<codec>};
   * {@code application/grpc-web...} is not gRPC.
   */
  static boolean isGrpcContentType(String contentType) {
    return contentType.startsWith("application/grpc")
        && (contentType.length() == "application/grpc".length()
            || contentType.charAt("application/grpc".length()) == '+');
  }

  private static int grpcStatus(HTTPResponseProperties resp) {
    String s = header(resp.getResponseTrailersMap(), "grpc-status");
    if (s.isEmpty()) {
      s = header(resp.getResponseHeadersMap(), "grpc-status");
    }
    if (s.isEmpty()) {
      return -1;
    }
    try {
      return Integer.parseInt(s.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static String header(Map<String, String> headers, String name) {
    String v = headers.get(name);
    return v == null ? "" : v;
  }

  static String address(Address a) {
    if (a.hasSocketAddress()) {
      String ip = a.getSocketAddress().getAddress();
      int port = a.getSocketAddress().getPortValue();
      return ip.indexOf(':') >= 0 ? "[" + ip + "]:" + port : ip + ":" + port;
    }
    if (a.hasPipe()) {
      return a.getPipe().getPath();
    }
    return "";
  }

  private static long nanos(Timestamp t) {
    return t.getSeconds() * 1_000_000_000L + t.getNanos();
  }

  /** Envoy's short response-flag codes, in Envoy's own order, comma separated. */
  static String flags(ResponseFlags r) {
    StringBuilder sb = new StringBuilder();
    append(sb, r.getFailedLocalHealthcheck(), "LH");
    append(sb, r.getNoHealthyUpstream(), "UH");
    append(sb, r.getUpstreamRequestTimeout(), "UT");
    append(sb, r.getLocalReset(), "LR");
    append(sb, r.getUpstreamRemoteReset(), "UR");
    append(sb, r.getUpstreamConnectionFailure(), "UF");
    append(sb, r.getUpstreamConnectionTermination(), "UC");
    append(sb, r.getUpstreamOverflow(), "UO");
    append(sb, r.getNoRouteFound(), "NR");
    append(sb, r.getDelayInjected(), "DI");
    append(sb, r.getFaultInjected(), "FI");
    append(sb, r.getRateLimited(), "RL");
    append(sb, r.hasUnauthorizedDetails(), "UAEX");
    append(sb, r.getRateLimitServiceError(), "RLSE");
    append(sb, r.getDownstreamConnectionTermination(), "DC");
    append(sb, r.getUpstreamRetryLimitExceeded(), "URX");
    append(sb, r.getStreamIdleTimeout(), "SI");
    append(sb, r.getInvalidEnvoyRequestHeaders(), "IH");
    append(sb, r.getDownstreamProtocolError(), "DPE");
    append(sb, r.getUpstreamMaxStreamDurationReached(), "UMSDR");
    append(sb, r.getResponseFromCacheFilter(), "RFCF");
    append(sb, r.getNoFilterConfigFound(), "NFCF");
    append(sb, r.getDurationTimeout(), "DT");
    append(sb, r.getUpstreamProtocolError(), "UPE");
    append(sb, r.getNoClusterFound(), "NC");
    append(sb, r.getOverloadManager(), "OM");
    append(sb, r.getDnsResolutionFailure(), "DF");
    append(sb, r.getDownstreamRemoteReset(), "DR");
    return sb.toString();
  }

  private static void append(StringBuilder sb, boolean set, String code) {
    if (set) {
      if (sb.length() > 0) {
        sb.append(',');
      }
      sb.append(code);
    }
  }

}
