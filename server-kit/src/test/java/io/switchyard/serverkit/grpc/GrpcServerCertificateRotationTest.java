package io.switchyard.serverkit.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.switchyard.serverkit.http.HttpResponses;
import io.switchyard.serverkit.http.HttpServerKit;
import io.switchyard.serverkit.tls.CertificateRegistry;
import io.switchyard.serverkit.tls.TlsOptions;
import io.switchyard.testing.TestCertificates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Certificates mounted the way Kubernetes and cert-manager mount a Secret: files behind a {@code ..data} symlink. */
class GrpcServerCertificateRotationTest {
  @TempDir Path dir;

  @Test
  void rotatedCertificateAndClientCaAreServedWithoutARestartAndOpenConnectionsStay() throws Exception {
    TestCertificates first = TestCertificates.create(dir.resolve("pki-1"));
    TestCertificates second = TestCertificates.create(dir.resolve("pki-2"));
    Path mount = mount(first, "..2026_11_28_01");
    try (GrpcServer server = GrpcServer.builder("test", 0).host("127.0.0.1").tls(options(mount)).build().start()) {
      ManagedChannel open = channel(server, first);
      assertThat(health(open)).isEqualTo(ServingStatus.SERVING);
      assertThatThrownBy(() -> healthOnce(server, second)).isInstanceOf(StatusRuntimeException.class);

      swap(mount, second, "..2026_11_28_02");
      assertThat(server.certificates().reloadNow()).isTrue();

      assertThat(healthOnce(server, second)).isEqualTo(ServingStatus.SERVING);
      assertThat(health(open)).as("a connection made before the rotation").isEqualTo(ServingStatus.SERVING);
      open.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void brokenNewCertificateKeepsTheOneInUse() throws Exception {
    TestCertificates first = TestCertificates.create(dir.resolve("pki-1"));
    TestCertificates second = TestCertificates.create(dir.resolve("pki-2"));
    Path mount = mount(first, "..2026_11_28_01");
    CertificateRegistry registry = new CertificateRegistry();
    try (registry; GrpcServer server = GrpcServer.builder("test", 0).host("127.0.0.1").tls(options(mount))
        .certificates(registry).build().start()) {

      // A key that does not belong to the certificate (e.g. a half-finished manual rotation).
      Path gen = swap(mount, first, "..2026_11_28_02");
      Files.copy(second.serverKey(), gen.resolve("tls.key"), StandardCopyOption.REPLACE_EXISTING);
      assertThat(server.certificates().reloadNow()).isFalse();
      assertThat(healthOnce(server, first)).isEqualTo(ServingStatus.SERVING);

      // Not a certificate at all.
      gen = swap(mount, first, "..2026_11_28_03");
      Files.writeString(gen.resolve("tls.crt"), "-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n");
      assertThat(server.certificates().reloadNow()).isFalse();
      assertThat(healthOnce(server, first)).isEqualTo(ServingStatus.SERVING);

      // Deleted.
      Files.delete(gen.resolve("tls.crt"));
      assertThat(server.certificates().reloadNow()).isFalse();
      assertThat(healthOnce(server, first)).isEqualTo(ServingStatus.SERVING);

      assertThat(registry.reloads(mount.resolve("tls.crt"), "failure")).isEqualTo(3);
    }
  }

  @Test
  void listenersSharingACertificateFollowARotationThatIsCountedOnce() throws Exception {
    // ingest: OTLP gRPC, ALS gRPC and OTLP HTTP on the same --tls-cert/--tls-key/--tls-client-ca.
    TestCertificates first = TestCertificates.create(dir.resolve("pki-1"));
    TestCertificates second = TestCertificates.create(dir.resolve("pki-2"));
    Path mount = mount(first, "..2026_11_28_01");
    CertificateRegistry registry = new CertificateRegistry();
    try (registry;
        GrpcServer otlp = GrpcServer.builder("otlp", 0).host("127.0.0.1").tls(options(mount)).certificates(registry)
            .build().start();
        GrpcServer als = GrpcServer.builder("als", 0).host("127.0.0.1").tls(options(mount)).certificates(registry)
            .build().start();
        HttpServerKit http = HttpServerKit.builder("otlp-http", 0).host("127.0.0.1").tls(options(mount)).certificates(registry)
            .route("/", ex -> HttpResponses.text(ex, 200, "ok")).build().start()) {
      assertThat(registry.reloads(mount.resolve("tls.crt"), "success")).as("loaded once for three listeners").isEqualTo(1);

      swap(mount, second, "..2026_11_28_02");
      assertThat(otlp.certificates().reloadNow()).isTrue();
      assertThat(als.certificates().reloadNow()).isFalse();

      assertThat(healthOnce(otlp, second)).isEqualTo(ServingStatus.SERVING);
      assertThat(healthOnce(als, second)).as("the listener that did not poll").isEqualTo(ServingStatus.SERVING);
      assertThat(registry.reloads(mount.resolve("tls.crt"), "success")).isEqualTo(2);
      assertThat(registry.reloads(mount.resolve("tls.crt"), "failure")).isZero();
    }
  }

  private static TlsOptions options(Path mount) {
    return new TlsOptions(mount.resolve("tls.crt"), mount.resolve("tls.key"), mount.resolve("ca.crt"));
  }

  /** A Secret volume: {@code tls.crt -> ..data/tls.crt}, {@code ..data -> ..<timestamp>}. */
  private Path mount(TestCertificates certs, String generation) throws IOException {
    Path mount = Files.createDirectories(dir.resolve("mount"));
    Path gen = write(mount, certs, generation);
    Files.createSymbolicLink(mount.resolve("..data"), gen.getFileName());
    for (String f : new String[] {"tls.crt", "tls.key", "ca.crt"}) {
      Files.createSymbolicLink(mount.resolve(f), Path.of("..data", f));
    }
    return mount;
  }

  /** Kubernetes' atomic update: a new timestamped folder, then {@code ..data} renamed over to point at it. */
  private static Path swap(Path mount, TestCertificates certs, String generation) throws IOException {
    Path gen = write(mount, certs, generation);
    Path tmp = Files.createSymbolicLink(mount.resolve("..data_tmp"), gen.getFileName());
    Files.move(tmp, mount.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return gen;
  }

  private static Path write(Path mount, TestCertificates certs, String generation) throws IOException {
    Path gen = Files.createDirectories(mount.resolve(generation));
    Files.copy(certs.serverCert(), gen.resolve("tls.crt"));
    Files.copy(certs.serverKey(), gen.resolve("tls.key"));
    Files.copy(certs.caCert(), gen.resolve("ca.crt"));
    return gen;
  }

  private static ManagedChannel channel(GrpcServer server, TestCertificates client) throws IOException {
    ChannelCredentials creds = TlsChannelCredentials.newBuilder()
        .trustManager(client.caCert().toFile())
        .keyManager(client.clientCert().toFile(), client.clientKey().toFile())
        .build();
    return Grpc.newChannelBuilderForAddress("localhost", server.port(), creds).build();
  }

  /** Health over a new connection, by a client of {@code client}'s PKI. */
  private static ServingStatus healthOnce(GrpcServer server, TestCertificates client) throws Exception {
    ManagedChannel ch = channel(server, client);
    try {
      return health(ch);
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static ServingStatus health(ManagedChannel ch) {
    return HealthGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance()).getStatus();
  }
}
