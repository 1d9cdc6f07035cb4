package io.switchyard.serverkit.grpc;

import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.BindableService;
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
 * A gRPC server on Netty with the standard health service (every added service SERVING while up) and
 * server reflection, optional TLS/mTLS (certificate and client CA reloaded when their files change, see
 * {@link CertificateReloader}), message size and keepalive limits, and a graceful shutdown that
 * drains in-flight calls within a deadline.
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

  private GrpcServer(Builder b, Server server, HealthStatusManager health, List<String> serviceNames,
      CertificateReloader certificates) {
    this.name = b.name;
    this.server = server;
    this.health = health;
    this.serviceNames = serviceNames;
    this.shutdownGrace = b.shutdownGrace;
    this.certificates = certificates;
  }

  public static Builder builder(String name, int port) {
    return new Builder(name, port);
  }

  public GrpcServer start() throws IOException {
    server.start();
    for (String s : serviceNames) {
      health.setStatus(s, ServingStatus.SERVING);
    }
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
    if (certificates != null) {
      certificates.watch(CertificateReloader.DEFAULT_POLL_INTERVAL);
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

  /** Stops taking new calls, lets in-flight calls finish within the grace, then cancels the rest. */
  @Override
  public void close() {
    if (certificates != null) {
      certificates.close();
    }
    health.enterTerminalState();
    server.shutdown();
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
    private final List<ServerServiceDefinition> services = new ArrayList<>();
    private final List<ServerInterceptor> interceptors = new ArrayList<>();

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

    public Builder shutdownGrace(Duration d) {
      this.shutdownGrace = Objects.requireNonNull(d);
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

    /** Applies to every service added with {@link #addService}; the first added runs first. */
    public Builder intercept(ServerInterceptor interceptor) {
      interceptors.add(Objects.requireNonNull(interceptor));
      return this;
    }

    public GrpcServer build() throws IOException {
      CertificateReloader certs = tls == null ? null : CertificateReloader.load(tls);
      ServerCredentials creds = certs == null ? InsecureServerCredentials.create() : certs.grpcCredentials();
      NettyServerBuilder nb = NettyServerBuilder.forAddress(new InetSocketAddress(host, port), creds)
          .executor(executor)
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
      nb.addService(health.getHealthService());
      nb.addService(ProtoReflectionServiceV1.newInstance());
      return new GrpcServer(this, nb.build(), health, List.copyOf(names), certs);
    }
  }
}
