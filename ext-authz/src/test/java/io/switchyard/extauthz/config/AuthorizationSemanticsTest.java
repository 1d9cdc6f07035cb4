package io.switchyard.extauthz.config;

import static io.switchyard.extauthz.config.Policies.evaluate;
import static io.switchyard.extauthz.config.Policies.load;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.extauthz.policy.AuthzOutcome;
import io.switchyard.extauthz.request.RequestAttributes;
import io.switchyard.extauthz.request.RequestIdentity;
import io.switchyard.extauthz.request.WorkloadRef;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Conformance cases written from Istio's AuthorizationPolicy reference and concept pages. */
class AuthorizationSemanticsTest {
  static final String HEAD = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n";
  static final WorkloadRef HTTPBIN = new WorkloadRef("foo", "httpbin", Map.of("app", "httpbin", "version", "v1"));

  static RequestAttributes.Builder req() {
    return RequestAttributes.builder().workload(HTTPBIN).method("GET").host("httpbin.foo").path("/")
        .sourceIp("10.1.2.3").destinationIp("10.9.9.9").destinationPort(8000)
        .sourcePrincipal("spiffe://cluster.local/ns/bar/sa/sleep");
  }

  static String allow(String rulesYaml) {
    return HEAD + "metadata: {name: p, namespace: foo}\nspec:\n  action: ALLOW\n  rules:\n" + rulesYaml;
  }

  static boolean allowed(String yaml, RequestAttributes r) throws Exception {
    return evaluate(load(yaml), r).allowed();
  }

  static boolean allowed(String yaml, RequestAttributes r, RequestIdentity id) throws Exception {
    return evaluate(load(yaml), r, id).allowed();
  }

  @Nested
  class EvaluationOrder {
    @Test
    void noPoliciesAllowEverything() throws Exception {
      assertThat(allowed("", req().build())).isTrue();
    }

    @Test
    void allowPolicyWithoutRulesDeniesEverything() throws Exception {
      String y = HEAD + "metadata: {name: allow-nothing, namespace: foo}\nspec:\n  action: ALLOW\n";
      AuthzOutcome o = evaluate(load(y), req().build());
      assertThat(o.allowed()).isFalse();
      assertThat(o.reason()).isEqualTo("no ALLOW policy matched");
    }

    @Test
    void emptySpecMeansAllowNothing() throws Exception {
      assertThat(allowed(HEAD + "metadata: {name: allow-nothing, namespace: foo}\nspec: {}\n", req().build())).isFalse();
    }

    @Test
    void emptyRuleMatchesEverything() throws Exception {
      String y = HEAD + "metadata: {name: allow-all, namespace: foo}\nspec:\n  rules:\n  - {}\n";
      AuthzOutcome o = evaluate(load(y), req().build());
      assertThat(o.allowed()).isTrue();
      assertThat(o.matchedPolicy().id()).isEqualTo("foo/allow-all");
      assertThat(o.matchedRule()).isZero();
    }

    @Test
    void denyWinsOverAllow() throws Exception {
      String y = HEAD + "metadata: {name: allow-all, namespace: foo}\nspec:\n  rules: [{}]\n---\n"
          + HEAD + "metadata: {name: deny-delete, namespace: foo}\nspec:\n  action: DENY\n  rules:\n  - to: [{operation: {methods: [DELETE]}}]\n";
      PolicySet s = load(y);
      assertThat(evaluate(s, req().method("DELETE").build()).allowed()).isFalse();
      assertThat(evaluate(s, req().method("DELETE").build()).matchedPolicy().id()).isEqualTo("foo/deny-delete");
      assertThat(evaluate(s, req().method("GET").build()).allowed()).isTrue();
    }

    @Test
    void onlyDenyPoliciesAllowWhatTheyDoNotMatch() throws Exception {
      String y = HEAD + "metadata: {name: deny-admin, namespace: foo}\nspec:\n  action: DENY\n  rules:\n  - to: [{operation: {paths: [/admin*]}}]\n";
      PolicySet s = load(y);
      assertThat(evaluate(s, req().path("/admin/x").build()).allowed()).isFalse();
      assertThat(evaluate(s, req().path("/public").build()).allowed()).isTrue();
    }

    @Test
    void allowPoliciesAreAdditive() throws Exception {
      String y = allow("  - to: [{operation: {paths: [/a]}}]\n") + "---\n"
          + HEAD + "metadata: {name: q, namespace: foo}\nspec:\n  rules:\n  - to: [{operation: {paths: [/b]}}]\n";
      PolicySet s = load(y);
      assertThat(evaluate(s, req().path("/a").build()).allowed()).isTrue();
      assertThat(evaluate(s, req().path("/b").build()).allowed()).isTrue();
      assertThat(evaluate(s, req().path("/c").build()).allowed()).isFalse();
    }

    @Test
    void policyMatchesWhenAnyRuleMatchesAndReportsThatRule() throws Exception {
      String y = allow("  - to: [{operation: {paths: [/a]}}]\n  - to: [{operation: {paths: [/b]}}]\n");
      AuthzOutcome o = evaluate(load(y), req().path("/b").build());
      assertThat(o.allowed()).isTrue();
      assertThat(o.matchedRule()).isEqualTo(1);
    }

    @Test
    void auditNeverDecidesButIsRecorded() throws Exception {
      String y = HEAD + "metadata: {name: audit-all, namespace: foo}\nspec:\n  action: AUDIT\n  rules: [{}]\n";
      AuthzOutcome o = evaluate(load(y), req().build());
      assertThat(o.allowed()).isTrue();
      assertThat(o.auditPolicies()).containsExactly("foo/audit-all");
      String withAllow = y + "---\n" + allow("  - to: [{operation: {paths: [/ok]}}]\n");
      AuthzOutcome o2 = evaluate(load(withAllow), req().path("/no").build());
      assertThat(o2.allowed()).isFalse();
      assertThat(o2.auditPolicies()).containsExactly("foo/audit-all");
    }

    @Test
    void auditPolicyDoesNotCountAsAnAllowPolicy() throws Exception {
      String y = HEAD + "metadata: {name: audit, namespace: foo}\nspec:\n  action: AUDIT\n  rules:\n  - to: [{operation: {paths: [/x]}}]\n";
      assertThat(allowed(y, req().path("/y").build())).isTrue();
    }

    @Test
    void dryRunDenyIsReportedNotEnforced() throws Exception {
      String y = HEAD + "metadata:\n  name: deny-get\n  namespace: foo\n  annotations: {istio.io/dry-run: \"true\"}\n"
          + "spec:\n  action: DENY\n  rules:\n  - to: [{operation: {methods: [GET]}}]\n";
      AuthzOutcome o = evaluate(load(y), req().build());
      assertThat(o.allowed()).isTrue();
      assertThat(o.dryRuns()).containsExactly(new AuthzOutcome.DryRun("foo/deny-get", false));
    }

    @Test
    void dryRunAllowDoesNotTurnOnDefaultDeny() throws Exception {
      String y = HEAD + "metadata:\n  name: allow-post\n  namespace: foo\n  annotations: {istio.io/dry-run: \"true\"}\n"
          + "spec:\n  rules:\n  - to: [{operation: {methods: [POST]}}]\n";
      AuthzOutcome o = evaluate(load(y), req().method("GET").build());
      assertThat(o.allowed()).isTrue();
      assertThat(o.dryRuns()).containsExactly(new AuthzOutcome.DryRun("foo/allow-post", false));
      assertThat(evaluate(load(y), req().method("POST").build()).dryRuns()).containsExactly(new AuthzOutcome.DryRun("foo/allow-post", true));
    }

    @Test
    void dryRunFalseIsEnforced() throws Exception {
      String y = HEAD + "metadata:\n  name: deny-get\n  namespace: foo\n  annotations: {istio.io/dry-run: \"false\"}\n"
          + "spec:\n  action: DENY\n  rules:\n  - to: [{operation: {methods: [GET]}}]\n";
      assertThat(allowed(y, req().build())).isFalse();
    }
  }

  @Nested
  class Scoping {
    @Test
    void policyAppliesOnlyInItsNamespace() throws Exception {
      String y = HEAD + "metadata: {name: deny-all, namespace: other}\nspec:\n  action: DENY\n  rules: [{}]\n";
      assertThat(allowed(y, req().build())).isTrue();
      assertThat(allowed(y, req().workload(new WorkloadRef("other", null, Map.of())).build())).isFalse();
    }

    @Test
    void rootNamespacePolicyAppliesMeshWide() throws Exception {
      String y = HEAD + "metadata: {name: deny-all, namespace: istio-system}\nspec:\n  action: DENY\n  rules: [{}]\n";
      assertThat(allowed(y, req().build())).isFalse();
      assertThat(allowed(y, req().workload(WorkloadRef.UNKNOWN).build())).isFalse();
    }

    @Test
    void configuredRootNamespaceIsHonoured() throws Exception {
      String y = HEAD + "metadata: {name: deny-all, namespace: mesh-root}\nspec:\n  action: DENY\n  rules: [{}]\n";
      PolicySet s = Policies.load(y, new PolicyLoader("mesh-root"));
      assertThat(evaluate(s, req().build()).allowed()).isFalse();
    }

    @Test
    void selectorMatchesWorkloadLabels() throws Exception {
      String y = HEAD + "metadata: {name: deny, namespace: foo}\nspec:\n  selector:\n    matchLabels: {app: httpbin, version: v1}\n"
          + "  action: DENY\n  rules: [{}]\n";
      assertThat(allowed(y, req().build())).isFalse();
      assertThat(allowed(y, req().workload(new WorkloadRef("foo", "x", Map.of("app", "httpbin", "version", "v2"))).build())).isTrue();
      assertThat(allowed(y, req().workload(new WorkloadRef("foo", "x", Map.of("app", "httpbin"))).build())).isTrue();
    }

