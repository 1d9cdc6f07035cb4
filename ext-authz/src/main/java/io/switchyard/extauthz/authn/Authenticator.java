package io.switchyard.extauthz.authn;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.switchyard.extauthz.request.RequestAttributes;
import io.switchyard.extauthz.request.RequestIdentity;
import java.security.Key;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * RequestAuthentication as Envoy's jwt_authn filter applies it for Istio: a request without a token
 * passes with no identity; any token found must come from a configured issuer, at one of that rule's
 * locations, be unexpired, carry an allowed audience and verify against the issuer's keys — else 401.
 * Verified tokens are cached by hash until they expire.
 */
public final class Authenticator {
  /**
   * jwt_authn's failure for a token of none of the rule's audiences: the one failure Envoy answers with 403, not 401
   * (filter.cc: {@code status == Status::JwtAudienceNotAllowed ? Code::Forbidden : Code::Unauthorized}).
   */
  public static final String AUDIENCE_NOT_ALLOWED = "Audiences in Jwt are not allowed";

  private static final String UNKNOWN_ISSUER = "Jwt issuer is not configured";
  private static final Duration CLOCK_SKEW = Duration.ofSeconds(60);
  private static final long NO_EXP_CACHE_MILLIS = Duration.ofMinutes(5).toMillis();

  private final JwksRegistry registry;
  private final Clock clock;
  private final Cache<String, Verified> verified;
  private final DefaultJWSVerifierFactory verifiers = new DefaultJWSVerifierFactory();

  /** {@code claims} is the payload as signed (headers are copied from it); the identity's claims are normalised. */
  private record Verified(RequestIdentity identity, Map<String, Object> signedPayload, long expiresAtMillis, String payloadSegment) {}

  public Authenticator(JwksRegistry registry, Clock clock, long maxCachedTokens) {
    this.registry = registry;
    this.clock = clock;
    // Maintenance on the calling thread, as for the decision cache: cheaper than waking a pool thread.
    this.verified = Caffeine.newBuilder().maximumSize(maxCachedTokens).executor(Runnable::run).expireAfter(new Expiry<String, Verified>() {
      @Override
      public long expireAfterCreate(String key, Verified v, long currentTime) {
        long ms = v.expiresAtMillis() == Long.MAX_VALUE ? NO_EXP_CACHE_MILLIS : v.expiresAtMillis() - clock.millis();
        return TimeUnit.MILLISECONDS.toNanos(Math.max(0, ms));
      }

      @Override
      public long expireAfterUpdate(String key, Verified v, long currentTime, long currentDuration) {
        return currentDuration;
      }

      @Override
      public long expireAfterRead(String key, Verified v, long currentTime, long currentDuration) {
        return currentDuration;
      }
    }).build();
  }

  /** A token found at one location, with the sha-256 of its text. */
  public record FoundToken(TokenLocation location, String token) {}

  /**
   * Every token present at the given locations; the decision cache keys on these. None for a CORS
   * preflight: Istio sets jwt_authn's {@code bypass_cors_preflight}, so Envoy lets a preflight through
   * without reading its token (a browser sends no credentials with one) and it is authorized as a request
   * without a token. Likewise for a request without a path ({@link #withoutPath}). Such a request is then keyed, and
   * decided, exactly as one without a token.
   */
  public static List<FoundToken> findTokens(RequestAttributes r, List<TokenLocation> locations) {
    if (!locations.isEmpty() && (isCorsPreflight(r) || withoutPath(r))) {
      return List.of();
    }
    List<FoundToken> out = null;
    for (TokenLocation l : locations) {
      String t = l.extract(r);
      if (t != null) {
        if (out == null) {
          out = new ArrayList<>(1);
        }
        out.add(new FoundToken(l, t));
      }
    }
    return out == null ? List.of() : out;
  }

  /**
   * An HTTP request without a path (a plain CONNECT). Istio gives jwt_authn one rule, {@code match: {prefix: "/"}}, which
   * Envoy matches against the path value, empty here: no requirement applies, so Envoy lets the request on without
   * reading its token, as it does a CORS preflight.
   */
  static boolean withoutPath(RequestAttributes r) {
    return r.http() && r.path() == null;
  }

