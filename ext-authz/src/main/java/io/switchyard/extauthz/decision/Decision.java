package io.switchyard.extauthz.decision;

import io.switchyard.extauthz.authn.AuthnResult;
import io.switchyard.extauthz.policy.AuthzOutcome;

/**
 * What was decided for a request, independent of per-call details (decision id, realm URL), so that
 * it can be shared by every request with the same cache key. {@code outcome} is null for 401s and
 * for requests rejected before policies run.
 */
public final class Decision {
  public enum Result { ALLOW, DENY, UNAUTHENTICATED }

  private final Result result;
  private final int httpStatus;
  private final AuthnResult authn;
  private final AuthzOutcome outcome;
  private final String reason;
  private final String revision;
  private final long expiresAtMillis;
  private final boolean cacheable;
  private final String matchedPolicy;
  /**
   * What the Check service derives from this decision alone (response template, metric child), made
   * once and reused by every cache hit. Written without locking: two racing writers compute equal values.
   */
  private volatile Object derived;
  /** The decision log's encoding of the fields that come from this decision alone; same race as {@link #derived}. */
  private volatile byte[] logFields;

  public Decision(Result result, int httpStatus, AuthnResult authn, AuthzOutcome outcome, String reason, String revision,
      long expiresAtMillis, boolean cacheable) {
    this.result = result;
    this.httpStatus = httpStatus;
    this.authn = authn;
    this.outcome = outcome;
    this.reason = reason;
    this.revision = revision;
    this.expiresAtMillis = expiresAtMillis;
    this.cacheable = cacheable;
    this.matchedPolicy = outcome == null || outcome.matchedPolicy() == null ? "" : outcome.matchedPolicy().id();
  }

  public Result result() {
    return result;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public AuthnResult authn() {
    return authn;
  }

  public AuthzOutcome outcome() {
    return outcome;
  }

  public String reason() {
    return reason;
  }

  public String revision() {
    return revision;
  }

  public long expiresAtMillis() {
    return expiresAtMillis;
  }

  public boolean cacheable() {
    return cacheable;
  }

  public String matchedPolicy() {
    return matchedPolicy;
  }

  public int matchedRule() {
    return outcome == null ? -1 : outcome.matchedRule();
  }

  public Object derived() {
    return derived;
  }

  public void derived(Object v) {
    derived = v;
  }

  public byte[] logFields() {
    return logFields;
  }

  public void logFields(byte[] v) {
    logFields = v;
  }

  @Override
  public String toString() {
    return "Decision[" + result + " " + httpStatus + ", policy=" + matchedPolicy + ", rule=" + matchedRule() + ", reason=" + reason
        + ", revision=" + revision + "]";
  }
}