    @Test
    void rootNamespaceSelectorAppliesToMatchingWorkloadsEverywhere() throws Exception {
      String y = HEAD + "metadata: {name: deny, namespace: istio-system}\nspec:\n  selector:\n    matchLabels: {app: httpbin}\n"
          + "  action: DENY\n  rules: [{}]\n";
      assertThat(allowed(y, req().workload(new WorkloadRef("zzz", null, Map.of("app", "httpbin"))).build())).isFalse();
      assertThat(allowed(y, req().workload(new WorkloadRef("zzz", null, Map.of("app", "other"))).build())).isTrue();
    }

    @Test
    void allowPolicyForAnotherWorkloadDoesNotTurnOnDefaultDenyHere() throws Exception {
      String y = HEAD + "metadata: {name: allow, namespace: foo}\nspec:\n  selector:\n    matchLabels: {app: other}\n  rules: []\n";
      assertThat(allowed(y, req().build())).isTrue();
    }

    @Test
    void targetRefsMatchTheWorkloadName() throws Exception {
      String y = HEAD + "metadata: {name: deny, namespace: foo}\nspec:\n  targetRefs:\n  - {kind: Service, group: \"\", name: httpbin}\n"
          + "  action: DENY\n  rules: [{}]\n";
      assertThat(allowed(y, req().build())).isFalse();
      assertThat(allowed(y, req().workload(new WorkloadRef("foo", "reviews", Map.of())).build())).isTrue();
    }

    @Test
    void namespaceWithoutWorkloadInfoComesFromDestinationPrincipalOnlyViaMapper() throws Exception {
      String y = HEAD + "metadata: {name: deny, namespace: foo}\nspec:\n  action: DENY\n  rules: [{}]\n";
      assertThat(allowed(y, req().workload(WorkloadRef.UNKNOWN).build())).isTrue();
    }
  }

  @Nested
  class Sources {
    @Test
    void principalsExactPrefixSuffixAndPresence() throws Exception {
      RequestAttributes r = req().build();
      assertThat(allowed(allow("  - from: [{source: {principals: [cluster.local/ns/bar/sa/sleep]}}]\n"), r)).isTrue();
      assertThat(allowed(allow("  - from: [{source: {principals: [cluster.local/ns/bar/sa/other]}}]\n"), r)).isFalse();
      assertThat(allowed(allow("  - from: [{source: {principals: [cluster.local/ns/bar/*]}}]\n"), r)).isTrue();
      assertThat(allowed(allow("  - from: [{source: {principals: [\"*/sa/sleep\"]}}]\n"), r)).isTrue();
      assertThat(allowed(allow("  - from: [{source: {principals: [\"*\"]}}]\n"), r)).isTrue();
      assertThat(allowed(allow("  - from: [{source: {principals: [\"*\"]}}]\n"), req().sourcePrincipal(null).build())).isFalse();
    }

    @Test
    void principalsAreCaseSensitiveAndStarInTheMiddleIsLiteral() throws Exception {
      assertThat(allowed(allow("  - from: [{source: {principals: [cluster.local/ns/BAR/sa/sleep]}}]\n"), req().build())).isFalse();
      assertThat(allowed(allow("  - from: [{source: {principals: [cluster.local/ns/*/sa/sleep]}}]\n"), req().build())).isFalse();
    }

    @Test
    void notPrincipalsIsTrueForPlaintextPeers() throws Exception {
      String y = allow("  - from: [{source: {notPrincipals: [cluster.local/ns/bar/sa/sleep]}}]\n");
      assertThat(allowed(y, req().build())).isFalse();
      assertThat(allowed(y, req().sourcePrincipal(null).build())).isTrue();
      assertThat(allowed(y, req().sourcePrincipal("spiffe://cluster.local/ns/x/sa/y").build())).isTrue();
    }

    @Test
    void namespacesMatchTheNamespaceOfThePeerIdentity() throws Exception {
      assertThat(allowed(allow("  - from: [{source: {namespaces: [bar]}}]\n"), req().build())).isTrue();
      assertThat(allowed(allow("  - from: [{source: {namespaces: [ba]}}]\n"), req().build())).isFalse();
      assertThat(allowed(allow("  - from: [{source: {namespaces: [\"b*\"]}}]\n"), req().build())).isTrue();
      assertThat(allowed(allow("  - from: [{source: {namespaces: [\"*r\"]}}]\n"), req().build())).isTrue();
      assertThat(allowed(allow("  - from: [{source: {namespaces: [bar]}}]\n"), req().sourcePrincipal(null).build())).isFalse();
    }

    /**
     * Istio 1.31 quotes regex metacharacters in the principal-suffix, namespace and service-account
     * matchers it generates (istio/istio#59992, #59700): '.', '[', '+' in a value are literal, and only
     * '*' is a wildcard.
     */
    @Test
    void regexMetacharactersInIdentityValuesAreLiteral() throws Exception {
      RequestAttributes dotted = req().sourcePrincipal("spiffe://cluster.local/ns/a.b/sa/s.a").build();
      RequestAttributes lookalike = req().sourcePrincipal("spiffe://cluster.local/ns/aXb/sa/sXa").build();
      for (String source : List.of("principals: [\"*/ns/a.b/sa/s.a\"]", "principals: [\"cluster.local/ns/a.b/sa/*\"]",
          "namespaces: [a.b]", "namespaces: [\"a.*\"]", "namespaces: [\"*.b\"]", "serviceAccounts: [a.b/s.a]")) {
        String y = allow("  - from: [{source: {" + source + "}}]\n");
        assertThat(allowed(y, dotted)).as(source).isTrue();
        assertThat(allowed(y, lookalike)).as(source).isFalse();
      }
      String when = allow("  - when: [{key: source.namespace, values: [a.b]}]\n");
      assertThat(allowed(when, dotted)).isTrue();
      assertThat(allowed(when, lookalike)).isFalse();
      String bracket = allow("  - from: [{source: {namespaces: [\"a[b]+\"]}}]\n");
      assertThat(allowed(bracket, req().sourcePrincipal("spiffe://cluster.local/ns/a[b]+/sa/x").build())).isTrue();
      assertThat(allowed(bracket, req().sourcePrincipal("spiffe://cluster.local/ns/abb/sa/x").build())).isFalse();
    }

    @Test
    void notNamespacesTrueForPlaintextAndOtherNamespaces() throws Exception {
      String y = allow("  - from: [{source: {notNamespaces: [bar]}}]\n");
      assertThat(allowed(y, req().build())).isFalse();
      assertThat(allowed(y, req().sourcePrincipal(null).build())).isTrue();
      assertThat(allowed(y, req().sourcePrincipal("spiffe://cluster.local/ns/baz/sa/x").build())).isTrue();
    }

    @Test
    void serviceAccountsWithAndWithoutNamespace() throws Exception {
      assertThat(allowed(allow("  - from: [{source: {serviceAccounts: [bar/sleep]}}]\n"), req().build())).isTrue();
      assertThat(allowed(allow("  - from: [{source: {serviceAccounts: [sleep]}}]\n"), req().build())).isFalse();
      assertThat(allowed(allow("  - from: [{source: {serviceAccounts: [sleep]}}]\n"),
          req().sourcePrincipal("spiffe://cluster.local/ns/foo/sa/sleep").build())).isTrue();
      assertThat(allowed(allow("  - from: [{source: {notServiceAccounts: [bar/sleep]}}]\n"), req().build())).isFalse();
      assertThat(allowed(allow("  - from: [{source: {notServiceAccounts: [bar/sleep]}}]\n"), req().sourcePrincipal(null).build())).isTrue();
    }

    @Test
    void ipBlocksMatchIpsAndCidrsOfTheDirectPeer() throws Exception {
      assertThat(allowed(allow("  - from: [{source: {ipBlocks: [10.1.2.3]}}]\n"), req().build())).isTrue();
      assertThat(allowed(allow("  - from: [{source: {ipBlocks: [10.1.0.0/16]}}]\n"), req().build())).isTrue();
      assertThat(allowed(allow("  - from: [{source: {ipBlocks: [10.2.0.0/16]}}]\n"), req().build())).isFalse();
      assertThat(allowed(allow("  - from: [{source: {ipBlocks: [10.1.2.0/25]}}]\n"), req().build())).isTrue();
      assertThat(allowed(allow("  - from: [{source: {ipBlocks: [10.1.2.128/25]}}]\n"), req().build())).isFalse();
      assertThat(allowed(allow("  - from: [{source: {ipBlocks: [\"2001:db8::/32\"]}}]\n"), req().sourceIp("2001:db8::1").build())).isTrue();
      assertThat(allowed(allow("  - from: [{source: {ipBlocks: [\"2001:db8::/32\"]}}]\n"), req().build())).isFalse();
      assertThat(allowed(allow("  - from: [{source: {notIpBlocks: [10.1.0.0/16]}}]\n"), req().build())).isFalse();
      assertThat(allowed(allow("  - from: [{source: {notIpBlocks: [10.1.0.0/16]}}]\n"), req().sourceIp(null).build())).isTrue();
    }

    /** Go's netip reads an IPv4-mapped IPv6 value as IPv6, and Envoy's CidrRange never matches an address of the other family. */
    @Test
    void anIpv4MappedIpv6BlockIsAnIpv6BlockThatNoIpv4PeerIsIn() throws Exception {
      assertThat(allowed(allow("  - from: [{source: {ipBlocks: [\"::ffff:10.1.2.3\"]}}]\n"), req().build())).isFalse();
      assertThat(allowed(allow("  - from: [{source: {notIpBlocks: [\"::ffff:10.1.0.0/112\"]}}]\n"), req().build())).isTrue();
      assertThat(allowed(allow("  - from: [{source: {ipBlocks: [10.1.2.3]}}]\n"), req().build())).isTrue();
    }

    @Test
    void remoteIpBlocksUseTheOriginalClient() throws Exception {
      String y = allow("  - from: [{source: {remoteIpBlocks: [192.168.0.0/16]}}]\n");
      assertThat(allowed(y, req().remoteIp("192.168.4.4").build())).isTrue();
      assertThat(allowed(y, req().build())).isFalse();
      assertThat(allowed(allow("  - from: [{source: {notRemoteIpBlocks: [192.168.0.0/16]}}]\n"), req().remoteIp("192.168.4.4").build())).isFalse();
    }

