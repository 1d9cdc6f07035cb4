package io.switchyard.extauthz.policy;

import io.switchyard.extauthz.request.RequestIdentity;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The value matchers behind every AuthorizationPolicy field and condition key, written after Istio's
 * generator (pilot/pkg/security/authz): principals are compared to {@code spiffe://}+value, namespaces
 * and service accounts by pattern on the principal, request principals on {@code iss/sub}.
 */
final class Matchers {
  private static final String SPIFFE = "spiffe://";
  private static final Set<String> SPACE_DELIMITED = Set.of("scope", "permission");

  private Matchers() {}

  static Predicate<AuthzInput> principal(String v) {
    if (v.equals("*")) {
      return in -> in.request().sourcePrincipal() != null;
    }
    if (v.startsWith("*")) {
      String suffix = v.substring(1);
      return in -> {
        String p = in.request().sourcePrincipal();
        return p != null && p.startsWith(SPIFFE) && p.length() >= SPIFFE.length() + suffix.length() && p.endsWith(suffix);
      };
    }
    if (v.endsWith("*")) {
      String prefix = SPIFFE + v.substring(0, v.length() - 1);
      return in -> {
        String p = in.request().sourcePrincipal();
        return p != null && p.startsWith(prefix);
      };
    }
    String exact = SPIFFE + v;
    return in -> exact.equals(in.request().sourcePrincipal());
  }

  /**
   * {@code trustDomains} / {@code source.trustDomain} as Istio's srcTrustDomainGenerator (1.31) matches the
   * peer principal: {@code *} is prefix {@code spiffe://}; {@code td} is prefix {@code spiffe://td/};
   * {@code td*} is regex {@code spiffe://td[^/]*}{@code /.*} and {@code *td} regex {@code spiffe://[^/]*td/.*}.
   * So for a value without '/' the trust domain (from {@code spiffe://} to the next '/', which must be
   * there) is compared exactly, by prefix or by suffix. The regexes are evaluated here without one.
   */
  static Predicate<AuthzInput> trustDomain(String v) {
    if (v.equals("*")) {
      return in -> {
        String p = in.request().sourcePrincipal();
        return p != null && p.startsWith(SPIFFE);
      };
    }
    if (v.endsWith("*")) {
      String prefix = SPIFFE + v.substring(0, v.length() - 1);
      return in -> {
        String p = in.request().sourcePrincipal();
        return p != null && p.startsWith(prefix) && p.indexOf('/', prefix.length()) >= 0;
      };
    }
    if (v.startsWith("*")) {
      // "spiffe://" + X + suffix + "/" + anything, X without '/': the first '/' after spiffe:// is the
      // first '/' of suffix + "/", which fixes where suffix starts.
      String suffixSlash = v.substring(1) + "/";
      int firstSlash = suffixSlash.indexOf('/');
      return in -> {
        String p = in.request().sourcePrincipal();
        if (p == null || !p.startsWith(SPIFFE)) {
          return false;
        }
        int slash = p.indexOf('/', SPIFFE.length());
        int start = slash - firstSlash;
        return slash >= 0 && start >= SPIFFE.length() && p.startsWith(suffixSlash, start);
      };
    }
    String prefix = SPIFFE + v + "/";
    return in -> {
      String p = in.request().sourcePrincipal();
      return p != null && p.startsWith(prefix);
    };
  }

  static Predicate<AuthzInput> namespace(String v) {
    Pattern re = Pattern.compile(".*/ns/" + globToRegex(v) + "/.*");
    return in -> {
      String p = in.request().sourcePrincipal();
      return p != null && re.matcher(p).matches();
    };
  }

  static Predicate<AuthzInput> serviceAccount(String v, String policyNamespace) {
    int slash = v.indexOf('/');
    String ns = slash < 0 ? policyNamespace : v.substring(0, slash);
    String sa = slash < 0 ? v : v.substring(slash + 1);
    Pattern re = Pattern.compile("spiffe://.+/ns/" + Pattern.quote(ns) + "/(.+/|)sa/" + Pattern.quote(sa) + "(/.+)?");
    return in -> {
      String p = in.request().sourcePrincipal();
      return p != null && re.matcher(p).matches();
    };
  }

  /**
   * {@code requestPrincipals} / {@code request.auth.principal} as Istio (1.22+) generates them: the value
   * is split at its last '/' into an issuer and a subject part, matched separately against the token's
   * {@code iss} and {@code sub}. So {@code iss/*} is exactly that issuer with any subject, and
   * {@code *}/{@code prefix*}/{@code *suffix} apply to the part they are written in.
   */
  static Predicate<AuthzInput> requestPrincipal(String v) {
    int slash = v.lastIndexOf('/');
    boolean split = slash >= 0;
    String iss = split ? v.substring(0, slash) : v;
    String sub = split ? v.substring(slash + 1) : "";
    StringMatch any = StringMatch.nonEmpty();
    StringMatch mi;
    StringMatch ms;
    if (v.equals("*")) {
      mi = any;
      ms = any;
    } else if (v.startsWith("*")) {
      mi = !split ? any : iss.equals("*") ? any : StringMatch.suffix(iss.substring(1));
      ms = split ? StringMatch.exact(sub) : StringMatch.suffix(v.substring(1));
    } else if (v.endsWith("*")) {
      mi = split ? StringMatch.exact(iss) : StringMatch.prefix(v.substring(0, v.length() - 1));
      ms = !split ? any : sub.equals("*") ? any : StringMatch.prefix(sub.substring(0, sub.length() - 1));
    } else {
      mi = StringMatch.exact(iss);
      ms = StringMatch.exact(sub);
    }
    return in -> {
      RequestIdentity id = in.identity();
      return mi.matches(id.issuer()) && ms.matches(id.subject());
    };
  }

  static Predicate<AuthzInput> sourceIp(IpBlock b) {
    return in -> b.contains(in.request().sourceIpBytes());
  }

  static Predicate<AuthzInput> remoteIp(IpBlock b) {
    return in -> b.contains(in.request().remoteIpBytes());
  }

  static Predicate<AuthzInput> destinationIp(IpBlock b) {
    return in -> b.contains(in.request().destinationIpBytes());
  }

  static Predicate<AuthzInput> destinationPort(int port) {
    return in -> in.request().destinationPort() == port;
  }

  static Predicate<AuthzInput> host(String v) {
    StringMatch m = StringMatch.host(v);
    return in -> m.matches(in.request().host());
  }

  static Predicate<AuthzInput> method(String v) {
    StringMatch m = StringMatch.of(v, false);
    return in -> m.matches(in.request().method());
  }

  static Predicate<AuthzInput> path(PathMatch m) {
    return in -> m.matches(in.request().path());
  }

  static Predicate<AuthzInput> sni(String v) {
    StringMatch m = StringMatch.of(v, false);
    return in -> m.matches(in.request().sni());
  }

  /**
   * {@code experimental.envoy.filters.*} as Istio generates it: {@code [v]} matches a list value with a
   * string element matching v, {@code v} a string value matching v; any other type never matches. As Go's
   * {@code strings.Trim(value, "[]")} in Istio, every leading and trailing bracket goes: {@code [[v]]} is v.
   */
  static Predicate<AuthzInput> metadata(String filter, String key, String v) {
    if (v.length() >= 2 && v.startsWith("[") && v.endsWith("]")) {
      int from = 0;
      int to = v.length();
      while (from < to && (v.charAt(from) == '[' || v.charAt(from) == ']')) {
        from++;
      }
      while (to > from && (v.charAt(to - 1) == '[' || v.charAt(to - 1) == ']')) {
        to--;
      }
      StringMatch m = StringMatch.of(v.substring(from, to), false);
      return in -> {
        Object value = in.request().filterMetadata(filter, key);
        if (value instanceof Collection) {
          for (Object e : (Collection<?>) value) {
            if (e instanceof String && m.matches((String) e)) {
              return true;
            }
          }
        }
        return false;
      };
    }
    StringMatch m = StringMatch.of(v, false);
    return in -> {
      Object value = in.request().filterMetadata(filter, key);
      return value instanceof String && m.matches((String) value);
    };
  }

  static Predicate<AuthzInput> header(String lowerName, String v) {
    StringMatch m = StringMatch.header(v);
    return in -> m.matches(in.request().header(lowerName));
  }

  static Predicate<AuthzInput> audience(String v) {
    StringMatch m = StringMatch.of(v, false);
    return in -> anyString(in.identity().claims().get("aud"), false, m);
  }

  static Predicate<AuthzInput> presenter(String v) {
    StringMatch m = StringMatch.of(v, false);
    return in -> anyString(in.identity().claims().get("azp"), false, m);
  }

  /** {@code request.auth.claims[a][b]}: any string of the claim (or list element) matches. */
  static Predicate<AuthzInput> claim(List<String> path, String v) {
    StringMatch m = StringMatch.of(v, false);
    boolean split = path.size() == 1 && SPACE_DELIMITED.contains(path.get(0));
    return in -> {
      Object cur = in.identity().claims();
      for (String k : path) {
        if (!(cur instanceof Map)) {
          return false;
        }
        cur = ((Map<?, ?>) cur).get(k);
      }
      return anyString(cur, split, m);
    };
  }

  private static boolean anyString(Object value, boolean splitSpaces, StringMatch m) {
    if (value instanceof String) {
      String s = (String) value;
      if (splitSpaces) {
        for (String part : s.split(" ")) {
          if (!part.isEmpty() && m.matches(part)) {
            return true;
          }
        }
        return false;
      }
      return m.matches(s);
    }
    if (value instanceof Collection) {
      for (Object e : (Collection<?>) value) {
        if (e instanceof String && m.matches((String) e)) {
          return true;
        }
      }
    }
    return false;
  }

  private static String globToRegex(String v) {
    List<String> parts = new ArrayList<>();
    for (String p : v.split("\\*", -1)) {
      parts.add(p.isEmpty() ? "" : Pattern.quote(p));
    }
    return String.join(".*", parts);
  }
}
