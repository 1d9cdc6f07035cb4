package io.switchyard.extauthz.decision;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.extauthz.authn.Authenticator;
import io.switchyard.extauthz.authn.TokenHash;
import io.switchyard.extauthz.authn.TokenLocation;
import io.switchyard.extauthz.config.WorkloadPolicies;
import io.switchyard.extauthz.policy.AttributeRef;
import io.switchyard.extauthz.policy.AttributeRef.Kind;
import io.switchyard.extauthz.request.RequestAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The pieced key against the length-prefixed text key it replaced: on many random projections, two
 * keys are equal exactly when their texts are, so no two requests that differ in a depended-on
 * attribute share an entry, and requests that differ only elsewhere still do.
 */
class DecisionKeysTest {
  static final TokenLocation X_TOKEN = new TokenLocation(TokenLocation.Kind.HEADER, "x-token", "");
  static final List<WorkloadPolicies> WORKLOADS = List.of(
      wp("ns=a;w=one", List.of(ref(Kind.HEADER, "x-a"), ref(Kind.SOURCE_IP, ""), ref(Kind.DESTINATION_PORT, "")), List.of()),
      wp("ns=a;w=two", List.of(ref(Kind.PATH, ""), ref(Kind.METHOD, ""), ref(Kind.HOST, ""), ref(Kind.SNI, ""),
          ref(Kind.SOURCE_PRINCIPAL, ""), ref(Kind.REMOTE_IP, ""), ref(Kind.DESTINATION_IP, ""),
          ref(Kind.METADATA, "envoy.filters.http.lua[role]")), List.of(TokenLocation.AUTHORIZATION_BEARER, X_TOKEN)),
      wp("ns=b;w=one", List.of(ref(Kind.IDENTITY, ""), ref(Kind.HEADER, "x-b"), ref(Kind.HEADER, "x-a")),
          List.of(TokenLocation.ACCESS_TOKEN_PARAM, TokenLocation.AUTHORIZATION_BEARER)),
      wp("ns=b;w=two", List.of(), List.of()));
  // Values that were dangerous for a joined text: separators, length-looking prefixes, the null marker.
  static final String[] VALUES = {null, "", "a", "b", "1:a;", "-", "a;b", "é", "0", "-1", "null"};
  static final String[] AUTHORIZATIONS = {null, "Bearer t1", "Bearer t2", "bearer t1", "t1", "Bearer 1:a;"};
  static final String[] PATHS = {"/", "/a", "/a/../b", "/b", "/a?access_token=t1", "/a?access_token=t2", "/a?x=1"};
  static final Object[] META = {null, "admin", "1", 1L, 1.5, true, List.of("a"), List.of("a", "b"), Map.of("k", "v"), Map.of("k", 1L)};
  static final Object[] CLAIMS = {null, Map.of("sub", "u1"), Map.of("sub", "u2"), Map.of("sub", 1L), Map.of("sub", "u1", "aud", List.of("x"))};

  record Projection(String revision, WorkloadPolicies wp, RequestAttributes r, List<Authenticator.FoundToken> tokens) {
    DecisionKey key() {
      return DecisionKeys.key(revision, r, wp, tokens);
    }

    String text() {
      return textKey(revision, r, wp, tokens);
    }
  }