    @Test
    void requestPrincipalsMatchIssuerSlashSubject() throws Exception {
      RequestIdentity id = new RequestIdentity("https://accounts.example.com", "alice", Map.of());
      assertThat(allowed(allow("  - from: [{source: {requestPrincipals: [https://accounts.example.com/alice]}}]\n"), req().build(), id)).isTrue();
      assertThat(allowed(allow("  - from: [{source: {requestPrincipals: [\"https://accounts.example.com/*\"]}}]\n"), req().build(), id)).isTrue();
      assertThat(allowed(allow("  - from: [{source: {requestPrincipals: [\"*/alice\"]}}]\n"), req().build(), id)).isTrue();
      assertThat(allowed(allow("  - from: [{source: {requestPrincipals: [\"*\"]}}]\n"), req().build(), id)).isTrue();
      assertThat(allowed(allow("  - from: [{source: {requestPrincipals: [\"*\"]}}]\n"), req().build())).isFalse();
      assertThat(allowed(allow("  - from: [{source: {requestPrincipals: [\"*\"]}}]\n"), req().build(),
          new RequestIdentity("https://i", "", Map.of()))).isFalse();
      assertThat(allowed(allow("  - from: [{source: {notRequestPrincipals: [\"*\"]}}]\n"), req().build())).isTrue();
      assertThat(allowed(allow("  - from: [{source: {notRequestPrincipals: [\"*\"]}}]\n"), req().build(), id)).isFalse();
    }

    /**
     * Istio (since 1.22, requestPrincipalGenerator) splits a value at its last '/' into issuer and subject
     * and matches the token's iss and sub claims separately: "iss/*" means exactly that issuer.
     */
    @Test
    void requestPrincipalsMatchIssuerAndSubjectSeparately() throws Exception {
      RequestIdentity tenant2 = new RequestIdentity("https://idp.example.com/tenant2", "bob", Map.of());
      assertThat(allowed(allow("  - from: [{source: {requestPrincipals: [\"https://idp.example.com/*\"]}}]\n"), req().build(), tenant2))
          .as("another issuer under the same URL prefix").isFalse();
      assertThat(allowed(allow("  - from: [{source: {requestPrincipals: [\"https://idp.example.com/tenant2/*\"]}}]\n"), req().build(), tenant2))
          .isTrue();
      assertThat(allowed(allow("  - from: [{source: {requestPrincipals: [\"https://idp.example.com/tenant2/b*\"]}}]\n"), req().build(), tenant2))
          .isTrue();
      RequestIdentity slashSub = new RequestIdentity("https://idp", "users/alice", Map.of());
      assertThat(allowed(allow("  - from: [{source: {requestPrincipals: [\"*/alice\"]}}]\n"), req().build(), slashSub))
          .as("subject must equal alice").isFalse();
      assertThat(allowed(allow("  - from: [{source: {requestPrincipals: [\"*idp/users/alice\"]}}]\n"), req().build(), slashSub))
          .as("issuer suffix 'idp/users' does not match issuer https://idp").isFalse();
      assertThat(allowed(allow("  - from: [{source: {requestPrincipals: [\"*@example.com\"]}}]\n"), req().build(),
          new RequestIdentity("https://idp", "carol@example.com", Map.of()))).isTrue();
      assertThat(allowed(allow("  - when: [{key: request.auth.principal, values: [\"https://idp.example.com/*\"]}]\n"), req().build(), tenant2))
          .isFalse();
    }

    /**
     * Istio 1.31 (srcTrustDomainGenerator): the value is matched against the trust domain of the peer's
     * SPIFFE identity, the part between spiffe:// and the next '/': exact, prefix*, *suffix, or * for any.
     */
    @Test
    void trustDomainsMatchTheTrustDomainOfThePeerIdentity() throws Exception {
      RequestAttributes r = req().build();
      assertThat(allowed(allow("  - from: [{source: {trustDomains: [cluster.local]}}]\n"), r)).isTrue();
      assertThat(allowed(allow("  - from: [{source: {trustDomains: [other.td, cluster.local]}}]\n"), r)).isTrue();
      assertThat(allowed(allow("  - from: [{source: {trustDomains: [other.td]}}]\n"), r)).isFalse();
      assertThat(allowed(allow("  - from: [{source: {trustDomains: [cluster]}}]\n"), r)).as("exact, not a prefix").isFalse();
      assertThat(allowed(allow("  - from: [{source: {trustDomains: [Cluster.local]}}]\n"), r)).as("case-sensitive").isFalse();
      assertThat(allowed(allow("  - from: [{source: {trustDomains: [\"cluster.*\"]}}]\n"), r)).isTrue();
      assertThat(allowed(allow("  - from: [{source: {trustDomains: [\"*.local\"]}}]\n"), r)).isTrue();
      assertThat(allowed(allow("  - from: [{source: {trustDomains: [\"*\"]}}]\n"), r)).isTrue();
      assertThat(allowed(allow("  - from: [{source: {trustDomains: [\"*.remote\"]}}]\n"), r)).isFalse();
      assertThat(allowed(allow("  - from: [{source: {trustDomains: [\"remote.*\"]}}]\n"), r)).isFalse();
      assertThat(allowed(allow("  - from: [{source: {trustDomains: [cluster.local]}}]\n"),
          req().sourcePrincipal("spiffe://cluster.local.evil/ns/bar/sa/sleep").build())).as("a longer domain").isFalse();
    }

    @Test
    void trustDomainWildcardsDoNotReachPastTheTrustDomain() throws Exception {
      RequestAttributes r = req().sourcePrincipal("spiffe://evil/ns/x.local/sa/cluster.sa").build();
      assertThat(allowed(allow("  - from: [{source: {trustDomains: [\"*.local\"]}}]\n"), r)).isFalse();
      assertThat(allowed(allow("  - from: [{source: {trustDomains: [\"*l\"]}}]\n"), r)).isTrue();
      assertThat(allowed(allow("  - from: [{source: {trustDomains: [\"evil.*\"]}}]\n"), r)).isFalse();
      assertThat(allowed(allow("  - from: [{source: {trustDomains: [\"ev*\"]}}]\n"), r)).isTrue();
      assertThat(allowed(allow("  - from: [{source: {trustDomains: [\"*\"]}}]\n"), req().sourcePrincipal(null).build())).isFalse();
      // No '/' after the trust domain: not a SPIFFE ID with a path, so nothing but "*" matches it (Istio requires "spiffe://<td>/").
      RequestAttributes bare = req().sourcePrincipal("spiffe://cluster.local").build();
      assertThat(allowed(allow("  - from: [{source: {trustDomains: [cluster.local]}}]\n"), bare)).isFalse();
      assertThat(allowed(allow("  - from: [{source: {trustDomains: [\"clu*\"]}}]\n"), bare)).isFalse();
      assertThat(allowed(allow("  - from: [{source: {trustDomains: [\"*local\"]}}]\n"), bare)).isFalse();
      assertThat(allowed(allow("  - from: [{source: {trustDomains: [\"*\"]}}]\n"), bare)).isTrue();
    }

    @Test
    void notTrustDomainsHoldForPlaintextPeersAndOtherTrustDomains() throws Exception {
      String y = allow("  - from: [{source: {notTrustDomains: [cluster.local]}}]\n");
      assertThat(allowed(y, req().build())).isFalse();
      assertThat(allowed(y, req().sourcePrincipal(null).build())).isTrue();
      assertThat(allowed(y, req().sourcePrincipal("spiffe://other.td/ns/bar/sa/sleep").build())).isTrue();
      String anyTd = allow("  - from: [{source: {notTrustDomains: [\"*\"]}}]\n");
      assertThat(allowed(anyTd, req().build())).isFalse();
      assertThat(allowed(anyTd, req().sourcePrincipal(null).build())).isTrue();
      String both = allow("  - from: [{source: {trustDomains: [\"*.local\"], notTrustDomains: [\"bad*\"]}}]\n");
      assertThat(allowed(both, req().build())).isTrue();
      assertThat(allowed(both, req().sourcePrincipal("spiffe://bad.local/ns/bar/sa/sleep").build())).isFalse();
    }

    @Test
    void trustDomainsAreAndedWithTheOtherSourceFields() throws Exception {
      String y = allow("  - from: [{source: {trustDomains: [cluster.local], namespaces: [bar]}}]\n");
      assertThat(allowed(y, req().build())).isTrue();
      assertThat(allowed(y, req().sourcePrincipal("spiffe://cluster.local/ns/baz/sa/sleep").build())).isFalse();
      assertThat(allowed(y, req().sourcePrincipal("spiffe://other.td/ns/bar/sa/sleep").build())).isFalse();
      String sa = allow("  - from: [{source: {trustDomains: [cluster.local], serviceAccounts: [bar/sleep]}}]\n");
      assertThat(allowed(sa, req().build())).isTrue();
    }

    @Test
    void fieldsOfOneSourceAreAndedAndSourcesAreOred() throws Exception {
      String and = allow("  - from: [{source: {namespaces: [bar], ipBlocks: [10.9.0.0/16]}}]\n");
      assertThat(allowed(and, req().build())).isFalse();
      String or = allow("  - from:\n    - source: {namespaces: [nope]}\n    - source: {ipBlocks: [10.1.0.0/16]}\n");
      assertThat(allowed(or, req().build())).isTrue();
      String both = allow("  - from: [{source: {principals: [\"cluster.local/*\"], notPrincipals: [cluster.local/ns/bar/sa/sleep]}}]\n");
      assertThat(allowed(both, req().build())).isFalse();
      assertThat(allowed(both, req().sourcePrincipal("spiffe://cluster.local/ns/bar/sa/x").build())).isTrue();
    }
  }

