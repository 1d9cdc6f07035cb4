package io.switchyard.ratelimit.config;

import static io.switchyard.ratelimit.config.Descriptors.of;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Matching conformance with envoyproxy/ratelimit (research note, section 3). */
class DescriptorMatchingTest {

  private static DomainConfig domain(String yaml) throws Exception {
    return new RateLimitConfigLoader().loadTexts(Map.of("test.yaml", yaml)).domain("d");
  }

  private static Limit limitOf(DomainConfig d, RateLimitDescriptor desc) {
    DescriptorMatch m = d.match(desc);
    return m == null ? null : m.rule().limits().get(0);
  }

  private static final String BASIC = """
      domain: d
      descriptors:
        - key: key1
          value: value1
          rate_limit: {unit: second, requests_per_unit: 5, name: exact}
          descriptors:
            - key: subkey1
              rate_limit: {unit: minute, requests_per_unit: 10}
        - key: key1
          rate_limit: {unit: hour, requests_per_unit: 20, name: default}
          descriptors:
            - key: subkey2
              value: v
              rate_limit: {unit: day, requests_per_unit: 30}
        - key: key2
          value: "*"
          rate_limit: {unit: second, requests_per_unit: 1}
        - key: whitelisted
          value: me
        - key: whitelisted
          rate_limit: {unit: second, requests_per_unit: 3}
      """;

  @Test
  void exactValueWinsOverValueLessEntry() throws Exception {
    DomainConfig d = domain(BASIC);
    assertThat(limitOf(d, of("key1", "value1")).name()).isEqualTo("exact");
    assertThat(limitOf(d, of("key1", "other")).name()).isEqualTo("default");
  }

  @Test
  void valueLessEntryMatchesAnyValue() throws Exception {
    DomainConfig d = domain(BASIC);
    assertThat(limitOf(d, of("key1", "anything")).requestsPerUnit()).isEqualTo(20);
    assertThat(limitOf(d, of("key1", "anything")).unit()).isEqualTo(RateLimitUnit.HOUR);
  }

  @Test
  void unknownKeyMatchesNothing() throws Exception {
    assertThat(domain(BASIC).match(of("nope", "x"))).isNull();
  }

  @Test
  void noBacktrackingToValueLessSiblingWhenExactChildIsMissing() throws Exception {
    DomainConfig d = domain(BASIC);
    // key1_value1 is chosen at level 1; it has no subkey2 child, and key1 (which has) is not retried.
    assertThat(d.match(of("key1", "value1", "subkey2", "v"))).isNull();
    assertThat(limitOf(d, of("key1", "x", "subkey2", "v")).requestsPerUnit()).isEqualTo(30);
  }

  @Test
  void nestedValueLessEntryAppliesAtDepthTwo() throws Exception {
    DomainConfig d = domain(BASIC);
    assertThat(limitOf(d, of("key1", "value1", "subkey1", "abc")).unit()).isEqualTo(RateLimitUnit.MINUTE);
  }

  @Test
  void fewerEntriesThanConfigDepthUsesTheInnerNodeLimitOnly() throws Exception {
    DomainConfig d = domain("""
        domain: d
        descriptors:
          - key: a
            descriptors:
              - key: b
                rate_limit: {unit: second, requests_per_unit: 1}
        """);
    assertThat(d.match(of("a", "x"))).isNull();
    assertThat(d.match(of("a", "x", "b", "y"))).isNotNull();
  }

  @Test
  void moreEntriesThanConfigDepthMeansNoLimitEvenIfALeafLimitWasPassed() throws Exception {
    DomainConfig d = domain(BASIC);
    assertThat(d.match(of("key2", "z", "extra", "1"))).isNull();
    assertThat(d.match(of("key1", "value1", "subkey1", "a", "deeper", "b"))).isNull();
  }

  @Test
  void innerNodesCarryTheirOwnLimits() throws Exception {
    DomainConfig d = domain(BASIC);
    DescriptorMatch outer = d.match(of("key1", "value1"));
    DescriptorMatch inner = d.match(of("key1", "value1", "subkey1", "s"));
    assertThat(outer.rule()).isNotSameAs(inner.rule());
    assertThat(outer.counterKeyBase(of("key1", "value1"))).isEqualTo("d_key1_value1_");
    assertThat(inner.counterKeyBase(of("key1", "value1", "subkey1", "s"))).isEqualTo("d_key1_value1_subkey1_s_");
  }

  @Test
  void whitelistEntryWithoutLimitGivesNoLimitAndNoFallbackToDefault() throws Exception {
    DomainConfig d = domain(BASIC);
    assertThat(d.match(of("whitelisted", "me"))).isNull();
    assertThat(limitOf(d, of("whitelisted", "you")).requestsPerUnit()).isEqualTo(3);
  }