  /**
   * Envoy's jwt_authn {@code isCorsPreflightRequest}: method exactly {@code OPTIONS}, and non-empty
   * {@code Origin} and {@code Access-Control-Request-Method} headers.
   */
  static boolean isCorsPreflight(RequestAttributes r) {
    if (!"OPTIONS".equals(r.method())) {
      return false;
    }
    String origin = r.header("origin");
    String requestMethod = r.header("access-control-request-method");
    return origin != null && !origin.isEmpty() && requestMethod != null && !requestMethod.isEmpty();
  }

  public CompletableFuture<AuthnResult> authenticate(RequestAttributes r, List<JwtRule> rules, List<FoundToken> tokens) {
    if (r.jwtAuthnPayload() != null) {
      return CompletableFuture.completedFuture(fromEnvoyMetadata(r.jwtAuthnPayload(), rules));
    }
    if (rules.isEmpty()) {
      return CompletableFuture.completedFuture(AuthnResult.ANONYMOUS);
    }
    Set<String> outputs = new LinkedHashSet<>();
    for (JwtRule rule : rules) {
      rule.outputClaimToHeaders().forEach(c -> outputs.add(c.header()));
      if (rule.outputPayloadToHeader() != null) {
        outputs.add(rule.outputPayloadToHeader());
      }
    }
    if (tokens.isEmpty()) {
      // Headers this server would fill from a token must not arrive forged from the client.
      return CompletableFuture.completedFuture(outputs.isEmpty() ? AuthnResult.ANONYMOUS
          : new AuthnResult(true, RequestIdentity.NONE, null, Long.MAX_VALUE, Map.of(), new ArrayList<>(outputs), List.of(), true));
    }
    List<JwtRule> readers = new ArrayList<>(rules.size());
    List<List<FoundToken>> theirTokens = new ArrayList<>(rules.size());
    for (JwtRule rule : rules) {
      List<FoundToken> mine = new ArrayList<>(tokens.size());
      for (FoundToken t : tokens) {
        if (rule.locations().contains(t.location())) {
          mine.add(t);
        }
      }
      if (!mine.isEmpty()) {
        readers.add(rule);
        theirTokens.add(mine);
      }
    }
    return tryReader(0, readers, theirTokens, new HashMap<>(), new ArrayList<>(readers.size())).thenApply(a -> stripUnset(a, outputs));
  }

  /**
   * Envoy's jwt_authn strips every provider's output headers from the request before verifying (extractor.cc
   * sanitizeHeaders) and then adds only claims with text: an output this request does not set must not reach the
   * upstream as the client sent it.
   */
  private static AuthnResult stripUnset(AuthnResult a, Set<String> outputs) {
    if (!a.authenticated() || a.headersToSet().keySet().containsAll(outputs)) {
      return a;
    }
    Set<String> remove = new LinkedHashSet<>(a.headersToRemove());
    for (String h : outputs) {
      if (!a.headersToSet().containsKey(h)) {
        remove.add(h);
      }
    }
    return new AuthnResult(true, a.identity(), null, a.expiresAtMillis(), a.headersToSet(), new ArrayList<>(remove),
        a.queryParamsToRemove(), a.cacheable());
  }

  /**
   * Istio's requirement (pilot/pkg/security/authn/policy_applier.go) over the workload's jwtRules in Istio's order (see
   * PolicySet): each rule is a jwt_authn provider verifying every token at its own locations; one rule is required as
   * {rule or allow_missing}, several as any of {P0, …, Pn-1, all of {any of {Pi, allow_missing}}}. So the first rule
   * reading a token that accepts all the tokens it reads lets the request through (a token only other rules read is
   * then not looked at), and rules reading none are missed. {@code readers} are the rules reading a token, in order.
   */
  private CompletableFuture<AuthnResult> tryReader(int i, List<JwtRule> readers, List<List<FoundToken>> theirTokens,
      Map<FoundToken, Parsed> parsed, List<AuthnResult> failures) {
    if (i == readers.size()) {
      return CompletableFuture.completedFuture(refusal(failures));
    }
    return provider(readers.get(i), theirTokens.get(i), parsed).thenCompose(a -> {
      if (a.authenticated()) {
        boolean cacheable = a.cacheable();
        for (AuthnResult f : failures) {
          cacheable &= f.cacheable();
        }
        return CompletableFuture.completedFuture(cacheable ? a : new AuthnResult(true, a.identity(), null, a.expiresAtMillis(),
            a.headersToSet(), a.headersToRemove(), a.queryParamsToRemove(), false));
      }
      failures.add(a);
      return tryReader(i + 1, readers, theirTokens, parsed, failures);
    });
  }

