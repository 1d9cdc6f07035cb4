package io.switchyard.serverkit.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchyard.serverkit.tls.TlsOptions;
import io.switchyard.testing.TestCertificates;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HttpServerKitTlsTest {
  @TempDir Path dir;

  @Test
  void httpsListenerServesARotatedCertificateWithoutARestart() throws Exception {
    TestCertificates first = TestCertificates.create(dir.resolve("pki-1"));
    TestCertificates second = TestCertificates.create(dir.resolve("pki-2"));
    Path cert = Files.copy(first.serverCert(), dir.resolve("tls.crt"));
    Path key = Files.copy(first.serverKey(), dir.resolve("tls.key"));
    try (HttpServerKit http = HttpServerKit.builder("test", 0).host("127.0.0.1").tls(new TlsOptions(cert, key, null))
        .route("/ok", ex -> HttpResponses.text(ex, 200, "ok")).build().start()) {
      assertThat(get(http, first)).isEqualTo(200);

      // Replaced by rename, as most tools write files.
      Files.copy(second.serverCert(), dir.resolve("tls.crt.new"));
      Files.copy(second.serverKey(), dir.resolve("tls.key.new"));
      Files.move(dir.resolve("tls.key.new"), key, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      Files.move(dir.resolve("tls.crt.new"), cert, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      assertThat(http.certificates().reloadNow()).isTrue();

      assertThat(get(http, second)).isEqualTo(200);
      assertThatThrownBy(() -> get(http, first)).isInstanceOf(IOException.class);
    }
  }

  /** Status of GET /ok over a new connection by a client that trusts only {@code pki}'s CA. */
  private static int get(HttpServerKit http, TestCertificates pki) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(pki.caCert())) {
      trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    HttpClient client = HttpClient.newBuilder().sslContext(ctx).build();
    return client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + http.port() + "/ok")).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }
}