  @Test
  void keysAndValuesAreCaseSensitive() throws Exception {
    DomainConfig d = domain(BASIC);
    assertThat(limitOf(d, of("key1", "VALUE1")).name()).isEqualTo("default");
    assertThat(d.match(of("KEY1", "value1"))).isNull();
  }

  @Test
  void firstDeclaredWildcardWinsNotTheLongest() throws Exception {
    DomainConfig d = domain("""
        domain: d
        descriptors:
          - key: path
            value: /api/*
            rate_limit: {unit: second, requests_per_unit: 1, name: short}
          - key: path
            value: /api/v1/*
            rate_limit: {unit: second, requests_per_unit: 2, name: long}
        """);
    assertThat(limitOf(d, of("path", "/api/v1/users")).name()).isEqualTo("short");
  }

  @Test
  void exactMatchBeatsWildcardAndWildcardBeatsValueLess() throws Exception {
    DomainConfig d = domain("""
        domain: d
        descriptors:
          - key: k
            rate_limit: {unit: second, requests_per_unit: 1, name: valueless}
          - key: k
            value: ab*
            rate_limit: {unit: second, requests_per_unit: 2, name: wildcard}
          - key: k
            value: abc
            rate_limit: {unit: second, requests_per_unit: 3, name: exact}
        """);
    assertThat(limitOf(d, of("k", "abc")).name()).isEqualTo("exact");
    assertThat(limitOf(d, of("k", "abd")).name()).isEqualTo("wildcard");
    assertThat(limitOf(d, of("k", "xyz")).name()).isEqualTo("valueless");
  }

  @Test
  void wildcardsMayBeLeadingMiddleTrailingAndSeveral() throws Exception {
    DomainConfig d = domain("""
        domain: d
        descriptors:
          - key: lead
            value: "*.example.com"
            rate_limit: {unit: second, requests_per_unit: 1}
          - key: mid
            value: "user-*-admin"
            rate_limit: {unit: second, requests_per_unit: 2}
          - key: many
            value: "a*b*c"
            rate_limit: {unit: second, requests_per_unit: 3}
          - key: all
            value: "*"
            rate_limit: {unit: second, requests_per_unit: 4}
        """);
    assertThat(d.match(of("lead", "api.example.com"))).isNotNull();
    assertThat(d.match(of("lead", "api.example.org"))).isNull();
    assertThat(d.match(of("mid", "user-42-admin"))).isNotNull();
    assertThat(d.match(of("mid", "user--admin"))).isNotNull();
    assertThat(d.match(of("mid", "user-42-admins"))).isNull();
    assertThat(d.match(of("many", "abc"))).isNotNull();
    assertThat(d.match(of("many", "aXXbYYc"))).isNotNull();
    assertThat(d.match(of("many", "acb"))).isNull();
    assertThat(d.match(of("all", ""))).isNotNull();
    assertThat(d.match(of("all", "anything"))).isNotNull();
  }

  @Test
  void wildcardChildIsWalkedLikeAnyOtherNode() throws Exception {
    DomainConfig d = domain("""
        domain: d
        descriptors:
          - key: tenant
            value: team-*
            descriptors:
              - key: path
                value: /v1/*
                rate_limit: {unit: minute, requests_per_unit: 7}
        """);
    assertThat(limitOf(d, of("tenant", "team-a", "path", "/v1/x")).requestsPerUnit()).isEqualTo(7);
    assertThat(d.match(of("tenant", "team-a", "path", "/v2/x"))).isNull();
  }

  @Test
  void counterKeyUsesTheRequestValueSoValueLessAndWildcardRulesCountPerValue() throws Exception {
    DomainConfig d = domain(BASIC);
    RateLimitDescriptor a = of("key2", "a");
    RateLimitDescriptor b = of("key2", "b");
    assertThat(d.match(a).counterKeyBase(a)).isEqualTo("d_key2_a_");
    assertThat(d.match(b).counterKeyBase(b)).isEqualTo("d_key2_b_");
  }

  @Test
  void shareThresholdMakesAllValuesOfAPatternShareOneCounter() throws Exception {
    DomainConfig d = domain("""
        domain: d
        descriptors:
          - key: path
            value: /files/*
            share_threshold: true
            rate_limit: {unit: second, requests_per_unit: 1}
        """);
    RateLimitDescriptor a = of("path", "/files/a");
    RateLimitDescriptor b = of("path", "/files/b");
    assertThat(d.match(a).counterKeyBase(a)).isEqualTo("d_path_/files/*_").isEqualTo(d.match(b).counterKeyBase(b));
  }