  /**
   * No rule accepted its tokens. Envoy's AnyVerifierImpl then reports its last child's status that is neither JwtMissed
   * nor JwtUnknownIssuer (verifier.cc). With one rule that is the rule's status. With several the last child is the
   * requires_all, which fails with the first reader's status: that one, unless it is JwtUnknownIssuer, and then the
   * last reader's status that is not.
   */
  private static AuthnResult refusal(List<AuthnResult> failures) {
    boolean cacheable = true;
    for (AuthnResult f : failures) {
      cacheable &= f.cacheable();
    }
    String reason = failures.get(0).failure();
    if (UNKNOWN_ISSUER.equals(reason)) {
      for (AuthnResult f : failures) {
        if (!UNKNOWN_ISSUER.equals(f.failure())) {
          reason = f.failure();
        }
      }
    }
    return AuthnResult.failed(reason, cacheable);
  }

  /** One provider: every token it reads must pass (Envoy's authenticator stops at the first that does not). */
  private CompletableFuture<AuthnResult> provider(JwtRule rule, List<FoundToken> mine, Map<FoundToken, Parsed> parsed) {
    CompletableFuture<AuthnResult> result = withRule(rule, mine.get(0), parsed);
    for (FoundToken next : mine.subList(1, mine.size())) {
      result = result.thenCompose(a -> !a.authenticated() ? CompletableFuture.completedFuture(a)
          : withRule(rule, next, parsed).thenApply(b -> b.authenticated() ? both(a, b) : b));
    }
    return result;
  }

  /** Two tokens one rule accepted: the first one's identity, every header output and removal. */
  private static AuthnResult both(AuthnResult a, AuthnResult b) {
    Map<String, String> set = new LinkedHashMap<>(a.headersToSet());
    b.headersToSet().forEach(set::putIfAbsent);
    Set<String> remove = new LinkedHashSet<>(a.headersToRemove());
    remove.addAll(b.headersToRemove());
    Set<String> params = new LinkedHashSet<>(a.queryParamsToRemove());
    params.addAll(b.queryParamsToRemove());
    return new AuthnResult(true, a.identity(), null, Math.min(a.expiresAtMillis(), b.expiresAtMillis()), set,
        new ArrayList<>(remove), new ArrayList<>(params), a.cacheable() && b.cacheable());
  }

  /** A token parsed once per request: either its failure (the same under every rule) or its parts. */
  private record Parsed(AuthnResult failure, SignedJWT jwt, JWTClaimsSet claims, Map<String, Object> payload, String tokenHash) {}

  private static Parsed parse(FoundToken found) {
    try {
      SignedJWT jwt = SignedJWT.parse(found.token());
      // The payload's JSON is parsed once, for the type checks and the claims both (getJWTClaimsSet parses it again).
      Map<String, Object> raw = jwt.getPayload().toJSONObject();
      if (raw == null || !JwtFormat.parsesAsInEnvoy(found.token(), jwt.getHeader().getAlgorithm().getName())) {
        return malformed(found.token());
      }
      String mistyped = payloadTypeError(raw);
      if (mistyped != null) {
        return new Parsed(AuthnResult.failed(mistyped, true), null, null, null, null);
      }
      return new Parsed(null, jwt, JWTClaimsSet.parse(raw), raw, TokenHash.sha256(found.token()));
    } catch (ParseException e) {
      return malformed(found.token());
    }
  }

  /** A token Envoy's parse would refuse, with its reason (a token only Nimbus refuses keeps the bad-format one). */
  private static Parsed malformed(String token) {
    String reason = JwtFormat.reason(token);
    return new Parsed(AuthnResult.failed(reason != null ? reason : JwtFormat.BAD_FORMAT, true), null, null, null, null);
  }

