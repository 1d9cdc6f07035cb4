package io.switchyard.extauthz.decision;

import io.switchyard.extauthz.authn.Authenticator;
import io.switchyard.extauthz.authn.TokenHash;
import io.switchyard.extauthz.config.WorkloadPolicies;
import io.switchyard.extauthz.policy.AttributeRef;
import io.switchyard.extauthz.request.RequestAttributes;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The canonical projection of a request onto what its decision can depend on: revision, workload,
 * protocol, the attributes the applicable policies read, and — whenever a RequestAuthentication
 * applies or Envoy passed verified claims — the tokens (by hash) or claims.
 *
 * <p>{@code parts} holds, in this order: one entry per attribute ref of the workload's policies (a
 * String or null; the port as an Integer; Envoy metadata as its canonical text; null for identity,
 * which is keyed through the tokens or claims), then a (location, digest) pair per token found, then
 * the canonical text of jwt_authn's claims when Envoy passed them. Under one revision and workload
 * the refs are fixed, so a position always means the same attribute, and the pieces' types and the
 * array's length (odd only with claims) keep any two different projections apart.
 */
final class DecisionKeys {
  private DecisionKeys() {}

  static DecisionKey key(String revision, RequestAttributes r, WorkloadPolicies wp, List<Authenticator.FoundToken> tokens) {
    List<AttributeRef> refs = wp.attributes();
    int n = refs.size();
    Map<String, Object> claims = r.jwtAuthnPayload();
    Object[] parts = new Object[n + 2 * tokens.size() + (claims == null ? 0 : 1)];
    for (int i = 0; i < n; i++) {
      parts[i] = part(refs.get(i), r);
    }
    int i = n;
    for (Authenticator.FoundToken t : tokens) {
      parts[i++] = t.location();
      parts[i++] = TokenHash.sha256Chars(t.token());
    }
    if (claims != null) {
      parts[i] = canonical(claims);
    }
    return new DecisionKey(revision, wp.workloadKey(), r.http(), parts);
  }

  private static Object part(AttributeRef ref, RequestAttributes r) {
    switch (ref.kind()) {
      case SOURCE_PRINCIPAL:
        return r.sourcePrincipal();
      case SOURCE_IP:
        return r.sourceIp();
      case REMOTE_IP:
        return r.remoteIp();
      case DESTINATION_IP:
        return r.destinationIp();
      case DESTINATION_PORT:
        return r.destinationPort();
      case SNI:
        return r.sni();
      case METHOD:
        return r.method();
      case HOST:
        return r.host();
      case PATH:
        return r.path();
      case HEADER:
        return r.header(ref.name());
      case METADATA: {
        int open = ref.name().indexOf('[');
        return canonical(r.filterMetadata(ref.name().substring(0, open), ref.name().substring(open + 1, ref.name().length() - 1)));
      }
      case IDENTITY:
        // Identity comes only from the tokens or the jwt_authn claims, both keyed after the refs.
        return null;
      default:
        throw new IllegalStateException("attribute kind without projection: " + ref.kind());
    }
  }

  static void put(StringBuilder b, String v) {
    if (v == null) {
      b.append('-');
    } else {
      b.append(v.length()).append(':').append(v);
    }
    b.append(';');
  }

  /** Map entries sorted by key, every value tagged with its type and length-prefixed: equal text, equal value. */
  static String canonical(Object o) {
    if (o instanceof Map) {
      StringBuilder b = new StringBuilder("{");
      for (Map.Entry<?, ?> e : new TreeMap<>((Map<?, ?>) o).entrySet()) {
        put(b, String.valueOf(e.getKey()));
        b.append(canonical(e.getValue())).append(',');
      }
      return b.append('}').toString();
    }
    if (o instanceof List) {
      StringBuilder b = new StringBuilder("[");
      for (Object e : (List<?>) o) {
        b.append(canonical(e)).append(',');
      }
      return b.append(']').toString();
    }
    String s = o == null ? "null" : o.getClass().getSimpleName() + ":" + o;
    return s.length() + ":" + s;
  }
}
