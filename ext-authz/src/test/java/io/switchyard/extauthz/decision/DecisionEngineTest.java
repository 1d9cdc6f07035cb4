package io.switchyard.extauthz.decision;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.Code;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.extauthz.authn.Authenticator;
import io.switchyard.extauthz.authn.JwksRegistry;
import io.switchyard.extauthz.config.Policies;
import io.switchyard.extauthz.config.PolicySet;
import io.switchyard.extauthz.grpc.CheckResponses;
import io.switchyard.extauthz.metrics.ExtAuthzMetrics;
import io.switchyard.extauthz.request.RequestAttributes;
import io.switchyard.extauthz.request.WorkloadRef;
import io.switchyard.extauthz.testing.JwksServer;
import io.switchyard.serverkit.metrics.Metrics;
import io.switchyard.testing.MutableClock;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Cache soundness: requests that differ in anything the response depends on never share an entry. */
class DecisionEngineTest {
  static final WorkloadRef W = new WorkloadRef("foo", "httpbin", Map.of("app", "httpbin"));
  static final String AP = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n";

  JwksServer issuer;
  MutableClock clock;
  ExtAuthzMetrics metrics;
  Authenticator authenticator;

  @BeforeEach
  void setUp() throws Exception {
    issuer = new JwksServer();
    clock = new MutableClock(Instant.now());
    metrics = new ExtAuthzMetrics(new Metrics(new PrometheusRegistry()));
    authenticator = new Authenticator(new JwksRegistry(HttpClient.newHttpClient(), clock, Duration.ofMinutes(5), Duration.ofSeconds(30), metrics),
        clock, 1000);
  }

  @AfterEach
  void tearDown() {
    issuer.close();
  }

  DecisionEngine engine(String yaml) throws Exception {
    return new DecisionEngine(Policies.load(yaml), authenticator, clock, CacheSettings.defaults(), metrics);
  }

  String requestAuthn(String extra) {
    return "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: jwt, namespace: foo}\nspec:\n  jwtRules:\n"
        + "  - issuer: \"" + issuer.issuer() + "\"\n    jwksUri: \"" + issuer.jwksUri() + "\"\n" + extra;
  }

  static RequestAttributes.Builder req() {
    return RequestAttributes.builder().workload(W).method("GET").path("/").host("h").sourceIp("10.0.0.1");
  }

  static DecisionEngine.Evaluated decide(DecisionEngine e, RequestAttributes r) throws Exception {
    return e.decide(r).get(10, TimeUnit.SECONDS);
  }

  @Test
  void identicalRequestsHitTheCache() throws Exception {
    DecisionEngine e = engine(AP + "metadata: {name: p, namespace: foo}\nspec:\n  rules:\n  - to: [{operation: {paths: [/ok]}}]\n");
    assertThat(decide(e, req().path("/ok").build()).cacheHit()).isFalse();
    DecisionEngine.Evaluated second = decide(e, req().path("/ok").build());
    assertThat(second.cacheHit()).isTrue();
    assertThat(second.decision().result()).isEqualTo(Decision.Result.ALLOW);
  }

  /** {@code request.headers[host]} reads :authority, or the host attribute when the headers lack it: both key the cache. */
  @Test
  void theHostHeaderConditionKeysTheCacheOnTheAuthority() throws Exception {
    DecisionEngine e = engine(AP + "metadata: {name: p, namespace: foo}\nspec:\n  rules:\n"
        + "  - when: [{key: \"request.headers[Host]\", values: [ok.example]}]\n");
    assertThat(decide(e, req().host("ok.example").build()).decision().result()).isEqualTo(Decision.Result.ALLOW);
    DecisionEngine.Evaluated other = decide(e, req().host("no.example").build());
    assertThat(other.cacheHit()).isFalse();
    assertThat(other.decision().result()).isEqualTo(Decision.Result.DENY);
    assertThat(decide(e, req().host("h").header(":authority", "ok.example").build()).decision().result()).isEqualTo(Decision.Result.ALLOW);
    assertThat(decide(e, req().host("h").header(":authority", "no.example").build()).decision().result()).isEqualTo(Decision.Result.DENY);
  }