  @Nested
  class Operations {
    @Test
    void hostsIgnoreCaseAndDoNotMatchWithPort() throws Exception {
      String y = allow("  - to: [{operation: {hosts: [httpbin.example.com]}}]\n");
      assertThat(allowed(y, req().host("HTTPBIN.example.com").build())).isTrue();
      assertThat(allowed(y, req().host("httpbin.example.com:8080").build())).isFalse();
      assertThat(allowed(allow("  - to: [{operation: {hosts: [\"httpbin.example.com:*\"]}}]\n"), req().host("httpbin.example.com:8080").build())).isTrue();
      assertThat(allowed(allow("  - to: [{operation: {hosts: [\"*.example.com\"]}}]\n"), req().host("a.Example.com").build())).isTrue();
      assertThat(allowed(allow("  - to: [{operation: {notHosts: [\"*.example.com\"]}}]\n"), req().host("a.example.com").build())).isFalse();
    }

    @Test
    void methodsExactAndCaseSensitive() throws Exception {
      String y = allow("  - to: [{operation: {methods: [GET, HEAD]}}]\n");
      assertThat(allowed(y, req().method("HEAD").build())).isTrue();
      assertThat(allowed(y, req().method("get").build())).isFalse();
      assertThat(allowed(y, req().method("POST").build())).isFalse();
      assertThat(allowed(allow("  - to: [{operation: {notMethods: [DELETE]}}]\n"), req().method("DELETE").build())).isFalse();
      assertThat(allowed(allow("  - to: [{operation: {notMethods: [DELETE]}}]\n"), req().method("PUT").build())).isTrue();
    }

    @Test
    void portsMatchTheDestinationPort() throws Exception {
      assertThat(allowed(allow("  - to: [{operation: {ports: [\"8000\"]}}]\n"), req().build())).isTrue();
      assertThat(allowed(allow("  - to: [{operation: {ports: [8000]}}]\n"), req().build())).isTrue();
      assertThat(allowed(allow("  - to: [{operation: {ports: [\"9000\"]}}]\n"), req().build())).isFalse();
      assertThat(allowed(allow("  - to: [{operation: {notPorts: [\"8000\"]}}]\n"), req().build())).isFalse();
      // Go's strconv.ParseUint, which Istio uses, takes leading zeros.
      assertThat(allowed(allow("  - to: [{operation: {ports: [\"08000\"]}}]\n"), req().build())).isTrue();
    }

    @Test
    void pathsExactPrefixSuffixPresence() throws Exception {
      assertThat(allowed(allow("  - to: [{operation: {paths: [/info]}}]\n"), req().path("/info").build())).isTrue();
      assertThat(allowed(allow("  - to: [{operation: {paths: [/info]}}]\n"), req().path("/info/").build())).isFalse();
      assertThat(allowed(allow("  - to: [{operation: {paths: [\"/api/*\"]}}]\n"), req().path("/api/v1").build())).isTrue();
      assertThat(allowed(allow("  - to: [{operation: {paths: [\"/api/*\"]}}]\n"), req().path("/api").build())).isFalse();
      assertThat(allowed(allow("  - to: [{operation: {paths: [\"*.png\"]}}]\n"), req().path("/img/x.png").build())).isTrue();
      assertThat(allowed(allow("  - to: [{operation: {paths: [\"*\"]}}]\n"), req().path("/anything").build())).isTrue();
      assertThat(allowed(allow("  - to: [{operation: {paths: [/Info]}}]\n"), req().path("/info").build())).isFalse();
    }

    @Test
    void pathsIgnoreTheQueryString() throws Exception {
      assertThat(allowed(allow("  - to: [{operation: {paths: [/info]}}]\n"), req().path("/info?x=/admin").build())).isTrue();
    }

    /**
     * Istio generates url_path for paths, and Envoy's PathMatcher matches PathUtil::removeQueryAndFragment(:path):
     * everything from the first '?' or '#' is gone for exact, prefix, suffix, presence and template values alike.
     */
    @Test
    void everyPathFormIgnoresQueryAndFragment() throws Exception {
      assertThat(allowed(allow("  - to: [{operation: {paths: [/info]}}]\n"), req().path("/info#x").build())).isTrue();
      assertThat(allowed(allow("  - to: [{operation: {paths: [/info]}}]\n"), req().path("/info#x?y").build())).isTrue();
      assertThat(allowed(allow("  - to: [{operation: {paths: [/info]}}]\n"), req().path("/info?").build())).isTrue();
      assertThat(allowed(allow("  - to: [{operation: {paths: [\"*.png\"]}}]\n"), req().path("/a.png?v=1").build())).isTrue();
      assertThat(allowed(allow("  - to: [{operation: {paths: [\"*=1\"]}}]\n"), req().path("/a.png?v=1").build())).isFalse();
      assertThat(allowed(allow("  - to: [{operation: {paths: [\"/api/*\"]}}]\n"), req().path("/api?/x").build())).isFalse();
      assertThat(allowed(allow("  - to: [{operation: {paths: [\"/f/{*}\"]}}]\n"), req().path("/f/a?b/c").build())).isTrue();
      assertThat(allowed(allow("  - to: [{operation: {paths: [\"/f/{**}\"]}}]\n"), req().path("/f/a#b*c").build())).isTrue();
      String deny = HEAD + "metadata: {name: d, namespace: foo}\nspec:\n  action: DENY\n  rules:\n"
          + "  - to: [{operation: {notPaths: [/public]}}]\n";
      assertThat(allowed(deny, req().path("/public?next=/admin").build())).isTrue();
      assertThat(allowed(deny, req().path("/admin?x=/public").build())).isFalse();
    }

    /**
     * Istio's StringMatcher: only a leading or trailing '*' is special (a value both starting and ending with '*' is a
     * suffix ending in '*'), '*' alone is the regex ".+", and nothing ignores case.
     */
    @Test
    void pathValuesAreIstiosStringMatcherForms() throws Exception {
      String mid = allow("  - to: [{operation: {paths: [\"/a*b\"]}}]\n");
      assertThat(allowed(mid, req().path("/a*b").build())).isTrue();
      assertThat(allowed(mid, req().path("/axb").build())).isFalse();
      String both = allow("  - to: [{operation: {paths: [\"*/b*\"]}}]\n");
      assertThat(allowed(both, req().path("/x/b*").build())).isTrue();
      assertThat(allowed(both, req().path("/x/bc").build())).isFalse();
      assertThat(allowed(allow("  - to: [{operation: {paths: [\"*\"]}}]\n"), req().path("/").build())).isTrue();
      assertThat(allowed(allow("  - to: [{operation: {notPaths: [\"*\"]}}]\n"), req().path("/").build())).isFalse();
      assertThat(allowed(allow("  - to: [{operation: {paths: [\"/API/*\"]}}]\n"), req().path("/api/x").build())).isFalse();
      assertThat(allowed(allow("  - to: [{operation: {paths: [\"*/X\"]}}]\n"), req().path("/a/x").build())).isFalse();
    }

    @Test
    void pathsAreMatchedAfterNormalisation() throws Exception {
      String deny = HEAD + "metadata: {name: d, namespace: foo}\nspec:\n  action: DENY\n  rules:\n  - to: [{operation: {paths: [\"/admin*\"]}}]\n";
      assertThat(allowed(deny, req().path("/public/../admin").build())).isFalse();
      assertThat(allowed(deny, req().path("/%61dmin").build())).isFalse();
      assertThat(allowed(deny, req().path("/public/./../admin/x").build())).isFalse();
      assertThat(allowed(deny, req().path("\\admin").build())).isTrue();
    }

    @Test
    void pathTemplates() throws Exception {
      String one = allow("  - to: [{operation: {paths: [\"/foo/{*}/bar\"]}}]\n");
      assertThat(allowed(one, req().path("/foo/x/bar").build())).isTrue();
      assertThat(allowed(one, req().path("/foo/x/y/bar").build())).isFalse();
      assertThat(allowed(one, req().path("/foo//bar").build())).isFalse();
      String many = allow("  - to: [{operation: {paths: [\"/foo/{**}/bar\"]}}]\n");
      assertThat(allowed(many, req().path("/foo/x/y/z/bar").build())).isTrue();
      assertThat(allowed(many, req().path("/foo/x/y/z/baz").build())).isFalse();
      String tail = allow("  - to: [{operation: {paths: [\"/foo/{**}\"]}}]\n");
      assertThat(allowed(tail, req().path("/foo/a/b").build())).isTrue();
      assertThat(allowed(tail, req().path("/foobar").build())).isFalse();
      // Istio's validation rejects "/{**}.m3u8" ({**} must be a whole segment); a literal after it is fine.
      String after = allow("  - to: [{operation: {paths: [\"/v/{**}/index.m3u8\"]}}]\n");
      assertThat(allowed(after, req().path("/v/1/2/index.m3u8").build())).isTrue();
      assertThat(allowed(after, req().path("/v/1/2/a.m3u8").build())).isFalse();
      String notT = allow("  - to: [{operation: {notPaths: [\"/private/{*}\"]}}]\n");
      assertThat(allowed(notT, req().path("/private/x").build())).isFalse();
      assertThat(allowed(notT, req().path("/private/x/y").build())).isTrue();
      String literal = allow("  - to: [{operation: {paths: [\"/a.b/{*}\"]}}]\n");
      assertThat(allowed(literal, req().path("/axb/c").build())).isFalse();
    }

