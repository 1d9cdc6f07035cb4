package io.switchyard.extauthz.policy;

import java.util.List;
import java.util.function.Predicate;

/**
 * One field of a source, operation or condition: matches when any of {@code values} matches (or there
 * are none) and none of {@code notValues} matches. A missing attribute matches no value, so its
 * {@code not…} form holds — Istio's rule for plaintext peers and absent headers.
 */
final class Field {
  final String name;
  final AttributeRef ref;
  final boolean httpOnly;
  /**
   * A condition whose key Istio's validation accepts but its generator cannot read (e.g. {@code request.headersX[a]}):
   * Istio skips an ALLOW rule holding it and leaves just this condition out of a DENY or AUDIT rule.
   */
  final boolean dropped;
  private final List<Predicate<AuthzInput>> values;
  private final List<Predicate<AuthzInput>> notValues;

  Field(String name, AttributeRef ref, boolean httpOnly, List<Predicate<AuthzInput>> values, List<Predicate<AuthzInput>> notValues) {
    this.name = name;
    this.ref = ref;
    this.httpOnly = httpOnly;
    this.dropped = false;
    this.values = List.copyOf(values);
    this.notValues = List.copyOf(notValues);
  }

  private Field(String name) {
    this.name = name;
    this.ref = null;
    this.httpOnly = false;
    this.dropped = true;
    this.values = List.of();
    this.notValues = List.of();
  }

  /** A condition Istio's generator cannot build (see {@link #dropped}); it reads no attribute. */
  static Field dropped(String name) {
    return new Field(name);
  }

  boolean matches(AuthzInput in) {
    if (!values.isEmpty()) {
      boolean any = false;
      for (Predicate<AuthzInput> p : values) {
        if (p.test(in)) {
          any = true;
          break;
        }
      }
      if (!any) {
        return false;
      }
    }
    for (Predicate<AuthzInput> p : notValues) {
      if (p.test(in)) {
        return false;
      }
    }
    return true;
  }
}
