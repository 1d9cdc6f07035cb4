package io.switchyard.serverkit.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateRegistryTest {
  @TempDir Path dir;

  /** Never runs a poll by itself within a test (an hour away): the tests look at what is scheduled. */
  private final ScheduledThreadPoolExecutor poller = new ScheduledThreadPoolExecutor(1);

  {
    poller.setRemoveOnCancelPolicy(true);
  }

  @AfterEach
  void stopPoller() {
    poller.shutdownNow();
  }

  @Test
  void listenersOnTheSameFilesShareOneReloaderAndARotationCountsOnce() throws Exception {
    TestCertificates first = TestCertificates.create(dir.resolve("pki-1"));
    TestCertificates second = TestCertificates.create(dir.resolve("pki-2"));
    TlsOptions tls = copy(first);
    CertificateRegistry registry = new CertificateRegistry(poller, Duration.ofHours(1));
    // ingest's OTLP gRPC, ALS and OTLP HTTP listeners, all given --tls-cert/--tls-key.
    CertificateReloader otlp = registry.acquire(tls);
    CertificateReloader als = registry.acquire(new TlsOptions(tls.certChain(), tls.privateKey(), null));
    CertificateReloader http = registry.acquire(tls);
    assertThat(als.set()).isSameAs(otlp.set());
    assertThat(http.set()).isSameAs(otlp.set());
    assertThat(registry.reloads(tls.certChain(), "success")).as("one load").isEqualTo(1);

    rotate(tls, second);
    assertThat(otlp.reloadNow()).isTrue();
    assertThat(als.reloadNow()).as("already reloaded for every listener").isFalse();
    assertThat(http.reloadNow()).isFalse();
    assertThat(registry.reloads(tls.certChain(), "success")).isEqualTo(2);
    assertThat(scrape(registry)).contains("switchyard_tls_reload_total{cert=\"" + tls.certChain() + "\",client_ca=\"\",result=\"success\"} 2.0");
  }

  @Test
  void oneCertificateWithAndWithoutAClientCaIsTwoSetsCountedApart() throws Exception {
    TestCertificates pki = TestCertificates.create(dir.resolve("pki"));
    TlsOptions tls = copy(pki);
    // e.g. ingest with mutual TLS and the topology API with plain TLS, on the same --tls-cert.
    TlsOptions mutual = new TlsOptions(tls.certChain(), tls.privateKey(), pki.caCert());
    CertificateRegistry registry = new CertificateRegistry(poller, Duration.ofHours(1));
    CertificateReloader plain = registry.acquire(tls);
    CertificateReloader withCa = registry.acquire(mutual);
    assertThat(withCa.set()).isNotSameAs(plain.set());
    assertThat(registry.reloads(tls, "success")).isEqualTo(1);
    assertThat(registry.reloads(mutual, "success")).isEqualTo(1);
    assertThat(registry.reloads(tls.certChain(), "success")).as("both, by the certificate alone").isEqualTo(2);
    assertThat(scrape(registry))
        .contains("switchyard_tls_reload_total{cert=\"" + tls.certChain() + "\",client_ca=\"\",result=\"success\"} 1.0")
        .contains("switchyard_tls_reload_total{cert=\"" + tls.certChain() + "\",client_ca=\"" + pki.caCert()
            + "\",result=\"success\"} 1.0");
  }

  @Test
  void theSameFilesSpelledDifferentlyAreOneSet() throws Exception {
    TlsOptions tls = copy(TestCertificates.create(dir.resolve("pki")));
    CertificateRegistry registry = new CertificateRegistry(poller, Duration.ofHours(1));
    CertificateReloader a = registry.acquire(tls);
    CertificateReloader b = registry.acquire(new TlsOptions(dir.resolve("pki/../tls.crt"), dir.resolve("./tls.key"), null));
    assertThat(b.set()).isSameAs(a.set());
  }

  @Test
  void aDifferentClientCaIsAnotherSet() throws Exception {
    TestCertificates pki = TestCertificates.create(dir.resolve("pki"));
    TlsOptions tls = copy(pki);
    CertificateRegistry registry = new CertificateRegistry(poller, Duration.ofHours(1));
    CertificateReloader plain = registry.acquire(tls);
    CertificateReloader mutual = registry.acquire(new TlsOptions(tls.certChain(), tls.privateKey(), pki.caCert()));
    assertThat(mutual.set()).isNotSameAs(plain.set());
    assertThat(mutual.options().mutual()).isTrue();
  }

  @Test
  void eachRegistryCountsOnlyItsOwnLoads() throws Exception {
    TlsOptions tls = copy(TestCertificates.create(dir.resolve("pki")));
    CertificateRegistry one = new CertificateRegistry(poller, Duration.ofHours(1));
    CertificateRegistry other = new CertificateRegistry(poller, Duration.ofHours(1));
    CertificateReloader a = one.acquire(tls);
    CertificateReloader b = other.acquire(tls);
    assertThat(b.set()).isNotSameAs(a.set());
    Files.writeString(tls.certChain(), "not a certificate\n");
    assertThat(a.reloadNow()).isFalse();
    assertThat(one.reloads(tls.certChain(), "failure")).isEqualTo(1);
    assertThat(other.reloads(tls.certChain(), "failure")).isZero();
    assertThat(other.reloads(tls.certChain(), "success")).isEqualTo(1);
  }

  @Test
  void aSetIsPolledByOneTaskUntilItsLastListenerCloses() throws Exception {
    TlsOptions tls = copy(TestCertificates.create(dir.resolve("pki")));
    CertificateRegistry registry = new CertificateRegistry(poller, Duration.ofHours(1));
    CertificateReloader a = registry.acquire(tls).watch();
    CertificateReloader b = registry.acquire(tls).watch();
    CertificateReloader c = registry.acquire(tls).watch();
    assertThat(poller.getQueue()).hasSize(1);
    a.close();
    a.close();
    a.close();
    assertThat(poller.getQueue()).as("closing one handle again does not release the others'").hasSize(1);
    b.close();
    assertThat(poller.getQueue()).as("one listener still uses the files").hasSize(1);
    c.close();
    assertThat(poller.getQueue()).isEmpty();
  }

  @Test
  void filesAreLoadedAgainOnceEveryListenerOfASetClosed() throws Exception {
    TlsOptions tls = copy(TestCertificates.create(dir.resolve("pki")));
    CertificateRegistry registry = new CertificateRegistry(poller, Duration.ofHours(1));
    CertificateReloader first = registry.acquire(tls);
    first.close();
    CertificateReloader again = registry.acquire(tls);
    assertThat(again.set()).isNotSameAs(first.set());
    assertThat(registry.reloads(tls.certChain(), "success")).isEqualTo(2);
  }

  @Test
  void aSetThatDoesNotLoadIsCountedAndNotKept() throws Exception {
    TlsOptions tls = copy(TestCertificates.create(dir.resolve("pki")));
    Files.writeString(tls.privateKey(), "not a key\n");
    CertificateRegistry registry = new CertificateRegistry(poller, Duration.ofHours(1));
    assertThatThrownBy(() -> registry.acquire(tls)).isInstanceOf(java.io.IOException.class);
    assertThatThrownBy(() -> registry.acquire(tls)).as("tried again, not served from a cache")
        .isInstanceOf(java.io.IOException.class);
    assertThat(registry.reloads(tls.certChain(), "failure")).isEqualTo(2);
  }

  @Test
  void exportingToOneMetricsRegistryTwiceRegistersOnce() throws Exception {
    CertificateRegistry registry = new CertificateRegistry(poller, Duration.ofHours(1));
    Metrics metrics = new Metrics(new PrometheusRegistry());
    registry.exportMetrics(metrics);
    registry.exportMetrics(metrics);
    CertificateRegistry other = new CertificateRegistry(poller, Duration.ofHours(1));
    assertThatThrownBy(() -> other.exportMetrics(metrics)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("switchyard_tls_reload_total");
  }

  @Test
  void closingARegistryStopsItsPollsButNotAGivenExecutor() throws Exception {
    TlsOptions tls = copy(TestCertificates.create(dir.resolve("pki")));
    CertificateRegistry registry = new CertificateRegistry(poller, Duration.ofHours(1));
    registry.acquire(tls).watch();
    registry.close();
    assertThat(poller.getQueue()).isEmpty();
    assertThat(poller.isShutdown()).as("an executor given to the registry is its caller's").isFalse();
  }

  private TlsOptions copy(TestCertificates pki) throws Exception {
    return new TlsOptions(Files.copy(pki.serverCert(), dir.resolve("tls.crt")),
        Files.copy(pki.serverKey(), dir.resolve("tls.key")), null);
  }

  private static void rotate(TlsOptions tls, TestCertificates to) throws Exception {
    Files.copy(to.serverKey(), tls.privateKey(), StandardCopyOption.REPLACE_EXISTING);
    Files.copy(to.serverCert(), tls.certChain(), StandardCopyOption.REPLACE_EXISTING);
  }

  private static String scrape(CertificateRegistry registry) throws Exception {
    Metrics metrics = new Metrics(new PrometheusRegistry());
    registry.exportMetrics(metrics);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, metrics.registry().scrape());
    return out.toString(StandardCharsets.UTF_8);
  }
}
