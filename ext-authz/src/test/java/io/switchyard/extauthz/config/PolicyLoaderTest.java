package io.switchyard.extauthz.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchyard.extauthz.policy.Action;
import io.switchyard.serverkit.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyLoaderTest {
  @TempDir Path dir;

  private PolicySet load(String yaml) throws Exception {
    Files.writeString(dir.resolve("p.yaml"), yaml);
    return new PolicyLoader("istio-system").load(dir);
  }

  private ConfigException error(String yaml) {
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> load(yaml));
    assertThat(t).isInstanceOf(ConfigException.class);
    return (ConfigException) t;
  }

  @Test
  void loadsV1AndV1beta1MultiDocumentFilesUnchanged() throws Exception {
    PolicySet s = load("""
        # exported with kubectl get -o yaml
        apiVersion: security.istio.io/v1beta1
        kind: AuthorizationPolicy
        metadata:
          name: httpbin
          namespace: foo
          uid: 5d2c
          resourceVersion: "123"
          labels: {team: a}
        spec:
          selector:
            matchLabels:
              app: httpbin
          action: DENY
          rules:
          - from:
            - source:
                notNamespaces: ["foo"]
        status: {}
        ---
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata:
          name: jwt
          namespace: foo
        spec:
          jwtRules:
          - issuer: "https://accounts.example.com"
            jwksUri: "https://accounts.example.com/jwks"
        ---
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: strict, namespace: foo}
        spec: {mtls: {mode: STRICT}}
        """);
    assertThat(s.authorizationPolicies()).hasSize(1);
    assertThat(s.authorizationPolicies().get(0).action()).isEqualTo(Action.DENY);
    assertThat(s.authorizationPolicies().get(0).origin()).endsWith("p.yaml:2");
    assertThat(s.requestAuthentications()).hasSize(1);
    assertThat(s.revision()).hasSize(12);
  }

  @Test
  void emptyDocumentsFromLeadingOrTrailingSeparatorsAreSkipped() throws Exception {
    PolicySet s = load("---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\nspec: {}\n---\n---\n");
    assertThat(s.authorizationPolicies()).hasSize(1);
  }

  @Test
  void aScalarDocumentIsRejected() {
    assertThat(error("just text\n").reason()).contains("expected a Kubernetes resource");
  }

  @Test
  void revisionChangesWithContent() throws Exception {
    String a = load("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\nspec: {}\n").revision();
    String b = load("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: b}\nspec: {}\n").revision();
    assertThat(a).isNotEqualTo(b);
  }

  @Test
  void missingNamespaceMeansDefault() throws Exception {
    PolicySet s = load("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\nspec: {}\n");
    assertThat(s.authorizationPolicies().get(0).id()).isEqualTo("default/a");
  }

  @Test
  void aMountedConfigMapIsReadOnceNotAlsoThroughTheKubeletsHiddenCopy() throws Exception {
    // The kubelet's layout: the real files in a hidden timestamped folder, ..data linking to it, and one
    // link per key at the top. A recursive walk that entered the hidden folder read every policy twice.
    Path version = Files.createDirectory(dir.resolve("..2026_11_28_16_40_00.123456789"));
    Files.writeString(version.resolve("policies.yaml"),
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a, namespace: shop}\nspec: {}\n");
    Files.createSymbolicLink(dir.resolve("..data"), version.getFileName());
    Files.createSymbolicLink(dir.resolve("policies.yaml"), Path.of("..data", "policies.yaml"));

    PolicySet s = new PolicyLoader("istio-system").load(dir);

    assertThat(s.authorizationPolicies()).extracting(p -> p.id()).containsExactly("shop/a");
  }

  @Test
  void hiddenFilesAndFoldersAreNotPolicies() throws Exception {
    Files.writeString(dir.resolve(".p.yaml.swp"), "not yaml at all: [");
    Files.createDirectory(dir.resolve(".git"));
    Files.writeString(dir.resolve(".git").resolve("config.yaml"), "not yaml at all: [");
    Files.writeString(dir.resolve(".draft.yaml"), "not yaml at all: [");

    assertThat(new PolicyLoader("istio-system").load(dir).authorizationPolicies()).isEmpty();
  }

  @Test
  void emptyFolderIsAnEmptyPolicySet() throws Exception {
    assertThat(new PolicyLoader("istio-system").load(dir).authorizationPolicies()).isEmpty();
  }

  @Test
  void customActionIsRejectedWithFileAndLine() {
    ConfigException e = error("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: ext, namespace: foo}
        spec:
          action: CUSTOM
          provider: {name: my-ext-authz}
          rules: [{}]
        """);
    assertThat(e.line()).isEqualTo(5);
    assertThat(e.reason()).contains("CUSTOM is not supported");
    assertThat(e.getMessage()).contains("p.yaml:5");
  }

  @Test
  void validationErrorsPointAtTheOffendingLine() {
    String head = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x, namespace: foo}\nspec:\n";
    assertThat(error(head + "  action: DENY\n").reason()).contains("DENY policy must have rules");
    assertThat(error(head + "  action: MAYBE\n  rules: [{}]\n").reason()).contains("unknown action");
    ConfigException cidr = error(head + "  rules:\n  - from:\n    - source:\n        ipBlocks: [\"10.0.0.0/33\"]\n");
    assertThat(cidr.line()).isEqualTo(8);
    assertThat(cidr.reason()).contains("not an IP address or CIDR");
    assertThat(error(head + "  rules:\n  - to: [{operation: {ports: [\"http\"]}}]\n").reason()).contains("port 'http'");
    assertThat(error(head + "  rules:\n  - to: [{operation: {paths: [\"/a/{**}/{*}\"]}}]\n").reason()).contains("{**} must be the last operator");
    assertThat(error(head + "  rules:\n  - to: [{operation: {paths: [\"/a{*}\"]}}]\n").reason()).contains("whole path segments");
    assertThat(error(head + "  rules:\n  - from: [{source: {principals: [a], serviceAccounts: [b]}}]\n").reason())
        .contains("cannot set serviceAccounts with namespaces or principals");
    assertThat(error(head + "  rules:\n  - from: [{source: {serviceAccounts: [\"a/b/c\"]}}]\n").reason()).contains("namespace/name");
    assertThat(error(head + "  rules:\n  - from: [{source: {}}]\n").reason()).contains("from.source must not be empty");
    assertThat(error(head + "  rules:\n  - to: [{operation: {}}]\n").reason()).contains("to.operation must not be empty");
  }

  /**
   * Istio's ValidateIPs reads IP values with Go's netip.ParseAddr / ParsePrefix, which refuse an IPv4 octet with a leading
   * zero (also one embedded in an IPv6 address), prefix bits with a sign or a leading zero, brackets around an IPv6
   * address, and a zone anywhere but after a single IPv6 address.
   */
  @Test
  void ipValuesAreRefusedWhereGosNetipRefusesThem() throws Exception {
    String head = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x, namespace: foo}\nspec:\n";
    for (String bad : List.of("010.0.0.1", "10.0.0.0/08", "10.0.0.0/+8", "10.0.0.0/-0", "[::1]", "[::1]/128", "10.0.0.0/\u0668",
        "fe80::1%eth0/128", "%eth0", "fe80::1%", "10.0.0.1%eth0", "::ffff:010.0.0.1", "::ffff:10.0.0.01/128", "::ffff:1.02.3.4%x")) {
      assertThat(error(head + "  rules:\n  - from: [{source: {ipBlocks: [\"" + bad + "\"]}}]\n").reason()).as(bad).contains("not an IP");
      assertThat(error(head + "  rules:\n  - when: [{key: destination.ip, values: [\"" + bad + "\"]}]\n").reason()).as(bad).contains("not an IP");
    }
    for (String good : List.of("10.0.0.0/0", "10.0.0.1/8", "0.0.0.0", "::ffff:10.0.0.1/128", "::ffff:10.0.0.0/104", "::1", "fe80::1%eth0",
        "::ffff:10.0.0.1%1", "::0a", "2001:db8::0a0/128", "::ffff:10.0.0.0")) {
      assertThat(Policies.load(head + "  rules:\n  - from: [{source: {ipBlocks: [\"" + good + "\"]}}]\n").authorizationPolicies()).as(good).hasSize(1);
    }
  }

  /** A null rule ({@code [null]}, a bare '-') is rejected as Istio rejects it; {} is the rule that matches every request. */
  @Test
  void aNullRuleIsRejectedNotTakenAsMatchAll() {
    String head = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x, namespace: foo}\nspec:\n";
    assertThat(error(head + "  action: DENY\n  rules: [null]\n").reason()).contains("a rule must not be empty (null)");
    ConfigException bare = error(head + "  action: ALLOW\n  rules:\n  -\n");
    assertThat(bare.reason()).containsAnyOf("a rule must not be empty (null)", "rule must be a mapping");
    assertThat(bare.line()).isEqualTo(7);
  }

  /** Istio's validation counts values: a source or operation whose fields are all empty lists is rejected, not match-all. */
  @Test
  void sourceOrOperationWithOnlyEmptyListsIsRejectedAsEmpty() {
    String head = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x, namespace: foo}\nspec:\n";
    assertThat(error(head + "  rules:\n  - from: [{source: {principals: []}}]\n").reason()).contains("from.source must not be empty");
    assertThat(error(head + "  rules:\n  - from: [{source: {namespaces: [], notIpBlocks: []}}]\n").reason())
        .contains("from.source must not be empty");
    assertThat(error(head + "  rules:\n  - to: [{operation: {paths: []}}]\n").reason()).contains("to.operation must not be empty");
  }

  @Test
  void sourceServiceAccountConditionValuesAreValidatedLikeServiceAccounts() {
    String head = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x, namespace: foo}\nspec:\n";
    assertThat(error(head + "  rules:\n  - when: [{key: source.serviceAccount, values: [\"ns/*\"]}]\n").reason()).contains("namespace/name");
    assertThat(error(head + "  rules:\n  - when: [{key: source.serviceAccount, notValues: [\"a/b/c\"]}]\n").reason()).contains("namespace/name");
    assertThat(error(head + "  rules:\n  - when: [{key: source.serviceAccount, values: [\"ns/\"]}]\n").reason()).contains("namespace/name");
    ConfigException unknown = error(head + "  rules:\n  - from: [{source: {principal: [a]}}]\n");
    assertThat(unknown.reason()).contains("unknown field 'principal'");
    assertThat(unknown.line()).isEqualTo(6);
    assertThat(error(head + "  rules:\n  - when: [{key: request.method, values: [GET]}]\n").reason()).contains("unknown condition key 'request.method'");
    assertThat(error(head + "  rules:\n  - when: [{key: experimental.envoy.filters.http.lua, values: [x]}]\n").reason())
        .contains("experimental.envoy.filters.<filter>[<key>]");
    assertThat(error(head + "  rules:\n  - when: [{key: \"request.headers[a]\"}]\n").reason()).contains("needs values or notValues");
    assertThat(error(head + "  rules:\n  - when: [{key: source.ip, values: [nope]}]\n").reason()).contains("not an IP");
    assertThat(error(head + "  rules:\n  - to: [{operation: {methods: [\"\"]}}]\n").reason()).contains("empty value");
    assertThat(error(head + "  selector: {matchLabels: {a: b}}\n  targetRefs: [{kind: Service, name: s}]\n  rules: [{}]\n").reason())
        .contains("only one of selector or targetRefs");
    assertThat(error(head + "  rules: [{}]\n  unknownField: 1\n").reason()).contains("unknown field 'unknownField'");
  }

  /**
   * Istio's validateMapKey (pkg/config/security/security.go) for request.headers…, request.auth.claims… and
   * experimental.envoy.filters… keys: a '[' after the first character, a ']' at the very end and something between
   * the first '[' and the last ']'. Brackets are not checked for balance, and text between the prefix and the '[' is
   * not checked either; anything else is refused, naming the key and its line.
   */
  @Test
  void bracketKeysAreValidatedAsIstiosValidateMapKey() throws Exception {
    String head = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x, namespace: foo}\nspec:\n";
    for (String bad : List.of("request.headers[]", "request.headers[a", "request.headers[a]x", "request.headers", "request.headers]",
        "request.auth.claims[]", "request.auth.claims[a][b", "request.auth.claims", "request.auth.claims[a] ",
        "experimental.envoy.filters.a[]", "experimental.envoy.filters.a", "experimental.envoy.filters.a[b]c")) {
      ConfigException e = error(head + "  rules:\n  - to: [{operation: {methods: [GET]}}]\n    when:\n    - key: \"" + bad + "\"\n"
          + "      values: [x]\n");
      assertThat(e.line()).as(bad).isEqualTo(8);
      assertThat(e.reason()).as(bad).contains("'" + bad + "'").contains("[");
      assertThat(e.getMessage()).as(bad).contains("p.yaml:8");
    }
    for (String good : List.of("request.headers[a]b]", "request.headers[[a]]", "request.headersX[a]", "request.auth.claims[a][]",
        "request.auth.claims[a[b]]", "request.auth.claims[][a]", "request.auth.claims.x[a]", "experimental.envoy.filters.a[b][c]",
        "experimental.envoy.filters.[b]", "experimental.envoy.filters.a[b[c]")) {
      assertThat(load(head + "  rules:\n  - when: [{key: \"" + good + "\", values: [x]}]\n").authorizationPolicies()).as(good).hasSize(1);
    }
  }

  /** Istio's CheckTrustDomainValues (trustDomains, notTrustDomains): CheckWildcardValues plus no '/'. */
  @Test
  void trustDomainValuesAreValidatedAsIstioDoes() {
    String head = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x, namespace: foo}\nspec:\n";
    ConfigException slash = error(head + "  rules:\n  - from:\n    - source:\n        trustDomains:\n        - cluster.local\n"
        + "        - cluster.local/ns/foo\n");
    assertThat(slash.line()).isEqualTo(10);
    assertThat(slash.reason()).contains("trustDomains value 'cluster.local/ns/foo'").contains("must not contain '/'");
    ConfigException spiffe = error(head + "  rules:\n  - from:\n    - source:\n        notTrustDomains: [\"spiffe://cluster.local\"]\n");
    assertThat(spiffe.line()).isEqualTo(8);
    assertThat(spiffe.reason()).contains("notTrustDomains value 'spiffe://cluster.local'").contains("must not contain '/'");
    assertThat(error(head + "  rules:\n  - from: [{source: {trustDomains: [\"clu*ter\"]}}]\n").reason())
        .contains("trustDomains value 'clu*ter'").contains("wildcard is only allowed at the start or end");
    assertThat(error(head + "  rules:\n  - from: [{source: {notTrustDomains: [\"*cluster*\"]}}]\n").reason())
        .contains("notTrustDomains value '*cluster*'").contains("at most one wildcard");
    assertThat(error(head + "  rules:\n  - from: [{source: {trustDomains: [\"**\"]}}]\n").reason()).contains("at most one wildcard");
    assertThat(error(head + "  rules:\n  - from: [{source: {trustDomains: [\"\"]}}]\n").reason()).contains("empty value");
    assertThat(error(head + "  rules:\n  - from: [{source: {trustDomains: []}}]\n").reason()).contains("from.source must not be empty");
  }

  /** Istio's ValidateAttribute for source.trustDomain: CheckWildcardValues only (a '/' is accepted there). */
  @Test
  void sourceTrustDomainConditionValuesAreValidatedForWildcards() throws Exception {
    String head = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x, namespace: foo}\nspec:\n";
    ConfigException mid = error(head + "  rules:\n  - when:\n    - key: source.trustDomain\n      values: [cluster.local]\n"
        + "      notValues:\n      - \"a*b\"\n");
    assertThat(mid.line()).isEqualTo(10);
    assertThat(mid.reason()).contains("source.trustDomain value 'a*b'").contains("wildcard is only allowed at the start or end");
    assertThat(error(head + "  rules:\n  - when: [{key: source.trustDomain, values: [\"*a*\"]}]\n").reason()).contains("at most one wildcard");
    assertThat(load(head + "  rules:\n  - when: [{key: source.trustDomain, values: [\"a/b\", \"*\", \"a*\", \"*b\"]}]\n")
        .authorizationPolicies()).hasSize(1);
  }

  /**
   * Istio's CheckValidPathTemplate: {*} and {**} must be whole segments, nothing but a literal follows
   * {**}, '{' and '}' appear only in those operators (in any path), and a template's other segments are
   * non-empty RFC 3986 pchar literals.
   */
  @Test
  void pathTemplatesAreValidatedAsIstioDoes() throws Exception {
    String head = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x, namespace: foo}\nspec:\n";
    ConfigException ext = error(head + "  rules:\n  - to:\n    - operation:\n        paths:\n        - /ok\n        - \"/x/{**}.txt\"\n");
    assertThat(ext.line()).isEqualTo(10);
    assertThat(ext.reason()).contains("paths value '/x/{**}.txt'").contains("whole path segments");
    assertThat(error(head + "  rules:\n  - to: [{operation: {notPaths: [\"/a{*}/b\"]}}]\n").reason())
        .contains("notPaths value '/a{*}/b'").contains("whole path segments");
    for (String bad : new String[] {"/{*}/foo/{*}.txt", "/foo/{**}buzz/bar", "/{*}/foo/{**}bar", "/{**}x", "/{*}/foo/{}/bar",
        "/foo/{buzz=*}/bar/{**}", "/{*}/foo/{temp", "/{*}/foo/temp}/bar"}) {
      assertThat(error(head + "  rules:\n  - to: [{operation: {paths: [\"" + bad + "\"]}}]\n").reason()).as(bad)
          .contains("paths value '" + bad + "'");
    }
    assertThat(error(head + "  rules:\n  - to: [{operation: {paths: [\"/{**}/{**}\"]}}]\n").reason()).contains("{**} must be the last operator");
    assertThat(error(head + "  rules:\n  - to: [{operation: {paths: [\"/{**}/foo/{*}/bar\"]}}]\n").reason())
        .contains("{**} must be the last operator");
    assertThat(error(head + "  rules:\n  - to: [{operation: {paths: [\"/foo/{buzz}/bar\"]}}]\n").reason())
        .contains("paths value '/foo/{buzz}/bar'").contains("'{' and '}'");
    assertThat(error(head + "  rules:\n  - to: [{operation: {paths: [\"/{*}/foo/?abc\"]}}]\n").reason())
        .contains("paths value '/{*}/foo/?abc'").contains("'?abc'");
    assertThat(error(head + "  rules:\n  - to: [{operation: {paths: [\"/a//{*}\"]}}]\n").reason()).contains("paths value '/a//{*}'");
    assertThat(load(head + "  rules:\n  - to: [{operation: {paths: [\"/{*}/foo\", \"/{*}/foo/\", \"/foo/{**}/bar\", \"/foo/bar/{**}\", "
        + "\"/a=b/{*}/x@y:z\", \"/any?thing*\", \"*\"]}}]\n").authorizationPolicies()).hasSize(1);
  }

  /** Istio parses ports with strconv.ParseUint: no sign, ASCII digits only, at most 65535. */
  @Test
  void portsWithASignOrNonAsciiDigitsAreRejected() {
    String head = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x, namespace: foo}\nspec:\n";
    ConfigException plus = error(head + "  rules:\n  - to:\n    - operation:\n        ports: [\"+80\"]\n");
    assertThat(plus.line()).isEqualTo(8);
    assertThat(plus.reason()).contains("port '+80'");
    assertThat(error(head + "  rules:\n  - to: [{operation: {notPorts: [\"-0\"]}}]\n").reason()).contains("port '-0'");
    assertThat(error(head + "  rules:\n  - to: [{operation: {ports: [\"\u0668\u0660\"]}}]\n").reason()).contains("port '\u0668\u0660'");
    assertThat(error(head + "  rules:\n  - to: [{operation: {ports: [\" 80\"]}}]\n").reason()).contains("port ' 80'");
    assertThat(error(head + "  rules:\n  - to: [{operation: {ports: [\"65536\"]}}]\n").reason()).contains("port '65536'");
    assertThat(error(head + "  rules:\n  - when: [{key: destination.port, values: [\"+80\"]}]\n").reason()).contains("port '+80'");
    assertThat(error(head + "  rules:\n  - when: [{key: destination.port, notValues: [\"-0\"]}]\n").reason()).contains("port '-0'");
  }

  /**
   * Istio's checkDryRunAnnotation (pkg/config/validation): the value is read with Go's strconv.ParseBool ("1", "t",
   * "True", "FALSE", …), and the annotation is refused on an AUDIT policy and on a RequestAuthentication, whatever its value.
   */
  @Test
  void dryRunAnnotationIsCheckedAsIstioChecksIt() throws Exception {
    String allowGet = "spec:\n  rules:\n  - to: [{operation: {methods: [GET]}}]\n";
    for (String on : List.of("1", "t", "T", "TRUE", "True", "true")) {
      PolicySet set = load("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: x\n  namespace: foo\n"
          + "  annotations: {istio.io/dry-run: \"" + on + "\"}\n" + allowGet);
      assertThat(set.authorizationPolicies().get(0).dryRun()).as(on).isTrue();
    }
    for (String off : List.of("0", "f", "F", "FALSE", "False", "false")) {
      PolicySet set = load("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: x\n  namespace: foo\n"
          + "  annotations: {istio.io/dry-run: \"" + off + "\"}\n" + allowGet);
      assertThat(set.authorizationPolicies().get(0).dryRun()).as(off).isFalse();
    }
    for (String value : List.of("true", "false")) {
      ConfigException audit = error("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: x\n"
          + "  annotations: {istio.io/dry-run: \"" + value + "\"}\nspec:\n  action: AUDIT\n  rules: [{}]\n");
      assertThat(audit.reason()).contains("istio.io/dry-run").contains("ALLOW").contains("DENY");
      ConfigException ra = error("apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata:\n  name: x\n"
          + "  annotations: {istio.io/dry-run: \"" + value + "\"}\nspec:\n  jwtRules: [{issuer: a, jwksUri: \"https://a/jwks\"}]\n");
      assertThat(ra.reason()).contains("istio.io/dry-run");
    }
  }

  @Test
  void badDryRunAnnotationIsRejected() {
    ConfigException e = error("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: x\n"
        + "  annotations: {istio.io/dry-run: \"yes\"}\nspec: {}\n");
    assertThat(e.reason()).contains("istio.io/dry-run");
  }

  @Test
  void unsupportedKindsAndVersionsAreRejected() {
    assertThat(error("apiVersion: security.istio.io/v1alpha1\nkind: AuthorizationPolicy\nmetadata: {name: x}\nspec: {}\n").reason())
        .contains("unsupported apiVersion");
    assertThat(error("apiVersion: security.istio.io/v1\nkind: Sidecar\nmetadata: {name: x}\nspec: {}\n").reason())
        .contains("unsupported kind 'Sidecar'");
  }

  @Test
  void duplicateNamesAreRejected() {
    String p = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x, namespace: foo}\nspec: {}\n";
    ConfigException e = error(p + "---\n" + p);
    assertThat(e.reason()).contains("already defined at");
    assertThat(e.line()).isEqualTo(8);
  }

  @Test
  void brokenYamlIsReportedWithLine() {
    ConfigException e = error("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x\nspec: {}\n");
    assertThat(e.line()).isGreaterThan(0);
  }

  @Test
  void requestAuthenticationValidation() {
    String head = "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: x, namespace: foo}\nspec:\n";
    assertThat(error(head + "  jwtRules:\n  - audiences: [a]\n").reason()).contains("issuer or jwksUri must be set");
    assertThat(error(head + "  jwtRules:\n  - issuer: \"\"\n").reason()).contains("issuer or jwksUri must be set");
    assertThat(error(head + "  jwtRules:\n  - jwks: \"{\\\"keys\\\":[]}\"\n").reason()).contains("issuer or jwksUri must be set");
    assertThat(error(head + "  jwtRules:\n  - issuer: not-a-url\n").reason()).contains("OIDC discovery");
    assertThat(error(head + "  jwtRules:\n  - issuer: a\n    jwks: \"{nope\"\n").reason()).contains("not a valid JSON Web Key Set");
    assertThat(error(head + "  jwtRules:\n  - issuer: a\n    jwksUri: ftp://x\n").reason()).contains("jwksUri");
    assertThat(error(head + "  jwtRules:\n  - issuer: https://a\n    timeout: soon\n").reason()).contains("timeout 'soon'");
    assertThat(error(head + "  jwtRules:\n  - issuer: https://a\n    outputClaimToHeaders: [{header: \"bad header\", claim: sub}]\n").reason())
        .contains("not a valid header name");
  }

  /**
   * Istio's validateJwtRule checks outputClaimToHeaders[].header with ValidateStrictHTTPHeaderName, ^[-_A-Za-z0-9]+$
   * (pkg/config/validation/validation.go): a name with '.', '!' or any other token character is refused, not only one
   * with a space. Envoy's LowerCaseString then folds it, A-Z only.
   */
  @Test
  void outputClaimToHeadersNamesAreIstiosStrictHeaderNamesFoldedToLowerCase() throws Exception {
    String head = "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: x, namespace: foo}\nspec:\n"
        + "  jwtRules:\n  - issuer: https://a\n";
    for (String bad : List.of("x.sub", "x!", "x*y", "x|y", "x~y", "x:y", "x-\u212A")) {
      ConfigException e = error(head + "    outputClaimToHeaders: [{header: \"" + bad + "\", claim: sub}]\n");
      assertThat(e.reason()).as(bad).contains("not a valid header name");
      assertThat(e.line()).as(bad).isEqualTo(7);
    }
    assertThat(load(head + "    outputClaimToHeaders: [{header: X-Sub_1, claim: sub}]\n").requestAuthentications().get(0).jwtRules().get(0)
        .outputClaimToHeaders().get(0).header()).isEqualTo("x-sub_1");
  }

  /**
   * outputPayloadToHeader becomes jwt_authn's forward_payload_header: Istio does not check it, Envoy's config validation
   * takes any name without NUL, CR or LF (HTTP_HEADER_NAME, strict: false; an empty one forwards nothing) and its
   * LowerCaseString folds A-Z only. A name Envoy would refuse is refused at load.
   */
  @Test
  void outputPayloadToHeaderIsFoldedAsEnvoyFoldsItAndEmptyMeansNone() throws Exception {
    String head = "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: x, namespace: foo}\nspec:\n"
        + "  jwtRules:\n  - issuer: https://a\n";
    assertThat(load(head + "    outputPayloadToHeader: X-Payload\n").requestAuthentications().get(0).jwtRules().get(0).outputPayloadToHeader())
        .isEqualTo("x-payload");
    assertThat(load(head + "    outputPayloadToHeader: \"X-\u212A\"\n").requestAuthentications().get(0).jwtRules().get(0)
        .outputPayloadToHeader()).isEqualTo("x-\u212A");
    assertThat(load(head + "    outputPayloadToHeader: \"\"\n").requestAuthentications().get(0).jwtRules().get(0).outputPayloadToHeader())
        .isNull();
    ConfigException e = error(head + "    outputPayloadToHeader: \"x\\ny\"\n");
    assertThat(e.reason()).contains("outputPayloadToHeader");
    assertThat(e.line()).isEqualTo(7);
  }

  /** Istio 1.27+ (validateJwtRule): issuer may be left out, or empty, when jwksUri is set. */
  @Test
  void aJwtRuleWithJwksUriNeedsNoIssuer() throws Exception {
    String head = "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: x, namespace: foo}\nspec:\n";
    assertThat(load(head + "  jwtRules:\n  - jwksUri: https://x/jwks\n").requestAuthentications().get(0).jwtRules().get(0).issuer()).isNull();
    assertThat(load(head + "  jwtRules:\n  - issuer: \"\"\n    jwksUri: https://x/jwks\n").requestAuthentications().get(0).jwtRules().get(0).issuer())
        .isNull();
  }

  @Test
  void missingPathIsAnError() {
    assertThatThrownBy(() -> new PolicyLoader("istio-system").load(dir.resolve("nope"))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("does not exist");
  }

  @Test
  void aPolicyFileTooLargeForAConfigIsRefusedWithItsSizeBeforeItIsRead() throws Exception {
    Path big = dir.resolve("big.yaml");
    // Sparse: no disk, and reading it whole would not fit in a Java array (an Error, not a reason).
    try (var f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
      f.setLength(3L << 30);
    }
    assertThatThrownBy(() -> new PolicyLoader("istio-system").load(dir)).isInstanceOf(ConfigException.class)
        .hasMessage(big + ": file is 3221225472 bytes, more than a config file may have (12582912)");
  }

  @Test
  void policyBytesThatAreNotUtf8AreRefusedAtTheirLineAndColumn() throws Exception {
    Path f = dir.resolve("a.yaml");
    Files.write(f, "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: caf\u00e9, namespace: shop}\nspec: {}\n"
        .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    assertThatThrownBy(() -> new PolicyLoader("istio-system").load(dir)).isInstanceOf(ConfigException.class)
        .hasMessage(f + ":3:21: byte 0xE9 is not UTF-8 (config files are UTF-8 text, as a ConfigMap's data is)");
  }

  @Test
  void aSubfolderThatCannotBeListedIsRefusedWithWhy() throws Exception {
    Files.writeString(dir.resolve("a.yaml"), "");
    Files.createDirectory(dir.resolve("sub"));
    Path loop = Files.createSymbolicLink(dir.resolve("sub/loop"), dir);
    // The exception's own message is only the path, which said where but not why.
    assertThatThrownBy(() -> new PolicyLoader("istio-system").load(dir)).isInstanceOf(ConfigException.class)
        .hasMessage(dir + ": cannot list: " + loop + ": a link loop");
  }
}
