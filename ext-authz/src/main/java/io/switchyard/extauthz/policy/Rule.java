package io.switchyard.extauthz.policy;

import java.util.List;
import java.util.Set;

/**
 * One entry of {@code rules}: any {@code from} source (or none given), any {@code to} operation (or none)
 * and every {@code when} condition. Within a source or operation all fields must match.
 */
final class Rule {
  private final List<List<Field>> from;
  private final List<List<Field>> to;
  private final List<Field> when;
  private final boolean httpOnly;
  private final boolean hasDropped;

  Rule(List<List<Field>> from, List<List<Field>> to, List<Field> when) {
    this.from = List.copyOf(from);
    this.to = List.copyOf(to);
    this.when = List.copyOf(when);
    boolean h = when.stream().anyMatch(f -> f.httpOnly);
    this.hasDropped = when.stream().anyMatch(f -> f.dropped);
    for (List<Field> c : from) {
      h |= c.stream().anyMatch(f -> f.httpOnly);
    }
    for (List<Field> c : to) {
      h |= c.stream().anyMatch(f -> f.httpOnly);
    }
    this.httpOnly = h;
  }

  /**
   * For TCP traffic (no HTTP attributes) Istio drops an ALLOW rule that uses HTTP-only fields (a
   * narrower allow) but only ignores those fields in DENY and AUDIT rules (a wider deny). A condition
   * Istio cannot generate at all ({@link Field#dropped}) is treated the same way for every request.
   */
  boolean matches(AuthzInput in, Action action) {
    boolean tcp = !in.request().http();
    if (action == Action.ALLOW && (hasDropped || (tcp && httpOnly))) {
      return false;
    }
    return anyClause(from, in, tcp) && anyClause(to, in, tcp) && all(when, in, tcp);
  }

  private static boolean anyClause(List<List<Field>> clauses, AuthzInput in, boolean tcp) {
    if (clauses.isEmpty()) {
      return true;
    }
    for (List<Field> c : clauses) {
      if (all(c, in, tcp)) {
        return true;
      }
    }
    return false;
  }

  private static boolean all(List<Field> fields, AuthzInput in, boolean tcp) {
    for (Field f : fields) {
      if (f.dropped || (tcp && f.httpOnly)) {
        continue;
      }
      if (!f.matches(in)) {
        return false;
      }
    }
    return true;
  }

  void collect(Set<AttributeRef> refs) {
    from.forEach(c -> c.forEach(f -> refs.add(f.ref)));
    to.forEach(c -> c.forEach(f -> refs.add(f.ref)));
    when.stream().filter(f -> f.ref != null).forEach(f -> refs.add(f.ref));
  }
}
