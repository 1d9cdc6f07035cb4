package io.switchyard.serverkit.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.switchyard.serverkit.tls.CertificateRegistry;
import io.switchyard.serverkit.tls.CertificateReloader;
import io.switchyard.serverkit.tls.TlsOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP(S) listener on the JDK's built-in server with prefix routes, an optional bearer token for
 * routes that reveal configuration or data, and a handler guard: an exception in a handler becomes a
 * 500 with a JSON body and one log line, never a dropped connection or a dead thread. The bodies of the
 * errors the kit answers itself (401, 500, 503 while closing) are {@code {"error": ...}} unless the
 * server has an {@link ErrorBody}.
 */
public final class HttpServerKit implements AutoCloseable {
  /**
   * Writes the body of an error the kit answers itself (401 without the token, 500 for a failed handler,
   * 503 while closing), for a protocol whose errors have their own format (OTLP/HTTP wants a
   * {@code google.rpc.Status} in the request's encoding). Headers the kit set (WWW-Authenticate,
   * Retry-After, Connection) are already on the exchange.
   */
  @FunctionalInterface
  public interface ErrorBody {
    ErrorBody JSON = HttpResponses::error;

    void write(HttpExchange ex, int status, String message) throws IOException;
  }

  private static final Logger log = LoggerFactory.getLogger(HttpServerKit.class);

