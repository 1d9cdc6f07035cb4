package io.switchyard.ratelimit.limiter;

import static io.switchyard.ratelimit.limiter.LimiterFixture.d;
import static io.switchyard.ratelimit.limiter.LimiterFixture.withHits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.Code;
import io.switchyard.ratelimit.storage.CounterStore;
import io.switchyard.testing.MutableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Decision conformance with envoyproxy/ratelimit (research note, section 3) plus the extensions. Every
 * storage runs these same cases through a subclass.
 */
public abstract class LimiterConformanceTestBase {
  /** 2026-01-01T00:00:00Z: aligned on every unit up to a day, so windows start at 0 offset. */
  protected static final long T0 = 1_767_225_600_000L;

  private final List<CounterStore> stores = new ArrayList<>();

  protected abstract CounterStore newStore(MutableClock clock);

  protected LimiterFixture fixture(String yaml) {
    return fixture(yaml, LimiterOptions.defaults());
  }

  protected LimiterFixture fixture(String yaml, LimiterOptions options) {
    MutableClock clock = MutableClock.ofEpochMilli(T0);
    CounterStore store = newStore(clock);
    stores.add(store);
    return new LimiterFixture(yaml, store, clock, options);
  }

  @AfterEach
  void closeStores() {
    stores.forEach(CounterStore::close);
  }

  static final String YAML = """
      domain: web
      descriptors:
        - key: user
          rate_limit: {unit: second, requests_per_unit: 3, name: per-user}
        - key: path
          value: /login
          rate_limit: {unit: minute, requests_per_unit: 2}
        - key: free
          rate_limit: {unlimited: true}
        - key: blocked
          rate_limit: {unit: hour, requests_per_unit: 0}
        - key: shadow
          shadow_mode: true
          rate_limit: {unit: second, requests_per_unit: 1}
        - key: quota
          quota_mode: true
          rate_limit: {unit: second, requests_per_unit: 1}
        - key: quota2
          quota_mode: true
          rate_limit: {unit: second, requests_per_unit: 1}
        - key: plan
          value: gold
          rate_limit: {unit: second, requests_per_unit: 100, name: gold}
        - key: plan
          value: vip
          rate_limit:
            unit: second
            requests_per_unit: 1000
            name: vip
            replaces: [{name: per-user}]
        - key: multi
          rate_limits:
            - {unit: second, requests_per_unit: 2, name: burst}
            - {unit: day, requests_per_unit: 5, name: daily}
        - key: tagged
          metadata: {team: payments}
          rate_limit: {unit: second, requests_per_unit: 5}
      """;

  @Test
  void countsWithinTheWindowThenAnswersOverLimit() {
    LimiterFixture f = fixture(YAML);
    for (int expectedRemaining = 2; expectedRemaining >= 0; expectedRemaining--) {
      RateLimitResponse r = f.call("web", d("user", "alice"));
      assertThat(r.getOverallCode()).isEqualTo(Code.OK);
      RateLimitResponse.DescriptorStatus s = r.getStatuses(0);
      assertThat(s.getCode()).isEqualTo(Code.OK);
      assertThat(s.getLimitRemaining()).isEqualTo(expectedRemaining);
      assertThat(s.getCurrentLimit().getRequestsPerUnit()).isEqualTo(3);
      assertThat(s.getCurrentLimit().getName()).isEqualTo("per-user");
      assertThat(s.getCurrentLimit().getUnit()).isEqualTo(RateLimitResponse.RateLimit.Unit.SECOND);
      assertThat(s.getDurationUntilReset().getSeconds()).isEqualTo(1);
    }
    RateLimitResponse over = f.call("web", d("user", "alice"));
    assertThat(over.getOverallCode()).isEqualTo(Code.OVER_LIMIT);
    assertThat(over.getStatuses(0).getCode()).isEqualTo(Code.OVER_LIMIT);
    assertThat(over.getStatuses(0).getLimitRemaining()).isZero();
    assertThat(over.getStatuses(0).getCurrentLimit().getRequestsPerUnit()).isEqualTo(3);
    // another value of a value-less rule has its own counter
    assertThat(f.call("web", d("user", "bob")).getOverallCode()).isEqualTo(Code.OK);
  }