    /**
     * Istio hands templates to Envoy's uri_template matcher, which turns {*} into [pchar]+ and {**} into [pchar/]*
     * (uri_template_internal.cc, kLiteral: RFC 3986 pchar without '*'): a segment with '*', '[', ']', … is not matched.
     */
    @Test
    void pathTemplateOperatorsMatchOnlyTheCharactersOfEnvoysUriTemplate() throws Exception {
      String one = allow("  - to: [{operation: {paths: [\"/files/{*}\"]}}]\n");
      assertThat(allowed(one, req().path("/files/a;b=c:d@e!$&'()+,~%2A").build())).isTrue();
      assertThat(allowed(one, req().path("/files/a*b").build())).isFalse();
      assertThat(allowed(one, req().path("/files/a[1]").build())).isFalse();
      String many = allow("  - to: [{operation: {paths: [\"/files/{**}\"]}}]\n");
      assertThat(allowed(many, req().path("/files/x/y;z").build())).isTrue();
      assertThat(allowed(many, req().path("/files/x/a*b").build())).isFalse();
      String deny = HEAD + "metadata: {name: d, namespace: foo}\nspec:\n  action: DENY\n  rules:\n"
          + "  - to: [{operation: {paths: [\"/admin/{**}\"]}}]\n";
      assertThat(allowed(deny, req().path("/admin/x]y").build())).isTrue();
    }

    /**
     * Envoy's path normalisation (Istio BASE) escapes '^', '|', '{', '}', '"', '<', '>' and '`' (Chromium's
     * kPathCharLookup ESCAPE) before RBAC matches: the escaped form is what paths and templates see, so a DENY on
     * /admin/{**} also covers /admin/x^y (as /admin/x%5Ey), and exact values must spell the escape.
     */
    @Test
    void pathsSeeTheCharactersEnvoysNormalisationEscapesAsEscapes() throws Exception {
      String deny = HEAD + "metadata: {name: d, namespace: foo}\nspec:\n  action: DENY\n  rules:\n"
          + "  - to: [{operation: {paths: [\"/admin/{**}\"]}}]\n";
      assertThat(allowed(deny, req().path("/admin/x^y").build())).isFalse();
      assertThat(allowed(deny, req().path("/admin/a|b").build())).isFalse();
      String one = allow("  - to: [{operation: {paths: [\"/files/{*}\"]}}]\n");
      assertThat(allowed(one, req().path("/files/a|b").build())).isTrue();
      assertThat(allowed(allow("  - to: [{operation: {paths: [\"/q/a%7Bb%7D\"]}}]\n"), req().path("/q/a{b}").build())).isTrue();
      assertThat(allowed(allow("  - to: [{operation: {paths: [\"/q/a^b\"]}}]\n"), req().path("/q/a^b").build())).isFalse();
      assertThat(allowed(allow("  - to: [{operation: {paths: [\"/q/a%5Eb\"]}}]\n"), req().path("/q/a^b").build())).isTrue();
    }

    /** Envoy keeps a reserved escape exactly as sent (hex case included) and its url_path matcher is case-sensitive. */
    @Test
    void escapedSlashesAreMatchedWithTheCaseOfTheirHexDigits() throws Exception {
      String upper = allow("  - to: [{operation: {paths: [\"/a%2Fb\"]}}]\n");
      assertThat(allowed(upper, req().path("/a%2Fb").build())).isTrue();
      assertThat(allowed(upper, req().path("/a%2fb").build())).isFalse();
      assertThat(allowed(upper, req().path("/a/b").build())).isFalse();
      String deny = HEAD + "metadata: {name: d, namespace: foo}\nspec:\n  action: DENY\n  rules:\n"
          + "  - to: [{operation: {paths: [\"/a%2fb\"]}}]\n";
      assertThat(allowed(deny, req().path("/a%2fb").build())).isFalse();
      assertThat(allowed(deny, req().path("/a%2Fb").build())).isTrue();
    }

    @Test
    void operationsAreOredAndTheirFieldsAnded() throws Exception {
      String y = allow("  - to:\n    - operation: {methods: [GET], paths: [/read]}\n    - operation: {methods: [POST], paths: [/write]}\n");
      assertThat(allowed(y, req().method("GET").path("/read").build())).isTrue();
      assertThat(allowed(y, req().method("POST").path("/write").build())).isTrue();
      assertThat(allowed(y, req().method("POST").path("/read").build())).isFalse();
    }

    @Test
    void fromToAndWhenAreAllRequired() throws Exception {
      String y = allow("  - from: [{source: {namespaces: [bar]}}]\n    to: [{operation: {methods: [GET]}}]\n"
          + "    when: [{key: \"request.headers[x-ok]\", values: [\"yes\"]}]\n");
      assertThat(allowed(y, req().header("X-Ok", "yes").build())).isTrue();
      assertThat(allowed(y, req().build())).isFalse();
      assertThat(allowed(y, req().header("x-ok", "yes").method("PUT").build())).isFalse();
      assertThat(allowed(y, req().header("x-ok", "yes").sourcePrincipal(null).build())).isFalse();
    }
  }

  @Nested
  class Conditions {
    @Test
    void headerValuesAndPresence() throws Exception {
      assertThat(allowed(allow("  - when: [{key: \"request.headers[version]\", values: [v1, v2]}]\n"), req().header("version", "v2").build())).isTrue();
      assertThat(allowed(allow("  - when: [{key: \"request.headers[version]\", values: [\"v*\"]}]\n"), req().header("version", "v9").build())).isTrue();
      assertThat(allowed(allow("  - when: [{key: \"request.headers[version]\", values: [\"*\"]}]\n"), req().header("version", "").build())).isTrue();
      assertThat(allowed(allow("  - when: [{key: \"request.headers[version]\", values: [\"*\"]}]\n"), req().build())).isFalse();
      assertThat(allowed(allow("  - when: [{key: \"request.headers[Version]\", values: [v1]}]\n"), req().header("version", "v1").build())).isTrue();
      assertThat(allowed(allow("  - when: [{key: \"request.headers[version]\", values: [V1]}]\n"), req().header("version", "v1").build())).isFalse();
    }

    /** Envoy's header matcher lower-cases its name with absl::AsciiStrToLower: only A-Z fold, the Kelvin sign stays. */
    @Test
    void headerNamesFoldOnlyAsciiLetters() throws Exception {
      assertThat(allowed(allow("  - when: [{key: \"request.headers[X-\u212Aey]\", values: [v]}]\n"), req().header("x-key", "v").build())).isFalse();
      assertThat(allowed(allow("  - when: [{key: \"request.headers[X-KEY]\", values: [v]}]\n"), req().header("x-key", "v").build())).isTrue();
    }

    @Test
    void notValuesHoldForAMissingHeader() throws Exception {
      String y = allow("  - when: [{key: \"request.headers[x-block]\", notValues: [\"yes\"]}]\n");
      assertThat(allowed(y, req().build())).isTrue();
      assertThat(allowed(y, req().header("x-block", "yes").build())).isFalse();
      assertThat(allowed(y, req().header("x-block", "no").build())).isTrue();
    }

    @Test
    void valuesAndNotValuesAreAnded() throws Exception {
      String y = allow("  - when: [{key: \"request.headers[v]\", values: [\"a*\"], notValues: [abc]}]\n");
      assertThat(allowed(y, req().header("v", "ab").build())).isTrue();
      assertThat(allowed(y, req().header("v", "abc").build())).isFalse();
    }

    @Test
    void allConditionsMustHold() throws Exception {
      String y = allow("  - when:\n    - {key: \"request.headers[a]\", values: [\"1\"]}\n    - {key: \"request.headers[b]\", values: [\"2\"]}\n");
      assertThat(allowed(y, req().header("a", "1").header("b", "2").build())).isTrue();
      assertThat(allowed(y, req().header("a", "1").build())).isFalse();
    }

    @Test
    void ipConditions() throws Exception {
      assertThat(allowed(allow("  - when: [{key: source.ip, values: [10.1.0.0/16]}]\n"), req().build())).isTrue();
      assertThat(allowed(allow("  - when: [{key: remote.ip, values: [10.1.2.3]}]\n"), req().build())).isTrue();
      assertThat(allowed(allow("  - when: [{key: remote.ip, values: [10.1.2.3]}]\n"), req().remoteIp("1.1.1.1").build())).isFalse();
      assertThat(allowed(allow("  - when: [{key: destination.ip, values: [10.9.9.0/24]}]\n"), req().build())).isTrue();
      assertThat(allowed(allow("  - when: [{key: destination.ip, notValues: [10.9.9.0/24]}]\n"), req().build())).isFalse();
    }

    @Test
    void identityConditions() throws Exception {
      assertThat(allowed(allow("  - when: [{key: source.namespace, values: [bar]}]\n"), req().build())).isTrue();
      assertThat(allowed(allow("  - when: [{key: source.namespace, notValues: [bar]}]\n"), req().build())).isFalse();
      assertThat(allowed(allow("  - when: [{key: source.principal, values: [cluster.local/ns/bar/sa/sleep]}]\n"), req().build())).isTrue();
      assertThat(allowed(allow("  - when: [{key: source.principal, values: [\"*\"]}]\n"), req().sourcePrincipal(null).build())).isFalse();
    }

    @Test
    void portAndSniConditions() throws Exception {
      assertThat(allowed(allow("  - when: [{key: destination.port, values: [\"8000\"]}]\n"), req().build())).isTrue();
      assertThat(allowed(allow("  - when: [{key: destination.port, values: [\"80\"]}]\n"), req().build())).isFalse();
      assertThat(allowed(allow("  - when: [{key: connection.sni, values: [\"*.example.com\"]}]\n"), req().sni("a.example.com").build())).isTrue();
      assertThat(allowed(allow("  - when: [{key: connection.sni, values: [\"*.example.com\"]}]\n"), req().build())).isFalse();
    }

    /** Istio 1.31's when key source.trustDomain: the same matcher as a source's trustDomains. */
    @Test
    void sourceTrustDomainCondition() throws Exception {
      assertThat(allowed(allow("  - when: [{key: source.trustDomain, values: [cluster.local]}]\n"), req().build())).isTrue();
      assertThat(allowed(allow("  - when: [{key: source.trustDomain, values: [other.td]}]\n"), req().build())).isFalse();
      assertThat(allowed(allow("  - when: [{key: source.trustDomain, values: [\"clu*\"]}]\n"), req().build())).isTrue();
      assertThat(allowed(allow("  - when: [{key: source.trustDomain, values: [\"*.local\"]}]\n"), req().build())).isTrue();
      assertThat(allowed(allow("  - when: [{key: source.trustDomain, values: [\"*\"]}]\n"), req().sourcePrincipal(null).build())).isFalse();
      assertThat(allowed(allow("  - when: [{key: source.trustDomain, notValues: [cluster.local]}]\n"), req().build())).isFalse();
      assertThat(allowed(allow("  - when: [{key: source.trustDomain, notValues: [cluster.local]}]\n"), req().sourcePrincipal(null).build()))
          .isTrue();
      assertThat(allowed(allow("  - when: [{key: source.trustDomain, values: [\"*\"], notValues: [\"*.local\"]}]\n"), req().build())).isFalse();
    }