  static {
    // The JDK server flushes the headers before the body; with Nagle on, a small body then waits for the
    // client's delayed ACK (~40 ms per response, measured on /api/v1/graph). Read once by the JDK, so it is
    // set before the first server of the process is created; an explicit -D setting wins.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private final String name;
  private final HttpServer server;
  private final ExecutorService ownedExecutor;
  private final String bearerToken;
  private final CertificateReloader certificates;
  private final InFlight inFlight;
  private final Duration shutdownGrace;
  private final ErrorBody errorBody;

  private HttpServerKit(String name, HttpServer server, ExecutorService ownedExecutor, String bearerToken,
      CertificateReloader certificates, InFlight inFlight, Duration shutdownGrace, ErrorBody errorBody) {
    this.name = name;
    this.server = server;
    this.ownedExecutor = ownedExecutor;
    this.bearerToken = bearerToken;
    this.certificates = certificates;
    this.inFlight = inFlight;
    this.shutdownGrace = shutdownGrace;
    this.errorBody = errorBody;
  }

  /**
   * Adds a route to a built (possibly running) server: services started after the shared admin
   * endpoint in {@code switchyard up} add their own admin routes this way.
   */
  public void addRoute(String pathPrefix, HttpHandler handler, boolean requiresToken) {
    if (!pathPrefix.startsWith("/")) {
      throw new IllegalArgumentException("route must start with '/': " + pathPrefix);
    }
    HttpHandler h = requiresToken && bearerToken != null ? new TokenGuard(bearerToken, handler, errorBody) : handler;
    server.createContext(pathPrefix, new ErrorGuard(name, h, inFlight, errorBody));
  }

  public static Builder builder(String name, int port) {
    return new Builder(name, port);
  }

  public HttpServerKit start() {
    server.start();
    if (certificates != null) {
      certificates.watch();
    }
    log.info("{} HTTP listening on port {}", name, port());
    return this;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** The TLS material this listener follows (reloaded when its files change); null without TLS. */
  CertificateReloader certificates() {
    return certificates;
  }

  /**
   * Answers new requests 503 from now on, lets the running ones finish within the grace, then closes the
   * listener and every connection.
   */
  @Override
  public void close() {
    try {
      int left = inFlight.closeAndAwait(shutdownGrace);
      if (left > 0) {
        log.warn("{} HTTP: {} request(s) still running after {}; closing their connections", name, left, shutdownGrace);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (certificates != null) {
      certificates.close();
    }
    server.stop(0);
    if (ownedExecutor != null) {
      ownedExecutor.shutdown();
      try {
        ownedExecutor.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  public static final class Builder {
    private final String name;
    private final int port;
    private String host = "0.0.0.0";
    private TlsOptions tls;
    private CertificateRegistry certificateRegistry = CertificateRegistry.shared();
    private java.util.concurrent.Executor executor;
    private int threads = 4;
    private String bearerToken;
    private Duration shutdownGrace = Duration.ofSeconds(10);
    private ErrorBody errorBody = ErrorBody.JSON;
    private final List<Route> routes = new ArrayList<>();

    private record Route(String prefix, HttpHandler handler, boolean requiresToken) {}

    private Builder(String name, int port) {
      this.name = Objects.requireNonNull(name, "name");
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port out of range: " + port);
      }
      this.port = port;
    }

    public Builder host(String host) {
      this.host = Objects.requireNonNull(host);
      return this;
    }

    public Builder tls(TlsOptions tls) {
      this.tls = tls;
      return this;
    }

    /**
     * Where the TLS files are followed and counted: listeners of one registry on the same files share one
     * load, poll and count. By default {@link CertificateRegistry#shared()}, the one the admin server exports.
     */
    public Builder certificates(CertificateRegistry registry) {
      this.certificateRegistry = Objects.requireNonNull(registry, "registry");
      return this;
    }

    /** Handlers run on this executor; by default on a small fixed pool the server owns. */
    public Builder executor(java.util.concurrent.Executor executor) {
      this.executor = executor;
      return this;
    }

    public Builder threads(int threads) {
      this.threads = threads;
      return this;
    }

    /** Token required (as {@code Authorization: Bearer …}) by routes added with requiresToken; null = none. */
    public Builder bearerToken(String token) {
      this.bearerToken = token == null || token.isBlank() ? null : token.strip();
      return this;
    }

    /** How long {@link #close} waits for running requests before closing their connections (default 10 s). */
    public Builder shutdownGrace(Duration grace) {
      this.shutdownGrace = Objects.requireNonNull(grace, "grace");
      return this;
    }

    /** How the errors the kit answers itself are written, on every route (default {@link ErrorBody#JSON}). */
    public Builder errorBody(ErrorBody errorBody) {
      this.errorBody = Objects.requireNonNull(errorBody, "errorBody");
      return this;
    }

    public Builder route(String pathPrefix, HttpHandler handler, boolean requiresToken) {
      if (!pathPrefix.startsWith("/")) {
        throw new IllegalArgumentException("route must start with '/': " + pathPrefix);
      }
      routes.add(new Route(pathPrefix, Objects.requireNonNull(handler), requiresToken));
      return this;
    }

    public Builder route(String pathPrefix, HttpHandler handler) {
      return route(pathPrefix, handler, false);
    }

    public HttpServerKit build() throws IOException {
      InetSocketAddress addr = new InetSocketAddress(host, port);
      HttpServer server;
      CertificateReloader certs = null;
      if (tls != null) {
        certs = certificateRegistry.acquire(tls);
        HttpsServer https;
        try {
          https = HttpsServer.create(addr, 0);
        } catch (IOException | RuntimeException e) {
          certs.close();
          throw e;
        }
        SSLContext ctx = certs.sslContext();
        boolean mutual = tls.mutual();
        https.setHttpsConfigurator(new HttpsConfigurator(ctx) {
          @Override
          public void configure(HttpsParameters params) {
            SSLParameters p = ctx.getDefaultSSLParameters();
            p.setNeedClientAuth(mutual);
            params.setSSLParameters(p);
          }
        });
        server = https;
      } else {
        server = HttpServer.create(addr, 0);
      }
      ExecutorService owned = null;
      if (executor == null) {
        owned = Executors.newFixedThreadPool(threads, daemonThreads(name + "-http"));
        server.setExecutor(owned);
      } else {
        server.setExecutor(executor);
      }
      HttpServerKit kit = new HttpServerKit(name, server, owned, bearerToken, certs, new InFlight(), shutdownGrace, errorBody);
      for (Route r : routes) {
        kit.addRoute(r.prefix, r.handler, r.requiresToken);
      }
      return kit;
    }
  }

  static java.util.concurrent.ThreadFactory daemonThreads(String prefix) {
    java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  private record TokenGuard(String token, HttpHandler next, ErrorBody errorBody) implements HttpHandler {
    @Override
    public void handle(HttpExchange ex) throws IOException {
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      byte[] given = auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)
          ? auth.substring(7).strip().getBytes(StandardCharsets.UTF_8) : new byte[0];
      if (!MessageDigest.isEqual(given, token.getBytes(StandardCharsets.UTF_8))) {
        ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
        errorBody.write(ex, 401, "missing or invalid bearer token");
        return;
      }
      next.handle(ex);
    }
  }

  private record ErrorGuard(String server, HttpHandler next, InFlight inFlight, ErrorBody errorBody)
      implements HttpHandler {
    @Override
    public void handle(HttpExchange ex) {
      if (!inFlight.enter()) {
        refuse(ex);
        return;
      }
      try {
        next.handle(ex);
      } catch (Exception | StackOverflowError e) {
        log.error("{}: {} {} failed", server, ex.getRequestMethod(), ex.getRequestURI(), e);
        try {
          errorBody.write(ex, 500, "internal error: " + e.getClass().getSimpleName());
        } catch (IOException | RuntimeException ignored) {
          // The response was already (partly) sent; closing is all that is left.
          ex.close();
        }
      } finally {
        inFlight.exit();
      }
    }

    /** While closing: the client should go to another instance, on a new connection. */
    private void refuse(HttpExchange ex) {
      try {
        ex.getResponseHeaders().set("Connection", "close");
        ex.getResponseHeaders().set("Retry-After", "1");
        errorBody.write(ex, 503, server + " is shutting down; retry");
      } catch (IOException | RuntimeException e) {
        ex.close();
      }
    }
  }
}
