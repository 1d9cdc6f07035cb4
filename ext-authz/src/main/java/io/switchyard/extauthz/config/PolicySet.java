package io.switchyard.extauthz.config;

import io.switchyard.extauthz.authn.JwtRule;
import io.switchyard.extauthz.authn.RequestAuthentication;
import io.switchyard.extauthz.authn.TokenLocation;
import io.switchyard.extauthz.policy.AttributeRef;
import io.switchyard.extauthz.policy.AuthorizationPolicy;
import io.switchyard.extauthz.request.WorkloadRef;
import java.util.ArrayList;
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
    List<JwtRule> rules = new ArrayList<>();
    Set<TokenLocation> locations = new LinkedHashSet<>();
    for (RequestAuthentication ra : requestAuthentications) {
      if (ra.scope().appliesTo(w, rootNamespace)) {
        for (JwtRule r : ra.jwtRules()) {
          rules.add(r);
          locations.addAll(r.locations());
        }
      }
    }
    return new WorkloadPolicies(w.canonical(), authz, rules, new ArrayList<>(refs), new ArrayList<>(locations));
  }
}
