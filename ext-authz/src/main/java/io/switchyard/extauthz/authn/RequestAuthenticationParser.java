package io.switchyard.extauthz.authn;

import com.nimbusds.jose.jwk.JWKSet;
import io.switchyard.extauthz.policy.AuthorizationPolicyParser;
import io.switchyard.extauthz.policy.Resources;
import io.switchyard.extauthz.policy.Scope;
import io.switchyard.extauthz.request.RequestAttributes;
import io.switchyard.extauthz.yaml.Doc;
import io.switchyard.serverkit.config.ConfigException;
import java.net.URI;
import java.net.URISyntaxException;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses and validates {@code kind: RequestAuthentication} documents. */
public final class RequestAuthenticationParser {
  private static final Set<String> SPEC_KEYS = Set.of("selector", "targetRef", "targetRefs", "jwtRules");
  /** Istio's validStrictHeaderNameRegex (pkg/config/validation/validation.go). */
  private static final Pattern STRICT_HEADER_NAME = Pattern.compile("[-_A-Za-z0-9]+");
  private static final Set<String> RULE_KEYS = Set.of("issuer", "audiences", "jwksUri", "jwks", "fromHeaders", "fromParams", "fromCookies",
      "outputPayloadToHeader", "outputClaimToHeaders", "forwardOriginalToken", "timeout", "spaceDelimitedClaims");
  private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m)");
  private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

  private RequestAuthenticationParser() {}

  public static RequestAuthentication parse(Doc doc, Resources.Header h) throws ConfigException {
    if (h.annotations().containsKey(AuthorizationPolicyParser.DRY_RUN_ANNOTATION)) {
      // Istio's checkDryRunAnnotation: only an AuthorizationPolicy may carry it.
      throw doc.error("/metadata/annotations/" + Doc.escape(AuthorizationPolicyParser.DRY_RUN_ANNOTATION),
          AuthorizationPolicyParser.DRY_RUN_ANNOTATION + " is only supported on an AuthorizationPolicy");
    }
    doc.onlyKeys("/spec", "RequestAuthentication spec", SPEC_KEYS);
    Scope scope = Resources.scope(doc, h.namespace());
    int n = doc.listSize("/spec/jwtRules", "jwtRules");
    List<JwtRule> rules = new ArrayList<>();
    // One issuer may have several jwtRules (other locations, audiences or keys), as Istio's validation allows.
    for (int i = 0; i < n; i++) {
      rules.add(rule(doc, "/spec/jwtRules/" + i));
    }
    return new RequestAuthentication(h.name(), h.namespace(), scope, rules, doc.file() + ":" + h.line(), creationTimestamp(doc));
  }

  /** {@code metadata.creationTimestamp} as kubectl prints it (RFC 3339), or null when absent. */
  private static Instant creationTimestamp(Doc doc) throws ConfigException {
    String text = doc.string("/metadata/creationTimestamp", "metadata.creationTimestamp", false);
    if (text == null) {
      return null;
    }
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      throw doc.error("/metadata/creationTimestamp", "metadata.creationTimestamp '" + text + "' is not an RFC 3339 time (e.g. 2024-01-02T03:04:05Z)");
    }
  }

  private static JwtRule rule(Doc doc, String p) throws ConfigException {
    doc.onlyKeys(p, "jwtRule", RULE_KEYS);
    // Istio 1.27+ (validateJwtRule) leaves the issuer out, or empty, when jwksUri is set: jwt_authn then
    // checks no iss, and the rule accepts any issuer its keys verify. Kept as null.
    String issuer = doc.string(p + "/issuer", "issuer", false);
    if (issuer != null && issuer.isEmpty()) {
      issuer = null;
    }
    String uriText = doc.string(p + "/jwksUri", "jwksUri", false);
    if (issuer == null && (uriText == null || uriText.isEmpty())) {
      throw doc.error(doc.has(p + "/issuer") ? p + "/issuer" : p, "issuer or jwksUri must be set (a rule without issuer takes its keys from jwksUri)");
    }
    // Kept as Envoy's jwt_authn compares them (scheme and trailing '/' dropped), so a check only sanitises the token's.
    List<String> audiences = new ArrayList<>();
    for (String a : doc.strings(p + "/audiences", "audiences")) {
      audiences.add(Authenticator.sanitizeAudience(a));
    }
    URI jwksUri = null;
    if (uriText != null) {
      jwksUri = httpUri(doc, p + "/jwksUri", uriText, "jwksUri");
    }
    JWKSet inline = null;
    String jwksText = doc.string(p + "/jwks", "jwks", false);
    if (jwksText != null) {
      try {
        inline = JWKSet.parse(jwksText);
      } catch (ParseException e) {
        throw doc.error(p + "/jwks", "jwks is not a valid JSON Web Key Set: " + e.getMessage());
      }
      if (inline.getKeys().isEmpty()) {
        throw doc.error(p + "/jwks", "jwks has no keys");
      }
    }
    if (jwksUri == null && inline == null) {
      httpUri(doc, p + "/issuer", issuer, "issuer (used for OIDC discovery when neither jwks nor jwksUri is set)");
    }
    List<TokenLocation> locations = new ArrayList<>();
    int nh = doc.listSize(p + "/fromHeaders", "fromHeaders");
    for (int i = 0; i < nh; i++) {
      String hp = p + "/fromHeaders/" + i;
      doc.onlyKeys(hp, "fromHeaders entry", Set.of("name", "prefix"));
      String name = doc.string(hp + "/name", "fromHeaders.name", true);
      String prefix = doc.string(hp + "/prefix", "fromHeaders.prefix", false);
      String lower = asciiLower(name);
      // Envoy's jwt_authn reads the request header map, where "host" finds the :authority entry (HTTP/1.1's Host is
      // stored there): read what request.headers[host] reads.
      locations.add(new TokenLocation(TokenLocation.Kind.HEADER, lower.equals("host") ? RequestAttributes.AUTHORITY : lower,
          prefix == null ? "" : prefix));
    }
    for (String param : doc.strings(p + "/fromParams", "fromParams")) {
      locations.add(new TokenLocation(TokenLocation.Kind.PARAM, param, ""));
    }
    for (String cookie : doc.strings(p + "/fromCookies", "fromCookies")) {
      locations.add(new TokenLocation(TokenLocation.Kind.COOKIE, cookie, ""));
    }
    if (locations.isEmpty()) {
      locations.add(TokenLocation.AUTHORIZATION_BEARER);
      locations.add(TokenLocation.ACCESS_TOKEN_PARAM);
    }
    // jwt_authn's forward_payload_header: Istio passes it on unchecked, and Envoy's config validation (HTTP_HEADER_NAME,
    // strict: false) refuses only NUL, CR and LF; an empty one forwards nothing. Envoy writes it lower-cased, A-Z only.
    String payloadHeader = doc.string(p + "/outputPayloadToHeader", "outputPayloadToHeader", false);
    if (payloadHeader != null && (payloadHeader.indexOf('\0') >= 0 || payloadHeader.indexOf('\r') >= 0 || payloadHeader.indexOf('\n') >= 0)) {
      throw doc.error(p + "/outputPayloadToHeader", "outputPayloadToHeader must not contain NUL, CR or LF (Envoy refuses such a header name)");
    }
    payloadHeader = payloadHeader == null || payloadHeader.isEmpty() ? null : asciiLower(payloadHeader);
    List<JwtRule.ClaimToHeader> claimHeaders = new ArrayList<>();
    int nc = doc.listSize(p + "/outputClaimToHeaders", "outputClaimToHeaders");
    for (int i = 0; i < nc; i++) {
      String cp = p + "/outputClaimToHeaders/" + i;
      doc.onlyKeys(cp, "outputClaimToHeaders entry", Set.of("header", "claim"));
      String header = doc.string(cp + "/header", "outputClaimToHeaders.header", true);
      String claim = doc.string(cp + "/claim", "outputClaimToHeaders.claim", true);
      // Istio's ValidateStrictHTTPHeaderName, stricter than HTTP's token: '.', '!', '|', … are refused too.
      if (!STRICT_HEADER_NAME.matcher(header).matches()) {
        throw doc.error(cp + "/header", "'" + header + "' is not a valid header name (Istio allows only A-Z a-z 0-9 - _)");
      }
      claimHeaders.add(new JwtRule.ClaimToHeader(asciiLower(header), claim));
    }
    boolean forward = doc.bool(p + "/forwardOriginalToken", "forwardOriginalToken", false);
    Duration timeout = DEFAULT_TIMEOUT;
    String t = doc.string(p + "/timeout", "timeout", false);
    if (t != null) {
      Matcher m = DURATION.matcher(t);
      if (!m.matches()) {
        throw doc.error(p + "/timeout", "timeout '" + t + "' is not a duration like 5s or 500ms");
      }
      double v = Double.parseDouble(m.group(1));
      long ms = (long) (m.group(2).equals("ms") ? v : m.group(2).equals("s") ? v * 1000 : v * 60_000);
      if (ms <= 0) {
        throw doc.error(p + "/timeout", "timeout must be positive");
      }
      timeout = Duration.ofMillis(ms);
    }
    List<String> spaceDelimited = doc.strings(p + "/spaceDelimitedClaims", "spaceDelimitedClaims");
    for (int i = 0; i < spaceDelimited.size(); i++) {
      if (spaceDelimited.get(i).isEmpty()) {
        throw doc.error(p + "/spaceDelimitedClaims/" + i, "spaceDelimitedClaims entries must be claim names, not empty");
      }
    }
    return new JwtRule(issuer, audiences, jwksUri, inline, locations, payloadHeader, claimHeaders, forward, timeout,
        spaceDelimited, doc.file() + ":" + doc.lineOf(p));
  }

  private static URI httpUri(Doc doc, String p, String text, String what) throws ConfigException {
    try {
      URI u = new URI(text);
      if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
        throw new URISyntaxException(text, "not an http(s) URL");
      }
      return u;
    } catch (URISyntaxException e) {
      throw doc.error(p, what + " '" + text + "' is not an http(s) URL");
    }
  }

  /**
   * Envoy's Http::LowerCaseString (absl::AsciiStrToLower) folds A-Z only; Java's toLowerCase would also turn the
   * Kelvin sign U+212A into 'k' and so find a header Envoy never looks up.
   */
  private static String asciiLower(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      b.append(c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c);
    }
    return b.toString();
  }
}