  /** hosts "*" is Envoy's present_match: an empty Host matches it, a missing one does not, and they never share an entry. */
  @Test
  void anEmptyHostAndNoHostAreKeyedApart() throws Exception {
    DecisionEngine e = engine(AP + "metadata: {name: p, namespace: foo}\nspec:\n  rules:\n  - to: [{operation: {hosts: [\"*\"]}}]\n");
    assertThat(decide(e, req().host("").build()).decision().result()).isEqualTo(Decision.Result.ALLOW);
    DecisionEngine.Evaluated none = decide(e, req().host(null).build());
    assertThat(none.cacheHit()).isFalse();
    assertThat(none.decision().result()).isEqualTo(Decision.Result.DENY);
  }

  @Test
  void attributesNoPolicyReadsDoNotSplitTheCache() throws Exception {
    DecisionEngine e = engine(AP + "metadata: {name: p, namespace: foo}\nspec:\n  rules:\n  - to: [{operation: {paths: [/ok]}}]\n");
    decide(e, req().path("/ok").header("x-trace", "1").sourceIp("10.0.0.1").build());
    assertThat(decide(e, req().path("/ok").header("x-trace", "2").sourceIp("10.0.0.2").method("POST").build()).cacheHit()).isTrue();
  }

  @Test
  void requestsDifferingInAReferencedAttributeNeverShare() throws Exception {
    DecisionEngine e = engine(AP + "metadata: {name: p, namespace: foo}\nspec:\n  rules:\n"
        + "  - when: [{key: \"request.headers[x-tenant]\", values: [a]}]\n    from: [{source: {ipBlocks: [10.0.0.0/24]}}]\n");
    assertThat(decide(e, req().header("x-tenant", "a").build()).decision().result()).isEqualTo(Decision.Result.ALLOW);
    DecisionEngine.Evaluated b = decide(e, req().header("x-tenant", "b").build());
    assertThat(b.cacheHit()).isFalse();
    assertThat(b.decision().result()).isEqualTo(Decision.Result.DENY);
    DecisionEngine.Evaluated missing = decide(e, req().build());
    assertThat(missing.cacheHit()).isFalse();
    assertThat(missing.decision().result()).isEqualTo(Decision.Result.DENY);
    DecisionEngine.Evaluated empty = decide(e, req().header("x-tenant", "").build());
    assertThat(empty.cacheHit()).isFalse();
    DecisionEngine.Evaluated otherIp = decide(e, req().header("x-tenant", "a").sourceIp("10.0.1.1").build());
    assertThat(otherIp.cacheHit()).isFalse();
    assertThat(otherIp.decision().result()).isEqualTo(Decision.Result.DENY);
  }

  @Test
  void requestsDifferingInReferencedEnvoyMetadataNeverShare() throws Exception {
    DecisionEngine e = engine(AP + "metadata: {name: p, namespace: foo}\nspec:\n  rules:\n"
        + "  - when: [{key: \"experimental.envoy.filters.http.lua[role]\", values: [admin]}]\n");
    assertThat(decide(e, req().filterMetadata("envoy.filters.http.lua", Map.of("role", "admin")).build()).decision().result())
        .isEqualTo(Decision.Result.ALLOW);
    DecisionEngine.Evaluated other = decide(e, req().filterMetadata("envoy.filters.http.lua", Map.of("role", "guest")).build());
    assertThat(other.cacheHit()).isFalse();
    assertThat(other.decision().result()).isEqualTo(Decision.Result.DENY);
    DecisionEngine.Evaluated none = decide(e, req().build());
    assertThat(none.cacheHit()).isFalse();
    assertThat(none.decision().result()).isEqualTo(Decision.Result.DENY);
    assertThat(decide(e, req().filterMetadata("envoy.filters.http.lua", Map.of("role", "admin", "other", "x")).build()).cacheHit()).isTrue();
  }

