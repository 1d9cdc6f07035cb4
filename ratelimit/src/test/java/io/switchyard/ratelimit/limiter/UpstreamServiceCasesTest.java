package io.switchyard.ratelimit.limiter;

import static io.switchyard.ratelimit.limiter.LimiterFixture.d;
import static io.switchyard.ratelimit.limiter.LimiterFixture.withHits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.Code;
import io.switchyard.ratelimit.storage.MemoryCounterStore;
import io.switchyard.testing.MutableClock;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * envoyproxy/ratelimit's service and limiter tests as a conformance corpus: the cases of
 * {@code test/service/ratelimit_test.go} (which stub GetLimit and the cache's statuses) and of
 * {@code test/limiter/base_limiter_test.go} (GetResponseDescriptorStatus on a given count), each rebuilt here as a
 * config and a sequence of real requests that give the reference's limits and counts, and checked against the
 * answer the upstream test expects: overall code, each descriptor's code, limit and remaining, response headers,
 * dynamic metadata and the stats counted. Every case names the upstream test.
 */
class UpstreamServiceCasesTest {
  /** Epoch second 2222, the reference's MockClock in ratelimit_test.go: 58 s left of its minute. */
  private static final long T2222 = 2_222_000L;

  private MemoryCounterStore store;

  private LimiterFixture fixture(String yaml, LimiterOptions options) {
    MutableClock clock = MutableClock.ofEpochMilli(T2222);
    store = new MemoryCounterStore(clock, 100_000);
    return new LimiterFixture(yaml, store, clock, options);
  }

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
    }
  }

  /** One step of a case: the request's descriptors with their hits, e.g. "foo=bar*11 hello=world". */
  private static RateLimitDescriptor[] descriptors(String spec) {
    return Stream.of(spec.split(" ")).map(one -> {
      String[] hits = one.split("\\*");
      String[] kv = hits[0].split("=", 2);
      RateLimitDescriptor desc = d(kv[0], kv[1]);
      return hits.length > 1 ? withHits(desc, Long.parseLong(hits[1])) : desc;
    }).toArray(RateLimitDescriptor[]::new);
  }

  /** The answer as text: overall code, then per descriptor "code limit/unit remaining", then the headers. */
  private static String answer(RateLimitResponse r) {
    String statuses = r.getStatusesList().stream().map(s -> s.getCode() + " "
        + (s.hasCurrentLimit() ? s.getCurrentLimit().getRequestsPerUnit() + "/" + s.getCurrentLimit().getUnit()
            + (s.getCurrentLimit().getName().isEmpty() ? "" : "(" + s.getCurrentLimit().getName() + ")")
            : "-")
        + " " + Integer.toUnsignedString(s.getLimitRemaining())).collect(Collectors.joining(", "));
    String headers = r.getResponseHeadersToAddList().stream().map(h -> h.getKey() + ": " + h.getValue())
        .collect(Collectors.joining(", "));
    return r.getOverallCode() + " [" + statuses + "]" + (headers.isEmpty() ? "" : " {" + headers + "}");
  }

  // ---------------------------------------------------------------------------------------------------------------

  private static final String TWO_RULES = """
      domain: different-domain
      descriptors:
        - key: foo
          rate_limit: {unit: minute, requests_per_unit: 10, name: key_name}
        - key: baz
          rate_limit: {unlimited: true}
        - key: shadowed
          shadow_mode: true
          rate_limit: {unit: minute, requests_per_unit: 10}
        - key: other
          rate_limit: {unit: minute, requests_per_unit: 10}
        - key: regular
          rate_limit: {unit: minute, requests_per_unit: 10}
          metadata: {name: service_1}
        - key: quota
          quota_mode: true
          rate_limit: {unit: minute, requests_per_unit: 5}
          metadata: {name: service_2}
        - key: quota1
          quota_mode: true
          rate_limit: {unit: minute, requests_per_unit: 5}
          metadata: {name: service_1}
        - key: quota2
          quota_mode: true
          rate_limit: {unit: minute, requests_per_unit: 3}
          metadata: {some_other_name: service_2}
      """;

  private static Arguments c(String upstreamTest, LimiterOptions options, String request, String expected) {
    return Arguments.of(upstreamTest, options, request, expected);
  }

  static Stream<Arguments> serviceCases() {
    LimiterOptions plain = LimiterOptions.defaults();
    LimiterOptions shadow = plain.withGlobalShadowMode(true);
    LimiterOptions quota = plain.withGlobalQuotaMode(true);
    LimiterOptions headers = plain.withHeaders(LimiterOptions.HeaderStyle.RATELIMIT, false);
    return Stream.of(
        c("TestService (first request)", plain, "hello=world", "OK [OK - 0]"),
        c("TestService (different request)", plain, "foo=bar*11 hello=world",
            "OVER_LIMIT [OVER_LIMIT 10/MINUTE(key_name) 0, OK - 0]"),
        c("TestService (order does not matter)", plain, "hello=world other=bar*11",
            "OVER_LIMIT [OK - 0, OVER_LIMIT 10/MINUTE 0]"),
        // src/redis/fixed_cache_impl.go DoLimit: one key named twice in a request is charged twice, in order.
        c("DoLimit (one key twice in a request)", plain, "foo=bar*10 foo=bar",
            "OVER_LIMIT [OK 10/MINUTE(key_name) 0, OVER_LIMIT 10/MINUTE(key_name) 0]"),
        c("TestServiceGlobalShadowMode", shadow, "foo=bar*11 hello=world",
            "OK [OVER_LIMIT 10/MINUTE(key_name) 0, OK - 0]"),
        c("TestRuleShadowMode", plain, "shadowed=bar*11 shadowed=world*11",
            "OK [OK 10/MINUTE 0, OK 10/MINUTE 0]"),
        c("TestMixedRuleShadowMode", plain, "shadowed=bar*11 other=world*11",
            "OVER_LIMIT [OK 10/MINUTE 0, OVER_LIMIT 10/MINUTE 0]"),
        c("TestServiceWithDefaultRatelimitHeaders", headers, "other=bar*11 hello=world",
            "OVER_LIMIT [OVER_LIMIT 10/MINUTE 0, OK - 0]"
                + " {RateLimit-Limit: 10, RateLimit-Remaining: 0, RateLimit-Reset: 58}"),
        c("TestServiceWithCustomRatelimitHeaders", headers.withHeaderNames("A-Ratelimit-Limit",
                "A-Ratelimit-Remaining", "A-Ratelimit-Reset"), "other=bar*11 hello=world",
            "OVER_LIMIT [OVER_LIMIT 10/MINUTE 0, OK - 0]"
                + " {A-Ratelimit-Limit: 10, A-Ratelimit-Remaining: 0, A-Ratelimit-Reset: 58}"),
        c("TestUnlimited", plain, "foo=bar hello=world baz=qux",
            "OK [OK 10/MINUTE(key_name) 9, OK - 0, OK - 4294967295]"),
        c("TestServiceGlobalQuotaMode", quota, "foo=bar*11 other=world*11",
            "OVER_LIMIT [OVER_LIMIT 10/MINUTE(key_name) 0, OVER_LIMIT 10/MINUTE 0]"),
        c("TestServicePerDescriptorQuotaMode", plain, "regular=limit*11 quota=limit*5",
            "OVER_LIMIT [OVER_LIMIT 10/MINUTE 0, OK 5/MINUTE 0]"),
        c("TestServiceMixedPerDescriptorModes", plain, "regular=limit*10 quota=limit*6",
            "OVER_LIMIT [OK 10/MINUTE 0, OVER_LIMIT 5/MINUTE 0]"),
        c("TestServiceMixedPerDescriptorModesUnderLimit", plain, "regular=limit*10 quota=limit*5",
            "OK [OK 10/MINUTE 0, OK 5/MINUTE 0]"),
        c("TestServiceQuotaModeOnlyAllOverTheLimit", plain, "quota1=limit*6 quota2=limit*4",
            "OVER_LIMIT [OVER_LIMIT 5/MINUTE 0, OVER_LIMIT 3/MINUTE 0]"),
        c("TestServiceQuotaModeOnlySomeOverTheLimit", plain, "quota1=limit*6 quota2=limit*3",
            "OK [OVER_LIMIT 5/MINUTE 0, OK 3/MINUTE 0]"),
        c("TestServiceQuotaModeWithShadowMode", shadow, "quota1=limit*6 quota2=limit*4",
            "OK [OVER_LIMIT 5/MINUTE 0, OVER_LIMIT 3/MINUTE 0]"),
        c("TestServiceMixedModeWithShadowMode", shadow, "regular=limit*11 quota=limit*6",
            "OK [OVER_LIMIT 10/MINUTE 0, OVER_LIMIT 5/MINUTE 0]"));
  }

  @ParameterizedTest(name = "{0}: {2} -> {3}")
  @MethodSource("serviceCases")
  void theAnswerIsTheReferences(String upstreamTest, LimiterOptions options, String request, String expected) {
    LimiterFixture f = fixture(TWO_RULES, options);
    RateLimitResponse r = f.call("different-domain", descriptors(request));
    assertThat(answer(r)).as(upstreamTest).isEqualTo(expected);
    boolean overruled = options.globalShadowMode() && expected.contains("OVER_LIMIT") && expected.startsWith("OK");
    assertThat(f.counter(RateLimitStats.GLOBAL_SHADOW_MODE)).isEqualTo(overruled ? 1 : 0);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // TestMetadataReturnedForPassedDescriptors, ...ForAllPassedDescriptors, TestOverlappingMetadataReturnsTheFirstValue
  // (QUOTA_MODE and RESPONSE_DYNAMIC_METADATA on): the metadata of the descriptors that passed, first value winning.

  static Stream<Arguments> metadataCases() {
    return Stream.of(
        Arguments.of("TestMetadataReturnedForPassedDescriptors", "regular=limit*5 quota=limit*6", "{name=service_1}"),
        Arguments.of("TestMetadataReturnedForAllPassedDescriptors", "quota1=limit*1 quota2=limit*1",
            "{name=service_1, some_other_name=service_2}"),
        Arguments.of("TestOverlappingMetadataReturnsTheFirstValue", "regular=limit*5 quota1=limit*1",
            "{name=service_1}"),
        Arguments.of("TestOverlappingMetadataReturnsTheFirstValue (other order)", "quota=limit*1 regular=limit*5",
            "{name=service_2}"));
  }

  @ParameterizedTest(name = "{0}: {1} -> {2}")
  @MethodSource("metadataCases")
  void dynamicMetadataCarriesThePassedDescriptorsMetadata(String upstreamTest, String request, String expected) {
    LimiterFixture f = fixture(TWO_RULES, LimiterOptions.defaults().withGlobalQuotaMode(true)
        .withResponseDynamicMetadata(true));
    RateLimitResponse r = f.call("different-domain", descriptors(request));
    assertThat(r.getOverallCode()).as(upstreamTest).isEqualTo(Code.OK);
    assertThat(r.getDynamicMetadata().getFieldsOrThrow("metadata").getStructValue().getFieldsMap().entrySet()
        .stream().sorted(java.util.Map.Entry.comparingByKey())
        .map(e -> e.getKey() + "=" + e.getValue().getStringValue())
        .collect(Collectors.joining(", ", "{", "}"))).isEqualTo(expected);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // test/limiter/base_limiter_test.go TestGetResponseStatus*: the status and stats of one descriptor whose count
  // goes from `before` to `before + hits` on a limit, or that the local cache already knows is over.

  private static final String ONE_KEY = """
      domain: domain
      descriptors:
        - key: key
          value: value
          rate_limit: {unit: second, requests_per_unit: %d}
          shadow_mode: %s
      """;

  static Stream<Arguments> statusCases() {
    // upstream test, limit, shadow, local cache, count before, hits, then: code and remaining, and the stats the
    // request adds
    return Stream.of(
        Arguments.of("TestGetResponseStatusOverLimit", 5, false, true, 2, 5, "OVER_LIMIT 0",
            "over=2 near=1 within=0 shadow=0 cached=0"),
        Arguments.of("TestGetResponseStatusOverLimitShadowMode", 5, true, true, 2, 5, "OK 0",
            "over=2 near=1 within=0 shadow=2 cached=0"),
        Arguments.of("TestGetResponseStatusBelowLimit", 10, false, false, 5, 1, "OK 4",
            "over=0 near=0 within=1 shadow=0 cached=0"),
        Arguments.of("TestGetResponseStatusBelowLimitShadowMode", 10, true, false, 5, 1, "OK 4",
            "over=0 near=0 within=1 shadow=0 cached=0"),
        // The local cache holds the key over its limit (set by the earlier request going over): answered without
        // counting, all hits over.
        Arguments.of("TestGetResponseStatusOverLimitWithLocalCache", 5, false, true, 6, 2, "OVER_LIMIT 0",
            "over=2 near=0 within=0 shadow=0 cached=2"),
        Arguments.of("TestGetResponseStatusOverLimitWithLocalCacheShadowMode", 5, true, true, 6, 2, "OK 0",
            "over=2 near=0 within=0 shadow=2 cached=2"),
        // test/redis/fixed_cache_impl_test.go TestNearLimit: the INCRBY results it stubs, as counts before and hits.
        Arguments.of("TestNearLimit (under the near-limit ratio)", 15, false, false, 10, 1, "OK 4",
            "over=0 near=0 within=1 shadow=0 cached=0"),
        Arguments.of("TestNearLimit (at the near-limit ratio)", 15, false, false, 12, 1, "OK 2",
            "over=0 near=1 within=1 shadow=0 cached=0"),
        Arguments.of("TestNearLimit (over the limit)", 15, false, false, 15, 1, "OVER_LIMIT 0",
            "over=1 near=0 within=0 shadow=0 cached=0"),
        Arguments.of("TestNearLimit (hits 3, all under near limit)", 20, false, false, 2, 3, "OK 15",
            "over=0 near=0 within=3 shadow=0 cached=0"),
        Arguments.of("TestNearLimit (hits 2, some over near limit)", 8, false, false, 5, 2, "OK 1",
            "over=0 near=1 within=2 shadow=0 cached=0"),
        Arguments.of("TestNearLimit (hits 3, all over near limit)", 20, false, false, 16, 3, "OK 1",
            "over=0 near=3 within=3 shadow=0 cached=0"),
        Arguments.of("TestNearLimit (hits 3, some over limit)", 20, false, false, 19, 3, "OVER_LIMIT 0",
            "over=2 near=1 within=0 shadow=0 cached=0"),
        Arguments.of("TestNearLimit (hits 7, in all three)", 20, false, false, 15, 7, "OVER_LIMIT 0",
            "over=2 near=4 within=0 shadow=0 cached=0"),
        Arguments.of("TestNearLimit (hits 3, all over limit)", 10, false, false, 27, 3, "OVER_LIMIT 0",
            "over=3 near=0 within=0 shadow=0 cached=0"),
        // test/redis/fixed_cache_impl_test.go TestRedis: the request's first hit over, then a check-only
        // descriptor (hits_addend 0) on a key already over: OVER_LIMIT, nothing counted.
        Arguments.of("TestRedis (first hit over the limit)", 10, false, false, 10, 1, "OVER_LIMIT 0",
            "over=1 near=0 within=0 shadow=0 cached=0"),
        Arguments.of("TestRedis (hits_addend 0 on a key over)", 10, false, false, 11, 0, "OVER_LIMIT 0",
            "over=0 near=0 within=0 shadow=0 cached=0"),
        Arguments.of("TestRedis (hits_addend 0 on a key over, local cache)", 10, false, true, 11, 0, "OVER_LIMIT 0",
            "over=0 near=0 within=0 shadow=0 cached=0"));
  }

  @ParameterizedTest(name = "{0}: limit {1}, shadow {2}, local cache {3}, {4} then +{5} -> {6}")
  @MethodSource("statusCases")
  void aDescriptorsStatusAndStatsAreTheReferences(String upstreamTest, int limit, boolean shadow, boolean localCache,
      int before, int hits, String status, String stats) {
    LimiterFixture f = fixture(ONE_KEY.formatted(limit, shadow), LimiterOptions.defaults().withLocalCache(localCache));
    if (before > 0) {
      f.call("domain", withHits(d("key", "value"), before));
    }
    long[] base = counts(f);
    RateLimitResponse r = f.call("domain", withHits(d("key", "value"), hits));
    RateLimitResponse.DescriptorStatus s = r.getStatuses(0);
    assertThat(s.getCode() + " " + s.getLimitRemaining()).as(upstreamTest).isEqualTo(status);
    assertThat(s.getCurrentLimit().getRequestsPerUnit()).isEqualTo(limit);
    long[] now = counts(f);
    assertThat("over=%d near=%d within=%d shadow=%d cached=%d".formatted(now[0] - base[0], now[1] - base[1],
        now[2] - base[2], now[3] - base[3], now[4] - base[4])).isEqualTo(stats);
  }

  private static long[] counts(LimiterFixture f) {
    String[] l = {"key1", "key_value"};
    return new long[] {
        f.counter("ratelimit_service_rate_limit_over_limit", l),
        f.counter("ratelimit_service_rate_limit_near_limit", l),
        f.counter("ratelimit_service_rate_limit_within_limit", l),
        f.counter("ratelimit_service_rate_limit_shadow_mode", l),
        f.counter("ratelimit_service_rate_limit_over_limit_with_local_cache", l)};
  }

  // ---------------------------------------------------------------------------------------------------------------
  // test/config/config_test.go TestConfigLimitOverride, through the service: in a configured domain an override
  // applies to any descriptor, matched or not (GetLimit returns it before walking the tree), counted under the
  // request's values; a changed override keeps its stats; in an unknown domain nothing applies.

  @org.junit.jupiter.api.Test
  void anOverrideAppliesInAConfiguredDomainUnderTheRequestsValues() {
    LimiterFixture f = fixture("""
        domain: test-domain
        descriptors:
          - key: key1
            value: value1
            descriptors:
              - key: subkey1
                rate_limit: {unit: second, requests_per_unit: 5}
        """, LimiterOptions.defaults());
    RateLimitDescriptor.RateLimitOverride day10 = RateLimitDescriptor.RateLimitOverride.newBuilder()
        .setRequestsPerUnit(10).setUnit(io.envoyproxy.envoy.type.v3.RateLimitUnit.DAY).build();
    RateLimitDescriptor.RateLimitOverride hour42 = day10.toBuilder().setRequestsPerUnit(42)
        .setUnit(io.envoyproxy.envoy.type.v3.RateLimitUnit.HOUR).build();
    RateLimitDescriptor something = d("key1", "value1", "subkey1", "something");

    RateLimitResponse r = f.call("foo_domain", something.toBuilder().setLimit(day10).build());
    assertThat(answer(r)).isEqualTo("OK [OK - 0]");
    r = f.call("test-domain", something.toBuilder().setLimit(day10).build());
    assertThat(answer(r)).isEqualTo("OK [OK 10/DAY 9]");
    f.call("test-domain", something.toBuilder().setLimit(hour42).build());
    r = f.call("test-domain", d("key1", "value1", "subkey1", "something_else").toBuilder().setLimit(hour42).build());
    assertThat(answer(r)).isEqualTo("OK [OK 42/HOUR 41]");
    assertThat(f.counter("ratelimit_service_rate_limit_total_hits", "key1", "key1_value1", "key2",
        "subkey1_something")).isEqualTo(2);
    assertThat(f.counter("ratelimit_service_rate_limit_total_hits", "key1", "key1_value1", "key2",
        "subkey1_something_else")).isEqualTo(1);
    assertThat(f.counter("ratelimit_service_rate_limit_domain_not_found", "domain", "foo_domain")).isEqualTo(1);

    r = f.call("test-domain", d("unconfigured", "x").toBuilder().setLimit(day10).build());
    assertThat(answer(r)).isEqualTo("OK [OK 10/DAY 9]");
    assertThat(f.counter("ratelimit_service_rate_limit_total_hits", "key1", "unconfigured_x")).isEqualTo(1);
  }


  // ---------------------------------------------------------------------------------------------------------------
  // test/integration/integration_test.go testBasicBaseConfig against its runtime/current/ratelimit/config/
  // another.yaml, with the local cache (LOCAL_CACHE_SIZE_IN_BYTES) and STOP_CACHE_KEY_INCREMENT_WHEN_OVERLIMIT on
  // and off: 25 requests on a 20/minute key, then 15 requests of that key (a new value) together with a 10/hour key.

  static Stream<Arguments> integrationSettings() {
    return Stream.of(Arguments.of(false, false), Arguments.of(true, false), Arguments.of(false, true),
        Arguments.of(true, true));
  }

  @ParameterizedTest(name = "local cache {0}, stop increment when over limit {1}")
  @MethodSource("integrationSettings")
  void theIntegrationSequenceAnswersAndCountsAsTheReferences(boolean localCache, boolean stopIncrement) {
    LimiterFixture f = fixture("""
        domain: another
        descriptors:
          - key: key2
            rate_limit: {unit: minute, requests_per_unit: 20}
          - key: key3
            rate_limit: {unit: hour, requests_per_unit: 10}
          - key: key4
            rate_limit: {unit: day, requests_per_unit: 20}
        """, LimiterOptions.defaults().withLocalCache(localCache).withCountRejectedHits(!stopIncrement));
    assertThat(answer(f.call("foo", d("hello", "world")))).isEqualTo("OK [OK - 0]");
    for (int i = 0; i < 25; i++) {
      RateLimitResponse r = f.call("another", d("key2", "7"));
      String code = i >= 20 ? "OVER_LIMIT" : "OK";
      assertThat(answer(r)).as("request %d", i).isEqualTo(code + " [" + code + " 20/MINUTE " + (i >= 20 ? 0 : 19 - i)
          + "]");
      assertThat(f.counter("ratelimit_service_rate_limit_total_hits", "key1", "key2")).isEqualTo(i + 1);
      assertThat(f.counter("ratelimit_service_rate_limit_over_limit", "key1", "key2")).isEqualTo(Math.max(0, i - 19));
      assertThat(f.counter("ratelimit_service_rate_limit_over_limit_with_local_cache", "key1", "key2"))
          .isEqualTo(localCache ? Math.max(0, i - 20) : 0);
    }
    for (int i = 0; i < 15; i++) {
      RateLimitResponse r = f.call("another", d("key2", "8"), d("key3", "8"));
      String code = i >= 10 ? "OVER_LIMIT" : "OK";
      int remaining1 = i >= 10 && stopIncrement ? 10 : 19 - i;
      assertThat(answer(r)).as("request %d", i).isEqualTo(code + " [OK 20/MINUTE " + remaining1 + ", " + code
          + " 10/HOUR " + (i >= 10 ? 0 : 9 - i) + "]");
      assertThat(f.counter("ratelimit_service_rate_limit_total_hits", "key1", "key2")).isEqualTo(i + 26);
      assertThat(f.counter("ratelimit_service_rate_limit_over_limit", "key1", "key2")).isEqualTo(5);
      assertThat(f.counter("ratelimit_service_rate_limit_total_hits", "key1", "key3")).isEqualTo(i + 1);
      assertThat(f.counter("ratelimit_service_rate_limit_over_limit", "key1", "key3")).isEqualTo(Math.max(0, i - 9));
      assertThat(f.counter("ratelimit_service_rate_limit_over_limit_with_local_cache", "key1", "key3"))
          .isEqualTo(localCache ? Math.max(0, i - 10) : 0);
    }
    long first = f.call("another", d("key4", "durTest")).getStatuses(0).getDurationUntilReset().getSeconds();
    f.clock.advance(java.time.Duration.ofSeconds(2));
    assertThat(f.call("another", d("key4", "durTest")).getStatuses(0).getDurationUntilReset().getSeconds())
        .isLessThan(first);
  }


  // ---------------------------------------------------------------------------------------------------------------
  // test/redis/fixed_cache_impl_test.go TestOverLimitWithStopCacheKeyIncrementWhenOverlimitConfig: two keys (15/hour
  // and 14/hour) both at 10, then +1, +2, +2 on each; on the last request the second goes over, so the first is not
  // charged (INCRBY 0) and keeps its remaining, yet its stats count the request's hits as the reference's do.

  @org.junit.jupiter.api.Test
  void withStopIncrementAnUnchargedDescriptorCountsItsHitsInItsStatsAsTheReferenceDoes() {
    LimiterFixture f = fixture("""
        domain: domain
        descriptors:
          - key: key4
            value: value4
            rate_limit: {unit: hour, requests_per_unit: 15}
          - key: key5
            value: value5
            rate_limit: {unit: hour, requests_per_unit: 14}
        """, LimiterOptions.defaults().withCountRejectedHits(false));
    f.call("domain", withHits(d("key4", "value4"), 10), withHits(d("key5", "value5"), 10));
    long[] base4 = counts(f, "key4_value4");
    long[] base5 = counts(f, "key5_value5");
    String[] answers = {
        "OK [OK 15/HOUR 4, OK 14/HOUR 3]", "OK [OK 15/HOUR 2, OK 14/HOUR 1]",
        "OVER_LIMIT [OK 15/HOUR 2, OVER_LIMIT 14/HOUR 0]"};
    // total, over, near, within after each request (the upstream test's cumulative asserts)
    String[] stats4 = {"total=1 over=0 near=0 within=1", "total=3 over=0 near=1 within=3",
        "total=5 over=0 near=2 within=5"};
    String[] stats5 = {"total=1 over=0 near=0 within=1", "total=3 over=0 near=2 within=3",
        "total=5 over=1 near=3 within=3"};
    int[] hits = {1, 2, 2};
    for (int i = 0; i < 3; i++) {
      RateLimitResponse r = f.call("domain", withHits(d("key4", "value4"), hits[i]),
          withHits(d("key5", "value5"), hits[i]));
      assertThat(answer(r)).as("request %d", i + 1).isEqualTo(answers[i]);
      assertThat(statsText(counts(f, "key4_value4"), base4)).as("key4 after request %d", i + 1).isEqualTo(stats4[i]);
      assertThat(statsText(counts(f, "key5_value5"), base5)).as("key5 after request %d", i + 1).isEqualTo(stats5[i]);
    }
  }

  private static long[] counts(LimiterFixture f, String key1) {
    return new long[] {
        f.counter("ratelimit_service_rate_limit_total_hits", "key1", key1),
        f.counter("ratelimit_service_rate_limit_over_limit", "key1", key1),
        f.counter("ratelimit_service_rate_limit_near_limit", "key1", key1),
        f.counter("ratelimit_service_rate_limit_within_limit", "key1", key1)};
  }

  private static String statsText(long[] now, long[] base) {
    return "total=%d over=%d near=%d within=%d".formatted(now[0] - base[0], now[1] - base[1], now[2] - base[2],
        now[3] - base[3]);
  }


  // ---------------------------------------------------------------------------------------------------------------
  // test/stats/manager_impl_test.go TestEscapingInvalidChartersInMetricName: ':' and '|' in a stat path become '_'.

  @ParameterizedTest(name = "{0} -> {1}")
  @org.junit.jupiter.params.provider.CsvSource({
      "/foo/bar, path_/foo/bar",
      "/foo:*:bar, path_/foo_*_bar",
      "/foo|bar|baz, path_/foo_bar_baz",
      "/foo:bar|baz, path_/foo_bar_baz"})
  void colonsAndPipesInAStatPathAreEscapedAsTheReferenceDoes(String value, String key1) {
    LimiterFixture f = fixture("""
        domain: d
        descriptors:
          - key: path
            detailed_metric: true
            rate_limit: {unit: second, requests_per_unit: 5}
        """, LimiterOptions.defaults());
    f.call("d", d("path", value));
    assertThat(f.counter("ratelimit_service_rate_limit_total_hits", "key1", key1)).isEqualTo(1);
  }


  // ---------------------------------------------------------------------------------------------------------------
  // test/integration/integration_test.go testShareThreshold with its runtime/.../config/share_threshold.yaml: values
  // a share_threshold pattern matches spend one count; without share_threshold each value counts on its own.

  @org.junit.jupiter.api.Test
  void valuesOfASharedPatternSpendOneCountAndOthersTheirOwn() {
    LimiterFixture f = fixture("""
        domain: share-threshold-test
        descriptors:
          - key: files
            value: files/*
            share_threshold: true
            rate_limit: {unit: hour, requests_per_unit: 10}
          - key: files_no_share
            value: files_no_share/*
            rate_limit: {unit: hour, requests_per_unit: 10}
        """, LimiterOptions.defaults());
    for (int i = 0; i < 10; i++) {
      f.call("share-threshold-test", d("files", "files/a.pdf"));
    }
    assertThat(answer(f.call("share-threshold-test", d("files", "files/b.csv"))))
        .isEqualTo("OVER_LIMIT [OVER_LIMIT 10/HOUR 0]");
    for (int i = 0; i < 10; i++) {
      assertThat(answer(f.call("share-threshold-test", d("files_no_share", "files_no_share/" + i))))
          .isEqualTo("OK [OK 10/HOUR 9]");
    }
  }


  // ---------------------------------------------------------------------------------------------------------------
  // src/utils/utilities.go CalculateReset, as test/redis/fixed_cache_impl_test.go and the header tests expect it:
  // unit seconds - (now in whole seconds) % unit seconds, so a whole unit at a window's first second, 1 in its last.

  @ParameterizedTest(name = "{0} at {1} ms: {2} s")
  @org.junit.jupiter.params.provider.CsvSource({
      "minute, 2222000, 58",
      "minute, 2220000, 60",
      "minute, 2220999, 60",
      "minute, 2279999, 1",
      "second, 2222500, 1",
      "hour, 2222000, 1378",
      "day, 864000000, 86400",
      "day, 1000000000, 36800",
      "week, 2222000, 602578",
      "month, 2222000, 2589778",
      "year, 2222000, 31533778"})
  void durationUntilResetAndTheResetHeaderAreTheReferences(String unit, long nowMillis, long seconds) {
    MutableClock clock = MutableClock.ofEpochMilli(nowMillis);
    store = new MemoryCounterStore(clock, 100_000);
    LimiterFixture f = new LimiterFixture("""
        domain: d
        descriptors:
          - key: k
            rate_limit: {unit: %s, requests_per_unit: 10}
        """.formatted(unit), store, clock, LimiterOptions.defaults()
        .withHeaders(LimiterOptions.HeaderStyle.RATELIMIT, false));
    RateLimitResponse r = f.call("d", d("k", "v"));
    assertThat(r.getStatuses(0).getDurationUntilReset().getSeconds()).isEqualTo(seconds);
    assertThat(r.getResponseHeadersToAddList()).extracting(h -> h.getKey() + ": " + h.getValue())
        .contains("RateLimit-Reset: " + seconds);
  }


  // test/config/config_test.go TestBasicConfig's first lookups, through the service: a descriptor without entries
  // matches nothing; in an unknown domain it counts domain_not_found, in a configured one nothing.

  @org.junit.jupiter.api.Test
  void aDescriptorWithoutEntriesMatchesNothingAndCountsOnlyAnUnknownDomain() {
    LimiterFixture f = fixture(TWO_RULES, LimiterOptions.defaults());
    RateLimitDescriptor empty = RateLimitDescriptor.getDefaultInstance();
    assertThat(answer(f.call("foo_domain", empty))).isEqualTo("OK [OK - 0]");
    assertThat(answer(f.call("different-domain", empty))).isEqualTo("OK [OK - 0]");
    assertThat(f.counter("ratelimit_service_rate_limit_domain_not_found", "domain", "foo_domain")).isEqualTo(1);
    assertThat(f.counter("ratelimit_service_rate_limit_domain_not_found", "domain", "different-domain")).isZero();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // TestEmptyDomain, TestEmptyDescriptors: refused. The reference's errors read "rate limit domain must not be empty"
  // and "rate limit descriptor list must not be empty" (gRPC UNKNOWN); Switchyard answers INVALID_ARGUMENT naming the
  // field on purpose (docs/ratelimit.md, Bad input).

  static Stream<Arguments> refusedRequests() {
    return Stream.of(
        Arguments.of("TestEmptyDomain", RateLimitRequest.newBuilder().addDescriptors(d("hello", "world")).build(),
            "domain"),
        Arguments.of("TestEmptyDescriptors", RateLimitRequest.newBuilder().setDomain("test-domain").build(),
            "descriptors"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedRequests")
  void aRequestWithoutDomainOrDescriptorsIsRefusedNamingTheField(String upstreamTest, RateLimitRequest request,
      String field) {
    LimiterFixture f = fixture(TWO_RULES, LimiterOptions.defaults());
    Throwable t = catchThrowable(() -> f.limiter.shouldRateLimit(request));
    assertThat(t).as(upstreamTest).isInstanceOf(InvalidRequestException.class);
    assertThat(t.getMessage()).contains(field);
  }
}
