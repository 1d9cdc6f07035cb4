package io.switchyard.launcher.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.switchyard.demo.DemoSettings;
import io.switchyard.launcher.Main;
import io.switchyard.model.Topics;
import io.switchyard.testing.FreePorts;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedRuntimeIT {
  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void upServesKafkaToThirdPartyClientsAndKeepsRecordsAcrossRestarts() throws Exception {
    // The repository's own example config folder: rate limits, policies and a mesh file.
    Path config = Path.of("").toAbsolutePath().getParent().resolve("config");
    int kafkaPort = FreePorts.next();
    EmbeddedRuntime.Ports ports = new EmbeddedRuntime.Ports(FreePorts.next(), FreePorts.next(), FreePorts.next(),
        FreePorts.next(), FreePorts.next(), FreePorts.next(), FreePorts.next());
    EmbeddedRuntime.Settings settings = new EmbeddedRuntime.Settings(dir.resolve("data"), config,
        "127.0.0.1", 0, null, kafkaPort, FreePorts.next(), "", null, List.of(), ports, null);
    ByteArrayOutputStream lines = new ByteArrayOutputStream();
    String topic = Topics.SPANS.name();
    try (SwitchyardProcess p = EmbeddedRuntime.start(settings, new PrintStream(lines, true, StandardCharsets.UTF_8))) {
      assertThat(lines.toString(StandardCharsets.UTF_8)).contains("kafka").contains("ready  127.0.0.1:" + kafkaPort);
      int admin = p.admin().port();
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
          .until(() -> get(admin, "/readyz").statusCode() == 200);
      // The topology API counts: ready only once its store caught up with the aggregate topics.
      assertThat(p.readiness().snapshot()).containsEntry("topology-api", "ready");
      assertThat(get(admin, "/readyz").body()).contains("topology-api");
      assertThat(lines.toString(StandardCharsets.UTF_8)).contains("ratelimit").contains("ext-authz").contains("ingest")
          .contains("topology-api").contains("xds");
      assertThat(get(admin, "/metrics").body()).contains("jvm_memory_used_bytes")
          .contains("switchyard_config_reload_total{component=\"ratelimit\",result=\"success\"}");
      assumeThat(Path.of("/usr/bin/kcat")).as("kcat (Debian package kcat) is installed by bin/test").exists();
      kcat("seq 1 1000 | kcat -b 127.0.0.1:" + kafkaPort + " -P -t " + topic);
      assertThat(kcat("kcat -b 127.0.0.1:" + kafkaPort + " -C -t " + topic + " -o beginning -e -q").lines().count()).isEqualTo(1000);
    }
    try (SwitchyardProcess again = EmbeddedRuntime.start(settings, new PrintStream(lines, true, StandardCharsets.UTF_8))) {
      String consumed = kcat("kcat -b 127.0.0.1:" + kafkaPort + " -C -t " + topic + " -o beginning -e -q");
      assertThat(consumed.lines().mapToInt(Integer::parseInt).sum()).isEqualTo(1000 * 1001 / 2);
    }
  }

  /**
   * A second {@code up} on a data folder in use (other ports, so the port check passes). Kafka's combined node locks
   * its log folder only when its broker starts, after its controller has opened the metadata log: the second one
   * wrote into the first one's metadata log before it failed with a stack trace, and the first process halted
   * ("Unexpected error in raft IO thread"). Now it is refused before it starts anything, and the first runs on.
   */
  @Test
  void aSecondUpOnADataFolderInUseIsRefusedBeforeItStartsAnythingAndTheFirstRunsOn() throws Exception {
    Path config = Path.of("").toAbsolutePath().getParent().resolve("config");
    Path data = dir.resolve("data");
    EmbeddedRuntime.Settings first = new EmbeddedRuntime.Settings(data, config, "127.0.0.1", 0, null, FreePorts.next(),
        FreePorts.next(), "", null, List.of(), freePorts(), null);
    int secondAdmin = FreePorts.next();
    EmbeddedRuntime.Settings second = new EmbeddedRuntime.Settings(data, config, "127.0.0.1", secondAdmin, null,
        FreePorts.next(), FreePorts.next(), "", null, List.of(), freePorts(), null);
    ByteArrayOutputStream lines = new ByteArrayOutputStream();
    try (SwitchyardProcess p = EmbeddedRuntime.start(first, new PrintStream(lines, true, StandardCharsets.UTF_8))) {
      ByteArrayOutputStream secondLines = new ByteArrayOutputStream();
      assertThatThrownBy(() -> EmbeddedRuntime.start(second, new PrintStream(secondLines, true, StandardCharsets.UTF_8)))
          .isInstanceOf(Main.UsageException.class)
          .hasMessage("data folder " + data + " is in use by another switchyard up; stop it, or give another --data-dir");
      assertThat(secondLines.toString(StandardCharsets.UTF_8)).as("nothing of the second one started").isEmpty();
      try (ServerSocket free = new ServerSocket(secondAdmin, 50, InetAddress.getLoopbackAddress())) {
        assertThat(free.getLocalPort()).isEqualTo(secondAdmin);
      }
      int admin = p.admin().port();
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> get(admin, "/readyz").statusCode() == 200);
      assertThat(p.readiness().snapshot()).containsEntry("kafka", "ready");
    }
    // Stopped, the folder is free again.
    try (SwitchyardProcess again = EmbeddedRuntime.start(second, new PrintStream(lines, true, StandardCharsets.UTF_8))) {
      assertThat(again.admin().port()).isEqualTo(secondAdmin);
    }
  }

  private static EmbeddedRuntime.Ports freePorts() {
    return new EmbeddedRuntime.Ports(FreePorts.next(), FreePorts.next(), FreePorts.next(), FreePorts.next(),
        FreePorts.next(), FreePorts.next(), FreePorts.next());
  }

  /**
   * A user who moves the demo's JWKS port: the demo policies still name another port (here one nobody
   * listens on), and ext-authz must fetch the demo issuer's keys from where the demo serves them.
   */
  @Test
  void upDemoFetchesTheDemoIssuersKeysFromTheJwksPortItWasGiven() throws Exception {
    // Only the demo's policies: ext-authz is what is under test (the other components are off without their folders).
    Path policies = Path.of("").toAbsolutePath().getParent().resolve("config/demo/authz/storefront.yaml");
    Path config = dir.resolve("config");
    int policyPort = FreePorts.next();
    Files.createDirectories(config.resolve("authz"));
    Files.writeString(config.resolve("authz/storefront.yaml"),
        Files.readString(policies).replace("127.0.0.1:8089", "127.0.0.1:" + policyPort));
    assertThat(Files.readString(config.resolve("authz/storefront.yaml"))).contains("127.0.0.1:" + policyPort + "/.well-known/jwks.json");
    int jwksPort = FreePorts.next();
    EmbeddedRuntime.Ports ports = new EmbeddedRuntime.Ports(FreePorts.next(), FreePorts.next(), FreePorts.next(),
        FreePorts.next(), FreePorts.next(), FreePorts.next(), FreePorts.next());
    DemoSettings demo = new DemoSettings(20, DemoSettings.Scenario.STEADY, 1, Duration.ofSeconds(60), Duration.ofSeconds(60),
        Duration.ofSeconds(120), "127.0.0.1", ports.extAuthz(), ports.ratelimit(), ports.otlpGrpc(), ports.als(), jwksPort, 7);
    EmbeddedRuntime.Settings settings = new EmbeddedRuntime.Settings(dir.resolve("data"), config,
        "127.0.0.1", 0, null, FreePorts.next(), FreePorts.next(), "", null, List.of(), ports, demo);
    ByteArrayOutputStream lines = new ByteArrayOutputStream();
    try (SwitchyardProcess p = EmbeddedRuntime.start(settings, new PrintStream(lines, true, StandardCharsets.UTF_8))) {
      assertThat(lines.toString(StandardCharsets.UTF_8)).contains("JWKS on :" + jwksPort);
      int admin = p.admin().port();
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
        String metrics = get(admin, "/metrics").body();
        assertThat(counter(metrics, "switchyard_extauthz_jwks_fetches_total{result=\"success\"}")).as(metrics).isPositive();
      });
    }
  }

  private static double counter(String exposition, String series) {
    return exposition.lines().filter(l -> l.startsWith(series + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1).trim())).sum();
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String kcat(String shell) throws Exception {
    Process p = new ProcessBuilder("bash", "-c", shell).redirectErrorStream(false).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("%s: %s", shell, new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
    return out;
  }
}