  @Test
  void piecedKeysAreEqualExactlyWhenTheLengthPrefixedTextsAre() {
    Random rnd = new Random(4242);
    List<Projection> all = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      all.add(random(rnd));
    }
    List<DecisionKey> keys = all.stream().map(Projection::key).toList();
    List<String> texts = all.stream().map(Projection::text).toList();
    int equal = 0;
    int different = 0;
    for (int a = 0; a < all.size(); a++) {
      for (int b = 0; b < all.size(); b++) {
        boolean same = texts.get(a).equals(texts.get(b));
        if (keys.get(a).equals(keys.get(b)) != same) {
          assertThat(keys.get(a).equals(keys.get(b))).as("%s vs %s", all.get(a), all.get(b)).isEqualTo(same);
        }
        if (same) {
          assertThat(keys.get(a).hashCode()).isEqualTo(keys.get(b).hashCode());
          equal++;
        } else {
          different++;
        }
      }
    }
    // Both outcomes must be common, or the comparison proves little.
    assertThat(equal).isGreaterThan(all.size() * 3);
    assertThat(different).isGreaterThan(all.size() * all.size() / 2);
  }

  @Test
  void aKeyIsEqualToTheSameProjectionBuiltAgainFromFreshStrings() {
    WorkloadPolicies wp = WORKLOADS.get(2);
    RequestAttributes a = RequestAttributes.builder().path(new String("/a?access_token=t1")).header("x-a", new String("v"))
        .header("authorization", new String("Bearer t1")).build();
    RequestAttributes b = RequestAttributes.builder().path("/a?access_token=t1").header("x-a", "v").header("authorization", "Bearer t1").build();
    DecisionKey ka = DecisionKeys.key("r1", a, wp, Authenticator.findTokens(a, wp.tokenLocations()));
    DecisionKey kb = DecisionKeys.key(new String("r1"), b, wp, Authenticator.findTokens(b, wp.tokenLocations()));
    assertThat(ka).isEqualTo(kb).hasSameHashCodeAs(kb);
    assertThat(ka).isNotEqualTo(DecisionKeys.key("r2", b, wp, Authenticator.findTokens(b, wp.tokenLocations())));
  }

  static Projection random(Random rnd) {
    WorkloadPolicies wp = WORKLOADS.get(rnd.nextInt(WORKLOADS.size()));
    RequestAttributes.Builder b = RequestAttributes.builder().http(rnd.nextInt(8) != 0)
        .sourcePrincipal(pick(rnd, VALUES)).sourceIp(pick(rnd, VALUES)).destinationIp(pick(rnd, VALUES))
        .destinationPort(new int[] {-1, 0, 80, 8080}[rnd.nextInt(4)]).sni(pick(rnd, VALUES)).method(pick(rnd, VALUES))
        .host(pick(rnd, VALUES)).path(pick(rnd, PATHS));
    if (rnd.nextBoolean()) {
      b.remoteIp(pick(rnd, VALUES));
    }
    for (String h : new String[] {"x-a", "x-b", "x-token"}) {
      String v = pick(rnd, VALUES);
      if (v != null) {
        b.header(h, v);
      }
    }
    String authorization = pick(rnd, AUTHORIZATIONS);
    if (authorization != null) {
      b.header("authorization", authorization);
    }
    Object role = META[rnd.nextInt(META.length)];
    if (role != null) {
      b.filterMetadata("envoy.filters.http.lua", Map.of("role", role));
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> claims = (Map<String, Object>) CLAIMS[rnd.nextInt(CLAIMS.length)];
    b.jwtAuthnPayload(claims);
    RequestAttributes r = b.build();
    return new Projection(rnd.nextInt(4) == 0 ? "r2" : "r1", wp, r, Authenticator.findTokens(r, wp.tokenLocations()));
  }

  static String pick(Random rnd, String[] values) {
    String v = values[rnd.nextInt(values.length)];
    // A fresh instance, as each request brings its own strings.
    return v == null ? null : new String(v);
  }

  static AttributeRef ref(Kind kind, String name) {
    return new AttributeRef(kind, name);
  }

  static WorkloadPolicies wp(String key, List<AttributeRef> refs, List<TokenLocation> locations) {
    return new WorkloadPolicies(key, List.of(), List.of(), refs, locations);
  }

  /** The key as it was before it was kept in pieces: one text, every value length-prefixed. */
  static String textKey(String revision, RequestAttributes r, WorkloadPolicies wp, List<Authenticator.FoundToken> tokens) {
    StringBuilder b = new StringBuilder(128);
    b.append(revision).append('#');
    DecisionKeys.put(b, wp.workloadKey());
    b.append(r.http() ? 'h' : 't');
    for (AttributeRef ref : wp.attributes()) {
      switch (ref.kind()) {
        case SOURCE_PRINCIPAL -> DecisionKeys.put(b, r.sourcePrincipal());
        case SOURCE_IP -> DecisionKeys.put(b, r.sourceIp());
        case REMOTE_IP -> DecisionKeys.put(b, r.remoteIp());
        case DESTINATION_IP -> DecisionKeys.put(b, r.destinationIp());
        case DESTINATION_PORT -> b.append(r.destinationPort()).append(';');
        case SNI -> DecisionKeys.put(b, r.sni());
        case METHOD -> DecisionKeys.put(b, r.method());
        case HOST -> DecisionKeys.put(b, r.host());
        case PATH -> DecisionKeys.put(b, r.path());
        case HEADER -> DecisionKeys.put(b, r.header(ref.name()));
        case METADATA -> {
          int open = ref.name().indexOf('[');
          DecisionKeys.put(b, DecisionKeys.canonical(r.filterMetadata(ref.name().substring(0, open),
              ref.name().substring(open + 1, ref.name().length() - 1))));
        }
        case IDENTITY -> b.append('i');
        default -> throw new IllegalStateException(ref.kind().toString());
      }
    }
    if (!wp.tokenLocations().isEmpty()) {
      b.append("|tok");
      for (Authenticator.FoundToken t : tokens) {
        b.append((char) ('0' + t.location().kind().ordinal()));
        DecisionKeys.put(b, t.location().name());
        DecisionKeys.put(b, t.location().prefix());
        b.append(TokenHash.sha256Chars(t.token()));
      }
    }
    if (r.jwtAuthnPayload() != null) {
      b.append("|meta");
      DecisionKeys.put(b, DecisionKeys.canonical(r.jwtAuthnPayload()));
    }
    return b.toString();
  }
}
