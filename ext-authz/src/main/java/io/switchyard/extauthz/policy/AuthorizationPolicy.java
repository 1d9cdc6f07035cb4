package io.switchyard.extauthz.policy;

import java.util.List;
import java.util.Set;

/** One parsed, validated AuthorizationPolicy, ready to evaluate. */
public final class AuthorizationPolicy {
  private final String name;
  private final String namespace;
  private final Action action;
  private final boolean dryRun;
  private final Scope scope;
  private final List<Rule> rules;
  private final String origin;
  private final String id;

  AuthorizationPolicy(String name, String namespace, Action action, boolean dryRun, Scope scope, List<Rule> rules, String origin) {
    this.name = name;
    this.namespace = namespace;
    this.action = action;
    this.dryRun = dryRun;
    this.scope = scope;
    this.rules = List.copyOf(rules);
    this.origin = origin;
    this.id = namespace + "/" + name;
  }

  public String name() {
    return name;
  }

  public String namespace() {
    return namespace;
  }

  /** {@code namespace/name}, how decisions and logs name the policy. */
  public String id() {
    return id;
  }

  public Action action() {
    return action;
  }

  /** Annotated {@code istio.io/dry-run: "true"}: evaluated and reported, never enforced. */
  public boolean dryRun() {
    return dryRun;
  }

  public Scope scope() {
    return scope;
  }

  /** Where it was defined, {@code file:line}. */
  public String origin() {
    return origin;
  }

  public int ruleCount() {
    return rules.size();
  }

  /** Index of the first rule that matches, or -1. No rules means the policy matches nothing. */
  public int firstMatchingRule(AuthzInput in) {
    for (int i = 0; i < rules.size(); i++) {
      if (rules.get(i).matches(in, action)) {
        return i;
      }
    }
    return -1;
  }

  public void collectAttributes(Set<AttributeRef> refs) {
    for (Rule r : rules) {
      r.collect(refs);
    }
  }
}
