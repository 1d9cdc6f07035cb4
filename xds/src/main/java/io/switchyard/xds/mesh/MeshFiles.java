package io.switchyard.xds.mesh;

import io.switchyard.xds.mesh.Mesh.Abort;
import io.switchyard.xds.mesh.Mesh.AccessLogger;
import io.switchyard.xds.mesh.Mesh.Delay;
import io.switchyard.xds.mesh.Mesh.Destination;
import io.switchyard.xds.mesh.Mesh.Endpoint;
import io.switchyard.xds.mesh.Mesh.Fault;
import io.switchyard.xds.mesh.Mesh.ForwardClientCertDetails;
import io.switchyard.xds.mesh.Mesh.GrpcTarget;
import io.switchyard.xds.mesh.Mesh.HeaderKind;
import io.switchyard.xds.mesh.Mesh.HeaderMatch;
import io.switchyard.xds.mesh.Mesh.JwtProvider;
import io.switchyard.xds.mesh.Mesh.Match;
import io.switchyard.xds.mesh.Mesh.OutlierDetection;
import io.switchyard.xds.mesh.Mesh.PathKind;
import io.switchyard.xds.mesh.Mesh.Protocol;
import io.switchyard.xds.mesh.Mesh.RateLimit;
import io.switchyard.xds.mesh.Mesh.RateLimitAction;
import io.switchyard.xds.mesh.Mesh.Retries;
import io.switchyard.xds.mesh.Mesh.Route;
import io.switchyard.xds.mesh.Mesh.Service;
import io.switchyard.xds.mesh.Mesh.ServicePort;
import io.switchyard.xds.mesh.Mesh.SwitchyardEndpoints;
import io.switchyard.xds.mesh.Mesh.Workload;
import io.switchyard.model.DefaultPorts;
import io.switchyard.serverkit.config.ConfigException;
import io.switchyard.serverkit.config.ConfigFiles;
import io.switchyard.serverkit.config.YamlPositions;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.reader.ReaderException;

/** Reads and validates mesh files. Every error names the file, the line and the field. */
public final class MeshFiles {
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");
  private static final Pattern LABEL_KEY = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?");
  private static final Pattern HEADER = Pattern.compile(":?[a-z0-9!#$%&'*+\\-.^_`|~]+");
  /** Istio's validation refuses longer regexes (pkg/config/validation validateStringRegexp). */
  static final int MAX_REGEX_BYTES = 1024;
  /**
   * re2.max_program_size.error_level in Istio's bootstrap (pkg/bootstrap/config.go) and deploy/envoy/bootstrap.yaml;
   * Envoy's own default is 100.
   */
  static final long MAX_RE2_PROGRAM_SIZE = 32768;
  private static final Duration DEFAULT_GRPC_TIMEOUT = Duration.ofMillis(250);
  private static final Duration DEFAULT_RLS_TIMEOUT = Duration.ofMillis(50);
  /** The retry conditions Istio's VirtualService validation accepts (Envoy's x-envoy-retry-on and -grpc-on). */
  private static final Set<String> RETRY_ON = Set.of("5xx", "gateway-error", "reset", "reset-before-request",
      "connect-failure", "retriable-4xx", "refused-stream", "retriable-status-codes", "retriable-headers",
      "envoy-ratelimited", "http3-post-connect-failure", "cancelled", "deadline-exceeded", "internal",
      "resource-exhausted", "unavailable");
  /**
   * The codes Go's http.StatusText knows, which is how Istio tells a status code from a retry condition: any other
   * number is rejected.
   */
  private static final Set<Integer> HTTP_STATUS_CODES = Set.of(100, 101, 102, 103,
      200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
      300, 301, 302, 303, 304, 305, 307, 308,
      400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418,
      421, 422, 423, 424, 425, 426, 428, 429, 431, 451,
      500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511);
  /** Debian's (and most distributions') system CA bundle, as Envoy images ship it. */
  public static final String SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

  private MeshFiles() {}

  public static Mesh load(Path file) throws MeshFileException {
    String text;
    try {
      text = ConfigFiles.readText(file);
    } catch (IOException e) {
      throw new MeshFileException(file, 0, 0, "cannot read mesh file: " + ConfigFiles.why(e));
    } catch (ConfigException e) {
      throw new MeshFileException(file, e.line(), e.column(), e.reason());
    }
    return parse(file, text);
  }

