package io.switchyard.xds.envoy;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.Message;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.util.Durations;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLog;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.HttpUri;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.ApiListener;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.ratelimit.v3.RateLimitServiceConfig;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.RateLimit;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.config.trace.v3.OpenTelemetryConfig;
import io.envoyproxy.envoy.config.trace.v3.Tracing;
import io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.CommonGrpcAccessLogConfig;
import io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.CheckSettings;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.RemoteJwks;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.metadata.v3.MetadataKey;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.envoyproxy.envoy.type.v3.Percent;
import io.switchyard.xds.mesh.Mesh;
import io.switchyard.xds.mesh.Mesh.Destination;
import io.switchyard.xds.mesh.Mesh.GrpcTarget;
import io.switchyard.xds.mesh.Mesh.HeaderMatch;
import io.switchyard.xds.mesh.Mesh.Protocol;
import io.switchyard.xds.mesh.Mesh.RateLimitAction;
import io.switchyard.xds.mesh.Mesh.Service;
import io.switchyard.xds.mesh.Mesh.ServicePort;
import io.switchyard.xds.mesh.Mesh.Workload;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Turns a validated mesh into the resources of each node group. Pure and deterministic: the same mesh always
 * yields equal protos, so an unchanged group keeps byte-identical resources across reloads.
 */
public final class ResourceGenerator {
  private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|.*:.*");
  private static final ConfigSource ADS = ConfigSource.newBuilder()
      .setAds(AggregatedConfigSource.getDefaultInstance())
      .setResourceApiVersion(ApiVersion.V3)
      .build();
  /**
   * As Istio's Envoy clusters and listeners take their endpoints and routes (maybeApplyEdsConfig,
   * buildHTTPConnectionManager): no initial fetch timeout. Under Envoy's 15 s a proxy whose control plane is slow or
   * gone goes live without them (503 UH, 404 NR) instead of staying unready. Istio's proxyless resources use plain ADS.
   */
  private static final ConfigSource ENVOY_ADS = ADS.toBuilder()
      .setInitialFetchTimeout(com.google.protobuf.Duration.getDefaultInstance())
      .build();
  /**
   * Istio's default thresholds for every cluster: Envoy's own (1024 connections, pending and active requests, 3
   * parallel retries) overflow on a busy proxy with 503 UO, and an overflowing ext_authz check fails closed.
   */
  private static final CircuitBreakers UNLIMITED = CircuitBreakers.newBuilder()
      .addThresholds(CircuitBreakers.Thresholds.newBuilder()
          .setMaxConnections(UInt32Value.of(-1))
          .setMaxPendingRequests(UInt32Value.of(-1))
          .setMaxRequests(UInt32Value.of(-1))
          .setMaxRetries(UInt32Value.of(-1))
          .setTrackRemaining(true))
      .build();
  private static final Any HTTP2_OPTIONS = Any.pack(HttpProtocolOptions.newBuilder()
      .setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
          .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
      .build());
  private static final Any DOWNSTREAM_PROTOCOL_OPTIONS = Any.pack(HttpProtocolOptions.newBuilder()
      .setUseDownstreamProtocolConfig(HttpProtocolOptions.UseDownstreamHttpConfig.newBuilder()
          .setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance())
          .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
      .build());

  /**
   * Istio's inbound route policy (route/route.go BuildDefaultHTTPInboundRoute; 1.24+, ENABLE_INBOUND_RETRY_POLICY on by
   * default): a request reset before it reached the app (e.g. the app closed an idle connection as it was sent) was
   * never processed, so it is retried, whatever its method. No host predicate: the inbound cluster has one host.
   * Istio leaves it off on ports declared grpc/grpc-web (1.26+: it does not suit gRPC streaming), so routes to an app
   * port declared grpc do not get it; an undeclared port is never gRPC to Istio (protocol detection) and does.
   */
  private static final RetryPolicy INBOUND_DEFAULT_RETRY = RetryPolicy.newBuilder()
      .setRetryOn("reset-before-request")
      .setNumRetries(UInt32Value.of(2))
      .build();

  /** Istio's meshConfig.dnsRefreshRate default (pkg/config/mesh/mesh.go). */
  private static final com.google.protobuf.Duration DNS_REFRESH_RATE = Durations.fromSeconds(60);

  /** Istio's Notimeout: a route timeout of 0 switches Envoy's 15 s default off. */
  private static final com.google.protobuf.Duration NO_TIMEOUT = Durations.fromMillis(0);

  /**
   * Istio's inbound default route (BuildDefaultHTTPInboundRoute): no stream limit, and a gRPC request's grpc-timeout
   * header used as it is (0: uncapped).
   */
  private static final RouteAction.MaxStreamDuration INBOUND_NO_STREAM_LIMIT = RouteAction.MaxStreamDuration.newBuilder()
      .setMaxStreamDuration(NO_TIMEOUT)
      .setGrpcTimeoutHeaderMax(NO_TIMEOUT)
      .build();

  private final Mesh mesh;

  public ResourceGenerator(Mesh mesh) {
    this.mesh = mesh;
  }

  /** Resources of every node group declared in the mesh, keyed by node group, in declaration order. */
  public Map<String, EnvoyResources> generateAll() {
    Map<String, EnvoyResources> out = new LinkedHashMap<>();
    for (Workload w : mesh.workloads()) {
      out.put(w.nodeGroup(), generate(w));
    }
    return out;
  }

  public Optional<EnvoyResources> generate(String nodeGroup) {
    return mesh.workloadForNodeGroup(nodeGroup).map(this::generate);
  }