  @Test
  void aStarInTheKeyMakesTheEntryAWildcardOverTheRequestsKeyAndValue() throws Exception {
    // envoyproxy/ratelimit src/config/config_impl.go loadDescriptors: finalKey is key or key_value, and any '*' in
    // finalKey, the key's included, makes the entry a wildcard that GetLimit matches against the request's key_value.
    DomainConfig d = domain("""
        domain: d
        descriptors:
          - key: x-*
            rate_limit: {unit: second, requests_per_unit: 3}
          - key: h*
            value: v
            rate_limit: {unit: second, requests_per_unit: 4}
          - key: x-exact
            rate_limit: {unit: second, requests_per_unit: 5}
        """);
    assertThat(limitOf(d, of("x-user", "bob")).requestsPerUnit()).isEqualTo(3);
    assertThat(limitOf(d, of("x-", "")).requestsPerUnit()).isEqualTo(3);
    assertThat(limitOf(d, of("host", "v")).requestsPerUnit()).isEqualTo(4);
    assertThat(limitOf(d, of("h", "v")).requestsPerUnit()).isEqualTo(4);
    assertThat(d.match(of("host", "w"))).isNull();
    assertThat(limitOf(d, of("x-exact", "1")).requestsPerUnit()).as("the wildcard is tried before the value-less key")
        .isEqualTo(3);
    RateLimitDescriptor user = of("x-user", "bob");
    assertThat(d.match(user).counterKeyBase(user)).isEqualTo("d_x-user_bob_");
  }

  @Test
  void shareThresholdOnAStarInTheKeySharesTheCounterUnderTheWholePattern() throws Exception {
    // config_impl.go: share_threshold needs a '*' in finalKey; GetLimit keeps TrimPrefix(pattern, key + "_") as the
    // value, which is the whole pattern when the '*' is in the key; src/limiter/cache_key.go writes key_that_.
    DomainConfig d = domain("""
        domain: d
        descriptors:
          - key: x-*
            share_threshold: true
            rate_limit: {unit: second, requests_per_unit: 3}
          - key: path
            value: /a/*
            share_threshold: true
            rate_limit: {unit: second, requests_per_unit: 3}
        """);
    RateLimitDescriptor a = of("x-user", "a");
    RateLimitDescriptor b = of("x-user", "b");
    assertThat(d.match(a).counterKeyBase(a)).isEqualTo("d_x-user_x-*_").isEqualTo(d.match(b).counterKeyBase(b));
    RateLimitDescriptor path = of("path", "/a/b");
    assertThat(d.match(path).counterKeyBase(path)).isEqualTo("d_path_/a/*_");
  }

  @Test
  void statsKeysFollowTheReference() throws Exception {
    DomainConfig d = domain(BASIC);
    assertThat(d.match(of("key1", "value1")).statsKey(of("key1", "value1"))).isEqualTo("d.key1_value1");
    assertThat(d.match(of("key1", "zzz")).statsKey(of("key1", "zzz"))).isEqualTo("d.key1");
    assertThat(d.match(of("key2", "zzz")).statsKey(of("key2", "zzz"))).isEqualTo("d.key2_*");
    RateLimitDescriptor nested = of("key1", "value1", "subkey1", "s");
    assertThat(d.match(nested).statsKey(nested)).isEqualTo("d.key1_value1.subkey1");
  }

  @Test
  void detailedMetricAndValueToMetricPutTheRequestValueInTheStatsKey() throws Exception {
    DomainConfig d = domain("""
        domain: d
        descriptors:
          - key: user
            detailed_metric: true
            rate_limit: {unit: second, requests_per_unit: 1}
          - key: org
            value_to_metric: true
            descriptors:
              - key: path
                value: /a*
                rate_limit: {unit: second, requests_per_unit: 1}
        """);
    assertThat(d.match(of("user", "bob")).statsKey(of("user", "bob"))).isEqualTo("d.user_bob");
    RateLimitDescriptor nested = of("org", "acme", "path", "/abc");
    assertThat(d.match(nested).statsKey(nested)).isEqualTo("d.org_acme.path_/a*");
    RateLimitDescriptor emptyValue = of("org", "", "path", "/abc");
    assertThat(d.match(emptyValue).statsKey(emptyValue)).as("value_to_metric writes no '_' for an empty value")
        .isEqualTo("d.org.path_/a*");
    assertThat(d.match(of("user", "")).statsKey(of("user", ""))).as("detailed_metric writes key_value always")
        .isEqualTo("d.user_");
  }

  @Test
  void shareThresholdKeepsThePatternInTheStatsKeyOverValueToMetricAndDetailedMetric() throws Exception {
    // envoyproxy/ratelimit test/config/config_test.go TestShareThreshold: share_threshold takes priority.
    DomainConfig d = domain("""
        domain: d
        descriptors:
          - key: route
            value: api/*
            share_threshold: true
            value_to_metric: true
            descriptors:
              - key: method
                rate_limit: {unit: minute, requests_per_unit: 60}
          - key: service
            value: svc/*
            share_threshold: true
            descriptors:
              - key: endpoint
                detailed_metric: true
                rate_limit: {unit: minute, requests_per_unit: 80}
        """);
    RateLimitDescriptor route = of("route", "api/v1", "method", "GET");
    assertThat(d.match(route).statsKey(route)).isEqualTo("d.route_api/*.method");
    RateLimitDescriptor service = of("service", "svc/user", "endpoint", "get");
    assertThat(d.match(service).statsKey(service)).isEqualTo("d.service_svc/*.endpoint_get");
  }

