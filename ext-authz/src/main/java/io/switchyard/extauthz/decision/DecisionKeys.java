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
 * applies or Envoy passed verified claims — the tokens (by hash) or claims. Values are
 * length-prefixed so that no two different projections share a text.
 */
final class DecisionKeys {
  private DecisionKeys() {}

  static String key(String revision, RequestAttributes r, WorkloadPolicies wp, List<Authenticator.FoundToken> tokens) {
    StringBuilder b = new StringBuilder(128);
    b.append(revision).append('#');
    put(b, wp.workloadKey());
    b.append(r.http() ? 'h' : 't');
    for (AttributeRef ref : wp.attributes()) {
      switch (ref.kind()) {
        case SOURCE_PRINCIPAL:
          put(b, r.sourcePrincipal());
          break;
        case SOURCE_IP:
          put(b, r.sourceIp());
          break;
        case REMOTE_IP:
          put(b, r.remoteIp());
          break;
        case DESTINATION_IP:
          put(b, r.destinationIp());
          break;
        case DESTINATION_PORT:
          b.append(r.destinationPort()).append(';');
          break;
        case SNI:
          put(b, r.sni());
          break;
        case METHOD:
          put(b, r.method());
          break;
        case HOST:
          put(b, r.host());
          break;
        case PATH:
          put(b, r.path());
          break;
        case HEADER:
          put(b, r.header(ref.name()));
          break;
        case METADATA: {
          int open = ref.name().indexOf('[');
          put(b, canonical(r.filterMetadata(ref.name().substring(0, open), ref.name().substring(open + 1, ref.name().length() - 1))));
          break;
        }
        case IDENTITY:
          // Identity comes only from the tokens or the jwt_authn claims, both keyed below.
          b.append('i');
          break;
        default:
          throw new IllegalStateException("attribute kind without projection: " + ref.kind());
      }
    }
    if (!wp.tokenLocations().isEmpty()) {
      b.append("|tok");
      for (Authenticator.FoundToken t : tokens) {
        b.append((char) ('0' + t.location().kind().ordinal()));
        put(b, t.location().name());
        put(b, t.location().prefix());
        TokenHash.appendSha256(b, t.token());
      }
    }
    if (r.jwtAuthnPayload() != null) {
      b.append("|meta");
      put(b, canonical(r.jwtAuthnPayload()));
    }
    return b.toString();
  }

  private static void put(StringBuilder b, String v) {
    if (v == null) {
      b.append('-');
    } else {
      b.append(v.length()).append(':').append(v);
    }
    b.append(';');
  }

  private static String canonical(Object o) {
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