  @Test
  void windowRollsOverAtTheUnitBoundary() {
    LimiterFixture f = fixture(YAML);
    f.clock.advance(Duration.ofSeconds(30));
    assertThat(f.call("web", d("path", "/login")).getStatuses(0).getDurationUntilReset().getSeconds()).isEqualTo(30);
    f.call("web", d("path", "/login"));
    assertThat(f.call("web", d("path", "/login")).getOverallCode()).isEqualTo(Code.OVER_LIMIT);
    f.clock.advance(Duration.ofSeconds(29));
    assertThat(f.call("web", d("path", "/login")).getOverallCode()).isEqualTo(Code.OVER_LIMIT);
    f.clock.advance(Duration.ofSeconds(1));
    RateLimitResponse fresh = f.call("web", d("path", "/login"));
    assertThat(fresh.getOverallCode()).isEqualTo(Code.OK);
    assertThat(fresh.getStatuses(0).getLimitRemaining()).isEqualTo(1);
    assertThat(fresh.getStatuses(0).getDurationUntilReset().getSeconds()).isEqualTo(60);
  }

  @Test
  void unknownDomainAndUnmatchedDescriptorAreOkWithoutLimit() {
    LimiterFixture f = fixture(YAML);
    RateLimitResponse r = f.call("nope", d("user", "a"), d("x", "y"));
    assertThat(r.getOverallCode()).isEqualTo(Code.OK);
    assertThat(r.getStatusesList()).hasSize(2).allSatisfy(s -> {
      assertThat(s.getCode()).isEqualTo(Code.OK);
      assertThat(s.hasCurrentLimit()).isFalse();
      assertThat(s.getLimitRemaining()).isZero();
    });
    assertThat(f.counter("ratelimit_service_rate_limit_domain_not_found", "domain", "nope")).isEqualTo(2);
    RateLimitResponse unmatched = f.call("web", d("nothing", "here"));
    assertThat(unmatched.getStatuses(0).hasCurrentLimit()).isFalse();
  }

  @Test
  void emptyDomainOrNoDescriptorsIsInvalid() {
    LimiterFixture f = fixture(YAML);
    assertThatThrownBy(() -> f.limiter.shouldRateLimit(RateLimitRequest.newBuilder().addDescriptors(d("a", "b")).build()))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("domain");
    assertThatThrownBy(() -> f.limiter.shouldRateLimit(RateLimitRequest.newBuilder().setDomain("web").build()))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("descriptors");
  }

  @Test
  void unlimitedAnswersMaxRemainingWithoutCurrentLimit() {
    LimiterFixture f = fixture(YAML);
    RateLimitResponse.DescriptorStatus s = f.call("web", d("free", "x")).getStatuses(0);
    assertThat(s.getCode()).isEqualTo(Code.OK);
    assertThat(s.hasCurrentLimit()).isFalse();
    assertThat(Integer.toUnsignedLong(s.getLimitRemaining())).isEqualTo(4_294_967_295L);
  }

  @Test
  void zeroRequestsPerUnitBlocksEveryHit() {
    LimiterFixture f = fixture(YAML);
    RateLimitResponse r = f.call("web", d("blocked", "x"));
    assertThat(r.getOverallCode()).isEqualTo(Code.OVER_LIMIT);
    assertThat(r.getStatuses(0).getCurrentLimit().getRequestsPerUnit()).isZero();
  }

  @Test
  void requestHitsAddendZeroMeansOneAndLargerValuesCountInFull() {
    LimiterFixture f = fixture(YAML);
    RateLimitRequest zero = RateLimitRequest.newBuilder().setDomain("web").addDescriptors(d("user", "z")).setHitsAddend(0).build();
    assertThat(f.call(zero).getStatuses(0).getLimitRemaining()).isEqualTo(2);
    RateLimitRequest two = zero.toBuilder().setHitsAddend(2).build();
    assertThat(f.call(two).getStatuses(0).getLimitRemaining()).isZero();
    assertThat(f.call(zero).getOverallCode()).isEqualTo(Code.OVER_LIMIT);
  }