  @Test
  void workloadsNeverShare() throws Exception {
    DecisionEngine e = engine(AP + "metadata: {name: p, namespace: foo}\nspec:\n  selector: {matchLabels: {app: httpbin}}\n  action: DENY\n  rules: [{}]\n");
    assertThat(decide(e, req().build()).decision().result()).isEqualTo(Decision.Result.DENY);
    DecisionEngine.Evaluated other = decide(e, req().workload(new WorkloadRef("foo", "httpbin", Map.of("app", "other"))).build());
    assertThat(other.cacheHit()).isFalse();
    assertThat(other.decision().result()).isEqualTo(Decision.Result.ALLOW);
  }

  @Test
  void differentTokensNeverShareEvenWhenNoPolicyReadsClaims() throws Exception {
    DecisionEngine e = engine(requestAuthn(""));
    String good = issuer.token(c -> { });
    assertThat(decide(e, req().header("authorization", "Bearer " + good).build()).decision().result()).isEqualTo(Decision.Result.ALLOW);
    String forged = issuer.token(JwksServer.newKey("k1"), c -> { });
    DecisionEngine.Evaluated bad = decide(e, req().header("authorization", "Bearer " + forged).build());
    assertThat(bad.cacheHit()).isFalse();
    assertThat(bad.decision().result()).isEqualTo(Decision.Result.UNAUTHENTICATED);
    DecisionEngine.Evaluated none = decide(e, req().build());
    assertThat(none.cacheHit()).isFalse();
    assertThat(none.decision().result()).isEqualTo(Decision.Result.ALLOW);
    assertThat(none.decision().authn().identity().present()).isFalse();
  }

  @Test
  void identityCarriedInHeadersIsNeverSharedBetweenCallers() throws Exception {
    DecisionEngine e = engine(requestAuthn("    outputClaimToHeaders: [{header: x-sub, claim: sub}]\n"));
    String alice = issuer.token(c -> c.subject("alice"));
    String bob = issuer.token(c -> c.subject("bob"));
    assertThat(decide(e, req().header("authorization", "Bearer " + alice).build()).decision().authn().headersToSet()).containsEntry("x-sub", "alice");
    DecisionEngine.Evaluated b = decide(e, req().header("authorization", "Bearer " + bob).build());
    assertThat(b.decision().authn().headersToSet()).containsEntry("x-sub", "bob");
    assertThat(decide(e, req().header("authorization", "Bearer " + alice).build()).cacheHit()).isTrue();
  }

  @Test
  void jwtAuthnClaimsAreKeyed() throws Exception {
    DecisionEngine e = engine(AP + "metadata: {name: p, namespace: foo}\nspec:\n  rules:\n  - when: [{key: \"request.auth.claims[role]\", values: [admin]}]\n");
    Map<String, Object> admin = Map.of("iss", "https://i", "sub", "a", "role", "admin");
    Map<String, Object> user = Map.of("iss", "https://i", "sub", "a", "role", "user");
    assertThat(decide(e, req().jwtAuthnPayload(admin).build()).decision().result()).isEqualTo(Decision.Result.ALLOW);
    DecisionEngine.Evaluated u = decide(e, req().jwtAuthnPayload(user).build());
    assertThat(u.cacheHit()).isFalse();
    assertThat(u.decision().result()).isEqualTo(Decision.Result.DENY);
  }

