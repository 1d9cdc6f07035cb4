package io.switchyard.ratelimit.limiter;

import static io.switchyard.ratelimit.limiter.LimiterFixture.d;
import static io.switchyard.ratelimit.limiter.LimiterFixture.withHits;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.Code;
import io.switchyard.ratelimit.storage.MemoryCounterStore;
import io.switchyard.testing.MutableClock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Details where envoyproxy/ratelimit's behaviour is easy to miss; each case names the reference code. */
class ReferenceParityTest {
  private static final long T0 = 1_767_225_600_000L;

  private MemoryCounterStore store;

  private LimiterFixture fixture(String yaml, LimiterOptions options) {
    MutableClock clock = MutableClock.ofEpochMilli(T0);
    store = new MemoryCounterStore(clock, 100_000);
    return new LimiterFixture(yaml, store, clock, options);
  }

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
    }
  }

  @Test
  void statNamesAreSanitizedLikeTheReferenceSoAnIpValueStaysOneLevel() {
    // src/utils/utilities.go SanitizeStatName, applied by src/stats/manager_impl.go NewStats.
    LimiterFixture f = fixture("""
        domain: edge
        descriptors:
          - key: remote_address
            detailed_metric: true
            rate_limit: {unit: second, requests_per_unit: 5}
          - key: path
            detailed_metric: true
            rate_limit: {unit: second, requests_per_unit: 5}
        """, LimiterOptions.defaults());
    f.call("edge", d("remote_address", "10.0.0.1"));
    f.call("edge", d("path", "a:b|c"));
    f.call("edge", d("path", "a_b_c"));
    assertThat(f.counter("ratelimit_service_rate_limit_total_hits", "key1", "remote_address_10_0_0_1")).isEqualTo(1);
    assertThat(f.counter("ratelimit_service_rate_limit_total_hits", "key1", "remote_address_10")).isZero();
    // two request values with one sanitized name share one series (no duplicate label sets)
    assertThat(f.counter("ratelimit_service_rate_limit_total_hits", "key1", "path_a_b_c")).isEqualTo(2);
    assertThat(f.registry.scrape().stream().filter(s -> s.getMetadata().getName()
        .equals("ratelimit_service_rate_limit_total_hits")).findFirst().orElseThrow().getDataPoints()).hasSize(2);
  }

  @Test
  void replacedUnlimitedLimitStillAnswersUnlimited() {
    // src/service/ratelimit.go constructLimitsToCheck: isUnlimited is set before replaced limits are dropped.
    LimiterFixture f = fixture("""
        domain: web
        descriptors:
          - key: free
            rate_limit: {unlimited: true, name: open}
          - key: plan
            rate_limit: {unit: second, requests_per_unit: 5, replaces: [{name: open}]}
        """, LimiterOptions.defaults());
    RateLimitResponse r = f.call("web", d("free", "x"), d("plan", "p"));
    assertThat(r.getStatuses(0).getCode()).isEqualTo(Code.OK);
    assertThat(Integer.toUnsignedLong(r.getStatuses(0).getLimitRemaining())).isEqualTo(4_294_967_295L);
    assertThat(r.getStatuses(0).hasCurrentLimit()).isFalse();
  }

  @Test
  void shadowModeStatCountsOnlyTheHitsOverTheLimit() {
    // src/limiter/base_limiter.go increaseShadowModeStats: hits past the threshold, all of them once over.
    LimiterFixture f = fixture("""
        domain: web
        descriptors:
          - key: shadow
            shadow_mode: true
            rate_limit: {unit: minute, requests_per_unit: 3}
        """, LimiterOptions.defaults().withLocalCache(false));
    f.call("web", withHits(d("shadow", "s"), 2));
    RateLimitResponse r = f.call("web", withHits(d("shadow", "s"), 3));
    assertThat(r.getStatuses(0).getCode()).isEqualTo(Code.OK);
    assertThat(f.counter("ratelimit_service_rate_limit_shadow_mode", "key1", "shadow")).isEqualTo(2);
    assertThat(f.counter("ratelimit_service_rate_limit_over_limit", "key1", "shadow")).isEqualTo(2);
    f.call("web", withHits(d("shadow", "s"), 4));
    assertThat(f.counter("ratelimit_service_rate_limit_shadow_mode", "key1", "shadow")).isEqualTo(6);
  }

  @Test
  void responseHeadersDescribeAnEnforcedOverLimitDescriptorRatherThanAShadowOne() {
    // src/service/ratelimit.go shouldRateLimitWorker: an OVER_LIMIT (not quota) status always takes the
    // headers; a shadowed one is OK and competes only on limit_remaining.
    LimiterFixture f = fixture("""
        domain: web
        descriptors:
          - key: shadow
            shadow_mode: true
            rate_limit: {unit: second, requests_per_unit: 0}
          - key: user
            rate_limit: {unit: minute, requests_per_unit: 0}
        """, LimiterOptions.defaults().withHeaders(LimiterOptions.HeaderStyle.RATELIMIT, false));
    f.clock.advance(Duration.ofSeconds(15));
    RateLimitResponse r = f.call("web", d("shadow", "s"), d("user", "u"));
    assertThat(r.getOverallCode()).isEqualTo(Code.OVER_LIMIT);
    assertThat(r.getResponseHeadersToAddList()).extracting(h -> h.getKey() + ": " + h.getValue())
        .containsExactly("RateLimit-Limit: 0", "RateLimit-Remaining: 0", "RateLimit-Reset: 45");
  }
}