  EnvoyResources generate(Workload workload) {
    Map<String, Cluster> clusters = new LinkedHashMap<>();
    Map<String, ClusterLoadAssignment> endpoints = new LinkedHashMap<>();
    // Every service in the mesh is reachable from every proxy (a sidecar calls out by name); subsets only where
    // a route of this workload asks for them.
    for (Service s : mesh.services()) {
      for (ServicePort p : s.ports()) {
        addOutbound(clusters, endpoints, s, p, null, workload.proxyless());
      }
    }
    for (Mesh.Route r : workload.routes()) {
      for (Destination d : r.destinations()) {
        if (d.service().isPresent() && d.subset().isPresent()) {
          Service s = d.service().get();
          ServicePort p = s.ports().stream().filter(sp -> sp.port() == d.port()).findFirst().orElseThrow();
          addOutbound(clusters, endpoints, s, p, d.subset().get(), workload.proxyless());
        }
      }
    }
    if (workload.proxyless()) {
      return proxyless(workload, clusters, endpoints);
    }
    for (int port : workload.appPorts()) {
      // As Istio's inbound clusters: the mesh connectTimeout as outbound ones, round robin (one local host; they take
      // no load balancer settings), and the app spoken to as setUpstreamProtocol does for the port's protocol: HTTP/2
      // for http2/grpc/grpc-web, HTTP/1.1 for http, and for a port without one (Istio's undeclared protocol) as the client spoke
      // (use_downstream_protocol): HTTP/1.1 alone would break a gRPC app.
      Optional<Protocol> protocol = workload.appProtocol(port);
      Cluster.Builder inbound = staticCluster(EnvoyNames.inbound(port), "127.0.0.1", port,
          Service.ISTIO_DEFAULT_CONNECT_TIMEOUT, protocol.isPresent() && protocol.get().isHttp2()).toBuilder()
          .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN);
      if (protocol.isEmpty()) {
        inbound.putTypedExtensionProtocolOptions(EnvoyNames.HTTP_PROTOCOL_OPTIONS, DOWNSTREAM_PROTOCOL_OPTIONS);
      }
      clusters.put(EnvoyNames.inbound(port), inbound.build());
    }
    Mesh.SwitchyardEndpoints sy = mesh.switchyard();
    sy.extAuthz().ifPresent(t -> clusters.put(EnvoyNames.CLUSTER_EXT_AUTHZ, switchyardCluster(EnvoyNames.CLUSTER_EXT_AUTHZ, t)));
    sy.rateLimit().ifPresent(t -> clusters.put(EnvoyNames.CLUSTER_RATELIMIT, switchyardCluster(EnvoyNames.CLUSTER_RATELIMIT, t)));
    if (workload.accessLogger().als()) {
      clusters.put(EnvoyNames.CLUSTER_ACCESS_LOG, switchyardCluster(EnvoyNames.CLUSTER_ACCESS_LOG,
          sy.accessLog().orElseThrow()));
    }
    sy.otlp().ifPresent(t -> clusters.put(EnvoyNames.CLUSTER_OTLP, switchyardCluster(EnvoyNames.CLUSTER_OTLP, t)));
    for (Mesh.JwtProvider p : mesh.jwtProviders()) {
      p.jwksUri().ifPresent(uri -> clusters.put(EnvoyNames.jwks(p.name()),
          jwksCluster(p.name(), URI.create(uri), p.jwksCaFile())));
    }
    RouteConfiguration routes = envoyRoutes(workload);
    Listener listener = envoyListener(workload);
    return new EnvoyResources(workload.nodeGroup(), List.copyOf(clusters.values()), List.copyOf(endpoints.values()),
        List.of(listener), List.of(routes));
  }

  // ---------------------------------------------------------------- clusters and endpoints

  private void addOutbound(Map<String, Cluster> clusters, Map<String, ClusterLoadAssignment> endpoints, Service s,
      ServicePort p, String subset, boolean proxyless) {
    String name = EnvoyNames.outbound(s, p.port(), subset);
    if (clusters.containsKey(name)) {
      return;
    }
    Cluster.Builder c = Cluster.newBuilder()
        .setName(name)
        .setType(Cluster.DiscoveryType.EDS)
        .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setEdsConfig(proxyless ? ADS : ENVOY_ADS))
        .setConnectTimeout(Durations.fromMillis(s.connectTimeout().toMillis()))
        // Istio's default for Envoy (applyLoadBalancer, defaultLBAlgorithm): a slow host gets fewer requests than
        // round robin would send it. Its proxyless gRPC clusters (grpcgen applyLoadBalancing) leave gRPC's round robin.
        .setLbPolicy(proxyless ? Cluster.LbPolicy.ROUND_ROBIN : Cluster.LbPolicy.LEAST_REQUEST)
        .setCircuitBreakers(UNLIMITED);
    if (p.protocol().isHttp2()) {
      c.putTypedExtensionProtocolOptions(EnvoyNames.HTTP_PROTOCOL_OPTIONS, HTTP2_OPTIONS);
    }
    s.outlierDetection().ifPresent(o -> {
      OutlierDetection.Builder od = OutlierDetection.newBuilder()
          .setConsecutive5Xx(UInt32Value.of(o.consecutive5xx()))
          .setInterval(Durations.fromMillis(o.interval().toMillis()))
          .setBaseEjectionTime(Durations.fromMillis(o.baseEjectionTime().toMillis()))
          .setMaxEjectionPercent(UInt32Value.of(o.maxEjectionPercent()))
          // Envoy also ejects by success rate unless told not to (enforcing_success_rate defaults to 100); the mesh
          // file asks for consecutive errors only, as Istio's outlierDetection, which switches it off the same way.
          .setEnforcingSuccessRate(UInt32Value.of(0));
      if (o.consecutiveGatewayErrors() > 0) {
        // Envoy counts gateway failures but does not eject on them unless enforcement is switched on.
        od.setConsecutiveGatewayFailure(UInt32Value.of(o.consecutiveGatewayErrors()))
            .setEnforcingConsecutiveGatewayFailure(UInt32Value.of(100));
      }
      c.setOutlierDetection(od);
      // As Istio sets it from minHealthPercent (0 unless given): under Envoy's default of 50 % a cluster with half
      // its hosts ejected stops honouring the ejections and sends traffic to the failing hosts as well.
      c.setCommonLbConfig(Cluster.CommonLbConfig.newBuilder()
          .setHealthyPanicThreshold(Percent.newBuilder().setValue(o.minHealthPercent())));
    });
    clusters.put(name, c.build());
    // gRPC clients drop localities without a weight; Envoy ignores it unless locality-weighted LB is on.
    LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder().setLoadBalancingWeight(UInt32Value.of(1));
    for (Mesh.Endpoint e : s.endpoints()) {
      if (subset != null && !subset.equals(e.labels().get("version"))) {
        continue;
      }
      locality.addLbEndpoints(lbEndpoint(e.address(), e.port() == 0 ? p.port() : e.port(), e.weight()));
    }
    ClusterLoadAssignment.Builder cla = ClusterLoadAssignment.newBuilder().setClusterName(name);
    if (locality.getLbEndpointsCount() > 0) {
      cla.addEndpoints(locality);
    }
    endpoints.put(name, cla.build());
  }

  private static LbEndpoint lbEndpoint(String address, int port, int weight) {
    return LbEndpoint.newBuilder()
        .setEndpoint(Endpoint.newBuilder().setAddress(socket(address, port)))
        .setLoadBalancingWeight(UInt32Value.of(weight))
        .build();
  }

  private static Address socket(String address, int port) {
    return Address.newBuilder()
        .setSocketAddress(SocketAddress.newBuilder().setAddress(address).setPortValue(port))
        .build();
  }

  private static Cluster staticCluster(String name, String host, int port, Duration connectTimeout, boolean http2) {
    boolean ip = IP_LITERAL.matcher(host).matches() && isIp(host);
    Cluster.Builder c = Cluster.newBuilder()
        .setName(name)
        .setType(ip ? Cluster.DiscoveryType.STATIC : Cluster.DiscoveryType.STRICT_DNS)
        .setConnectTimeout(Durations.fromMillis(connectTimeout.toMillis()))
        // As Istio balances the outbound cluster of a service (a DNS name may resolve to several hosts).
        .setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST)
        .setCircuitBreakers(UNLIMITED)
        .setLoadAssignment(ClusterLoadAssignment.newBuilder()
            .setClusterName(name)
            .addEndpoints(LocalityLbEndpoints.newBuilder().addLbEndpoints(lbEndpoint(host, port, 1))));
    if (!ip) {
      // As Istio's clusters to a DNS name (buildCluster): IPv4 first (Istio sends V4_ONLY to every proxy with an IPv4
      // address; preferring it also works on IPv6-only networks, whose proxies this server cannot tell apart), and
      // re-resolved at the answer's TTL, after a failed lookup every meshConfig.dnsRefreshRate (60 s). Envoy alone
      // prefers IPv6, unreachable from an IPv4-only network, and re-resolves every 5 s.
      c.setDnsLookupFamily(Cluster.DnsLookupFamily.V4_PREFERRED)
          .setRespectDnsTtl(true)
          .setDnsRefreshRate(DNS_REFRESH_RATE);
    }
    if (http2) {
      c.putTypedExtensionProtocolOptions(EnvoyNames.HTTP_PROTOCOL_OPTIONS, HTTP2_OPTIONS);
    }
    return c.build();
  }

  private static boolean isIp(String host) {
    try {
      // Only literals reach here (checked by the pattern), so this never does a DNS lookup.
      InetAddress.getByName(host);
      return true;
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  /**
   * Istio points its extension providers (ext_authz, ALS and OTel access logs, tracing) at the outbound cluster of
   * their service (model.LookupCluster), so they wait meshConfig.connectTimeout to connect, as every service cluster.
   */
  private static Cluster switchyardCluster(String name, GrpcTarget t) {
    return staticCluster(name, t.host(), t.port(), Service.ISTIO_DEFAULT_CONNECT_TIMEOUT, true);
  }

  private static Cluster jwksCluster(String provider, URI uri, String caFile) {
    boolean tls = "https".equals(uri.getScheme());
    int port = uri.getPort() > 0 ? uri.getPort() : (tls ? 443 : 80);
    // java.net.URI keeps the brackets of an IPv6 literal; Envoy wants the bare address.
    String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1) : uri.getHost();
    // An Envoy-fetched JWKS in Istio goes through its host's outbound service cluster (policy_applier.go), 10 s too.
    Cluster c = staticCluster(EnvoyNames.jwks(provider), host, port, Service.ISTIO_DEFAULT_CONNECT_TIMEOUT, false);
    if (!tls) {
      return c;
    }
    // Without a trusted CA Envoy would accept any certificate, so a forged JWKS could mint valid tokens: verify the
    // chain against the CA bundle and the certificate against the JWKS host.
    boolean ip = IP_LITERAL.matcher(host).matches() && isIp(host);
    UpstreamTlsContext.Builder tlsContext = UpstreamTlsContext.newBuilder()
        .setCommonTlsContext(CommonTlsContext.newBuilder()
            .setValidationContext(CertificateValidationContext.newBuilder()
                .setTrustedCa(DataSource.newBuilder().setFilename(caFile))
                .addMatchTypedSubjectAltNames(SubjectAltNameMatcher.newBuilder()
                    .setSanType(ip ? SubjectAltNameMatcher.SanType.IP_ADDRESS : SubjectAltNameMatcher.SanType.DNS)
                    .setMatcher(StringMatcher.newBuilder().setExact(host)))));
    if (!ip) {
      // SNI carries host names only (RFC 6066).
      tlsContext.setSni(host);
    }
    return c.toBuilder()
        .setTransportSocket(TransportSocket.newBuilder()
            .setName("envoy.transport_sockets.tls")
            .setTypedConfig(Any.pack(tlsContext.build())))
        .build();
  }

  // ---------------------------------------------------------------- Envoy listener and routes

  private Listener envoyListener(Workload w) {
    Mesh.SwitchyardEndpoints sy = mesh.switchyard();
    HttpConnectionManager.Builder hcm = HttpConnectionManager.newBuilder()
        .setStatPrefix(w.nodeGroup())
        .setCodecType(HttpConnectionManager.CodecType.AUTO)
        // Istio's default (meshConfig pathNormalization BASE), which ext-authz's --path-normalization default
        // matches: without it Envoy routes, rate-limits and forwards the raw path while policies decided on the
        // normalised one. Envoy leaves normalize_path off unless told.
        .setNormalizePath(BoolValue.of(true))
        .setPathWithEscapedSlashesAction(HttpConnectionManager.PathWithEscapedSlashesAction.KEEP_UNCHANGED)
        // Envoy proxies only the upgrades it is configured for; Istio allows WebSocket on every HTTP listener.
        .addUpgradeConfigs(HttpConnectionManager.UpgradeConfig.newBuilder().setUpgradeType("websocket"))
        // As Istio (buildHTTPConnectionManager): no stream idle timeout. Envoy's default of 5 minutes resets a long
        // poll, a server stream or a WebSocket that is quiet for that long.
        .setStreamIdleTimeout(NO_TIMEOUT)
        // As Istio's sidecar and gateway listeners (ENABLE_100_CONTINUE_HEADERS, on by default): the app answers
        // "Expect: 100-continue" and may refuse a body before it is sent; Envoy alone says 100 Continue itself.
        .setProxy100Continue(true)
        .setRds(Rds.newBuilder().setRouteConfigName(EnvoyNames.routeConfig(w.listenerPort())).setConfigSource(ENVOY_ADS));
    if (w.gateway()) {
      // As Istio builds gateway listeners: the client is the connection's peer, or the address the trusted proxies
      // in front put into X-Forwarded-For. Otherwise Envoy would take the client address (what rate limits and
      // access logs see) from an X-Forwarded-For the client wrote itself.
      hcm.setUseRemoteAddress(BoolValue.of(true)).setXffNumTrustedHops(w.numTrustedProxies());
    }
    forwardClientCert(w, hcm);
    boolean jwt = !mesh.jwtProviders().isEmpty();
    if (jwt) {
      hcm.addHttpFilters(filter(EnvoyNames.FILTER_JWT, jwtAuthentication()));
    }
    sy.extAuthz().ifPresent(t -> {
      ExtAuthz.Builder authz = ExtAuthz.newBuilder()
          .setGrpcService(grpcService(EnvoyNames.CLUSTER_EXT_AUTHZ, t.timeout()))
          .setTransportApiVersion(ApiVersion.V3)
          // Fail closed: an unreachable policy service must not open the mesh.
          .setFailureModeAllow(false)
          .setIncludePeerCertificate(true);
      if (jwt) {
        authz.addMetadataContextNamespaces(EnvoyNames.FILTER_JWT);
      }
      hcm.addHttpFilters(filter(EnvoyNames.FILTER_EXT_AUTHZ, authz.build()));
    });
    // After authentication and authorization, as Istio orders them: a request is checked (and denied with 401/403)
    // before a fault aborts or delays it.
    hcm.addHttpFilters(filter(EnvoyNames.FILTER_FAULT, HTTPFault.getDefaultInstance()));
    sy.rateLimit().ifPresent(t -> hcm.addHttpFilters(filter(EnvoyNames.FILTER_RATELIMIT,
        io.envoyproxy.envoy.extensions.filters.http.ratelimit.v3.RateLimit.newBuilder()
            .setDomain(w.rateLimitDomain())
            .setTimeout(Durations.fromMillis(t.timeout().toMillis()))
            // Fail open: a slow limiter must not take traffic down with it.
            .setFailureModeDeny(false)
            .setEnableXRatelimitHeaders(io.envoyproxy.envoy.extensions.filters.http.ratelimit.v3.RateLimit
                .XRateLimitHeadersRFCVersion.DRAFT_VERSION_03)
            .setRateLimitService(RateLimitServiceConfig.newBuilder()
                .setGrpcService(grpcService(EnvoyNames.CLUSTER_RATELIMIT, t.timeout()))
                .setTransportApiVersion(ApiVersion.V3))
            .build())));
    hcm.addHttpFilters(filter(EnvoyNames.FILTER_ROUTER, Router.getDefaultInstance()));
    if (w.accessLogger().als()) {
      GrpcTarget t = sy.accessLog().orElseThrow();
      hcm.addAccessLog(AccessLog.newBuilder()
          .setName("envoy.access_loggers.http_grpc")
          .setTypedConfig(Any.pack(HttpGrpcAccessLogConfig.newBuilder()
              .setCommonConfig(CommonGrpcAccessLogConfig.newBuilder()
                  .setLogName(w.nodeGroup())
                  .setTransportApiVersion(ApiVersion.V3)
                  .setGrpcService(grpcService(EnvoyNames.CLUSTER_ACCESS_LOG, t.timeout())))
              // ALS carries no header it is not told to log: ingest takes the trace id from traceparent (what our
              // OpenTelemetry tracer propagates), gRPC from content-type and the gRPC status from grpc-status.
              .addAdditionalRequestHeadersToLog("traceparent")
              .addAdditionalRequestHeadersToLog("content-type")
              .addAdditionalResponseHeadersToLog("grpc-status")
              .addAdditionalResponseTrailersToLog("grpc-status")
              .build())));
    }
    if (w.accessLogger().otel()) {
      GrpcTarget t = sy.otlp().orElseThrow();
      hcm.addAccessLog(AccessLog.newBuilder()
          .setName(OtelAccessLog.NAME)
          .setTypedConfig(Any.pack(OtelAccessLog.config(w, grpcService(EnvoyNames.CLUSTER_OTLP, t.timeout())))));
    }
    sy.otlp().ifPresent(t -> hcm.setTracing(HttpConnectionManager.Tracing.newBuilder()
        .setRandomSampling(Percent.newBuilder().setValue(sy.tracingSamplePercent()))
        .setProvider(Tracing.Http.newBuilder()
            .setName("envoy.tracers.opentelemetry")
            .setTypedConfig(Any.pack(OpenTelemetryConfig.newBuilder()
                .setGrpcService(grpcService(EnvoyNames.CLUSTER_OTLP, t.timeout()))
                .setServiceName(w.name() + "." + w.namespace())
                .build())))));
    return Listener.newBuilder()
        .setName(EnvoyNames.listener(w.listenerPort()))
        .setAddress(socket("0.0.0.0", w.listenerPort()))
        .addFilterChains(FilterChain.newBuilder()
            .addFilters(Filter.newBuilder().setName(EnvoyNames.HCM).setTypedConfig(Any.pack(hcm.build()))))
        .build();
  }

  /**
   * X-Forwarded-Client-Cert as Istio's listeners handle it. Gateways (gateway.go, buildGatewayConnectionManager): the
   * mode of gatewayTopology.forwardClientCertDetails (SANITIZE_SET unless given) and, only where Envoy adds the
   * current hop, subject, certificate, DNS and URI SANs. A sidecar listener that routes to the workload's own ports is
   * Istio's inbound listener (listener_inbound.go, buildSidecarInboundHTTPOpts, ProxyHeaders): the mode of
   * proxyHeaders.forwardedClientCert (APPEND_FORWARD unless given), whatever it is with subject, URI and DNS SANs, so
   * the app sees its caller's identity; one that only calls out is Istio's outbound
   * listener, which sets nothing (Envoy's SANITIZE drops the header). Envoy acts on all but ALWAYS_FORWARD_ONLY only
   * for requests that came over mTLS and removes the header from any other.
   */
  private static void forwardClientCert(Workload w, HttpConnectionManager.Builder hcm) {
    if (w.gateway()) {
      HttpConnectionManager.ForwardClientCertDetails mode =
          HttpConnectionManager.ForwardClientCertDetails.valueOf(w.forwardClientCertDetails().orElseThrow().name());
      hcm.setForwardClientCertDetails(mode);
      if (mode == HttpConnectionManager.ForwardClientCertDetails.APPEND_FORWARD
          || mode == HttpConnectionManager.ForwardClientCertDetails.SANITIZE_SET) {
        hcm.setSetCurrentClientCertDetails(HttpConnectionManager.SetCurrentClientCertDetails.newBuilder()
            .setSubject(BoolValue.of(true))
            .setCert(true)
            .setDns(true)
            .setUri(true));
      }
      return;
    }
    if (w.servesOwnApp()) {
      hcm.setForwardClientCertDetails(HttpConnectionManager.ForwardClientCertDetails.valueOf(
              w.forwardClientCertDetails().orElse(Mesh.ForwardClientCertDetails.APPEND_FORWARD).name()))
          .setSetCurrentClientCertDetails(HttpConnectionManager.SetCurrentClientCertDetails.newBuilder()
              .setSubject(BoolValue.of(true))
              .setUri(true)
              .setDns(true));
    }
  }

  private JwtAuthentication jwtAuthentication() {
    // As Istio configures it: a CORS preflight is let through without its token (a browser sends no credentials with
    // one), and ext-authz then decides it as a request without a token.
    JwtAuthentication.Builder jwt = JwtAuthentication.newBuilder().setBypassCorsPreflight(true);
    for (Mesh.JwtProvider p : mesh.jwtProviders()) {
      JwtProvider.Builder b = JwtProvider.newBuilder()
          .setIssuer(p.issuer())
          .addAllAudiences(p.audiences())
          // ext_authz reads the verified claims from this metadata (metadata_context_namespaces); one key for all
          // providers, as Istio sets it, because ext-authz trusts exactly one.
          .setPayloadInMetadata(EnvoyNames.JWT_PAYLOAD_KEY);
      p.forwardPayloadHeader().ifPresent(b::setForwardPayloadHeader);
      p.jwksUri().ifPresent(uri -> b.setRemoteJwks(RemoteJwks.newBuilder()
          .setHttpUri(HttpUri.newBuilder()
              .setUri(uri)
              .setCluster(EnvoyNames.jwks(p.name()))
              .setTimeout(Durations.fromSeconds(5)))
          .setCacheDuration(Durations.fromSeconds(300))));
      p.localJwks().ifPresent(keys -> b.setLocalJwks(DataSource.newBuilder().setInlineString(keys)));
      jwt.putProviders(p.name(), b.build());
      jwt.putRequirementMap(p.name(), JwtRequirement.newBuilder().setProviderName(p.name()).build());
    }
    return jwt.build();
  }

  private RouteConfiguration envoyRoutes(Workload w) {
    VirtualHost.Builder vh = VirtualHost.newBuilder().setName(w.nodeGroup()).addDomains("*");
    for (Mesh.Route r : w.routes()) {
      vh.addRoutes(route(w, r, false));
    }
    if (w.routes().isEmpty() && !w.appPorts().isEmpty()) {
      vh.addRoutes(Route.newBuilder()
          .setName("default")
          .setMatch(RouteMatch.newBuilder().setPrefix("/"))
          .setRoute(inboundDefaultRetry(RouteAction.newBuilder().setCluster(EnvoyNames.inbound(w.appPorts().get(0)))
              .setTimeout(NO_TIMEOUT)
              .setMaxStreamDuration(INBOUND_NO_STREAM_LIMIT), w, List.of(w.appPorts().get(0))))
          .putAllTypedPerFilterConfig(envoyPerFilter(w, "default", mesh.switchyard().extAuthz().isPresent(),
              Optional.empty())));
    }
    return RouteConfiguration.newBuilder().setName(EnvoyNames.routeConfig(w.listenerPort())).addVirtualHosts(vh).build();
  }

  /**
   * Istio's inbound policy on a route to the given app ports, unless one of them is declared grpc or grpc-web: Istio's
   * BuildDefaultHTTPInboundRoute leaves it off there ({@code !protocol.IsGRPC()}, 1.26+), as reset-before-request does
   * not suit gRPC streaming.
   */
  private static RouteAction.Builder inboundDefaultRetry(RouteAction.Builder action, Workload w, List<Integer> ports) {
    if (ports.stream().noneMatch(p -> w.appProtocol(p).map(Protocol::isGrpc).orElse(false))) {
      action.setRetryPolicy(INBOUND_DEFAULT_RETRY);
    }
    return action;
  }

  /**
   * A route's retry policy as Istio's route/retry/retry.go builds it: a route without {@code retries} gets Istio's
   * default policy (2 retries on connection failures, refused streams and gRPC's unavailable and cancelled; no status
   * codes, as Istio since 1.24 leaves 503 out), {@code attempts: 0} none, anything else the default with the mesh
   * file's fields over it. Proxyless gRPC clients get it too (Istio's grpcgen builds the same routes), with the
   * conditions a gRPC client acts on ({@code unavailable,cancelled}; it ignores the rest). Routes to the workload's
   * own ports get Istio's inbound default instead ({@link #inboundDefaultRetry}).
   */
  private static Optional<RetryPolicy> retryPolicy(Optional<Mesh.Retries> retries, boolean proxyless) {
    if (retries.isEmpty()) {
      RetryPolicy.Builder retry = RetryPolicy.newBuilder()
          .setNumRetries(UInt32Value.of(Mesh.Retries.ISTIO_DEFAULT_RETRY_ATTEMPTS));
      return Optional.of(proxyless ? retry.setRetryOn(Mesh.Retries.PROXYLESS_DEFAULT_RETRY_ON).build()
          : avoidingPreviousHosts(retry.setRetryOn(Mesh.Retries.ISTIO_DEFAULT_RETRY_ON)).build());
    }
    Mesh.Retries rt = retries.get();
    if (rt.attempts() == 0) {
      return Optional.empty();
    }
    String retryOn = rt.retryOn();
    // As Istio translates retryOn (route/retry/retry.go): Envoy retries on retriable_status_codes only under the
    // retriable-status-codes condition, so it is added when the mesh file listed codes without it.
    if (!rt.retriableStatusCodes().isEmpty() && !retryOn.contains("retriable-status-codes")) {
      retryOn = retryOn.isEmpty() ? "retriable-status-codes" : retryOn + ",retriable-status-codes";
    }
    RetryPolicy.Builder retry = RetryPolicy.newBuilder()
        .setRetryOn(retryOn)
        .addAllRetriableStatusCodes(rt.retriableStatusCodes())
        .setNumRetries(UInt32Value.of(rt.attempts()));
    rt.perTryTimeout().ifPresent(t -> retry.setPerTryTimeout(Durations.fromMillis(t.toMillis())));
    // gRPC clients do not implement retry host predicates.
    return Optional.of(proxyless ? retry.build() : avoidingPreviousHosts(retry).build());
  }

  /** As Istio builds every Envoy retry policy: Envoy alone may send a retry to the host that just failed. */
  private static RetryPolicy.Builder avoidingPreviousHosts(RetryPolicy.Builder retry) {
    return retry.addRetryHostPredicate(RetryPolicy.RetryHostPredicate.newBuilder()
            .setName("envoy.retry_host_predicates.previous_hosts")
            .setTypedConfig(Any.pack(PreviousHostsPredicate.getDefaultInstance())))
        .setHostSelectionRetryMaxAttempts(5);
  }

  /**
   * A route's timeout as Istio's route.go setTimeout writes it: none unless the mesh file gives one (Envoy's own
   * default would cut every request at 15 s; Istio's VirtualService timeout defaults to disabled), and for gRPC
   * requests their grpc-timeout header, capped at the route's timeout (0: uncapped). Istio writes the deprecated
   * {@code max_grpc_timeout} for that ("the replacement MaxStreamDuration has some regressions"); proxyless gRPC
   * clients read only {@code max_stream_duration}.
   */
  @SuppressWarnings("deprecation")
  private static void setTimeout(RouteAction.Builder action, Optional<Duration> timeout, boolean proxyless) {
    com.google.protobuf.Duration t = timeout.map(d -> Durations.fromMillis(d.toMillis())).orElse(NO_TIMEOUT);
    action.setTimeout(t);
    if (proxyless) {
      action.setMaxStreamDuration(RouteAction.MaxStreamDuration.newBuilder().setMaxStreamDuration(t));
    } else {
      action.setMaxGrpcTimeout(t);
    }
  }

  private Route route(Workload w, Mesh.Route r, boolean proxyless) {
    RouteMatch.Builder match = RouteMatch.newBuilder();
    switch (r.match().pathKind()) {
      case PREFIX -> match.setPrefix(r.match().path());
      case EXACT -> match.setPath(r.match().path());
      case REGEX -> match.setSafeRegex(RegexMatcher.newBuilder().setRegex(r.match().path()));
    }
    for (HeaderMatch h : r.match().headers()) {
      match.addHeaders(headerMatcher(h));
    }
    RouteAction.Builder action = RouteAction.newBuilder();
    if (r.destinations().size() == 1) {
      action.setCluster(clusterOf(r.destinations().get(0)));
    } else {
      WeightedCluster.Builder split = WeightedCluster.newBuilder();
      for (Destination d : r.destinations()) {
        split.addClusters(WeightedCluster.ClusterWeight.newBuilder()
            .setName(clusterOf(d))
            .setWeight(UInt32Value.of(d.weight())));
      }
      action.setWeightedClusters(split);
    }
    setTimeout(action, r.timeout(), proxyless);
    boolean inbound = r.destinations().stream().allMatch(d -> d.localPort() > 0);
    if (inbound && r.retries().isEmpty()) {
      inboundDefaultRetry(action, w, r.destinations().stream().map(Destination::localPort).toList());
    } else {
      retryPolicy(r.retries(), proxyless).ifPresent(action::setRetryPolicy);
    }
    for (Mesh.RateLimit limit : r.rateLimits()) {
      RateLimit.Builder rl = RateLimit.newBuilder();
      for (RateLimitAction a : limit.actions()) {
        rl.addActions(rateLimitAction(a));
      }
      action.addRateLimits(rl);
    }
    Route.Builder route = Route.newBuilder().setName(r.name()).setMatch(match).setRoute(action);
    r.fault().ifPresent(f -> route.putTypedPerFilterConfig(EnvoyNames.FILTER_FAULT, Any.pack(fault(f))));
    if (!proxyless) {
      route.putAllTypedPerFilterConfig(envoyPerFilter(w, r.name(), r.extAuthz(), r.jwtProvider()));
    }
    return route.build();
  }

  private Map<String, Any> envoyPerFilter(Workload w, String routeName, boolean extAuthz, Optional<String> jwt) {
    Map<String, Any> perFilter = new TreeMap<>();
    if (mesh.switchyard().extAuthz().isPresent()) {
      if (extAuthz) {
        // Per-route settings replace (not merge with) less specific ones, so every route carries the full set.
        CheckSettings.Builder check = CheckSettings.newBuilder()
            .putContextExtensions("namespace", w.namespace())
            .putContextExtensions("workload", w.name())
            .putContextExtensions("service_account", w.serviceAccount())
            .putContextExtensions("route", routeName);
        new TreeMap<>(w.labels()).forEach((k, v) -> check.putContextExtensions("label." + k, v));
        perFilter.put(EnvoyNames.FILTER_EXT_AUTHZ, Any.pack(ExtAuthzPerRoute.newBuilder().setCheckSettings(check).build()));
      } else {
        perFilter.put(EnvoyNames.FILTER_EXT_AUTHZ, Any.pack(ExtAuthzPerRoute.newBuilder().setDisabled(true).build()));
      }
    }
    if (!mesh.jwtProviders().isEmpty()) {
      perFilter.put(EnvoyNames.FILTER_JWT, Any.pack(jwt
          .map(p -> PerRouteConfig.newBuilder().setRequirementName(p).build())
          .orElseGet(() -> PerRouteConfig.newBuilder().setDisabled(true).build())));
    }
    return perFilter;
  }

  private static HTTPFault fault(Mesh.Fault f) {
    HTTPFault.Builder b = HTTPFault.newBuilder();
    f.delay().ifPresent(d -> b.setDelay(FaultDelay.newBuilder()
        .setFixedDelay(Durations.fromMillis(d.fixed().toMillis()))
        .setPercentage(fraction(d.percent()))));
    f.abort().ifPresent(a -> {
      FaultAbort.Builder ab = FaultAbort.newBuilder().setPercentage(fraction(a.percent()));
      if (a.httpStatus() != 0) {
        ab.setHttpStatus(a.httpStatus());
      } else {
        ab.setGrpcStatus(a.grpcStatus());
      }
      b.setAbort(ab);
    });
    return b.build();
  }

  /** Percent with four decimals, as Envoy's MILLION denominator allows (10.5 % = 105000 / 1e6). */
  private static FractionalPercent fraction(double percent) {
    return FractionalPercent.newBuilder()
        .setNumerator((int) Math.round(percent * 10_000))
        .setDenominator(FractionalPercent.DenominatorType.MILLION)
        .build();
  }

  private static HeaderMatcher headerMatcher(HeaderMatch h) {
    HeaderMatcher.Builder b = HeaderMatcher.newBuilder().setName(h.name()).setInvertMatch(h.invert());
    switch (h.kind()) {
      case EXACT -> b.setStringMatch(StringMatcher.newBuilder().setExact(h.value()));
      case PREFIX -> b.setStringMatch(StringMatcher.newBuilder().setPrefix(h.value()));
      case REGEX -> b.setStringMatch(StringMatcher.newBuilder().setSafeRegex(RegexMatcher.newBuilder().setRegex(h.value())));
      case PRESENT -> b.setPresentMatch(true);
    }
    return b.build();
  }

  private static RateLimit.Action rateLimitAction(RateLimitAction a) {
    RateLimit.Action.Builder b = RateLimit.Action.newBuilder();
    if (a instanceof RateLimitAction.RequestHeaders rh) {
      b.setRequestHeaders(RateLimit.Action.RequestHeaders.newBuilder()
          .setHeaderName(rh.headerName()).setDescriptorKey(rh.descriptorKey()).setSkipIfAbsent(rh.skipIfAbsent()));
    } else if (a instanceof RateLimitAction.RemoteAddress) {
      b.setRemoteAddress(RateLimit.Action.RemoteAddress.getDefaultInstance());
    } else if (a instanceof RateLimitAction.GenericKey gk) {
      RateLimit.Action.GenericKey.Builder g = RateLimit.Action.GenericKey.newBuilder().setDescriptorValue(gk.descriptorValue());
      gk.descriptorKey().ifPresent(g::setDescriptorKey);
      b.setGenericKey(g);
    } else if (a instanceof RateLimitAction.HeaderValueMatch hv) {
      RateLimit.Action.HeaderValueMatch.Builder m = RateLimit.Action.HeaderValueMatch.newBuilder()
          .setDescriptorValue(hv.descriptorValue())
          .setExpectMatch(BoolValue.of(hv.expectMatch()));
      hv.descriptorKey().ifPresent(m::setDescriptorKey);
      hv.headers().forEach(h -> m.addHeaders(headerMatcher(h)));
      b.setHeaderValueMatch(m);
    } else if (a instanceof RateLimitAction.DestinationCluster) {
      b.setDestinationCluster(RateLimit.Action.DestinationCluster.getDefaultInstance());
    } else if (a instanceof RateLimitAction.SourceCluster) {
      b.setSourceCluster(RateLimit.Action.SourceCluster.getDefaultInstance());
    } else if (a instanceof RateLimitAction.MaskedRemoteAddress mr) {
      b.setMaskedRemoteAddress(RateLimit.Action.MaskedRemoteAddress.newBuilder()
          .setV4PrefixMaskLen(UInt32Value.of(mr.v4PrefixLength()))
          .setV6PrefixMaskLen(UInt32Value.of(mr.v6PrefixLength())));
    } else if (a instanceof RateLimitAction.MetadataValue md) {
      MetadataKey.Builder key = MetadataKey.newBuilder().setKey(md.filterNamespace());
      md.path().forEach(p -> key.addPath(MetadataKey.PathSegment.newBuilder().setKey(p)));
      RateLimit.Action.MetaData.Builder m = RateLimit.Action.MetaData.newBuilder()
          .setDescriptorKey(md.descriptorKey())
          .setMetadataKey(key)
          .setSource(RateLimit.Action.MetaData.Source.DYNAMIC);
      md.defaultValue().ifPresent(m::setDefaultValue);
      b.setMetadata(m);
    }
    return b.build();
  }

  private static String clusterOf(Destination d) {
    if (d.localPort() > 0) {
      return EnvoyNames.inbound(d.localPort());
    }
    return EnvoyNames.outbound(d.service().orElseThrow(), d.port(), d.subset().orElse(null));
  }

  private static GrpcService grpcService(String cluster, Duration timeout) {
    return GrpcService.newBuilder()
        .setEnvoyGrpc(GrpcService.EnvoyGrpc.newBuilder().setClusterName(cluster))
        .setTimeout(Durations.fromMillis(timeout.toMillis()))
        .build();
  }

  private static HttpFilter filter(String name, Message config) {
    return HttpFilter.newBuilder().setName(name).setTypedConfig(Any.pack(config)).build();
  }

  // ---------------------------------------------------------------- proxyless gRPC

  /**
   * gRPC clients resolve {@code xds:///NAME} by asking LDS for NAME, so each service gets API listeners under the
   * names a client would use. Only filters gRPC implements (fault, router) are sent; ext_authz, rate limiting,
   * JWT, access logging and tracing are Envoy features and are left out.
   */
  private EnvoyResources proxyless(Workload w, Map<String, Cluster> clusters,
      Map<String, ClusterLoadAssignment> endpoints) {
    List<Listener> listeners = new ArrayList<>();
    List<RouteConfiguration> routes = new ArrayList<>();
    for (Service s : mesh.services()) {
      for (int i = 0; i < s.ports().size(); i++) {
        ServicePort p = s.ports().get(i);
        Set<String> names = new LinkedHashSet<>();
        String base = s.namespace().equals(w.namespace()) ? s.name() : s.name() + "." + s.namespace();
        if (i == 0) {
          names.add(base);
        }
        names.add(base + ":" + p.port());
        names.add(s.fqdn() + ":" + p.port());
        List<Route> serviceRoutes = new ArrayList<>();
        boolean anyFault = false;
        for (Mesh.Route r : w.routes()) {
          Destination first = r.destinations().get(0);
          if (first.service().isPresent() && first.service().get().equals(s) && first.port() == p.port()) {
            serviceRoutes.add(route(w, r, true));
            anyFault |= r.fault().isPresent();
          }
        }
        serviceRoutes.add(Route.newBuilder()
            .setName("default")
            .setMatch(RouteMatch.newBuilder().setPrefix(""))
            .setRoute(RouteAction.newBuilder().setCluster(EnvoyNames.outbound(s, p.port(), null)))
            .build());
        for (String name : names) {
          HttpConnectionManager.Builder hcm = HttpConnectionManager.newBuilder()
              .setRds(Rds.newBuilder().setRouteConfigName(name).setConfigSource(ADS));
          if (anyFault) {
            hcm.addHttpFilters(filter(EnvoyNames.FILTER_FAULT, HTTPFault.getDefaultInstance()));
          }
          hcm.addHttpFilters(filter(EnvoyNames.FILTER_ROUTER, Router.getDefaultInstance()));
          listeners.add(Listener.newBuilder()
              .setName(name)
              .setApiListener(ApiListener.newBuilder().setApiListener(Any.pack(hcm.build())))
              .build());
          routes.add(RouteConfiguration.newBuilder()
              .setName(name)
              .addVirtualHosts(VirtualHost.newBuilder().setName(name).addDomains(name).addAllRoutes(serviceRoutes))
              .build());
        }
      }
    }
    return new EnvoyResources(w.nodeGroup(), List.copyOf(clusters.values()), List.copyOf(endpoints.values()),
        listeners, routes);
  }
}
