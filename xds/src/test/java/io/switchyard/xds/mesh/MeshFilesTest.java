package io.switchyard.xds.mesh;

import org.junit.jupiter.api.io.TempDir;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.switchyard.xds.mesh.Mesh.RateLimitAction;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class MeshFilesTest {
  static final Path FILE = Path.of("mesh.yaml");

  static final String BASE = """
      switchyard:
        extAuthz: {port: 9191}
        rateLimit: {port: 8081}
      services:
        - name: reviews
          namespace: shop
          ports: [{port: 9080}]
          endpoints: [{address: 10.0.0.1, labels: {version: v1}}]
      workloads:
        - name: gw
          namespace: shop
          nodeGroup: edge
          routes:
      """;

  static Mesh parse(String yaml) throws MeshFileException {
    return MeshFiles.parse(FILE, yaml);
  }

  static MeshFileException error(String yaml) {
    try {
      parse(yaml);
    } catch (MeshFileException e) {
      return e;
    }
    throw new AssertionError("expected a MeshFileException");
  }

  @Test
  void readsTheDocumentedExampleWithEveryFeature() throws Exception {
    Mesh mesh = MeshFiles.load(Path.of("src/test/resources/mesh/example.yaml"));

    assertThat(mesh.workloads()).extracting(Mesh.Workload::nodeGroup)
        .containsExactly("edge", "reviews-sidecar", "grpc-clients");
    Mesh.Workload edge = mesh.workloadForNodeGroup("edge").orElseThrow();
    assertThat(edge.labels()).containsEntry("app", "gateway");
    assertThat(edge.serviceAccount()).isEqualTo("ingress");
    assertThat(edge.gateway()).isTrue();
    Mesh.Route reviews = edge.routes().get(2);
    assertThat(reviews.destinations()).extracting(Mesh.Destination::weight).containsExactly(90, 10);
    assertThat(reviews.destinations()).extracting(d -> d.subset().orElseThrow()).containsExactly("v1", "v2");
    assertThat(reviews.timeout()).contains(Duration.ofSeconds(2));
    assertThat(reviews.retries().orElseThrow().attempts()).isEqualTo(2);
    assertThat(reviews.fault().orElseThrow().abort().orElseThrow().percent()).isEqualTo(0.5);
    assertThat(reviews.jwtProvider()).contains("corp");
    assertThat(reviews.rateLimits()).hasSize(3);
    assertThat(reviews.rateLimits().get(0).actions()).containsExactly(
        new RateLimitAction.RequestHeaders("x-tenant", "tenant", false), new RateLimitAction.RemoteAddress());
    assertThat(edge.routes().get(0).extAuthz()).isFalse();
    assertThat(edge.routes().get(1).extAuthz()).isTrue();
    assertThat(mesh.switchyard().rateLimit().orElseThrow().timeout()).isEqualTo(Duration.ofMillis(50));
    assertThat(mesh.service("reviews", "shop").orElseThrow().outlierDetection().orElseThrow().maxEjectionPercent())
        .isEqualTo(50);
    assertThat(mesh.workloadForNodeGroup("grpc-clients").orElseThrow().proxyless()).isTrue();
  }

  @Test
  void unknownFieldIsReportedWithItsLine() {
    MeshFileException e = error(BASE.replace("    nodeGroup: edge", "    nodeGrup: edge"));
    assertThat(e.line()).isEqualTo(12);
    assertThat(e.getMessage()).startsWith("mesh.yaml:12:").contains("unknown field 'nodeGrup'");
  }

  @Test
  void routeToUnknownServiceNamesTheServiceAndLine() {
    MeshFileException e = error(BASE + "      - to: [{service: ratings}]\n");
    assertThat(e.line()).isEqualTo(14);
    assertThat(e.reason()).contains("unknown service 'ratings' in namespace 'shop'");
  }

  @Test
  void routeToMissingPortIsRejected() {
    MeshFileException e = error(BASE + "      - to: [{service: reviews, port: 80}]\n");
    assertThat(e.reason()).contains("has no port 80");
  }

  @Test
  void subsetWithoutMatchingEndpointsIsRejected() {
    MeshFileException e = error(BASE + "      - to: [{service: reviews, subset: v9}]\n");
    assertThat(e.reason()).contains("version=v9");
  }

  @Test
  void twoWorkloadsCannotShareANodeGroup() {
    MeshFileException e = error(BASE + """
          - to: [{service: reviews}]
        - name: other
          namespace: shop
          nodeGroup: edge
      """);
    assertThat(e.line()).isEqualTo(15);
    assertThat(e.reason()).contains("node group 'edge' is already used by workload 'gw'");
  }

  @Test
  void badDurationAndPercentAreRejected() {
    assertThat(error(BASE + "      - to: [{service: reviews}]\n        timeout: 2 seconds\n").reason())
        .contains("expected a duration");
    assertThat(error(BASE + "      - to: [{service: reviews}]\n        fault: {abort: {percent: 120, httpStatus: 503}}\n")
        .reason()).contains("between 0 and 100");
  }

  /**
   * Istio's VirtualService validation (validateHTTPRetry) accepts an Envoy retry condition or a known HTTP status code
   * in each comma-separated entry and rejects anything else; Envoy would silently ignore it.
   */
  @Test
  void retryOnEntriesMustBeRetryConditionsOrHttpStatusCodes() throws Exception {
    Mesh.Retries ok = parse(BASE + "      - to: [{service: reviews}]\n        retries: {attempts: 2, retryOn: \"503,gateway-error,unavailable\"}\n")
        .workloads().get(0).routes().get(0).retries().orElseThrow();
    assertThat(ok.retryOn()).isEqualTo("gateway-error,unavailable");
    assertThat(ok.retriableStatusCodes()).containsExactly(503);
    for (String bad : new String[] {"5xx,599", "connect_failure", "5xx, reset", "5xx,,reset"}) {
      MeshFileException e = error(BASE + "      - to: [{service: reviews}]\n        retries: {attempts: 2, retryOn: \""
          + bad + "\"}\n");
      assertThat(e.line()).as(bad).isEqualTo(15);
      assertThat(e.reason()).as(bad).contains("is not a valid retryOn policy");
    }
  }

  /**
   * Envoy matches safe_regex with RE2 and Istio validates a VirtualService regex with Go's regexp (RE2 syntax,
   * validateStringMatchRegexp): RE2's named groups are fine, lookarounds and backreferences (which RE2 does not have,
   * so Envoy would reject the route configuration) are errors here.
   */
  @Test
  void regexesAreReadAsRe2() throws Exception {
    for (String re2 : new String[] {"/items/(?P<id>[0-9]+)", "/a\\z", "(?i)/users/\\pL+"}) {
      Mesh mesh = parse(BASE + "      - match: {regex: '" + re2 + "', headers: [{name: x-id, regex: '" + re2 + "'}]}\n"
          + "        to: [{service: reviews}]\n");
      Mesh.Match match = mesh.workloads().get(0).routes().get(0).match();
      assertThat(match.path()).as(re2).isEqualTo(re2);
      assertThat(match.headers().get(0).value()).as(re2).isEqualTo(re2);
    }
    for (String notRe2 : new String[] {"/a(?=b)", "/a(?!b)", "(?<=x)/a", "/(a)\\1", "/a++"}) {
      MeshFileException path = error(BASE + "      - match: {regex: '" + notRe2 + "'}\n        to: [{service: reviews}]\n");
      assertThat(path.line()).as(notRe2).isEqualTo(14);
      assertThat(path.reason()).as(notRe2).startsWith("workloads[0].routes[0].match.regex: invalid regex")
          .contains("RE2");
      MeshFileException header = error(BASE + "      - match: {headers: [{name: x-id, regex: '" + notRe2 + "'}]}\n"
          + "        to: [{service: reviews}]\n");
      assertThat(header.reason()).as(notRe2).startsWith("workloads[0].routes[0].match.headers[0].regex: invalid regex");
    }
  }

  /**
   * Istio's validateStringRegexp refuses a regex longer than 1024 bytes ("regex is too large, max length allowed is
   * 1024"), as a stand-in for the RE2 program size Envoy limits; 1024 bytes are fine, and the length is Go's len, in
   * UTF-8 bytes.
   */
  @Test
  void regexesLongerThanIstiosLimitOf1024BytesAreRejected() throws Exception {
    String limit = "/" + "a".repeat(1023);
    Mesh mesh = parse(BASE + "      - match: {regex: '" + limit + "', headers: [{name: x-id, regex: '" + limit + "'}]}\n"
        + "        to: [{service: reviews}]\n");
    assertThat(mesh.workloads().get(0).routes().get(0).match().path()).hasSize(1024);

    String over = "/" + "a".repeat(1022) + "\u00e9"; // 1024 characters, 1025 bytes
    MeshFileException path = error(BASE + "      - match: {regex: '" + over + "'}\n        to: [{service: reviews}]\n");
    assertThat(path.line()).isEqualTo(14);
    assertThat(path.reason()).isEqualTo("workloads[0].routes[0].match.regex: regex is too large, max length allowed is 1024"
        + " bytes (Istio's validation; got 1025)");
    MeshFileException header = error(BASE + "      - match: {headers: [{name: x-id, regex: '" + over + "'}]}\n"
        + "        to: [{service: reviews}]\n");
    assertThat(header.reason()).startsWith("workloads[0].routes[0].match.headers[0].regex: regex is too large");
  }

  /**
   * Envoy refuses a safe_regex whose RE2 program is over re2.max_program_size.error_level (32768 in Istio's bootstrap
   * and ours), and with it the route configuration of every proxy: five path segments of up to 1000 characters each
   * are far over it (RE2: 45004 instructions) in 89 bytes, under Istio's length limit. Four segments are over it
   * too (36004) but not surely so by the floor this check computes, so they pass, as do large Unicode classes.
   */
  @Test
  void regexesWhoseRe2ProgramIsSurelyOverEnvoysLimitAreRejected() throws Exception {
    String over = "/[^/]{1,1000}".repeat(5);
    MeshFileException path = error(BASE + "      - match: {regex: '" + over + "'}\n        to: [{service: reviews}]\n");
    assertThat(path.line()).isEqualTo(14);
    assertThat(path.reason()).matches("workloads\\[0]\\.routes\\[0]\\.match\\.regex: regex too complex: its RE2 program"
        + " has at least 4[0-9]{4} instructions, over the 32768 of re2\\.max_program_size\\.error_level in Istio's"
        + " bootstrap and Switchyard's; Envoy would reject the route configuration");
    MeshFileException header = error(BASE + "      - match: {headers: [{name: x-id, regex: '" + over + "'}]}\n"
        + "        to: [{service: reviews}]\n");
    assertThat(header.reason()).startsWith("workloads[0].routes[0].match.headers[0].regex: regex too complex");

    for (String notSurelyOver : new String[] {"/[^/]{1,1000}".repeat(4), "(?i)/users/\\pL+", "\\pL{30}"}) {
      Mesh mesh = parse(BASE + "      - match: {regex: '" + notSurelyOver + "'}\n        to: [{service: reviews}]\n");
      assertThat(mesh.workloads().get(0).routes().get(0).match().path()).isEqualTo(notSurelyOver);
    }
  }

  /**
   * RE2 (so Envoy) refuses nested counted repeats whose counts multiply past 1000 ("invalid repetition size",
   * RepetitionWalker in parse.cc); re2j takes them. 1000 is fine.
   */
  @Test
  void nestedRepeatCountsOverRe2sLimitOf1000AreRejected() throws Exception {
    for (String ok : new String[] {"/(?:a{2}){500}", "/((a{10}){10}){10}", "/(a{1000})*"}) {
      assertThat(parse(BASE + "      - match: {regex: '" + ok + "'}\n        to: [{service: reviews}]\n")
          .workloads().get(0).routes().get(0).match().path()).isEqualTo(ok);
    }
    for (String over : new String[] {"/(?:a{2}){501}", "/(a{100}){20}", "/((a{10}){10}){11}", "/(a{2,}){501}"}) {
      MeshFileException e = error(BASE + "      - match: {regex: '" + over + "'}\n        to: [{service: reviews}]\n");
      assertThat(e.line()).as(over).isEqualTo(14);
      assertThat(e.reason()).as(over).isEqualTo("workloads[0].routes[0].match.regex: invalid regex: nested repeat"
          + " counts multiply past 1000 (RE2's limit: Envoy's safe_regex rejects it, \"invalid repetition size\")");
    }
  }

  /**
   * re2j never finishes compiling a regex that case-folds U+1C80..U+1C88 (google/re2j#168: under JDK 17+ its simple
   * fold orbit of these letters never comes back), so such a regex is refused at its line before re2j sees it; a
   * mesh file with one hung xds at start or its reload thread forever. Case-insensitive Unicode classes fold through
   * re2j's tables and are fine, as are these letters outside the (?i) scope.
   */
  @Test
  void caseInsensitiveRegexesThatWouldHangRe2jAreRejectedAtTheirLine() {
    for (String hang : new String[] {"(?i)\u1c80", "(?i)\\x{1C80}", "(?i)[\\x{100}-\\x{3000}]", "(?i)[^\\x{1C80}]"}) {
      MeshFileException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
          () -> error(BASE + "      - match: {regex: '" + hang + "'}\n        to: [{service: reviews}]\n"), hang);
      assertThat(e.line()).as(hang).isEqualTo(14);
      assertThat(e.reason()).as(hang).startsWith("workloads[0].routes[0].match.regex: unsupported regex: case-insensitive"
          + " matching of U+1C80–U+1C88 (Cyrillic Extended-C) cannot be checked: re2j, which xds validates regexes"
          + " with, never finishes compiling it (google/re2j#168); write these letters' cases out explicitly");
    }
    MeshFileException header = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> error(BASE
        + "      - match: {headers: [{name: x-id, regex: '(?i)\u1c88'}]}\n        to: [{service: reviews}]\n"));
    assertThat(header.reason()).startsWith("workloads[0].routes[0].match.headers[0].regex: unsupported regex:"
        + " case-insensitive matching of U+1C80–U+1C88");
  }

  @Test
  void caseInsensitiveRegexesRe2jCompilesAreAccepted() throws Exception {
    for (String fine : new String[] {"(?i)\\pL", "(?i)\\p{Cyrillic}", "(?i)[\\pL]", "(?i)[^a]", "(?i:a)\u1c80",
        "(?i)[\\x{1C00}-\\x{1C7F}]", "\u1c80", "(?i)/users/\\pL+"}) {
      Mesh mesh = assertTimeoutPreemptively(Duration.ofSeconds(10),
          () -> parse(BASE + "      - match: {regex: '" + fine + "'}\n        to: [{service: reviews}]\n"), fine);
      assertThat(mesh.workloads().get(0).routes().get(0).match().path()).isEqualTo(fine);
    }
  }

  /** Istio's validateHTTPRetry: with 0 attempts (retries off) a retryOn or perTryTimeout is an error. */
  @Test
  void zeroAttemptsTakeNeitherRetryOnNorPerTryTimeout() throws Exception {
    assertThat(parse(BASE + "      - to: [{service: reviews}]\n        retries: {attempts: 0}\n")
        .workloads().get(0).routes().get(0).retries().orElseThrow().attempts()).isZero();
    for (String extra : new String[] {"retryOn: 5xx", "perTryTimeout: 1s"}) {
      MeshFileException e = error(BASE + "      - to: [{service: reviews}]\n        retries: {attempts: 0, " + extra + "}\n");
      assertThat(e.line()).as(extra).isEqualTo(15);
      assertThat(e.reason()).as(extra).contains("http retry policy configured when attempts are set to 0 (disabled)");
    }
  }

  @Test
  void gatewayWorkloadsTakeNumTrustedProxiesOthersCannot() throws Exception {
    Mesh mesh = parse(BASE.replace("    nodeGroup: edge", "    nodeGroup: edge\n    gateway: true\n    numTrustedProxies: 1")
        + "      - to: [{service: reviews}]\n");
    assertThat(mesh.workloads().get(0).gateway()).isTrue();
    assertThat(mesh.workloads().get(0).numTrustedProxies()).isEqualTo(1);
    Mesh sidecar = parse(BASE + "      - to: [{service: reviews}]\n");
    assertThat(sidecar.workloads().get(0).gateway()).isFalse();
    assertThat(sidecar.workloads().get(0).numTrustedProxies()).isZero();
    MeshFileException notGateway = error(BASE.replace("    nodeGroup: edge", "    nodeGroup: edge\n    numTrustedProxies: 1")
        + "      - to: [{service: reviews}]\n");
    assertThat(notGateway.line()).isEqualTo(13);
    assertThat(notGateway.reason()).contains("numTrustedProxies").contains("gateway: true");
    MeshFileException negative = error(BASE.replace("    nodeGroup: edge",
        "    nodeGroup: edge\n    gateway: true\n    numTrustedProxies: -1") + "      - to: [{service: reviews}]\n");
    assertThat(negative.line()).isEqualTo(14);
    MeshFileException proxyless = error(BASE.replace("    nodeGroup: edge",
        "    nodeGroup: edge\n    proxyless: true\n    gateway: true") + "      - to: [{service: reviews}]\n");
    assertThat(proxyless.line()).isEqualTo(14);
    assertThat(proxyless.reason()).contains("proxyless");
  }

  /**
   * Istio's ProxyConfig.gatewayTopology.forwardClientCertDetails: read on gateways only (gateway.go), one of the
   * meshconfig ForwardClientCertDetails names.
   */
  @Test
  void gatewayWorkloadsTakeForwardClientCertDetailsOthersCannot() throws Exception {
    parse(BASE.replace("    nodeGroup: edge", "    nodeGroup: edge\n    gateway: true\n"
        + "    forwardClientCertDetails: APPEND_FORWARD") + "      - to: [{service: reviews}]\n");
    MeshFileException unknown = error(BASE.replace("    nodeGroup: edge",
        "    nodeGroup: edge\n    gateway: true\n    forwardClientCertDetails: APPEND") + "      - to: [{service: reviews}]\n");
    assertThat(unknown.line()).isEqualTo(14);
    assertThat(unknown.reason()).contains("'APPEND'").contains("SANITIZE, FORWARD_ONLY, APPEND_FORWARD, SANITIZE_SET, "
        + "ALWAYS_FORWARD_ONLY");
    MeshFileException undefined = error(BASE.replace("    nodeGroup: edge",
        "    nodeGroup: edge\n    gateway: true\n    forwardClientCertDetails: UNDEFINED") + "      - to: [{service: reviews}]\n");
    assertThat(undefined.line()).isEqualTo(14);
    assertThat(undefined.reason()).contains("'UNDEFINED'");
  }

  /**
   * Istio's ProxyConfig.proxyHeaders.forwardedClientCert (also the per-pod proxy.istio.io/config annotation): read by a
   * sidecar's inbound listeners only (listener_inbound.go buildSidecarInboundHTTPOpts), so a sidecar takes it when its
   * listener serves its own app, APPEND_FORWARD unless given; a listener that only calls out, or a proxyless client,
   * would ignore it.
   */
  @Test
  void sidecarsServingTheirAppTakeForwardClientCertDetailsOthersCannot() throws Exception {
    String inbound = BASE.replace("    nodeGroup: edge", "    nodeGroup: edge\n    appPorts: [8080]\n"
        + "    forwardClientCertDetails: %s") + "      - to: [{localPort: 8080}]\n";
    assertThat(parse(String.format(inbound, "SANITIZE")).workloads().get(0).forwardClientCertDetails())
        .contains(Mesh.ForwardClientCertDetails.SANITIZE);
    assertThat(parse(BASE.replace("    nodeGroup: edge", "    nodeGroup: edge\n    appPorts: [8080]\n"
        + "    forwardClientCertDetails: FORWARD_ONLY").replace("    routes:\n", "    routes: []\n")).workloads().get(0).forwardClientCertDetails())
        .as("the default route to appPorts").contains(Mesh.ForwardClientCertDetails.FORWARD_ONLY);
    assertThat(parse(String.format(inbound, "SANITIZE").replace("    forwardClientCertDetails: SANITIZE\n", ""))
        .workloads().get(0).forwardClientCertDetails()).isEmpty();
    MeshFileException outboundOnly = error(BASE.replace("    nodeGroup: edge",
        "    nodeGroup: edge\n    forwardClientCertDetails: SANITIZE_SET") + "      - to: [{service: reviews}]\n");
    assertThat(outboundOnly.line()).isEqualTo(13);
    assertThat(outboundOnly.reason()).contains("forwardClientCertDetails").contains("localPort")
        .contains("gateway: true");
    MeshFileException proxyless = error(BASE.replace("    nodeGroup: edge",
        "    nodeGroup: edge\n    proxyless: true\n    forwardClientCertDetails: SANITIZE") + "      - to: [{service: reviews}]\n");
    assertThat(proxyless.line()).isEqualTo(14);
    assertThat(proxyless.reason()).contains("proxyless");
    MeshFileException unknown = error(String.format(inbound, "APPEND"));
    assertThat(unknown.line()).isEqualTo(14);
    assertThat(unknown.reason()).contains("'APPEND'").contains("APPEND_FORWARD)");
  }

  @Test
  void rateLimitsNeedTheRateLimitServiceConfigured() {
    String noRls = BASE.replace("  rateLimit: {port: 8081}\n", "");
    MeshFileException e = error(noRls + "      - to: [{service: reviews}]\n        rateLimits: [{actions: [{remoteAddress: {}}]}]\n");
    assertThat(e.reason()).contains("switchyard.rateLimit is not configured");
  }

  @Test
  void unknownRateLimitActionListsTheVocabulary() {
    MeshFileException e = error(BASE + "      - to: [{service: reviews}]\n        rateLimits: [{actions: [{clientIp: {}}]}]\n");
    assertThat(e.reason()).contains("requestHeaders").contains("destinationCluster");
  }

  @Test
  void jwtRequirementMustNameADeclaredProvider() {
    MeshFileException e = error(BASE + "      - to: [{service: reviews}]\n        jwt: corp\n");
    assertThat(e.reason()).contains("unknown JWT provider 'corp'");
  }

  @Test
  void proxylessWorkloadsCannotAskForEnvoyOnlyFilters() {
    MeshFileException e = error(BASE.replace("    nodeGroup: edge", "    nodeGroup: edge\n    proxyless: true")
        + "      - to: [{service: reviews}]\n        extAuthz: true\n");
    assertThat(e.reason()).contains("proxyless");
  }

  @Test
  void yamlSyntaxErrorsCarryTheirLine() {
    MeshFileException e = error("workloads:\n  - name: [unclosed\n");
    assertThat(e.line()).isGreaterThan(0);
    assertThat(e.reason()).startsWith("invalid YAML");
  }

  /** Found by MeshFileMutationTest (a NUL inserted in a value): SnakeYAML's reader gives an offset, not a mark. */
  @Test
  void aControlCharacterIsRejectedAtItsLineAndColumn() {
    MeshFileException e = error("trustDomain: cluster.local\nworkloads:\n  - name: front\u0000end\n");
    assertThat(e.line()).isEqualTo(3);
    assertThat(e.column()).isEqualTo(16);
    assertThat(e.reason()).isEqualTo("invalid YAML: special characters are not allowed (U+0000)");
  }

  /** Found by MeshFileMutationTest: SnakeYAML's nesting limit (50) reports no mark. */
  @Test
  void nestingBeyondFiftyLevelsIsRejectedAtTheNodeThatGoesTooDeep() {
    MeshFileException e = error("trustDomain: cluster.local\nworkloads:\n  - name: " + "[".repeat(60) + "]".repeat(60) + "\n");
    assertThat(e.line()).isEqualTo(3);
    assertThat(e.column()).isEqualTo(59);
    assertThat(e.reason()).isEqualTo("invalid YAML: Nesting Depth exceeded max 50");
  }

  @Test
  void anUnclosedBraceNamesTheLineWhereItWasOpened() {
    // The parser only notices the missing '}' lines later; the line the user broke must be in the reason too.
    MeshFileException e = error("switchyard:\n  extAuthz:  {host: 127.0.0.1, port: 9191\n  rateLimit: {host: 127.0.0.1, port: 8081}\n"
        + "  accessLog: {host: 127.0.0.1, port: 9001}\n");
    assertThat(e.line()).isEqualTo(3);
    assertThat(e.reason()).startsWith("invalid YAML: expected ',' or '}'")
        .contains("while parsing a flow mapping started at line 2, column 14");
  }

  @Test
  void duplicateKeysAreRejected() {
    MeshFileException e = error(BASE.replace("    nodeGroup: edge", "    nodeGroup: edge\n    nodeGroup: x"));
    assertThat(e.reason()).contains("duplicate key 'nodeGroup'");
  }

  /**
   * An app port may declare its protocol as Istio's Service port does (appProtocol / name prefix), from the HTTP
   * family the sidecar's HTTP listener serves; a bare port number is Istio's undeclared protocol.
   */
  @Test
  void appPortsTakeAnOptionalProtocolOfTheHttpFamily() throws Exception {
    String sidecar = BASE.replace("    nodeGroup: edge", "    nodeGroup: edge\n    appPorts: %s");
    Mesh.Workload w = parse(String.format(sidecar,
        "[8080, {port: 9090, protocol: grpc}, {port: 8081, protocol: http2}, {port: 8082, protocol: http}, {port: 7070},"
            + " {port: 9091, protocol: grpc-web}]")
        + "      - to: [{localPort: 9090}]\n").workloads().get(0);
    assertThat(w.appPorts()).containsExactly(8080, 9090, 8081, 8082, 7070, 9091);
    assertThat(w.appProtocol(9091)).contains(Mesh.Protocol.GRPC_WEB);
    assertThat(w.appProtocol(8080)).isEmpty();
    assertThat(w.appProtocol(7070)).isEmpty();
    assertThat(w.appProtocol(9090)).contains(Mesh.Protocol.GRPC);
    assertThat(w.appProtocol(8081)).contains(Mesh.Protocol.HTTP2);
    assertThat(w.appProtocol(8082)).contains(Mesh.Protocol.HTTP);
    MeshFileException tcp = error(String.format(sidecar, "[{port: 9090, protocol: tcp}]")
        + "      - to: [{localPort: 9090}]\n");
    assertThat(tcp.line()).isEqualTo(13);
    assertThat(tcp.reason()).contains("workloads[0].appPorts[0].protocol").contains("'tcp'")
        .contains("[http, http2, grpc, grpc-web]");
    MeshFileException duplicate = error(String.format(sidecar, "[9090, {port: 9090, protocol: grpc}]")
        + "      - to: [{localPort: 9090}]\n");
    assertThat(duplicate.reason()).contains("duplicate app port 9090");
    MeshFileException unknown = error(String.format(sidecar, "[{port: 9090, appProtocol: grpc}]")
        + "      - to: [{localPort: 9090}]\n");
    assertThat(unknown.line()).isEqualTo(13);
    assertThat(unknown.reason()).contains("unknown field 'appProtocol'");
    MeshFileException noPort = error(String.format(sidecar, "[{protocol: grpc}]") + "      - to: [{service: reviews}]\n");
    assertThat(noPort.reason()).contains("port");
  }

  @Test
  void defaultsFillTheGaps() throws Exception {
    Mesh mesh = parse(BASE + "      - to: [{service: reviews}]\n");
    Mesh.Workload w = mesh.workloads().get(0);
    assertThat(w.serviceAccount()).isEqualTo("default");
    assertThat(w.rateLimitDomain()).isEqualTo("edge");
    assertThat(w.listenerPort()).isEqualTo(15001);
    assertThat(w.routes().get(0).match().path()).isEqualTo("/");
    assertThat(w.routes().get(0).extAuthz()).isTrue();
    assertThat(mesh.switchyard().extAuthz().orElseThrow().host()).isEqualTo("127.0.0.1");
  }

  @Test
  void accessLoggerDefaultsToAlsWhenTheAlsTargetIsSetAndAWorkloadMayOverrideIt() throws Exception {
    String targets = BASE.replace("  rateLimit: {port: 8081}\n", "  rateLimit: {port: 8081}\n  accessLog: {}\n  otlp: {}\n");
    Mesh mesh = parse(targets + "      - to: [{service: reviews}]\n");
    assertThat(mesh.workloads().get(0).accessLogger()).isEqualTo(Mesh.AccessLogger.ALS);
    Mesh both = parse(targets.replace("    nodeGroup: edge", "    nodeGroup: edge\n    accessLogger: both")
        + "      - to: [{service: reviews}]\n");
    assertThat(both.workloads().get(0).accessLogger()).isEqualTo(Mesh.AccessLogger.BOTH);
    Mesh global = parse(targets.replace("  otlp: {}\n", "  otlp: {}\n  accessLogger: otel\n")
        + "      - to: [{service: reviews}]\n");
    assertThat(global.workloads().get(0).accessLogger()).isEqualTo(Mesh.AccessLogger.OTEL);
    assertThat(parse(BASE + "      - to: [{service: reviews}]\n").workloads().get(0).accessLogger())
        .isEqualTo(Mesh.AccessLogger.NONE);
  }

  @Test
  void accessLoggerNeedsItsTargetAndAKnownValue() {
    MeshFileException otel = error(BASE.replace("    nodeGroup: edge", "    nodeGroup: edge\n    accessLogger: otel")
        + "      - to: [{service: reviews}]\n");
    assertThat(otel.line()).isEqualTo(13);
    assertThat(otel.reason()).contains("needs switchyard.otlp");
    MeshFileException als = error(BASE.replace("  rateLimit: {port: 8081}\n", "  rateLimit: {port: 8081}\n  accessLogger: als\n")
        + "      - to: [{service: reviews}]\n");
    assertThat(als.line()).isEqualTo(4);
    assertThat(als.reason()).contains("needs switchyard.accessLog");
    MeshFileException unknown = error(BASE.replace("    nodeGroup: edge", "    nodeGroup: edge\n    accessLogger: file")
        + "      - to: [{service: reviews}]\n");
    assertThat(unknown.reason()).contains("'file' is not one of [none, als, otel, both]");
  }

  @Test
  void jwksCaFileDefaultsToTheSystemBundleAndMustBeAnAbsolutePathForHttps() throws Exception {
    String provider = "jwtProviders:\n  - name: corp\n    issuer: https://idp\n    jwksUri: https://idp.example.com/jwks\n";
    Mesh mesh = parse(provider + BASE + "      - to: [{service: reviews}]\n");
    assertThat(mesh.jwtProviders().get(0).jwksCaFile()).isEqualTo("/etc/ssl/certs/ca-certificates.crt");
    Mesh custom = parse(provider + "    jwksCaFile: /etc/envoy/idp-ca.pem\n" + BASE + "      - to: [{service: reviews}]\n");
    assertThat(custom.jwtProviders().get(0).jwksCaFile()).isEqualTo("/etc/envoy/idp-ca.pem");
    MeshFileException relative = error(provider + "    jwksCaFile: idp-ca.pem\n" + BASE + "      - to: [{service: reviews}]\n");
    assertThat(relative.line()).isEqualTo(5);
    assertThat(relative.reason()).contains("absolute path");
    MeshFileException local = error("jwtProviders:\n  - name: corp\n    issuer: https://idp\n    localJwks: '{}'\n"
        + "    jwksCaFile: /etc/ca.pem\n" + BASE + "      - to: [{service: reviews}]\n");
    assertThat(local.reason()).contains("only applies to an https jwksUri");
  }

  @Test
  void aMeshFileTooLargeForAConfigIsRefusedWithItsSizeBeforeItIsRead(@TempDir Path dir) throws Exception {
    Path big = dir.resolve("mesh.yaml");
    // Sparse: no disk, and reading it whole would not fit in a Java array (an Error, not a reason).
    try (var f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
      f.setLength(3L << 30);
    }
    assertThatThrownBy(() -> MeshFiles.load(big)).isInstanceOf(MeshFileException.class)
        .hasMessageStartingWith(big + ":")
        .hasMessageEndingWith(": file is 3221225472 bytes, more than a config file may have (12582912)");
  }

  @Test
  void meshBytesThatAreNotUtf8AreRefusedAtTheirLineAndColumn(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("mesh.yaml");
    java.nio.file.Files.write(f, "workloads:\n  - name: caf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    assertThatThrownBy(() -> MeshFiles.load(f)).isInstanceOf(MeshFileException.class)
        .hasMessage(f + ":2:14: byte 0xE9 is not UTF-8 (config files are UTF-8 text, as a ConfigMap's data is)");
  }
}