  public static Mesh parse(Path file, String text) throws MeshFileException {
    org.yaml.snakeyaml.nodes.Node root;
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    try (Reader r = new StringReader(text)) {
      root = new Yaml(options).compose(r);
    } catch (MarkedYAMLException e) {
      int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
      int col = e.getProblemMark() == null ? 0 : e.getProblemMark().getColumn() + 1;
      // The problem is often found lines after the edit that caused it (an unclosed brace or bracket); the
      // context mark is where the construct the parser was in began, so name that line too.
      String context = e.getContext() == null || e.getContextMark() == null ? ""
          : " (" + e.getContext() + " started at line " + (e.getContextMark().getLine() + 1)
              + ", column " + (e.getContextMark().getColumn() + 1) + ")";
      throw new MeshFileException(file, line, col, "invalid YAML: " + e.getProblem() + context);
    } catch (ReaderException e) {
      // The reader (a control character, a lone surrogate) reports a code point offset, not a mark.
      int[] at = YamlPositions.ofCodePoint(text, e.getPosition());
      throw new MeshFileException(file, at[0], at[1], "invalid YAML: " + e.getMessage().strip() + " (U+"
          + String.format("%04X", e.getCodePoint()) + ")");
    } catch (YAMLException | IOException e) {
      int[] at = e.getMessage() != null && e.getMessage().startsWith("Nesting Depth exceeded")
          ? YamlPositions.firstNestedDeeperThan(text, options.getNestingDepthLimit()) : new int[] {0, 0};
      throw new MeshFileException(file, at[0], at[1], "invalid YAML: " + e.getMessage());
    }
    if (root == null) {
      throw new MeshFileException(file, 1, 1, "mesh file is empty");
    }
    return new Parser().mesh(new Node(file, root, ""));
  }

  private static final class Parser {
    private final Map<String, Service> services = new HashMap<>();

    Mesh mesh(Node root) throws MeshFileException {
      Node.Mapping m = root.mapping();
      String trustDomain = m.string("trustDomain", "cluster.local");
      SwitchyardEndpoints sy = switchyard(m.optional("switchyard"));
      List<JwtProvider> providers = new ArrayList<>();
      Set<String> providerNames = new HashSet<>();
      Node jwt = m.optional("jwtProviders");
      for (Node n : jwt == null ? List.<Node>of() : jwt.list()) {
        JwtProvider p = jwtProvider(n);
        if (!providerNames.add(p.name())) {
          throw n.error("duplicate JWT provider '" + p.name() + "'");
        }
        providers.add(p);
      }
      List<Service> serviceList = new ArrayList<>();
      Node svc = m.optional("services");
      for (Node n : svc == null ? List.<Node>of() : svc.list()) {
        Service s = service(n);
        if (services.put(s.name() + "/" + s.namespace(), s) != null) {
          throw n.error("duplicate service '" + s.name() + "' in namespace '" + s.namespace() + "'");
        }
        serviceList.add(s);
      }
      List<Workload> workloads = new ArrayList<>();
      Map<String, String> groups = new HashMap<>();
      for (Node n : m.required("workloads").list()) {
        Workload w = workload(n, sy, providerNames);
        String previous = groups.put(w.nodeGroup(), w.name());
        if (previous != null) {
          // Every proxy of a group receives the same snapshot, so a group can carry only one workload identity.
          throw n.error("node group '" + w.nodeGroup() + "' is already used by workload '" + previous
              + "'; every node group belongs to exactly one workload");
        }
        workloads.add(w);
      }
      m.done();
      return new Mesh(trustDomain, sy, providers, serviceList, workloads);
    }

    SwitchyardEndpoints switchyard(Node n) throws MeshFileException {
      if (n == null) {
        return new SwitchyardEndpoints(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), 100,
            AccessLogger.NONE);
      }
      Node.Mapping m = n.mapping();
      Optional<GrpcTarget> authz = target(m.optional("extAuthz"), DefaultPorts.EXT_AUTHZ_GRPC, DEFAULT_GRPC_TIMEOUT);
      Optional<GrpcTarget> rls = target(m.optional("rateLimit"), DefaultPorts.RATELIMIT_GRPC, DEFAULT_RLS_TIMEOUT);
      Optional<GrpcTarget> als = target(m.optional("accessLog"), DefaultPorts.ACCESS_LOG_GRPC, DEFAULT_GRPC_TIMEOUT);
      double sample = 100;
      Optional<GrpcTarget> otlp = Optional.empty();
      Node o = m.optional("otlp");
      if (o != null) {
        Node.Mapping om = o.mapping();
        Node sp = om.optional("samplePercent");
        sample = sp == null ? 100 : sp.percent();
        otlp = Optional.of(targetFields(om, DefaultPorts.OTLP_GRPC, DEFAULT_GRPC_TIMEOUT));
        om.done();
      }
      Node chosen = m.optional("accessLogger");
      AccessLogger logger = chosen == null ? (als.isPresent() ? AccessLogger.ALS : AccessLogger.NONE)
          : accessLogger(chosen, als.isPresent(), otlp.isPresent());
      m.done();
      return new SwitchyardEndpoints(authz, rls, als, otlp, sample, logger);
    }

