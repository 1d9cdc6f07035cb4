package io.switchyard.xds.mesh;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A validated mesh file: immutable, every cross reference resolved (routes name services and ports that exist,
 * JWT requirements name declared providers, each node group belongs to exactly one workload). See docs/xds.md.
 */
public record Mesh(
    String trustDomain,
    SwitchyardEndpoints switchyard,
    List<JwtProvider> jwtProviders,
    List<Service> services,
    List<Workload> workloads) {

  public Mesh {
    jwtProviders = List.copyOf(jwtProviders);
    services = List.copyOf(services);
    workloads = List.copyOf(workloads);
  }

  public Optional<Workload> workloadForNodeGroup(String nodeGroup) {
    return workloads.stream().filter(w -> w.nodeGroup().equals(nodeGroup)).findFirst();
  }

  public Optional<Service> service(String name, String namespace) {
    return services.stream().filter(s -> s.name().equals(name) && s.namespace().equals(namespace)).findFirst();
  }

  /** Where Switchyard's own gRPC services listen, as seen from the proxies. Each part is optional. */
  public record SwitchyardEndpoints(
      Optional<GrpcTarget> extAuthz,
      Optional<GrpcTarget> rateLimit,
      Optional<GrpcTarget> accessLog,
      Optional<GrpcTarget> otlp,
      double tracingSamplePercent,
      AccessLogger defaultAccessLogger) {}

  /**
   * Which access loggers an Envoy listener gets: Envoy's gRPC access log service to {@code switchyard.accessLog}
   * (ALS), Envoy's OpenTelemetry access logger to {@code switchyard.otlp} emitting ingest's attribute contract, both,
   * or none.
   */
  public enum AccessLogger {
    NONE, ALS, OTEL, BOTH;

    public boolean als() {
      return this == ALS || this == BOTH;
    }

    public boolean otel() {
      return this == OTEL || this == BOTH;
    }
  }

  /** A host (IP or DNS name) and port, plus the call timeout Envoy applies. */
  public record GrpcTarget(String host, int port, Duration timeout) {}

  /** {@code jwksCaFile}: the CA bundle, on the proxy's file system, that verifies an https JWKS server. */
  public record JwtProvider(
      String name,
      String issuer,
      List<String> audiences,
      Optional<String> jwksUri,
      String jwksCaFile,
      Optional<String> localJwks,
      Optional<String> forwardPayloadHeader) {}

  public record Service(
      String name,
      String namespace,
      List<ServicePort> ports,
      List<Endpoint> endpoints,
      Optional<OutlierDetection> outlierDetection,
      Duration connectTimeout) {

    /**
     * Istio's meshConfig.connectTimeout default (pkg/config/mesh/mesh.go), which its clusters get unless a
     * DestinationRule sets connectionPool.tcp.connectTimeout: shorter, a connection whose first SYN was lost (resent
     * after 1 s) fails.
     */
    public static final Duration ISTIO_DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    public String fqdn() {
      return name + "." + namespace + ".svc.cluster.local";
    }
  }

  /** A port's protocol, spelled in the mesh file as Istio spells it ({@code grpc-web} for GRPC_WEB). */
  public enum Protocol {
    HTTP, HTTP2, GRPC, GRPC_WEB;

    /** Istio's {@code protocol.IsGRPC()}: grpc-web is gRPC too. */
    public boolean isGrpc() {
      return this == GRPC || this == GRPC_WEB;
    }

    /** Istio's {@code protocol.IsHTTP2()}: spoken to over HTTP/2. */
    public boolean isHttp2() {
      return this != HTTP;
    }
  }

  public record ServicePort(String name, int port, Protocol protocol) {}

  /** {@code port} 0 means "the service port". */
  public record Endpoint(String address, int port, Map<String, String> labels, int weight) {}

  /** {@code minHealthPercent}: Envoy's healthy panic threshold for the cluster (0 switches panic mode off). */
  public record OutlierDetection(
      int consecutive5xx,
      int consecutiveGatewayErrors,
      Duration interval,
      Duration baseEjectionTime,
      int maxEjectionPercent,
      int minHealthPercent) {}

  /**
   * {@code gateway}: an edge proxy (Istio's router) rather than a sidecar; {@code numTrustedProxies}: how many
   * proxies in front of that gateway append to X-Forwarded-For (Istio's {@code gatewayTopology.numTrustedProxies}),
   * 0 unless a gateway says otherwise; {@code forwardClientCertDetails}: X-Forwarded-Client-Cert handling, on a gateway
   * Istio's {@code gatewayTopology.forwardClientCertDetails} (SANITIZE_SET unless given), on a sidecar serving its app
   * Istio's {@code proxyHeaders.forwardedClientCert} when given (empty: APPEND_FORWARD, Istio's default);
   * {@code appProtocols}: the protocol of each app port that declares one (Istio's Service port protocol); a port
   * missing from it is Istio's undeclared protocol.
   */
  public record Workload(
      String name,
      String namespace,
      String serviceAccount,
      Map<String, String> labels,
      String nodeGroup,
      boolean proxyless,
      boolean gateway,
      int numTrustedProxies,
      Optional<ForwardClientCertDetails> forwardClientCertDetails,
      int listenerPort,
      String rateLimitDomain,
      AccessLogger accessLogger,
      List<Integer> appPorts,
      Map<Integer, Protocol> appProtocols,
      List<Route> routes) {

    public Workload {
      appPorts = List.copyOf(appPorts);
      appProtocols = Map.copyOf(appProtocols);
      routes = List.copyOf(routes);
    }

    /**
     * Whether the listener takes traffic for the workload's own app (Istio's sidecar inbound listener): a route to a
     * localPort, or, without routes, the default route to the first app port.
     */
    public boolean servesOwnApp() {
      if (routes.isEmpty()) {
        return !appPorts.isEmpty();
      }
      return routes.stream().anyMatch(r -> r.destinations().stream().anyMatch(d -> d.localPort() > 0));
    }

    /** The declared protocol of an app port; empty for a port declared without one. */
    public Optional<Protocol> appProtocol(int port) {
      return Optional.ofNullable(appProtocols.get(port));
    }
  }

  /**
   * Istio's meshconfig {@code ForwardClientCertDetails} (without its UNDEFINED), named as Envoy's HCM enum it maps to:
   * what a proxy does with the X-Forwarded-Client-Cert header of a request that came over mTLS.
   */
  public enum ForwardClientCertDetails { SANITIZE, FORWARD_ONLY, APPEND_FORWARD, SANITIZE_SET, ALWAYS_FORWARD_ONLY }

  public record Route(
      String name,
      Match match,
      List<Destination> destinations,
      Optional<Duration> timeout,
      Optional<Retries> retries,
      Optional<Fault> fault,
      boolean extAuthz,
      Optional<String> jwtProvider,
      List<RateLimit> rateLimits) {}

  public enum PathKind { PREFIX, EXACT, REGEX }

  public record Match(PathKind pathKind, String path, List<HeaderMatch> headers) {}

  public enum HeaderKind { EXACT, PREFIX, REGEX, PRESENT }

  public record HeaderMatch(String name, HeaderKind kind, String value, boolean invert) {}

  /**
   * Either a service port (optionally one version subset: endpoints labelled {@code version=<subset>}) or, with
   * {@code localPort > 0}, the workload's own application port (Istio's inbound cluster).
   */
  public record Destination(Optional<Service> service, int port, Optional<String> subset, int localPort, int weight) {}

  /**
   * {@code retryOn}: the Envoy retry conditions as written (comma-separated, possibly empty);
   * {@code retriableStatusCodes}: the HTTP status codes the mesh file listed among them.
   */
  public record Retries(int attempts, Optional<Duration> perTryTimeout, String retryOn,
      List<Integer> retriableStatusCodes) {
    /**
     * Istio's default retry policy (route/retry/retry.go): the conditions of a route without retries, or of retries
     * without retryOn, and the attempts of a route without retries.
     */
    public static final String ISTIO_DEFAULT_RETRY_ON = "connect-failure,refused-stream,unavailable,cancelled,"
        + "retriable-status-codes";
    public static final int ISTIO_DEFAULT_RETRY_ATTEMPTS = 2;
    /** Of Istio's default conditions, those a proxyless gRPC client acts on (gRFC A44 reads only gRPC codes). */
    public static final String PROXYLESS_DEFAULT_RETRY_ON = "unavailable,cancelled";

    public Retries {
      retriableStatusCodes = List.copyOf(retriableStatusCodes);
    }
  }

  public record Fault(Optional<Delay> delay, Optional<Abort> abort) {}

  public record Delay(double percent, Duration fixed) {}

  /** {@code httpStatus} or {@code grpcStatus}: exactly one is non-zero ({@code grpcStatus} may be any code 1-16). */
  public record Abort(double percent, int httpStatus, int grpcStatus) {}

  public record RateLimit(List<RateLimitAction> actions) {}

  /** The Envoy rate-limit action vocabulary; see docs/xds.md for the descriptor each one emits. */
  public sealed interface RateLimitAction {
    record RequestHeaders(String headerName, String descriptorKey, boolean skipIfAbsent) implements RateLimitAction {}

    record RemoteAddress() implements RateLimitAction {}

    record GenericKey(String descriptorValue, Optional<String> descriptorKey) implements RateLimitAction {}

    record HeaderValueMatch(String descriptorValue, Optional<String> descriptorKey, boolean expectMatch,
        List<HeaderMatch> headers) implements RateLimitAction {}

    record DestinationCluster() implements RateLimitAction {}

    record SourceCluster() implements RateLimitAction {}

    record MaskedRemoteAddress(int v4PrefixLength, int v6PrefixLength) implements RateLimitAction {}

    record MetadataValue(String descriptorKey, String filterNamespace, List<String> path, Optional<String> defaultValue)
        implements RateLimitAction {}
  }
}
