package io.switchyard.extauthz.decision;

import io.switchyard.extauthz.authn.AuthnResult;
import io.switchyard.extauthz.policy.AuthzOutcome;

/**
 * What was decided for a request, independent of per-call details (decision id, realm URL), so that
 * it can be shared by every request with the same cache key. {@code outcome} is null for 401s and
 * for requests rejected before policies run.
 */
public record Decision(Result result, int httpStatus, AuthnResult authn, AuthzOutcome outcome, String reason, String revision,
    long expiresAtMillis, boolean cacheable) {

  public enum Result { ALLOW, DENY, UNAUTHENTICATED }

  public String matchedPolicy() {
    return outcome == null || outcome.matchedPolicy() == null ? "" : outcome.matchedPolicy().id();
  }

  public int matchedRule() {
    return outcome == null ? -1 : outcome.matchedRule();
  }
}
