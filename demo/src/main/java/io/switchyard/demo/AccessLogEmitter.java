package io.switchyard.demo;

import com.google.protobuf.Duration;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.ConnectionProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPRequestProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPResponseProperties;
import io.envoyproxy.envoy.data.accesslog.v3.ResponseFlags;
import io.envoyproxy.envoy.data.accesslog.v3.TCPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.TLSProperties;
import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Sends access-log entries as Istio sidecars do over Envoy's gRPC access-log service: one long-lived
 * stream per proxy whose first message names the node ({@code sidecar~IP~POD.NS~NS.svc.cluster.local}),
 * outbound entries with {@code outbound|PORT||FQDN} clusters on the caller's proxy and inbound entries with
 * {@code inbound|PORT||} on the callee's. A broken stream is reopened (with the node again) on the next flush.
 */
final class AccessLogEmitter implements AutoCloseable {
  private final AccessLogServiceGrpc.AccessLogServiceStub stub;
  private final DemoCounters counters;
  private final Map<String, Proxy> proxies = new HashMap<>();

  private static final class Proxy {
    final Node node;
    final List<HTTPAccessLogEntry> http = new ArrayList<>();
    final List<TCPAccessLogEntry> tcp = new ArrayList<>();
    StreamObserver<StreamAccessLogsMessage> stream;
    volatile boolean broken;

    Proxy(Node node) {
      this.node = node;
    }
  }

  AccessLogEmitter(ManagedChannel channel, DemoCounters counters) {
    this.stub = AccessLogServiceGrpc.newStub(channel);
    this.counters = counters;
  }

  /** Records the entries of one request tree; {@link #flush()} sends them. */
  synchronized void record(SimulatedCall entry) {
    entry.forEach(this::recordCall);
  }

  private void recordCall(SimulatedCall call) {
    Storefront.Service caller = call.caller();
    Storefront.Service callee = call.callee();
    if (caller == null || caller.kind() == Storefront.Kind.QUEUE || callee.kind() == Storefront.Kind.QUEUE) {
      return; // Kafka traffic is not proxied through the sidecars in this mesh.
    }
    if (callee.kind() == Storefront.Kind.DATABASE) {
      proxy(caller).tcp.add(TCPAccessLogEntry.newBuilder()
          .setCommonProperties(common(call, call.clientStartNanos(), call.clientDurationNanos(),
              "outbound|5432||" + callee.fqdn(), caller.ip(), callee.ip() + ":5432", null, ""))
          // What Envoy's TCP proxy counts on the caller's side: the query in, the rows back. Without it the
          // graph's TCP edges (whose Kiali rate is bytes per second) would show no traffic.
          .setConnectionProperties(ConnectionProperties.newBuilder()
              .setReceivedBytes(call.method().equals("POST") ? 640 : 320)
              .setSentBytes(call.failed() ? 96 : 4096))
          .build());
      return;
    }
    String authority = callee.fqdn() + ":" + Storefront.PORT;
    String flags = call.httpStatus() == 403 ? "UAEX" : call.httpStatus() == 429 ? "RL" : "";
    proxy(caller).http.add(httpEntry(call, authority, common(call, call.clientStartNanos(), call.clientDurationNanos(),
        "outbound|" + Storefront.PORT + "||" + callee.fqdn(), caller.ip(), callee.ip() + ":" + Storefront.PORT, null, flags)));
    if (call.httpStatus() == 403 || call.httpStatus() == 429) {
      return; // Refused by the callee's sidecar filters only: the ingress logs it, the app never saw it.
    }
    proxy(callee).http.add(httpEntry(call, authority, common(call, call.serverStartNanos(), call.serverDurationNanos(),
        "inbound|" + Storefront.PORT + "||", caller.ip(), "127.0.0.6:" + Storefront.PORT, caller.principal(), "")));
  }

  private static HTTPAccessLogEntry httpEntry(SimulatedCall call, String authority, AccessLogCommon common) {
    return HTTPAccessLogEntry.newBuilder()
        .setCommonProperties(common)
        .setProtocolVersion(HTTPAccessLogEntry.HTTPVersion.HTTP11)
        .setRequest(HTTPRequestProperties.newBuilder()
            .setRequestMethodValue(methodValue(call.method()))
            .setScheme("http").setAuthority(authority).setPath(call.path())
            .setUserAgent("storefront-demo/1.0").setRequestId(Long.toHexString(call.clientStartNanos()))
            .setRequestHeadersBytes(180).setRequestBodyBytes(call.method().equals("POST") ? 420 : 0))
        .setResponse(HTTPResponseProperties.newBuilder()
            .setResponseCode(UInt32Value.of(call.httpStatus()))
            .setResponseHeadersBytes(120).setResponseBodyBytes(call.failed() ? 60 : 2048))
        .build();
  }

  private static int methodValue(String method) {
    return switch (method) {
      case "POST" -> io.envoyproxy.envoy.config.core.v3.RequestMethod.POST_VALUE;
      case "PUT" -> io.envoyproxy.envoy.config.core.v3.RequestMethod.PUT_VALUE;
      default -> io.envoyproxy.envoy.config.core.v3.RequestMethod.GET_VALUE;
    };
  }

