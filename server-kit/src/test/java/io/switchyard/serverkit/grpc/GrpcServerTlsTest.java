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
import io.switchyard.serverkit.tls.TlsOptions;
import io.switchyard.testing.TestCertificates;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GrpcServerTlsTest {
  @TempDir Path dir;
  private TestCertificates certs;
  private GrpcServer server;

  @BeforeEach
  void startMutualTlsServer() throws Exception {
    certs = TestCertificates.create(dir.resolve("pki"));
    server = GrpcServer.builder("test", 0).host("127.0.0.1")
        .tls(new TlsOptions(certs.serverCert(), certs.serverKey(), certs.caCert()))
        .build().start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void clientWithCertificateSignedByTheCaIsServed() throws Exception {
    ChannelCredentials creds = TlsChannelCredentials.newBuilder()
        .trustManager(certs.caCert().toFile())
        .keyManager(certs.clientCert().toFile(), certs.clientKey().toFile())
        .build();
    assertThat(healthOf(creds)).isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void clientWithoutCertificateIsRefused() throws Exception {
    ChannelCredentials creds = TlsChannelCredentials.newBuilder().trustManager(certs.caCert().toFile()).build();
    assertThatThrownBy(() -> healthOf(creds)).isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("UNAVAILABLE");
  }

  @Test
  void clientWithCertificateFromAnotherCaIsRefused() throws Exception {
    TestCertificates other = TestCertificates.create(dir.resolve("other"));
    ChannelCredentials creds = TlsChannelCredentials.newBuilder()
        .trustManager(certs.caCert().toFile())
        .keyManager(other.clientCert().toFile(), other.clientKey().toFile())
        .build();
    assertThatThrownBy(() -> healthOf(creds)).isInstanceOf(StatusRuntimeException.class);
  }

  private ServingStatus healthOf(ChannelCredentials creds) throws InterruptedException {
    ManagedChannel ch = Grpc.newChannelBuilderForAddress("localhost", server.port(), creds).build();
    try {
      return HealthGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance()).getStatus();
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
