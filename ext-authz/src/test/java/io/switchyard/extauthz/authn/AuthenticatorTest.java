package io.switchyard.extauthz.authn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.extauthz.config.Policies;
import io.switchyard.extauthz.config.WorkloadPolicies;
import io.switchyard.extauthz.metrics.ExtAuthzMetrics;
import io.switchyard.extauthz.request.RequestAttributes;
import io.switchyard.extauthz.request.WorkloadRef;
import io.switchyard.extauthz.testing.JwksServer;
import io.switchyard.serverkit.metrics.Metrics;
import io.switchyard.testing.FreePorts;
import io.switchyard.testing.MutableClock;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AuthenticatorTest {
  static final WorkloadRef W = new WorkloadRef("foo", "httpbin", Map.of("app", "httpbin"));

  JwksServer issuer;
  MutableClock clock;
  ExtAuthzMetrics metrics;
  Authenticator authenticator;

  @BeforeEach
  void setUp() throws Exception {
    issuer = new JwksServer();
    clock = new MutableClock(Instant.now());
    metrics = new ExtAuthzMetrics(new Metrics(new PrometheusRegistry()));
    JwksRegistry registry = new JwksRegistry(HttpClient.newHttpClient(), clock, Duration.ofMinutes(5), Duration.ofSeconds(30), metrics);
    authenticator = new Authenticator(registry, clock, 1000);
  }

  @AfterEach
  void tearDown() {
    issuer.close();
  }

  WorkloadPolicies rules(String jwtRuleYaml) throws Exception {
    return Policies.load("apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: jwt, namespace: foo}\n"
        + "spec:\n  jwtRules:\n" + jwtRuleYaml).forWorkload(W);
  }

  String uriRule() {
    return "  - issuer: \"" + issuer.issuer() + "\"\n    jwksUri: \"" + issuer.jwksUri() + "\"\n";
  }

  AuthnResult run(WorkloadPolicies p, RequestAttributes r) throws Exception {
    return authenticator.authenticate(r, p.jwtRules(), Authenticator.findTokens(r, p.tokenLocations())).get(10, TimeUnit.SECONDS);
  }

  static RequestAttributes.Builder req() {
    return RequestAttributes.builder().workload(W).method("GET").path("/").host("h");
  }

  RequestAttributes bearer(String token) {
    return req().header("Authorization", "Bearer " + token).build();
  }

  @Test
  void validTokenGivesTheRequestPrincipalAndStripsTheToken() throws Exception {
    WorkloadPolicies p = rules(uriRule());
    AuthnResult a = run(p, bearer(issuer.token(c -> c.claim("groups", List.of("admin")))));
    assertThat(a.authenticated()).isTrue();
    assertThat(a.identity().principal()).isEqualTo(issuer.issuer() + "/alice");
    assertThat(a.identity().claims()).containsEntry("groups", List.of("admin"));
    assertThat(a.headersToRemove()).containsExactly("authorization");
    assertThat(a.expiresAtMillis()).isGreaterThan(clock.millis());
  }

  /** `up --demo --jwks-port N`: the policy still names the default port, the keys come from where they are served. */
  @Test
  void anIssuersJwksUriGivenToTheRegistryWinsOverThePolicys() throws Exception {
    String policyUri = "http://127.0.0.1:" + FreePorts.next() + "/.well-known/jwks.json"; // nothing listens there
    WorkloadPolicies p = rules("  - issuer: \"" + issuer.issuer() + "\"\n    jwksUri: \"" + policyUri + "\"\n");
    String token = issuer.token(c -> {});
    assertThat(run(p, bearer(token)).authenticated()).as("the policy's URI alone").isFalse();

    authenticator = new Authenticator(new JwksRegistry(HttpClient.newHttpClient(), clock, Duration.ofMinutes(5), Duration.ofSeconds(30),
        metrics, Map.of(issuer.issuer(), URI.create(issuer.jwksUri()))), clock, 1000);
    AuthnResult a = run(p, bearer(token));
    assertThat(a.authenticated()).isTrue();
    assertThat(a.identity().principal()).isEqualTo(issuer.issuer() + "/alice");
  }

  @Test
  void noTokenIsAcceptedWithoutIdentity() throws Exception {
    AuthnResult a = run(rules(uriRule()), req().build());
    assertThat(a.authenticated()).isTrue();
    assertThat(a.identity().present()).isFalse();
  }

  @Test
  void expiredTokenIsRejected() throws Exception {
    String t = issuer.token(c -> c.expirationTime(Date.from(Instant.now().minusSeconds(600))));
    AuthnResult a = run(rules(uriRule()), bearer(t));
    assertThat(a.authenticated()).isFalse();
    assertThat(a.failure()).isEqualTo("Jwt is expired");
  }

  @Test
  void tokenExpiresWhenTheClockPassesExpPlusSkew() throws Exception {
    WorkloadPolicies p = rules(uriRule());
    String t = issuer.token(c -> c.expirationTime(Date.from(clock.instant().plusSeconds(120))));
    assertThat(run(p, bearer(t)).authenticated()).isTrue();
    clock.advance(Duration.ofSeconds(181));
    assertThat(run(p, bearer(t)).failure()).isEqualTo("Jwt is expired");
  }

  /**
   * jwt_verify_lib's Jwt::verifyTimeConstraint, on Envoy's clock in whole seconds (DateUtil::nowToSeconds): nbf is
   * checked before exp, a token is expired only once now > exp + 60 s, and exp 0 is no expiry ({@code exp_ &&}).
   */
  @Test
  void timeClaimsAreCheckedAsJwtVerifyLibDoesInWholeSeconds() throws Exception {
    WorkloadPolicies p = rules(uriRule());
    long exp = clock.instant().getEpochSecond();
    String t = issuer.token(c -> c.expirationTime(new Date(exp * 1000)));
    clock.set(Instant.ofEpochSecond(exp + 60, 999_000_000));
    assertThat(run(p, bearer(t)).authenticated()).as("now = exp + 60 s (and 999 ms)").isTrue();
    clock.set(Instant.ofEpochSecond(exp + 61));
    assertThat(run(p, bearer(t)).failure()).isEqualTo("Jwt is expired");

    assertThat(run(p, bearer(issuer.token(c -> c.expirationTime(new Date(0))))).authenticated()).as("exp 0").isTrue();
    String notYetAndExpired = issuer.token(c -> c.notBeforeTime(new Date((exp + 3600) * 1000)).expirationTime(new Date(1000)));
    assertThat(run(p, bearer(notYetAndExpired)).failure()).isEqualTo("Jwt not yet valid");
  }

  @Test
  void notYetValidTokenIsRejected() throws Exception {
    String t = issuer.token(c -> c.notBeforeTime(Date.from(Instant.now().plusSeconds(3600))));
    assertThat(run(rules(uriRule()), bearer(t)).failure()).isEqualTo("Jwt not yet valid");
  }

  /**
   * A token that does not parse gets the reason of the step of Envoy's Jwt::parseFromString (source/common/jwt/jwt.cc,
   * formerly jwt_verify_lib) that refuses it, as Envoy's 401 body: header Base64url, header JSON, alg, kid, payload
   * Base64url, payload JSON, then the signature's Base64url. Istio users see e.g. "Jwt header is an invalid JSON" for
   * `Bearer 123.456.789`; every one of these was "Jwt is not in the form of Header.Payload.Signature ...".
   */
  @Test
  void malformedTokensAreRefusedWithTheReasonOfEnvoysParseStep() throws Exception {
    WorkloadPolicies p = rules(uriRule());
    java.util.function.Function<String, String> b64 =
        t -> java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(t.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    String header = b64.apply("{\"alg\":\"RS256\",\"kid\":\"" + issuer.key().getKeyID() + "\"}");
    String payload = b64.apply("{\"iss\":\"" + issuer.issuer() + "\",\"sub\":\"alice\"}");
    assertThat(run(p, bearer("a.b")).failure())
        .isEqualTo("Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections");
    assertThat(run(p, bearer("123.456.789")).failure()).isEqualTo("Jwt header is an invalid JSON");
    assertThat(run(p, bearer("abcde." + payload + ".c2ln")).failure()).isEqualTo("Jwt header is an invalid Base64url encoded");
    assertThat(run(p, bearer(b64.apply("{\"typ\":\"JWT\"}") + "." + payload + ".c2ln")).failure())
        .isEqualTo("Jwt header [alg] field is required and must be a string");
    assertThat(run(p, bearer(b64.apply("{\"alg\":\"none\"}") + "." + payload + ".c2ln")).failure())
        .isEqualTo("Jwt header [alg] is not supported");
    assertThat(run(p, bearer(b64.apply("{\"alg\":\"RS1024\"}") + "." + payload + ".c2ln")).failure())
        .isEqualTo("Jwt header [alg] is not supported");
    assertThat(run(p, bearer(b64.apply("{\"alg\":\"RS256\",\"kid\":5}") + "." + payload + ".c2ln")).failure())
        .isEqualTo("Jwt header [kid] field is not a string");
    assertThat(run(p, bearer(header + ".abcde.c2ln")).failure()).isEqualTo("Jwt payload is an invalid Base64url encoded");
    assertThat(run(p, bearer(header + "." + b64.apply("[1]") + ".c2ln")).failure()).isEqualTo("Jwt payload is an invalid JSON");
    // The payload's types come before the signature, as in Envoy.
    assertThat(run(p, bearer(header + "." + b64.apply("{\"sub\":5}") + ".abcde")).failure())
        .isEqualTo("Jwt payload [sub] field is not a string");
    // Envoy's extractor ends a token at the first character outside Base64url and '.', so only a length of 4n+1
    // makes a section that is not Base64url.
    String good = issuer.token(c -> { });
    assertThat(run(p, bearer(good + "abc")).failure()).isEqualTo("Jwt signature is an invalid Base64url encoded");
    assertThat(run(p, bearer(good)).authenticated()).isTrue();
  }

  /** jwt_verify_lib refuses a token whose registered claims have the wrong type, before any rule: so does ext-authz. */
  @Test
  void registeredClaimsOfTheWrongTypeAreRefusedWithEnvoysReasons() throws Exception {
    WorkloadPolicies p = rules(uriRule());
    assertThat(run(p, bearer(issuer.token(c -> c.claim("sub", 5)))).failure()).isEqualTo("Jwt payload [sub] field is not a string");
    assertThat(run(p, bearer(issuer.token(c -> c.claim("iat", null).serializeNullClaims(true)))).failure()).isEqualTo("Jwt payload [iat] field is not an integer");
    assertThat(run(p, bearer(issuer.token(c -> c.claim("exp", "soon")))).failure()).isEqualTo("Jwt payload [exp] field is not an integer");
    assertThat(run(p, bearer(issuer.token(c -> c.claim("exp", -5)))).failure())
        .isEqualTo("Jwt payload [exp] field is not a positive 64 bit integer");
    assertThat(run(p, bearer(issuer.token(c -> c.claim("nbf", 1e300)))).failure())
        .isEqualTo("Jwt payload [nbf] field is not a positive 64 bit integer");
    assertThat(run(p, bearer(issuer.token(c -> c.claim("jti", 7)))).failure()).isEqualTo("Jwt payload [jti] field is not a string");
    // Nimbus' claims builder leaves out an audience list that is not all text: the payload is written by hand.
    com.nimbusds.jose.JWSObject mixedAud = new com.nimbusds.jose.JWSObject(
        new com.nimbusds.jose.JWSHeader.Builder(com.nimbusds.jose.JWSAlgorithm.RS256).keyID(issuer.key().getKeyID()).build(),
        new com.nimbusds.jose.Payload("{\"iss\":\"" + issuer.issuer() + "\",\"aud\":[\"api\",1]}"));
    mixedAud.sign(new com.nimbusds.jose.crypto.RSASSASigner(issuer.key()));
    assertThat(run(p, bearer(mixedAud.serialize())).failure()).isEqualTo("Jwt payload [aud] field is not a string or string list");
    assertThat(run(p, bearer(issuer.token(c -> c.subject("alice").claim("jti", "j1").claim("iat", 1_700_000_000L)))).authenticated()).isTrue();
  }

  @Test
  void wrongAudienceIsRejectedAndRightAudienceAccepted() throws Exception {
    WorkloadPolicies p = rules(uriRule() + "    audiences: [api]\n");
    assertThat(run(p, bearer(issuer.token(c -> c.audience("web")))).failure()).isEqualTo("Audiences in Jwt are not allowed");
    assertThat(run(p, bearer(issuer.token(c -> c.audience(List.of("web", "api"))))).authenticated()).isTrue();
    assertThat(run(p, bearer(issuer.token(c -> { }))).failure()).isEqualTo("Audiences in Jwt are not allowed");
  }

  /** Envoy's jwt_authn (CheckAudience) drops an http(s):// scheme and a trailing '/' on both sides before comparing. */
  @Test
  void audiencesMatchIgnoringSchemeAndTrailingSlashAsEnvoyDoes() throws Exception {
    WorkloadPolicies p = rules(uriRule() + "    audiences: [\"https://api.example.com/\"]\n");
    assertThat(run(p, bearer(issuer.token(c -> c.audience("api.example.com")))).authenticated()).isTrue();
    assertThat(run(p, bearer(issuer.token(c -> c.audience("http://api.example.com")))).authenticated()).isTrue();
    assertThat(run(p, bearer(issuer.token(c -> c.audience("https://api.example.com/v2")))).failure())
        .isEqualTo("Audiences in Jwt are not allowed");
    WorkloadPolicies bare = rules(uriRule() + "    audiences: [api.example.com]\n");
    assertThat(run(bare, bearer(issuer.token(c -> c.audience(List.of("web", "https://api.example.com/")))))
        .authenticated()).isTrue();
  }

  @Test
  void badSignatureIsRejected() throws Exception {
    RSAKey forger = JwksServer.newKey("k1");
    AuthnResult a = run(rules(uriRule()), bearer(issuer.token(forger, c -> { })));
    assertThat(a.failure()).isEqualTo("Jwt verification fails");
    String valid = issuer.token(c -> { });
    String tampered = valid.substring(0, valid.lastIndexOf('.') + 1) + "AAAA" + valid.substring(valid.lastIndexOf('.') + 5);
    assertThat(run(rules(uriRule()), bearer(tampered)).authenticated()).isFalse();
  }

  @Test
  void malformedTokensAreRejectedNotThrown() throws Exception {
    WorkloadPolicies p = rules(uriRule());
    assertThat(run(p, bearer("not-a-jwt")).failure()).startsWith("Jwt is not in the form");
    assertThat(run(p, bearer("a.b.c")).authenticated()).isFalse();
    assertThat(run(p, bearer("eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.")).authenticated()).isFalse();
  }

  @Test
  void unknownIssuerIsRejected() throws Exception {
    String t = issuer.token(c -> c.issuer("https://evil.example.com"));
    assertThat(run(rules(uriRule()), bearer(t)).failure()).isEqualTo("Jwt issuer is not configured");
  }

  @Test
  void rotatedKeyIsFetchedOnUnknownKidButRateLimited() throws Exception {
    WorkloadPolicies p = rules(uriRule());
    assertThat(run(p, bearer(issuer.token(c -> { }))).authenticated()).isTrue();
    int hits = issuer.jwksHits.get();
    RSAKey k2 = JwksServer.newKey("k2");
    issuer.publish(k2, issuer.key());
    // Within the minimum refresh interval an unknown kid does not trigger a fetch.
    assertThat(run(p, bearer(issuer.token(k2, c -> { }))).failure()).isEqualTo("Jwks doesn't have key to match kid or alg from Jwt");
    assertThat(issuer.jwksHits.get()).isEqualTo(hits);
    clock.advance(Duration.ofSeconds(31));
    assertThat(run(p, bearer(issuer.token(k2, c -> c.subject("bob")))).identity().subject()).isEqualTo("bob");
    assertThat(issuer.jwksHits.get()).isEqualTo(hits + 1);
    RSAKey k3 = JwksServer.newKey("k3");
    assertThat(run(p, bearer(issuer.token(k3, c -> { }))).authenticated()).isFalse();
    assertThat(issuer.jwksHits.get()).isEqualTo(hits + 1);
  }

  @Test
  void keysAreKeptWhenTheIssuerIsDown() throws Exception {
    WorkloadPolicies p = rules(uriRule());
    assertThat(run(p, bearer(issuer.token(c -> { }))).authenticated()).isTrue();
    issuer.setDown(true);
    clock.advance(Duration.ofMinutes(10));
    assertThat(run(p, bearer(issuer.token(c -> c.subject("carol")))).authenticated()).isTrue();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> metrics.jwksFetches.labelValues("failure").get() >= 1);
    assertThat(run(p, bearer(issuer.token(c -> c.subject("dave")))).authenticated()).isTrue();
  }

  @Test
  void issuerDownBeforeAnyFetchIsA401ThatIsNotCacheable() throws Exception {
    issuer.setDown(true);
    AuthnResult a = run(rules(uriRule()), bearer(issuer.token(c -> { })));
    assertThat(a.authenticated()).isFalse();
    assertThat(a.failure()).isEqualTo("Jwks remote fetch is failed");
    assertThat(a.cacheable()).isFalse();
  }

  @Test
  void aFailedFirstFetchIsTriedAgainAfterOneSecondThenBacksOffToTenAsEnvoyDoes() throws Exception {
    issuer.setDown(true);
    WorkloadPolicies p = rules(uriRule());
    String token = issuer.token(c -> { });
    // The wait after each failure in a row: 1, 2, 4, 8, then 10 s (Envoy's cap); none of them the 30 s minimum interval.
    long[] waits = {1, 2, 4, 8, 10, 10};
    assertThat(run(p, bearer(token)).failure()).isEqualTo("Jwks remote fetch is failed");
    int hits = 1;
    assertThat(issuer.jwksHits.get()).isEqualTo(hits);
    for (long wait : waits) {
      clock.advance(Duration.ofSeconds(wait).minusMillis(1));
      assertThat(run(p, bearer(token)).failure()).as("before %d s", wait).isEqualTo("Jwks remote fetch is failed");
      assertThat(issuer.jwksHits.get()).as("no fetch before %d s", wait).isEqualTo(hits);
      clock.advance(Duration.ofMillis(1));
      assertThat(run(p, bearer(token)).failure()).isEqualTo("Jwks remote fetch is failed");
      assertThat(issuer.jwksHits.get()).as("a fetch at %d s", wait).isEqualTo(++hits);
    }
    issuer.setDown(false);
    clock.advance(Duration.ofSeconds(10));
    assertThat(run(p, bearer(token)).authenticated()).isTrue();
    assertThat(issuer.jwksHits.get()).isEqualTo(hits + 1);
  }

  @Test
  void onceKeysAreHeldAFailedRefreshWaitsTheMinimumIntervalAgain() throws Exception {
    WorkloadPolicies p = rules(uriRule());
    assertThat(run(p, bearer(issuer.token(c -> { }))).authenticated()).isTrue();
    issuer.setDown(true);
    RSAKey k2 = JwksServer.newKey("k2");
    clock.advance(Duration.ofSeconds(31));
    assertThat(run(p, bearer(issuer.token(k2, c -> { }))).authenticated()).isFalse();
    int hits = issuer.jwksHits.get();
    clock.advance(Duration.ofSeconds(10));
    assertThat(run(p, bearer(issuer.token(k2, c -> { }))).authenticated()).isFalse();
    assertThat(issuer.jwksHits.get()).as("the kept keys serve; no retry within 30 s").isEqualTo(hits);
  }

  @Test
  void oidcDiscoveryFindsTheJwks() throws Exception {
    WorkloadPolicies p = rules("  - issuer: \"" + issuer.issuer() + "\"\n");
    assertThat(run(p, bearer(issuer.token(c -> { }))).authenticated()).isTrue();
  }

  @Test
  void inlineJwksNeedsNoNetwork() throws Exception {
    String jwks = new JWKSet(issuer.key().toPublicJWK()).toString().replace("\"", "\\\"");
    issuer.setDown(true);
    WorkloadPolicies p = rules("  - issuer: \"" + issuer.issuer() + "\"\n    jwks: \"" + jwks + "\"\n");
    assertThat(run(p, bearer(issuer.token(c -> { }))).authenticated()).isTrue();
    assertThat(issuer.jwksHits.get()).isZero();
  }

  static String requestAuthentication(String namespace, String name, String jwtRulesYaml) {
    return "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: " + name + ", namespace: " + namespace + "}\n"
        + "spec:\n  jwtRules:\n" + jwtRulesYaml;
  }

  String inlineRule(RSAKey key) {
    String jwks = new JWKSet(key.toPublicJWK()).toString().replace("\"", "\\\"");
    return "  - issuer: \"" + issuer.issuer() + "\"\n    jwks: \"" + jwks + "\"\n";
  }

  /**
   * Each workload's Envoy checks a token against its own jwtRules' keys: a token that one namespace's
   * keys accepted must still fail where the same issuer is given other keys, though it was verified before.
   */
  @Test
  void aTokenVerifiedWithOneRulesKeysIsNotAcceptedUnderAnotherRuleOfTheSameIssuerWithOtherKeys() throws Exception {
    RSAKey otherKey = JwksServer.newKey("k1");
    WorkloadRef inBar = new WorkloadRef("bar", "httpbin", Map.of("app", "httpbin"));
    io.switchyard.extauthz.config.PolicySet set = Policies.load(requestAuthentication("foo", "jwt", inlineRule(issuer.key()))
        + "---\n" + requestAuthentication("bar", "jwt", inlineRule(otherKey)));
    String t = issuer.token(c -> { });
    assertThat(run(set.forWorkload(W), bearer(t)).authenticated()).isTrue();
    AuthnResult inBarResult = run(set.forWorkload(inBar), req().workload(inBar).header("Authorization", "Bearer " + t).build());
    assertThat(inBarResult.authenticated()).isFalse();
    assertThat(inBarResult.failure()).isEqualTo("Jwt verification fails");
  }

  /**
   * Istio makes each jwtRule applying to a workload its own jwt_authn provider and requires any of them
   * (or none when no token is there): a token is accepted when any rule of its issuer at its location
   * accepts it, e.g. a mesh-wide and a namespace RequestAuthentication for one issuer with other audiences.
   */
  @Test
  void aTokenIsAcceptedByAnyRuleOfItsIssuerNotOnlyTheFirst() throws Exception {
    String mesh = requestAuthentication("istio-system", "mesh", uriRule() + "    audiences: [mesh]\n"
        + "    outputClaimToHeaders: [{header: x-mesh-sub, claim: sub}]\n");
    String ns = requestAuthentication("foo", "payments", uriRule() + "    audiences: [payments]\n"
        + "    outputClaimToHeaders: [{header: x-payments-sub, claim: sub}]\n");
    for (String yaml : List.of(mesh + "---\n" + ns, ns + "---\n" + mesh)) {
      WorkloadPolicies p = Policies.load(yaml).forWorkload(W);
      AuthnResult payments = run(p, bearer(issuer.token(c -> c.audience("payments"))));
      assertThat(payments.authenticated()).isTrue();
      assertThat(payments.headersToSet()).containsOnlyKeys("x-payments-sub");
      AuthnResult meshWide = run(p, bearer(issuer.token(c -> c.audience("mesh"))));
      assertThat(meshWide.authenticated()).isTrue();
      assertThat(meshWide.headersToSet()).containsOnlyKeys("x-mesh-sub");
      assertThat(run(p, bearer(issuer.token(c -> c.audience("other")))).failure()).isEqualTo("Audiences in Jwt are not allowed");
    }
  }

  /**
   * Istio (pilot/pkg/security/authn/policy_applier.go) sorts a workload's jwtRules by issuer and, for several, requires
   * any of {P0, …, Pn-1, all of {any of {Pi, allow_missing}}}. Envoy's AnyVerifierImpl then reports the last child's
   * status that is neither JwtMissed nor JwtUnknownIssuer; the last child is the requires_all, which stops at the first
   * provider reading the token that fails. So: the first reader's reason when it knows the token's issuer, else (a rule
   * of an issuer sorting before reads the same header, JwtUnknownIssuer) the last failing rule's reason.
   */
  @Test
  void whenNoRuleOfTheTokensIssuerAcceptsItTheReasonIsTheOneEnvoyGivesForIstiosRequirement() throws Exception {
    String badKeys = inlineRule(JwksServer.newKey("k1")) + "    audiences: [web]\n"; // "Jwt verification fails" (401)
    String otherAudience = uriRule() + "    audiences: [api]\n"; // "Audiences in Jwt are not allowed" (403)
    // An issuer sorting before this one's "http://127.0.0.1:…", reading the same Authorization header.
    String before = "  - issuer: \"accounts.example.com\"\n    jwksUri: \"" + issuer.jwksUri() + "\"\n";
    String token = issuer.token(c -> c.audience("web"));

    assertThat(run(rules(badKeys + otherAudience), bearer(token)).failure()).isEqualTo("Jwt verification fails");
    assertThat(run(rules(otherAudience + badKeys), bearer(token)).failure()).isEqualTo(Authenticator.AUDIENCE_NOT_ALLOWED);
    for (String yaml : List.of(before + badKeys + otherAudience, badKeys + before + otherAudience, badKeys + otherAudience + before)) {
      assertThat(run(rules(yaml), bearer(token)).failure()).isEqualTo(Authenticator.AUDIENCE_NOT_ALLOWED);
    }
    assertThat(run(rules(before + otherAudience + badKeys), bearer(token)).failure()).isEqualTo("Jwt verification fails");
    // A rule of another issuer reading another header does not read this token: the first rule's reason again.
    String elsewhere = before + "    fromHeaders: [{name: x-other-jwt}]\n";
    assertThat(run(rules(elsewhere + badKeys + otherAudience), bearer(token)).failure()).isEqualTo("Jwt verification fails");
  }

  /**
   * Each jwtRule is a jwt_authn provider verifying every token at its own locations, and Istio's requires_any lets the
   * request through on the first provider that accepts all of its tokens: a token that only another rule reads is
   * then never looked at, while one rule reading two tokens must accept both (Envoy's authenticator: all tokens valid).
   */
  @Test
  void theFirstRuleThatAcceptsAllTheTokensAtItsLocationsLetsTheRequestThrough() throws Exception {
    String good = issuer.token(c -> { });
    String badFormat = "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections";
    WorkloadPolicies apart = rules(uriRule() + "    fromHeaders: [{name: x-a}]\n" + uriRule() + "    fromHeaders: [{name: x-b}]\n");
    AuthnResult a = run(apart, req().header("x-a", good).header("x-b", "not-a-jwt").build());
    assertThat(a.authenticated()).isTrue();
    assertThat(a.identity().principal()).isEqualTo(issuer.issuer() + "/alice");
    assertThat(a.headersToRemove()).containsExactly("x-a");
    assertThat(run(apart, req().header("x-a", "not-a-jwt").header("x-b", good).build()).headersToRemove()).containsExactly("x-b");
    assertThat(run(apart, req().header("x-a", "not-a-jwt").header("x-b", "not.a.jwt").build()).failure()).isEqualTo(badFormat);

    WorkloadPolicies both = rules(uriRule() + "    fromHeaders: [{name: x-a}, {name: x-b}]\n");
    assertThat(run(both, req().header("x-a", good).header("x-b", "not-a-jwt").build()).failure()).isEqualTo(badFormat);
    AuthnResult twoGood = run(both, req().header("x-a", good).header("x-b", issuer.token(c -> c.subject("bob"))).build());
    assertThat(twoGood.authenticated()).isTrue();
    assertThat(twoGood.headersToRemove()).containsExactlyInAnyOrder("x-a", "x-b");
  }

  /**
   * Istio orders a workload's RequestAuthentications as GetJwtPoliciesForWorkload lists them (its namespace's, then
   * the root namespace's, each by creation time, then name) before sorting their jwtRules by issuer; the first rule
   * that accepts the token is the one whose header outputs apply.
   */
  @Test
  void rulesOfOneIssuerAreTriedNamespaceBeforeRootNamespaceThenByCreationTimeThenName() throws Exception {
    String mesh = requestAuthentication("istio-system", "a-mesh", uriRule() + "    outputClaimToHeaders: [{header: x-mesh, claim: sub}]\n");
    String ns = requestAuthentication("foo", "z-ns", uriRule() + "    outputClaimToHeaders: [{header: x-ns, claim: sub}]\n");
    for (String yaml : List.of(mesh + "---\n" + ns, ns + "---\n" + mesh)) {
      assertThat(run(Policies.load(yaml).forWorkload(W), bearer(issuer.token(c -> { }))).headersToSet()).containsOnlyKeys("x-ns");
    }
    String b = requestAuthentication("foo", "b", uriRule() + "    outputClaimToHeaders: [{header: x-b, claim: sub}]\n");
    String a = requestAuthentication("foo", "a", uriRule() + "    outputClaimToHeaders: [{header: x-a, claim: sub}]\n");
    assertThat(run(Policies.load(b + "---\n" + a).forWorkload(W), bearer(issuer.token(c -> { }))).headersToSet()).containsOnlyKeys("x-a");
    String olderB = b.replace("namespace: foo}", "namespace: foo, creationTimestamp: \"2024-01-01T00:00:00Z\"}");
    String newerA = a.replace("namespace: foo}", "namespace: foo, creationTimestamp: \"2024-06-01T00:00:00Z\"}");
    assertThat(run(Policies.load(newerA + "---\n" + olderB).forWorkload(W), bearer(issuer.token(c -> { }))).headersToSet())
        .containsOnlyKeys("x-b");
  }

  @Test
  void anUnparsableCreationTimestampIsRejectedWithItsLine() {
    assertThatThrownBy(() -> Policies.load(requestAuthentication("foo", "jwt", uriRule())
        .replace("namespace: foo}", "namespace: foo, creationTimestamp: yesterday}")))
        .isInstanceOf(io.switchyard.serverkit.config.ConfigException.class)
        .hasMessageContaining("policies.yaml:3:").hasMessageContaining("metadata.creationTimestamp");
  }

  /**
   * Istio 1.27+ accepts a jwtRule without issuer when jwksUri is set and gives jwt_authn a provider with an
   * empty issuer, which Envoy's extractor reads as "any issuer": a token of any issuer, or with no iss at
   * all, is accepted when those keys verify it (and its audiences and times are right).
   */
  @Test
  void aRuleWithoutIssuerAcceptsAnyIssuerThatItsKeysVerify() throws Exception {
    WorkloadPolicies p = rules("  - jwksUri: \"" + issuer.jwksUri() + "\"\n    audiences: [api]\n");
    AuthnResult own = run(p, bearer(issuer.token(c -> c.audience("api"))));
    assertThat(own.authenticated()).isTrue();
    assertThat(own.identity().principal()).isEqualTo(issuer.issuer() + "/alice");
    AuthnResult other = run(p, bearer(issuer.token(c -> c.issuer("https://other.example.com").audience("api"))));
    assertThat(other.authenticated()).isTrue();
    assertThat(other.identity().principal()).isEqualTo("https://other.example.com/alice");
    AuthnResult noIss = run(p, bearer(issuer.token(c -> c.issuer(null).audience("api").claim("role", "admin"))));
    assertThat(noIss.authenticated()).isTrue();
    assertThat(noIss.identity().present()).as("no iss, no request principal").isFalse();
    assertThat(noIss.identity().claims()).containsEntry("role", "admin");
    assertThat(run(p, bearer(issuer.token(JwksServer.newKey("k1"), c -> c.audience("api")))).failure()).isEqualTo("Jwt verification fails");
    assertThat(run(p, bearer(issuer.token(c -> c.audience("web")))).failure()).isEqualTo("Audiences in Jwt are not allowed");
  }

  @Test
  void claimsEnvoyVerifiedWithoutAnIssuerCountButGiveNoRequestPrincipal() throws Exception {
    AuthnResult a = run(rules("  - jwksUri: \"" + issuer.jwksUri() + "\"\n"),
        req().jwtAuthnPayload(Map.of("sub", "alice", "role", "admin")).build());
    assertThat(a.authenticated()).isTrue();
    assertThat(a.identity().present()).isFalse();
    assertThat(a.identity().claims()).containsEntry("role", "admin");
  }

  @Test
  void aTokenVerifiedByAnIssuerlessRuleIsNotAcceptedUnderOneWithOtherKeys() throws Exception {
    try (JwksServer other = new JwksServer()) {
      WorkloadRef inBar = new WorkloadRef("bar", "httpbin", Map.of("app", "httpbin"));
      io.switchyard.extauthz.config.PolicySet set = Policies.load(
          requestAuthentication("foo", "jwt", "  - jwksUri: \"" + issuer.jwksUri() + "\"\n")
          + "---\n" + requestAuthentication("bar", "jwt", "  - jwksUri: \"" + other.jwksUri() + "\"\n"));
      String t = issuer.token(c -> { });
      assertThat(run(set.forWorkload(W), bearer(t)).authenticated()).isTrue();
      AuthnResult inBarResult = run(set.forWorkload(inBar), req().workload(inBar).header("Authorization", "Bearer " + t).build());
      assertThat(inBarResult.authenticated()).isFalse();
      assertThat(inBarResult.failure()).isEqualTo("Jwt verification fails");
      assertThat(run(set.forWorkload(inBar), req().workload(inBar).header("Authorization", "Bearer " + other.token(c -> { })).build())
          .authenticated()).isTrue();
    }
  }

  /** Beside a rule naming an issuer, an issuer-less rule may still accept that issuer's token with its own keys. */
  @Test
  void anIssuerlessRuleIsTriedBesideTheRulesNamingTheTokensIssuer() throws Exception {
    try (JwksServer other = new JwksServer()) {
      WorkloadPolicies p = rules(uriRule() + "  - jwksUri: \"" + other.jwksUri() + "\"\n");
      assertThat(run(p, bearer(issuer.token(c -> { }))).authenticated()).isTrue();
      AuthnResult signedByOther = run(p, bearer(other.token(c -> c.issuer(issuer.issuer()))));
      assertThat(signedByOther.authenticated()).isTrue();
      assertThat(signedByOther.identity().principal()).isEqualTo(issuer.issuer() + "/alice");
    }
  }

  /** Istio's validation does not refuse two jwtRules of one issuer in one RequestAuthentication; either may accept a token. */
  @Test
  void oneRequestAuthenticationMayNameAnIssuerTwice() throws Exception {
    WorkloadPolicies p = rules(uriRule() + "    audiences: [web]\n" + uriRule() + "    audiences: [api]\n    fromHeaders: [{name: x-jwt}]\n");
    assertThat(run(p, bearer(issuer.token(c -> c.audience("web")))).authenticated()).isTrue();
    assertThat(run(p, req().header("x-jwt", issuer.token(c -> c.audience("api"))).build()).authenticated()).isTrue();
    // The second rule reads only x-jwt: a token for it in Authorization is judged by the first rule alone.
    assertThat(run(p, bearer(issuer.token(c -> c.audience("api")))).failure()).isEqualTo("Audiences in Jwt are not allowed");
  }

  @Test
  void customLocationsParamsAndCookies() throws Exception {
    WorkloadPolicies p = rules(uriRule() + "    fromHeaders: [{name: x-jwt, prefix: \"Token \"}]\n    fromParams: [tok]\n    fromCookies: [session]\n");
    String t = issuer.token(c -> { });
    assertThat(run(p, req().header("x-jwt", "Token " + t).build()).identity().present()).isTrue();
    assertThat(run(p, req().header("x-jwt", "Token " + t).build()).headersToRemove()).containsExactly("x-jwt");
    AuthnResult viaParam = run(p, req().path("/x?a=1&tok=" + t).build());
    assertThat(viaParam.identity().present()).isTrue();
    assertThat(viaParam.queryParamsToRemove()).containsExactly("tok");
    assertThat(run(p, req().header("cookie", "a=b; session=" + t).build()).identity().present()).isTrue();
    // The default Authorization location is replaced by the explicit ones.
    assertThat(run(p, bearer(t)).identity().present()).isFalse();
  }

  /**
   * Envoy's jwt_authn looks a fromHeaders name up in the request header map, where "host" is the :authority entry
   * (HTTP/1.1's Host is stored there): a token in fromHeaders [{name: host}] is read from :authority, the value
   * request.headers[host] also reads, not from a "host" entry a hand-written CheckRequest may carry beside it.
   */
  @Test
  void aHostTokenLocationReadsTheAuthorityAsEnvoysHeaderMapDoes() throws Exception {
    String t = issuer.token(c -> { });
    for (String name : List.of("host", "Host", ":authority")) {
      WorkloadPolicies p = rules(uriRule() + "    fromHeaders: [{name: \"" + name + "\"}]\n");
      AuthnResult a = run(p, RequestAttributes.builder().workload(W).method("GET").path("/")
          .header(":authority", t).header("host", "www.example.com").build());
      assertThat(a.identity().present()).as(name).isTrue();
      // Without :authority in the headers it is the host Envoy always sends as http.host.
      assertThat(run(p, req().host(t).build()).identity().present()).as(name).isTrue();
    }
  }

  /**
   * Envoy keys the fromHeaders look-up by Http::LowerCaseString, which lower-cases A-Z only: a name spelled with the
   * Kelvin sign (U+212A, which Java lower-cases to 'k') names no header a request can carry, so no token is found.
   */
  @Test
  void fromHeadersNamesFoldOnlyAsciiLettersAsEnvoysLowerCaseStringDoes() throws Exception {
    String t = issuer.token(c -> { });
    WorkloadPolicies kelvin = rules(uriRule() + "    fromHeaders: [{name: \"X-\u212Aey\"}]\n");
    assertThat(run(kelvin, req().header("x-key", t).build()).identity().present()).isFalse();
    WorkloadPolicies ascii = rules(uriRule() + "    fromHeaders: [{name: \"X-KEY\"}]\n");
    assertThat(run(ascii, req().header("x-key", t).build()).identity().present()).isTrue();
  }

  /**
   * Envoy's jwt_authn extractor, which Istio's fromHeaders prefix configures, looks for the prefix exactly
   * (case-sensitive) anywhere in the header value: "bearer <token>" holds no token for it, so the request
   * goes on without identity, whether the token is valid or expired, as under Istio.
   */
  @Test
  void aHeaderPrefixMatchesCaseSensitivelyAsEnvoysExtractorDoes() throws Exception {
    WorkloadPolicies p = rules(uriRule());
    String valid = issuer.token(c -> { });
    String expired = issuer.token(c -> c.expirationTime(Date.from(Instant.now().minusSeconds(600))));
    AuthnResult lower = run(p, req().header("Authorization", "bearer " + valid).build());
    assertThat(lower.authenticated()).isTrue();
    assertThat(lower.identity().present()).isFalse();
    assertThat(lower.headersToRemove()).isEmpty();
    assertThat(run(p, req().header("Authorization", "BEARER " + expired).build()).authenticated()).isTrue();
    assertThat(run(p, req().header("Authorization", "Bearer " + expired).build()).failure()).isEqualTo("Jwt is expired");

    WorkloadPolicies custom = rules(uriRule() + "    fromHeaders: [{name: x-jwt, prefix: \"Token \"}]\n");
    assertThat(run(custom, req().header("x-jwt", "token " + valid).build()).identity().present()).isFalse();
    // Found anywhere in the value, and the token starts at the first base64url character after it.
    assertThat(run(custom, req().header("x-jwt", "v2 Token   " + valid).build()).identity().present()).isTrue();
    // ... and ends at the first character that is neither base64url nor '.'.
    assertThat(run(custom, req().header("x-jwt", "Token " + valid + ", v=2").build()).identity().present()).isTrue();
  }

  /**
   * Envoy's jwt_authn removes a header or query-parameter token when forward is false, but leaves a
   * cookie token in place (JwtCookieLocation::removeJwt is empty, envoyproxy/envoy#17985), and Istio
   * configures exactly that filter: so the Cookie header goes upstream unchanged here too.
   */
  @Test
  void cookieTokensAreLeftInTheCookieHeaderAsEnvoyLeavesThem() throws Exception {
    WorkloadPolicies p = rules(uriRule() + "    fromCookies: [session]\n");
    AuthnResult a = run(p, req().header("cookie", "a=b; session=" + issuer.token(c -> { })).build());
    assertThat(a.identity().present()).isTrue();
    assertThat(a.headersToRemove()).isEmpty();
    assertThat(a.headersToSet()).isEmpty();
  }

  @Test
  void defaultLocationsIncludeTheAccessTokenParam() throws Exception {
    assertThat(run(rules(uriRule()), req().path("/?access_token=" + issuer.token(c -> { })).build()).identity().present()).isTrue();
  }

  @Test
  void outputsClaimsAndPayloadToHeadersAndCanForwardTheToken() throws Exception {
    WorkloadPolicies p = rules(uriRule() + "    forwardOriginalToken: true\n    outputPayloadToHeader: x-jwt-payload\n"
        + "    outputClaimToHeaders:\n    - {header: x-sub, claim: sub}\n    - {header: x-team, claim: org.team}\n");
    AuthnResult a = run(p, bearer(issuer.token(c -> c.claim("org", Map.of("team", "payments")))));
    assertThat(a.headersToSet()).containsEntry("x-sub", "alice").containsEntry("x-team", "payments").containsKey("x-jwt-payload");
    assertThat(a.headersToRemove()).isEmpty();
    AuthnResult none = run(p, req().header("x-sub", "forged").build());
    assertThat(none.headersToRemove()).contains("x-sub", "x-team", "x-jwt-payload");
  }

  /**
   * Envoy's jwt_authn adds a claim header only when the claim's text is non-empty (authenticator.cc addJWTClaimToHeader),
   * after stripping every output header of the providers from the request (extractor.cc sanitizeHeaders): an empty or
   * missing claim leaves no header at all, not an empty one and not the client's.
   */
  @Test
  void anEmptyOrMissingClaimWritesNoHeaderAndTheClientsOneIsStripped() throws Exception {
    WorkloadPolicies p = rules(uriRule() + "    outputClaimToHeaders:\n    - {header: x-nick, claim: nick}\n    - {header: x-team, claim: org.team}\n"
        + "  - issuer: https://other.example\n    jwksUri: \"" + issuer.jwksUri() + "\"\n    fromHeaders: [{name: x-other-token}]\n"
        + "    outputClaimToHeaders: [{header: x-other, claim: sub}]\n");
    RequestAttributes r = req().header("authorization", "Bearer " + issuer.token(c -> c.claim("nick", "")))
        .header("x-nick", "forged").header("x-team", "forged").header("x-other", "forged").build();
    AuthnResult a = run(p, r);
    assertThat(a.identity().present()).isTrue();
    assertThat(a.headersToSet()).doesNotContainKeys("x-nick", "x-team", "x-other");
    assertThat(a.headersToRemove()).contains("x-nick", "x-team", "x-other");
  }

  /**
   * jwt_verify_lib holds every JSON number as a double; authenticator.cc convertClaimDoubleToString writes a whole one in
   * [0, 2^64) as an integer and any other with std::to_string, i.e. printf("%f") of the exact binary value.
   */
  @Test
  void numericClaimsAreWrittenAsEnvoysJwtAuthnWritesThem() throws Exception {
    assertThat(Authenticator.claimText(Map.of("n", 9999L), "n")).isEqualTo("9999");
    assertThat(Authenticator.claimText(Map.of("n", 2.0), "n")).isEqualTo("2");
    assertThat(Authenticator.claimText(Map.of("n", -0.0), "n")).isEqualTo("0");
    assertThat(Authenticator.claimText(Map.of("n", 1e19), "n")).isEqualTo("10000000000000000000");
    assertThat(Authenticator.claimText(Map.of("n", 9007199254740993L), "n")).isEqualTo("9007199254740992");
    assertThat(Authenticator.claimText(Map.of("n", 1.5), "n")).isEqualTo("1.500000");
    assertThat(Authenticator.claimText(Map.of("n", -3L), "n")).isEqualTo("-3.000000");
    assertThat(Authenticator.claimText(Map.of("n", -1e-7), "n")).isEqualTo("-0.000000");
    assertThat(Authenticator.claimText(Map.of("n", 5e-7), "n")).isEqualTo("0.000000");
    assertThat(Authenticator.claimText(Map.of("n", 1e20), "n")).isEqualTo("100000000000000000000.000000");

    WorkloadPolicies p = rules(uriRule() + "    outputClaimToHeaders: [{header: x-ratio, claim: ratio}]\n");
    assertThat(run(p, bearer(issuer.token(c -> c.claim("ratio", 0.25)))).headersToSet()).containsEntry("x-ratio", "0.250000");
  }

  /**
   * Newer Envoy (envoyproxy/envoy#30377) writes an object or list claim as standard, padded base64 of the claim's JSON as
   * protobuf's MessageToJsonString prints it: compact, numbers as doubles in SimpleDtoa's shortest of %.15g/%.17g,
   * {@code <}, {@code >} and invisible characters as lower-case \\u escapes, other text as UTF-8.
   */
  @Test
  void objectAndListClaimsAreBase64OfTheirProtobufJson() throws Exception {
    assertThat(decoded(Authenticator.claimText(Map.of("l", List.of("str1", "str2")), "l"))).isEqualTo("[\"str1\",\"str2\"]");
    assertThat(Authenticator.claimText(Map.of("l", List.of("str1", "str2")), "l")).isEqualTo("WyJzdHIxIiwic3RyMiJd");
    assertThat(Authenticator.claimText(Map.of("l", List.of()), "l")).isEqualTo("W10=");
    assertThat(Authenticator.claimText(Map.of("o", Map.of()), "o")).isEqualTo("e30=");
    java.util.List<Object> numbers = List.of(100L, 1.5, 1e21, 1e15, 0.00001, -0.0, 1.0 / 3, 9007199254740993L, 0.1);
    assertThat(decoded(Authenticator.claimText(Map.of("l", numbers), "l")))
        .isEqualTo("[100,1.5,1e+21,1e+15,1e-05,-0,0.33333333333333331,9007199254740992,0.1]");
    java.util.Map<String, Object> nested = new java.util.LinkedHashMap<>();
    nested.put("a", true);
    nested.put("b", java.util.Arrays.asList(null, "x<y>\"\\\n\u00e9\u2028\u007f\uD834\uDD73/"));
    nested.put("c", Map.of("d", false));
    assertThat(decoded(Authenticator.claimText(Map.of("o", nested), "o")))
        .isEqualTo("{\"a\":true,\"b\":[null,\"x\\u003cy\\u003e\\\"\\\\\\n\u00e9\\u2028\\u007f\\ud834\\udd73/\"],\"c\":{\"d\":false}}");

    WorkloadPolicies p = rules(uriRule() + "    outputClaimToHeaders: [{header: x-roles, claim: realm.roles}]\n");
    String t = issuer.token(c -> c.claim("realm", Map.of("roles", List.of("admin", "dev"))));
    assertThat(run(p, bearer(t)).headersToSet()).containsEntry("x-roles", "WyJhZG1pbiIsImRldiJd");
  }

  private static String decoded(String base64) {
    return new String(java.util.Base64.getDecoder().decode(base64), java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * jwt_verify_lib's StructUtils::GetValue splits the claim name at every '.', empty parts kept, and looks it up only as
   * that nested path: a top-level claim whose name has a dot is never found.
   */
  @Test
  void claimNamesAreAlwaysPathsSplitAtEveryDot() {
    assertThat(Authenticator.claimText(Map.of("a.b", "flat"), "a.b")).isNull();
    assertThat(Authenticator.claimText(Map.of("a.b", "flat", "a", Map.of("b", "nested")), "a.b")).isEqualTo("nested");
    assertThat(Authenticator.claimText(Map.of("a", Map.of("", "under an empty name")), "a.")).isEqualTo("under an empty name");
    assertThat(Authenticator.claimText(Map.of("a", "x"), "a.")).isNull();
  }

  /** Claim headers come from the payload as signed, as jwt_authn's do, not from the claims as Nimbus re-reads them. */
  @Test
  void claimHeadersAreWrittenFromThePayloadAsSigned() throws Exception {
    WorkloadPolicies p = rules(uriRule() + "    outputClaimToHeaders: [{header: x-exp, claim: exp}]\n");
    String t = issuer.token(c -> c.claim("exp", 4_000_000_000.5));
    assertThat(run(p, bearer(t)).headersToSet()).containsEntry("x-exp", "4000000000.500000");
  }

  /** Envoy's jwt_authn forwards the payload only under a non-empty forward_payload_header, and strips only that name. */
  @Test
  void anEmptyOutputPayloadToHeaderForwardsNothing() throws Exception {
    WorkloadPolicies p = rules(uriRule() + "    outputPayloadToHeader: \"\"\n");
    assertThat(run(p, bearer(issuer.token(c -> { }))).headersToSet()).isEmpty();
    assertThat(run(p, req().build()).headersToRemove()).isEmpty();
  }

  @Test
  void claimsVerifiedByEnvoyJwtAuthnAreAccepted() throws Exception {
    WorkloadPolicies p = rules(uriRule() + "    outputClaimToHeaders: [{header: x-sub, claim: sub}]\n");
    RequestAttributes r = req().jwtAuthnPayload(Map.of("iss", issuer.issuer(), "sub", "erin", "exp", 4_000_000_000L)).build();
    AuthnResult a = run(p, r);
    assertThat(a.identity().principal()).isEqualTo(issuer.issuer() + "/erin");
    assertThat(a.headersToSet()).containsEntry("x-sub", "erin");
    assertThat(a.expiresAtMillis()).isEqualTo(4_000_000_000_000L);
    assertThat(issuer.jwksHits.get()).isZero();
  }

  /**
   * Istio's {@code spaceDelimitedClaims}: the named claims are split on spaces before policies see
   * them (Envoy's normalize_payload_in_metadata), besides scope and permission; headers still get the
   * claim as signed, and claims not named stay whole.
   */
  @Test
  void spaceDelimitedClaimsBecomeListsForPoliciesButNotForHeaders() throws Exception {
    String rule = uriRule() + "    spaceDelimitedClaims: [roles, perms]\n    outputClaimToHeaders: [{header: x-roles, claim: roles}]\n";
    String policy = "---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: writers, namespace: foo}\n"
        + "spec:\n  rules:\n  - when: [{key: \"request.auth.claims[roles]\", values: [writer]}]\n";
    String otherClaim = "---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: other, namespace: foo}\n"
        + "spec:\n  rules:\n  - when: [{key: \"request.auth.claims[other]\", values: [y]}]\n";
    String head = "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: jwt, namespace: foo}\nspec:\n  jwtRules:\n";
    String t = issuer.token(c -> c.claim("roles", "reader  writer").claim("perms", List.of("p1")).claim("other", "x y"));
    RequestAttributes r = bearer(t);

    WorkloadPolicies p = Policies.load(head + rule + policy).forWorkload(W);
    AuthnResult a = run(p, r);
    assertThat(a.identity().claims()).containsEntry("roles", List.of("reader", "writer")).containsEntry("perms", List.of("p1"))
        .containsEntry("other", "x y");
    assertThat(a.headersToSet()).containsEntry("x-roles", "reader  writer");
    assertThat(Policies.evaluate(Policies.load(head + rule + policy), r, a.identity()).allowed()).isTrue();
    assertThat(Policies.evaluate(Policies.load(head + rule + otherClaim), r, a.identity()).allowed()).isFalse();

    // Without the field the claim is one string, which "writer" does not match.
    String plainRule = uriRule();
    AuthnResult plain = run(Policies.load(head + plainRule + policy).forWorkload(W), r);
    assertThat(plain.identity().claims()).containsEntry("roles", "reader  writer");
    assertThat(Policies.evaluate(Policies.load(head + plainRule + policy), r, plain.identity()).allowed()).isFalse();

    // Claims Envoy's jwt_authn verified are split by the same rule when it left them as text.
    RequestAttributes viaEnvoy = req().jwtAuthnPayload(Map.of("iss", issuer.issuer(), "sub", "erin", "roles", "admin writer")).build();
    assertThat(run(p, viaEnvoy).identity().claims()).containsEntry("roles", List.of("admin", "writer"));
  }

  @Test
  void emptySpaceDelimitedClaimNameIsRejectedWithItsLine() {
    assertThatThrownBy(() -> rules(uriRule() + "    spaceDelimitedClaims: [roles, \"\"]\n"))
        .isInstanceOf(io.switchyard.serverkit.config.ConfigException.class)
        .hasMessageContaining("policies.yaml:").hasMessageContaining("spaceDelimitedClaims");
  }

  @Test
  void verifiedTokensAreCachedSoKeysAreNotNeededAgain() throws Exception {
    WorkloadPolicies p = rules(uriRule());
    String t = issuer.token(c -> { });
    assertThat(run(p, bearer(t)).authenticated()).isTrue();
    issuer.publish(JwksServer.newKey("other"));
    clock.advance(Duration.ofMinutes(6));
    assertThat(run(p, bearer(t)).authenticated()).isTrue();
  }

  /** An Ed25519 key pair from the JDK, published as an OKP JWK, and a JWT signed with it (alg EdDSA). */
  record EdKey(OctetKeyPair publicJwk, java.security.PrivateKey privateKey) {
    static EdKey generate(String kid) throws Exception {
      java.security.KeyPair kp = java.security.KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      byte[] spki = kp.getPublic().getEncoded();
      byte[] x = java.util.Arrays.copyOfRange(spki, spki.length - 32, spki.length);
      return new EdKey(new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(x)).keyID(kid).build(), kp.getPrivate());
    }

    String sign(JWTClaimsSet claims) throws Exception {
      SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.EdDSA).keyID(publicJwk.getKeyID()).build(), claims);
      java.security.PrivateKey pk = privateKey;
      jwt.sign(new JWSSigner() {
        @Override
        public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
          try {
            java.security.Signature s = java.security.Signature.getInstance("Ed25519");
            s.initSign(pk);
            s.update(signingInput);
            return Base64URL.encode(s.sign());
          } catch (java.security.GeneralSecurityException e) {
            throw new JOSEException(e.getMessage(), e);
          }
        }

        @Override
        public java.util.Set<JWSAlgorithm> supportedJWSAlgorithms() {
          return java.util.Set.of(JWSAlgorithm.EdDSA);
        }

        @Override
        public JCAContext getJCAContext() {
          return new JCAContext();
        }
      });
      return jwt.serialize();
    }
  }

  JWTClaimsSet claims(String sub) {
    return new JWTClaimsSet.Builder().issuer(issuer.issuer()).subject(sub).expirationTime(java.util.Date.from(clock.instant().plusSeconds(3600))).build();
  }

  @Test
  void ed25519TokensVerifyAgainstAnOkpKeyFromTheJwksEndpoint() throws Exception {
    EdKey ed = EdKey.generate("ed1");
    issuer.publishExtra(ed.publicJwk());
    AuthnResult ok = run(rules(uriRule()), bearer(ed.sign(claims("bob"))));
    assertThat(ok.authenticated()).isTrue();
    assertThat(ok.identity().principal()).isEqualTo(issuer.issuer() + "/bob");

    // Signed by another Ed25519 key under the published kid: a bad signature, 401.
    EdKey impostor = EdKey.generate("ed1");
    AuthnResult forged = run(rules(uriRule()), bearer(impostor.sign(claims("mallory"))));
    assertThat(forged.authenticated()).isFalse();
    assertThat(forged.failure()).isEqualTo("Jwt verification fails");

    // A tampered payload under a valid signature fails too.
    String[] parts = ed.sign(claims("bob")).split("\\.");
    String tampered = parts[0] + "." + Base64URL.encode(claims("admin").toString()) + "." + parts[2];
    assertThat(run(rules(uriRule()), bearer(tampered)).authenticated()).isFalse();
  }
}
