package io.switchyard.extauthz.config;

import io.switchyard.extauthz.authn.JwtRule;
import io.switchyard.extauthz.authn.TokenLocation;
import io.switchyard.extauthz.policy.AttributeRef;
import io.switchyard.extauthz.policy.AuthorizationPolicy;
import java.util.List;

/**
 * Everything that applies to one workload under one policy revision, including the attributes the
 * response can depend on — the decision cache key is built from exactly these. {@code workloadKey} is
 * the workload's canonical text, computed once here rather than per request.
 */
public record WorkloadPolicies(String workloadKey, List<AuthorizationPolicy> authorizationPolicies, List<JwtRule> jwtRules,
    List<AttributeRef> attributes, List<TokenLocation> tokenLocations) {
  public WorkloadPolicies {
    authorizationPolicies = List.copyOf(authorizationPolicies);
    jwtRules = List.copyOf(jwtRules);
    attributes = List.copyOf(attributes);
    tokenLocations = List.copyOf(tokenLocations);
  }
}