  @Test
  void descriptorHitsAddendZeroChecksWithoutCounting() {
    LimiterFixture f = fixture(YAML);
    RateLimitDescriptor check = withHits(d("user", "c"), 0);
    for (int i = 0; i < 5; i++) {
      RateLimitResponse r = f.call("web", check);
      assertThat(r.getOverallCode()).isEqualTo(Code.OK);
      assertThat(r.getStatuses(0).getLimitRemaining()).isEqualTo(3);
    }
    // the per-descriptor value wins over the request-level one
    RateLimitRequest req = RateLimitRequest.newBuilder().setDomain("web").setHitsAddend(1)
        .addDescriptors(withHits(d("user", "c"), 3)).build();
    assertThat(f.call(req).getStatuses(0).getLimitRemaining()).isZero();
    assertThat(f.call("web", check).getOverallCode()).isEqualTo(Code.OK);
    assertThat(f.call("web", withHits(d("user", "c"), 1)).getOverallCode()).isEqualTo(Code.OVER_LIMIT);
    assertThat(f.call("web", check).getOverallCode()).isEqualTo(Code.OVER_LIMIT);
  }

  @Test
  void overrideLimitFromEnvoyIsUsedAsIs() {
    LimiterFixture f = fixture(YAML);
    RateLimitDescriptor o = d("anything", "v").toBuilder().setLimit(
        RateLimitDescriptor.RateLimitOverride.newBuilder().setRequestsPerUnit(1)
            .setUnit(io.envoyproxy.envoy.type.v3.RateLimitUnit.MINUTE)).build();
    RateLimitResponse first = f.call("web", o);
    assertThat(first.getStatuses(0).getCurrentLimit().getRequestsPerUnit()).isEqualTo(1);
    assertThat(first.getStatuses(0).getCurrentLimit().getUnit()).isEqualTo(RateLimitResponse.RateLimit.Unit.MINUTE);
    assertThat(first.getStatuses(0).getCurrentLimit().getName()).isEmpty();
    assertThat(f.call("web", o).getOverallCode()).isEqualTo(Code.OVER_LIMIT);
    // overrides replace a configured rule on the same entries, and are not shadowed
    RateLimitDescriptor shadowOverride = d("shadow", "s").toBuilder().setLimit(
        RateLimitDescriptor.RateLimitOverride.newBuilder().setRequestsPerUnit(0)
            .setUnit(io.envoyproxy.envoy.type.v3.RateLimitUnit.SECOND)).build();
    assertThat(f.call("web", shadowOverride).getOverallCode()).isEqualTo(Code.OVER_LIMIT);
    RateLimitDescriptor badUnit = d("a", "b").toBuilder().setLimit(
        RateLimitDescriptor.RateLimitOverride.newBuilder().setRequestsPerUnit(1)).build();
    assertThatThrownBy(() -> f.limiter.shouldRateLimit(RateLimitRequest.newBuilder().setDomain("web")
        .addDescriptors(badUnit).build())).hasMessageContaining("descriptors[0].limit.unit");
  }

  @Test
  void replacedLimitIsDroppedAndNotCounted() {
    LimiterFixture f = fixture(YAML);
    for (int i = 0; i < 5; i++) {
      RateLimitResponse r = f.call("web", d("user", "r"), d("plan", "vip"));
      assertThat(r.getOverallCode()).isEqualTo(Code.OK);
      assertThat(r.getStatuses(0).hasCurrentLimit()).isFalse();
      assertThat(r.getStatuses(1).getCurrentLimit().getName()).isEqualTo("vip");
    }
    // without the replacing descriptor, per-user applies and has counted nothing so far
    assertThat(f.call("web", d("user", "r")).getStatuses(0).getLimitRemaining()).isEqualTo(2);
    // a descriptor that does not replace leaves the other alone
    assertThat(f.call("web", d("user", "r"), d("plan", "gold")).getStatuses(0).hasCurrentLimit()).isTrue();
  }

  @Test
  void shadowModeCountsButAnswersOkAndKeepsTheLimit() {
    LimiterFixture f = fixture(YAML);
    f.call("web", d("shadow", "s"));
    RateLimitResponse r = f.call("web", d("shadow", "s"));
    assertThat(r.getOverallCode()).isEqualTo(Code.OK);
    assertThat(r.getStatuses(0).getCode()).isEqualTo(Code.OK);
    assertThat(r.getStatuses(0).getCurrentLimit().getRequestsPerUnit()).isEqualTo(1);
    assertThat(r.getStatuses(0).getLimitRemaining()).isZero();
    assertThat(f.counter("ratelimit_service_rate_limit_shadow_mode", "key1", "shadow")).isEqualTo(1);
  }