  /**
   * Istio configures jwt_authn with bypass_cors_preflight: an OPTIONS request with non-empty Origin and
   * Access-Control-Request-Method headers (Envoy's isCorsPreflightRequest, method compared exactly) is
   * passed without looking at its token, so it reaches the authorization policies without identity.
   */
  /** Envoy's jwt_authn answers 403 for a token of another audience, 401 for every other bad token, both with WWW-Authenticate. */
  @Test
  void aTokenOfAnotherAudienceIsAnswered403AsEnvoyAnswersItAndOtherBadTokens401() throws Exception {
    DecisionEngine e = engine(requestAuthn("    audiences: [api]\n"));
    CheckResponses responses = new CheckResponses(new CheckResponses.Options(false, false));

    Decision other = decide(e, req().path("/a").header("authorization", "Bearer " + issuer.token(c -> c.audience("web"))).build()).decision();
    assertThat(other.result()).isEqualTo(Decision.Result.UNAUTHENTICATED);
    assertThat(other.httpStatus()).isEqualTo(403);
    CheckResponse forbidden = responses.build(other, req().path("/a").build(), "d1").message();
    assertThat(forbidden.getStatus().getCode()).isEqualTo(Code.PERMISSION_DENIED_VALUE);
    assertThat(forbidden.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(403);
    assertThat(forbidden.getDeniedResponse().getBody()).isEqualTo("Audiences in Jwt are not allowed");
    assertThat(forbidden.getDeniedResponse().getHeadersList()).anySatisfy(h -> {
      assertThat(h.getHeader().getKey()).isEqualTo("www-authenticate");
      assertThat(h.getHeader().getValue()).isEqualTo("Bearer realm=\"http://h/a\", error=\"invalid_token\"");
    });

    Decision expired = decide(e, req().header("authorization", "Bearer "
        + issuer.token(c -> c.audience("api").expirationTime(new Date(clock.millis() - 3_600_000)))).build()).decision();
    assertThat(expired.httpStatus()).isEqualTo(401);
    CheckResponse unauthorized = responses.build(expired, req().build(), "d2").message();
    assertThat(unauthorized.getStatus().getCode()).isEqualTo(Code.UNAUTHENTICATED_VALUE);
    assertThat(unauthorized.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(401);
  }

  @Test
  void corsPreflightIsNeverRejectedForItsTokenAndCarriesNoIdentity() throws Exception {
    DecisionEngine e = engine(requestAuthn("") + "---\n" + AP
        + "metadata: {name: p, namespace: foo}\nspec:\n  rules:\n  - to: [{operation: {methods: [OPTIONS]}}]\n");
    String forged = issuer.token(JwksServer.newKey("k1"), c -> { });
    RequestAttributes preflight = req().method("OPTIONS").header("authorization", "Bearer " + forged)
        .header("origin", "https://app.example.com").header("access-control-request-method", "POST").build();
    DecisionEngine.Evaluated p = decide(e, preflight);
    assertThat(p.decision().result()).isEqualTo(Decision.Result.ALLOW);
    assertThat(p.decision().authn().identity().present()).isFalse();
    assertThat(p.decision().authn().headersToRemove()).as("jwt_authn leaves the token of a bypassed request").doesNotContain("authorization");

    DecisionEngine.Evaluated noRequestMethod = decide(e, req().method("OPTIONS").header("authorization", "Bearer " + forged)
        .header("origin", "https://app.example.com").build());
    assertThat(noRequestMethod.cacheHit()).isFalse();
    assertThat(noRequestMethod.decision().result()).isEqualTo(Decision.Result.UNAUTHENTICATED);
    assertThat(decide(e, req().method("OPTIONS").header("authorization", "Bearer " + forged)
        .header("origin", "").header("access-control-request-method", "POST").build()).decision().result())
        .as("an empty Origin is no preflight").isEqualTo(Decision.Result.UNAUTHENTICATED);
    assertThat(decide(e, req().method("options").header("authorization", "Bearer " + forged)
        .header("origin", "https://app.example.com").header("access-control-request-method", "POST").build()).decision().result())
        .as("Envoy compares the method exactly").isEqualTo(Decision.Result.UNAUTHENTICATED);
    assertThat(decide(e, req().method("GET").header("authorization", "Bearer " + forged)
        .header("origin", "https://app.example.com").header("access-control-request-method", "POST").build()).decision().result())
        .isEqualTo(Decision.Result.UNAUTHENTICATED);
  }

  @Test
  void corsPreflightWithAValidTokenIsAuthorizedAsARequestWithoutOne() throws Exception {
    DecisionEngine e = engine(requestAuthn("") + "---\n" + AP
        + "metadata: {name: p, namespace: foo}\nspec:\n  rules:\n  - from: [{source: {requestPrincipals: [\"*\"]}}]\n");
    String good = issuer.token(c -> c.subject("alice"));
    RequestAttributes.Builder preflight = req().method("OPTIONS").header("authorization", "Bearer " + good)
        .header("origin", "https://app.example.com").header("access-control-request-method", "POST");
    DecisionEngine.Evaluated p = decide(e, preflight.build());
    assertThat(p.decision().result()).isEqualTo(Decision.Result.DENY);
    assertThat(p.decision().authn().identity().present()).isFalse();
    DecisionEngine.Evaluated plain = decide(e, req().method("OPTIONS").header("authorization", "Bearer " + good).build());
    assertThat(plain.cacheHit()).isFalse();
    assertThat(plain.decision().result()).isEqualTo(Decision.Result.ALLOW);
  }

  @Test
  void cachedDecisionNeverOutlivesTheTokenExpiry() throws Exception {
    DecisionEngine e = engine(requestAuthn("") + "---\n" + AP
        + "metadata: {name: p, namespace: foo}\nspec:\n  rules:\n  - from: [{source: {requestPrincipals: [\"*\"]}}]\n");
    String t = issuer.token(c -> c.expirationTime(Date.from(clock.instant().plusSeconds(30))));
    RequestAttributes r = req().header("authorization", "Bearer " + t).build();
    assertThat(decide(e, r).decision().result()).isEqualTo(Decision.Result.ALLOW);
    assertThat(decide(e, r).cacheHit()).isTrue();
    clock.advance(Duration.ofSeconds(31));
    DecisionEngine.Evaluated after = decide(e, r);
    assertThat(after.cacheHit()).isFalse();
  }

  @Test
  void concurrentIdenticalMissesLoadOnce() throws Exception {
    DecisionEngine e = engine(requestAuthn(""));
    CountDownLatch release = issuer.hold();
    RequestAttributes r = req().header("authorization", "Bearer " + issuer.token(c -> { })).build();
    List<CompletableFuture<DecisionEngine.Evaluated>> all = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      all.add(e.decide(r));
    }
    release.countDown();
    long loads = 0;
    for (CompletableFuture<DecisionEngine.Evaluated> f : all) {
      DecisionEngine.Evaluated ev = f.get(10, TimeUnit.SECONDS);
      assertThat(ev.decision().result()).isEqualTo(Decision.Result.ALLOW);
      loads += ev.cacheHit() ? 0 : 1;
    }
    assertThat(loads).isEqualTo(1);
  }

  @Test
  void failuresToGetKeysAreNeverCached() throws Exception {
    DecisionEngine e = engine(requestAuthn(""));
    issuer.setDown(true);
    RequestAttributes r = req().header("authorization", "Bearer " + issuer.token(c -> { })).build();
    assertThat(decide(e, r).decision().result()).isEqualTo(Decision.Result.UNAUTHENTICATED);
    issuer.setDown(false);
    clock.advance(Duration.ofSeconds(31));
    DecisionEngine.Evaluated again = decide(e, r);
    assertThat(again.cacheHit()).isFalse();
    assertThat(again.decision().result()).isEqualTo(Decision.Result.ALLOW);
  }

  @Test
  void badPathsAreRejectedAndNotCached() throws Exception {
    DecisionEngine e = engine("");
    DecisionEngine.Evaluated a = decide(e, req().path("/a%00").build());
    assertThat(a.decision().httpStatus()).isEqualTo(400);
    assertThat(e.cachedDecisions()).isZero();
  }

  /**
   * A plain CONNECT has no :path. Envoy's RBAC url_path matcher (rbac/matchers.cc PathMatcher::matches) returns false
   * when headers.Path() is null, so paths never match, notPaths (Istio's not_rule over them) holds, and every other
   * field still decides. It is evaluated, not refused.
   */
  @Test
  void aRequestWithoutAPathIsEvaluatedWithPathsMatchingNothing() throws Exception {
    String denyAdmin = AP + "metadata: {name: d, namespace: foo}\nspec:\n  action: DENY\n  rules:\n  - to: [{operation: {paths: [\"/admin*\"]}}]\n";
    String denyNotPublic = AP + "metadata: {name: d, namespace: foo}\nspec:\n  action: DENY\n  rules:\n"
        + "  - to: [{operation: {notPaths: [\"/public*\"]}}]\n";
    String allowAnyPath = AP + "metadata: {name: a, namespace: foo}\nspec:\n  rules:\n  - to: [{operation: {paths: [\"*\"]}}]\n";
    String allowConnect = AP + "metadata: {name: a, namespace: foo}\nspec:\n  rules:\n  - to: [{operation: {methods: [CONNECT], notPaths: [/x]}}]\n";
    RequestAttributes connect = RequestAttributes.builder().workload(W).method("CONNECT").host("h:443").sourceIp("10.0.0.1").build();
    RequestAttributes emptyPath = RequestAttributes.builder().workload(W).method("CONNECT").host("h:443").path("").sourceIp("10.0.0.1").build();
    for (RequestAttributes r : List.of(connect, emptyPath)) {
      assertThat(r.pathError()).isNull();
      assertThat(decide(engine(denyAdmin), r).decision().result()).isEqualTo(Decision.Result.ALLOW);
      Decision d = decide(engine(denyNotPublic), r).decision();
      assertThat(d.result()).isEqualTo(Decision.Result.DENY);
      assertThat(d.httpStatus()).isEqualTo(403);
      assertThat(decide(engine(allowAnyPath), r).decision().httpStatus()).as("paths [*] needs a path").isEqualTo(403);
      assertThat(decide(engine(allowConnect), r).decision().result()).isEqualTo(Decision.Result.ALLOW);
    }
  }

  /**
   * Istio's jwt_authn has one rule, match {prefix: "/"} (pilot/pkg/security/authn/policy_applier.go), and Envoy's
   * jwt_authn PrefixMatcherImpl matches it against getPathValue(): "" for a plain CONNECT, so no requirement applies and
   * the filter lets the request on without reading its token (filter.cc: no verifier, onComplete(Ok)). A bad token is
   * then no 401 and a good one gives no request principal.
   */
  @Test
  void aRequestWithoutAPathIsNotAuthenticatedAsIstiosJwtAuthnRuleNeedsAPath() throws Exception {
    DecisionEngine e = engine(requestAuthn("") + "---\n" + AP
        + "metadata: {name: p, namespace: foo}\nspec:\n  rules:\n  - from: [{source: {requestPrincipals: [\"*\"]}}]\n");
    String good = issuer.token(c -> c.subject("alice"));
    String forged = issuer.token(JwksServer.newKey("k1"), c -> { });
    for (String token : List.of(good, forged)) {
      Decision d = decide(e, RequestAttributes.builder().workload(W).method("CONNECT").host("h:443").sourceIp("10.0.0.1")
          .header("authorization", "Bearer " + token).build()).decision();
      assertThat(d.result()).isEqualTo(Decision.Result.DENY);
      assertThat(d.httpStatus()).isEqualTo(403);
      assertThat(d.authn().identity().present()).isFalse();
      assertThat(d.authn().headersToRemove()).as("jwt_authn leaves the token of a request it does not match").doesNotContain("authorization");
    }
    assertThat(decide(e, req().method("CONNECT").header("authorization", "Bearer " + good).build()).decision().result())
        .as("with a path the token counts").isEqualTo(Decision.Result.ALLOW);
  }

  @Test
  void swappingThePolicySetChangesDecisionsAtOnce() throws Exception {
    DecisionEngine e = engine(AP + "metadata: {name: p, namespace: foo}\nspec:\n  action: DENY\n  rules: [{}]\n");
    assertThat(decide(e, req().build()).decision().result()).isEqualTo(Decision.Result.DENY);
    PolicySet next = Policies.load(AP + "metadata: {name: q, namespace: foo}\nspec:\n  rules: [{}]\n");
    e.swap(next);
    DecisionEngine.Evaluated after = decide(e, req().build());
    assertThat(after.cacheHit()).isFalse();
    assertThat(after.decision().result()).isEqualTo(Decision.Result.ALLOW);
    assertThat(after.decision().revision()).isEqualTo(next.revision());
  }

  @Test
  void disabledCacheStillDecides() throws Exception {
    DecisionEngine e = new DecisionEngine(Policies.load(""), authenticator, clock, new CacheSettings(0, Duration.ZERO), metrics);
    assertThat(decide(e, req().build()).cacheHit()).isFalse();
    assertThat(decide(e, req().build()).cacheHit()).isFalse();
  }
}
