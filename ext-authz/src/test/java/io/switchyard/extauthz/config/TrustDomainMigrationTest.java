package io.switchyard.extauthz.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.extauthz.policy.TrustDomains;
import io.switchyard.extauthz.request.RequestAttributes;
import io.switchyard.extauthz.request.WorkloadRef;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Istio's trust-domain migration (meshConfig trustDomain + trustDomainAliases), from its task page and trustdomain package. */
class TrustDomainMigrationTest {
  static final WorkloadRef HTTPBIN = new WorkloadRef("foo", "httpbin", Map.of("app", "httpbin"));
  static final TrustDomains MIGRATING = TrustDomains.of("new-td", List.of("old-td"));

  static String allowFrom(String principalsField, String value) {
    return "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: foo}\nspec:\n  rules:\n"
        + "  - from: [{source: {" + principalsField + ": [\"" + value + "\"]}}]\n";
  }

  static boolean allowed(String yaml, TrustDomains td, String peer) throws Exception {
    RequestAttributes r = RequestAttributes.builder().workload(HTTPBIN).method("GET").path("/").host("h").sourcePrincipal(peer).build();
    return Policies.evaluate(Policies.load(yaml, td), r).allowed();
  }

  @Test
  void aPrincipalInTheOldTrustDomainAlsoMatchesItsAliases() throws Exception {
    String y = allowFrom("principals", "old-td/ns/sleep-allow/sa/sleep");
    assertThat(allowed(y, MIGRATING, "spiffe://new-td/ns/sleep-allow/sa/sleep")).isTrue();
    assertThat(allowed(y, MIGRATING, "spiffe://old-td/ns/sleep-allow/sa/sleep")).isTrue();
    assertThat(allowed(y, MIGRATING, "spiffe://other-td/ns/sleep-allow/sa/sleep")).isFalse();
    assertThat(allowed(y, MIGRATING, "spiffe://new-td/ns/default/sa/sleep")).isFalse();
  }

  @Test
  void clusterLocalStandsForTheLocalTrustDomainAndItsAliases() throws Exception {
    String y = allowFrom("principals", "cluster.local/ns/sleep-allow/sa/sleep");
    assertThat(allowed(y, MIGRATING, "spiffe://new-td/ns/sleep-allow/sa/sleep")).isTrue();
    assertThat(allowed(y, MIGRATING, "spiffe://old-td/ns/sleep-allow/sa/sleep")).isTrue();
    // Without aliases configured the value is compared as written.
    assertThat(allowed(y, TrustDomains.DEFAULT, "spiffe://new-td/ns/sleep-allow/sa/sleep")).isFalse();
    assertThat(allowed(y, TrustDomains.DEFAULT, "spiffe://cluster.local/ns/sleep-allow/sa/sleep")).isTrue();
  }

  @Test
  void unknownTrustDomainsWildcardsAndShortValuesAreKeptAsWritten() throws Exception {
    assertThat(allowed(allowFrom("principals", "other-td/ns/a/sa/b"), MIGRATING, "spiffe://new-td/ns/a/sa/b")).isFalse();
    assertThat(allowed(allowFrom("principals", "*/ns/a/sa/b"), MIGRATING, "spiffe://anything/ns/a/sa/b")).isTrue();
    assertThat(allowed(allowFrom("principals", "*/sa/b"), MIGRATING, "spiffe://new-td/ns/a/sa/b")).isTrue();
  }

  @Test
  void notPrincipalsAndSourcePrincipalConditionsAreWidenedToo() throws Exception {
    String deny = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: foo}\nspec:\n  rules:\n"
        + "  - from: [{source: {notPrincipals: [\"old-td/ns/x/sa/bad\"]}}]\n";
    assertThat(allowed(deny, MIGRATING, "spiffe://new-td/ns/x/sa/bad")).isFalse();
    assertThat(allowed(deny, MIGRATING, "spiffe://new-td/ns/x/sa/good")).isTrue();
    String when = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: foo}\nspec:\n  rules:\n"
        + "  - when: [{key: source.principal, values: [\"old-td/ns/x/sa/a\"]}]\n";
    assertThat(allowed(when, MIGRATING, "spiffe://new-td/ns/x/sa/a")).isTrue();
  }

  /**
   * Istio's MigrateTrustDomain expands a trustDomains / source.trustDomain value that equals the mesh
   * trust domain or an alias (ExpandTrustDomainAliases) to all of them; other values, wildcards and
   * cluster.local (unless it is one of them) are kept as written.
   */
  @Test
  void trustDomainValuesNamingTheMeshTrustDomainOrAnAliasMatchThemAll() throws Exception {
    String old = allowFrom("trustDomains", "old-td");
    assertThat(allowed(old, MIGRATING, "spiffe://new-td/ns/a/sa/b")).isTrue();
    assertThat(allowed(old, MIGRATING, "spiffe://old-td/ns/a/sa/b")).isTrue();
    assertThat(allowed(old, MIGRATING, "spiffe://other-td/ns/a/sa/b")).isFalse();
    assertThat(allowed(old, TrustDomains.DEFAULT, "spiffe://new-td/ns/a/sa/b")).isFalse();
    assertThat(allowed(allowFrom("trustDomains", "new-td"), MIGRATING, "spiffe://old-td/ns/a/sa/b")).isTrue();
    assertThat(allowed(allowFrom("trustDomains", "cluster.local"), MIGRATING, "spiffe://new-td/ns/a/sa/b")).isFalse();
    assertThat(allowed(allowFrom("trustDomains", "old*"), MIGRATING, "spiffe://new-td/ns/a/sa/b")).isFalse();
    assertThat(allowed(allowFrom("trustDomains", "other-td"), MIGRATING, "spiffe://new-td/ns/a/sa/b")).isFalse();
    String not = allowFrom("notTrustDomains", "new-td");
    assertThat(allowed(not, MIGRATING, "spiffe://old-td/ns/a/sa/b")).isFalse();
    assertThat(allowed(not, MIGRATING, "spiffe://other-td/ns/a/sa/b")).isTrue();
    String when = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: foo}\nspec:\n  rules:\n"
        + "  - when: [{key: source.trustDomain, values: [\"old-td\"]}]\n";
    assertThat(allowed(when, MIGRATING, "spiffe://new-td/ns/a/sa/b")).isTrue();
    String whenNot = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: foo}\nspec:\n  rules:\n"
        + "  - when: [{key: source.trustDomain, notValues: [\"old-td\"]}]\n";
    assertThat(allowed(whenNot, MIGRATING, "spiffe://new-td/ns/a/sa/b")).isFalse();
  }
}