  @Test
  void globalShadowModeFlipsOnlyTheOverallCode() {
    LimiterFixture f = fixture(YAML, LimiterOptions.defaults().withGlobalShadowMode(true));
    RateLimitResponse r = f.call("web", d("blocked", "x"));
    assertThat(r.getOverallCode()).isEqualTo(Code.OK);
    assertThat(r.getStatuses(0).getCode()).isEqualTo(Code.OVER_LIMIT);
    assertThat(f.counter("ratelimit_service_global_shadow_mode")).isEqualTo(1);
  }

  @Test
  void overLimitHitsAreCountedAndOtherDescriptorsStillIncrementByDefault() {
    LimiterFixture f = fixture(YAML);
    int[] remaining = new int[4];
    for (int i = 0; i < 4; i++) {
      RateLimitResponse r = f.call("web", d("blocked", "x"), d("user", "k"));
      assertThat(r.getOverallCode()).isEqualTo(Code.OVER_LIMIT);
      remaining[i] = r.getStatuses(1).getLimitRemaining();
    }
    assertThat(remaining).containsExactly(2, 1, 0, 0);
    assertThat(f.call("web", d("user", "k")).getStatuses(0).getCode()).isEqualTo(Code.OVER_LIMIT);
  }

  @Test
  void rejectedRequestsChargeNoCounterWhenCountingRejectedHitsIsOff() {
    LimiterFixture f = fixture(YAML, LimiterOptions.defaults().withCountRejectedHits(false));
    for (int i = 0; i < 4; i++) {
      RateLimitResponse r = f.call("web", d("blocked", "x"), d("user", "k"));
      assertThat(r.getOverallCode()).isEqualTo(Code.OVER_LIMIT);
      assertThat(r.getStatuses(1).getCode()).isEqualTo(Code.OK);
      // As the reference's INCRBY 0: an uncharged descriptor reports its count as it is.
      assertThat(r.getStatuses(1).getLimitRemaining()).isEqualTo(3);
    }
    for (int expected = 2; expected >= 0; expected--) {
      assertThat(f.call("web", d("user", "k")).getStatuses(0).getLimitRemaining()).isEqualTo(expected);
    }
    assertThat(f.call("web", d("user", "k")).getOverallCode()).isEqualTo(Code.OVER_LIMIT);
  }

  @Test
  void descriptorRepeatedInOneRequestIsCountedTwice() {
    LimiterFixture f = fixture(YAML);
    RateLimitResponse r = f.call("web", d("user", "twice"), d("user", "twice"));
    assertThat(r.getStatuses(0).getLimitRemaining()).isEqualTo(2);
    assertThat(r.getStatuses(1).getLimitRemaining()).isEqualTo(1);
    RateLimitResponse r2 = f.call("web", d("user", "twice"), d("user", "twice"));
    assertThat(r2.getStatuses(0).getCode()).isEqualTo(Code.OK);
    assertThat(r2.getStatuses(1).getCode()).isEqualTo(Code.OVER_LIMIT);
  }

  @Test
  void quotaModeDescriptorsRejectOnlyWhenAllAreOver() {
    LimiterFixture f = fixture(YAML);
    f.call("web", d("quota", "q"));
    RateLimitResponse oneOver = f.call("web", d("quota", "q"), d("quota2", "q"));
    assertThat(oneOver.getStatuses(0).getCode()).isEqualTo(Code.OVER_LIMIT);
    assertThat(oneOver.getOverallCode()).isEqualTo(Code.OK);
    RateLimitResponse allOver = f.call("web", d("quota", "q"), d("quota2", "q"));
    assertThat(allOver.getOverallCode()).isEqualTo(Code.OVER_LIMIT);
  }

