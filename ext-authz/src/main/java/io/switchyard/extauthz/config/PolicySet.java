package io.switchyard.extauthz.config;

import io.switchyard.extauthz.authn.JwtRule;
import io.switchyard.extauthz.authn.RequestAuthentication;
import io.switchyard.extauthz.authn.TokenLocation;
import io.switchyard.extauthz.policy.AttributeRef;
import io.switchyard.extauthz.policy.AuthorizationPolicy;
import io.switchyard.extauthz.request.WorkloadRef;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One immutable, validated revision of all policies. The per-workload view is computed once per
 * distinct workload and kept (bounded), so the hot path does no scoping work.
 */
public final class PolicySet {
  private static final int MAX_WORKLOADS = 10_000;

  private final String revision;
  private final String rootNamespace;
  private final List<AuthorizationPolicy> authorizationPolicies;
  private final List<RequestAuthentication> requestAuthentications;
  private final ConcurrentHashMap<WorkloadRef, WorkloadPolicies> byWorkload = new ConcurrentHashMap<>();

  public PolicySet(String revision, String rootNamespace, List<AuthorizationPolicy> authorizationPolicies,
      List<RequestAuthentication> requestAuthentications) {
    this.revision = revision;
    this.rootNamespace = rootNamespace;
    this.authorizationPolicies = List.copyOf(authorizationPolicies);
    this.requestAuthentications = List.copyOf(requestAuthentications);
  }

  public String revision() {
    return revision;
  }

  public String rootNamespace() {
    return rootNamespace;
  }

  public List<AuthorizationPolicy> authorizationPolicies() {
    return authorizationPolicies;
  }

  public List<RequestAuthentication> requestAuthentications() {
    return requestAuthentications;
  }

  public WorkloadPolicies forWorkload(WorkloadRef w) {
    WorkloadPolicies p = byWorkload.get(w);
    if (p != null) {
      return p;
    }
    p = compute(w);
    if (byWorkload.size() < MAX_WORKLOADS) {
      byWorkload.putIfAbsent(w, p);
    }
    return p;
  }

  private WorkloadPolicies compute(WorkloadRef w) {
    List<AuthorizationPolicy> authz = new ArrayList<>();
    Set<AttributeRef> refs = new TreeSet<>();
    for (AuthorizationPolicy p : authorizationPolicies) {
      if (p.scope().appliesTo(w, rootNamespace)) {
        authz.add(p);
        p.collectAttributes(refs);
      }
    }
    List<RequestAuthentication> applicable = new ArrayList<>();
    for (RequestAuthentication ra : requestAuthentications) {
      if (ra.scope().appliesTo(w, rootNamespace)) {
        applicable.add(ra);
      }
    }
    // Istio's order, which decides which rule's outputs apply when several accept a token and which reason a
    // refused one gets: GetJwtPoliciesForWorkload lists the workload's namespace before the root namespace, each
    // by creation time (absent = earliest) then name; newPolicyApplier then sorts the jwtRules by issuer (stable).
    applicable.sort(Comparator.comparing((RequestAuthentication ra) -> !ra.namespace().equals(w.namespace()))
        .thenComparing(RequestAuthentication::created, Comparator.nullsFirst(Comparator.naturalOrder()))
        .thenComparing(RequestAuthentication::name));
    List<JwtRule> rules = new ArrayList<>();
    for (RequestAuthentication ra : applicable) {
      rules.addAll(ra.jwtRules());
    }
    rules.sort(Comparator.comparing((JwtRule r) -> r.issuer() == null ? "" : r.issuer(), PolicySet::compareAsGo));
    Set<TokenLocation> locations = new LinkedHashSet<>();
    for (JwtRule r : rules) {
      locations.addAll(r.locations());
    }
    return new WorkloadPolicies(w.canonical(), authz, rules, new ArrayList<>(refs), new ArrayList<>(locations));
  }

  /** Go's string order (bytes of UTF-8), which is code point order; String.compareTo compares UTF-16 units. */
  static int compareAsGo(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Boolean.compare(i < a.length(), j < b.length());
  }
}
