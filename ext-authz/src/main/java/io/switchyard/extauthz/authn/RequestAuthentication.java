package io.switchyard.extauthz.authn;

import io.switchyard.extauthz.policy.Scope;
import java.util.List;

/** One parsed RequestAuthentication: where it applies and its JWT rules. */
public record RequestAuthentication(String name, String namespace, Scope scope, List<JwtRule> jwtRules, String origin) {
  public RequestAuthentication {
    jwtRules = List.copyOf(jwtRules);
  }

  public String id() {
    return namespace + "/" + name;
  }
}
