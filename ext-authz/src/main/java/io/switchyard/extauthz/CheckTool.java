package io.switchyard.extauthz;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.extauthz.authn.Authenticator;
import io.switchyard.extauthz.authn.JwksRegistry;
import io.switchyard.extauthz.config.PolicyLoader;
import io.switchyard.extauthz.config.PolicySet;
import io.switchyard.extauthz.decision.CacheSettings;
import io.switchyard.extauthz.decision.Decision;
import io.switchyard.extauthz.decision.DecisionEngine;
import io.switchyard.extauthz.metrics.ExtAuthzMetrics;
import io.switchyard.extauthz.policy.AuthorizationPolicy;
import io.switchyard.extauthz.policy.AuthzOutcome;
import io.switchyard.extauthz.policy.TrustDomains;
import io.switchyard.extauthz.request.CheckRequestMapper;
import io.switchyard.extauthz.request.RequestAttributes;
import io.switchyard.serverkit.config.ConfigException;
import io.switchyard.serverkit.metrics.Metrics;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The offline decision: one CheckRequest (Envoy's protobuf JSON) against a policy folder, decided
 * exactly as the server would, printed as JSON with the rule that decided. For policy tests in CI.
 */
public final class CheckTool {
  /** The decision and its JSON report. */
  public record Result(boolean allowed, String json) {}

  private CheckTool() {}

  /** Thrown for an unreadable or invalid request file; the message says what is wrong. */
  public static final class BadRequestFile extends Exception {
    private static final long serialVersionUID = 1L;

    BadRequestFile(String message) {
      super(message);
    }
  }

  public static Result run(Path policyDir, Path requestFile, String rootNamespace) throws ConfigException, BadRequestFile {
    return run(policyDir, requestFile, rootNamespace, TrustDomains.DEFAULT);
  }

  /** As the server decides with {@code --trust-domain} and {@code --trust-domain-alias}. */
  public static Result run(Path policyDir, Path requestFile, String rootNamespace, TrustDomains trustDomains)
      throws ConfigException, BadRequestFile {
    PolicySet set = new PolicyLoader(rootNamespace, trustDomains).load(policyDir);
    CheckRequest request = readRequest(requestFile);
    ExtAuthzMetrics metrics = new ExtAuthzMetrics(new Metrics(new PrometheusRegistry()));
    Clock clock = Clock.systemUTC();
    Authenticator authn = new Authenticator(new JwksRegistry(HttpClient.newHttpClient(), clock, Duration.ofMinutes(5), Duration.ZERO, metrics),
        clock, 16);
    DecisionEngine engine = new DecisionEngine(set, authn, clock, new CacheSettings(0, Duration.ZERO), metrics);
    RequestAttributes r = new CheckRequestMapper(CheckRequestMapper.Options.defaults()).map(request);
    Decision d;
    try {
      d = engine.decide(r).get(30, TimeUnit.SECONDS).decision();
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("decision failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    return new Result(d.result() == Decision.Result.ALLOW, report(set, r, d));
  }

  private static CheckRequest readRequest(Path file) throws BadRequestFile {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new BadRequestFile(file + ": file not found");
    } catch (IOException e) {
      throw new BadRequestFile(file + ": cannot read: " + e.getMessage());
    }
    CheckRequest.Builder b = CheckRequest.newBuilder();
    try {
      JsonFormat.parser().merge(text, b);
    } catch (InvalidProtocolBufferException e) {
      throw new BadRequestFile(file + ": not an envoy.service.auth.v3.CheckRequest in protobuf JSON: " + e.getMessage());
    }
    return b.build();
  }

  private static String report(PolicySet set, RequestAttributes r, Decision d) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("decision", d.result().name().toLowerCase(java.util.Locale.ROOT));
    out.put("httpStatus", d.httpStatus());
    out.put("reason", d.reason());
    out.put("policyRevision", d.revision());
    Map<String, Object> workload = new LinkedHashMap<>();
    workload.put("namespace", r.workload().namespace());
    workload.put("name", r.workload().name());
    // Sorted, and every map below in a fixed order: the labels and headers are immutable maps whose order changes
    // from one run to the next, and a CI compares this report with an expected file.
    workload.put("labels", new TreeMap<>(r.workload().labels()));
    out.put("workload", workload);
    AuthzOutcome o = d.outcome();
    if (o != null && o.matchedPolicy() != null) {
      AuthorizationPolicy p = o.matchedPolicy();
      out.put("matchedPolicy", p.id());
      out.put("matchedRule", o.matchedRule());
      out.put("action", p.action().name());
      out.put("definedAt", p.origin());
    }
    if (o != null) {
      out.put("auditPolicies", o.auditPolicies());
      out.put("dryRun", o.dryRuns().stream().map(x -> {
        Map<String, Object> dry = new LinkedHashMap<>();
        dry.put("policy", x.policy());
        dry.put("wouldBe", x.wouldAllow() ? "allow" : "deny");
        return dry;
      }).toList());
    }
    if (d.authn() != null) {
      out.put("requestPrincipal", d.authn().identity().principal());
      out.put("headersToSet", new TreeMap<>(d.authn().headersToSet()));
      out.put("headersToRemove", d.authn().headersToRemove());
    }
    out.put("applicablePolicies", set.forWorkload(r.workload()).authorizationPolicies().stream().map(AuthorizationPolicy::id).toList());
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(out);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
