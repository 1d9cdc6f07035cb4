package io.switchyard.extauthz.authn;

import com.nimbusds.jose.jwk.JWKSet;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * One {@code jwtRules} entry of a RequestAuthentication. Exactly one key source applies: inline
 * {@code jwks}, else {@code jwksUri}, else OIDC discovery from the issuer. A null {@code issuer} (only
 * with a {@code jwksUri}) accepts tokens of any issuer, or none, that its keys verify. {@code spaceDelimitedClaims}
 * names top-level claims that, besides {@code scope} and {@code permission}, are split on spaces into
 * lists before policies see them (Envoy's jwt_authn {@code normalize_payload_in_metadata}, as Istio configures it).
 * Header names ({@code outputPayloadToHeader}, null for none, and {@code outputClaimToHeaders}) are lower-case as Envoy
 * writes them, A-Z folded only.
 */
public record JwtRule(String issuer, List<String> audiences, URI jwksUri, JWKSet inlineJwks, List<TokenLocation> locations,
    String outputPayloadToHeader, List<ClaimToHeader> outputClaimToHeaders, boolean forwardOriginalToken, Duration timeout,
    List<String> spaceDelimitedClaims, String origin, String verifiedCacheScope) {

  public JwtRule {
    audiences = List.copyOf(audiences);
    locations = List.copyOf(locations);
    outputClaimToHeaders = List.copyOf(outputClaimToHeaders);
    spaceDelimitedClaims = List.copyOf(spaceDelimitedClaims);
  }

  public JwtRule(String issuer, List<String> audiences, URI jwksUri, JWKSet inlineJwks, List<TokenLocation> locations,
      String outputPayloadToHeader, List<ClaimToHeader> outputClaimToHeaders, boolean forwardOriginalToken, Duration timeout,
      List<String> spaceDelimitedClaims, String origin) {
    this(issuer, audiences, jwksUri, inlineJwks, locations, outputPayloadToHeader, outputClaimToHeaders, forwardOriginalToken, timeout,
        spaceDelimitedClaims, origin, verifiedCacheScope(issuer, audiences, jwksUri, inlineJwks, spaceDelimitedClaims));
  }

  /**
   * Everything a verified token was checked against, so that a token verified under one rule is reused
   * only under rules that would accept it too: issuer, audiences, claim normalisation and where the keys
   * come from. Two RequestAuthentications may give one issuer different keys (each workload's Envoy checks
   * against its own); an inline key set counts by the digest of all of it, symmetric keys included.
   */
  private static String verifiedCacheScope(String issuer, List<String> audiences, URI jwksUri, JWKSet inlineJwks,
      List<String> spaceDelimitedClaims) {
    String keys = inlineJwks != null ? "jwks:" + TokenHash.sha256(inlineJwks.toString(false))
        : jwksUri != null ? "uri:" + jwksUri : "oidc";
    return "|" + (issuer == null ? "any" : "iss:" + issuer) + "|" + audiences + "|" + spaceDelimitedClaims + "|" + keys;
  }

  /** Whether this rule reads a token whose {@code iss} claim is {@code iss} (null when the token has none). */
  public boolean acceptsIssuer(String iss) {
    return issuer == null || issuer.equals(iss);
  }

  /** {@code outputClaimToHeaders} entry: copy {@code claim} (dots reach nested claims) into {@code header}. */
  public record ClaimToHeader(String header, String claim) {}
}
