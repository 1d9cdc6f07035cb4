package io.switchyard.serverkit.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.serverkit.http.HttpResponses;
import io.switchyard.serverkit.metrics.Metrics;
import io.switchyard.serverkit.tls.CertificateRegistry;
import io.switchyard.serverkit.tls.TlsOptions;
import io.switchyard.testing.TestCertificates;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminServerTest {
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void readyOnlyWhenEveryComponentIsReady() throws Exception {
    Metrics metrics = new Metrics(new PrometheusRegistry());
    Readiness readiness = new Readiness();
    Readiness.Component a = readiness.register("a");
    Readiness.Component b = readiness.register("b");
    try (AdminServer admin = AdminServer.builder(metrics, readiness).port(0).build().start()) {
      assertThat(get(admin, "/healthz", null).statusCode()).isEqualTo(200);
      a.ready();
      HttpResponse<String> notReady = get(admin, "/readyz", null);
      assertThat(notReady.statusCode()).isEqualTo(503);
      assertThat(notReady.body()).contains("\"b\":\"starting\"");
      b.ready();
      assertThat(get(admin, "/readyz", null).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void readyzAnswers503WhileTheProcessDrainsAndLivenessStaysUp() throws Exception {
    Readiness readiness = new Readiness();
    readiness.register("ext-authz").ready();
    try (AdminServer admin = AdminServer.builder(new Metrics(new PrometheusRegistry()), readiness).port(0).build().start()) {
      assertThat(get(admin, "/readyz", null).statusCode()).isEqualTo(200);

      readiness.drain();

      HttpResponse<String> draining = get(admin, "/readyz", null);
      assertThat(draining.statusCode()).isEqualTo(503);
      assertThat(draining.body()).contains("\"draining\":true").contains("\"ext-authz\":\"draining\"");
      assertThat(get(admin, "/healthz", null).statusCode()).as("Kubernetes must not restart a draining pod")
          .isEqualTo(200);
    }
  }

  @Test
  void metricsIncludeJvmAndComponentSeries() throws Exception {
    Metrics metrics = new Metrics(new PrometheusRegistry());
    metrics.counter("switchyard_test_total", "test counter", "kind").labelValues("x").inc(3);
    try (AdminServer admin = AdminServer.builder(metrics, new Readiness()).port(0).build().start()) {
      String body = get(admin, "/metrics", null).body();
      assertThat(body).contains("switchyard_test_total{kind=\"x\"} 3.0").contains("jvm_memory_used_bytes");
    }
  }

  @Test
  void configDumpRoutesRequireTheBearerToken() throws Exception {
    try (AdminServer admin = AdminServer.builder(new Metrics(new PrometheusRegistry()), new Readiness())
        .port(0).bearerToken("s3cret")
        .route("/config", ex -> HttpResponses.json(ex, 200, Map.of("limits", 1)), true)
        .build().start()) {
      HttpResponse<String> refused = get(admin, "/config", null);
      assertThat(refused.statusCode()).isEqualTo(401);
      assertThat(refused.body()).contains("\"error\"");
      assertThat(get(admin, "/config", "wrong").statusCode()).isEqualTo(401);
      assertThat(get(admin, "/config", "s3cret").body()).isEqualTo("{\"limits\":1}");
      assertThat(get(admin, "/metrics", null).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void probeEndpointsRefuseOtherMethodsWith405AndAllow() throws Exception {
    try (AdminServer admin = AdminServer.builder(new Metrics(new PrometheusRegistry()), new Readiness()).port(0).build().start()) {
      for (String path : new String[] {"/healthz", "/readyz", "/metrics"}) {
        for (String method : new String[] {"POST", "PUT", "DELETE"}) {
          HttpResponse<String> r = send(admin, method, path);
          assertThat(r.statusCode()).as(method + " " + path).isEqualTo(405);
          assertThat(r.headers().firstValue("Allow")).as(method + " " + path).hasValue("GET, HEAD");
        }
      }
    }
  }

  @Test
  void headIsAnsweredLikeGetWithoutABody() throws Exception {
    Readiness readiness = new Readiness();
    Readiness.Component c = readiness.register("c");
    try (AdminServer admin = AdminServer.builder(new Metrics(new PrometheusRegistry()), readiness).port(0).build().start()) {
      HttpResponse<String> live = send(admin, "HEAD", "/healthz");
      assertThat(live.statusCode()).isEqualTo(200);
      assertThat(live.body()).isEmpty();
      assertThat(send(admin, "HEAD", "/readyz").statusCode()).isEqualTo(503);
      c.ready();
      assertThat(send(admin, "HEAD", "/readyz").statusCode()).isEqualTo(200);
      HttpResponse<String> metrics = send(admin, "HEAD", "/metrics");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
      assertThat(metrics.body()).isEmpty();
    }
  }

  @Test
  void metricsCountTheTlsLoadsOfTheCertificateRegistryGiven(@TempDir Path dir) throws Exception {
    TestCertificates pki = TestCertificates.create(dir);
    try (CertificateRegistry certificates = new CertificateRegistry();
        AdminServer admin = AdminServer.builder(new Metrics(new PrometheusRegistry()), new Readiness())
            .certificates(certificates).port(0).build().start()) {
      certificates.acquire(new TlsOptions(pki.serverCert(), pki.serverKey(), null)).close();
      assertThat(get(admin, "/metrics", null).body())
          .contains("switchyard_tls_reload_total{cert=\"" + pki.serverCert() + "\",client_ca=\"\",result=\"success\"} 1.0");
    }
  }

  @Test
  void aPathThatIsNoRouteIsA404WithAJsonBodyNotTheRouteItStartsWith() throws Exception {
    // A probe or scrape configured with a typo (/readyzz, /healthz/live, /metricsx) must fail, not read as healthy.
    try (AdminServer admin = AdminServer.builder(new Metrics(new PrometheusRegistry()), new Readiness()).port(0)
        .route("/xds/nacks", ex -> HttpResponses.json(ex, 200, Map.of("nacks", 0)), false)
        .build().start()) {
      admin.addRoute("/rlconfig", ex -> HttpResponses.json(ex, 200, Map.of("limits", 1)), false);
      for (String path : new String[] {"/", "/nothing", "/readyzz", "/healthz/live", "/metricsx", "/xds/nacks/all", "/rlconfig2"}) {
        HttpResponse<String> r = get(admin, path, null);
        assertThat(r.statusCode()).as(path).isEqualTo(404);
        assertThat(r.headers().firstValue("Content-Type")).as(path).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        assertThat(r.body()).as(path).startsWith("{\"error\":");
      }
      assertThat(get(admin, "/readyz", null).statusCode()).isEqualTo(200);
      assertThat(get(admin, "/metrics?name[]=jvm_threads_current", null).statusCode()).isEqualTo(200);
      assertThat(get(admin, "/xds/nacks?node_group=edge", null).body()).isEqualTo("{\"nacks\":0}");
      assertThat(get(admin, "/rlconfig", null).body()).isEqualTo("{\"limits\":1}");
    }
  }

  private HttpResponse<String> send(AdminServer admin, String method, String path) throws Exception {
    HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + path))
        .method(method, HttpRequest.BodyPublishers.noBody()).build();
    return http.send(r, HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(AdminServer admin, String path, String token) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + path));
    if (token != null) {
      r.header("Authorization", "Bearer " + token);
    }
    return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }
}
