package io.switchyard.extauthz.authn;

import io.switchyard.extauthz.request.RequestAttributes;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/** Where a token is read from: a header (with an optional prefix), a query parameter or a cookie. */
public record TokenLocation(Kind kind, String name, String prefix) {
  public enum Kind { HEADER, PARAM, COOKIE }

  public static final TokenLocation AUTHORIZATION_BEARER = new TokenLocation(Kind.HEADER, "authorization", "Bearer ");
  public static final TokenLocation ACCESS_TOKEN_PARAM = new TokenLocation(Kind.PARAM, "access_token", "");

  /**
   * By the kind's ordinal: a token's location is part of every decision cache key, and the record's own hash
   * went through the enum's identity hash on each lookup.
   */
  @Override
  public int hashCode() {
    return (kind.ordinal() * 31 + java.util.Objects.hashCode(name)) * 31 + java.util.Objects.hashCode(prefix);
  }

  /** RFC 4648 base64url alphabet plus '.', what Envoy's extractor starts a token at. */
  private static boolean isTokenChar(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  }

  /** The token at this location, or null. A header without the prefix holds no token for this rule. */
  public String extract(RequestAttributes r) {
    switch (kind) {
      case HEADER: {
        String v = r.header(name);
        if (v == null) {
          return null;
        }
        v = v.trim();
        if (!prefix.isEmpty()) {
          // As Envoy's jwt_authn extractor (which Istio configures with this prefix): the prefix exactly,
          // case included, anywhere in the value; the token is the run of base64url characters and '.' that
          // starts at the first such character after it, or the whole value when there is none (then it
          // fails as a malformed token).
          int at = v.indexOf(prefix);
          if (at < 0) {
            return null;
          }
          int start = at + prefix.length();
          while (start < v.length() && !isTokenChar(v.charAt(start))) {
            start++;
          }
          if (start < v.length()) {
            int end = start;
            while (end < v.length() && isTokenChar(v.charAt(end))) {
              end++;
            }
            v = v.substring(start, end);
          }
        }
        return v.isEmpty() ? null : v;
      }
      case PARAM: {
        String q = r.query();
        if (q == null) {
          return null;
        }
        for (String pair : q.split("&")) {
          int eq = pair.indexOf('=');
          if (eq > 0 && pair.substring(0, eq).equals(name)) {
            try {
              String v = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
              return v.isEmpty() ? null : v;
            } catch (IllegalArgumentException e) {
              return null;
            }
          }
        }
        return null;
      }
      default: {
        String c = r.header("cookie");
        if (c == null) {
          return null;
        }
        for (String pair : c.split(";")) {
          String t = pair.trim();
          int eq = t.indexOf('=');
          if (eq > 0 && t.substring(0, eq).equals(name)) {
            String v = t.substring(eq + 1);
            return v.isEmpty() ? null : v;
          }
        }
        return null;
      }
    }
  }
}
