package io.switchyard.bench.extauthz;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.bench.ThreadCpu;
import io.switchyard.extauthz.authn.Authenticator;
import io.switchyard.extauthz.authn.JwksRegistry;
import io.switchyard.extauthz.config.PolicyLoader;
import io.switchyard.extauthz.config.PolicySet;
import io.switchyard.extauthz.decision.CacheSettings;
import io.switchyard.extauthz.decision.DecisionEngine;
import io.switchyard.extauthz.grpc.AuthorizationService;
import io.switchyard.extauthz.grpc.CheckResponses;
import io.switchyard.extauthz.log.DecisionLogSink;
import io.switchyard.extauthz.log.DecisionLogger;
import io.switchyard.extauthz.metrics.ExtAuthzMetrics;
import io.switchyard.extauthz.request.CheckRequestMapper;
import io.switchyard.serverkit.grpc.GrpcServer;
import io.switchyard.serverkit.metrics.Metrics;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Drives Check with h2load against four servers started here in one run: a no-op Authorization
 * server (the baseline), ext-authz with its decision cache, ext-authz without the cache (RBAC-style
 * evaluation of 20 policies every call) and ext-authz verifying a JWT on every call (no decision or
 * token cache). Reports throughput as a ratio to the no-op, the server's CPU time per Check (steadier
 * than throughput on a shared machine) and p50/p99 at fixed request rates.
 */
public final class ExtAuthzBench {
  private static final Pattern FINISHED = Pattern.compile("finished in ([0-9.]+)(m?s), ([0-9.]+) req/s");
  private static final Pattern REQUESTS = Pattern.compile("requests: (\\d+) total, (\\d+) started, (\\d+) done, (\\d+) succeeded");

  private record Scenario(String id, String name, int port, Path body) {}

