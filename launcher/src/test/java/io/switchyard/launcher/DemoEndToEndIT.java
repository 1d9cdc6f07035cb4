package io.switchyard.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchyard.demo.DemoSettings;
import io.switchyard.launcher.runtime.EmbeddedRuntime;
import io.switchyard.launcher.runtime.SwitchyardProcess;
import io.switchyard.model.Topics;
import io.switchyard.testing.FreePorts;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole product, end to end, as a user runs it: {@code up} with the demo config, the Flink jobs in
 * their child JVM, and the demo mesh's checkout-outage traffic (sped up ten times, so that a page alert
 * fires and resolves within the run). Everything is asserted through the public interfaces: the
 * topology API, the admin metrics, the decision-log topic, and the page as headless Chromium draws it.
 */
class DemoEndToEndIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path REPO = Path.of("").toAbsolutePath().getParent();
  private static final Path FLINK_JAR = REPO.resolve("flink-jobs/target/switchyard-flink-local.jar");
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void demoTrafficBecomesAGraphSlosAlertsMetricsDecisionLogsAndAPage() throws Exception {
    assertThat(FLINK_JAR).as("the Flink jobs' local jar (built by the reactor before the launcher)").exists();
    int jwksPort = FreePorts.next();
    Path config = copyDemoConfig(jwksPort);
    EmbeddedRuntime.Ports ports = new EmbeddedRuntime.Ports(FreePorts.next(), FreePorts.next(), FreePorts.next(),
        FreePorts.next(), FreePorts.next(), FreePorts.next(), FreePorts.next());
    DemoSettings demo = new DemoSettings(25, DemoSettings.Scenario.CHECKOUT_OUTAGE, 10, Duration.ofSeconds(25),
        Duration.ofSeconds(50), Duration.ofSeconds(150), "127.0.0.1", ports.extAuthz(), ports.ratelimit(),
        ports.otlpGrpc(), ports.als(), jwksPort, 7);
    int kafkaPort = FreePorts.next();
    EmbeddedRuntime.Settings settings = new EmbeddedRuntime.Settings(dir.resolve("data"), config, "127.0.0.1", 0, null,
        kafkaPort, FreePorts.next(), "", FLINK_JAR, List.of("-Xmx768m"), ports, demo);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    try (SwitchyardProcess p = EmbeddedRuntime.start(settings, new PrintStream(log, true, StandardCharsets.UTF_8))) {
      String admin = "http://127.0.0.1:" + p.admin().port();
      String api = "http://127.0.0.1:" + ports.topology();
      await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2))
          .untilAsserted(() -> assertThat(get(admin + "/readyz").statusCode()).as(log.toString(StandardCharsets.UTF_8)).isEqualTo(200));

      // The expected hops of the storefront, with traffic.
      await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(5)).untilAsserted(() -> {
        JsonNode graph = json(api + "/api/v1/graph?from=now-30m");
        Map<String, Double> rates = new java.util.HashMap<>();
        for (JsonNode e : graph.get("edges")) {
          rates.merge(name(graph, e.get("source").asText()) + "->" + name(graph, e.get("target").asText()),
              e.get("requestRate").asDouble(), Double::sum);
        }
        assertThat(rates).as("edges of the graph").containsKeys("frontend->catalog", "frontend->checkout",
            "checkout->payments", "checkout->cart", "recommendation->catalog");
        assertThat(rates.get("frontend->catalog")).isPositive();
        // The database hops are TCP: their traffic is the bytes the callers' sidecars counted.
        List<String> tcpBytes = new ArrayList<>();
        for (JsonNode e : graph.get("edges")) {
          if (e.path("protocol").asText().equals("tcp")) {
            tcpBytes.add(name(graph, e.get("source").asText()) + "->" + name(graph, e.get("target").asText())
                + " sent " + e.path("bytesSent").asDouble() + " received " + e.path("bytesReceived").asDouble());
            assertThat(e.path("bytesSent").asDouble()).as("%s", e).isPositive();
            assertThat(e.path("bytesReceived").asDouble()).as("%s", e).isPositive();
          }
        }
        assertThat(tcpBytes).as("TCP edges").anyMatch(s -> s.startsWith("catalog->postgres"));
      });

      // The outage fired the checkout SLO's page alert, and it resolved after checkout recovered.
      await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(5)).untilAsserted(() -> {
        JsonNode slo = json(api + "/api/v1/slos/checkout-availability");
        List<Boolean> pageTransitions = new ArrayList<>();
        for (JsonNode h : slo.get("alertHistory")) {
          if ("page".equals(h.at("/alert/severity").asText())) {
            pageTransitions.add(h.at("/alert/firing").asBoolean());
          }
        }
        assertThat(pageTransitions).as("page alert transitions of checkout-availability: %s", slo).contains(true);
        assertThat(pageTransitions.lastIndexOf(false)).isGreaterThan(pageTransitions.indexOf(true));
      });

      // The calendar SLO over the same requests reports its month so far.
      JsonNode monthly = json(api + "/api/v1/slos/checkout-monthly");
      assertThat(monthly.at("/timeWindow").asText()).as("%s", monthly).isEqualTo("1M");
      Instant periodStart = Instant.parse(monthly.at("/periodStart").asText());
      Instant periodEnd = Instant.parse(monthly.at("/periodEnd").asText());
      Instant evaluatedAt = Instant.parse(monthly.at("/evaluatedAt").asText());
      assertThat(periodStart.atZone(ZoneOffset.UTC).getDayOfMonth()).isEqualTo(1);
      assertThat(periodEnd.atZone(ZoneOffset.UTC).toLocalDate()).isEqualTo(periodStart.atZone(ZoneOffset.UTC).toLocalDate().plusMonths(1));
      assertThat(evaluatedAt).isAfter(periodStart).isBeforeOrEqualTo(periodEnd);
      assertThat(monthly.at("/totalEvents").asDouble()).isPositive();
      // Its own OpenSLO AlertPolicy (6x over 15m for 2m) paged during the outage too, naming its notification target.
      await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(5)).untilAsserted(() -> {
        JsonNode m = json(api + "/api/v1/slos/checkout-monthly");
        assertThat(m.at("/alerts/0/name").asText()).as("%s", m).isEqualTo("checkout-fast-burn");
        assertThat(m.at("/alerts/0/notificationTargets/0").asText()).isEqualTo("storefront-oncall");
        List<String> transitions = new ArrayList<>();
        for (JsonNode h : m.get("alertHistory")) {
          transitions.add(h.at("/alert/name").asText() + "=" + h.at("/alert/firing").asBoolean());
        }
        assertThat(transitions).as("alert transitions of checkout-monthly: %s", m).contains("checkout-fast-burn=true");
      });

      // Denials and rate limits are counted where operators look for them.
      String metrics = get(admin + "/metrics").body();
      assertThat(sum(metrics, "switchyard_extauthz_decisions_total", "deny")).isPositive();
      assertThat(sum(metrics, "ratelimit_service_rate_limit_over_limit", "")).isPositive();
      // The demo serves its JWKS before ext-authz starts, so ext-authz's first fetch of the demo issuer's keys finds them.
      assertThat(sum(metrics, "switchyard_extauthz_jwks_fetches_total", "success")).isPositive();
      assertThat(sum(metrics, "switchyard_extauthz_jwks_fetches_total", "failure")).isZero();

      // Every decision was logged to Kafka.
      assertThat(countRecords("127.0.0.1:" + kafkaPort, Topics.AUTHZ_DECISIONS.name())).isPositive();

      // The page draws exactly the nodes the API returns for the same window (the page's default, the last
      // five minutes). The sped-up demo's event time reaches the wall clock only at its end, so this waits
      // until that window has traffic, and compares a drawing with the API's answer right after it.
      if (!Files.isExecutable(CHROMIUM)) {
        throw new AssertionError("headless Chromium is needed for the page test: apt-get install chromium (bin/test does)");
      }
      await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(5)).untilAsserted(() -> {
        String dom = chromiumDom(api + "/");
        assertThat(dom).contains("data-loaded=\"true\"");
        Set<String> drawn = new TreeSet<>();
        Matcher m = Pattern.compile("data-node-id=\"([^\"]+)\"").matcher(dom);
        while (m.find()) {
          drawn.add(m.group(1).replace("&amp;", "&"));
        }
        Set<String> served = new TreeSet<>();
        json(api + "/api/v1/graph?from=now-5m&to=now").get("nodes").forEach(n -> served.add(n.get("id").asText()));
        assertThat(served).contains("storefront/frontend", "storefront/checkout");
        assertThat(drawn).isEqualTo(served);
      });
    }
  }

  private Path copyDemoConfig(int jwksPort) throws Exception {
    Path from = REPO.resolve("config/demo");
    Path to = dir.resolve("config");
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path f : walk.toList()) {
        Path target = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.writeString(target, Files.readString(f).replace("127.0.0.1:8089", "127.0.0.1:" + jwksPort));
        }
      }
    }
    return to;
  }

  private static String name(JsonNode graph, String id) {
    for (JsonNode n : graph.get("nodes")) {
      if (n.get("id").asText().equals(id)) {
        return n.get("name").asText();
      }
    }
    return id;
  }

  /** The sum of a metric's samples whose label set contains {@code labelValue} (any when empty). */
  private static double sum(String metrics, String name, String labelValue) {
    double total = 0;
    for (String line : metrics.lines().toList()) {
      if (line.startsWith(name + "{") || line.startsWith(name + " ") || line.startsWith(name + "_total{")) {
        if (labelValue.isEmpty() || line.contains("\"" + labelValue + "\"")) {
          total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
    }
    return total;
  }

  private static long countRecords(String bootstrap, String topic) {
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      return c.endOffsets(parts).values().stream().mapToLong(Long::longValue).sum();
    }
  }

  private String chromiumDom(String url) throws Exception {
    Path profile = Files.createDirectories(dir.resolve("chromium-profile"));
    Process p = new ProcessBuilder(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + profile, "--virtual-time-budget=15000", "--dump-dom", url)
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String dom = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(90, TimeUnit.SECONDS)).isTrue();
    return dom;
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode json(String url) throws Exception {
    HttpResponse<String> r = get(url);
    assertThat(r.statusCode()).as("%s: %s", url, r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }
}