    /**
     * Istio validates the when key's values only for wildcards (CheckWildcardValues), not for '/', and
     * generates the prefix spiffe://value/: a value with a '/' matches principals that start that way.
     */
    @Test
    void sourceTrustDomainConditionValueWithSlashMatchesAsIstioGeneratesIt() throws Exception {
      assertThat(allowed(allow("  - when: [{key: source.trustDomain, values: [cluster.local/ns/bar]}]\n"), req().build())).isTrue();
      assertThat(allowed(allow("  - when: [{key: source.trustDomain, values: [cluster.local/ns/baz]}]\n"), req().build())).isFalse();
      assertThat(allowed(allow("  - when: [{key: source.trustDomain, values: [\"cluster.local/ns/b*\"]}]\n"), req().build())).isTrue();
      assertThat(allowed(allow("  - when: [{key: source.trustDomain, values: [\"*.local/ns/bar\"]}]\n"), req().build())).isTrue();
      assertThat(allowed(allow("  - when: [{key: source.trustDomain, values: [\"*.local/ns/baz\"]}]\n"), req().build())).isFalse();
    }

    /** Istio (1.25+, with the serviceAccounts field) also accepts the when key source.serviceAccount, with the same value forms. */
    @Test
    void sourceServiceAccountCondition() throws Exception {
      assertThat(allowed(allow("  - when: [{key: source.serviceAccount, values: [bar/sleep]}]\n"), req().build())).isTrue();
      assertThat(allowed(allow("  - when: [{key: source.serviceAccount, values: [sleep]}]\n"), req().build())).isFalse();
      assertThat(allowed(allow("  - when: [{key: source.serviceAccount, values: [sleep]}]\n"),
          req().sourcePrincipal("spiffe://cluster.local/ns/foo/sa/sleep").build())).isTrue();
      assertThat(allowed(allow("  - when: [{key: source.serviceAccount, notValues: [bar/sleep]}]\n"), req().build())).isFalse();
      assertThat(allowed(allow("  - when: [{key: source.serviceAccount, notValues: [bar/sleep]}]\n"), req().sourcePrincipal(null).build()))
          .isTrue();
    }

    @Test
    void requestAuthConditions() throws Exception {
      RequestIdentity id = new RequestIdentity("https://idp", "alice", Map.of(
          "iss", "https://idp", "sub", "alice", "aud", List.of("web", "api"), "azp", "frontend",
          "groups", List.of("admin", "dev"), "scope", "read write", "org", Map.of("team", "payments", "tags", List.of("x")),
          "email_verified", true));
      assertThat(allowed(allow("  - when: [{key: request.auth.principal, values: [https://idp/alice]}]\n"), req().build(), id)).isTrue();
      assertThat(allowed(allow("  - when: [{key: request.auth.audiences, values: [api]}]\n"), req().build(), id)).isTrue();
      assertThat(allowed(allow("  - when: [{key: request.auth.audiences, values: [other]}]\n"), req().build(), id)).isFalse();
      assertThat(allowed(allow("  - when: [{key: request.auth.presenter, values: [frontend]}]\n"), req().build(), id)).isTrue();
      assertThat(allowed(allow("  - when: [{key: \"request.auth.claims[groups]\", values: [admin]}]\n"), req().build(), id)).isTrue();
      assertThat(allowed(allow("  - when: [{key: \"request.auth.claims[groups]\", values: [\"adm*\"]}]\n"), req().build(), id)).isTrue();
      assertThat(allowed(allow("  - when: [{key: \"request.auth.claims[groups]\", notValues: [admin]}]\n"), req().build(), id)).isFalse();
      assertThat(allowed(allow("  - when: [{key: \"request.auth.claims[scope]\", values: [write]}]\n"), req().build(), id)).isTrue();
      assertThat(allowed(allow("  - when: [{key: \"request.auth.claims[org][team]\", values: [payments]}]\n"), req().build(), id)).isTrue();
      assertThat(allowed(allow("  - when: [{key: \"request.auth.claims[org][tags]\", values: [x]}]\n"), req().build(), id)).isTrue();
      assertThat(allowed(allow("  - when: [{key: \"request.auth.claims[org][missing]\", values: [\"*\"]}]\n"), req().build(), id)).isFalse();
      assertThat(allowed(allow("  - when: [{key: \"request.auth.claims[groups]\", values: [admin]}]\n"), req().build())).isFalse();
      assertThat(allowed(allow("  - when: [{key: \"request.auth.claims[groups]\", notValues: [admin]}]\n"), req().build())).isTrue();
    }

    /**
     * Istio compiles a claim condition to Envoy's metadata matcher OR(list oneOf string, string): only
     * string values and string list elements can match. Booleans, numbers, objects and lists of
     * non-strings never match a value (not even "*"), so their notValues always hold.
     */
    @Test
    void nonStringClaimsNeverMatchAValueAsInIstio() throws Exception {
      RequestIdentity id = new RequestIdentity("https://idp", "alice", Map.of(
          "iss", "https://idp", "sub", "alice", "email_verified", true, "level", 3L, "ratio", 0.5,
          "ids", List.of(1L, 2L), "mixed", List.of("admin", 7L, false), "org", Map.of("team", "payments"),
          "teams", List.of(Map.of("name", "payments")), "nested", List.of(List.of("x"))));
      for (String claim : List.of("email_verified", "level", "ratio", "ids", "org", "teams", "nested")) {
        for (String v : List.of("true", "3", "0.5", "1", "*", "payments", "x")) {
          assertThat(allowed(allow("  - when: [{key: \"request.auth.claims[" + claim + "]\", values: [\"" + v + "\"]}]\n"), req().build(), id))
              .as("claims[%s] values [%s]", claim, v).isFalse();
        }
        assertThat(allowed(allow("  - when: [{key: \"request.auth.claims[" + claim + "]\", notValues: [\"*\"]}]\n"), req().build(), id))
            .as("claims[%s] notValues [*]", claim).isTrue();
      }
      assertThat(allowed(allow("  - when: [{key: \"request.auth.claims[mixed]\", values: [admin]}]\n"), req().build(), id)).isTrue();
      assertThat(allowed(allow("  - when: [{key: \"request.auth.claims[mixed]\", values: [\"7\"]}]\n"), req().build(), id)).isFalse();
      // A path through a non-object (a string, a list) finds nothing.
      assertThat(allowed(allow("  - when: [{key: \"request.auth.claims[sub][x]\", values: [\"*\"]}]\n"), req().build(), id)).isFalse();
      assertThat(allowed(allow("  - when: [{key: \"request.auth.claims[teams][name]\", values: [payments]}]\n"), req().build(), id)).isFalse();
      assertThat(allowed(allow("  - when: [{key: \"request.auth.claims[org][team]\", values: [\"pay*\"]}]\n"), req().build(), id)).isTrue();
    }

    @Test
    void envoyFilterMetadataConditionsMatchStringsAndListsAsIstioGeneratesThem() throws Exception {
      String key = "experimental.envoy.filters.network.mysql_proxy[db.table]";
      RequestAttributes update = req().filterMetadata("envoy.filters.network.mysql_proxy",
          Map.of("db.table", List.of("update", "insert"), "db.name", "orders", "rows", 3L)).build();
      assertThat(allowed(allow("  - when: [{key: \"" + key + "\", values: [\"[update]\"]}]\n"), update)).isTrue();
      assertThat(allowed(allow("  - when: [{key: \"" + key + "\", values: [\"[upd*]\"]}]\n"), update)).isTrue();
      assertThat(allowed(allow("  - when: [{key: \"" + key + "\", values: [\"[delete]\"]}]\n"), update)).isFalse();
      // Without brackets the value must be a string: a list does not match.
      assertThat(allowed(allow("  - when: [{key: \"" + key + "\", values: [update]}]\n"), update)).isFalse();
      assertThat(allowed(allow("  - when: [{key: \"" + key + "\", notValues: [\"[update]\"]}]\n"), update)).isFalse();
      String name = "experimental.envoy.filters.network.mysql_proxy[db.name]";
      assertThat(allowed(allow("  - when: [{key: \"" + name + "\", values: [\"ord*\"]}]\n"), update)).isTrue();
      assertThat(allowed(allow("  - when: [{key: \"" + name + "\", values: [\"[orders]\"]}]\n"), update)).isFalse();
      assertThat(allowed(allow("  - when: [{key: \"experimental.envoy.filters.network.mysql_proxy[rows]\", values: [\"3\"]}]\n"), update)).isFalse();
      // No metadata for the filter: nothing matches, so notValues hold.
      assertThat(allowed(allow("  - when: [{key: \"" + name + "\", values: [\"*\"]}]\n"), req().build())).isFalse();
      assertThat(allowed(allow("  - when: [{key: \"" + name + "\", notValues: [orders]}]\n"), req().build())).isTrue();
    }
  }

  /**
   * Keys with brackets as Istio's generator reads them (pilot/pkg/security/authz/model/generator.go, util.go): a header
   * name is everything between the '[' right after request.headers and the last ']'; claim names are read
   * [a][b]… left to right, and when that fails the whole bracket text is one claim name; an Envoy filter key is
   * split at its first '[' and loses one trailing ']'; a list value loses all its leading and trailing brackets.
   */
  @Nested
  class BracketKeys {
    final RequestIdentity id = new RequestIdentity("https://idp", "alice", Map.of("iss", "https://idp", "sub", "alice",
        "a[b]", "one", "a][b]c", "two", "org", Map.of("", "blank", "team", "payments"), "a", "plain"));