    /** Spelled exactly as Istio's ProxyConfig takes it (the proto enum names), so a value can be copied over. */
    static ForwardClientCertDetails forwardClientCertDetails(Node n, boolean gateway) throws MeshFileException {
      String s = n.nonEmptyString();
      for (ForwardClientCertDetails c : ForwardClientCertDetails.values()) {
        if (c.name().equals(s)) {
          return c;
        }
      }
      List<String> allowed = new ArrayList<>();
      for (ForwardClientCertDetails c : ForwardClientCertDetails.values()) {
        allowed.add(c.name());
      }
      throw n.error("'" + s + "' is not one of " + String.join(", ", allowed)
          + " (leave forwardClientCertDetails out for Istio's default, " + (gateway ? "SANITIZE_SET" : "APPEND_FORWARD")
          + ")");
    }

    /** {@code als | otel | both | none}, each checked against the targets that are configured. */
    static AccessLogger accessLogger(Node n, boolean alsTarget, boolean otlpTarget) throws MeshFileException {
      AccessLogger logger = enumValue(n, AccessLogger.class, AccessLogger.NONE);
      if (logger.als() && !alsTarget) {
        throw n.error("accessLogger '" + n.string() + "' needs switchyard.accessLog (the ALS target)");
      }
      if (logger.otel() && !otlpTarget) {
        throw n.error("accessLogger '" + n.string() + "' needs switchyard.otlp (the OTLP target)");
      }
      return logger;
    }

    Optional<GrpcTarget> target(Node n, int defaultPort, Duration defaultTimeout) throws MeshFileException {
      if (n == null) {
        return Optional.empty();
      }
      Node.Mapping m = n.mapping();
      GrpcTarget t = targetFields(m, defaultPort, defaultTimeout);
      m.done();
      return Optional.of(t);
    }

    GrpcTarget targetFields(Node.Mapping m, int defaultPort, Duration defaultTimeout) throws MeshFileException {
      String host = m.string("host", "127.0.0.1");
      int port = m.integer("port", defaultPort, 1, 65535);
      Duration timeout = positive(m, "timeout", defaultTimeout);
      return new GrpcTarget(host, port, timeout);
    }

    JwtProvider jwtProvider(Node n) throws MeshFileException {
      Node.Mapping m = n.mapping();
      String name = name(m.required("name"));
      String issuer = m.required("issuer").nonEmptyString();
      Node aud = m.optional("audiences");
      List<String> audiences = aud == null ? List.of() : aud.stringList();
      String which = m.oneOf("jwksUri", "localJwks");
      Optional<String> uri = Optional.empty();
      Optional<String> local = Optional.empty();
      String caFile = SYSTEM_CA_BUNDLE;
      Node ca = m.optional("jwksCaFile");
      if (ca != null) {
        caFile = ca.nonEmptyString();
        if (!caFile.startsWith("/")) {
          throw ca.error("jwksCaFile must be an absolute path on the proxy's host, got '" + caFile + "'");
        }
        Node u = m.optional("jwksUri");
        if (u == null || !u.nonEmptyString().startsWith("https:")) {
          throw ca.error("jwksCaFile only applies to an https jwksUri");
        }
      }
      if (which.equals("jwksUri")) {
        Node u = m.required("jwksUri");
        String value = u.nonEmptyString();
        try {
          java.net.URI parsed = new java.net.URI(value);
          if (!("https".equals(parsed.getScheme()) || "http".equals(parsed.getScheme())) || parsed.getHost() == null) {
            throw u.error("jwksUri must be an http(s) URL with a host, got '" + value + "'");
          }
        } catch (java.net.URISyntaxException e) {
          throw u.error("jwksUri is not a URL: " + e.getMessage());
        }
        uri = Optional.of(value);
      } else {
        local = Optional.of(m.required("localJwks").nonEmptyString());
      }
      Optional<String> forward = Optional.ofNullable(m.optional("forwardPayloadHeader") == null ? null
          : header(m.optional("forwardPayloadHeader")));
      m.done();
      return new JwtProvider(name, issuer, audiences, uri, caFile, local, forward);
    }

