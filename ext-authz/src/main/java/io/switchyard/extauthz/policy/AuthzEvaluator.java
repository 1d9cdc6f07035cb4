package io.switchyard.extauthz.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * Istio's decision order over the policies that apply to one workload: an enforced DENY that matches
 * denies; with no enforced ALLOW policy the request is allowed; otherwise a matching ALLOW allows and
 * anything else is denied. AUDIT and dry-run policies are evaluated for the record only.
 */
public final class AuthzEvaluator {
  private AuthzEvaluator() {}

  public static AuthzOutcome evaluate(List<AuthorizationPolicy> applicable, AuthzInput in) {
    List<String> audits = List.of();
    List<AuthzOutcome.DryRun> dryRuns = List.of();
    AuthorizationPolicy deny = null;
    int denyRule = -1;
    AuthorizationPolicy allow = null;
    int allowRule = -1;
    boolean anyAllow = false;
    for (AuthorizationPolicy p : applicable) {
      if (p.dryRun()) {
        if (p.action() == Action.AUDIT) {
          continue;
        }
        int r = p.firstMatchingRule(in);
        boolean wouldAllow = p.action() == Action.ALLOW ? r >= 0 : r < 0;
        if (dryRuns.isEmpty()) {
          dryRuns = new ArrayList<>(2);
        }
        dryRuns.add(new AuthzOutcome.DryRun(p.id(), wouldAllow));
        continue;
      }
      switch (p.action()) {
        case AUDIT:
          if (p.firstMatchingRule(in) >= 0) {
            if (audits.isEmpty()) {
              audits = new ArrayList<>(2);
            }
            audits.add(p.id());
          }
          break;
        case DENY:
          if (deny == null) {
            int r = p.firstMatchingRule(in);
            if (r >= 0) {
              deny = p;
              denyRule = r;
            }
          }
          break;
        default:
          anyAllow = true;
          if (allow == null) {
            int r = p.firstMatchingRule(in);
            if (r >= 0) {
              allow = p;
              allowRule = r;
            }
          }
      }
    }
    if (deny != null) {
      return new AuthzOutcome(false, deny, denyRule, audits, dryRuns, "denied by DENY policy " + deny.id() + " rule " + denyRule);
    }
    if (!anyAllow) {
      return new AuthzOutcome(true, null, -1, audits, dryRuns, "no ALLOW policy applies");
    }
    if (allow != null) {
      return new AuthzOutcome(true, allow, allowRule, audits, dryRuns, "allowed by ALLOW policy " + allow.id() + " rule " + allowRule);
    }
    return new AuthzOutcome(false, null, -1, audits, dryRuns, "no ALLOW policy matched");
  }
}
