package io.switchyard.xds.envoy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig;
import io.envoyproxy.envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider;
import io.envoyproxy.envoy.extensions.filters.http.ratelimit.v3.RateLimit;
import io.envoyproxy.envoy.config.trace.v3.OpenTelemetryConfig;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.switchyard.xds.mesh.Mesh;
import io.switchyard.xds.mesh.MeshFiles;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ResourceGeneratorTest {
  static Mesh mesh;
  static EnvoyResources edge;

  @BeforeAll
  static void load() throws Exception {
    mesh = MeshFiles.load(Path.of("src/test/resources/mesh/example.yaml"));
    edge = new ResourceGenerator(mesh).generate("edge").orElseThrow();
  }

  static HttpConnectionManager hcm(Listener l) throws Exception {
    return l.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
  }

  static Route route(EnvoyResources r, String name) {
    return r.routes().get(0).getVirtualHosts(0).getRoutesList().stream()
        .filter(x -> x.getName().equals(name)).findFirst().orElseThrow();
  }

  static Any filterConfig(EnvoyResources r, String name) throws Exception {
    return hcm(r.listeners().get(0)).getHttpFiltersList().stream().filter(f -> f.getName().equals(name)).findFirst()
        .orElseThrow().getTypedConfig();
  }

  /**
   * Istio's order: authentication, then authorization, then fault injection (then a rate limit filter inserted
   * before the router), so a request is checked before a fault aborts or delays it.
   */
  @Test
  void envoyFilterChainIsJwtExtAuthzFaultRateLimitRouter() throws Exception {
    assertThat(hcm(edge.listeners().get(0)).getHttpFiltersList()).extracting(HttpFilter::getName).containsExactly(
        "envoy.filters.http.jwt_authn", "envoy.filters.http.ext_authz", "envoy.filters.http.fault",
        "envoy.filters.http.ratelimit", "envoy.filters.http.router");
  }

  @Test
  void extAuthzFailsClosedAndSeesJwtClaims() throws Exception {
    ExtAuthz authz = filterConfig(edge, "envoy.filters.http.ext_authz").unpack(ExtAuthz.class);
    assertThat(authz.getFailureModeAllow()).isFalse();
    assertThat(authz.getGrpcService().getEnvoyGrpc().getClusterName()).isEqualTo("switchyard|ext-authz");
    assertThat(authz.getMetadataContextNamespacesList()).containsExactly("envoy.filters.http.jwt_authn");
    assertThat(authz.getTransportApiVersion().name()).isEqualTo("V3");
  }

  /**
   * Envoy's ALS logs no request header, response header or trailer it is not told to; ingest reads the trace id from
   * traceparent (what the generated OpenTelemetry tracer propagates), gRPC from content-type and the gRPC status from
   * the grpc-status trailer or header (docs/ingest.md).
   */
  @Test
  void alsLogsTheHeadersIngestReadsTraceIdsAndGrpcStatusFrom() throws Exception {
    for (String group : List.of("edge", "reviews-sidecar")) {
      HttpGrpcAccessLogConfig als = hcm(new ResourceGenerator(mesh).generate(group).orElseThrow().listeners().get(0))
          .getAccessLog(0).getTypedConfig().unpack(HttpGrpcAccessLogConfig.class);
      assertThat(als.getAdditionalRequestHeadersToLogList()).as(group).containsExactly("traceparent", "content-type");
      assertThat(als.getAdditionalResponseHeadersToLogList()).as(group).containsExactly("grpc-status");
      assertThat(als.getAdditionalResponseTrailersToLogList()).as(group).containsExactly("grpc-status");
    }
  }

  /**
   * The mesh file's outlier detection counts consecutive errors only; Envoy would also eject by success rate (its
   * enforcing_success_rate defaults to 100), which Istio switches off for every DestinationRule.
   */
  @Test
  void outlierDetectionEjectsOnConsecutiveErrorsOnlyNotOnSuccessRate() {
    Cluster reviews = edge.clusters().stream().filter(x -> x.getName().equals("outbound|9080||reviews.shop.svc.cluster.local"))
        .findFirst().orElseThrow();
    assertThat(reviews.getOutlierDetection().hasEnforcingSuccessRate()).isTrue();
    assertThat(reviews.getOutlierDetection().getEnforcingSuccessRate().getValue()).isZero();
    assertThat(reviews.getOutlierDetection().getConsecutive5Xx().getValue()).isEqualTo(5);
  }

  /**
   * Istio sets Envoy's healthy_panic_threshold on every cluster with outlier detection to the DestinationRule's
   * minHealthPercent, 0 unless set (cluster_traffic_policy.go, applyOutlierDetection): under Envoy's default of 50 %
   * a cluster with half its hosts ejected would send traffic to the ejected hosts too. Clusters without outlier
   * detection keep Envoy's default.
   */
  @Test
  void outlierDetectionSwitchesOffEnvoysPanicModeUnlessMinHealthPercentIsSetAsIstioDoes() throws Exception {
    for (String name : List.of("outbound|9080||reviews.shop.svc.cluster.local",
        "outbound|9080|v1|reviews.shop.svc.cluster.local", "outbound|9080|v2|reviews.shop.svc.cluster.local")) {
      Cluster c = edge.clusters().stream().filter(x -> x.getName().equals(name)).findFirst().orElseThrow();
      assertThat(c.getCommonLbConfig().hasHealthyPanicThreshold()).as(name).isTrue();
      assertThat(c.getCommonLbConfig().getHealthyPanicThreshold().getValue()).as(name).isZero();
    }
    Cluster ratings = edge.clusters().stream().filter(x -> x.getName().equals("outbound|9090||ratings.shop.svc.cluster.local"))
        .findFirst().orElseThrow();
    assertThat(ratings.hasCommonLbConfig()).isFalse();
    Mesh min = MeshFiles.parse(Path.of("mesh.yaml"), """
        services:
          - {name: s, namespace: x, ports: [{port: 80}], outlierDetection: {minHealthPercent: 30}}
        workloads:
          - {name: a, namespace: x, appPorts: [80]}
        """);
    Cluster s = new ResourceGenerator(min).generate("a").orElseThrow().clusters().get(0);
    assertThat(s.getCommonLbConfig().getHealthyPanicThreshold().getValue()).isEqualTo(30.0);
  }

  /**
   * Istio's default path normalization (meshConfig {@code BASE}), which ext-authz's {@code --path-normalization}
   * default assumes: routes, filters and the upstream see the same normalised path that policies matched.
   */
  @Test
  void envoyListenersNormalizePathsAsIstiosBaseNormalization() throws Exception {
    for (String group : List.of("edge", "reviews-sidecar")) {
      HttpConnectionManager hcm = hcm(new ResourceGenerator(mesh).generate(group).orElseThrow().listeners().get(0));
      assertThat(hcm.hasNormalizePath()).as(group).isTrue();
      assertThat(hcm.getNormalizePath().getValue()).as(group).isTrue();
      assertThat(hcm.getMergeSlashes()).as(group).isFalse();
      assertThat(hcm.getPathWithEscapedSlashesAction()).as(group)
          .isEqualTo(HttpConnectionManager.PathWithEscapedSlashesAction.KEEP_UNCHANGED);
    }
  }

  /**
   * Istio's gateway (router) listeners take the client address from the connection and trust only the X-Forwarded-For
   * hops of the proxies in front of them (gateway.go: useRemoteAddress, xff_num_trusted_hops =
   * ProxyConfig.gatewayTopology.numTrustedProxies, default 0); sidecar listeners do not use the remote address. An
   * edge Envoy without use_remote_address takes the client address from X-Forwarded-For, which any client can set.
   */
  @Test
  void gatewayListenersUseTheRemoteAddressAndTrustOnlyNumTrustedProxiesXffHops() throws Exception {
    Mesh gateways = MeshFiles.parse(Path.of("mesh.yaml"), """
        workloads:
          - {name: gw, namespace: x, gateway: true, appPorts: [80]}
          - {name: behind-lb, namespace: x, gateway: true, numTrustedProxies: 2, appPorts: [80]}
          - {name: sidecar, namespace: x, appPorts: [80]}
        """);
    HttpConnectionManager gw = hcm(new ResourceGenerator(gateways).generate("gw").orElseThrow().listeners().get(0));
    assertThat(gw.hasUseRemoteAddress()).isTrue();
    assertThat(gw.getUseRemoteAddress().getValue()).isTrue();
    assertThat(gw.getXffNumTrustedHops()).isZero();
    HttpConnectionManager behindLb = hcm(new ResourceGenerator(gateways).generate("behind-lb").orElseThrow()
        .listeners().get(0));
    assertThat(behindLb.getUseRemoteAddress().getValue()).isTrue();
    assertThat(behindLb.getXffNumTrustedHops()).isEqualTo(2);
    HttpConnectionManager sidecar = hcm(new ResourceGenerator(gateways).generate("sidecar").orElseThrow()
        .listeners().get(0));
    assertThat(sidecar.getUseRemoteAddress().getValue()).isFalse();
    assertThat(sidecar.getXffNumTrustedHops()).isZero();
  }

  /**
   * Istio's sidecar inbound listeners (listener_inbound.go, buildSidecarInboundHTTPOpts, with proxy_headers.go's
   * defaults) append the peer's certificate to X-Forwarded-Client-Cert (APPEND_FORWARD, with its subject, URI and DNS
   * SANs); its sidecar outbound listeners (listener.go, buildSidecarOutboundHTTPListenerOpts) set nothing, so Envoy's
   * default SANITIZE drops the header. A sidecar listener that routes to the workload's own ports is the inbound one.
   */
  @Test
  void sidecarListenersServingTheAppForwardClientCertsAsIstiosInboundOutboundOnesSanitize() throws Exception {
    Mesh sidecars = MeshFiles.parse(Path.of("mesh.yaml"), """
        services:
          - {name: s, namespace: x, ports: [{port: 80}]}
        workloads:
          - {name: inbound, namespace: x, appPorts: [8080], routes: [{to: [{localPort: 8080}]}]}
          - {name: default-inbound, namespace: x, appPorts: [8080]}
          - name: mixed
            namespace: x
            appPorts: [8080]
            routes: [{name: out, match: {prefix: /out}, to: [{service: s}]}, {name: in, to: [{localPort: 8080}]}]
          - {name: outbound, namespace: x, appPorts: [8080], routes: [{to: [{service: s}]}]}
        """);
    for (String group : List.of("inbound", "default-inbound", "mixed")) {
      HttpConnectionManager in = hcm(new ResourceGenerator(sidecars).generate(group).orElseThrow().listeners().get(0));
      assertThat(in.getForwardClientCertDetails()).as(group)
          .isEqualTo(HttpConnectionManager.ForwardClientCertDetails.APPEND_FORWARD);
      HttpConnectionManager.SetCurrentClientCertDetails details = in.getSetCurrentClientCertDetails();
      assertThat(details.hasSubject()).as(group).isTrue();
      assertThat(details.getSubject().getValue()).as(group).isTrue();
      assertThat(details.getUri()).as(group).isTrue();
      assertThat(details.getDns()).as(group).isTrue();
      assertThat(details.getCert()).as(group).isFalse();
      assertThat(details.getChain()).as(group).isFalse();
    }
    HttpConnectionManager out = hcm(new ResourceGenerator(sidecars).generate("outbound").orElseThrow()
        .listeners().get(0));
    assertThat(out.getForwardClientCertDetails()).isEqualTo(HttpConnectionManager.ForwardClientCertDetails.SANITIZE);
    assertThat(out.hasSetCurrentClientCertDetails()).isFalse();
  }

  /**
   * Istio's ProxyConfig.proxyHeaders.forwardedClientCert (or the pod's proxy.istio.io/config annotation) sets a sidecar
   * inbound listener's forward_client_cert_details (listener_inbound.go buildSidecarInboundHTTPOpts, proxy_headers.go
   * GetProxyHeadersFromProxyConfig), whatever the mode with the subject, URI and DNS SANs as current client cert
   * details; its outbound listeners never read it.
   */
  @Test
  void sidecarInboundListenersForwardClientCertsAsProxyHeadersForwardedClientCertSays() throws Exception {
    Mesh sidecars = MeshFiles.parse(Path.of("mesh.yaml"), """
        workloads:
          - {name: sanitize, namespace: x, appPorts: [8080], forwardClientCertDetails: SANITIZE,
             routes: [{to: [{localPort: 8080}]}]}
          - {name: forward, namespace: x, appPorts: [8080], forwardClientCertDetails: FORWARD_ONLY}
          - {name: append, namespace: x, appPorts: [8080], forwardClientCertDetails: APPEND_FORWARD}
          - {name: set, namespace: x, appPorts: [8080], forwardClientCertDetails: SANITIZE_SET}
          - {name: always, namespace: x, appPorts: [8080], forwardClientCertDetails: ALWAYS_FORWARD_ONLY}
        """);
    Map<String, HttpConnectionManager.ForwardClientCertDetails> expected = new LinkedHashMap<>();
    expected.put("sanitize", HttpConnectionManager.ForwardClientCertDetails.SANITIZE);
    expected.put("forward", HttpConnectionManager.ForwardClientCertDetails.FORWARD_ONLY);
    expected.put("append", HttpConnectionManager.ForwardClientCertDetails.APPEND_FORWARD);
    expected.put("set", HttpConnectionManager.ForwardClientCertDetails.SANITIZE_SET);
    expected.put("always", HttpConnectionManager.ForwardClientCertDetails.ALWAYS_FORWARD_ONLY);
    for (Map.Entry<String, HttpConnectionManager.ForwardClientCertDetails> e : expected.entrySet()) {
      HttpConnectionManager in = hcm(new ResourceGenerator(sidecars).generate(e.getKey()).orElseThrow()
          .listeners().get(0));
      assertThat(in.getForwardClientCertDetails()).as(e.getKey()).isEqualTo(e.getValue());
      assertThat(in.getSetCurrentClientCertDetails()).as(e.getKey()).isEqualTo(
          HttpConnectionManager.SetCurrentClientCertDetails.newBuilder()
              .setSubject(com.google.protobuf.BoolValue.of(true)).setUri(true).setDns(true).build());
    }
  }

  /**
   * Istio's gateways (gateway.go, buildGatewayConnectionManager) take forward_client_cert_details from
   * ProxyConfig.gatewayTopology.forwardClientCertDetails, SANITIZE_SET unless set, and only under APPEND_FORWARD or
   * SANITIZE_SET set the current certificate's subject, certificate, DNS and URI SANs.
   */
  @Test
  void gatewayListenersForwardClientCertsAsGatewayTopologySaysSanitizeSetByDefault() throws Exception {
    Mesh gateways = MeshFiles.parse(Path.of("mesh.yaml"), """
        services:
          - {name: s, namespace: x, ports: [{port: 80}]}
        workloads:
          - {name: gw, namespace: x, gateway: true, routes: [{to: [{service: s}]}]}
          - {name: append, namespace: x, gateway: true, forwardClientCertDetails: APPEND_FORWARD,
             routes: [{to: [{service: s}]}]}
          - {name: forward, namespace: x, gateway: true, forwardClientCertDetails: FORWARD_ONLY,
             routes: [{to: [{service: s}]}]}
          - {name: sanitize, namespace: x, gateway: true, forwardClientCertDetails: SANITIZE,
             routes: [{to: [{service: s}]}]}
          - {name: always, namespace: x, gateway: true, forwardClientCertDetails: ALWAYS_FORWARD_ONLY,
             routes: [{to: [{service: s}]}]}
        """);
    Map<String, HttpConnectionManager.ForwardClientCertDetails> expected = new LinkedHashMap<>();
    expected.put("gw", HttpConnectionManager.ForwardClientCertDetails.SANITIZE_SET);
    expected.put("append", HttpConnectionManager.ForwardClientCertDetails.APPEND_FORWARD);
    expected.put("forward", HttpConnectionManager.ForwardClientCertDetails.FORWARD_ONLY);
    expected.put("sanitize", HttpConnectionManager.ForwardClientCertDetails.SANITIZE);
    expected.put("always", HttpConnectionManager.ForwardClientCertDetails.ALWAYS_FORWARD_ONLY);
    for (Map.Entry<String, HttpConnectionManager.ForwardClientCertDetails> e : expected.entrySet()) {
      HttpConnectionManager gw = hcm(new ResourceGenerator(gateways).generate(e.getKey()).orElseThrow()
          .listeners().get(0));
      assertThat(gw.getForwardClientCertDetails()).as(e.getKey()).isEqualTo(e.getValue());
      if (e.getKey().equals("gw") || e.getKey().equals("append")) {
        HttpConnectionManager.SetCurrentClientCertDetails details = gw.getSetCurrentClientCertDetails();
        assertThat(details.getSubject().getValue()).as(e.getKey()).isTrue();
        assertThat(details.getCert()).as(e.getKey()).isTrue();
        assertThat(details.getDns()).as(e.getKey()).isTrue();
        assertThat(details.getUri()).as(e.getKey()).isTrue();
        assertThat(details.getChain()).as(e.getKey()).isFalse();
      } else {
        assertThat(gw.hasSetCurrentClientCertDetails()).as(e.getKey()).isFalse();
      }
    }
  }

  /** Istio allows WebSocket upgrades on every HTTP listener; Envoy refuses an upgrade it is not configured for (403). */
  @Test
  void envoyListenersAllowWebSocketUpgradesAsIstiosDo() throws Exception {
    for (String group : List.of("edge", "reviews-sidecar")) {
      HttpConnectionManager hcm = hcm(new ResourceGenerator(mesh).generate(group).orElseThrow().listeners().get(0));
      assertThat(hcm.getUpgradeConfigsList()).as(group).extracting(u -> u.getUpgradeType()).containsExactly("websocket");
    }
  }

  /**
   * Istio switches Envoy's stream idle timeout off on every HTTP listener (listener_builder.go,
   * buildHTTPConnectionManager: stream_idle_timeout 0s); under Envoy's default of 5 minutes a long poll, a server
   * stream or a WebSocket quiet for 5 minutes is reset by the proxy.
   */
  @Test
  void envoyListenersDoNotResetIdleStreamsAsIstiosDo() throws Exception {
    for (String group : List.of("edge", "reviews-sidecar")) {
      HttpConnectionManager hcm = hcm(new ResourceGenerator(mesh).generate(group).orElseThrow().listeners().get(0));
      assertThat(hcm.hasStreamIdleTimeout()).as(group).isTrue();
      assertThat(hcm.getStreamIdleTimeout()).as(group).isEqualTo(com.google.protobuf.Duration.getDefaultInstance());
    }
  }

  /**
   * Istio has every sidecar and gateway listener pass "Expect: 100-continue" on to the app (proxy_100_continue, from
   * ENABLE_100_CONTINUE_HEADERS, on by default). Envoy alone answers 100 Continue itself and drops the Expect header,
   * so the client sends a body the app would have refused (e.g. with 413) before reading it.
   */
  @Test
  void envoyListenersLeaveExpectContinueToTheAppAsIstiosDo() throws Exception {
    for (String group : List.of("edge", "reviews-sidecar")) {
      HttpConnectionManager hcm = hcm(new ResourceGenerator(mesh).generate(group).orElseThrow().listeners().get(0));
      assertThat(hcm.getProxy100Continue()).as(group).isTrue();
    }
  }

  /**
   * Istio balances every outbound cluster of an Envoy proxy by least request unless a DestinationRule says otherwise
   * (cluster_traffic_policy.go, applyLoadBalancer / defaultLBAlgorithm), so a slow host gets fewer requests than
   * round robin would give it. Its inbound clusters (one local host) skip load balancer settings, and its proxyless
   * gRPC clusters (grpcgen/cds.go, applyLoadBalancing) leave lb_policy unset: gRPC's round robin.
   */
  @Test
  void envoyOutboundClustersBalanceByLeastRequestAsIstiosProxylessOnesRoundRobin() throws Exception {
    ResourceGenerator gen = new ResourceGenerator(mesh);
    for (String group : List.of("edge", "reviews-sidecar")) {
      for (Cluster c : gen.generate(group).orElseThrow().clusters()) {
        assertThat(c.getLbPolicy()).as(group + " " + c.getName())
            .isEqualTo(c.getName().startsWith("inbound|") ? Cluster.LbPolicy.ROUND_ROBIN : Cluster.LbPolicy.LEAST_REQUEST);
      }
    }
    assertThat(gen.generate("reviews-sidecar").orElseThrow().clusters()).extracting(Cluster::getName)
        .contains("outbound|9080||reviews.shop.svc.cluster.local", "inbound|9080||", "switchyard|ext-authz");
    assertThat(gen.generate("grpc-clients").orElseThrow().clusters()).isNotEmpty()
        .allSatisfy(c -> assertThat(c.getLbPolicy()).as(c.getName()).isEqualTo(Cluster.LbPolicy.ROUND_ROBIN));
  }

  /**
   * Istio gives every cluster it builds for a service, outbound and inbound, meshConfig.connectTimeout, 10 s unless
   * configured (pkg/config/mesh/mesh.go DefaultMeshConfig; cluster_traffic_policy.go applyDefaultConnectionPool), and
   * a DestinationRule's connectionPool.tcp.connectTimeout overrides it (the mesh file's connectTimeout). A 1 s timeout
   * fails a connection whose first SYN was lost (Linux resends it after 1 s) with 503 UF.
   */
  @Test
  void serviceAndInboundClustersWaitTenSecondsToConnectUnlessTheMeshFileSaysOtherwiseAsIstio() throws Exception {
    Mesh m = MeshFiles.parse(Path.of("mesh.yaml"), """
        services:
          - {name: a, namespace: x, ports: [{port: 80}], endpoints: [{address: 10.0.0.1}]}
          - {name: b, namespace: x, ports: [{port: 80}], endpoints: [{address: 10.0.0.2}], connectTimeout: 3s}
        workloads:
          - {name: w, namespace: x, appPorts: [8080]}
        """);
    Map<String, Cluster> clusters = new LinkedHashMap<>();
    new ResourceGenerator(m).generate("w").orElseThrow().clusters().forEach(c -> clusters.put(c.getName(), c));
    assertThat(clusters.get("outbound|80||a.x.svc.cluster.local").getConnectTimeout().getSeconds()).isEqualTo(10);
    assertThat(clusters.get("inbound|8080||").getConnectTimeout().getSeconds()).isEqualTo(10);
    assertThat(clusters.get("outbound|80||b.x.svc.cluster.local").getConnectTimeout().getSeconds()).isEqualTo(3);
  }

  /**
   * In Istio, ext_authz, access log (ALS, OTel) and tracing extension providers and an Envoy-fetched JWKS point at the
   * ordinary outbound cluster of their service (model.LookupCluster in telemetry_logging.go, used by extauthz.go,
   * tracing.go and policy_applier.go), which waits meshConfig.connectTimeout, 10 s, like every service cluster. Under 1 s
   * a lost SYN fails the ext_authz check (closed: 403) or drops a log batch; under 2 s a JWKS fetch.
   */
  @Test
  void switchyardAndJwksClustersWaitTenSecondsToConnectAsIstiosExtensionProviderClusters() {
    List<String> names = List.of("switchyard|ext-authz", "switchyard|ratelimit", "switchyard|als", "switchyard|otlp",
        "jwks|corp");
    assertThat(edge.clusters()).extracting(Cluster::getName).containsAll(names);
    edge.clusters().stream().filter(c -> names.contains(c.getName())).forEach(c ->
        assertThat(com.google.protobuf.util.Durations.toMillis(c.getConnectTimeout())).as(c.getName())
            .isEqualTo(10_000L));
  }

  /**
   * Istio's clusters to a DNS name (cluster_builder.go, buildCluster, STRICT_DNS): IPv4 addresses (V4_ONLY for every
   * proxy with an IPv4 address, util.SelectDNSLookupFamily), re-resolved when the answer's TTL runs out and every 60 s
   * after a failed lookup (meshConfig.dnsRefreshRate). Envoy alone prefers IPv6 (AUTO), so a host that also publishes
   * AAAA records is unreachable from an IPv4-only network, and it re-resolves every 5 s whatever the TTL. Ours prefer
   * IPv4 and fall back to IPv6 (the server does not know a node group's proxy addresses), which is V4_ONLY wherever a
   * name has an A record. IP literals stay STATIC without DNS settings.
   */
  @Test
  void dnsClustersResolveIpv4FirstAndHonourTheTtlAsIstiosDnsClusters() throws Exception {
    Mesh m = MeshFiles.parse(Path.of("mesh.yaml"), """
        switchyard:
          extAuthz: {host: authz.switchyard.svc}
          rateLimit: {host: 10.0.0.9}
        workloads:
          - {name: w, namespace: x, appPorts: [8080]}
        """);
    Map<String, Cluster> clusters = new LinkedHashMap<>();
    new ResourceGenerator(m).generate("w").orElseThrow().clusters().forEach(c -> clusters.put(c.getName(), c));
    Cluster dns = clusters.get("switchyard|ext-authz");
    assertThat(dns.getType()).isEqualTo(Cluster.DiscoveryType.STRICT_DNS);
    assertThat(dns.getDnsLookupFamily()).isEqualTo(Cluster.DnsLookupFamily.V4_PREFERRED);
    assertThat(dns.getRespectDnsTtl()).isTrue();
    assertThat(dns.getDnsRefreshRate().getSeconds()).isEqualTo(60);
    Cluster ip = clusters.get("switchyard|ratelimit");
    assertThat(ip.getType()).isEqualTo(Cluster.DiscoveryType.STATIC);
    assertThat(ip.hasDnsRefreshRate()).isFalse();
    assertThat(ip.getRespectDnsTtl()).isFalse();
  }

  /**
   * Istio's Envoy clusters and listeners wait for their endpoints and routes however long they take
   * (initial_fetch_timeout 0s: cluster_builder.go maybeApplyEdsConfig, listener_builder.go buildHTTPConnectionManager).
   * Under Envoy's default of 15 s a proxy whose control plane is slow or gone goes live without them, answering 503 UH
   * or 404 NR, where it would otherwise stay unready. Istio's proxyless gRPC resources leave the field out.
   */
  @Test
  void envoyWaitsForEndpointsAndRoutesWithoutAnInitialFetchTimeoutAsIstios() throws Exception {
    ResourceGenerator gen = new ResourceGenerator(mesh);
    for (String group : List.of("edge", "reviews-sidecar")) {
      EnvoyResources r = gen.generate(group).orElseThrow();
      List<Cluster> eds = r.clusters().stream().filter(c -> c.getType() == Cluster.DiscoveryType.EDS).toList();
      assertThat(eds).as(group).isNotEmpty().allSatisfy(c -> {
        assertThat(c.getEdsClusterConfig().getEdsConfig().hasInitialFetchTimeout()).as(c.getName()).isTrue();
        assertThat(c.getEdsClusterConfig().getEdsConfig().getInitialFetchTimeout())
            .isEqualTo(com.google.protobuf.Duration.getDefaultInstance());
      });
      HttpConnectionManager hcm = hcm(r.listeners().get(0));
      assertThat(hcm.getRds().getConfigSource().hasInitialFetchTimeout()).as(group).isTrue();
      assertThat(hcm.getRds().getConfigSource().getInitialFetchTimeout())
          .isEqualTo(com.google.protobuf.Duration.getDefaultInstance());
    }
    EnvoyResources grpc = gen.generate("grpc-clients").orElseThrow();
    assertThat(grpc.clusters()).allSatisfy(c ->
        assertThat(c.getEdsClusterConfig().getEdsConfig().hasInitialFetchTimeout()).as(c.getName()).isFalse());
    for (Listener l : grpc.listeners()) {
      assertThat(l.getApiListener().getApiListener().unpack(HttpConnectionManager.class).getRds().getConfigSource()
          .hasInitialFetchTimeout()).as(l.getName()).isFalse();
    }
  }

  /**
   * Istio lifts Envoy's circuit-breaker defaults (1024 connections, pending and active requests, 3 parallel retries per
   * cluster) on every cluster it generates; under Envoy's defaults a busy proxy answers 503 UO, and an ext_authz check
   * that overflows fails closed.
   */
  @Test
  void everyClusterLiftsEnvoysDefaultCircuitBreakerLimitsAsIstioDoes() {
    for (EnvoyResources group : new ResourceGenerator(mesh).generateAll().values()) {
      for (Cluster c : group.clusters()) {
        assertThat(c.getCircuitBreakers().getThresholdsList()).as(c.getName()).singleElement().satisfies(t -> {
          assertThat(Integer.toUnsignedLong(t.getMaxConnections().getValue())).isEqualTo(0xFFFF_FFFFL);
          assertThat(Integer.toUnsignedLong(t.getMaxPendingRequests().getValue())).isEqualTo(0xFFFF_FFFFL);
          assertThat(Integer.toUnsignedLong(t.getMaxRequests().getValue())).isEqualTo(0xFFFF_FFFFL);
          assertThat(Integer.toUnsignedLong(t.getMaxRetries().getValue())).isEqualTo(0xFFFF_FFFFL);
          assertThat(t.getTrackRemaining()).isTrue();
        });
      }
    }
  }

  /**
   * As Istio turns an HTTPRetry into Envoy's retry policy: a retry prefers a host not tried yet (Envoy alone may
   * pick the failed host again), trying up to 5 host selections.
   */
  @Test
  void envoyRetriesPreferHostsNotTriedYet() throws Exception {
    RetryPolicy retry = route(edge, "reviews").getRoute().getRetryPolicy();
    assertThat(retry.getRetryHostPredicateList()).singleElement().satisfies(p -> {
      assertThat(p.getName()).isEqualTo("envoy.retry_host_predicates.previous_hosts");
      assertThat(p.getTypedConfig().is(PreviousHostsPredicate.class)).isTrue();
    });
    assertThat(retry.getHostSelectionRetryMaxAttempts()).isEqualTo(5);
    assertThat(ConsistencyCheck.problems(edge)).isEmpty();
  }

  /**
   * Istio's retry translation (pilot route/retry/retry.go, parseRetryOn): an HTTP status code in retryOn becomes a
   * retriable status code plus the retriable-status-codes condition, which Envoy needs to retry on it; Envoy alone
   * ignores a bare "503" in retry_on, so that route would never retry a 503.
   */
  @Test
  void statusCodesInRetryOnBecomeRetriableStatusCodesAsIstioTranslatesThem() throws Exception {
    Mesh codes = MeshFiles.parse(Path.of("mesh.yaml"), """
        services:
          - {name: s, namespace: x, ports: [{port: 80}]}
        workloads:
          - name: a
            namespace: x
            routes:
              - {name: code, to: [{service: s}], retries: {attempts: 3, retryOn: "503,connect-failure"}}
              - {name: named, to: [{service: s}], retries: {attempts: 3, retryOn: "retriable-status-codes,502,504"}}
              - {name: plain, to: [{service: s}], retries: {attempts: 3, retryOn: "5xx,reset"}}
        """);
    EnvoyResources a = new ResourceGenerator(codes).generate("a").orElseThrow();
    RetryPolicy code = route(a, "code").getRoute().getRetryPolicy();
    assertThat(code.getRetryOn()).isEqualTo("connect-failure,retriable-status-codes");
    assertThat(code.getRetriableStatusCodesList()).containsExactly(503);
    RetryPolicy named = route(a, "named").getRoute().getRetryPolicy();
    assertThat(named.getRetryOn()).isEqualTo("retriable-status-codes");
    assertThat(named.getRetriableStatusCodesList()).containsExactly(502, 504);
    RetryPolicy plain = route(a, "plain").getRoute().getRetryPolicy();
    assertThat(plain.getRetryOn()).isEqualTo("5xx,reset");
    assertThat(plain.getRetriableStatusCodesList()).isEmpty();
  }

  /**
   * Istio's ConvertPolicy (route/retry/retry.go): a route without retries still gets Istio's default policy (2 retries
   * on connection failures, refused streams, gRPC unavailable and cancelled, previous hosts avoided; no status code
   * since Istio 1.24's EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY), retries without retryOn take its conditions, and only
   * {@code attempts: 0} switches retries off. Proxyless gRPC clients get the conditions they act on.
   */
  @Test
  void routesWithoutRetriesGetIstiosDefaultPolicyAndZeroAttemptsNone() throws Exception {
    Mesh mesh = MeshFiles.parse(Path.of("mesh.yaml"), """
        services:
          - {name: s, namespace: x, ports: [{port: 80, protocol: grpc}]}
        workloads:
          - name: a
            namespace: x
            routes:
              - {name: none, to: [{service: s}]}
              - {name: attempts, to: [{service: s}], retries: {attempts: 4}}
              - {name: off, to: [{service: s}], retries: {attempts: 0}}
          - name: g
            namespace: x
            proxyless: true
            routes:
              - {name: none, to: [{service: s}]}
        """);
    EnvoyResources a = new ResourceGenerator(mesh).generate("a").orElseThrow();
    RetryPolicy none = route(a, "none").getRoute().getRetryPolicy();
    assertThat(none.getNumRetries().getValue()).isEqualTo(2);
    assertThat(none.getRetryOn()).isEqualTo("connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes");
    assertThat(none.getRetriableStatusCodesList()).isEmpty();
    assertThat(none.getRetryHostPredicateList()).singleElement()
        .satisfies(p -> assertThat(p.getName()).isEqualTo("envoy.retry_host_predicates.previous_hosts"));
    assertThat(none.getHostSelectionRetryMaxAttempts()).isEqualTo(5);
    RetryPolicy attempts = route(a, "attempts").getRoute().getRetryPolicy();
    assertThat(attempts.getNumRetries().getValue()).isEqualTo(4);
    assertThat(attempts.getRetryOn()).isEqualTo(none.getRetryOn());
    assertThat(route(a, "off").getRoute().hasRetryPolicy()).isFalse();
    EnvoyResources g = new ResourceGenerator(mesh).generate("g").orElseThrow();
    RetryPolicy grpc = route(g, "none").getRoute().getRetryPolicy();
    assertThat(grpc.getNumRetries().getValue()).isEqualTo(2);
    assertThat(grpc.getRetryOn()).isEqualTo("unavailable,cancelled");
    assertThat(grpc.getRetryHostPredicateList()).as("gRPC clients have no host predicates").isEmpty();
  }

  /**
   * Istio's inbound route (route/route.go BuildDefaultHTTPInboundRoute, since 1.24 under ENABLE_INBOUND_RETRY_POLICY,
   * on by default; retry.go defaultInboundRetryOn) retries twice on reset-before-request: a request reset before it
   * reached the app was never processed, so even a POST is safe to send again. No host predicate (one local host),
   * no per-try timeout. Istio leaves it off for ports declared grpc/grpc-web (1.26+, see the test below); these app
   * ports declare no protocol, and Istio's default for an undeclared one (detection) is never gRPC, so it applies.
   * {@code attempts: 0} switches it off.
   */
  @Test
  void routesToTheWorkloadsOwnPortsRetryResetBeforeRequestAsIstiosInboundRoute() throws Exception {
    Mesh inbound = MeshFiles.parse(Path.of("mesh.yaml"), """
        services:
          - {name: s, namespace: x, ports: [{port: 80}]}
        workloads:
          - name: a
            namespace: x
            appPorts: [8080, 9090]
            routes:
              - {name: off, match: {prefix: /off}, to: [{localPort: 8080}], retries: {attempts: 0}}
              - name: split
                match: {prefix: /split}
                to: [{localPort: 8080, weight: 50}, {localPort: 9090, weight: 50}]
              - {name: own, to: [{localPort: 8080}]}
          - {name: d, namespace: x, appPorts: [8080]}
        """);
    EnvoyResources a = new ResourceGenerator(inbound).generate("a").orElseThrow();
    EnvoyResources d = new ResourceGenerator(inbound).generate("d").orElseThrow();
    Map<String, Route> routes = new LinkedHashMap<>();
    routes.put("own", route(a, "own"));
    routes.put("split", route(a, "split"));
    routes.put("default", route(d, "default"));
    routes.forEach((name, r) -> {
      RetryPolicy retry = r.getRoute().getRetryPolicy();
      assertThat(r.getRoute().hasRetryPolicy()).as(name).isTrue();
      assertThat(retry).as(name).isEqualTo(RetryPolicy.newBuilder()
          .setRetryOn("reset-before-request")
          .setNumRetries(com.google.protobuf.UInt32Value.of(2))
          .build());
    });
    assertThat(route(a, "off").getRoute().hasRetryPolicy()).isFalse();
    assertThat(ConsistencyCheck.problems(a)).isEmpty();
  }

  /**
   * Istio's route timeouts (route/route.go setTimeout, BuildDefaultHTTPInboundRoute): a route without a timeout has
   * none ({@code timeout: 0s}, not Envoy's 15 s default), and a gRPC request's grpc-timeout header is honoured up to
   * the route's timeout (the deprecated {@code max_grpc_timeout}, which Istio still writes: 0 = no cap). The inbound
   * default route caps neither ({@code max_stream_duration} 0 with {@code grpc_timeout_header_max} 0). Proxyless
   * gRPC clients read only {@code max_stream_duration}, so they get the timeout there.
   */
  @Test
  @SuppressWarnings("deprecation") // max_grpc_timeout: what Istio writes on its routes
  void routesHaveNoTimeoutUnlessTheMeshFileGivesOneAndHonourGrpcTimeoutHeadersAsIstios() throws Exception {
    Mesh mesh = MeshFiles.parse(Path.of("mesh.yaml"), """
        services:
          - {name: s, namespace: x, ports: [{port: 80}]}
        workloads:
          - name: a
            namespace: x
            appPorts: [8080]
            routes:
              - {name: timed, match: {prefix: /timed}, to: [{service: s}], timeout: 3s}
              - {name: own, match: {prefix: /own}, to: [{localPort: 8080}]}
              - {name: untimed, to: [{service: s}]}
          - {name: d, namespace: x, appPorts: [8080]}
          - name: g
            namespace: x
            proxyless: true
            routes:
              - {name: timed, match: {prefix: /timed}, to: [{service: s}], timeout: 3s}
              - {name: untimed, to: [{service: s}]}
        """);
    com.google.protobuf.Duration zero = com.google.protobuf.Duration.getDefaultInstance();
    com.google.protobuf.Duration three = com.google.protobuf.util.Durations.fromSeconds(3);
    EnvoyResources a = new ResourceGenerator(mesh).generate("a").orElseThrow();
    RouteAction timed = route(a, "timed").getRoute();
    assertThat(timed.getTimeout()).isEqualTo(three);
    assertThat(timed.getMaxGrpcTimeout()).isEqualTo(three);
    for (String name : List.of("untimed", "own")) {
      RouteAction untimed = route(a, name).getRoute();
      assertThat(untimed.hasTimeout()).as(name).isTrue();
      assertThat(untimed.getTimeout()).as(name).isEqualTo(zero);
      assertThat(untimed.hasMaxGrpcTimeout()).as(name).isTrue();
      assertThat(untimed.getMaxGrpcTimeout()).as(name).isEqualTo(zero);
    }
    RouteAction inbound = route(new ResourceGenerator(mesh).generate("d").orElseThrow(), "default").getRoute();
    assertThat(inbound.hasTimeout()).isTrue();
    assertThat(inbound.getTimeout()).isEqualTo(zero);
    assertThat(inbound.hasMaxStreamDuration()).isTrue();
    assertThat(inbound.getMaxStreamDuration().hasMaxStreamDuration()).isTrue();
    assertThat(inbound.getMaxStreamDuration().getMaxStreamDuration()).isEqualTo(zero);
    assertThat(inbound.getMaxStreamDuration().hasGrpcTimeoutHeaderMax()).isTrue();
    assertThat(inbound.getMaxStreamDuration().getGrpcTimeoutHeaderMax()).isEqualTo(zero);
    assertThat(inbound.hasMaxGrpcTimeout()).isFalse();
    EnvoyResources g = new ResourceGenerator(mesh).generate("g").orElseThrow();
    assertThat(route(g, "timed").getRoute().getMaxStreamDuration().getMaxStreamDuration()).isEqualTo(three);
    assertThat(route(g, "untimed").getRoute().getMaxStreamDuration().hasMaxStreamDuration()).isTrue();
    assertThat(route(g, "untimed").getRoute().hasMaxGrpcTimeout()).isFalse();
    assertThat(ConsistencyCheck.problems(a)).isEmpty();
  }

  /**
   * ext-authz trusts the claims under its {@code --jwt-payload-key} (default {@code payload}, Istio's key for every
   * provider); under any other key it would see neither the claims nor the token jwt_authn removed.
   */
  @Test
  void everyJwtProviderWritesItsClaimsUnderThePayloadKeyExtAuthzReads() throws Exception {
    Mesh two = MeshFiles.parse(Path.of("mesh.yaml"), """
        jwtProviders:
          - {name: corp, issuer: https://idp.example.com, localJwks: '{"keys":[]}'}
          - {name: partners, issuer: https://partners.example.com, localJwks: '{"keys":[]}'}
        workloads:
          - {name: a, namespace: x, appPorts: [80]}
        """);
    EnvoyResources a = new ResourceGenerator(two).generate("a").orElseThrow();
    JwtAuthentication jwt = filterConfig(a, "envoy.filters.http.jwt_authn").unpack(JwtAuthentication.class);
    assertThat(jwt.getProvidersMap().values()).extracting(JwtProvider::getPayloadInMetadata)
        .containsExactly("payload", "payload");
    JwtAuthentication edgeJwt = filterConfig(edge, "envoy.filters.http.jwt_authn")
        .unpack(JwtAuthentication.class);
    assertThat(edgeJwt.getProvidersOrThrow("corp").getPayloadInMetadata()).isEqualTo("payload");
  }

  @Test
  void rateLimitFailsOpenWithTheListenersDomain() throws Exception {
    RateLimit rl = filterConfig(edge, "envoy.filters.http.ratelimit").unpack(RateLimit.class);
    assertThat(rl.getDomain()).isEqualTo("edge");
    assertThat(rl.getFailureModeDeny()).isFalse();
    assertThat(rl.getRateLimitService().getGrpcService().getEnvoyGrpc().getClusterName()).isEqualTo("switchyard|ratelimit");
  }

  @Test
  void accessLogsAndTracesGoToSwitchyard() throws Exception {
    HttpConnectionManager hcm = hcm(edge.listeners().get(0));
    HttpGrpcAccessLogConfig als = hcm.getAccessLog(0).getTypedConfig().unpack(HttpGrpcAccessLogConfig.class);
    assertThat(als.getCommonConfig().getGrpcService().getEnvoyGrpc().getClusterName()).isEqualTo("switchyard|als");
    assertThat(als.getCommonConfig().getLogName()).isEqualTo("edge");
    OpenTelemetryConfig otel = hcm.getTracing().getProvider().getTypedConfig().unpack(OpenTelemetryConfig.class);
    assertThat(otel.getGrpcService().getEnvoyGrpc().getClusterName()).isEqualTo("switchyard|otlp");
    assertThat(hcm.getTracing().getRandomSampling().getValue()).isEqualTo(10.0);
  }

  @Test
  void switchyardAndGrpcClustersSpeakHttp2ThroughProtocolOptions() throws Exception {
    for (String name : List.of("switchyard|ext-authz", "switchyard|ratelimit", "switchyard|als", "switchyard|otlp",
        "outbound|9090||ratings.shop.svc.cluster.local")) {
      Cluster c = edge.clusters().stream().filter(x -> x.getName().equals(name)).findFirst().orElseThrow();
      Any options = c.getTypedExtensionProtocolOptionsOrThrow("envoy.extensions.upstreams.http.v3.HttpProtocolOptions");
      assertThat(options.unpack(HttpProtocolOptions.class).getExplicitHttpConfig().hasHttp2ProtocolOptions())
          .as(name).isTrue();
    }
    Cluster http1 = edge.clusters().stream().filter(x -> x.getName().equals("outbound|9080||reviews.shop.svc.cluster.local"))
        .findFirst().orElseThrow();
    assertThat(http1.getTypedExtensionProtocolOptionsMap()).isEmpty();
    assertThat(http1.getOutlierDetection().getConsecutive5Xx().getValue()).isEqualTo(5);
  }

  /**
   * An app port declared without a protocol is Istio's undeclared protocol: its sidecar's inbound cluster speaks to
   * the app in the protocol the client used (cluster_builder.go, setUpstreamProtocol: use_downstream_protocol for an
   * auto-detected port on a sidecar). Envoy alone speaks HTTP/1.1, which a gRPC app behind the sidecar cannot serve.
   */
  @Test
  void inboundClustersSpeakToTheAppInTheClientsProtocolAsIstiosForAnUndeclaredPort() throws Exception {
    EnvoyResources sidecar = new ResourceGenerator(mesh).generate("reviews-sidecar").orElseThrow();
    Cluster inbound = sidecar.clusters().stream().filter(x -> x.getName().equals("inbound|9080||")).findFirst()
        .orElseThrow();
    HttpProtocolOptions options = inbound.getTypedExtensionProtocolOptionsOrThrow(
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions").unpack(HttpProtocolOptions.class);
    assertThat(options.hasUseDownstreamProtocolConfig()).isTrue();
    assertThat(options.getUseDownstreamProtocolConfig().hasHttpProtocolOptions()).isTrue();
    assertThat(options.getUseDownstreamProtocolConfig().hasHttp2ProtocolOptions()).isTrue();
  }

  /**
   * An app port with a declared protocol is served as Istio serves a Service port of that protocol on the inbound side:
   * the inbound cluster speaks HTTP/2 to an http2/grpc app, HTTP/1.1 to an http one, and the client's protocol only to
   * an undeclared port (cluster_builder.go setUpstreamProtocol); the inbound route of a gRPC port gets no retry policy,
   * as reset-before-request does not suit gRPC streaming (route/route.go BuildDefaultHTTPInboundRoute, 1.26+:
   * {@code if !protocol.IsGRPC()}), while other ports keep Istio's inbound policy.
   */
  @Test
  void declaredAppProtocolsShapeTheInboundClusterAndTheGrpcRetryExceptionAsIstio() throws Exception {
    Mesh m = MeshFiles.parse(Path.of("mesh.yaml"), """
        workloads:
          - name: a
            namespace: x
            appPorts: [{port: 8080, protocol: http}, {port: 8081, protocol: http2}, {port: 9090, protocol: grpc}, 7070]
            routes:
              - {name: http, match: {prefix: /http}, to: [{localPort: 8080}]}
              - {name: h2, match: {prefix: /h2}, to: [{localPort: 8081}]}
              - {name: grpc, match: {prefix: /grpc}, to: [{localPort: 9090}]}
              - {name: mixed, match: {prefix: /mixed}, to: [{localPort: 8080}, {localPort: 9090}]}
              - {name: grpc-retried, match: {prefix: /retried}, to: [{localPort: 9090}], retries: {attempts: 3}}
              - {name: auto, to: [{localPort: 7070}]}
          - {name: g, namespace: x, appPorts: [{port: 9090, protocol: grpc}]}
          - {name: h, namespace: x, appPorts: [{port: 8080, protocol: http}]}
        """);
    EnvoyResources a = new ResourceGenerator(m).generate("a").orElseThrow();
    Map<String, Cluster> clusters = new LinkedHashMap<>();
    a.clusters().forEach(c -> clusters.put(c.getName(), c));
    String key = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
    assertThat(clusters.get("inbound|8080||").getTypedExtensionProtocolOptionsMap()).as("http: HTTP/1.1").isEmpty();
    for (String h2 : List.of("inbound|8081||", "inbound|9090||")) {
      HttpProtocolOptions options = clusters.get(h2).getTypedExtensionProtocolOptionsOrThrow(key)
          .unpack(HttpProtocolOptions.class);
      assertThat(options.getExplicitHttpConfig().hasHttp2ProtocolOptions()).as(h2).isTrue();
    }
    assertThat(clusters.get("inbound|7070||").getTypedExtensionProtocolOptionsOrThrow(key)
        .unpack(HttpProtocolOptions.class).hasUseDownstreamProtocolConfig()).isTrue();
    RetryPolicy inbound = RetryPolicy.newBuilder()
        .setRetryOn("reset-before-request").setNumRetries(com.google.protobuf.UInt32Value.of(2)).build();
    for (String name : List.of("http", "h2", "auto")) {
      assertThat(route(a, name).getRoute().getRetryPolicy()).as(name).isEqualTo(inbound);
    }
    for (String name : List.of("grpc", "mixed")) {
      assertThat(route(a, name).getRoute().hasRetryPolicy()).as(name).isFalse();
    }
    assertThat(route(a, "grpc-retried").getRoute().getRetryPolicy().getNumRetries().getValue()).isEqualTo(3);
    EnvoyResources g = new ResourceGenerator(m).generate("g").orElseThrow();
    assertThat(route(g, "default").getRoute().hasRetryPolicy()).isFalse();
    assertThat(route(g, "default").getRoute().getTimeout().getSeconds()).isZero();
    EnvoyResources h = new ResourceGenerator(m).generate("h").orElseThrow();
    assertThat(route(h, "default").getRoute().getRetryPolicy()).isEqualTo(inbound);
    assertThat(ConsistencyCheck.problems(a)).isEmpty();
  }

  /**
   * grpc-web is a gRPC protocol to Istio ({@code protocol.IsGRPC()} and {@code IsHTTP2()} are true for GRPCWeb,
   * pkg/config/protocol/instance.go): a service or app port declared grpc-web is spoken to over HTTP/2, and the inbound
   * route to such an app port gets no retry policy, as for grpc.
   */
  @Test
  void grpcWebPortsAreServedAsGrpcPorts() throws Exception {
    Mesh m = MeshFiles.parse(Path.of("mesh.yaml"), """
        services:
          - {name: web, namespace: x, ports: [{port: 8080, protocol: grpc-web}], endpoints: [{address: 10.0.0.1}]}
        workloads:
          - name: a
            namespace: x
            appPorts: [{port: 9090, protocol: grpc-web}]
            routes:
              - {name: in, match: {prefix: /in}, to: [{localPort: 9090}]}
              - {name: out, to: [{service: web}]}
        """);
    EnvoyResources a = new ResourceGenerator(m).generate("a").orElseThrow();
    Map<String, Cluster> clusters = new LinkedHashMap<>();
    a.clusters().forEach(c -> clusters.put(c.getName(), c));
    String key = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
    for (String h2 : List.of("inbound|9090||", "outbound|8080||web.x.svc.cluster.local")) {
      HttpProtocolOptions options = clusters.get(h2).getTypedExtensionProtocolOptionsOrThrow(key)
          .unpack(HttpProtocolOptions.class);
      assertThat(options.getExplicitHttpConfig().hasHttp2ProtocolOptions()).as(h2).isTrue();
    }
    assertThat(route(a, "in").getRoute().hasRetryPolicy()).isFalse();
    assertThat(ConsistencyCheck.problems(a)).isEmpty();
  }

  @Test
  void contextExtensionsNameWorkloadNamespaceAndEachLabel() throws Exception {
    ExtAuthzPerRoute perRoute = route(edge, "reviews").getTypedPerFilterConfigOrThrow("envoy.filters.http.ext_authz")
        .unpack(ExtAuthzPerRoute.class);
    assertThat(perRoute.getCheckSettings().getContextExtensionsMap()).containsEntry("workload", "ingress-gateway")
        .containsEntry("namespace", "shop").containsEntry("label.app", "gateway").containsEntry("route", "reviews");
    ExtAuthzPerRoute health = route(edge, "health").getTypedPerFilterConfigOrThrow("envoy.filters.http.ext_authz")
        .unpack(ExtAuthzPerRoute.class);
    assertThat(health.getDisabled()).isTrue();
  }

  @Test
  void weightedSplitFaultsRetriesAndRateLimitActionsFollowTheMeshFile() throws Exception {
    Route r = route(edge, "reviews");
    RouteAction action = r.getRoute();
    assertThat(action.getWeightedClusters().getClustersList()).extracting(c -> c.getName() + "=" + c.getWeight().getValue())
        .containsExactly("outbound|9080|v1|reviews.shop.svc.cluster.local=90", "outbound|9080|v2|reviews.shop.svc.cluster.local=10");
    assertThat(action.getRetryPolicy().getNumRetries().getValue()).isEqualTo(2);
    assertThat(action.getTimeout().getSeconds()).isEqualTo(2);
    assertThat(action.getRateLimits(0).getActions(0).getRequestHeaders().getDescriptorKey()).isEqualTo("tenant");
    assertThat(action.getRateLimits(0).getActions(1).hasRemoteAddress()).isTrue();
    assertThat(action.getRateLimits(2).getActions(0).hasDestinationCluster()).isTrue();
    HTTPFault fault = r.getTypedPerFilterConfigOrThrow("envoy.filters.http.fault").unpack(HTTPFault.class);
    assertThat(fault.getAbort().getHttpStatus()).isEqualTo(503);
    assertThat(fault.getAbort().getPercentage()).isEqualTo(FractionalPercent.newBuilder()
        .setNumerator(5000).setDenominator(FractionalPercent.DenominatorType.MILLION).build());
    assertThat(fault.getDelay().getPercentage().getNumerator()).isEqualTo(10_000);
  }

  @Test
  void subsetEndpointsHoldOnlyTheirVersion() {
    assertThat(edge.endpoints().stream().filter(e -> e.getClusterName().equals("outbound|9080|v2|reviews.shop.svc.cluster.local"))
        .findFirst().orElseThrow().getEndpoints(0).getLbEndpointsList())
        .extracting(e -> e.getEndpoint().getAddress().getSocketAddress().getAddress()).containsExactly("10.0.1.11");
  }

  @Test
  void sidecarRoutesToItsAppThroughTheInboundCluster() {
    EnvoyResources sidecar = new ResourceGenerator(mesh).generate("reviews-sidecar").orElseThrow();
    assertThat(route(sidecar, "inbound").getRoute().getCluster()).isEqualTo("inbound|9080||");
    assertThat(sidecar.clusters()).extracting(Cluster::getName).contains("inbound|9080||");
    assertThat(sidecar.listeners().get(0).getName()).isEqualTo("0.0.0.0_15006");
  }

  @Test
  void proxylessClientsGetApiListenersWithOnlyFiltersGrpcImplements() throws Exception {
    EnvoyResources grpc = new ResourceGenerator(mesh).generate("grpc-clients").orElseThrow();
    assertThat(grpc.listeners()).extracting(Listener::getName)
        .contains("ratings", "ratings:9090", "ratings.shop.svc.cluster.local:9090", "reviews");
    for (Listener l : grpc.listeners()) {
      assertThat(l.hasApiListener()).isTrue();
      assertThat(l.getFilterChainsCount()).isZero();
      HttpConnectionManager hcm = l.getApiListener().getApiListener().unpack(HttpConnectionManager.class);
      assertThat(hcm.getHttpFiltersList()).extracting(HttpFilter::getName)
          .isSubsetOf("envoy.filters.http.fault", "envoy.filters.http.router");
    }
    assertThat(grpc.clusters()).extracting(Cluster::getName).noneMatch(n -> n.startsWith("switchyard|"));
    RouteConfiguration ratings = grpc.routes().stream().filter(r -> r.getName().equals("ratings")).findFirst().orElseThrow();
    assertThat(ratings.getVirtualHosts(0).getDomainsList()).containsExactly("ratings");
  }

  @Test
  void everyGroupOfTheExampleIsConsistent() {
    new ResourceGenerator(mesh).generateAll().values()
        .forEach(r -> assertThat(ConsistencyCheck.problems(r)).as(r.nodeGroup()).isEmpty());
  }

  @Test
  void consistencyCheckCatchesARouteToAClusterThatIsNotPushed() {
    EnvoyResources broken = new EnvoyResources("edge",
        edge.clusters().stream().filter(c -> !c.getName().contains("|v2|")).toList(),
        edge.endpoints().stream().filter(c -> !c.getClusterName().contains("|v2|")).toList(),
        edge.listeners(), edge.routes());
    assertThat(ConsistencyCheck.problems(broken))
        .anyMatch(p -> p.contains("points at cluster outbound|9080|v2|reviews.shop.svc.cluster.local"));
  }

  @Test
  void consistencyCheckCatchesUnknownTypedConfigAndMissingEndpoints() {
    Cluster withBogusOptions = edge.clusters().get(0).toBuilder()
        .putTypedExtensionProtocolOptions("x", Any.newBuilder().setTypeUrl("type.googleapis.com/not.a.Type").build())
        .build();
    EnvoyResources broken = new EnvoyResources("edge",
        List.of(withBogusOptions), List.of(), edge.listeners(), edge.routes());
    assertThat(ConsistencyCheck.problems(broken))
        .anyMatch(p -> p.contains("unknown type type.googleapis.com/not.a.Type"))
        .anyMatch(p -> p.contains("has no endpoints resource"));
  }

  @Test
  void generationIsDeterministic() throws Exception {
    Mesh again = MeshFiles.load(Path.of("src/test/resources/mesh/example.yaml"));
    assertThat(new ResourceGenerator(again).generateAll()).isEqualTo(new ResourceGenerator(mesh).generateAll());
  }

  @Test
  void otelAccessLoggerSendsIngestsAttributeContractToTheOtlpCluster() throws Exception {
    HttpConnectionManager hcm = hcm(edge.listeners().get(0));
    assertThat(hcm.getAccessLogList()).extracting(a -> a.getName())
        .containsExactly("envoy.access_loggers.http_grpc", "envoy.access_loggers.open_telemetry");
    OpenTelemetryAccessLogConfig otel = hcm.getAccessLog(1).getTypedConfig().unpack(OpenTelemetryAccessLogConfig.class);
    assertThat(otel.getCommonConfig().getGrpcService().getEnvoyGrpc().getClusterName()).isEqualTo("switchyard|otlp");
    assertThat(otel.getCommonConfig().getTransportApiVersion().name()).isEqualTo("V3");
    assertThat(otel.getCommonConfig().getLogName()).isEqualTo("edge");
    Map<String, String> attributes = new LinkedHashMap<>();
    otel.getAttributes().getValuesList().forEach(kv -> attributes.put(kv.getKey(), kv.getValue().getStringValue()));
    assertThat(attributes).containsEntry("upstream_cluster", "%UPSTREAM_CLUSTER_RAW%")
        .containsEntry("response_code", "%RESPONSE_CODE%")
        .containsEntry("duration", "%DURATION%")
        .containsEntry("downstream_peer_uri_san", "%DOWNSTREAM_PEER_URI_SAN%")
        .containsEntry("grpc_status", "%GRPC_STATUS_NUMBER%");
    assertThat(otel.getResourceAttributes().getValuesList()).extracting(kv -> kv.getKey() + "=" + kv.getValue().getStringValue())
        .containsExactly("k8s.namespace.name=shop", "k8s.workload.name=ingress-gateway", "k8s.serviceaccount.name=ingress");
    assertThat(edge.clusters()).extracting(Cluster::getName).contains("switchyard|otlp", "switchyard|als");
  }

  @Test
  void accessLoggerChoiceDecidesLoggersAndTheAlsCluster() throws Exception {
    EnvoyResources sidecar = new ResourceGenerator(mesh).generate("reviews-sidecar").orElseThrow();
    assertThat(hcm(sidecar.listeners().get(0)).getAccessLogList()).extracting(a -> a.getName())
        .containsExactly("envoy.access_loggers.http_grpc");
    Mesh otelOnly = MeshFiles.parse(Path.of("mesh.yaml"), """
        switchyard:
          accessLog: {}
          otlp: {}
        workloads:
          - {name: a, namespace: x, accessLogger: otel, appPorts: [80]}
          - {name: b, namespace: x, accessLogger: none, appPorts: [80]}
        """);
    EnvoyResources a = new ResourceGenerator(otelOnly).generate("a").orElseThrow();
    assertThat(hcm(a.listeners().get(0)).getAccessLogList()).extracting(l -> l.getName())
        .containsExactly("envoy.access_loggers.open_telemetry");
    assertThat(a.clusters()).extracting(Cluster::getName).contains("switchyard|otlp").doesNotContain("switchyard|als");
    EnvoyResources b = new ResourceGenerator(otelOnly).generate("b").orElseThrow();
    assertThat(hcm(b.listeners().get(0)).getAccessLogList()).isEmpty();
    assertThat(ConsistencyCheck.problems(a)).isEmpty();
  }

  @Test
  void httpsJwksClusterVerifiesTheServerAgainstTheCaBundleAndItsHost() throws Exception {
    Cluster jwks = edge.clusters().stream().filter(c -> c.getName().equals("jwks|corp")).findFirst().orElseThrow();
    assertThat(jwks.getTransportSocket().getName()).isEqualTo("envoy.transport_sockets.tls");
    UpstreamTlsContext tls = jwks.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
    assertThat(tls.getSni()).isEqualTo("idp.example.com");
    CertificateValidationContext validation = tls.getCommonTlsContext().getValidationContext();
    assertThat(validation.getTrustedCa().getFilename()).isEqualTo("/etc/ssl/certs/ca-certificates.crt");
    assertThat(validation.getMatchTypedSubjectAltNamesList()).singleElement().satisfies(m -> {
      assertThat(m.getSanType()).isEqualTo(SubjectAltNameMatcher.SanType.DNS);
      assertThat(m.getMatcher().getExact()).isEqualTo("idp.example.com");
    });
    assertThat(jwks.getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress()
        .getSocketAddress().getPortValue()).isEqualTo(443);
  }

  @Test
  void jwksOnAnIpLiteralMatchesAnIpSanAndSendsNoSni() throws Exception {
    Mesh ip = MeshFiles.parse(Path.of("mesh.yaml"), """
        jwtProviders:
          - {name: local, issuer: x, jwksUri: "https://[fd00::7]:8443/jwks", jwksCaFile: /etc/idp/ca.pem}
        workloads:
          - {name: a, namespace: x, appPorts: [80]}
        """);
    Cluster jwks = new ResourceGenerator(ip).generate("a").orElseThrow().clusters().stream()
        .filter(c -> c.getName().equals("jwks|local")).findFirst().orElseThrow();
    UpstreamTlsContext tls = jwks.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
    assertThat(tls.getSni()).isEmpty();
    assertThat(tls.getCommonTlsContext().getValidationContext().getTrustedCa().getFilename()).isEqualTo("/etc/idp/ca.pem");
    assertThat(tls.getCommonTlsContext().getValidationContext().getMatchTypedSubjectAltNames(0).getSanType())
        .isEqualTo(SubjectAltNameMatcher.SanType.IP_ADDRESS);
    assertThat(jwks.getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress()
        .getSocketAddress().getAddress()).isEqualTo("fd00::7");
    assertThat(jwks.getType()).isEqualTo(Cluster.DiscoveryType.STATIC);
  }
}