    Service service(Node n) throws MeshFileException {
      Node.Mapping m = n.mapping();
      String name = name(m.required("name"));
      String namespace = name(m.required("namespace"));
      List<ServicePort> ports = new ArrayList<>();
      Set<Integer> seen = new HashSet<>();
      Node portsNode = m.required("ports");
      for (Node p : portsNode.list()) {
        Node.Mapping pm = p.mapping();
        int port = pm.required("port").integer(1, 65535);
        if (!seen.add(port)) {
          throw p.error("duplicate port " + port);
        }
        String portName = pm.string("name", "port-" + port);
        Protocol protocol = enumValue(pm.optional("protocol"), Protocol.class, Protocol.HTTP);
        pm.done();
        ports.add(new ServicePort(portName, port, protocol));
      }
      if (ports.isEmpty()) {
        throw portsNode.error("a service needs at least one port");
      }
      List<Endpoint> endpoints = new ArrayList<>();
      Node eps = m.optional("endpoints");
      for (Node e : eps == null ? List.<Node>of() : eps.list()) {
        Node.Mapping em = e.mapping();
        String address = em.required("address").nonEmptyString();
        int port = em.integer("port", 0, 1, 65535);
        Node l = em.optional("labels");
        Map<String, String> labels = l == null ? Map.of() : labels(l);
        int weight = em.integer("weight", 1, 1, 128);
        em.done();
        endpoints.add(new Endpoint(address, port, labels, weight));
      }
      Optional<OutlierDetection> outlier = Optional.empty();
      Node od = m.optional("outlierDetection");
      if (od != null) {
        Node.Mapping om = od.mapping();
        outlier = Optional.of(new OutlierDetection(
            om.integer("consecutive5xx", 5, 0, 1_000_000),
            om.integer("consecutiveGatewayErrors", 0, 0, 1_000_000),
            positive(om, "interval", Duration.ofSeconds(10)),
            positive(om, "baseEjectionTime", Duration.ofSeconds(30)),
            om.integer("maxEjectionPercent", 10, 0, 100),
            om.integer("minHealthPercent", 0, 0, 100)));
        om.done();
      }
      Duration connectTimeout = positive(m, "connectTimeout", Service.ISTIO_DEFAULT_CONNECT_TIMEOUT);
      m.done();
      return new Service(name, namespace, ports, endpoints, outlier, connectTimeout);
    }

    Workload workload(Node n, SwitchyardEndpoints sy, Set<String> providers) throws MeshFileException {
      Node.Mapping m = n.mapping();
      String name = name(m.required("name"));
      String namespace = name(m.required("namespace"));
      String sa = m.optional("serviceAccount") == null ? "default" : name(m.optional("serviceAccount"));
      Node l = m.optional("labels");
      Map<String, String> labels = l == null ? Map.of() : labels(l);
      String group = m.optional("nodeGroup") == null ? name : name(m.optional("nodeGroup"));
      boolean proxyless = m.bool("proxyless", false);
      boolean gateway = m.bool("gateway", false);
      if (gateway && proxyless) {
        throw m.required("gateway").error("a proxyless gRPC client is not a gateway; remove gateway or proxyless");
      }
      Node trusted = m.optional("numTrustedProxies");
      int numTrustedProxies = 0;
      if (trusted != null) {
        if (!gateway) {
          // Istio reads gatewayTopology only on gateways: a sidecar never uses the remote address.
          throw trusted.error("numTrustedProxies applies to edge gateways only; set gateway: true");
        }
        numTrustedProxies = trusted.integer(0, 100);
      }
      Optional<ForwardClientCertDetails> xfcc = gateway
          ? Optional.of(ForwardClientCertDetails.SANITIZE_SET) : Optional.empty();
      Node fcc = m.optional("forwardClientCertDetails");
      if (fcc != null) {
        if (proxyless) {
          throw fcc.error("proxyless gRPC clients have no listener to forward client certificates on; remove "
              + "forwardClientCertDetails");
        }
        // A gateway's is Istio's gatewayTopology.forwardClientCertDetails, a sidecar's its
        // proxyHeaders.forwardedClientCert (checked below, once the routes say whether the listener serves the app).
        xfcc = Optional.of(forwardClientCertDetails(fcc, gateway));
      }
      int listenerPort = m.integer("listenerPort", 15001, 1, 65535);
      String domain = m.optional("rateLimitDomain") == null ? group : m.required("rateLimitDomain").nonEmptyString();
      AccessLogger logger = proxyless ? AccessLogger.NONE : sy.defaultAccessLogger();
      Node al = m.optional("accessLogger");
      if (al != null) {
        if (proxyless) {
          throw al.error("proxyless gRPC clients do not write access logs; remove accessLogger");
        }
        logger = accessLogger(al, sy.accessLog().isPresent(), sy.otlp().isPresent());
      }
      List<Integer> appPorts = new ArrayList<>();
      Map<Integer, Protocol> appProtocols = new HashMap<>();
      Node ap = m.optional("appPorts");
      for (Node p : ap == null ? List.<Node>of() : ap.list()) {
        int port;
        if (p.isMapping()) {
          // {port, protocol}: the protocol Istio reads from the Service port (appProtocol or name prefix). Only the
          // HTTP family: the workload's listener is an HTTP connection manager, where Istio would build a TCP proxy.
          Node.Mapping pm = p.mapping();
          port = pm.required("port").integer(1, 65535);
          Node protocol = pm.optional("protocol");
          if (protocol != null) {
            appProtocols.put(port, enumValue(protocol, Protocol.class, Protocol.HTTP));
          }
          pm.done();
        } else {
          port = p.integer(1, 65535);
        }
        if (appPorts.contains(port)) {
          throw p.error("duplicate app port " + port);
        }
        appPorts.add(port);
      }
      List<Route> routes = new ArrayList<>();
      Set<String> routeNames = new HashSet<>();
      Node rs = m.optional("routes");
      for (Node r : rs == null ? List.<Node>of() : rs.list()) {
        Route route = route(r, namespace, appPorts, sy, providers, proxyless, routes.size());
        if (!routeNames.add(route.name())) {
          throw r.error("duplicate route name '" + route.name() + "'");
        }
        routes.add(route);
      }
      m.done();
      Workload w = new Workload(name, namespace, sa, labels, group, proxyless, gateway, numTrustedProxies, xfcc,
          listenerPort, domain, logger, appPorts, appProtocols, routes);
      if (fcc != null && !gateway && !w.servesOwnApp()) {
        // Istio reads proxyHeaders.forwardedClientCert on a sidecar's inbound listeners only; its outbound ones ignore it.
        throw fcc.error("forwardClientCertDetails applies to a sidecar's inbound listener (a route to a localPort, or "
            + "appPorts and no routes), as Istio's proxyHeaders.forwardedClientCert, or to an edge gateway (gateway: "
            + "true); this listener only calls out");
      }
      return w;
    }

