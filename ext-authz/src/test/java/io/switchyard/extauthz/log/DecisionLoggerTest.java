package io.switchyard.extauthz.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.extauthz.authn.AuthnResult;
import io.switchyard.extauthz.config.Policies;
import io.switchyard.extauthz.config.PolicySet;
import io.switchyard.extauthz.decision.Decision;
import io.switchyard.extauthz.metrics.ExtAuthzMetrics;
import io.switchyard.extauthz.policy.AuthzOutcome;
import io.switchyard.extauthz.request.RequestAttributes;
import io.switchyard.extauthz.request.WorkloadRef;
import io.switchyard.model.v1.AuthzDecisionRecord;
import io.switchyard.serverkit.metrics.Metrics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class DecisionLoggerTest {
  final ExtAuthzMetrics metrics = new ExtAuthzMetrics(new Metrics(new PrometheusRegistry()));

  static RequestAttributes request() {
    return RequestAttributes.builder().workload(new WorkloadRef("foo", "httpbin", Map.of())).method("GET").host("h").path("/x?q=1")
        .sourcePrincipal("spiffe://cluster.local/ns/bar/sa/sleep").header("authorization", "Bearer secret")
        .header("cookie", "s=1").header("x-custom", "visible").header("x-secret", "hide-me").build();
  }

  static Decision decision() throws Exception {
    PolicySet s = Policies.load("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: foo}\nspec:\n  rules: [{}]\n");
    AuthzOutcome o = new AuthzOutcome(true, s.authorizationPolicies().get(0), 0, List.of("foo/audit"),
        List.of(new AuthzOutcome.DryRun("foo/dry", false)), "allowed");
    return new Decision(Decision.Result.ALLOW, 200, AuthnResult.ANONYMOUS, o, "allowed", s.revision(), Long.MAX_VALUE, true);
  }

  @Test
  void recordsCarryTheDecisionWithRedactedHeaders() throws Exception {
    List<AuthzDecisionRecord> got = new CopyOnWriteArrayList<>();
    try (DecisionLogger log = new DecisionLogger(new CapturingSink(got, null), 10, Set.of("authorization", "cookie", "X-Secret"), metrics)) {
      log.submit(new DecisionLogEntry("d-1", 42, decision(), request(), true, 1234, null));
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> got.size() == 1);
    }
    AuthzDecisionRecord r = got.get(0);
    assertThat(r.getDecisionId()).isEqualTo("d-1");
    assertThat(r.getResult()).isEqualTo(AuthzDecisionRecord.Result.RESULT_ALLOW);
    assertThat(r.getMatchedPolicy()).isEqualTo("foo/p");
    assertThat(r.getMatchedRule()).isZero();
    assertThat(r.getAuditPoliciesList()).containsExactly("foo/audit");
    assertThat(r.getDryRun(0).getPolicy()).isEqualTo("foo/dry");
    assertThat(r.getDryRun(0).getWouldBe()).isEqualTo(AuthzDecisionRecord.Result.RESULT_DENY);
    assertThat(r.getCacheHit()).isTrue();
    assertThat(r.getLatencyNanos()).isEqualTo(1234);
    assertThat(r.getNamespace()).isEqualTo("foo");
    assertThat(r.getWorkload()).isEqualTo("httpbin");
    assertThat(r.getPath()).isEqualTo("/x");
    assertThat(r.getPrincipal()).isEqualTo("spiffe://cluster.local/ns/bar/sa/sleep");
    assertThat(r.getHeadersMap()).containsEntry("authorization", DecisionLogger.REDACTED).containsEntry("cookie", DecisionLogger.REDACTED)
        .containsEntry("x-secret", DecisionLogger.REDACTED).containsEntry("x-custom", "visible");
    assertThat(r.toString()).doesNotContain("Bearer secret").doesNotContain("hide-me");
  }

  @Test
  void fullQueueDropsAndCountsInsteadOfBlocking() throws Exception {
    CountDownLatch stuck = new CountDownLatch(1);
    List<AuthzDecisionRecord> got = new CopyOnWriteArrayList<>();
    DecisionLogger log = new DecisionLogger(new CapturingSink(got, stuck), 2, Set.of(), metrics);
    Decision d = decision();
    for (int i = 0; i < 20; i++) {
      log.submit(new DecisionLogEntry("d-" + i, i, d, request(), false, 1, null));
    }
    // In flight at most: the batch the stuck logger took (up to the capacity) and a full queue behind it.
    assertThat(metrics.logRecords.labelValues("dropped").get()).isGreaterThanOrEqualTo(16);
    stuck.countDown();
    log.close();
    assertThat(got.size() + (long) metrics.logRecords.labelValues("dropped").get()).isEqualTo(20);
  }

  @Test
  void recordsEncodedOnManyCheckThreadsArriveWhole() throws Exception {
    List<AuthzDecisionRecord> got = new CopyOnWriteArrayList<>();
    Decision d = decision();
    try (DecisionLogger log = new DecisionLogger(new CapturingSink(got, null), 10_000, Set.of("authorization"), metrics)) {
      List<Thread> threads = new java.util.ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        threads.add(new Thread(() -> {
          for (int i = 0; i < 500; i++) {
            RequestAttributes r = RequestAttributes.builder().workload(new WorkloadRef("foo", "w" + thread, Map.of())).method("GET")
                .path("/t" + thread + "/" + i + "/" + "p".repeat(i % 300)).header("authorization", "Bearer " + i).build();
            log.submit(new DecisionLogEntry(thread + "-" + i, i, d, r, true, i, null));
          }
        }));
      }
      threads.forEach(Thread::start);
      for (Thread t : threads) {
        t.join();
      }
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 2000);
    }
    for (AuthzDecisionRecord r : got) {
      String[] id = r.getDecisionId().split("-");
      int i = Integer.parseInt(id[1]);
      assertThat(r.getWorkload()).isEqualTo("w" + id[0]);
      assertThat(r.getPath()).isEqualTo("/t" + id[0] + "/" + i + "/" + "p".repeat(i % 300));
      assertThat(r.getLatencyNanos()).isEqualTo(i);
      assertThat(r.getMatchedPolicy()).isEqualTo("foo/p");
      assertThat(r.getHeadersMap()).containsExactly(Map.entry("authorization", DecisionLogger.REDACTED));
    }
    assertThat(got.stream().map(AuthzDecisionRecord::getDecisionId).distinct().count()).isEqualTo(2000);
  }

  @Test
  void errorEntriesAreRecordedAsErrors() throws Exception {
    List<AuthzDecisionRecord> got = new CopyOnWriteArrayList<>();
    try (DecisionLogger log = new DecisionLogger(new CapturingSink(got, null), 10, Set.of(), metrics)) {
      log.submit(new DecisionLogEntry("d-e", 1, null, request(), false, 1, "deadline"));
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> got.size() == 1);
    }
    assertThat(got.get(0).getResult()).isEqualTo(AuthzDecisionRecord.Result.RESULT_ERROR);
    assertThat(got.get(0).getReason()).isEqualTo("deadline");
  }

  @Test
  void aFailingSinkCountsFailuresAndKeepsGoing() throws Exception {
    DecisionLogSink broken = new DecisionLogSink() {
      @Override
      public void write(String key, byte[] record) {
        throw new IllegalStateException("broker gone");
      }

      @Override
      public void close() {}
    };
    try (DecisionLogger log = new DecisionLogger(broken, 10, Set.of(), metrics)) {
      log.submit(new DecisionLogEntry("a", 1, decision(), request(), false, 1, null));
      log.submit(new DecisionLogEntry("b", 1, decision(), request(), false, 1, null));
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> metrics.logRecords.labelValues("failed").get() == 2);
    }
  }

  private static final class CapturingSink implements DecisionLogSink {
    private final List<AuthzDecisionRecord> got;
    private final CountDownLatch gate;

    CapturingSink(List<AuthzDecisionRecord> got, CountDownLatch gate) {
      this.got = got;
      this.gate = gate;
    }

    @Override
    public void write(String key, byte[] record) throws Exception {
      if (gate != null) {
        gate.await(10, TimeUnit.SECONDS);
      }
      got.add(AuthzDecisionRecord.parser().parseFrom(record));
    }

    @Override
    public void close() {}
  }
}
