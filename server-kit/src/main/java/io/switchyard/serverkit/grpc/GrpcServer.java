package io.switchyard.serverkit.grpc;

import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.BindableService;
import io.grpc.DecompressorRegistry;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.serverkit.tls.CertificateRegistry;
import io.switchyard.serverkit.tls.CertificateReloader;
import io.switchyard.serverkit.tls.TlsOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gRPC server on Netty with the standard health service and server reflection, optional TLS/mTLS
 * (certificate and client CA reloaded when their files change, see {@link CertificateReloader}), message
 * size and keepalive limits, and a graceful shutdown that drains in-flight calls within a deadline.
 *
 * <p>Health ({@code grpc.health.v1}, as Kubernetes gRPC probes and Envoy's gRPC health checks ask it): the
 * server ({@code ""}) and every added service answer SERVING while up, or, given the readiness components
 * the server stands for, follow them: NOT_SERVING while one of them is not ready (as {@code /readyz} shows
 * it), SERVING when all are again, pushed to {@code Watch} streams on each flip. Only the server's own
 * components: under {@code switchyard up} one process holds every service, and ext_authz must not turn
 * NOT_SERVING for Envoy because the Flink child restarts. On {@link #close} they turn NOT_SERVING for good
 * before the server stops taking calls.
 *
 * <p>Handlers run on the direct executor unless told otherwise: Switchyard's handlers do not block, and
 * a thread hop per call costs about 4x on two cores.
 */
public final class GrpcServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GrpcServer.class);

  private final String name;
  private final Server server;
  private final HealthStatusManager health;
  private final List<String> serviceNames;
  private final Duration shutdownGrace;
  private final CertificateReloader certificates;
  /** Empty: SERVING while up. */
  private final List<Readiness.Component> readiness;
  private final List<Readiness.Subscription> following = new ArrayList<>();
  private final List<Runnable> onDrain;
  private boolean closed;

  private GrpcServer(Builder b, Server server, HealthStatusManager health, List<String> serviceNames,
      CertificateReloader certificates) {
    this.name = b.name;
    this.server = server;
    this.health = health;
    this.serviceNames = serviceNames;
    this.shutdownGrace = b.shutdownGrace;
    this.certificates = certificates;
    this.readiness = List.copyOf(b.readiness);
    this.onDrain = List.copyOf(b.onDrain);
  }

  public static Builder builder(String name, int port) {
    return new Builder(name, port);
  }

  public GrpcServer start() throws IOException {
    server.start();
    if (readiness.isEmpty()) {
      serve(ServingStatus.SERVING);
    } else {
      // Subscribed before the first read, so that no flip falls between the two.
      synchronized (this) {
        for (Readiness.Component c : readiness) {
          following.add(c.onChange(this::followReadiness));
        }
      }
      followReadiness();
    }
    if (certificates != null) {
      certificates.watch();
    }
    log.info("{} gRPC listening on port {}", name, port());
    return this;
  }

  public int port() {
    return server.getPort();
  }

  public String name() {
    return name;
  }

  public HealthStatusManager health() {
    return health;
  }

  /** The TLS material this server follows; null without TLS. */
  CertificateReloader certificates() {
    return certificates;
  }

  /**
   * Re-reads readiness rather than taking the flip's value: under the lock, the last call always sets the
   * latest state, whatever order concurrent flips arrive in.
   */
  private synchronized void followReadiness() {
    boolean ready = readiness.stream().allMatch(Readiness.Component::isReady);
    serve(ready ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  }

  /** Ignored by the health service once terminal (closed). */
  private void serve(ServingStatus status) {
    for (String s : serviceNames) {
      health.setStatus(s, status);
    }
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, status);
  }

  /**
   * Answers NOT_SERVING to health checks from now on (so that Envoy and Kubernetes stop sending), stops
   * taking new calls, lets in-flight calls finish within the grace, then cancels the rest. Closing again
   * does nothing.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      following.forEach(Readiness.Subscription::close);
    }
    health.enterTerminalState();
    if (certificates != null) {
      certificates.close();
    }
    server.shutdown();
    for (Runnable r : onDrain) {
      try {
        r.run();
      } catch (RuntimeException e) {
        log.warn("{} gRPC: ending long-lived calls failed; they are cancelled after the grace", name, e);
      }
    }
    try {
      if (!server.awaitTermination(shutdownGrace.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("{} gRPC did not drain within {}; cancelling remaining calls", name, shutdownGrace);
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  public static final class Builder {
    private final String name;
    private final int port;
    private String host = "0.0.0.0";
    private TlsOptions tls;
    private int maxInboundMessageBytes = 4 * 1024 * 1024;
    private Duration keepAliveTime = Duration.ofMinutes(2);
    private Duration keepAliveTimeout = Duration.ofSeconds(20);
    private Duration permitKeepAliveTime = Duration.ofSeconds(10);
    private Duration shutdownGrace = Duration.ofSeconds(10);
    private Executor executor = MoreExecutors.directExecutor();
    private DecompressorRegistry decompressors = DecompressorRegistry.getDefaultInstance();
    private final List<Readiness.Component> readiness = new ArrayList<>();
    private CertificateRegistry certificateRegistry = CertificateRegistry.shared();
    private final List<ServerServiceDefinition> services = new ArrayList<>();
    private final List<ServerInterceptor> interceptors = new ArrayList<>();
    private final List<String> healthNames = new ArrayList<>();
    private final List<Runnable> onDrain = new ArrayList<>();

    private Builder(String name, int port) {
      this.name = Objects.requireNonNull(name, "name");
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port out of range: " + port);
      }
      this.port = port;
    }

    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
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

    /**
     * Health follows these readiness components (those of the service this server stands for, as the admin
     * {@code /readyz} lists them) instead of SERVING while up; null components are skipped, so a service
     * built without readiness passes its null straight through and keeps SERVING while up.
     */
    public Builder readiness(Readiness.Component... components) {
      for (Readiness.Component c : components) {
        if (c != null) {
          readiness.add(c);
        }
      }
      return this;
    }

    public Builder maxInboundMessageBytes(int bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("maxInboundMessageBytes must be positive");
      }
      this.maxInboundMessageBytes = bytes;
      return this;
    }

    public Builder keepAliveTime(Duration d) {
      this.keepAliveTime = Objects.requireNonNull(d);
      return this;
    }

    public Builder keepAliveTimeout(Duration d) {
      this.keepAliveTimeout = Objects.requireNonNull(d);
      return this;
    }

    /** The most frequent client keepalive pings allowed; more frequent ones close the connection. */
    public Builder permitKeepAliveTime(Duration d) {
      this.permitKeepAliveTime = Objects.requireNonNull(d);
      return this;
    }

    /**
     * Runs {@code r} on close, once the server takes no new calls and before it waits for the calls in flight: for a
     * service whose calls never end by themselves (a stream a client keeps open for good), to end them there, rather
     * than hold every stop for the whole grace and then cancel them.
     */
    public Builder onDrain(Runnable r) {
      onDrain.add(Objects.requireNonNull(r));
      return this;
    }

    public Builder shutdownGrace(Duration d) {
      this.shutdownGrace = Objects.requireNonNull(d);
      return this;
    }

    /**
     * The message codings calls may arrive in; by default gRPC's own (gzip). A call in any other coding is answered
     * UNIMPLEMENTED. The message size limit applies after decompression.
     */
    public Builder decompressors(DecompressorRegistry registry) {
      this.decompressors = Objects.requireNonNull(registry, "registry");
      return this;
    }

    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor);
      return this;
    }

    public Builder addService(BindableService service) {
      return addService(service.bindService());
    }

    public Builder addService(ServerServiceDefinition service) {
      services.add(Objects.requireNonNull(service));
      return this;
    }

    /**
     * One more name the health service answers for, with the same status as the server's services: the name that
     * probes written for the server this one replaces ask about (envoyproxy/ratelimit registers "ratelimit").
     */
    public Builder healthName(String name) {
      healthNames.add(Objects.requireNonNull(name, "name"));
      return this;
    }

    /** Applies to every service added with {@link #addService}; the first added runs first. */
    public Builder intercept(ServerInterceptor interceptor) {
      interceptors.add(Objects.requireNonNull(interceptor));
      return this;
    }

    public GrpcServer build() throws IOException {
      CertificateReloader certs = tls == null ? null : certificateRegistry.acquire(tls);
      try {
        return build(certs);
      } catch (RuntimeException e) {
        if (certs != null) {
          certs.close();
        }
        throw e;
      }
    }

    private GrpcServer build(CertificateReloader certs) {
      ServerCredentials creds = certs == null ? InsecureServerCredentials.create() : certs.grpcCredentials();
      NettyServerBuilder nb = NettyServerBuilder.forAddress(new InetSocketAddress(host, port), creds)
          .executor(executor)
          .decompressorRegistry(decompressors)
          .maxInboundMessageSize(maxInboundMessageBytes)
          .keepAliveTime(keepAliveTime.toMillis(), TimeUnit.MILLISECONDS)
          .keepAliveTimeout(keepAliveTimeout.toMillis(), TimeUnit.MILLISECONDS)
          .permitKeepAliveTime(permitKeepAliveTime.toMillis(), TimeUnit.MILLISECONDS)
          .permitKeepAliveWithoutCalls(true);
      HealthStatusManager health = new HealthStatusManager();
      List<String> names = new ArrayList<>();
      List<ServerInterceptor> reversed = new ArrayList<>(interceptors);
      java.util.Collections.reverse(reversed);
      for (ServerServiceDefinition s : services) {
        names.add(s.getServiceDescriptor().getName());
        nb.addService(ServerInterceptors.intercept(s, reversed));
      }
      names.addAll(healthNames);
      nb.addService(health.getHealthService());
      nb.addService(ProtoReflectionServiceV1.newInstance());
      return new GrpcServer(this, nb.build(), health, List.copyOf(names), certs);
    }
  }
}
