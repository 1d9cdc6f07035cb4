package io.switchyard.topology.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.switchyard.model.v1.SloAlertRecord;
import io.switchyard.model.v1.SloStatusRecord;
import io.switchyard.serverkit.http.HttpServerKit;
import io.switchyard.topology.MeshScenario;
import io.switchyard.topology.query.DecodePool;
import io.switchyard.topology.query.TopologyQueries;
import io.switchyard.topology.store.RocksTopologyStore;
import io.switchyard.topology.store.StoreBatch;
import io.switchyard.testing.MutableClock;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutated query strings (and item names), derived with a fixed seed from valid requests of each API endpoint, sent as
 * raw request lines to the real router over a filled store: each is answered 200 or a 4xx whose JSON body says what is
 * wrong (a 400 names the parameter), never a 5xx, a dropped connection or a hang. A failure names the seed, the
 * iteration and the request.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ApiParametersMutationTest {
  private static final long SEED = 0x5eed34L;
  private static final int ITERATIONS = 400;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] ODD = {"", " ", "-1", "0", "1", "100", "101", "99999999999999999999",
      "-99999999999999999999", "abc", "now", "now-", "now-15", "now-15x", "now+1h", "now-1h30m", "now--1m", "now-0s",
      "now-36525d", "now-36526d", "now-99999999999999999999d", "now-1w2d3h4m5s6ms", "now-ms", "1e9", "1.5", "NaN",
      "Infinity", "%", "%zz", "%e9", "%C3%28", "%F0%9F%98%80", "h\u00e9llo", "\u200b", "\ud835\udfd9", "\u0663\u0660",
      "9".repeat(1000), "a".repeat(10000), "2026-11-25T20:00:00Z", "2026-11-25T20:00:00+14:00",
      "+999999999-12-31T23:59:59Z", "-999999999-01-01T00:00:00Z", "1795636800.5", "0.0000001", ".", "..", "+", "%2B",
      ",", "shop,,pay", " ,shop", "%00", "10000000000", "999999999999999", "9999999999999999", "1000000000000000.5",
      "2147483648", "-2147483649", "shop", "cart", "service", "workload", "app", "versionedApp", "avg", "50", "95", "99",
      "9999999999", "253402300799", "253402300800", "-0", "0x10", "1_000", "30s", "1M", "1y", "7d", "%2Fx", "../x",
      "<script>", "\"", "'", "\\", "{}", "[]", "true", "null", "\t", "%0d%0aX-Injected:%201"};

  @TempDir static Path dir;
  private RocksTopologyStore store;
  private DecodePool decoders;
  private HttpServerKit server;
  private long nowSeconds;

  @BeforeAll
  void start() throws Exception {
    store = RocksTopologyStore.open(dir);
    decoders = new DecodePool(1);
    StoreBatch b = new StoreBatch();
    MeshScenario.edges().forEach(k -> b.edge(k.key(), k.value()));
    MeshScenario.services().forEach(k -> b.service(k.key(), k.value()));
    long evaluated = MeshScenario.NOW.toEpochMilli() - 60_000;
    b.sloStatus("cart-availability", SloStatusRecord.newBuilder().setName("cart-availability").setService("cart")
        .setSliKind("availability").setObjective(0.99).setTimeWindow("28d").setEvaluatedAtUnixMs(evaluated)
        .setGoodEvents(99_250).setTotalEvents(100_000).setSli(0.9925).setErrorBudgetRemaining(0.25).build());
    b.sloAlert(SloAlertRecord.newBuilder().setSlo("cart-availability").setTransitionUnixMs(evaluated)
        .setLongBurnRate(20).setShortBurnRate(30).build());
    store.write(b);
    TopologyQueries q = new TopologyQueries(store, new MutableClock(MeshScenario.NOW), () -> 0, () -> true, decoders);
    server = HttpServerKit.builder("fuzz", 0).host("127.0.0.1")
        .route("/", new ApiRouter(q, AccessPolicy.OPEN, ApiRouterTest.fixedMetrics("up 1\n")), false).build().start();
    nowSeconds = MeshScenario.NOW.getEpochSecond();
  }

  @AfterAll
  void stop() {
    server.close();
    decoders.close();
    store.close();
  }

  @Test
  void mutatedGraphParametersGet200OrA4xxNamingTheParameter() throws Exception {
    fuzz("/api/v1/graph", Set.of("from", "to", "namespace", "service", "depth", "type"),
        "from=now-15m&to=now&type=workload&service=cart&depth=2&namespace=shop");
  }

  @Test
  void mutatedGrafanaNodeGraphParametersGet200OrA4xxNamingTheParameter() throws Exception {
    fuzz("/api/graph/data", Set.of("from", "to", "namespace", "service", "depth", "type"),
        "from=1795636800000&to=now&type=service&service=cart&depth=1");
  }

  @Test
  void mutatedKialiGraphParametersGet200OrA4xxNamingTheParameter() throws Exception {
    fuzz("/api/namespaces/graph", Set.of("namespaces", "graphType", "duration", "queryTime", "appenders",
            "injectServiceNodes", "boxBy", "rateHttp", "rateGrpc", "rateTcp", "responseTime", "throughputType",
            "includeIdleEdges", "ambientTraffic", "waypoints"),
        "graphType=versionedApp&duration=3600s&namespaces=shop,pay&queryTime=" + nowSeconds
            + "&responseTime=95&appenders=deadNode,responseTime&injectServiceNodes=true");
  }

  @Test
  void mutatedServiceSeriesParametersGet200OrA4xxNamingTheParameter() throws Exception {
    Set<String> known = Set.of("from", "to", "step", "namespace");
    fuzz("/api/v1/services", known, "from=now-1h&to=now&step=1m&namespace=shop");
    fuzz("/api/v1/services/cart", known, "from=now-1h&to=now&step=30s");
  }

  @Test
  void mutatedSloRequestsGet200OrA4xxNamingTheParameter() throws Exception {
    fuzz("/api/v1/slos", Set.of(), "");
    fuzz("/api/v1/slos/cart-availability", Set.of(), "");
  }

  /** Edges a random walk may miss: longest ranges at the finest step, empty and reversed windows, the far past. */
  @Test
  void extremeButWellFormedParametersGet200OrA4xxNamingTheParameter() throws Exception {
    String[] targets = {
        "/api/v1/services?from=now-36525d&step=1ms", "/api/v1/services?from=now-36525d&step=1",
        "/api/v1/services/cart?from=now-36525d&step=1ms", "/api/v1/services/cart?from=now-36525d",
        "/api/v1/services?from=now&to=now&step=1m", "/api/v1/services?from=now%2B1h&to=now", "/api/v1/services?to=1",
        "/api/v1/services?from=0&to=1&step=36525d", "/api/v1/services/cart?from=now-1h&to=now-2h&step=1s",
        "/api/v1/graph?from=now-36525d&to=now%2B36525d", "/api/v1/graph?from=now&to=now", "/api/v1/graph?from=1&to=2",
        "/api/v1/graph?from=999999999999999&to=999999999999999", "/api/v1/graph?service=cart&depth=100&type=versionedApp",
        "/api/v1/graph?service=%E2%80%8B&depth=100", "/api/graph/data?from=now-36525d&service=db&depth=100&type=app",
        "/api/namespaces/graph?duration=36525d&queryTime=0", "/api/namespaces/graph?duration=1ms&queryTime=253402300799",
        "/api/namespaces/graph?duration=36525d&queryTime=253402300799&graphType=app&namespaces=shop,pay,x",
        "/api/v1/slos/%E2%80%8B", "/api/v1/slos/cart-availability%00", "/api/v1/services/%2e%2e", "/api/v1/services/+"};
    for (String target : targets) {
      check(target, Set.of(), "GET " + target);
    }
  }

  private void fuzz(String path, Set<String> known, String seed) throws Exception {
    Random random = new Random(SEED ^ path.hashCode());
    for (int i = 0; i < ITERATIONS; i++) {
      String target = mutate(path, known, seed, random);
      check(target, known, "seed " + Long.toHexString(SEED) + " (^ path hash) iteration " + i + ": GET " + target);
    }
  }

  private static String encode(String v, Random random) {
    // Mostly as a client encodes it; sometimes as typed, percent signs and all.
    if (random.nextInt(4) == 0) {
      return v.replace(" ", "%20").replace("\t", "%09").replace("&", "%26").replace("#", "%23");
    }
    return URLEncoder.encode(v, StandardCharsets.UTF_8);
  }

  private String mutate(String path, Set<String> known, String seed, Random random) {
    List<String[]> pairs = new ArrayList<>();
    for (String p : seed.split("&")) {
      if (!p.isEmpty()) {
        int eq = p.indexOf('=');
        pairs.add(new String[] {p.substring(0, eq), URLEncoder.encode(p.substring(eq + 1), StandardCharsets.UTF_8)});
      }
    }
    List<String> names = new ArrayList<>(known);
    names.sort(null);
    String item = path;
    int n = 1 + random.nextInt(3);
    for (int m = 0; m < n; m++) {
      int op = random.nextInt(9);
      if (pairs.isEmpty() && op < 4) {
        op = 4;
      }
      switch (op) {
        case 0 -> pairs.remove(random.nextInt(pairs.size()));
        case 1, 2, 3 -> pairs.get(random.nextInt(pairs.size()))[1] = encode(ODD[random.nextInt(ODD.length)], random);
        case 4 -> {
          String name = names.isEmpty() || random.nextInt(3) == 0 ? "bogus" : names.get(random.nextInt(names.size()));
          pairs.add(new String[] {name, encode(ODD[random.nextInt(ODD.length)], random)});
        }
        case 5 -> pairs.add(new String[] {encode(ODD[random.nextInt(ODD.length)], random), "1"});
        case 6 -> pairs.add(new String[] {names.isEmpty() ? "x" : names.get(random.nextInt(names.size())), null});
        case 7 -> {
          if (path.startsWith("/api/v1/services/") || path.startsWith("/api/v1/slos/")) {
            item = path.substring(0, path.lastIndexOf('/') + 1) + encode(ODD[random.nextInt(ODD.length)], random);
          } else {
            pairs.add(new String[] {"", "x"});
          }
        }
        default -> {
          if (!pairs.isEmpty()) {
            String[] p = pairs.get(random.nextInt(pairs.size()));
            pairs.add(new String[] {p[0], encode(ODD[random.nextInt(ODD.length)], random)});
          }
        }
      }
    }
    StringBuilder q = new StringBuilder();
    for (String[] p : pairs) {
      q.append(q.length() == 0 ? "" : "&").append(p[0]).append(p[1] == null ? "" : "=" + p[1]);
    }
    if (random.nextInt(10) == 0) {
      q.append(random.nextBoolean() ? "&" : "&&=");
    }
    return q.length() == 0 ? item : item + "?" + q;
  }

  private void check(String target, Set<String> known, String where) throws Exception {
    int status;
    String contentType = null;
    byte[] body;
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write(("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      String text = all.toString(StandardCharsets.ISO_8859_1);
      int headerEnd = text.indexOf("\r\n\r\n");
      if (!text.startsWith("HTTP/1.1 ") || headerEnd < 0) {
        fail("no HTTP answer (got '" + text + "') to " + where);
        return;
      }
      status = Integer.parseInt(text.substring(9, 12));
      for (String h : text.substring(0, headerEnd).split("\r\n")) {
        if (h.regionMatches(true, 0, "Content-Type:", 0, 13)) {
          contentType = h.substring(13).trim();
        }
      }
      body = java.util.Arrays.copyOfRange(all.toByteArray(), headerEnd + 4, all.size());
    } catch (java.net.SocketTimeoutException e) {
      throw new AssertionError("no answer within 5 s to " + where, e);
    }
    String text = new String(body, StandardCharsets.UTF_8);
    if (!isUri(target)) {
      // A request target that is no URI (a raw brace or UTF-8 byte, a % without two hex digits) is refused by the JDK's server
      // before any handler runs, with its own 400 page; still a 400, never more.
      assertThat(status).as(where + " answered " + text).isEqualTo(400);
      return;
    }
    if (status == 200) {
      assertThat(contentType).as(where).startsWith("application/json");
      JSON.readTree(body);
      return;
    }
    assertThat(status).as(where + " answered " + text).isBetween(400, 499);
    assertThat(contentType).as(where + " answered " + status + " " + text).startsWith("application/json");
    JsonNode error = JSON.readTree(body);
    assertThat(error.path("error").asText()).as(where).isNotBlank();
    if (status == 400) {
      // The parameter as it was named, "" for one without a name ("?=x").
      assertThat(error.path("parameter").isTextual()).as(where + " answered " + text).isTrue();
      assertThat(error.path("error").asText()).as(where).contains("parameter '" + error.path("parameter").asText() + "'");
    }
  }

  private static boolean isUri(String target) {
    try {
      // As the JDK's server reads the request line: one character per byte.
      new java.net.URI(new String(target.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
      return true;
    } catch (java.net.URISyntaxException e) {
      return false;
    }
  }
}
