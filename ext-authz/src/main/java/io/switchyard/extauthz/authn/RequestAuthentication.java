package io.switchyard.extauthz.authn;

import io.switchyard.extauthz.policy.Scope;
import java.time.Instant;
import java.util.List;

/**
 * One parsed RequestAuthentication: where it applies and its JWT rules. {@code created} is its
 * {@code metadata.creationTimestamp}, null when absent; with the name it orders a workload's rules as Istio does.
 */
public record RequestAuthentication(String name, String namespace, Scope scope, List<JwtRule> jwtRules, String origin, Instant created) {
  public RequestAuthentication {
    jwtRules = List.copyOf(jwtRules);
  }

  public String id() {
    return namespace + "/" + name;
  }
}
