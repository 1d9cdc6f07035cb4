package io.switchyard.bench.extauthz;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.extauthz.authn.Authenticator;
import io.switchyard.extauthz.authn.JwksRegistry;
import io.switchyard.extauthz.config.PolicyLoader;
import io.switchyard.extauthz.config.PolicySet;
import io.switchyard.extauthz.decision.CacheSettings;
import io.switchyard.extauthz.decision.DecisionEngine;
import io.switchyard.extauthz.metrics.ExtAuthzMetrics;
import io.switchyard.extauthz.request.CheckRequestMapper;
import io.switchyard.extauthz.request.RequestAttributes;
import io.switchyard.serverkit.metrics.Metrics;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * CPU time of a cached Check's decide step alone, in process, on {@link ExtAuthzBench}'s request and policies: reading
 * and mapping the request's wire bytes ({@code map}) and mapping plus the cache hit ({@code map+hit}). Measured as the thread's CPU
 * time, so other tenants of a loaded machine disturb it little; run it against two builds of ext-authz
 * (interleaved) to compare them.
 *
 * <p>The two run in alternating slices, and each slice's hit cost is its difference to the neighbouring map-only
 * slice, so a change of the machine's load shifts both. Usage: {@code ExtAuthzHitPathCost [seconds per slice=1]
 * [rounds=15]}.
 */
public final class ExtAuthzHitPathCost {
  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 1;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
    Path dir = Files.createTempDirectory("extauthz-hit");
    RSAKey key = new RSAKeyGenerator(2048).keyID("bench").generate();
    String issuer = "https://issuer.bench.example";
    Files.writeString(dir.resolve("policies.yaml"), ExtAuthzBench.policies(issuer, new JWKSet(key.toPublicJWK()).toString()));
    PolicySet set = new PolicyLoader(PolicyLoader.DEFAULT_ROOT_NAMESPACE).load(dir);
    // Read from bytes, as the server reads them: header values are fresh strings whose hash is not cached yet.
    byte[] wire = ExtAuthzBench.request("Bearer " + ExtAuthzBench.token(key, issuer)).toByteArray();
    ExtAuthzMetrics metrics = new ExtAuthzMetrics(new Metrics(new PrometheusRegistry()));
    Clock clock = Clock.systemUTC();
    Authenticator authn = new Authenticator(new JwksRegistry(HttpClient.newHttpClient(), clock, Duration.ofMinutes(5), Duration.ofSeconds(30), metrics),
        clock, 100_000);
    DecisionEngine engine = new DecisionEngine(set, authn, clock, CacheSettings.defaults(), metrics);
    CheckRequestMapper mapper = new CheckRequestMapper(CheckRequestMapper.Options.defaults());
    if (engine.decide(mapper.map(wire)).get().decision().result() != io.switchyard.extauthz.decision.Decision.Result.ALLOW) {
      throw new IllegalStateException("bench request is not allowed");
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    for (int i = 0; i < 3; i++) {
      run(wire, mapper, null, seconds, threads);
      run(wire, mapper, engine, seconds, threads);
    }
    List<Double> mapOnly = new ArrayList<>();
    List<Double> withHit = new ArrayList<>();
    List<Double> hit = new ArrayList<>();
    for (int round = 1; round <= rounds; round++) {
      double m = run(wire, mapper, null, seconds, threads);
      double h = run(wire, mapper, engine, seconds, threads);
      mapOnly.add(m);
      withHit.add(h);
      hit.add(h - m);
      System.out.printf("ROUND %d parse+map %.0f ns, parse+map+hit %.0f ns, hit %.0f ns (CPU per Check)%n", round, m, h, h - m);
    }
    mapOnly.sort(null);
    withHit.sort(null);
    hit.sort(null);
    System.out.printf("RESULT median parse+map %.0f ns, parse+map+hit %.0f ns, hit alone %.0f ns%n", mapOnly.get(rounds / 2),
        withHit.get(rounds / 2), hit.get(rounds / 2));
  }

  private static double run(byte[] wire, CheckRequestMapper mapper, DecisionEngine engine, int seconds, ThreadMXBean threads)
      throws Exception {
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    long cpu0 = threads.getCurrentThreadCpuTime();
    long n = 0;
    long sink = 0;
    while (System.nanoTime() < end) {
      for (int i = 0; i < 1000; i++) {
        RequestAttributes r = mapper.map(wire);
        if (engine == null) {
          sink += r.headers().size();
        } else {
          DecisionEngine.Evaluated e = engine.decide(r).join();
          sink += e.cacheHit() ? 1 : 0;
        }
      }
      n += 1000;
    }
    long cpu = threads.getCurrentThreadCpuTime() - cpu0;
    if (sink == 0) {
      throw new IllegalStateException("nothing decided");
    }
    return (double) cpu / n;
  }
}