  private static AccessLogCommon common(SimulatedCall call, long startNanos, long durationNanos, String cluster,
      String downstreamIp, String upstream, String peerPrincipal, String flags) {
    String[] up = upstream.split(":");
    AccessLogCommon.Builder c = AccessLogCommon.newBuilder()
        .setStartTime(Timestamp.newBuilder().setSeconds(startNanos / 1_000_000_000).setNanos((int) (startNanos % 1_000_000_000)))
        .setTimeToLastDownstreamTxByte(Duration.newBuilder().setSeconds(durationNanos / 1_000_000_000).setNanos((int) (durationNanos % 1_000_000_000)))
        .setDownstreamRemoteAddress(address(downstreamIp, 40000 + (int) (startNanos % 20000)))
        .setUpstreamRemoteAddress(address(up[0], Integer.parseInt(up[1])))
        .setUpstreamCluster(cluster)
        .setRouteName("default");
    if (peerPrincipal != null) {
      c.setTlsProperties(TLSProperties.newBuilder().setTlsVersion(TLSProperties.TLSVersion.TLSv1_3)
          .setPeerCertificateProperties(TLSProperties.CertificateProperties.newBuilder()
              .addSubjectAltName(TLSProperties.CertificateProperties.SubjectAltName.newBuilder().setUri(peerPrincipal))));
    }
    if (flags.equals("UAEX")) {
      c.setResponseFlags(ResponseFlags.newBuilder().setUnauthorizedDetails(ResponseFlags.Unauthorized.newBuilder()
          .setReason(ResponseFlags.Unauthorized.Reason.EXTERNAL_SERVICE)));
    } else if (flags.equals("RL")) {
      c.setResponseFlags(ResponseFlags.newBuilder().setRateLimited(true));
    }
    return c.build();
  }

  private static Address address(String ip, int port) {
    return Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port)).build();
  }

  private Proxy proxy(Storefront.Service s) {
    return proxies.computeIfAbsent(s.name(), n -> new Proxy(Node.newBuilder()
        .setId(s == Storefront.INGRESS
            ? "router~" + s.ip() + "~" + s.pod() + ".istio-system~istio-system.svc.cluster.local"
            : s.nodeId())
        .setCluster(s == Storefront.INGRESS ? "istio-ingressgateway.istio-system" : s.name() + "." + Storefront.NAMESPACE)
        .setMetadata(nodeMetadata(s))
        .build()));
  }

  /**
   * The node metadata an Istio proxy sends with its access logs: its pod, namespace, workload and labels, from which
   * ingest reads the canonical service and revision (the app and version the topology API shows). The storefront's
   * pods are version v1; the gateway has no version label, so Istio gives it the revision "latest".
   */
  private static Struct nodeMetadata(Storefront.Service s) {
    boolean gateway = s == Storefront.INGRESS;
    String namespace = gateway ? "istio-system" : Storefront.NAMESPACE;
    String revision = gateway ? "latest" : "v1";
    Struct.Builder labels = Struct.newBuilder()
        .putFields("app", text(s.name()))
        .putFields("service.istio.io/canonical-name", text(s.name()))
        .putFields("service.istio.io/canonical-revision", text(revision));
    if (!gateway) {
      labels.putFields("version", text(revision));
    }
    return Struct.newBuilder()
        .putFields("NAME", text(s.pod()))
        .putFields("NAMESPACE", text(namespace))
        .putFields("WORKLOAD_NAME", text(s.name()))
        .putFields("SERVICE_ACCOUNT", text(gateway ? "istio-ingressgateway" : s.name()))
        .putFields("LABELS", Value.newBuilder().setStructValue(labels).build())
        .build();
  }

  private static Value text(String v) {
    return Value.newBuilder().setStringValue(v).build();
  }

  /** Sends every recorded entry, one message per proxy, opening or reopening streams as needed. */
  synchronized void flush() {
    for (Proxy p : proxies.values()) {
      if (p.http.isEmpty() && p.tcp.isEmpty()) {
        continue;
      }
      StreamAccessLogsMessage.Builder m = StreamAccessLogsMessage.newBuilder();
      if (p.stream == null || p.broken) {
        p.broken = false;
        p.stream = stub.streamAccessLogs(new StreamObserver<StreamAccessLogsResponse>() {
          @Override
          public void onNext(StreamAccessLogsResponse value) {}

          @Override
          public void onError(Throwable t) {
            p.broken = true;
          }

          @Override
          public void onCompleted() {
            p.broken = true;
          }
        });
        m.setIdentifier(StreamAccessLogsMessage.Identifier.newBuilder().setNode(p.node).setLogName("storefront-demo"));
      }
      if (!p.http.isEmpty()) {
        m.setHttpLogs(StreamAccessLogsMessage.HTTPAccessLogEntries.newBuilder().addAllLogEntry(p.http));
        counters.accessLogs.add(p.http.size());
        p.http.clear();
        p.stream.onNext(m.build());
        m.clearHttpLogs().clearIdentifier();
      }
      if (!p.tcp.isEmpty()) {
        m.setTcpLogs(StreamAccessLogsMessage.TCPAccessLogEntries.newBuilder().addAllLogEntry(p.tcp));
        counters.accessLogs.add(p.tcp.size());
        p.tcp.clear();
        p.stream.onNext(m.build());
      }
    }
  }

  @Override
  public synchronized void close() {
    flush();
    for (Proxy p : proxies.values()) {
      if (p.stream != null && !p.broken) {
        p.stream.onCompleted();
      }
    }
  }
}