  public static void main(String[] args) throws Exception {
    int requests = 200_000;
    int seconds = 8;
    int rounds = 3;
    boolean latency = true;
    List<String> only = List.of("noop", "cached", "uncached", "jwt");
    int warmupPasses = 3;
    int warmupRequests = 100_000;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--requests")) {
        requests = Integer.parseInt(args[++i]);
      } else if (args[i].equals("--duration")) {
        seconds = Integer.parseInt(args[++i]);
      } else if (args[i].equals("--rounds")) {
        rounds = Integer.parseInt(args[++i]);
      } else if (args[i].equals("--warmup")) {
        String[] w = args[++i].split("x");
        warmupPasses = Integer.parseInt(w[0]);
        warmupRequests = Integer.parseInt(w[1]);
      } else if (args[i].equals("--no-latency")) {
        latency = false;
      } else if (args[i].equals("--only")) {
        only = List.of(args[++i].split(","));
      } else {
        throw new IllegalArgumentException("unknown argument " + args[i] + " (--requests N, --duration SECONDS, --rounds N, --warmup PASSESxREQUESTS, --no-latency, --only noop,cached,cached-nolog,uncached,jwt)");
      }
    }
    Path dir = Files.createTempDirectory("extauthz-bench");
    RSAKey key = new RSAKeyGenerator(2048).keyID("bench").generate();
    String issuer = "https://issuer.bench.example";
    Files.writeString(dir.resolve("policies.yaml"), policies(issuer, new JWKSet(key.toPublicJWK()).toString()));
    PolicySet set = new PolicyLoader(PolicyLoader.DEFAULT_ROOT_NAMESPACE).load(dir);
    String token = token(key, issuer);

    List<AutoCloseable> closeables = new ArrayList<>();
    try {
      GrpcServer noop = GrpcServer.builder("noop", 0).host("127.0.0.1").addService(new AuthorizationGrpc.AuthorizationImplBase() {
        @Override
        public void check(CheckRequest request, StreamObserver<CheckResponse> out) {
          out.onNext(CheckResponse.newBuilder().setStatus(com.google.rpc.Status.newBuilder().setCode(0)).build());
          out.onCompleted();
        }
      }).build().start();
      closeables.add(noop);
      GrpcServer cached = extAuthz(set, CacheSettings.defaults(), 100_000, true, closeables);
      GrpcServer cachedNoLog = extAuthz(set, CacheSettings.defaults(), 100_000, false, closeables);
      GrpcServer uncached = extAuthz(set, new CacheSettings(0, Duration.ZERO), 100_000, true, closeables);
      GrpcServer jwtMiss = extAuthz(set, new CacheSettings(0, Duration.ZERO), 0, true, closeables);

      CheckRequest withToken = request("Bearer " + token);
      CheckRequest withoutToken = request(null);
      expectAllowed(cached.port(), withToken);
      expectAllowed(cachedNoLog.port(), withToken);
      expectAllowed(uncached.port(), withoutToken);
      expectAllowed(jwtMiss.port(), withToken);

      List<Scenario> all = List.of(
          new Scenario("noop", "no-op server (baseline)", noop.port(), frame(dir, "noop", withToken)),
          new Scenario("cached", "ext-authz, cached decision (JWT in request)", cached.port(), frame(dir, "cached", withToken)),
          new Scenario("cached-nolog", "ext-authz, cached decision, decision logs off", cachedNoLog.port(), frame(dir, "cached-nolog", withToken)),
          new Scenario("uncached", "ext-authz, uncached RBAC evaluation", uncached.port(), frame(dir, "uncached", withoutToken)),
          new Scenario("jwt", "ext-authz, uncached with JWT verification", jwtMiss.port(), frame(dir, "jwt", withToken)));
      // The baseline always runs: every figure is a ratio to it.
      List<String> chosen = only;
      List<Scenario> scenarios = all.stream().filter(s -> s.id().equals("noop") || chosen.contains(s.id())).toList();

      // Warm-up, identical for every scenario: interleaved passes until the JIT has settled. The servers
      // share their classes, so each switch between them (decision log on, off; cache on, off) can
      // invalidate compiled code that assumed one of them; a single short pass left C2 recompiling the
      // Check path during the measured rounds (seen as compiler-thread CPU in the table below).
      for (int pass = 0; pass < warmupPasses; pass++) {
        for (Scenario s : scenarios) {
          h2load(s, List.of("-n", Integer.toString(warmupRequests), "-c", "4", "-m", "16", "-t", "1"));
        }
      }
      StringBuilder report = new StringBuilder();
      // Interleaved rounds (no-op, cached, uncached, JWT, then again): machine load drifts over
      // minutes, so each ratio compares runs seconds apart with identical h2load settings.
      List<String> throughputOpts = List.of("-n", Integer.toString(requests), "-c", "4", "-m", "16", "-t", "1");
      double[][] rps = new double[rounds][scenarios.size()];
      double[][] cpu = new double[rounds][scenarios.size()];
      List<List<Map<String, Double>>> threads = new ArrayList<>();
      for (int i = 0; i < scenarios.size(); i++) {
        threads.add(new ArrayList<>());
      }
      com.sun.management.OperatingSystemMXBean os =
          (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
      for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < scenarios.size(); i++) {
          long cpuBefore = os.getProcessCpuTime();
          Map<String, Long> threadsBefore = ThreadCpu.snapshot();
          rps[round][i] = throughput(h2load(scenarios.get(i), throughputOpts));
          // Only one server is loaded at a time, so the JVM's CPU time is that server's (h2load is another process).
          cpu[round][i] = (os.getProcessCpuTime() - cpuBefore) / 1000.0 / requests;
          threads.get(i).add(ThreadCpu.perRequestMicros(threadsBefore, ThreadCpu.snapshot(), requests));
        }
        System.err.printf(Locale.ROOT, "round %d: %s req/s, %s server CPU µs/request%n", round + 1, java.util.Arrays.toString(rps[round]),
            java.util.Arrays.toString(cpu[round]));
        for (int i = 0; i < scenarios.size(); i++) {
          System.err.printf(Locale.ROOT, "  %s: %s%n", scenarios.get(i).id(), ThreadCpu.describe(threads.get(i).get(round)));
        }
      }
      report.append("Throughput, h2load -c 4 -m 16 -t 1 -n ").append(requests).append(", ").append(rounds)
          .append(" interleaved rounds (req/s, ratio to the same round's no-op):\n\n| scenario |");
      for (int round = 0; round < rounds; round++) {
        report.append(" round ").append(round + 1).append(" |");
      }
      report.append(" median ratio |\n|---|");
      report.append("---|".repeat(rounds + 1)).append('\n');
      for (int i = 0; i < scenarios.size(); i++) {
        report.append("| ").append(scenarios.get(i).name()).append(" |");
        double[] ratios = new double[rounds];
        for (int round = 0; round < rounds; round++) {
          ratios[round] = rps[round][i] / rps[round][0];
          report.append(String.format(Locale.ROOT, " %.0f (%.2f) |", rps[round][i], ratios[round]));
        }
        report.append(String.format(Locale.ROOT, " **%.2f** |%n", median(ratios)));
      }
      // CPU per request does not depend on how busy the rest of the machine is, unlike throughput.
      report.append("\nServer CPU per Check (µs, median over rounds; the JVM's CPU time over the run / requests):\n\n"
          + "| scenario | µs/request | ratio to no-op |\n|---|---|---|\n");
      double[] baseCpu = column(cpu, 0);
      for (int i = 0; i < scenarios.size(); i++) {
        double med = median(column(cpu, i));
        report.append(String.format(Locale.ROOT, "| %s | %.1f | %.2f |%n", scenarios.get(i).name(), med, med / median(baseCpu)));
      }
      report.append(ThreadCpu.table(scenarios.stream().map(Scenario::name).toList(), threads));
      if (latency) {
        report.append("\n| scenario | rate | p50 µs | p99 µs | no-op p50 µs | no-op p99 µs |\n|---|---|---|---|---|---|\n");
        for (int rate : new int[] {1000, 5000}) {
          for (Scenario s : scenarios.subList(1, scenarios.size())) {
            // The no-op is measured right before each subject so that both see the same machine load.
            long[] base = latency(scenarios.get(0), rate, seconds, dir);
            long[] l = latency(s, rate, seconds, dir);
            report.append(String.format(Locale.ROOT, "| %s | %d/s | %d | %d | %d | %d |%n", s.name(), rate, l[0], l[1], base[0], base[1]));
          }
        }
      }
      System.out.println();
      System.out.println(report);
    } finally {
      for (int i = closeables.size() - 1; i >= 0; i--) {
        closeables.get(i).close();
      }
    }
  }

  private static double[] column(double[][] m, int i) {
    double[] c = new double[m.length];
    for (int r = 0; r < m.length; r++) {
      c[r] = m[r][i];
    }
    return c;
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    java.util.Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static GrpcServer extAuthz(PolicySet set, CacheSettings cache, long tokenCache, boolean decisionLog,
      List<AutoCloseable> closeables) throws IOException {
    ExtAuthzMetrics metrics = new ExtAuthzMetrics(new Metrics(new PrometheusRegistry()));
    Clock clock = Clock.systemUTC();
    Authenticator authn = new Authenticator(new JwksRegistry(HttpClient.newHttpClient(), clock, Duration.ofMinutes(5), Duration.ofSeconds(30), metrics),
        clock, tokenCache);
    DecisionEngine engine = new DecisionEngine(set, authn, clock, cache, metrics);
    // Decision logging stays on, as in production; the sink discards so the bench measures Check, not a log file.
    DecisionLogger log = new DecisionLogger(new DecisionLogSink() {
      @Override
      public void write(String key, byte[] record) {}

      @Override
      public void close() {}
    }, 10_000, DecisionLogger.DEFAULT_REDACTED, metrics);
    closeables.add(log);
    AuthorizationService svc = new AuthorizationService(new CheckRequestMapper(CheckRequestMapper.Options.defaults()), engine,
        new CheckResponses(new CheckResponses.Options(false, true)), decisionLog ? log : null, metrics, clock, Duration.ofMillis(150));
    GrpcServer s = GrpcServer.builder("ext-authz", 0).host("127.0.0.1").addService(svc).build().start();
    closeables.add(s);
    return s;
  }

  private static void expectAllowed(int port, CheckRequest r) {
    ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      CheckResponse resp = AuthorizationGrpc.newBlockingStub(ch).check(r);
      if (resp.getStatus().getCode() != 0) {
        throw new IllegalStateException("bench request not allowed on port " + port + ": " + resp);
      }
    } finally {
      ch.shutdownNow();
    }
  }

  private static String h2load(Scenario s, List<String> opts) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("h2load"));
    cmd.addAll(opts);
    cmd.addAll(List.of("-H", "content-type: application/grpc", "-H", "te: trailers", "-d", s.body().toString(),
        "http://127.0.0.1:" + s.port() + "/envoy.service.auth.v3.Authorization/Check"));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("h2load failed: " + out);
    }
    Matcher m = REQUESTS.matcher(out);
    if (!m.find() || !m.group(1).equals(m.group(4))) {
      throw new IllegalStateException("h2load: not every request succeeded for " + s.name() + ":\n" + out);
    }
    return out;
  }

  private static double throughput(String out) {
    Matcher m = FINISHED.matcher(out);
    if (!m.find()) {
      throw new IllegalStateException("no throughput in h2load output:\n" + out);
    }
    return Double.parseDouble(m.group(3));
  }

  /** p50 and p99 in µs from h2load's per-request log, at {@code rate} requests per second over 4 connections. */
  private static long[] latency(Scenario s, int rate, int seconds, Path dir) throws IOException, InterruptedException {
    Path log = dir.resolve("lat-" + s.port() + "-" + rate + ".tsv");
    Files.deleteIfExists(log);
    h2load(s, List.of("-c", "4", "-m", "1", "-t", "1", "--rps", Integer.toString(rate / 4), "-D", Integer.toString(seconds),
        "--warm-up-time", "1", "--log-file", log.toString()));
    long[] us = Files.readAllLines(log).stream().map(l -> l.split("\t")).filter(a -> a.length >= 3)
        .mapToLong(a -> Long.parseLong(a[2].trim())).sorted().toArray();
    if (us.length == 0) {
      throw new IllegalStateException("empty h2load log " + log);
    }
    return new long[] {us[(int) Math.floor(us.length * 0.50)], us[Math.min(us.length - 1, (int) Math.floor(us.length * 0.99))]};
  }

  /** One gRPC length-prefixed message, the body h2load sends. */
  private static Path frame(Path dir, String name, CheckRequest r) throws IOException {
    byte[] msg = r.toByteArray();
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    DataOutputStream d = new DataOutputStream(b);
    d.writeByte(0);
    d.writeInt(msg.length);
    d.write(msg);
    Path f = dir.resolve(name + ".bin");
    Files.write(f, b.toByteArray());
    return f;
  }

  static CheckRequest request(String authorization) {
    AttributeContext.HttpRequest.Builder http = AttributeContext.HttpRequest.newBuilder().setId("6b3c8e7e-2f1d-4a4e-9c1b-1f4f0e7d9a10")
        .setMethod("GET").setHost("cart.shop.svc.cluster.local").setPath("/cart/42/items?view=full").setScheme("http").setProtocol("HTTP/2")
        .putHeaders(":authority", "cart.shop.svc.cluster.local").putHeaders(":method", "GET").putHeaders(":path", "/cart/42/items?view=full")
        .putHeaders("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36")
        .putHeaders("accept", "application/json").putHeaders("accept-encoding", "gzip, deflate, br")
        .putHeaders("x-request-id", "6b3c8e7e-2f1d-4a4e-9c1b-1f4f0e7d9a10").putHeaders("x-tenant", "t3")
        .putHeaders("x-forwarded-proto", "https").putHeaders("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7");
    if (authorization != null) {
      http.putHeaders("authorization", authorization);
    }
    return CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setSource(AttributeContext.Peer.newBuilder().setPrincipal("spiffe://cluster.local/ns/web/sa/frontend")
            .setAddress(addr("10.12.3.4", 43122)))
        .setDestination(AttributeContext.Peer.newBuilder().setPrincipal("spiffe://cluster.local/ns/shop/sa/cart")
            .setAddress(addr("10.12.9.9", 8080)))
        .setRequest(AttributeContext.Request.newBuilder().setHttp(http))
        .putContextExtensions("namespace", "shop").putContextExtensions("workload", "cart").putContextExtensions("label.app", "cart")
        .putContextExtensions("label.version", "v2")).build();
  }

  private static Address addr(String ip, int port) {
    return Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port)).build();
  }

  static String token(RSAKey key, String issuer) throws Exception {
    JWTClaimsSet c = new JWTClaimsSet.Builder().issuer(issuer).subject("user-1234").audience("shop")
        .expirationTime(Date.from(Instant.now().plusSeconds(24 * 3600))).issueTime(new Date()).claim("scope", "cart:read cart:write")
        .claim("groups", List.of("customers", "beta")).build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), c);
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }

  /** 19 AuthorizationPolicies over several namespaces plus one RequestAuthentication: 20 resources. */
  static String policies(String issuer, String jwks) {
    String ap = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n";
    StringBuilder y = new StringBuilder();
    y.append(ap).append("metadata: {name: deny-admin, namespace: istio-system}\nspec:\n  action: DENY\n  rules:\n"
        + "  - to: [{operation: {paths: [\"/admin\", \"/admin/*\", \"/internal/{**}\"]}}]\n---\n");
    y.append(ap).append("metadata: {name: deny-scanners, namespace: istio-system}\nspec:\n  action: DENY\n  rules:\n"
        + "  - when: [{key: \"request.headers[user-agent]\", values: [\"sqlmap*\", \"nikto*\", \"*masscan\"]}]\n---\n");
    y.append(ap).append("metadata: {name: audit-writes, namespace: istio-system}\nspec:\n  action: AUDIT\n  rules:\n"
        + "  - to: [{operation: {methods: [POST, PUT, PATCH, DELETE]}}]\n---\n");
    y.append("apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: cart-jwt, namespace: shop}\n"
        + "spec:\n  selector: {matchLabels: {app: cart}}\n  jwtRules:\n  - issuer: \"").append(issuer).append("\"\n    audiences: [shop]\n"
        + "    jwks: '").append(jwks).append("'\n    outputClaimToHeaders: [{header: x-user, claim: sub}]\n---\n");
    y.append(ap).append("metadata: {name: cart-deny-ranges, namespace: shop}\nspec:\n  selector: {matchLabels: {app: cart}}\n"
        + "  action: DENY\n  rules:\n  - from: [{source: {ipBlocks: [203.0.113.0/24, 198.51.100.0/24]}}]\n---\n");
    y.append(ap).append("metadata: {name: cart-write, namespace: shop}\nspec:\n  selector: {matchLabels: {app: cart}}\n  rules:\n"
        + "  - from: [{source: {requestPrincipals: [\"").append(issuer).append("/*\"]}}]\n    to: [{operation: {methods: [POST, DELETE],"
        + " paths: [\"/cart/{*}\", \"/cart/{*}/items\"]}}]\n    when: [{key: \"request.auth.claims[scope]\", values: [\"cart:write\"]}]\n---\n");
    y.append(ap).append("metadata: {name: cart-tenants, namespace: shop}\nspec:\n  selector: {matchLabels: {app: cart}}\n  rules:\n"
        + "  - to: [{operation: {paths: [\"/tenant/*\"]}}]\n    when: [{key: \"request.headers[x-tenant]\", values: [t1, t2, t4, t5]}]\n---\n");
    y.append(ap).append("metadata: {name: cart-read, namespace: shop}\nspec:\n  selector: {matchLabels: {app: cart}}\n  rules:\n"
        + "  - from: [{source: {namespaces: [web, mobile], notPrincipals: [\"cluster.local/ns/web/sa/crawler\"]}}]\n"
        + "    to: [{operation: {methods: [GET, HEAD], paths: [\"/cart/{*}\", \"/cart/{*}/items\"], notPaths: [\"/cart/internal\"]}}]\n---\n");
    String[][] others = {
        {"payments", "api"}, {"payments", "ledger"}, {"inventory", "stock"}, {"inventory", "search"}, {"web", "frontend"},
        {"mobile", "bff"}, {"shipping", "quotes"}, {"shipping", "labels"}, {"reviews", "api"}, {"reviews", "moderation"},
        {"catalog", "api"}, {"search", "indexer"}};
    for (String[] o : others) {
      y.append(ap).append("metadata: {name: ").append(o[1]).append("-allow, namespace: ").append(o[0]).append("}\nspec:\n")
          .append("  selector: {matchLabels: {app: ").append(o[1]).append("}}\n  rules:\n")
          .append("  - from: [{source: {namespaces: [web, ").append(o[0]).append("]}}]\n")
          .append("    to: [{operation: {methods: [GET, POST], paths: [\"/").append(o[1]).append("/*\"]}}]\n")
          .append("    when: [{key: \"request.headers[x-env]\", notValues: [staging]}]\n---\n");
    }
    return y.toString();
  }
}
