package io.switchyard.ratelimit.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.switchyard.serverkit.config.ConfigException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** YAML features the reference's yaml.v2 resolves before it reads a config: anchors, aliases and merge keys. */
class YamlReaderTest {

  private static List<DescriptorNode> load(String yaml) throws ConfigException {
    return new RateLimitConfigLoader().loadTexts(Map.of("a.yaml", yaml)).domain("d").root().entries();
  }

  @Test
  void aliasOfAnAnchoredRateLimitIsThatRateLimit() throws Exception {
    List<DescriptorNode> nodes = load("""
        domain: d
        descriptors:
          - key: a
            rate_limit: &std
              unit: minute
              requests_per_unit: 7
          - key: b
            rate_limit: *std
        """);
    Limit b = nodes.get(1).limits().get(0);
    assertThat(b.requestsPerUnit()).isEqualTo(7);
    assertThat(b.unit()).isEqualTo(RateLimitUnit.MINUTE);
  }

  @Test
  void aliasesOfScalarsAndOfWholeDescriptorListsResolve() throws Exception {
    List<DescriptorNode> nodes = load("""
        domain: d
        descriptors:
          - key: a
            rate_limit: {unit: &u hour, requests_per_unit: &n 5}
            descriptors: &children
              - key: path
                rate_limit: {unit: *u, requests_per_unit: *n}
          - key: b
            descriptors: *children
        """);
    assertThat(nodes.get(1).children().entries().get(0).limits().get(0).unit()).isEqualTo(RateLimitUnit.HOUR);
    assertThat(nodes.get(1).children().entries().get(0).limits().get(0).requestsPerUnit()).isEqualTo(5);
  }

  @Test
  void mergeKeyCopiesTheAnchoredMapAndLaterKeysOverrideIt() throws Exception {
    List<DescriptorNode> nodes = load("""
        domain: d
        descriptors:
          - key: a
            rate_limit: &base
              unit: second
              requests_per_unit: 10
              name: base
          - key: b
            rate_limit:
              <<: *base
              requests_per_unit: 20
              name: b
        """);
    Limit b = nodes.get(1).limits().get(0);
    assertThat(b.unit()).isEqualTo(RateLimitUnit.SECOND);
    assertThat(b.requestsPerUnit()).isEqualTo(20);
    assertThat(b.name()).isEqualTo("b");
  }

  @Test
  void mergeOfAListLetsEarlierMapsWinAndAMergeOverridesKeysWrittenBeforeIt() throws Exception {
    List<DescriptorNode> nodes = load("""
        domain: d
        descriptors:
          - key: x
            rate_limit: &a {unit: minute, requests_per_unit: 1}
          - key: y
            rate_limit: &b {unit: hour, requests_per_unit: 2, name: y}
          - key: z
            rate_limit:
              requests_per_unit: 99
              <<: [*a, *b]
        """);
    Limit z = nodes.get(2).limits().get(0);
    assertThat(z.unit()).isEqualTo(RateLimitUnit.MINUTE);
    assertThat(z.requestsPerUnit()).isEqualTo(1);
    assertThat(z.name()).isEqualTo("y");
  }

  @Test
  void anUnknownAliasOrAMergeOfAScalarIsRejectedAtItsLine() {
    ConfigException unknown = catchThrowableOfType(ConfigException.class, () -> load("""
        domain: d
        descriptors:
          - key: a
            rate_limit: *nowhere
        """));
    assertThat(unknown.reason()).isEqualTo("invalid YAML: found undefined alias nowhere");
    assertThat(unknown.line()).isEqualTo(4);
    ConfigException scalar = catchThrowableOfType(ConfigException.class, () -> load("""
        domain: d
        descriptors:
          - key: a
            <<: 3
        """));
    assertThat(scalar.reason()).isEqualTo("map merge requires map or sequence of maps as the value");
    assertThat(scalar.line()).isEqualTo(4);
  }

  @Test
  void aKeyWrittenTwiceInOneMappingIsStillRefused() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> load("""
        domain: d
        descriptors:
          - key: a
            rate_limit: &base {unit: second, requests_per_unit: 1}
          - key: b
            rate_limit:
              <<: *base
              unit: minute
              unit: hour
        """));
    assertThat(e.reason()).isEqualTo("duplicate YAML key 'unit'");
    assertThat(e.line()).isEqualTo(9);
  }

  @Test
  void yamlOneOneBooleansAreBooleansAndKeepTheirTextWhereAStringIsExpected() throws Exception {
    DescriptorNode n = load("""
        domain: d
        descriptors:
          - key: a
            value: yes
            shadow_mode: yes
            metadata: {enabled: On}
            rate_limit: {unit: second, requests_per_unit: 1}
        """).get(0);
    assertThat(n.value()).isEqualTo("yes");
    assertThat(n.shadowMode()).isTrue();
    assertThat(n.metadata().getFieldsOrThrow("enabled").getBoolValue()).isTrue();
  }

  /** A few levels of aliases of aliases ("billion laughs") would have the loader walk 10^7 nodes: refused at once. */
  @Test
  void aliasesThatExpandTheDocumentPastAMillionNodesAreRefused() {
    StringBuilder yaml = new StringBuilder("domain: d\nl0: &l0 [v, v, v, v, v, v, v, v, v, v]\n");
    for (int level = 1; level <= 6; level++) {
      yaml.append("l").append(level).append(": &l").append(level).append(" [");
      for (int i = 0; i < 10; i++) {
        yaml.append(i == 0 ? "" : ", ").append("*l").append(level - 1);
      }
      yaml.append("]\n");
    }
    yaml.append("descriptors: [{key: a}]\n");
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> load(yaml.toString()));
    assertThat(e).isNotNull();
    assertThat(e.reason()).contains("excessive aliasing");
    assertThat(e.line()).isEqualTo(1);
  }
}
