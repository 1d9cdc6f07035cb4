package io.switchyard.extauthz.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * The mesh's trust domain and its aliases (Istio meshConfig {@code trustDomain} and
 * {@code trustDomainAliases}). As Istio's trust-domain migration does, a {@code principals} value in
 * the form {@code <td>/ns/<ns>/sa/<sa>} whose trust domain is one of these, or {@code cluster.local}
 * (which stands for the local trust domain), is widened to the same identity in every one of them;
 * a {@code trustDomains} / {@code source.trustDomain} value equal to one of them stands for all of them.
 */
public record TrustDomains(List<String> domains) {
  public static final String CLUSTER_LOCAL = "cluster.local";
  public static final TrustDomains DEFAULT = of(CLUSTER_LOCAL, List.of());

  public TrustDomains {
    domains = List.copyOf(domains);
    if (domains.isEmpty()) {
      throw new IllegalArgumentException("at least the trust domain is needed");
    }
    for (String d : domains) {
      if (d.isEmpty() || d.contains("/")) {
        throw new IllegalArgumentException("'" + d + "' is not a trust domain");
      }
    }
  }

  public static TrustDomains of(String trustDomain, List<String> aliases) {
    List<String> all = new ArrayList<>();
    all.add(trustDomain);
    all.addAll(aliases);
    return new TrustDomains(all);
  }

  /** The principals that {@code principal} (a policy value, without {@code spiffe://}) stands for. */
  List<String> expand(String principal) {
    String[] parts = principal.split("/", -1);
    // Only full SPIFFE-shaped values name a trust domain; "*" there means any domain, nothing to widen.
    if (parts.length != 5 || parts[0].equals("*")) {
      return List.of(principal);
    }
    String td = parts[0];
    if (!td.equals(CLUSTER_LOCAL) && !matchesAny(td)) {
      return List.of(principal);
    }
    String rest = principal.substring(td.length());
    List<String> out = new ArrayList<>();
    for (String d : domains) {
      String p = suffixMatch(d, td) ? principal : d + rest;
      if (!out.contains(p)) {
        out.add(p);
      }
    }
    return out;
  }

  /**
   * The values a {@code trustDomains} / {@code source.trustDomain} value stands for, as Istio's
   * {@code Bundle.ExpandTrustDomainAliases}: one equal to the trust domain or an alias becomes all of
   * them (no {@code cluster.local} special case, no wildcard matching); any other value stays as written.
   */
  List<String> expandTrustDomain(String value) {
    if (!domains.contains(value)) {
      return List.of(value);
    }
    return domains.stream().distinct().toList();
  }

  private boolean matchesAny(String td) {
    for (String d : domains) {
      if (td.equals(d) || d.equals("*") || prefixMatch(td, d) || prefixMatch(d, td) || suffixMatch(td, d) || suffixMatch(d, td)) {
        return true;
      }
    }
    return false;
  }

  private static boolean prefixMatch(String a, String pattern) {
    return pattern.endsWith("*") && a.startsWith(pattern.substring(0, pattern.length() - 1));
  }

  private static boolean suffixMatch(String a, String pattern) {
    return pattern.startsWith("*") && a.endsWith(pattern.substring(1));
  }
}