  @Test
  void withShareThresholdInThePathDetailedMetricLeavesOutTheUnderscoreOfAnEmptyValue() throws Exception {
    // envoyproxy/ratelimit src/config/config_impl.go GetLimit: with detailed_metric, a path holding a share_threshold
    // match is named from shareThresholdMetricKey, which writes key_value only for a non-empty value; without one,
    // detailedMetricFullKey writes key_value always.
    DomainConfig d = domain("""
        domain: d
        descriptors:
          - key: service
            value: svc/*
            share_threshold: true
            descriptors:
              - key: endpoint
                detailed_metric: true
                rate_limit: {unit: minute, requests_per_unit: 80}
          - key: user
            detailed_metric: true
            descriptors:
              - key: endpoint
                detailed_metric: true
                rate_limit: {unit: minute, requests_per_unit: 80}
        """);
    RateLimitDescriptor shared = of("service", "svc/a", "endpoint", "");
    assertThat(d.match(shared).statsKey(shared)).isEqualTo("d.service_svc/*.endpoint");
    RateLimitDescriptor plain = of("user", "", "endpoint", "");
    assertThat(d.match(plain).statsKey(plain)).isEqualTo("d.user_.endpoint_");
  }

  @Test
  void aWildcardIsNamedAfterTheRequestsKeyAndThePatternTrimmedOfIt() throws Exception {
    // config_impl.go GetLimit: the stat path is built from the request's entries; a wildcard match writes
    // entry.Key + "_" + TrimPrefix(pattern, entry.Key + "_"), so a '*' in the configured key, or a request key that
    // the pattern does not start with, keeps the whole pattern after the request's key.
    DomainConfig d = domain("""
        domain: d
        descriptors:
          - key: x-*
            rate_limit: {unit: second, requests_per_unit: 3}
          - key: a
            value: "*"
            rate_limit: {unit: second, requests_per_unit: 3}
          - key: b
            value: "c_*"
            detailed_metric: true
            rate_limit: {unit: second, requests_per_unit: 3}
        """);
    RateLimitDescriptor keyStar = of("x-user", "bob");
    assertThat(d.match(keyStar).statsKey(keyStar)).isEqualTo("d.x-user_x-*");
    RateLimitDescriptor longerKey = of("a_b", "c");
    assertThat(d.match(longerKey).statsKey(longerKey)).isEqualTo("d.a_b_a_*");
    assertThat(d.match(of("a", "c")).statsKey(of("a", "c"))).isEqualTo("d.a_*");
    RateLimitDescriptor detailed = of("b_c", "x");
    assertThat(d.match(detailed).statsKey(detailed)).as("detailed_metric writes the request's key and value")
        .isEqualTo("d.b_c_x");
  }

  @Test
  void aValueLessKeyHoldingAnUnderscoreMatchedAsKeyValueIsNamedAsTheRequestWroteIt() throws Exception {
    // config_impl.go GetLimit: descriptorsMap[key_value] finds the entry "a_b" for the request a=b; matched "using the
    // value", value_to_metric writes entry.Key + "_" + entry.Value: "a_b", not the configured key plus the value.
    DomainConfig d = domain("""
        domain: d
        descriptors:
          - key: a_b
            value_to_metric: true
            rate_limit: {unit: second, requests_per_unit: 3}
        """);
    assertThat(d.match(of("a", "b")).statsKey(of("a", "b"))).isEqualTo("d.a_b");
    assertThat(d.match(of("a_b", "v")).statsKey(of("a_b", "v"))).isEqualTo("d.a_b_v");
  }

  @Test
  void domainWithNoDescriptorsMatchesNothing() throws Exception {
    assertThat(domain("domain: d\n").match(of("a", "b"))).isNull();
  }

  @Test
  void emptyRequestDescriptorMatchesNothing() throws Exception {
    assertThat(domain(BASIC).match(RateLimitDescriptor.getDefaultInstance())).isNull();
  }

  @Test
  void overrideKeysAreBuiltFromEntries() {
    RateLimitDescriptor desc = of("a", "1", "b", "2");
    assertThat(DescriptorMatch.counterKeyBase("dom", desc)).isEqualTo("dom_a_1_b_2_");
    assertThat(DescriptorMatch.overrideStatsKey("dom", desc)).isEqualTo("dom.a_1.b_2");
  }
}