  /** The token under one rule: parsed, then its issuer (Envoy's isIssuerAllowed), then claims and keys. */
  private CompletableFuture<AuthnResult> withRule(JwtRule rule, FoundToken found, Map<FoundToken, Parsed> parsed) {
    Parsed p = parsed.computeIfAbsent(found, Authenticator::parse);
    if (p.failure() != null) {
      return CompletableFuture.completedFuture(p.failure());
    }
    if (!rule.acceptsIssuer(p.claims().getIssuer())) {
      return CompletableFuture.completedFuture(AuthnResult.failed(UNKNOWN_ISSUER, true));
    }
    return withRule(rule, found, p.jwt(), p.claims(), p.payload(), p.tokenHash());
  }

  /**
   * jwt_verify_lib's checks of the registered claims' types ({@code Jwt::parseFromString}, in its order), which refuse
   * the token before any rule is tried. Nimbus is laxer: it reads a numeric {@code sub} as text (a principal Envoy never
   * gives), takes a {@code null} claim as absent, and a negative {@code exp} as a date in 1969.
   */
  static String payloadTypeError(Map<String, Object> payload) {
    for (String claim : new String[] {"iss", "sub"}) {
      if (payload.containsKey(claim) && !(payload.get(claim) instanceof String)) {
        return "Jwt payload [" + claim + "] field is not a string";
      }
    }
    for (String claim : new String[] {"iat", "nbf", "exp"}) {
      if (payload.containsKey(claim)) {
        if (!(payload.get(claim) instanceof Number n)) {
          return "Jwt payload [" + claim + "] field is not an integer";
        }
        double d = n.doubleValue();
        if (!(d >= 0 && d < 0x1p64)) {
          return "Jwt payload [" + claim + "] field is not a positive 64 bit integer";
        }
      }
    }
    if (payload.containsKey("jti") && !(payload.get("jti") instanceof String)) {
      return "Jwt payload [jti] field is not a string";
    }
    if (payload.containsKey("aud")) {
      Object aud = payload.get("aud");
      boolean ok = aud instanceof String;
      if (aud instanceof List<?> list) {
        ok = true;
        for (Object a : list) {
          ok &= a instanceof String;
        }
      }
      if (!ok) {
        return "Jwt payload [aud] field is not a string or string list";
      }
    }
    return null;
  }

  /** The token checked against one jwtRule: claims, then the signature with that rule's keys. */
  private CompletableFuture<AuthnResult> withRule(JwtRule rule, FoundToken found, SignedJWT jwt, JWTClaimsSet claims,
      Map<String, Object> payload, String tokenHash) {
    long now = clock.millis();
    String cacheKey = tokenHash + rule.verifiedCacheScope();
    Verified hit = verified.getIfPresent(cacheKey);
    if (hit != null && !expired(hit.expiresAtMillis(), now)) {
      return CompletableFuture.completedFuture(success(rule, found, hit));
    }
    String early = checkClaims(rule, claims, now);
    if (early != null) {
      return CompletableFuture.completedFuture(AuthnResult.failed(early, true));
    }
    JwksSource source = registry.sourceFor(rule);
    return source.keys().thenCompose(keys -> {
      List<JWK> candidates = select(jwt.getHeader(), keys);
      if (candidates.isEmpty()) {
        return source.refreshForUnknownKey().thenApply(fresh -> verify(rule, found, jwt, claims, payload, select(jwt.getHeader(), fresh),
            cacheKey));
      }
      return CompletableFuture.completedFuture(verify(rule, found, jwt, claims, payload, candidates, cacheKey));
    }).exceptionally(err -> {
      Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
      if (cause instanceof JwksUnavailableException) {
        return AuthnResult.failed("Jwks remote fetch is failed", false);
      }
      throw err instanceof CompletionException ? (CompletionException) err : new CompletionException(err);
    });
  }

  private String checkClaims(JwtRule rule, JWTClaimsSet claims, long now) {
    // jwt_verify_lib's Jwt::verifyTimeConstraint on Envoy's clock in whole seconds (DateUtil::nowToSeconds): nbf first.
    Date nbf = claims.getNotBeforeTime();
    if (nbf != null && Math.floorDiv(now, 1000) + CLOCK_SKEW.toSeconds() < nbf.getTime() / 1000) {
      return "Jwt not yet valid";
    }
    if (expired(expiresAtMillis(claims), now)) {
      return "Jwt is expired";
    }
    if (!rule.audiences().isEmpty()) {
      List<String> aud = claims.getAudience();
      boolean ok = false;
      for (String a : aud) {
        if (rule.audiences().contains(sanitizeAudience(a))) {
          ok = true;
          break;
        }
      }
      if (!ok) {
        return AUDIENCE_NOT_ALLOWED;
      }
    }
    return null;
  }

