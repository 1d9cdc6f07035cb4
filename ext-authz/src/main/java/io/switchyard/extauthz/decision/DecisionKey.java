package io.switchyard.extauthz.decision;

import java.util.Arrays;
import java.util.Objects;

/**
 * A request's projection as a decision cache key, kept in pieces rather than joined into one text: the
 * revision and workload key are the policy set's own strings and a token's digest is the memo's, so
 * their hash codes are already computed and equality usually stops at {@code ==}. Only the request's
 * own values are hashed, once, here.
 *
 * <p>The revision and workload key fix the policies, hence which attribute each position of {@code
 * parts} holds (see {@link DecisionKeys}); {@code parts} are compared element by element with their
 * types, so two different projections are never equal.
 */
final class DecisionKey {
  private final String revision;
  private final String workloadKey;
  private final boolean http;
  private final Object[] parts;
  private final int hash;

  DecisionKey(String revision, String workloadKey, boolean http, Object[] parts) {
    this.revision = revision;
    this.workloadKey = workloadKey;
    this.http = http;
    this.parts = parts;
    int h = Objects.hashCode(revision);
    h = 31 * h + Objects.hashCode(workloadKey);
    h = 31 * h + (http ? 1231 : 1237);
    this.hash = 31 * h + Arrays.hashCode(parts);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    return o instanceof DecisionKey k && hash == k.hash && http == k.http && Objects.equals(revision, k.revision)
        && Objects.equals(workloadKey, k.workloadKey) && Arrays.equals(parts, k.parts);
  }

  @Override
  public String toString() {
    return "DecisionKey[" + revision + ", " + workloadKey + ", " + (http ? "http" : "tcp") + ", " + parts.length + " parts]";
  }
}
