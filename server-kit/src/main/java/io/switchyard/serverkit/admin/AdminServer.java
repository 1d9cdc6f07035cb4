package io.switchyard.serverkit.admin;

import com.sun.net.httpserver.HttpHandler;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.serverkit.http.HttpResponses;
import io.switchyard.serverkit.http.HttpServerKit;
import io.switchyard.serverkit.metrics.Metrics;
import io.switchyard.serverkit.tls.CertificateRegistry;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The admin endpoint: {@code /healthz} (the process is alive), {@code /readyz} (200 only when every
 * component is ready, 503 with the reasons otherwise), {@code /metrics} (Prometheus text, JVM metrics
 * included) and any extra routes a service adds, such as config dumps behind the bearer token. Binds to
 * loopback unless told otherwise.
 */
public final class AdminServer implements AutoCloseable {
  /** Switchyard's admin port; the same number as {@code DefaultPorts.ADMIN_HTTP} in model. */
  public static final int DEFAULT_PORT = 9464;

  private final HttpServerKit http;

  private AdminServer(HttpServerKit http) {
    this.http = http;
  }

  public static Builder builder(Metrics metrics, Readiness readiness) {
    return new Builder(metrics, readiness);
  }

  public AdminServer start() {
    http.start();
    return this;
  }

  public int port() {
    return http.port();
  }

  /** Adds a route while running, e.g. a service's config dump; requiresToken routes need the bearer token. */
  public void addRoute(String path, HttpHandler handler, boolean requiresToken) {
    http.addRoute(path, exactly(path, handler), requiresToken);
  }

  /**
   * The JDK server hands a request to the route its path starts with, so {@code /readyzz} or {@code /metricsx}
   * answered as {@code /readyz} and {@code /metrics}: a probe or scrape with a typo read as healthy. Admin routes
   * are single paths; anything longer is the 404 of an unknown path.
   */
  private static HttpHandler exactly(String path, HttpHandler handler) {
    return ex -> {
      if (path.equals(ex.getRequestURI().getPath())) {
        handler.handle(ex);
      } else {
        notFound(ex);
      }
    };
  }

  private static void notFound(com.sun.net.httpserver.HttpExchange ex) throws IOException {
    HttpResponses.error(ex, 404, "no such path: " + ex.getRequestURI().getPath()
        + "; the admin endpoint serves /healthz, /readyz, /metrics and its services' routes");
  }

  @Override
  public void close() {
    http.close();
  }

  public static final class Builder {
    private final Metrics metrics;
    private final Readiness readiness;
    private final Map<String, Object[]> extra = new LinkedHashMap<>();
    private int port = DEFAULT_PORT;
    private String host = "127.0.0.1";
    private String token;
    private CertificateRegistry certificates = CertificateRegistry.shared();

    private Builder(Metrics metrics, Readiness readiness) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      this.readiness = Objects.requireNonNull(readiness, "readiness");
    }

    public Builder host(String host) {
      this.host = Objects.requireNonNull(host);
      return this;
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** Token required by routes added with requiresToken; null or blank means no token is asked. */
    public Builder bearerToken(String token) {
      this.token = token;
      return this;
    }

    /**
     * Whose {@code switchyard_tls_reload_total} {@code /metrics} shows: the registry the process's listeners
     * were given; by default {@link CertificateRegistry#shared()}, the one listeners use when given none.
     */
    public Builder certificates(CertificateRegistry certificates) {
      this.certificates = Objects.requireNonNull(certificates, "certificates");
      return this;
    }

    public Builder route(String path, HttpHandler handler, boolean requiresToken) {
      if (extra.putIfAbsent(path, new Object[] {handler, requiresToken}) != null) {
        throw new IllegalArgumentException("admin route already taken: " + path);
      }
      return this;
    }

    public AdminServer build() throws IOException {
      metrics.registerJvmMetrics();
      certificates.exportMetrics(metrics);
      HttpServerKit.Builder b = HttpServerKit.builder("admin", port).host(host).bearerToken(token).threads(2);
      b.route("/", AdminServer::notFound);
      b.route("/healthz", exactly("/healthz", getOrHead(ex -> HttpResponses.json(ex, 200, Map.of("status", "alive")))));
      b.route("/readyz", exactly("/readyz", getOrHead(ex -> {
        Map<String, Object> body = new LinkedHashMap<>();
        boolean ready = readiness.isReady();
        body.put("ready", ready);
        if (readiness.isDraining()) {
          body.put("draining", true);
        }
        if (readiness.isStarting()) {
          body.put("starting", true);
        }
        body.put("components", readiness.snapshot());
        HttpResponses.json(ex, ready ? 200 : 503, body);
      })));
      b.route("/metrics", exactly("/metrics", getOrHead(new MetricsHandler(metrics.registry()))));
      extra.forEach((path, r) -> b.route(path, exactly(path, (HttpHandler) r[0]), (Boolean) r[1]));
      return new AdminServer(b.build());
    }

    /** Probes and scrapers read: other methods get 405 with {@code Allow}, as RFC 9110 asks. */
    private static HttpHandler getOrHead(HttpHandler next) {
      return ex -> {
        String method = ex.getRequestMethod();
        if ("GET".equalsIgnoreCase(method) || "HEAD".equalsIgnoreCase(method)) {
          next.handle(ex);
          return;
        }
        ex.getResponseHeaders().set("Allow", "GET, HEAD");
        HttpResponses.error(ex, 405, "method " + method + " not allowed; use GET or HEAD");
      };
    }
  }
}