  @Test
  void globalQuotaModeTreatsEveryDescriptorAsQuota() {
    LimiterFixture f = fixture(YAML, LimiterOptions.defaults().withGlobalQuotaMode(true));
    f.call("web", d("path", "/login"));
    f.call("web", d("path", "/login"));
    RateLimitResponse oneOver = f.call("web", d("path", "/login"), d("user", "u"));
    assertThat(oneOver.getStatuses(0).getCode()).isEqualTo(Code.OVER_LIMIT);
    assertThat(oneOver.getOverallCode()).as("the user descriptor is not over").isEqualTo(Code.OK);
    assertThat(f.call("web", d("path", "/login")).getOverallCode()).as("its only descriptor is over")
        .isEqualTo(Code.OVER_LIMIT);
  }

  @Test
  void severalLimitsOnOneDescriptorAreAllEnforced() {
    LimiterFixture f = fixture(YAML);
    RateLimitResponse first = f.call("web", d("multi", "m"));
    assertThat(first.getStatuses(0).getCurrentLimit().getName()).isEqualTo("burst");
    assertThat(first.getStatuses(0).getLimitRemaining()).isEqualTo(1);
    f.call("web", d("multi", "m"));
    RateLimitResponse burst = f.call("web", d("multi", "m"));
    assertThat(burst.getOverallCode()).isEqualTo(Code.OVER_LIMIT);
    assertThat(burst.getStatuses(0).getCurrentLimit().getName()).isEqualTo("burst");
    f.clock.advance(Duration.ofSeconds(1));
    f.call("web", d("multi", "m"));
    f.clock.advance(Duration.ofSeconds(1));
    // the rejected burst hit was counted on the daily limit too (reference default): 3 + 1 + 1 = 5
    assertThat(f.call("web", d("multi", "m")).getOverallCode()).isEqualTo(Code.OK);
    RateLimitResponse daily = f.call("web", d("multi", "m"));
    assertThat(daily.getStatuses(0).getCurrentLimit().getName()).isEqualTo("daily");
    assertThat(daily.getStatuses(0).getDurationUntilReset().getSeconds()).isEqualTo(86_400 - 2);
  }

  @Test
  void slidingWindowStopsTheBoundaryBurstOfAFixedWindow() {
    LimiterFixture f = fixture("""
        domain: s
        descriptors:
          - key: k
            rate_limit: {unit: minute, requests_per_unit: 10, algorithm: sliding_window}
        """);
    f.clock.advance(Duration.ofSeconds(50));
    for (int i = 0; i < 10; i++) {
      assertThat(f.call("s", d("k", "v")).getOverallCode()).isEqualTo(Code.OK);
    }
    assertThat(f.call("s", d("k", "v")).getOverallCode()).isEqualTo(Code.OVER_LIMIT);
    // 15 s into the next window the previous one still weighs 45/60: 11 * 0.75 = 8.25, so one more fits.
    f.clock.advance(Duration.ofSeconds(25));
    assertThat(f.call("s", d("k", "v")).getOverallCode()).isEqualTo(Code.OK);
    assertThat(f.call("s", d("k", "v")).getOverallCode()).isEqualTo(Code.OVER_LIMIT);
    f.clock.advance(Duration.ofSeconds(60));
    assertThat(f.call("s", d("k", "v")).getOverallCode()).isEqualTo(Code.OK);
  }

  @Test
  void slidingWindowKeysStayInTheLocalCacheOnlyUntilTheyCouldAdmitAgain() {
    LimiterFixture f = fixture("""
        domain: s
        descriptors:
          - key: k
            rate_limit: {unit: minute, requests_per_unit: 10, algorithm: sliding_window}
        """);
    f.clock.advance(Duration.ofSeconds(50));
    for (int i = 0; i < 11; i++) {
      f.call("s", d("k", "v"));
    }
    f.clock.advance(Duration.ofSeconds(25));
    assertThat(f.call("s", d("k", "v")).getOverallCode()).isEqualTo(Code.OK);
    // 11 * 45/60 + 2 = 10.25: over, and cached while the previous window still weighs enough.
    assertThat(f.call("s", d("k", "v")).getOverallCode()).isEqualTo(Code.OVER_LIMIT);
    assertThat(f.counter("ratelimit_service_rate_limit_over_limit_with_local_cache", "key1", "k")).isZero();
    assertThat(f.call("s", d("k", "v")).getOverallCode()).isEqualTo(Code.OVER_LIMIT);
    assertThat(f.counter("ratelimit_service_rate_limit_over_limit_with_local_cache", "key1", "k")).isEqualTo(1);
    // A check-only hit fits once 11 * (60000 - m) / 60000 + 2 <= 10, i.e. from m = 16363.6 ms into the window.
    f.clock.advance(Duration.ofMillis(1_362));
    assertThat(f.call("s", withHits(d("k", "v"), 0)).getOverallCode()).isEqualTo(Code.OVER_LIMIT);
    f.clock.advance(Duration.ofMillis(2));
    assertThat(f.call("s", withHits(d("k", "v"), 0)).getOverallCode()).isEqualTo(Code.OK);
  }

