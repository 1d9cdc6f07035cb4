package io.switchyard.extauthz.policy;

import java.util.List;

/**
 * The result of evaluating the policies of one workload. {@code matchedPolicy} is the DENY or ALLOW
 * policy that decided (null when none did: no ALLOW policy, or nothing matched).
 */
public record AuthzOutcome(boolean allowed, AuthorizationPolicy matchedPolicy, int matchedRule, List<String> auditPolicies,
    List<DryRun> dryRuns, String reason) {

  /** What a dry-run policy would have done had it been enforced. */
  public record DryRun(String policy, boolean wouldAllow) {}
}