    Route route(Node n, String namespace, List<Integer> appPorts, SwitchyardEndpoints sy, Set<String> providers,
        boolean proxyless, int index) throws MeshFileException {
      Node.Mapping m = n.mapping();
      String name = m.optional("name") == null ? "route-" + index : name(m.optional("name"));
      Match match = match(m.optional("match"));
      Node toNode = m.required("to");
      List<Destination> destinations = new ArrayList<>();
      for (Node d : toNode.list()) {
        destinations.add(destination(d, namespace, appPorts));
      }
      if (destinations.isEmpty()) {
        throw toNode.error("a route needs at least one destination");
      }
      if (destinations.size() > 1 && destinations.stream().mapToInt(Destination::weight).sum() == 0) {
        throw toNode.error("weights of a traffic split must not all be 0");
      }
      Optional<Duration> timeout = Optional.ofNullable(m.optional("timeout") == null ? null : positive(m, "timeout", null));
      Optional<Retries> retries = Optional.empty();
      Node rn = m.optional("retries");
      if (rn != null) {
        Node.Mapping rm = rn.mapping();
        int attempts = rm.required("attempts").integer(0, 100);
        Optional<Duration> perTry = Optional.ofNullable(rm.optional("perTryTimeout") == null ? null
            : positive(rm, "perTryTimeout", null));
        Node onNode = rm.optional("retryOn");
        if (attempts == 0 && (onNode != null || rm.optional("perTryTimeout") != null)) {
          // As Istio's VirtualService validation: 0 attempts switches retries off, so the rest would mean nothing.
          throw (onNode != null ? onNode : rm.required("perTryTimeout"))
              .error("http retry policy configured when attempts are set to 0 (disabled)");
        }
        String on = onNode == null ? (proxyless ? Retries.PROXYLESS_DEFAULT_RETRY_ON : Retries.ISTIO_DEFAULT_RETRY_ON)
            : onNode.nonEmptyString();
        List<String> conditions = new ArrayList<>();
        List<Integer> codes = new ArrayList<>();
        // As Istio's VirtualService validation and retry translation read retryOn: each entry is an Envoy retry
        // condition or an HTTP status code; a code becomes a retriable status code (Envoy ignores one in retry_on).
        for (String entry : on.split(",", -1)) {
          Integer code = httpStatusCode(entry);
          if (code != null) {
            codes.add(code);
          } else if (RETRY_ON.contains(entry)) {
            conditions.add(entry);
          } else {
            throw onNode.error("'" + entry + "' is not a valid retryOn policy (an Envoy retry condition such as "
                + "5xx, reset, connect-failure, retriable-4xx, unavailable, or an HTTP status code; comma-separated, "
                + "no spaces)");
          }
        }
        rm.done();
        retries = Optional.of(new Retries(attempts, perTry, String.join(",", conditions), codes));
      }
      Optional<Fault> fault = Optional.empty();
      Node fn = m.optional("fault");
      if (fn != null) {
        fault = Optional.of(fault(fn));
      }
      Node az = m.optional("extAuthz");
      boolean extAuthz;
      if (az == null) {
        extAuthz = sy.extAuthz().isPresent() && !proxyless;
      } else {
        extAuthz = az.bool();
        if (extAuthz && sy.extAuthz().isEmpty()) {
          throw az.error("route asks for ext_authz but switchyard.extAuthz is not configured");
        }
        if (extAuthz && proxyless) {
          throw az.error("proxyless gRPC clients do not run ext_authz; set extAuthz: false or use an Envoy");
        }
      }
      Optional<String> jwt = Optional.empty();
      Node jn = m.optional("jwt");
      if (jn != null) {
        String p = jn.nonEmptyString();
        if (!providers.contains(p)) {
          throw jn.error("unknown JWT provider '" + p + "' (declare it under jwtProviders)");
        }
        if (proxyless) {
          throw jn.error("proxyless gRPC clients do not run jwt_authn");
        }
        jwt = Optional.of(p);
      }
      List<RateLimit> limits = new ArrayList<>();
      Node rl = m.optional("rateLimits");
      if (rl != null) {
        if (sy.rateLimit().isEmpty()) {
          throw rl.error("route declares rateLimits but switchyard.rateLimit is not configured");
        }
        if (proxyless) {
          throw rl.error("proxyless gRPC clients do not call a rate limit service");
        }
        for (Node one : rl.list()) {
          Node.Mapping lm = one.mapping();
          Node actionsNode = lm.required("actions");
          List<RateLimitAction> actions = new ArrayList<>();
          for (Node a : actionsNode.list()) {
            actions.add(action(a));
          }
          if (actions.isEmpty()) {
            throw actionsNode.error("a rate limit needs at least one action");
          }
          lm.done();
          limits.add(new RateLimit(actions));
        }
      }
      m.done();
      return new Route(name, match, destinations, timeout, retries, fault, extAuthz, jwt, limits);
    }