    @Test
    void claimNamesThatAreNotSimpleBracketPathsAreOneClaimAsInIstio() throws Exception {
      assertThat(allowed(allow("  - when: [{key: \"request.auth.claims[a[b]]\", values: [one]}]\n"), req().build(), id)).isTrue();
      assertThat(allowed(allow("  - when: [{key: \"request.auth.claims[a][b]c]\", values: [two]}]\n"), req().build(), id)).isTrue();
      assertThat(allowed(allow("  - when: [{key: \"request.auth.claims[org][]\", values: [blank]}]\n"), req().build(), id)).isTrue();
      assertThat(allowed(allow("  - when: [{key: \"request.auth.claims[org][team]\", values: [payments]}]\n"), req().build(), id)).isTrue();
      assertThat(allowed(allow("  - when: [{key: \"request.auth.claims[a[b]]\", values: [plain]}]\n"), req().build(), id)).isFalse();
    }

    @Test
    void headerNameIsEverythingBetweenTheOuterBrackets() throws Exception {
      assertThat(allowed(allow("  - when: [{key: \"request.headers[[x]]\", values: [\"1\"]}]\n"), req().header("[x]", "1").build())).isTrue();
      assertThat(allowed(allow("  - when: [{key: \"request.headers[[x]]\", values: [\"1\"]}]\n"), req().header("x", "1").build())).isFalse();
    }

    @Test
    void envoyFilterKeyKeepsInnerBracketsAndListValuesLoseAllOuterBrackets() throws Exception {
      RequestAttributes r = req().filterMetadata("envoy.filters.f", Map.of("a][b", "s", "k", List.of("v"))).build();
      assertThat(allowed(allow("  - when: [{key: \"experimental.envoy.filters.f[a][b]\", values: [s]}]\n"), r)).isTrue();
      assertThat(allowed(allow("  - when: [{key: \"experimental.envoy.filters.f[k]\", values: [\"[[v]]\"]}]\n"), r)).isTrue();
      assertThat(allowed(allow("  - when: [{key: \"experimental.envoy.filters.f[k]\", values: [\"[v]]\"]}]\n"), r)).isTrue();
    }

    /**
     * request.headersX[a] and request.auth.claimsX[a] pass Istio's validation but its generator cannot read them: it
     * skips such an ALLOW rule and drops just that condition from a DENY or AUDIT rule (model.go checkError).
     */
    @Test
    void aKeyIstioValidatesButCannotGenerateSkipsAnAllowRuleAndWidensADenyRule() throws Exception {
      String allowBad = allow("  - when: [{key: \"request.headersX[a]\", notValues: [nothing]}]\n  - to: [{operation: {paths: [/ok]}}]\n");
      assertThat(allowed(allowBad, req().header("a", "1").path("/other").build())).isFalse();
      assertThat(evaluate(load(allowBad), req().path("/ok").build()).matchedRule()).isEqualTo(1);
      String deny = HEAD + "metadata: {name: d, namespace: foo}\nspec:\n  action: DENY\n  rules:\n"
          + "  - to: [{operation: {paths: [/admin]}}]\n    when: [{key: \"request.auth.claimsX[role]\", values: [intruder]}]\n";
      assertThat(allowed(deny, req().path("/admin").build(), id)).isFalse();
      assertThat(allowed(deny, req().path("/public").build(), id)).isTrue();
    }
  }

  /**
   * Envoy compares addresses with CidrRange::isInRange (source/common/network/cidr_range.cc): only addresses of one
   * family, IPv6 by their 128 bits whatever their scope id; Envoy writes a scoped IPv6 peer as {@code fe80::1%2}
   * (address_impl.cc makeFriendlyAddress) and an IPv4-mapped peer as {@code ::ffff:a.b.c.d}.
   */
  @Nested
  class IpForms {
    @Test
    void aScopedIpv6PeerIsMatchedByItsAddress() throws Exception {
      assertThat(allowed(allow("  - from: [{source: {ipBlocks: [\"fe80::/10\"]}}]\n"), req().sourceIp("fe80::1%2").build())).isTrue();
      String deny = HEAD + "metadata: {name: d, namespace: foo}\nspec:\n  action: DENY\n  rules:\n"
          + "  - from: [{source: {ipBlocks: [\"fe80::1\"]}}]\n";
      assertThat(allowed(deny, req().sourceIp("fe80::1%2").build())).isFalse();
      assertThat(allowed(allow("  - when: [{key: destination.ip, values: [\"fe80::9\"]}]\n"), req().destinationIp("fe80::9%3").build())).isTrue();
    }

    @Test
    void anIpv4MappedPeerIsAnIpv6Address() throws Exception {
      RequestAttributes mapped = req().sourceIp("::ffff:10.1.2.3").build();
      assertThat(allowed(allow("  - from: [{source: {ipBlocks: [\"::ffff:10.1.0.0/112\"]}}]\n"), mapped)).isTrue();
      assertThat(allowed(allow("  - from: [{source: {ipBlocks: [\"::ffff:10.1.2.3\"]}}]\n"), mapped)).isTrue();
      assertThat(allowed(allow("  - from: [{source: {ipBlocks: [10.1.0.0/16]}}]\n"), mapped)).isFalse();
      assertThat(allowed(allow("  - from: [{source: {notRemoteIpBlocks: [10.1.0.0/16]}}]\n"), mapped)).isTrue();
    }

    /** netip.ParseAddr accepts a zone and Istio's AddrStrToPrefix (netip.PrefixFrom) drops it; ParsePrefix refuses one. */
    @Test
    void aZoneInAPolicyAddressIsAcceptedAndIgnored() throws Exception {
      assertThat(allowed(allow("  - from: [{source: {ipBlocks: [\"fe80::1%eth0\"]}}]\n"), req().sourceIp("fe80::1").build())).isTrue();
      assertThat(allowed(allow("  - from: [{source: {ipBlocks: [\"fe80::1%eth0\"]}}]\n"), req().sourceIp("fe80::2").build())).isFalse();
      assertThat(allowed(allow("  - when: [{key: remote.ip, values: [\"::ffff:10.1.2.3%x\"]}]\n"), req().remoteIp("::ffff:10.1.2.3").build()))
          .isTrue();
    }
  }

  @Nested
  class TcpTraffic {
    RequestAttributes tcp() {
      return RequestAttributes.builder().http(false).workload(HTTPBIN).sourceIp("10.1.2.3").destinationPort(5432)
          .sourcePrincipal("spiffe://cluster.local/ns/bar/sa/sleep").build();
    }

    @Test
    void allowRuleWithHttpOnlyFieldsIsDroppedForTcp() throws Exception {
      assertThat(allowed(allow("  - to: [{operation: {methods: [GET], ports: [\"5432\"]}}]\n"), tcp())).isFalse();
      assertThat(allowed(allow("  - to: [{operation: {ports: [\"5432\"]}}]\n"), tcp())).isTrue();
    }

    /** srcTrustDomainGenerator builds a principal matcher whatever forTCP is: trust domains apply to TCP. */
    @Test
    void trustDomainsApplyToTcp() throws Exception {
      assertThat(allowed(allow("  - from: [{source: {trustDomains: [cluster.local]}}]\n"), tcp())).isTrue();
      assertThat(allowed(allow("  - from: [{source: {trustDomains: [other.td]}}]\n"), tcp())).isFalse();
      assertThat(allowed(allow("  - when: [{key: source.trustDomain, values: [cluster.local]}]\n"), tcp())).isTrue();
      String deny = HEAD + "metadata: {name: d, namespace: foo}\nspec:\n  action: DENY\n  rules:\n"
          + "  - from: [{source: {notTrustDomains: [cluster.local]}}]\n";
      assertThat(allowed(deny, tcp())).isTrue();
    }

    @Test
    void denyRuleIgnoresOnlyTheHttpFieldsForTcp() throws Exception {
      String y = HEAD + "metadata: {name: d, namespace: foo}\nspec:\n  action: DENY\n  rules:\n"
          + "  - to: [{operation: {methods: [GET], ports: [\"5432\"]}}]\n";
      assertThat(allowed(y, tcp())).isFalse();
      String other = HEAD + "metadata: {name: d, namespace: foo}\nspec:\n  action: DENY\n  rules:\n"
          + "  - to: [{operation: {methods: [GET], ports: [\"9999\"]}}]\n";
      assertThat(allowed(other, tcp())).isTrue();
    }
  }

  /**
   * The Host header as Envoy hands it over. Envoy's request header map keeps Host only as {@code :authority}: the HTTP/1
   * codec's "host" is stored under it and a lookup of "host" finds it (the static lookup table's "legacy host header"
   * entry in source/common/http/header_map_impl.cc). So ext_authz sends {@code :authority} and {@code http.host}, never
   * a "host" header, for HTTP/1.1 and HTTP/2 alike — and the RBAC filter Istio configures reads that same entry for
   * {@code hosts} (HostMatcher on :authority, ignoring case) and for {@code request.headers[host]} (HeaderMatcher "host").
   */
  @Nested
  class HostAsEnvoySendsIt {
    private final io.switchyard.extauthz.request.CheckRequestMapper mapper =
        new io.switchyard.extauthz.request.CheckRequestMapper(io.switchyard.extauthz.request.CheckRequestMapper.Options.defaults());

    /** A CheckRequest as Envoy's ext_authz filter builds it for a GET of {@code /} sent with this Host / :authority. */
    private RequestAttributes fromEnvoy(String protocol, String authority) throws Exception {
      var http = io.envoyproxy.envoy.service.auth.v3.AttributeContext.HttpRequest.newBuilder()
          .setId("7").setMethod("GET").setPath("/").setHost(authority).setScheme("http").setProtocol(protocol)
          .putHeaders(":authority", authority).putHeaders(":path", "/").putHeaders(":method", "GET")
          .putHeaders(":scheme", "http").putHeaders("user-agent", "curl/8.5.0").putHeaders("x-forwarded-proto", "http")
          .putHeaders("x-request-id", "8a0c6f3e-2b1d-4c55-9d0e-3f1a2b3c4d5e");
      return fromWire(http);
    }