  /** The token's exp in milliseconds, or Long.MAX_VALUE without one; jwt_verify_lib takes exp 0 as none ({@code exp_ &&}). */
  private static long expiresAtMillis(JWTClaimsSet claims) {
    Date exp = claims.getExpirationTime();
    return exp == null || exp.getTime() == 0 ? Long.MAX_VALUE : exp.getTime();
  }

  /** jwt_verify_lib: expired once now, in whole seconds, is past exp plus the 60 s skew. */
  private static boolean expired(long expiresAtMillis, long now) {
    return expiresAtMillis != Long.MAX_VALUE && Math.floorDiv(now, 1000) > expiresAtMillis / 1000 + CLOCK_SKEW.toSeconds();
  }

  /**
   * An audience as Envoy's jwt_authn compares it (CheckAudience): without an {@code http://} or
   * {@code https://} scheme and without one trailing '/'. Configured audiences are stored this way.
   */
  static String sanitizeAudience(String aud) {
    int begin = aud.startsWith("http://") ? 7 : aud.startsWith("https://") ? 8 : 0;
    int end = aud.endsWith("/") ? aud.length() - 1 : aud.length();
    return end <= begin ? "" : aud.substring(begin, end);
  }

  private static List<JWK> select(JWSHeader header, JWKSet keys) {
    return new JWKSelector(JWKMatcher.forJWSHeader(header)).select(keys);
  }

  private AuthnResult verify(JwtRule rule, FoundToken found, SignedJWT jwt, JWTClaimsSet claims, Map<String, Object> signedPayload,
      List<JWK> candidates, String cacheKey) {
    if (candidates.isEmpty()) {
      return AuthnResult.failed("Jwks doesn't have key to match kid or alg from Jwt", true);
    }
    for (JWK k : candidates) {
      try {
        JWSVerifier v;
        if (k instanceof OctetKeyPair) {
          v = Ed25519JwsVerifier.of((OctetKeyPair) k);
        } else {
          Key key = k instanceof RSAKey ? ((RSAKey) k).toRSAPublicKey()
              : k instanceof ECKey ? ((ECKey) k).toECPublicKey()
              : k instanceof OctetSequenceKey ? ((OctetSequenceKey) k).toSecretKey() : null;
          v = key == null ? null : verifiers.createJWSVerifier(jwt.getHeader(), key);
        }
        if (v == null) {
          continue;
        }
        if (jwt.verify(v)) {
          Map<String, Object> payload = claims.toJSONObject();
          // Claim headers read the payload as signed (as jwt_authn's Struct holds it): Nimbus's claims turn a one-element
          // aud list into a string and a fractional exp into whole seconds.
          Verified ok = new Verified(verifiedIdentity(splitSpaceDelimited(payload, rule.spaceDelimitedClaims())), signedPayload,
              expiresAtMillis(claims), jwt.getParsedParts()[1].toString());
          verified.put(cacheKey, ok);
          return success(rule, found, ok);
        }
      } catch (JOSEException | IllegalStateException e) {
        // A key that cannot verify this algorithm is just not the right key; try the next.
      }
    }
    return AuthnResult.failed("Jwt verification fails", true);
  }

  private static AuthnResult success(JwtRule rule, FoundToken found, Verified v) {
    Map<String, String> set = new LinkedHashMap<>();
    for (JwtRule.ClaimToHeader c : rule.outputClaimToHeaders()) {
      String value = claimText(v.signedPayload(), c.claim());
      if (value != null) {
        set.put(c.header(), value);
      }
    }
    if (rule.outputPayloadToHeader() != null) {
      set.put(rule.outputPayloadToHeader(), v.payloadSegment());
    }
    List<String> removeHeaders = List.of();
    List<String> removeParams = List.of();
    if (!rule.forwardOriginalToken()) {
      if (found.location().kind() == TokenLocation.Kind.HEADER) {
        removeHeaders = List.of(found.location().name());
      } else if (found.location().kind() == TokenLocation.Kind.PARAM) {
        removeParams = List.of(found.location().name());
      }
    }
    return new AuthnResult(true, v.identity(), null, v.expiresAtMillis(), set, removeHeaders, removeParams, true);
  }