    Match match(Node n) throws MeshFileException {
      if (n == null) {
        return new Match(PathKind.PREFIX, "/", List.of());
      }
      Node.Mapping m = n.mapping();
      PathKind kind = PathKind.PREFIX;
      String path = "/";
      if (m.has("prefix") || m.has("path") || m.has("regex")) {
        String which = m.oneOf("prefix", "path", "regex");
        Node p = m.required(which);
        path = p.nonEmptyString();
        kind = switch (which) {
          case "prefix" -> PathKind.PREFIX;
          case "path" -> PathKind.EXACT;
          default -> PathKind.REGEX;
        };
        if (kind == PathKind.REGEX) {
          regex(p, path);
        } else if (!path.startsWith("/")) {
          throw p.error("paths start with '/', got '" + path + "'");
        }
      }
      List<HeaderMatch> headers = headerMatches(m.optional("headers"));
      m.done();
      return new Match(kind, path, headers);
    }

    List<HeaderMatch> headerMatches(Node n) throws MeshFileException {
      List<HeaderMatch> out = new ArrayList<>();
      for (Node h : n == null ? List.<Node>of() : n.list()) {
        Node.Mapping hm = h.mapping();
        String name = header(hm.required("name"));
        String which = hm.oneOf("exact", "prefix", "regex", "present");
        Node v = hm.required(which);
        HeaderKind kind = HeaderKind.valueOf(which.toUpperCase(Locale.ROOT));
        String value = kind == HeaderKind.PRESENT ? "" : v.string();
        if (kind == HeaderKind.PRESENT && !v.bool()) {
          throw v.error("use present: true together with invert: true to match an absent header");
        }
        if (kind == HeaderKind.REGEX) {
          regex(v, value);
        }
        boolean invert = hm.bool("invert", false);
        hm.done();
        out.add(new HeaderMatch(name, kind, value, invert));
      }
      return out;
    }

