package io.switchyard.ratelimit.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.switchyard.serverkit.config.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * envoyproxy/ratelimit's config tests as a conformance corpus: its fixtures of {@code test/config/} (kept unchanged
 * under {@code src/test/resources/upstream-ratelimit/config/}) and the configs its {@code config_test.go} builds in
 * Go structs (written here as the YAML they stand for), each with the outcome that test expects: the config rejected
 * with which reason, or for a request descriptor the limit GetLimit picks (none, unlimited, or requests/unit/name)
 * and its stat path ({@code rl.Stats.Key}). Every case names the upstream test it comes from.
 */
class UpstreamConfigCasesTest {

  private static String fixture(String name) {
    try (InputStream in = UpstreamConfigCasesTest.class.getResourceAsStream("/upstream-ratelimit/config/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Configs the reference refuses (expectConfigPanic), with its message after "<file>: " (or, where Switchyard words
  // the same refusal differently, Switchyard's, with the reference's in a comment).

  static Stream<Arguments> rejectedConfigs() {
    return Stream.of(
        Arguments.of("TestEmptyDomain", false, new String[] {"empty_domain.yaml"},
            "empty_domain.yaml", "config file cannot have empty domain"),
        Arguments.of("TestDuplicateDomain", false, new String[] {"basic_config.yaml", "duplicate_domain.yaml"},
            "duplicate_domain.yaml", "duplicate domain 'test-domain' in config file"),
        Arguments.of("TestEmptyKey", false, new String[] {"empty_key.yaml"},
            "empty_key.yaml", "descriptor has empty key"),
        Arguments.of("TestDuplicateKey", false, new String[] {"duplicate_key.yaml"},
            "duplicate_key.yaml", "duplicate descriptor composite key 'test-domain.key1_value1'"),
        Arguments.of("TestDuplicateKeyDomainMerge", true,
            new String[] {"merge_domain_key1.yaml", "again/merge_domain_key1.yaml"},
            "merge_domain_key1.yaml", "duplicate descriptor composite key 'test-domain.key1_value1'"),
        Arguments.of("TestBadLimitUnit", false, new String[] {"bad_limit_unit.yaml"},
            "bad_limit_unit.yaml", "invalid rate limit unit 'foo'"),
        Arguments.of("TestReplacesSelf", false, new String[] {"replaces_self.yaml"},
            "replaces_self.yaml", "replaces should not contain name of same descriptor"),
        Arguments.of("TestReplacesEmpty", false, new String[] {"replaces_empty.yaml"},
            "replaces_empty.yaml", "should not have an empty replaces entry"),
        // The reference's text is yaml.v2's ("yaml: line 2: found unexpected end of stream"); ours names the
        // unclosed quote instead, so only the common part is compared.
        Arguments.of("TestBadYaml", false, new String[] {"bad_yaml.yaml"},
            "bad_yaml.yaml", ""),
        Arguments.of("TestMisspelledKey", false, new String[] {"misspelled_key.yaml"},
            "misspelled_key.yaml", "config error, unknown key 'ratelimit'"),
        Arguments.of("TestMisspelledKey (2)", false, new String[] {"misspelled_key2.yaml"},
            "misspelled_key2.yaml", "config error, unknown key 'requestsperunit'"),
        // The reference: "config error, key is not of type string: 0.25"; refused here as a key it does not know.
        Arguments.of("TestNonStringKey", false, new String[] {"non_string_key.yaml"},
            "non_string_key.yaml", "config error, unknown key '0.25'"),
        // The reference: "config error, yaml file contains list of type other than map: a".
        Arguments.of("TestNonMapList", false, new String[] {"non_map_list.yaml"},
            "non_map_list.yaml", "descriptor must be a map, found string"),
        Arguments.of("TestUnlimitedWithRateLimitUnit", false, new String[] {"unlimited_with_unit.yaml"},
            "unlimited_with_unit.yaml", "should not specify rate limit unit when unlimited"));
  }

  @ParameterizedTest(name = "{0}: {4}")
  @MethodSource("rejectedConfigs")
  void aConfigTheReferenceRefusesIsRefusedNamingTheFileAndTheReason(String upstreamTest, boolean merge,
      String[] files, String failingFile, String upstreamReason) {
    Map<String, String> texts = new LinkedHashMap<>();
    for (String f : files) {
      texts.put(f, fixture(f.substring(f.lastIndexOf('/') + 1)));
    }
    Throwable t = catchThrowable(() -> new RateLimitConfigLoader(merge).loadTexts(texts));
    assertThat(t).as(upstreamTest).isInstanceOf(ConfigException.class);
    ConfigException e = (ConfigException) t;
    assertThat(e.file().getFileName().toString()).isEqualTo(failingFile);
    assertThat(e.reason()).startsWith(upstreamReason);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // GetLimit's answer for a request descriptor: "none", "unlimited | <stats key>" or
  // "<requests_per_unit> <UNIT> [name=<name>] | <stats key>".

  /** The Go-struct configs of config_test.go, as YAML. */
  private static final Map<String, String> INLINE = Map.ofEntries(
      Map.entry("detailed/top-only", """
          domain: nested
          descriptors:
            - key: key-1
              detailed_metric: true
              rate_limit: {unit: minute, requests_per_unit: 100}
              descriptors:
                - key: key-2
                  rate_limit: {unit: minute, requests_per_unit: 5}
          """),
      Map.entry("detailed/top-only-off", """
          domain: nested
          descriptors:
            - key: key-1
              rate_limit: {unit: minute, requests_per_unit: 100}
              descriptors:
                - key: key-2
                  rate_limit: {unit: minute, requests_per_unit: 5}
          """),
      Map.entry("detailed/both", """
          domain: nested
          descriptors:
            - key: key-1
              detailed_metric: true
              rate_limit: {unit: minute, requests_per_unit: 100}
              descriptors:
                - key: key-2
                  detailed_metric: true
                  rate_limit: {unit: minute, requests_per_unit: 5}
          """),
      Map.entry("detailed/realistic", """
          domain: nested
          descriptors:
            - key: key_1
              detailed_metric: true
              rate_limit: {unit: minute, requests_per_unit: 500}
            - key: key_1
              value: some-value-for-key-1
              rate_limit: {unit: minute, requests_per_unit: 500}
            - key: key_2
              detailed_metric: true
              rate_limit: {unit: minute, requests_per_unit: 5000}
              descriptors:
                - key: key_3
                  detailed_metric: true
                - key: key_3
                  value: requested-key3-value
                  detailed_metric: true
                  rate_limit: {unit: minute, requests_per_unit: 5}
            - key: key_2
              value: specific-id
              detailed_metric: true
              rate_limit: {unit: minute, requests_per_unit: 50000}
              descriptors:
                - key: key_3
                  detailed_metric: true
                - key: key_3
                  value: requested-key3-value
                  detailed_metric: true
                  rate_limit: {unit: minute, requests_per_unit: 100}
          """),
      Map.entry("v2m/runtime", """
          domain: domain
          descriptors:
            - key: route
              value_to_metric: true
              descriptors:
                - key: http_method
                  value_to_metric: true
                  descriptors:
                    - key: subject_id
                      rate_limit: {unit: minute, requests_per_unit: 60}
          """),
      Map.entry("v2m/default-key", """
          domain: d
          descriptors:
            - key: k1
              value_to_metric: true
              descriptors:
                - key: k2
                  rate_limit: {unit: second, requests_per_unit: 1}
          """),
      Map.entry("v2m/mid-level", """
          domain: d
          descriptors:
            - key: k1
              descriptors:
                - key: k2
                  value_to_metric: true
                  descriptors:
                    - key: k3
                      rate_limit: {unit: second, requests_per_unit: 1}
          """),
      Map.entry("v2m/no-flag", """
          domain: d
          descriptors:
            - key: k1
              descriptors:
                - key: k2
                  rate_limit: {unit: second, requests_per_unit: 1}
          """),
      Map.entry("v2m/detailed-leaf", """
          domain: domain
          descriptors:
            - key: route
              value_to_metric: true
              descriptors:
                - key: http_method
                  value_to_metric: true
                  descriptors:
                    - key: subject_id
                      detailed_metric: true
                      rate_limit: {unit: minute, requests_per_unit: 60}
          """),
      Map.entry("v2m/configured-values", """
          domain: test-domain
          descriptors:
            - key: route
              value_to_metric: true
              descriptors:
                - key: http_method
                  value: GET
                  value_to_metric: true
                  descriptors:
                    - key: subject_id
                      rate_limit: {unit: minute, requests_per_unit: 60}
                - key: http_method
                  value: POST
                  value_to_metric: true
                  descriptors:
                    - key: subject_id
                      rate_limit: {unit: minute, requests_per_unit: 30}
          """),
      Map.entry("v2m/wildcard", """
          domain: domain
          descriptors:
            - key: user
              value_to_metric: true
              descriptors:
                - key: action
                  value: read*
                  value_to_metric: true
                  descriptors:
                    - key: resource
                      rate_limit: {unit: minute, requests_per_unit: 100}
          """),
      Map.entry("v2m/plain", """
          domain: test-domain-2
          descriptors:
            - key: route
              descriptors:
                - key: http_method
                  descriptors:
                    - key: subject_id
                      rate_limit: {unit: minute, requests_per_unit: 60}
          """),
      Map.entry("v2m/detailed-only", """
          domain: test-domain-3
          descriptors:
            - key: route
              descriptors:
                - key: http_method
                  descriptors:
                    - key: subject_id
                      detailed_metric: true
                      rate_limit: {unit: minute, requests_per_unit: 60}
          """),
      Map.entry("wild/none", """
          domain: test-domain
          descriptors:
            - {key: wild, value: "foo*", rate_limit: {unit: minute, requests_per_unit: 20}}
          """),
      Map.entry("wild/v2m", """
          domain: test-domain
          descriptors:
            - {key: wild, value: "foo*", value_to_metric: true, rate_limit: {unit: minute, requests_per_unit: 20}}
          """),
      Map.entry("wild/share", """
          domain: test-domain
          descriptors:
            - {key: wild, value: "foo*", share_threshold: true, rate_limit: {unit: minute, requests_per_unit: 20}}
          """),
      Map.entry("wild/share-v2m", """
          domain: test-domain
          descriptors:
            - key: wild
              value: "foo*"
              share_threshold: true
              value_to_metric: true
              rate_limit: {unit: minute, requests_per_unit: 20}
          """),
      Map.entry("wild/v2m-other", """
          domain: test-domain
          descriptors:
            - key: wild
              value: "foo*"
              descriptors:
                - key: other
                  value_to_metric: true
                  descriptors:
                    - key: limit
                      rate_limit: {unit: minute, requests_per_unit: 20}
          """),
      Map.entry("wild/mid-trailing", """
          domain: test-domain
          descriptors:
            - {key: wild, value: "foo*bar*", rate_limit: {unit: minute, requests_per_unit: 20}}
          """),
      Map.entry("wild/order", """
          domain: test-domain
          descriptors:
            - {key: wild, value: "a*", rate_limit: {unit: minute, requests_per_unit: 1}}
            - {key: wild, value: "ab*", rate_limit: {unit: minute, requests_per_unit: 2}}
            - {key: wild, value: "abc", rate_limit: {unit: minute, requests_per_unit: 3}}
            - {key: wild, rate_limit: {unit: minute, requests_per_unit: 4}}
          """),
      Map.entry("wild/mid-trailing-v2m", """
          domain: test-domain
          descriptors:
            - {key: wild, value: "foo*bar*", value_to_metric: true, rate_limit: {unit: minute, requests_per_unit: 20}}
          """));

  private static Arguments c(String upstreamTest, String config, String domain, String entries, String expected) {
    return Arguments.of(upstreamTest, config, domain, entries, expected);
  }

  static Stream<Arguments> lookups() {
    String b = "basic_config.yaml";
    String s = "shadowmode_config.yaml";
    String w = "wildcard.yaml";
    String st = "share_threshold.yaml";
    String td = "test-domain";
    return Stream.of(
        // TestBasicConfig
        c("TestBasicConfig", b, "foo_domain", "", "none"),
        c("TestBasicConfig", b, td, "", "none"),
        c("TestBasicConfig", b, td, "key1=something", "none"),
        c("TestBasicConfig", b, td, "key1=value1", "none"),
        c("TestBasicConfig", b, td, "key2=value2,subkey=subvalue", "none"),
        c("TestBasicConfig", b, td, "key5=value5,subkey5=subvalue", "none"),
        c("TestBasicConfig", b, td, "key1=value1,subkey1=something", "5 SECOND | test-domain.key1_value1.subkey1"),
        c("TestBasicConfig", b, td, "key1=value1,subkey1=subvalue1",
            "10 SECOND | test-domain.key1_value1.subkey1_subvalue1"),
        c("TestBasicConfig", b, td, "key2=something", "20 MINUTE | test-domain.key2"),
        c("TestBasicConfig", b, td, "key2=value2", "30 MINUTE | test-domain.key2_value2"),
        c("TestBasicConfig", b, td, "key2=value3", "none"),
        c("TestBasicConfig", b, td, "key3=foo", "1 HOUR | test-domain.key3"),
        c("TestBasicConfig", b, td, "key4=foo", "1 DAY name=key4_rate_limit | test-domain.key4"),
        c("TestBasicConfig", b, td, "key6=foo", "unlimited | test-domain.key6"),
        c("TestBasicConfig", b, td, "key7=unspecified_value", "70 MINUTE | test-domain.key7_unspecified_value"),
        c("TestBasicConfig", b, td, "key7=another_value", "70 MINUTE | test-domain.key7_another_value"),
        // TestDomainMerge (both files, MERGE_DOMAIN_CONFIG)
        c("TestDomainMerge", "merge_domain_key1.yaml+merge_domain_key2.yaml", "foo_domain", "", "none"),
        c("TestDomainMerge", "merge_domain_key1.yaml+merge_domain_key2.yaml", td, "", "none"),
        c("TestDomainMerge", "merge_domain_key1.yaml+merge_domain_key2.yaml", td, "key1=value1",
            "10 MINUTE | test-domain.key1_value1"),
        c("TestDomainMerge", "merge_domain_key1.yaml+merge_domain_key2.yaml", td, "key2=value2",
            "20 MINUTE | test-domain.key2_value2"),
        // TestShadowModeConfig
        c("TestShadowModeConfig", s, td, "key1=value1,subkey1=something", "5 SECOND | test-domain.key1_value1.subkey1"),
        c("TestShadowModeConfig", s, td, "key1=value1,subkey1=subvalue1",
            "10 SECOND shadow | test-domain.key1_value1.subkey1_subvalue1"),
        c("TestShadowModeConfig", s, td, "key2=something", "20 MINUTE shadow | test-domain.key2"),
        c("TestShadowModeConfig", s, td, "key2=value2", "30 MINUTE | test-domain.key2_value2"),
        // TestWildcardConfig
        c("TestWildcardConfig", w, td, "noVal=foo1", "20 MINUTE | test-domain.noVal"),
        c("TestWildcardConfig", w, td, "noVal=foo2", "20 MINUTE | test-domain.noVal"),
        c("TestWildcardConfig", w, td, "wild=foo1", "20 MINUTE | test-domain.wild_foo*"),
        c("TestWildcardConfig", w, td, "wild=foo2", "20 MINUTE | test-domain.wild_foo*"),
        c("TestWildcardConfig", w, td, "nestedWild=val1,wild=goo2", "20 MINUTE | test-domain.nestedWild_val1.wild_goo*"),
        c("TestWildcardConfig", w, td, "wild=bar", "none"),
        c("TestWildcardConfig", w, td, "noWild=foo1", "none"),
        c("TestWildcardConfig", w, td, "midWild=barab", "20 MINUTE | test-domain.midWild_bar*b"),
        c("TestWildcardConfig", w, td, "midWild=bar123b", "20 MINUTE | test-domain.midWild_bar*b"),
        c("TestWildcardConfig", w, td, "midWild=barb", "20 MINUTE | test-domain.midWild_bar*b"),
        c("TestWildcardConfig", w, td, "midWild=bara", "none"),
        c("TestWildcardConfig", w, td, "midWild=xbarb", "none"),
        c("TestWildcardConfig", w, td, "multiWild=foo123bar456baz", "10 MINUTE | test-domain.multiWild_foo*bar*baz"),
        c("TestWildcardConfig", w, td, "multiWild=foobarbaz", "10 MINUTE | test-domain.multiWild_foo*bar*baz"),
        c("TestWildcardConfig", w, td, "multiWild=foo123baz", "none"),
        c("TestWildcardConfig", w, td, "multiWild=bar456baz", "none"),
        // TestDetailedMetric
        c("TestDetailedMetric: request only top-level key", "detailed/top-only", "nested", "key-1=value-1",
            "100 MINUTE | nested.key-1_value-1"),
        c("TestDetailedMetric: ... with no detailed metric", "detailed/top-only-off", "nested", "key-1=value-1",
            "100 MINUTE | nested.key-1"),
        c("TestDetailedMetric: request fully nested descriptors", "detailed/both", "nested",
            "key-1=value-1,key-2=value-2", "5 MINUTE | nested.key-1_value-1.key-2_value-2"),
        c("TestDetailedMetric: ... fully nested with no detailed metric", "detailed/top-only-off", "nested",
            "key-1=value-1,key-2=value-2", "5 MINUTE | nested.key-1.key-2"),
        c("TestDetailedMetric: nested descriptors with simple request", "detailed/realistic", "nested",
            "key_1=value-for-key-1", "500 MINUTE | nested.key_1_value-for-key-1"),
        c("TestDetailedMetric: only second descriptor request not nested", "detailed/realistic", "nested",
            "key_2=key-2-value", "5000 MINUTE | nested.key_2_key-2-value"),
        c("TestDetailedMetric: nested descriptors with nested request", "detailed/realistic", "nested",
            "key_2=key-2-value,key_3=requested-key3-value",
            "5 MINUTE | nested.key_2_key-2-value.key_3_requested-key3-value"),
        // TestValueToMetric_*
        c("TestValueToMetric_UsesRuntimeValuesInStats", "v2m/runtime", "domain",
            "route=draw,http_method=GET,subject_id=123", "60 MINUTE | domain.route_draw.http_method_GET.subject_id"),
        c("TestValueToMetric_DefaultKeyIncludesValueAtThatLevel", "v2m/default-key", "d", "k1=A,k2=foo",
            "1 SECOND | d.k1_A.k2"),
        c("TestValueToMetric_MidLevelOnly", "v2m/mid-level", "d", "k1=X,k2=Y,k3=Z", "1 SECOND | d.k1.k2_Y.k3"),
        c("TestValueToMetric_NoFlag_Unchanged", "v2m/no-flag", "d", "k1=X,k2=Y", "1 SECOND | d.k1.k2"),
        c("TestValueToMetric_DoesNotOverrideDetailedMetric", "v2m/detailed-leaf", "domain",
            "route=draw,http_method=GET,subject_id=123",
            "60 MINUTE | domain.route_draw.http_method_GET.subject_id_123"),
        c("TestValueToMetric_WithConfiguredValues", "v2m/configured-values", td,
            "route=api,http_method=GET,subject_id=user123", "60 MINUTE | test-domain.route_api.http_method_GET.subject_id"),
        c("TestValueToMetric_WithConfiguredValues", "v2m/configured-values", td,
            "route=api,http_method=POST,subject_id=user456",
            "30 MINUTE | test-domain.route_api.http_method_POST.subject_id"),
        c("TestValueToMetric_WithWildcard", "v2m/wildcard", "domain", "user=alice,action=readfile,resource=documents",
            "100 MINUTE | domain.user_alice.action_readfile.resource"),
        c("TestValueToMetric_WithWildcard", "v2m/wildcard", "domain", "user=bob,action=readdata,resource=database",
            "100 MINUTE | domain.user_bob.action_readdata.resource"),
        c("TestValueToMetric_WithEmptyValue", "v2m/runtime", "domain", "route=,http_method=GET,subject_id=123",
            "60 MINUTE | domain.route.http_method_GET.subject_id"),
        c("TestValueToMetric_WithEmptyValue", "v2m/runtime", "domain", "route=draw,http_method=,subject_id=123",
            "60 MINUTE | domain.route_draw.http_method.subject_id"),
        c("TestValueToMetric_WithEmptyValue", "v2m/runtime", "domain", "route=,http_method=,subject_id=123",
            "60 MINUTE | domain.route.http_method.subject_id"),
        c("TestValueToMetric_FullKeyMatchesStatsKey", "v2m/plain", "test-domain-2",
            "route=api,http_method=GET,subject_id=user123", "60 MINUTE | test-domain-2.route.http_method.subject_id"),
        c("TestValueToMetric_FullKeyMatchesStatsKey", "v2m/detailed-only", "test-domain-3",
            "route=api,http_method=GET,subject_id=user123",
            "60 MINUTE | test-domain-3.route_api.http_method_GET.subject_id_user123"),
        // TestShareThreshold
        c("TestShareThreshold: basic", st, td, "files=files/a.pdf", "100 MINUTE | test-domain.files_files/*"),
        c("TestShareThreshold: basic", st, td, "files=files/b.csv", "100 MINUTE | test-domain.files_files/*"),
        c("TestShareThreshold: basic", st, td, "files=files/c.txt", "100 MINUTE | test-domain.files_files/*"),
        c("TestShareThreshold: with value_to_metric", st, td, "route=api/v1,method=GET",
            "60 MINUTE | test-domain.route_api/*.method"),
        c("TestShareThreshold: with detailed_metric", st, td, "service=svc/user,endpoint=get",
            "80 MINUTE | test-domain.service_svc/*.endpoint_get"),
        c("TestShareThreshold: nested", st, td, "nested=parent,files=nested/file1.txt",
            "200 MINUTE | test-domain.nested_parent.files_nested/*"),
        c("TestShareThreshold: multiple wildcards", st, td, "files=top/file1.txt,files=nested/file1.txt",
            "300 MINUTE | test-domain.files_top/*.files_nested/*"),
        c("TestShareThreshold: parent shares, child does not", st, td, "path=path/foo,file=file/doc1,type=pdf",
            "120 MINUTE | test-domain.path_path/*.file_file/*.type"),
        c("TestShareThreshold: both share", st, td, "user=user/alice,resource=res/file1,action=read",
            "150 MINUTE | test-domain.user_user/*.resource_res/*.action"),
        c("TestShareThreshold: explicit value first", st, td, "file=test1", "50 MINUTE | test-domain.file_test1"),
        c("TestShareThreshold: explicit value first", st, td, "file=test2", "100 MINUTE | test-domain.file_test*"),
        c("TestShareThreshold: explicit value first", st, td, "file=test23", "100 MINUTE | test-domain.file_test*"),
        c("TestShareThreshold: explicit value first", st, td, "file=test123", "100 MINUTE | test-domain.file_test*"),
        c("TestShareThreshold: middle wildcard", st, td, "midpath=/api/v1", "100 MINUTE | test-domain.midpath_/api*v1"),
        c("TestShareThreshold: middle wildcard", st, td, "midpath=/api-beta-v1",
            "100 MINUTE | test-domain.midpath_/api*v1"),
        c("TestShareThreshold: middle wildcard", st, td, "midpath=/apiXYZv1", "100 MINUTE | test-domain.midpath_/api*v1"),
        c("TestShareThreshold: middle wildcard", st, td, "midpath=/api/v2", "none"),
        c("TestShareThreshold: multi-wildcard", st, td, "multiroute=svcAepBrpc",
            "50 MINUTE | test-domain.multiroute_svc*ep*rpc"),
        c("TestShareThreshold: multi-wildcard", st, td, "multiroute=svcXXXepYYYrpc",
            "50 MINUTE | test-domain.multiroute_svc*ep*rpc"),
        c("TestShareThreshold: multi-wildcard", st, td, "multiroute=svceprpc",
            "50 MINUTE | test-domain.multiroute_svc*ep*rpc"),
        c("TestShareThreshold: multi-wildcard", st, td, "multiroute=svcABCrpc", "none"),
        c("TestShareThreshold: priority over value_to_metric", st, td, "midroute=/api/v2",
            "80 MINUTE | test-domain.midroute_/api*v2"),
        c("TestShareThreshold: priority over value_to_metric", st, td, "midroute=/api-beta-v2",
            "80 MINUTE | test-domain.midroute_/api*v2"),
        c("TestShareThreshold: nested middle wildcards", st, td, "tenant=t1prod,resource=resAv2",
            "60 MINUTE | test-domain.tenant_t*prod.resource_res*v2"),
        c("TestShareThreshold: nested middle wildcards", st, td, "tenant=t99prod,resource=resBBBv2",
            "60 MINUTE | test-domain.tenant_t*prod.resource_res*v2"),
        // TestWildcardStatsBehavior
        c("TestWildcardStatsBehavior: no flags", "wild/none", td, "wild=foo1", "20 MINUTE | test-domain.wild_foo*"),
        c("TestWildcardStatsBehavior: value_to_metric", "wild/v2m", td, "wild=foo1", "20 MINUTE | test-domain.wild_foo1"),
        c("TestWildcardStatsBehavior: share_threshold", "wild/share", td, "wild=foo1",
            "20 MINUTE | test-domain.wild_foo*"),
        c("TestWildcardStatsBehavior: share_threshold with value_to_metric", "wild/share-v2m", td, "wild=foo1",
            "20 MINUTE | test-domain.wild_foo*"),
        c("TestWildcardStatsBehavior: value_to_metric in other descriptor", "wild/v2m-other", td,
            "wild=foo1,other=bar,limit=X", "20 MINUTE | test-domain.wild_foo*.other_bar.limit"),
        c("TestWildcardStatsBehavior: middle+trailing, no flags", "wild/mid-trailing", td, "wild=foo123bar456",
            "20 MINUTE | test-domain.wild_foo*bar*"),
        c("TestWildcardStatsBehavior: middle+trailing, no flags", "wild/mid-trailing", td, "wild=fooXbarY",
            "20 MINUTE | test-domain.wild_foo*bar*"),
        c("TestWildcardStatsBehavior: middle+trailing, value_to_metric", "wild/mid-trailing-v2m", td,
            "wild=foo123bar456", "20 MINUTE | test-domain.wild_foo123bar456"),
        // GetLimit: detailed_metric is the matched limit's own flag; a parent's does not carry to its child's limit.
        c("GetLimit detailed_metric on the parent only", "detailed/top-only", "nested", "key-1=value-1,key-2=value-2",
            "5 MINUTE | nested.key-1.key-2"),
        // GetLimit (src/config/config_impl.go): key_value first, then the level's wildcards in the order written (the
        // first that matches wins), then the value-less key.
        c("GetLimit lookup order", "wild/order", td, "wild=abc", "3 MINUTE | test-domain.wild_abc"),
        c("GetLimit lookup order", "wild/order", td, "wild=abd", "1 MINUTE | test-domain.wild_a*"),
        c("GetLimit lookup order", "wild/order", td, "wild=xyz", "4 MINUTE | test-domain.wild"),
        // TestMetadata
        c("TestMetadata", "metadata.yaml", td, "", "none"),
        c("TestMetadata", "metadata.yaml", td, "key1=value1,subkey1=something",
            "5 SECOND metadata={name=service_1} | test-domain.key1_value1.subkey1"),
        c("TestMetadata", "metadata.yaml", td, "key2=something",
            "20 MINUTE metadata={service_with_quota={name=service_2}} | test-domain.key2"));
  }

  @ParameterizedTest(name = "{0}: {2} [{3}] -> {4}")
  @MethodSource("lookups")
  void theLimitPickedAndItsStatPathAreTheReferences(String upstreamTest, String config, String domain,
      String entries, String expected) throws ConfigException {
    boolean merge = config.contains("+");
    Map<String, String> texts = new LinkedHashMap<>();
    for (String f : config.split("\\+")) {
      texts.put(f.endsWith(".yaml") ? f : f.replace('/', '-') + ".yaml",
          f.endsWith(".yaml") ? fixture(f) : INLINE.get(f));
    }
    RateLimitConfig cfg = new RateLimitConfigLoader(merge).loadTexts(texts);
    assertThat(describe(cfg, domain, descriptor(entries))).as(upstreamTest).isEqualTo(expected);
  }

  static RateLimitDescriptor descriptor(String entries) {
    RateLimitDescriptor.Builder b = RateLimitDescriptor.newBuilder();
    if (!entries.isEmpty()) {
      for (String kv : entries.split(",")) {
        String[] p = kv.split("=", 2);
        b.addEntries(RateLimitDescriptor.Entry.newBuilder().setKey(p[0]).setValue(p[1]));
      }
    }
    return b.build();
  }

  private static String describe(RateLimitConfig cfg, String domain, RateLimitDescriptor d) {
    DomainConfig dc = cfg.domain(domain);
    DescriptorMatch m = dc == null ? null : dc.match(d);
    if (m == null) {
      return "none";
    }
    Limit l = m.rule().limits().get(0);
    StringBuilder s = new StringBuilder();
    if (l.unlimited()) {
      s.append("unlimited");
    } else {
      s.append(l.requestsPerUnit()).append(' ').append(l.unit());
    }
    if (l.named()) {
      s.append(" name=").append(l.name());
    }
    if (m.rule().shadowMode()) {
      s.append(" shadow");
    }
    if (m.rule().metadata() != null && m.rule().metadata().getFieldsCount() > 0) {
      s.append(" metadata=").append(structText(m.rule().metadata()));
    }
    return s.append(" | ").append(m.statsKey(d)).toString();
  }

  private static String structText(com.google.protobuf.Struct st) {
    StringBuilder b = new StringBuilder("{");
    st.getFieldsMap().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
      if (b.length() > 1) {
        b.append(", ");
      }
      b.append(e.getKey()).append('=');
      com.google.protobuf.Value v = e.getValue();
      b.append(v.hasStructValue() ? structText(v.getStructValue()) : v.getStringValue());
    });
    return b.append('}').toString();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Counter keys (test/limiter/base_limiter_test.go TestGenerateCacheKeysWithShareThreshold): values that a
  // share_threshold entry matches count in one key, written with the pattern.

  static Stream<Arguments> sharedCounterKeys() {
    return Stream.of(
        Arguments.of("files=files/a.pdf", "test-domain_files_files/*_"),
        Arguments.of("files=files/b.csv", "test-domain_files_files/*_"),
        Arguments.of("files=files/subdir/f.txt", "test-domain_files_files/*_"),
        Arguments.of("nested=parent,files=nested/file1.txt", "test-domain_nested_parent_files_nested/*_"),
        Arguments.of("nested=parent,files=nested/file2.csv", "test-domain_nested_parent_files_nested/*_"),
        Arguments.of("files=top/file1.txt,files=nested/sub1.txt", "test-domain_files_top/*_files_nested/*_"),
        Arguments.of("files=top/file2.pdf,files=nested/sub2.csv", "test-domain_files_top/*_files_nested/*_"),
        Arguments.of("file=test1", "test-domain_file_test1_"),
        Arguments.of("file=test23", "test-domain_file_test*_"),
        Arguments.of("path=path/foo,file=file/doc1,type=pdf", "test-domain_path_path/*_file_file/doc1_type_pdf_"));
  }

  @ParameterizedTest(name = "[{0}] counts in {1}")
  @MethodSource("sharedCounterKeys")
  void valuesASharedThresholdMatchesCountInOneKeyNamedByThePattern(String entries, String key)
      throws ConfigException {
    RateLimitConfig cfg = new RateLimitConfigLoader().loadTexts(Map.of("share_threshold.yaml",
        fixture("share_threshold.yaml")));
    RateLimitDescriptor d = descriptor(entries);
    assertThat(cfg.domain("test-domain").match(d).counterKeyBase(d)).isEqualTo(key);
  }
}