  private AuthnResult fromEnvoyMetadata(Map<String, Object> payload, List<JwtRule> rules) {
    RequestIdentity id = identity(payload);
    if (!id.present()) {
      if (payload.isEmpty()) {
        return AuthnResult.ANONYMOUS;
      }
      // An issuer-less provider (Istio 1.27+) may have verified a token without iss: its claims still count.
      id = verifiedIdentity(payload);
    }
    for (JwtRule rule : rules) {
      if (rule.issuer() != null && rule.issuer().equals(id.issuer()) && !rule.spaceDelimitedClaims().isEmpty()) {
        // Envoy normalises these itself when configured alike; a payload it left as text is split here.
        id = identity(splitSpaceDelimited(payload, rule.spaceDelimitedClaims()));
        break;
      }
    }
    Map<String, String> set = new LinkedHashMap<>();
    for (JwtRule rule : rules) {
      if (rule.issuer() != null && rule.issuer().equals(id.issuer())) {
        for (JwtRule.ClaimToHeader c : rule.outputClaimToHeaders()) {
          String value = claimText(payload, c.claim());
          if (value != null) {
            set.put(c.header(), value);
          }
        }
      }
    }
    long exp = Long.MAX_VALUE;
    if (payload.get("exp") instanceof Number) {
      exp = ((Number) payload.get("exp")).longValue() * 1000;
    }
    return new AuthnResult(true, id, null, exp, set, List.of(), List.of(), true);
  }

  /**
   * The payload with each named top-level string claim turned into the list of its space-separated
   * parts, as Envoy's jwt_authn {@code normalize_payload_in_metadata.space_delimited_claims} does;
   * other values are left as they are.
   */
  static Map<String, Object> splitSpaceDelimited(Map<String, Object> claims, List<String> names) {
    Map<String, Object> out = null;
    for (String name : names) {
      if (claims.get(name) instanceof String text) {
        if (out == null) {
          out = new LinkedHashMap<>(claims);
        }
        List<String> parts = new ArrayList<>();
        for (String part : text.split(" ")) {
          if (!part.isEmpty()) {
            parts.add(part);
          }
        }
        out.put(name, List.copyOf(parts));
      }
    }
    return out == null ? claims : out;
  }

  private static RequestIdentity identity(Map<String, Object> claims) {
    Object iss = claims.get("iss");
    Object sub = claims.get("sub");
    if (!(iss instanceof String) || ((String) iss).isEmpty()) {
      return RequestIdentity.NONE;
    }
    return new RequestIdentity((String) iss, sub instanceof String ? (String) sub : null, claims);
  }

  /**
   * A token an issuer-less rule verified may have no {@code iss}: no request principal then (Istio's
   * principal matchers read iss), but its claims are there for {@code request.auth.claims[…]}.
   */
  private static RequestIdentity verifiedIdentity(Map<String, Object> claims) {
    RequestIdentity id = identity(claims);
    return id.present() ? id : new RequestIdentity(null, null, claims);
  }

  /** A claim by exact name, else by dotted path into nested objects; strings, numbers and booleans only. */
  static String claimText(Map<String, Object> claims, String claim) {
    // jwt_verify_lib's StructUtils::GetValue: always the nested path, split at every '.' with empty parts kept.
    Object v = claims;
    for (String part : claim.split("\\.", -1)) {
      v = v instanceof Map<?, ?> m ? m.get(part) : null;
    }
    if (v instanceof String text) {
      // authenticator.cc adds a header only for non-empty text.
      return text.isEmpty() ? null : text;
    }
    if (v instanceof Boolean) {
      return v.toString();
    }
    if (v instanceof Number n) {
      return ClaimHeaderText.number(n);
    }
    if (v instanceof Map || v instanceof List) {
      return ClaimHeaderText.json(v);
    }
    return null;
  }
}