  @Test
  void tokenBucketRefillsEvenlyAndRejectedHitsCostNothing() {
    LimiterFixture f = fixture("""
        domain: t
        descriptors:
          - key: k
            rate_limit: {unit: second, requests_per_unit: 4, algorithm: token_bucket}
        """);
    for (int i = 3; i >= 0; i--) {
      RateLimitResponse r = f.call("t", d("k", "v"));
      assertThat(r.getOverallCode()).isEqualTo(Code.OK);
      assertThat(r.getStatuses(0).getLimitRemaining()).isEqualTo(i);
    }
    for (int i = 0; i < 5; i++) {
      assertThat(f.call("t", d("k", "v")).getOverallCode()).isEqualTo(Code.OVER_LIMIT);
    }
    f.clock.advance(Duration.ofMillis(250));
    assertThat(f.call("t", d("k", "v")).getOverallCode()).isEqualTo(Code.OK);
    assertThat(f.call("t", d("k", "v")).getOverallCode()).isEqualTo(Code.OVER_LIMIT);
    f.clock.advance(Duration.ofSeconds(10));
    assertThat(f.call("t", d("k", "v")).getStatuses(0).getLimitRemaining()).isEqualTo(3);
  }

  @Test
  void overLimitKeysAreAnsweredFromTheLocalCache() {
    LimiterFixture f = fixture(YAML);
    f.call("web", d("blocked", "x"));
    f.call("web", d("blocked", "x"));
    f.call("web", d("blocked", "x"));
    assertThat(f.counter("ratelimit_service_rate_limit_over_limit_with_local_cache", "key1", "blocked")).isEqualTo(2);
    assertThat(f.counter("ratelimit_service_rate_limit_over_limit", "key1", "blocked")).isEqualTo(3);
    assertThat(f.counter("ratelimit_service_rate_limit_total_hits", "key1", "blocked")).isEqualTo(3);
  }

  @Test
  void nearAndWithinLimitStatsFollowTheReference() {
    LimiterFixture f = fixture("""
        domain: n
        descriptors:
          - key: k
            rate_limit: {unit: second, requests_per_unit: 10}
        """);
    for (int i = 0; i < 12; i++) {
      f.call("n", d("k", "v"));
    }
    assertThat(f.counter("ratelimit_service_rate_limit_total_hits", "domain", "n", "key1", "k")).isEqualTo(12);
    assertThat(f.counter("ratelimit_service_rate_limit_within_limit", "key1", "k")).isEqualTo(10);
    assertThat(f.counter("ratelimit_service_rate_limit_near_limit", "key1", "k")).isEqualTo(2);
    assertThat(f.counter("ratelimit_service_rate_limit_over_limit", "key1", "k")).isEqualTo(2);
  }

  @Test
  void xRateLimitHeadersNameThePolicyAsEnvoysDraftThreeDoes() {
    LimiterFixture f = fixture(YAML, LimiterOptions.defaults().withHeaders(LimiterOptions.HeaderStyle.X_RATELIMIT, false));
    RateLimitResponse r = f.call("web", d("plan", "gold"), d("path", "/login"));
    assertThat(r.getResponseHeadersToAddList()).extracting(h -> h.getKey() + ": " + h.getValue())
        .containsExactly("X-RateLimit-Limit: 2, 2;w=60", "X-RateLimit-Remaining: 1", "X-RateLimit-Reset: 60");
  }

