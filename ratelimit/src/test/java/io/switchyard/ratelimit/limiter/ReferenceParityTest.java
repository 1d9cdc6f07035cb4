package io.switchyard.ratelimit.limiter;

import static io.switchyard.ratelimit.limiter.LimiterFixture.d;
import static io.switchyard.ratelimit.limiter.LimiterFixture.withHits;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.Code;
import io.switchyard.ratelimit.storage.MemoryCounterStore;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.switchyard.testing.MutableClock;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
  void statLabelsOfWildcardsAndDetailedMetricsAreBuiltFromTheRequestsEntriesAsTheReferenceNamesThem() {
    // src/config/config_impl.go GetLimit: a '*' in the configured key keeps the whole pattern after the request's key;
    // with detailed_metric and a share_threshold entry in the path, an empty value is written without its '_'.
    LimiterFixture f = fixture("""
        domain: edge
        descriptors:
          - key: x-*
            rate_limit: {unit: second, requests_per_unit: 5}
          - key: service
            value: svc/*
            share_threshold: true
            descriptors:
              - key: endpoint
                detailed_metric: true
                rate_limit: {unit: second, requests_per_unit: 5}
        """, LimiterOptions.defaults());
    f.call("edge", d("x-user", "bob"));
    f.call("edge", d("service", "svc/a", "endpoint", ""));
    assertThat(f.counter("ratelimit_service_rate_limit_total_hits", "key1", "x-user_x-*")).isEqualTo(1);
    assertThat(f.counter("ratelimit_service_rate_limit_total_hits", "key1", "service_svc/*", "key2", "endpoint"))
        .isEqualTo(1);
  }

  @Test
  void unlimitedShadowOverAndUnderDescriptorsAnswerFieldByFieldAsTheReference() {
    // src/service/ratelimit.go shouldRateLimitWorker: an unlimited descriptor answers {OK, limit_remaining uint32 max}
    // and nothing else (no current_limit, no duration_until_reset), takes no part in the headers' choice, the quota
    // count or the passed descriptors' metadata. src/limiter/base_limiter.go GetResponseDescriptorStatus and
    // generateResponseDescriptorStatus: a limited descriptor carries current_limit, limit_remaining (0 when over) and
    // duration_until_reset (CalculateReset: unit - now % unit); shadow_mode turns only the code to OK.
    LimiterFixture f = fixture("""
        domain: web
        descriptors:
          - key: free
            rate_limit: {unlimited: true, requests_per_unit: 7, name: open}
            metadata: {free_team: f}
          - key: user
            rate_limit: {unit: minute, requests_per_unit: 3, name: per-user}
            metadata: {user_team: u}
          - key: shadow
            shadow_mode: true
            rate_limit: {unit: minute, requests_per_unit: 0}
            metadata: {shadow_team: s}
          - key: blocked
            rate_limit: {unit: minute, requests_per_unit: 0}
            metadata: {blocked_team: b}
        """, LimiterOptions.defaults().withResponseDynamicMetadata(true)
        .withHeaders(LimiterOptions.HeaderStyle.RATELIMIT, false));
    f.clock.advance(Duration.ofMillis(20_500));
    RateLimitResponse r = f.call("web", d("free", "x"), d("user", "u"), d("shadow", "s"), d("blocked", "b"));

    assertThat(r.getStatuses(0)).isEqualTo(RateLimitResponse.DescriptorStatus.newBuilder().setCode(Code.OK)
        .setLimitRemaining(-1).build());
    assertThat(r.getStatuses(1)).isEqualTo(status(Code.OK, 3, RateLimitResponse.RateLimit.Unit.MINUTE, "per-user", 2,
        40));
    assertThat(r.getStatuses(2)).isEqualTo(status(Code.OK, 0, RateLimitResponse.RateLimit.Unit.MINUTE, "", 0, 40));
    assertThat(r.getStatuses(3)).isEqualTo(status(Code.OVER_LIMIT, 0, RateLimitResponse.RateLimit.Unit.MINUTE, "", 0,
        40));
    assertThat(r.getOverallCode()).isEqualTo(Code.OVER_LIMIT);
    assertThat(r.getResponseHeadersToAddList()).extracting(h -> h.getKey() + ": " + h.getValue())
        .containsExactly("RateLimit-Limit: 0", "RateLimit-Remaining: 0", "RateLimit-Reset: 40");
    assertThat(r.getRequestHeadersToAddList()).isEmpty();
    assertThat(r.getRawBody().isEmpty()).isTrue();
    assertThat(r.hasQuota()).isFalse();
    assertThat(r.getDynamicMetadata().getFieldsOrThrow("metadata").getStructValue().getFieldsMap().keySet())
        .containsExactlyInAnyOrder("user_team", "shadow_team");
    assertThat(f.counter("ratelimit_service_rate_limit_total_hits", "key1", "free")).isZero();

    // Only the unlimited descriptor: no headers, nothing limited to describe.
    assertThat(f.call("web", d("free", "x")).getResponseHeadersToAddList()).isEmpty();
  }

  private static RateLimitResponse.DescriptorStatus status(Code code, int requestsPerUnit,
      RateLimitResponse.RateLimit.Unit unit, String name, int remaining, long resetSeconds) {
    return RateLimitResponse.DescriptorStatus.newBuilder().setCode(code)
        .setCurrentLimit(RateLimitResponse.RateLimit.newBuilder().setRequestsPerUnit(requestsPerUnit).setUnit(unit)
            .setName(name))
        .setLimitRemaining(remaining)
        .setDurationUntilReset(com.google.protobuf.Duration.newBuilder().setSeconds(resetSeconds))
        .build();
  }

  @Test
  void anUnlimitedLimitsReplacesStillDropTheLimitsItNames() {
    // src/service/ratelimit.go constructLimitsToCheck: the replaces of every matched limit are collected before an
    // unlimited one is set aside, so an unlimited limit can switch another descriptor's named limit off.
    LimiterFixture f = fixture("""
        domain: web
        descriptors:
          - key: vip
            rate_limit: {unlimited: true, replaces: [{name: per-user}]}
          - key: user
            rate_limit: {unit: hour, requests_per_unit: 0, name: per-user}
        """, LimiterOptions.defaults());
    RateLimitResponse r = f.call("web", d("vip", "yes"), d("user", "u"));
    assertThat(r.getOverallCode()).isEqualTo(Code.OK);
    assertThat(r.getStatuses(1)).isEqualTo(RateLimitResponse.DescriptorStatus.newBuilder().setCode(Code.OK).build());
    assertThat(f.call("web", d("user", "u")).getOverallCode()).isEqualTo(Code.OVER_LIMIT);
  }

  @Test
  void configMetadataIsReturnedAlsoForDetailedMetricValueToMetricAndWildcardKeyLimits() {
    // Documented difference: src/config/config_impl.go GetLimit rebuilds the limit with NewRateLimit, which has no
    // metadata, when detailed_metric is on at a leaf, or when value_to_metric or a '*' in a key changes the stat path,
    // so the reference answers those without their metadata; Switchyard returns it for every limit that passed.
    LimiterFixture f = fixture("""
        domain: web
        descriptors:
          - key: user
            detailed_metric: true
            rate_limit: {unit: hour, requests_per_unit: 5}
            metadata: {detailed: d}
          - key: plan
            value_to_metric: true
            rate_limit: {unit: hour, requests_per_unit: 5}
            metadata: {valued: v}
          - key: x-*
            rate_limit: {unit: hour, requests_per_unit: 5}
            metadata: {starred: s}
        """, LimiterOptions.defaults().withResponseDynamicMetadata(true));
    RateLimitResponse r = f.call("web", d("user", "u"), d("plan", "gold"), d("x-id", "1"));
    assertThat(r.getDynamicMetadata().getFieldsOrThrow("metadata").getStructValue().getFieldsMap().keySet())
        .containsExactlyInAnyOrder("detailed", "valued", "starred");
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

  @Test
  void customResponseHeaderNamesReplaceTheDefaultNames() {
    // src/settings/settings.go LIMIT_LIMIT_HEADER / LIMIT_REMAINING_HEADER / LIMIT_RESET_HEADER, used as given by
    // src/service/ratelimit.go rateLimitLimitHeader / rateLimitRemainingHeader / rateLimitResetHeader.
    LimiterFixture f = fixture("""
        domain: web
        descriptors:
          - key: user
            rate_limit: {unit: minute, requests_per_unit: 10}
        """, LimiterOptions.defaults().withHeaders(LimiterOptions.HeaderStyle.RATELIMIT, false)
        .withHeaderNames("X-Quota-Limit", "x-quota-remaining", "X-Quota-Reset"));
    f.clock.advance(Duration.ofSeconds(15));
    RateLimitResponse r = f.call("web", d("user", "u"));
    assertThat(r.getResponseHeadersToAddList()).extracting(h -> h.getKey() + ": " + h.getValue())
        .containsExactly("X-Quota-Limit: 10", "x-quota-remaining: 9", "X-Quota-Reset: 45");
  }

  @Test
  void aCustomHeaderNameLeftUnsetKeepsTheStylesDefault() {
    LimiterFixture f = fixture("""
        domain: web
        descriptors:
          - key: user
            rate_limit: {unit: minute, requests_per_unit: 10}
        """, LimiterOptions.defaults().withHeaders(LimiterOptions.HeaderStyle.X_RATELIMIT, false)
        .withHeaderNames(null, "Left", null));
    RateLimitResponse r = f.call("web", d("user", "u"));
    assertThat(r.getResponseHeadersToAddList()).extracting(h -> h.getKey())
        .containsExactly("X-RateLimit-Limit", "Left", "X-RateLimit-Reset");
  }

  @Test
  void quotaPoliciesNameTheirLimitAsEnvoysXRateLimitHeadersDo() {
    // Envoy source/extensions/filters/http/ratelimit/ratelimit_headers.cc XRateLimitHeaderUtils::create: each quota
    // policy is `<limit>;w=<window>`, followed by `;name="<name>"` when the limit has a name (its test case
    // "1, 1;w=60;name=\"first\", 4;w=3600;name=\"second\""); an unnamed limit gets no name.
    String yaml = """
        domain: web
        descriptors:
          - key: user
            rate_limit: {name: per-user, unit: minute, requests_per_unit: 10}
          - key: path
            rate_limit: {unit: second, requests_per_unit: 100}
        """;
    LimiterFixture closest = fixture(yaml, LimiterOptions.defaults().withHeaders(LimiterOptions.HeaderStyle.X_RATELIMIT,
        false));
    assertThat(closest.call("web", d("user", "u"), d("path", "/")).getResponseHeadersToAdd(0).getValue())
        .isEqualTo("10, 10;w=60;name=\"per-user\"");
    store.close();
    LimiterFixture all = fixture(yaml, LimiterOptions.defaults().withHeaders(LimiterOptions.HeaderStyle.X_RATELIMIT,
        true));
    assertThat(all.call("web", d("user", "u"), d("path", "/")).getResponseHeadersToAdd(0).getValue())
        .isEqualTo("10, 10;w=60;name=\"per-user\", 100;w=1");
  }

  /**
   * src/limiter/base_limiter.go GetResponseDescriptorStatus:
   * {@code nearLimitThreshold = uint64(math.Floor(float64(float32(overLimitThreshold) * this.nearLimitRatio)))} with
   * {@code nearLimitRatio float32} (src/settings/settings.go NEAR_LIMIT_RATIO). The expected thresholds are that
   * float32 product; the rows marked "differs" give another threshold in float64 arithmetic.
   */
  @ParameterizedTest(name = "ratio {0}, limit {1}: threshold {2}")
  @CsvSource({
      "0.8, 5, 4",
      "0.8, 10, 8",
      "0.8, 15, 12",
      "0.8, 1000003, 800002",
      "0.8, 16777219, 13421776",     // differs: float64 gives 13421775
      "0.8, 4294967295, 3435973888", // differs: float64 gives 3435973836
      "0.7, 90, 63",                 // differs: float64 gives 62
      "0.7, 10, 7",
  })
  void nearLimitThresholdIsTheReferencesFloat32Product(double ratio, long limit, long threshold) {
    LimiterFixture f = fixture("""
        domain: web
        descriptors:
          - key: k
            rate_limit: {unit: hour, requests_per_unit: %d}
        """.formatted(limit), LimiterOptions.defaults().withNearLimitRatio(ratio));
    f.call("web", withHits(d("k", "v"), threshold));
    assertThat(f.counter("ratelimit_service_rate_limit_near_limit", "key1", "k")).isZero();
    f.call("web", withHits(d("k", "v"), 1));
    assertThat(f.counter("ratelimit_service_rate_limit_near_limit", "key1", "k")).isEqualTo(1);
    assertThat(f.counter("ratelimit_service_rate_limit_within_limit", "key1", "k")).isEqualTo(threshold + 1);
  }

  @Test
  void nearLimitPartOfAnOverLimitRequestUsesTheSameThreshold() {
    // src/limiter/base_limiter.go checkOverLimitThreshold: overLimitThreshold - max(nearLimitThreshold, before).
    LimiterFixture f = fixture("""
        domain: web
        descriptors:
          - key: k
            rate_limit: {unit: hour, requests_per_unit: 90}
        """, LimiterOptions.defaults().withNearLimitRatio(0.7).withLocalCache(false));
    f.call("web", withHits(d("k", "v"), 91));
    assertThat(f.counter("ratelimit_service_rate_limit_near_limit", "key1", "k")).isEqualTo(90 - 63);
    assertThat(f.counter("ratelimit_service_rate_limit_over_limit", "key1", "k")).isEqualTo(1);
  }

  @Test
  void domainNotFoundCountsEachDescriptorUnderTheSanitizedDomain() {
    // src/config/config_impl.go GetLimit runs once per descriptor (src/service/ratelimit.go constructLimitsToCheck)
    // and counts NewDomainStats(domain).NotFound; src/stats/manager_impl.go NewDomainStats names it
    // utils.SanitizeStatName(domain) + ".domain_not_found".
    LimiterFixture f = fixture("""
        domain: web
        descriptors:
          - key: k
            rate_limit: {unit: hour, requests_per_unit: 9}
        """, LimiterOptions.defaults());
    f.call("api:v1", d("a", "1"), d("b", "2"));
    f.call("api|v1", d("a", "1"));
    f.call("10.0.0.1", d("a", "1"));
    assertThat(f.counter("ratelimit_service_rate_limit_domain_not_found", "domain", "api_v1")).isEqualTo(3);
    assertThat(f.counter("ratelimit_service_rate_limit_domain_not_found", "domain", "10_0_0_1")).isEqualTo(1);
    assertThat(f.registry.scrape().stream().filter(s -> s.getMetadata().getName()
        .equals("ratelimit_service_rate_limit_domain_not_found")).findFirst().orElseThrow().getDataPoints())
        .extracting(p -> p.getLabels().get("domain")).containsExactlyInAnyOrder("api_v1", "10_0_0_1");
  }

  private static final String STOP_YAML = """
      domain: domain
      descriptors:
        - key: key4
          rate_limit: {unit: hour, requests_per_unit: 15}
        - key: key5
          rate_limit: {unit: hour, requests_per_unit: 14}
      """;

  @ParameterizedTest(name = "local cache {0}")
  @CsvSource({"true", "false"})
  void withStopIncrementTheDescriptorGoingOverIsStillChargedAndTheOthersReportTheirUnchangedCount(boolean localCache) {
    // src/redis/fixed_cache_impl.go getHitsAddend and its test TestOverLimitWithStopCacheKeyIncrementWhenOverlimitConfig:
    // once a key would go over, only the keys going over are incremented; the others get INCRBY 0 and their status
    // is read from the unchanged count.
    LimiterFixture f = fixture(STOP_YAML,
        LimiterOptions.defaults().withCountRejectedHits(false).withLocalCache(localCache));
    f.call("domain", withHits(d("key4", "value4"), 13), withHits(d("key5", "value5"), 13));
    RateLimitResponse r = f.call("domain", withHits(d("key4", "value4"), 2), withHits(d("key5", "value5"), 2));
    assertThat(r.getStatuses(0).getCode()).isEqualTo(Code.OK);
    assertThat(r.getStatuses(0).getLimitRemaining()).isEqualTo(2);
    assertThat(r.getStatuses(1).getCode()).isEqualTo(Code.OVER_LIMIT);
    assertThat(r.getStatuses(1).getLimitRemaining()).isZero();
    // as the reference's stats: key4's 2 hits within the limit, 1 of them past the near threshold (12) at 13
    assertThat(f.counter("ratelimit_service_rate_limit_within_limit", "key1", "key4")).isEqualTo(15);
    assertThat(f.counter("ratelimit_service_rate_limit_near_limit", "key1", "key4")).isEqualTo(2);
    assertThat(f.counter("ratelimit_service_rate_limit_over_limit", "key1", "key5")).isEqualTo(1);
    // key5 was charged (15 > 14), so one more hit is over, as in the reference; key4 was not (13 + 2 = 15 fits)
    assertThat(f.call("domain", withHits(d("key5", "value5"), 1)).getOverallCode()).isEqualTo(Code.OVER_LIMIT);
    assertThat(f.call("domain", withHits(d("key4", "value4"), 2)).getStatuses(0).getLimitRemaining()).isZero();
  }

  @Test
  void withStopIncrementAKeyOverInTheLocalCacheLeavesTheOthersUnchargedAndReadAsTheyAre() {
    // src/redis/fixed_cache_impl.go: a key found in the local cache makes every increment 0; each other status comes
    // from the count as it is (INCRBY 0), so a descriptor exactly at its limit is still OK with 0 remaining.
    LimiterFixture f = fixture(STOP_YAML, LimiterOptions.defaults().withCountRejectedHits(false));
    f.call("domain", withHits(d("key5", "value5"), 15));
    f.call("domain", withHits(d("key4", "value4"), 15));
    RateLimitResponse r = f.call("domain", d("key4", "value4"), d("key5", "value5"));
    assertThat(r.getStatuses(0).getCode()).isEqualTo(Code.OK);
    assertThat(r.getStatuses(0).getLimitRemaining()).isZero();
    assertThat(r.getStatuses(1).getCode()).isEqualTo(Code.OVER_LIMIT);
    assertThat(f.counter("ratelimit_service_rate_limit_over_limit_with_local_cache", "key1", "key5")).isEqualTo(1);
  }

  @Test
  void withGlobalQuotaModeADescriptorWithoutALimitCountsAsAQuotaDescriptorThatPasses() {
    // src/service/ratelimit.go shouldRateLimitWorker: isQuotaMode is globalQuotaMode || limit.QuotaMode, evaluated for
    // every descriptor that is not unlimited, a nil limit included; that one is never over, so not all quota
    // descriptors are and the overall code stays OK. An unlimited descriptor is not counted.
    LimiterFixture f = fixture("""
        domain: web
        descriptors:
          - key: user
            rate_limit: {unit: hour, requests_per_unit: 1}
          - key: free
            rate_limit: {unlimited: true}
        """, LimiterOptions.defaults().withGlobalQuotaMode(true));
    f.call("web", d("user", "u"));
    RateLimitResponse withUnmatched = f.call("web", d("user", "u"), d("nothing", "configured"));
    assertThat(withUnmatched.getStatuses(0).getCode()).isEqualTo(Code.OVER_LIMIT);
    assertThat(withUnmatched.getOverallCode()).isEqualTo(Code.OK);
    assertThat(f.call("web", d("user", "u"), d("free", "x")).getOverallCode()).isEqualTo(Code.OVER_LIMIT);
    assertThat(f.call("web", d("user", "u")).getOverallCode()).isEqualTo(Code.OVER_LIMIT);
  }

  @Test
  void globalShadowModeStatIsExposedUnderTheReferencesNameWithoutTotalSuffix() throws IOException {
    // src/stats/manager_impl.go NewServiceStats: counter ratelimit.service.global_shadow_mode. No mapping of the
    // reference's (src/stats/prom/default_mapper.yaml, examples/prom-statsd-exporter/conf.yaml) names it, so the
    // statsd exporter exposes it escaped as ratelimit_service_global_shadow_mode, without a _total suffix.
    LimiterFixture f = fixture("""
        domain: web
        descriptors:
          - key: user
            rate_limit: {unit: hour, requests_per_unit: 0}
        """, LimiterOptions.defaults().withGlobalShadowMode(true));
    assertThat(f.call("web", d("user", "u")).getOverallCode()).isEqualTo(Code.OK);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, f.registry.scrape());
    assertThat(out.toString(StandardCharsets.UTF_8).lines())
        .contains("# TYPE ratelimit_service_global_shadow_mode untyped", "ratelimit_service_global_shadow_mode 1.0")
        .noneMatch(l -> l.startsWith("ratelimit_service_global_shadow_mode_total"));
  }
}