    Destination destination(Node n, String namespace, List<Integer> appPorts) throws MeshFileException {
      Node.Mapping m = n.mapping();
      int weight = m.integer("weight", 1, 0, 1_000_000);
      String which = m.oneOf("service", "localPort");
      if (which.equals("localPort")) {
        Node lp = m.required("localPort");
        int port = lp.integer(1, 65535);
        if (!appPorts.contains(port)) {
          throw lp.error("localPort " + port + " is not one of the workload's appPorts " + appPorts);
        }
        m.done();
        return new Destination(Optional.empty(), 0, Optional.empty(), port, weight);
      }
      Node sn = m.required("service");
      String svcName = sn.nonEmptyString();
      String ns = m.optional("namespace") == null ? namespace : name(m.optional("namespace"));
      Service service = services.get(svcName + "/" + ns);
      if (service == null) {
        throw sn.error("unknown service '" + svcName + "' in namespace '" + ns + "'");
      }
      int port;
      Node pn = m.optional("port");
      if (pn == null) {
        if (service.ports().size() != 1) {
          throw n.error("service '" + svcName + "' has several ports; name one with port:");
        }
        port = service.ports().get(0).port();
      } else {
        port = pn.integer(1, 65535);
        if (service.ports().stream().noneMatch(p -> p.port() == port)) {
          throw pn.error("service '" + svcName + "' has no port " + port);
        }
      }
      Optional<String> subset = Optional.empty();
      Node sub = m.optional("subset");
      if (sub != null) {
        String v = name(sub);
        if (service.endpoints().stream().noneMatch(e -> v.equals(e.labels().get("version")))) {
          throw sub.error("no endpoint of service '" + svcName + "' has label version=" + v);
        }
        subset = Optional.of(v);
      }
      m.done();
      return new Destination(Optional.of(service), port, subset, 0, weight);
    }

    Fault fault(Node n) throws MeshFileException {
      Node.Mapping m = n.mapping();
      Optional<Delay> delay = Optional.empty();
      Node d = m.optional("delay");
      if (d != null) {
        Node.Mapping dm = d.mapping();
        delay = Optional.of(new Delay(dm.required("percent").percent(), positive(dm, "fixed", null)));
        if (!dm.has("fixed")) {
          throw d.error("missing required field 'fixed'");
        }
        dm.done();
      }
      Optional<Abort> abort = Optional.empty();
      Node a = m.optional("abort");
      if (a != null) {
        Node.Mapping am = a.mapping();
        double pct = am.required("percent").percent();
        String which = am.oneOf("httpStatus", "grpcStatus");
        int code = which.equals("httpStatus") ? am.required(which).integer(200, 599) : am.required(which).integer(1, 16);
        am.done();
        abort = Optional.of(which.equals("httpStatus") ? new Abort(pct, code, 0) : new Abort(pct, 0, code));
      }
      if (delay.isEmpty() && abort.isEmpty()) {
        throw n.error("a fault needs a delay, an abort or both");
      }
      m.done();
      return new Fault(delay, abort);
    }

    RateLimitAction action(Node n) throws MeshFileException {
      Node.Mapping m = n.mapping();
      String kind = m.oneOf("requestHeaders", "remoteAddress", "genericKey", "headerValueMatch",
          "destinationCluster", "sourceCluster", "maskedRemoteAddress", "metadata");
      Node body = m.optional(kind);
      m.done();
      Node.Mapping b = body.isNull() ? null : body.mapping();
      RateLimitAction action = switch (kind) {
        case "requestHeaders" -> new RateLimitAction.RequestHeaders(header(need(b, body).required("headerName")),
            b.required("descriptorKey").nonEmptyString(), b.bool("skipIfAbsent", false));
        case "remoteAddress" -> new RateLimitAction.RemoteAddress();
        case "genericKey" -> new RateLimitAction.GenericKey(need(b, body).required("descriptorValue").nonEmptyString(),
            Optional.ofNullable(b.string("descriptorKey", null)));
        case "headerValueMatch" -> {
          Node.Mapping hb = need(b, body);
          String value = hb.required("descriptorValue").nonEmptyString();
          Optional<String> key = Optional.ofNullable(hb.string("descriptorKey", null));
          boolean expect = hb.bool("expectMatch", true);
          Node hs = hb.required("headers");
          List<HeaderMatch> headers = headerMatches(hs);
          if (headers.isEmpty()) {
            throw hs.error("headerValueMatch needs at least one header");
          }
          yield new RateLimitAction.HeaderValueMatch(value, key, expect, headers);
        }
        case "destinationCluster" -> new RateLimitAction.DestinationCluster();
        case "sourceCluster" -> new RateLimitAction.SourceCluster();
        case "maskedRemoteAddress" -> new RateLimitAction.MaskedRemoteAddress(
            b == null ? 32 : b.integer("v4PrefixLength", 32, 0, 32), b == null ? 128 : b.integer("v6PrefixLength", 128, 0, 128));
        default -> {
          Node.Mapping mb = need(b, body);
          String key = mb.required("descriptorKey").nonEmptyString();
          String ns = mb.required("namespace").nonEmptyString();
          List<String> path = mb.required("path").stringList();
          if (path.isEmpty()) {
            throw mb.required("path").error("metadata path needs at least one key");
          }
          yield new RateLimitAction.MetadataValue(key, ns, path, Optional.ofNullable(mb.string("default", null)));
        }
      };
      if (b != null) {
        b.done();
      }
      return action;
    }

