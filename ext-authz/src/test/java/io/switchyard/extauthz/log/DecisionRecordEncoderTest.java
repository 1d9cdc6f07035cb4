package io.switchyard.extauthz.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.extauthz.authn.AuthnResult;
import io.switchyard.extauthz.config.Policies;
import io.switchyard.extauthz.config.PolicySet;
import io.switchyard.extauthz.decision.Decision;
import io.switchyard.extauthz.policy.AuthzOutcome;
import io.switchyard.extauthz.request.CheckRequestMapper;
import io.switchyard.extauthz.request.RandomCheckRequests;
import io.switchyard.extauthz.request.RequestAttributes;
import io.switchyard.extauthz.request.RequestIdentity;
import io.switchyard.extauthz.request.WorkloadRef;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.switchyard.model.v1.AuthzDecisionRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class DecisionRecordEncoderTest {
  static final Set<String> REDACTED = Set.of("authorization", "cookie", "X-Secret");
  static final String ALPHABET = "abcXYZ019-_/.:é日ß";

  @Test
  void encodedBytesParseToTheRecordABuilderMakes() throws Exception {
    Random rnd = new Random(20261126);
    PolicySet set = Policies.load("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: foo}\n"
        + "spec:\n  rules: [{}]\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
        + "metadata: {name: deny-admin, namespace: bar}\nspec:\n  action: DENY\n  rules: [{}, {}]\n");
    // Many decisions, each reused by many entries, so the per-decision encoding is shared.
    List<Decision> decisions = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      decisions.add(randomDecision(rnd, set));
    }
    DecisionRecordEncoder encoder = new DecisionRecordEncoder(REDACTED);
    for (int i = 0; i < 2000; i++) {
      Decision d = rnd.nextInt(8) == 0 ? null : decisions.get(rnd.nextInt(decisions.size()));
      DecisionLogEntry e = new DecisionLogEntry(rnd.nextInt(20) == 0 ? "" : "d-" + rnd.nextLong(),
          rnd.nextInt(10) == 0 ? 0 : rnd.nextLong(), d, randomRequest(rnd), rnd.nextBoolean(),
          rnd.nextInt(10) == 0 ? 0 : rnd.nextInt(10) == 0 ? -rnd.nextInt(1000) : rnd.nextLong() & Long.MAX_VALUE,
          d == null ? randomString(rnd, 30) : null);
      AuthzDecisionRecord expected = reference(e);
      AuthzDecisionRecord got = encoded(encoder, e);
      assertThat(got).as("entry %d: %s", i, e).isEqualTo(expected);
      assertThat(encoder.key(e)).isEqualTo(expected.getNamespace() + "/" + expected.getWorkload());
    }
  }

  /**
   * Headers read from the wire are copied into the record as the request's own entry bytes; the record must be
   * byte for byte the one encoded from the same request parsed by protobuf (redaction and the 512-character cut
   * included).
   */
  @Test
  void headersCopiedFromTheWireGiveTheBytesOfTheParsedRequest() throws Exception {
    Random rnd = new Random(20261127);
    DecisionRecordEncoder fromWire = new DecisionRecordEncoder(REDACTED);
    DecisionRecordEncoder fromParsed = new DecisionRecordEncoder(REDACTED);
    CheckRequestMapper mapper = new CheckRequestMapper(CheckRequestMapper.Options.defaults());
    Decision d = DecisionLoggerTest.decision();
    int copied = 0;
    for (int i = 0; i < 3000; i++) {
      byte[] wire = RandomCheckRequests.wire(rnd, rnd.nextInt(4) == 0);
      RequestAttributes read = mapper.map(wire);
      RequestAttributes parsed = mapper.map(CheckRequest.parseFrom(wire));
      assertThat(parsed.headerEntries()).isNull();
      copied += read.headerEntries() != null ? 1 : 0;
      int n = fromWire.encode(new DecisionLogEntry("d-" + i, 7, d, read, true, 9, null));
      int m = fromParsed.encode(new DecisionLogEntry("d-" + i, 7, d, parsed, true, 9, null));
      assertThat(Arrays.copyOf(fromWire.buffer(), n)).as("request %d", i).isEqualTo(Arrays.copyOf(fromParsed.buffer(), m));
    }
    assertThat(copied).isGreaterThan(120);
  }

  @Test
  void recordsLargerThanTheScratchBufferAreEncodedWhole() throws Exception {
    RequestAttributes.Builder b = RequestAttributes.builder().workload(new WorkloadRef("ns", "wl", Map.of())).method("GET").host("h")
        .path("/" + "p".repeat(20_000));
    for (int i = 0; i < 40; i++) {
      b.header("x-h" + i, "日".repeat(600));
    }
    DecisionRecordEncoder encoder = new DecisionRecordEncoder(REDACTED);
    for (int i = 0; i < 2; i++) {
      DecisionLogEntry e = new DecisionLogEntry("d-" + i, 7, DecisionLoggerTest.decision(), b.build(), true, 9, null);
      AuthzDecisionRecord got = encoded(encoder, e);
      assertThat(got).isEqualTo(reference(e));
      assertThat(got.getHeadersMap().get("x-h3")).hasSize(512);
      // A grown buffer is let go once the record is copied; the next record still encodes whole.
      encoder.trim();
      assertThat(encoder.buffer().length).isLessThanOrEqualTo(64 * 1024);
      DecisionLogEntry small = new DecisionLogEntry("s-" + i, 7, DecisionLoggerTest.decision(), DecisionLoggerTest.request(), true, 9, null);
      assertThat(encoded(encoder, small)).isEqualTo(reference(small));
    }
  }

  @Test
  void headerEntriesAroundVarintLengthBoundariesParseWhole() throws Exception {
    DecisionRecordEncoder encoder = new DecisionRecordEncoder(REDACTED);
    // Entry lengths 100..140 cross the one- to two-byte length prefix; long names cross two to three bytes.
    for (int n = 90; n <= 140; n++) {
      for (String name : new String[] {"x-v", "x-" + "n".repeat(16_370 - 512 + n)}) {
        RequestAttributes r = RequestAttributes.builder().workload(new WorkloadRef("ns", "wl", Map.of())).path("/")
            .header(name, "v".repeat(n)).header("x-after", "é" + n).build();
        DecisionLogEntry e = new DecisionLogEntry("d-" + n, 1, DecisionLoggerTest.decision(), r, false, 2, null);
        assertThat(encoded(encoder, e)).as("value length %d, name length %d", n, name.length()).isEqualTo(reference(e));
      }
    }
  }

  @Test
  void anErrorEntryWithoutAReasonHasAnEmptyReason() throws Exception {
    DecisionLogEntry e = new DecisionLogEntry("d", 1, null, DecisionLoggerTest.request(), false, 1, null);
    AuthzDecisionRecord got = encoded(new DecisionRecordEncoder(REDACTED), e);
    assertThat(got.getResult()).isEqualTo(AuthzDecisionRecord.Result.RESULT_ERROR);
    assertThat(got.getReason()).isEmpty();
    assertThat(got.getMatchedRule()).isEqualTo(-1);
  }

  private static Decision randomDecision(Random rnd, PolicySet set) {
    Decision.Result result = Decision.Result.values()[rnd.nextInt(Decision.Result.values().length)];
    AuthnResult authn = switch (rnd.nextInt(3)) {
      case 0 -> null;
      case 1 -> AuthnResult.ANONYMOUS;
      default -> new AuthnResult(true, new RequestIdentity("https://iss" + rnd.nextInt(3), rnd.nextBoolean() ? null : "sub" + rnd.nextInt(9), Map.of()),
          null, Long.MAX_VALUE, Map.of(), List.of(), List.of(), true);
    };
    AuthzOutcome outcome = null;
    if (rnd.nextInt(4) != 0) {
      List<String> audits = new ArrayList<>();
      for (int i = rnd.nextInt(3); i > 0; i--) {
        audits.add("ns/audit-" + rnd.nextInt(5));
      }
      List<AuthzOutcome.DryRun> dryRuns = new ArrayList<>();
      for (int i = rnd.nextInt(3); i > 0; i--) {
        dryRuns.add(new AuthzOutcome.DryRun("ns/dry-" + rnd.nextInt(5), rnd.nextBoolean()));
      }
      boolean matched = rnd.nextBoolean();
      outcome = new AuthzOutcome(rnd.nextBoolean(), matched ? set.authorizationPolicies().get(rnd.nextInt(2)) : null,
          matched ? rnd.nextInt(2) : -1, audits, dryRuns, "r");
    }
    return new Decision(result, 200, authn, outcome, rnd.nextInt(4) == 0 ? null : randomString(rnd, 20), set.revision(), Long.MAX_VALUE, true);
  }

  private static RequestAttributes randomRequest(Random rnd) {
    RequestAttributes.Builder b = RequestAttributes.builder().http(rnd.nextInt(6) != 0)
        .workload(new WorkloadRef(nullOr(rnd, "ns" + rnd.nextInt(3)), nullOr(rnd, "wl" + rnd.nextInt(3)), Map.of()))
        .method(nullOr(rnd, rnd.nextBoolean() ? "GET" : "POST")).host(nullOr(rnd, randomString(rnd, 15)))
        .sourcePrincipal(nullOr(rnd, "spiffe://cluster.local/ns/a/sa/" + rnd.nextInt(4)))
        .path(nullOr(rnd, "/" + randomString(rnd, 40) + (rnd.nextBoolean() ? "?q=" + randomString(rnd, 5) : "")));
    String[] names = {"authorization", "cookie", "x-secret", "x-custom", "user-agent", "x-long", ""};
    for (int i = rnd.nextInt(8); i > 0; i--) {
      int len = rnd.nextInt(4) == 0 ? 400 + rnd.nextInt(1200) : rnd.nextInt(30);
      b.header(names[rnd.nextInt(names.length)], randomString(rnd, len));
    }
    return b.build();
  }

  private static String nullOr(Random rnd, String s) {
    return rnd.nextInt(5) == 0 ? null : s;
  }

  private static String randomString(Random rnd, int maxLen) {
    int n = rnd.nextInt(maxLen + 1);
    StringBuilder s = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      s.append(ALPHABET.charAt(rnd.nextInt(ALPHABET.length())));
    }
    return s.toString();
  }

  /** The record as the logger built it with the protobuf builder before it encoded directly: the oracle. */
  private static AuthzDecisionRecord reference(DecisionLogEntry e) {
    Set<String> redacted = REDACTED.stream().map(h -> h.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
    RequestAttributes r = e.request();
    Decision d = e.decision();
    // As the logger did before it encoded directly: the decision's fields, then the per-call ones set on a copy.
    AuthzDecisionRecord.Builder b = d == null ? AuthzDecisionRecord.newBuilder() : DecisionRecordEncoder.decisionRecord(d).toBuilder();
    b.setSchemaVersion(1).setDecisionId(e.decisionId()).setTimeUnixNano(e.timeUnixNanos()).setCacheHit(e.cacheHit())
        .setLatencyNanos(e.latencyNanos());
    if (r.workload().namespace() != null) {
      b.setNamespace(r.workload().namespace());
    }
    if (r.workload().name() != null) {
      b.setWorkload(r.workload().name());
    }
    if (r.sourcePrincipal() != null) {
      b.setPrincipal(r.sourcePrincipal());
    }
    if (r.method() != null) {
      b.setMethod(r.method());
    }
    if (r.host() != null) {
      b.setHost(r.host());
    }
    if (r.path() != null) {
      b.setPath(r.path());
    } else if (r.rawPath() != null) {
      b.setPath(r.rawPath());
    }
    Map<String, String> headers = new HashMap<>();
    r.headers().forEach((k, v) -> headers.put(k, redacted.contains(k) ? DecisionLogger.REDACTED : v.length() > 512 ? v.substring(0, 512) : v));
    b.putAllHeaders(headers);
    if (d == null) {
      b.setResult(AuthzDecisionRecord.Result.RESULT_ERROR).setReason(e.errorReason()).setMatchedRule(-1);
    }
    return b.build();
  }

  /** Parses exactly the bytes the encoder reports, so stale bytes of a longer earlier record would show. */
  private static AuthzDecisionRecord encoded(DecisionRecordEncoder encoder, DecisionLogEntry e) throws Exception {
    int length = encoder.encode(e);
    return AuthzDecisionRecord.parser().parseFrom(encoder.buffer(), 0, length);
  }
}
