package io.switchyard.extauthz.authn;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.Base64;
import java.util.Map;
import java.util.Set;

/**
 * The 401 reason Envoy gives a token it cannot parse: the first step of its {@code Jwt::parseFromString}
 * (source/common/jwt/jwt.cc, formerly jwt_verify_lib) that refuses it, with that step's status text. Nimbus, which
 * ext-authz verifies with, is laxer in places (it skips characters outside Base64url, takes any {@code alg} name) and
 * says nothing Envoy would, so its failures are only a signal to ask here.
 */
final class JwtFormat {
  static final String BAD_FORMAT = "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections";
  // Envoy's isImplemented(): every other alg, "none" included, is refused before the payload is read.
  private static final Set<String> IMPLEMENTED = Set.of("ES256", "ES384", "ES512", "HS256", "HS384", "HS512", "RS256",
      "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA");

  private JwtFormat() {}

  /**
   * Whether Envoy would parse a token Nimbus parsed with this alg: the alg is one Envoy implements and every section
   * is Base64url Envoy decodes. Cheap (one scan), for every token; only a token it refuses goes through {@link #reason}.
   */
  static boolean parsesAsInEnvoy(String token, String alg) {
    if (!IMPLEMENTED.contains(alg)) {
      return false;
    }
    int start = 0;
    for (int i = 0; i <= token.length(); i++) {
      if (i == token.length() || token.charAt(i) == '.') {
        if (!base64Url(token, start, i)) {
          return false;
        }
        start = i + 1;
      }
    }
    return true;
  }

  /** Envoy's reason for refusing the token, in its order; null when it would parse it. */
  static String reason(String token) {
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty() || parts[2].isEmpty()) {
      return BAD_FORMAT;
    }
    Map<String, Object> header = json(parts[0]);
    if (header == null) {
      return base64Url(parts[0], 0, parts[0].length()) ? "Jwt header is an invalid JSON"
          : "Jwt header is an invalid Base64url encoded";
    }
    if (!(header.get("alg") instanceof String alg)) {
      return "Jwt header [alg] field is required and must be a string";
    }
    if (!IMPLEMENTED.contains(alg)) {
      return "Jwt header [alg] is not supported";
    }
    if (header.containsKey("kid") && !(header.get("kid") instanceof String)) {
      return "Jwt header [kid] field is not a string";
    }
    Map<String, Object> payload = json(parts[1]);
    if (payload == null) {
      return base64Url(parts[1], 0, parts[1].length()) ? "Jwt payload is an invalid JSON"
          : "Jwt payload is an invalid Base64url encoded";
    }
    String mistyped = Authenticator.payloadTypeError(payload);
    if (mistyped != null) {
      return mistyped;
    }
    if (!base64Url(parts[2], 0, parts[2].length())) {
      return "Jwt signature is an invalid Base64url encoded";
    }
    return null;
  }

  /** A section's JSON object, or null when it is not Base64url or not a JSON object (as protobuf's Struct parse). */
  private static Map<String, Object> json(String section) {
    if (!base64Url(section, 0, section.length())) {
      return null;
    }
    try {
      return JSONObjectUtils.parse(new String(Base64.getUrlDecoder().decode(section), StandardCharsets.UTF_8));
    } catch (ParseException | IllegalArgumentException e) {
      return null;
    }
  }

  /** absl::WebSafeBase64Unescape's input: the URL-safe alphabet, optional '=' padding, no length of 4n+1. */
  private static boolean base64Url(String s, int from, int to) {
    int end = to;
    while (end > from && s.charAt(end - 1) == '=') {
      end--;
    }
    if (to - end > 2 || (end - from) % 4 == 1 || (end < to && (to - from) % 4 != 0)) {
      return false;
    }
    for (int i = from; i < end; i++) {
      char c = s.charAt(i);
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
        return false;
      }
    }
    return true;
  }
}