    private static Node.Mapping need(Node.Mapping b, Node body) throws MeshFileException {
      if (b == null) {
        throw body.error("expected a mapping");
      }
      return b;
    }

    private static Duration positive(Node.Mapping m, String key, Duration fallback) throws MeshFileException {
      Node n = m.optional(key);
      if (n == null) {
        return fallback;
      }
      Duration d = n.duration();
      if (d.isZero()) {
        throw n.error("must be greater than 0");
      }
      return d;
    }

    private static Integer httpStatusCode(String entry) {
      if (entry.isEmpty() || entry.length() > 3 || !entry.chars().allMatch(c -> c >= '0' && c <= '9')) {
        return null;
      }
      int code = Integer.parseInt(entry);
      return HTTP_STATUS_CODES.contains(code) ? code : null;
    }

    private static String name(Node n) throws MeshFileException {
      String s = n.nonEmptyString();
      if (!NAME.matcher(s).matches() || s.length() > 253) {
        throw n.error("'" + s + "' is not a valid name (lower-case letters, digits, '-' and '.')");
      }
      return s;
    }

    private static String header(Node n) throws MeshFileException {
      String s = n.nonEmptyString();
      if (!HEADER.matcher(s).matches()) {
        throw n.error("'" + s + "' is not a valid lower-case HTTP header name");
      }
      return s;
    }

    private static Map<String, String> labels(Node n) throws MeshFileException {
      Map<String, String> labels = n.stringMap();
      Node.Mapping m = n.mapping();
      for (String key : labels.keySet()) {
        if (!LABEL_KEY.matcher(key).matches()) {
          throw m.required(key).error("'" + key + "' is not a valid label name");
        }
      }
      return labels;
    }

    /**
     * Checked as RE2, the dialect of Envoy's safe_regex and of Istio's validation (Go's regexp): java.util.regex
     * would accept lookarounds and backreferences, which Envoy rejects with the whole route configuration, and
     * refuse RE2's {@code (?P<name>...)}.
     */
    private static void regex(Node n, String regex) throws MeshFileException {
      // Istio's validateStringRegexp: its stand-in for the RE2 program size Envoy limits, in Go's len (UTF-8 bytes).
      int bytes = regex.getBytes(StandardCharsets.UTF_8).length;
      if (bytes > MAX_REGEX_BYTES) {
        throw n.error("regex is too large, max length allowed is " + MAX_REGEX_BYTES + " bytes (Istio's validation; got "
            + bytes + ")");
      }
      try {
        // Before re2j compiles it: some case-insensitive regexes it never finishes (google/re2j#168).
        String hang = Re2jCaseFold.hangReason(regex);
        if (hang != null) {
          throw n.error("unsupported regex: " + hang);
        }
        com.google.re2j.Pattern.compile(regex);
      } catch (com.google.re2j.PatternSyntaxException e) {
        throw n.error("invalid regex: " + e.getDescription() + " (RE2 syntax, as Envoy's safe_regex)");
      }
      if (Re2ProgramSize.repeatsNestPastRe2Limit(regex)) {
        throw n.error("invalid regex: nested repeat counts multiply past 1000 (RE2's limit: Envoy's safe_regex rejects"
            + " it, \"invalid repetition size\")");
      }
      // Envoy refuses a larger RE2 program, and with it the route configuration; only a floor is known here.
      long programSize = Re2ProgramSize.floor(regex);
      if (programSize > MAX_RE2_PROGRAM_SIZE) {
        throw n.error("regex too complex: its RE2 program has at least " + programSize + " instructions, over the "
            + MAX_RE2_PROGRAM_SIZE + " of re2.max_program_size.error_level in Istio's bootstrap and Switchyard's;"
            + " Envoy would reject the route configuration");
      }
    }

    private static <E extends Enum<E>> E enumValue(Node n, Class<E> type, E fallback) throws MeshFileException {
      if (n == null) {
        return fallback;
      }
      String s = n.nonEmptyString();
      // Spelled lower case with '-' for '_' (grpc-web), in any case as Istio's protocol.Parse reads them.
      List<String> allowed = new ArrayList<>();
      for (E c : type.getEnumConstants()) {
        String spelled = c.name().toLowerCase(Locale.ROOT).replace('_', '-');
        if (spelled.equals(s.toLowerCase(Locale.ROOT))) {
          return c;
        }
        allowed.add(spelled);
      }
      throw n.error("'" + s + "' is not one of " + allowed);
    }
  }
}