  @Test
  void responseHeadersDescribeTheDescriptorClosestToItsLimit() {
    LimiterFixture f = fixture(YAML, LimiterOptions.defaults().withHeaders(LimiterOptions.HeaderStyle.RATELIMIT, false));
    RateLimitResponse r = f.call("web", d("plan", "gold"), d("path", "/login"));
    assertThat(r.getResponseHeadersToAddList()).extracting(h -> h.getKey() + ": " + h.getValue())
        .containsExactly("RateLimit-Limit: 2", "RateLimit-Remaining: 1", "RateLimit-Reset: 60");
    f.call("web", d("path", "/login"));
    RateLimitResponse over = f.call("web", d("plan", "gold"), d("path", "/login"));
    assertThat(over.getResponseHeadersToAddList().get(1).getValue()).isEqualTo("0");
  }

  @Test
  void responseHeadersCanListEveryDescriptor() {
    LimiterFixture f = fixture(YAML, LimiterOptions.defaults().withHeaders(LimiterOptions.HeaderStyle.X_RATELIMIT, true));
    RateLimitResponse r = f.call("web", d("plan", "gold"), d("path", "/login"));
    assertThat(r.getResponseHeadersToAdd(0).getKey()).isEqualTo("X-RateLimit-Limit");
    assertThat(r.getResponseHeadersToAdd(0).getValue()).isEqualTo("2, 100;w=1;name=\"gold\", 2;w=60");
  }

  @Test
  void noDynamicMetadataUnlessEnabledAsInTheReference() {
    LimiterFixture f = fixture(YAML);
    assertThat(f.call("web", d("tagged", "t")).hasDynamicMetadata()).isFalse();
  }

  @Test
  void dynamicMetadataHasTheReferencesShapeWithTheMetadataOfLimitsThatPassed() {
    LimiterFixture f = fixture(YAML, LimiterOptions.defaults().withResponseDynamicMetadata(true));
    com.google.protobuf.Struct m = f.call("web", d("tagged", "t")).getDynamicMetadata();
    assertThat(m.getFieldsOrThrow("domain").getStringValue()).isEqualTo("web");
    com.google.protobuf.Struct descriptor = m.getFieldsOrThrow("descriptors").getListValue().getValues(0).getStructValue();
    assertThat(descriptor.getFieldsOrThrow("entries").getListValue().getValues(0).getStringValue()).isEqualTo("tagged=t");
    assertThat(m.getFieldsOrThrow("metadata").getStructValue().getFieldsOrThrow("team").getStringValue())
        .isEqualTo("payments");
    assertThat(m.containsFields("hitsAddend")).as("the request's hits_addend is 0").isFalse();
  }

  @Test
  void aDescriptorOverItsLimitLeavesItsMetadataOut() {
    LimiterFixture f = fixture(YAML, LimiterOptions.defaults().withResponseDynamicMetadata(true));
    RateLimitResponse last = null;
    for (int i = 0; i < 6; i++) {
      last = f.call("web", d("tagged", "t"));
    }
    assertThat(last.getOverallCode()).isEqualTo(RateLimitResponse.Code.OVER_LIMIT);
    assertThat(last.getDynamicMetadata().containsFields("metadata")).isFalse();
    assertThat(last.getDynamicMetadata().getFieldsOrThrow("domain").getStringValue()).isEqualTo("web");
  }

  @Test
  void countersOfUnchangedLimitsSurviveAConfigReload() {
    LimiterFixture f = fixture(YAML);
    f.call("web", d("user", "reload"));
    f.call("web", d("user", "reload"));
    f.setConfig(YAML.replace("key: path", "key: path2"));
    assertThat(f.call("web", d("user", "reload")).getStatuses(0).getLimitRemaining()).isZero();
  }

  @Test
  void concurrentHitsAdmitExactlyTheLimit() throws Exception {
    LimiterFixture f = fixture("""
        domain: c
        descriptors:
          - key: k
            rate_limit: {unit: hour, requests_per_unit: 1000}
        """);
    int threads = 16;
    int perThread = 200;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Integer>> admitted = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      admitted.add(pool.submit(() -> {
        start.await();
        int ok = 0;
        for (int i = 0; i < perThread; i++) {
          if (f.call("c", d("k", "shared")).getOverallCode() == Code.OK) {
            ok++;
          }
        }
        return ok;
      }));
    }
    start.countDown();
    int total = 0;
    for (Future<Integer> a : admitted) {
      total += a.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertThat(total).isEqualTo(1000);
  }
}
