package io.switchyard.serverkit.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.metrics.Metrics;
import io.switchyard.testing.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateReloaderTest {
  @TempDir Path dir;

  @Test
  void watchPicksUpARotationByItself() throws Exception {
    TestCertificates first = TestCertificates.create(dir.resolve("pki-1"));
    TestCertificates second = TestCertificates.create(dir.resolve("pki-2"));
    Path cert = Files.copy(first.serverCert(), dir.resolve("tls.crt"));
    Path key = Files.copy(first.serverKey(), dir.resolve("tls.key"));
    try (CertificateRegistry registry = new CertificateRegistry(Duration.ofMillis(20));
        CertificateReloader r = registry.acquire(new TlsOptions(cert, key, null)).watch()) {
      assertThat(registry.reloads(cert, "success")).isEqualTo(1);
      Files.copy(second.serverKey(), key, StandardCopyOption.REPLACE_EXISTING);
      Files.copy(second.serverCert(), cert, StandardCopyOption.REPLACE_EXISTING);
      await().atMost(Duration.ofSeconds(10)).until(() -> registry.reloads(cert, "success") == 2);
    }
  }

  @Test
  void aKeyFileWithTheEcParametersBlockOpensslWritesFirstLoads() throws Exception {
    TestCertificates pki = TestCertificates.create(dir.resolve("pki"));
    Path key = dir.resolve("tls.key");
    // `openssl ecparam -name prime256v1 -genkey` writes this block ahead of the key.
    Files.writeString(key, "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
        + Files.readString(pki.serverKey()));
    try (CertificateRegistry registry = new CertificateRegistry();
        CertificateReloader r = registry.acquire(new TlsOptions(pki.serverCert(), key, null))) {
      assertThat(r.options().privateKey()).isEqualTo(key);
    }
  }

  @Test
  void refusedReloadsAreCountedInTheExportedMetric() throws Exception {
    TestCertificates pki = TestCertificates.create(dir.resolve("pki"));
    Path cert = Files.copy(pki.serverCert(), dir.resolve("tls.crt"));
    Path key = Files.copy(pki.serverKey(), dir.resolve("tls.key"));
    Metrics metrics = new Metrics(new PrometheusRegistry());
    CertificateRegistry registry = new CertificateRegistry();
    registry.exportMetrics(metrics);
    registry.exportMetrics(metrics);
    try (registry; CertificateReloader r = registry.acquire(new TlsOptions(cert, key, null))) {
      assertThat(r.reloadNow()).as("unchanged files").isFalse();
      Files.writeString(cert, "not a certificate\n");
      assertThat(r.reloadNow()).isFalse();
      assertThat(r.reloadNow()).as("the same broken file is refused once").isFalse();
      Files.copy(pki.serverCert(), cert, StandardCopyOption.REPLACE_EXISTING);
      assertThat(r.reloadNow()).isTrue();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, metrics.registry().scrape());
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("switchyard_tls_reload_total{cert=\"" + cert + "\",client_ca=\"\",result=\"failure\"} 1.0")
        .contains("switchyard_tls_reload_total{cert=\"" + cert + "\",client_ca=\"\",result=\"success\"} 2.0");
  }
}