    private RequestAttributes fromWire(io.envoyproxy.envoy.service.auth.v3.AttributeContext.HttpRequest.Builder http) throws Exception {
      var req = io.envoyproxy.envoy.service.auth.v3.CheckRequest.newBuilder().setAttributes(
          io.envoyproxy.envoy.service.auth.v3.AttributeContext.newBuilder()
              .setRequest(io.envoyproxy.envoy.service.auth.v3.AttributeContext.Request.newBuilder().setHttp(http))
              .putContextExtensions("namespace", "foo").putContextExtensions("workload", "httpbin")
              .putContextExtensions("label.app", "httpbin").putContextExtensions("label.version", "v1")).build();
      return mapper.map(req.toByteArray());
    }

    private boolean when(String key, String values, RequestAttributes r) throws Exception {
      return allowed(allow("  - when: [{key: \"" + key + "\", " + values + "}]\n"), r);
    }

    @Test
    void requestHeadersHostReadsTheAuthorityOnHttp11AndHttp2() throws Exception {
      for (String protocol : List.of("HTTP/1.1", "HTTP/2")) {
        RequestAttributes r = fromEnvoy(protocol, "httpbin.example.com");
        for (String key : List.of("request.headers[host]", "request.headers[Host]", "request.headers[HOST]", "request.headers[:authority]")) {
          assertThat(when(key, "values: [httpbin.example.com]", r)).as(protocol + " " + key).isTrue();
          assertThat(when(key, "values: [\"httpbin.*\"]", r)).as(protocol + " " + key).isTrue();
          assertThat(when(key, "values: [\"*\"]", r)).as(protocol + " " + key).isTrue();
          assertThat(when(key, "values: [other.example.com]", r)).as(protocol + " " + key).isFalse();
          assertThat(when(key, "notValues: [httpbin.example.com]", r)).as(protocol + " " + key).isFalse();
          // A header matcher, unlike hosts, compares case-sensitively.
          assertThat(when(key, "values: [HTTPBIN.example.com]", r)).as(protocol + " " + key).isFalse();
        }
      }
    }

    @Test
    void aDenyOnTheHostHeaderDeniesAsEnvoysRbacDoes() throws Exception {
      String deny = HEAD + "metadata: {name: d, namespace: foo}\nspec:\n  action: DENY\n  rules:\n"
          + "  - when: [{key: \"request.headers[Host]\", values: [\"admin.*\"]}]\n";
      assertThat(allowed(deny, fromEnvoy("HTTP/1.1", "admin.example.com"))).isFalse();
      assertThat(allowed(deny, fromEnvoy("HTTP/2", "admin.example.com"))).isFalse();
      assertThat(allowed(deny, fromEnvoy("HTTP/1.1", "www.example.com"))).isTrue();
    }

    /** Envoy always fills http.host; the headers may lack :authority (allowed_headers, --max header bytes). */
    @Test
    void theHostHeaderFallsBackToTheHostAttribute() throws Exception {
      RequestAttributes r = fromWire(io.envoyproxy.envoy.service.auth.v3.AttributeContext.HttpRequest.newBuilder()
          .setMethod("GET").setPath("/").setHost("httpbin.example.com").putHeaders("x-request-id", "1"));
      assertThat(when("request.headers[host]", "values: [httpbin.example.com]", r)).isTrue();
      assertThat(when("request.headers[:authority]", "values: [httpbin.example.com]", r)).isTrue();
      // A hand-written request with a "host" header only: Envoy would have stored it as :authority.
      RequestAttributes handWritten = fromWire(io.envoyproxy.envoy.service.auth.v3.AttributeContext.HttpRequest.newBuilder()
          .setMethod("GET").setPath("/").putHeaders("host", "httpbin.example.com"));
      assertThat(when("request.headers[:authority]", "values: [httpbin.example.com]", handWritten)).isTrue();
      assertThat(when("request.headers[host]", "values: [httpbin.example.com]", handWritten)).isTrue();
    }

    /**
     * Envoy's RBAC reads :method and :path from the request it holds; ext_authz always sends them as http.method and
     * http.path, while the headers lack them under an allowed_headers list that does not name them.
     */
    @Test
    void methodAndPathHeadersFallBackToTheRequestFields() throws Exception {
      RequestAttributes r = fromWire(io.envoyproxy.envoy.service.auth.v3.AttributeContext.HttpRequest.newBuilder()
          .setMethod("POST").setPath("/a/b?x=1").setHost("httpbin.example.com").putHeaders("x-user", "alice"));
      assertThat(when("request.headers[:method]", "values: [POST]", r)).isTrue();
      assertThat(when("request.headers[:method]", "values: [GET]", r)).isFalse();
      assertThat(when("request.headers[:path]", "values: [\"/a/b?x=1\"]", r)).isTrue();
      assertThat(when("request.headers[:path]", "values: [/a/b]", r)).isFalse();
      // Envoy's header matcher compares the :path header as Envoy holds it: query included, not re-normalised here.
      RequestAttributes dots = fromWire(io.envoyproxy.envoy.service.auth.v3.AttributeContext.HttpRequest.newBuilder()
          .setMethod("GET").setPath("/a/../b?x=1").setHost("httpbin.example.com").putHeaders(":path", "/a/../b?x=1"));
      assertThat(when("request.headers[:path]", "values: [\"/a/../b?x=1\"]", dots)).isTrue();
      assertThat(when("request.headers[:path]", "values: [\"/b*\"]", dots)).isFalse();
      assertThat(allowed(allow("  - to: [{operation: {paths: [/b]}}]\n"), dots)).isTrue();
      RequestAttributes full = fromEnvoy("HTTP/2", "httpbin.example.com");
      assertThat(when("request.headers[:method]", "values: [GET]", full)).isTrue();
      assertThat(when("request.headers[:path]", "values: [/]", full)).isTrue();
    }

    @Test
    void hostsMatchTheAuthorityIgnoringCaseAndKeepingThePortOnHttp11AndHttp2() throws Exception {
      for (String protocol : List.of("HTTP/1.1", "HTTP/2")) {
        assertThat(allowed(allow("  - to: [{operation: {hosts: [httpbin.example.com]}}]\n"), fromEnvoy(protocol, "HTTPBin.Example.com"))).isTrue();
        assertThat(allowed(allow("  - to: [{operation: {hosts: [httpbin.example.com]}}]\n"), fromEnvoy(protocol, "httpbin.example.com:8080"))).isFalse();
        assertThat(allowed(allow("  - to: [{operation: {hosts: [\"httpbin.example.com:*\"]}}]\n"), fromEnvoy(protocol, "httpbin.example.com:8080"))).isTrue();
        assertThat(allowed(allow("  - to: [{operation: {hosts: [\"HTTPBIN.*\"]}}]\n"), fromEnvoy(protocol, "httpbin.example.com:8080"))).isTrue();
        assertThat(allowed(allow("  - to: [{operation: {hosts: [\"*.EXAMPLE.com\"]}}]\n"), fromEnvoy(protocol, "a.example.COM"))).isTrue();
        assertThat(allowed(allow("  - to: [{operation: {hosts: [\"*.example.com\"]}}]\n"), fromEnvoy(protocol, "a.example.com:80"))).isFalse();
        assertThat(allowed(allow("  - to: [{operation: {notHosts: [\"*.example.com\"]}}]\n"), fromEnvoy(protocol, "a.example.com:80"))).isTrue();
      }
    }

    /**
     * Istio's HostMatcher turns {@code *} into Envoy's present_match, true for a Host that is there but empty (HTTP/1.1
     * allows {@code Host:} with an empty value, and Envoy's authority check accepts it).
     */
    @Test
    void hostsStarMatchesAnEmptyHostAsPresentMatchDoes() throws Exception {
      RequestAttributes empty = fromEnvoy("HTTP/1.1", "");
      assertThat(allowed(allow("  - to: [{operation: {hosts: [\"*\"]}}]\n"), empty)).isTrue();
      String deny = HEAD + "metadata: {name: d, namespace: foo}\nspec:\n  action: DENY\n  rules:\n"
          + "  - to: [{operation: {hosts: [\"*\"]}}]\n";
      assertThat(allowed(deny, empty)).isFalse();
      assertThat(allowed(allow("  - to: [{operation: {notHosts: [\"*\"]}}]\n"), empty)).isFalse();
      assertThat(allowed(allow("  - when: [{key: \"request.headers[host]\", values: [\"*\"]}]\n"), empty)).isTrue();
      assertThat(allowed(allow("  - to: [{operation: {hosts: [\"*.example.com\"]}}]\n"), empty)).isFalse();
    }

    /**
     * Envoy's StringMatcher ignore_case compares with absl::EqualsIgnoreCase / StartsWithIgnoreCase / EndsWithIgnoreCase,
     * which fold ASCII letters only: the Kelvin sign (U+212A), which Java lower-cases to 'k', is not a 'K'.
     */
    @Test
    void hostsFoldOnlyAsciiLettersAsEnvoysIgnoreCaseDoes() throws Exception {
      RequestAttributes kube = fromEnvoy("HTTP/2", "kube.example");
      assertThat(allowed(allow("  - to: [{operation: {hosts: [\"\u212Aube.example\"]}}]\n"), kube)).isFalse();
      assertThat(allowed(allow("  - to: [{operation: {hosts: [\"\u212A*\"]}}]\n"), kube)).isFalse();
      assertThat(allowed(allow("  - to: [{operation: {hosts: [\"*\u212Aube.example\"]}}]\n"), fromEnvoy("HTTP/2", "a.kube.example"))).isFalse();
      assertThat(allowed(allow("  - to: [{operation: {hosts: [KUBE.example]}}]\n"), kube)).isTrue();
    }
  }
}
