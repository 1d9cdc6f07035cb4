package io.switchyard.ratelimit.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.switchyard.serverkit.config.ConfigException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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

  private static ConfigException error(String yaml) {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> load(yaml));
    assertThat(e).as("refused").isNotNull();
    return e;
  }

  /** yaml.v2 resolve.go: underscores dropped, then strconv.ParseInt(text, 0, 64), so Go's base prefixes apply. */
  @ParameterizedTest(name = "{0} is {1}")
  @CsvSource(delimiter = '|', value = {
      "0o17 | 15",
      "017 | 15",
      "0017 | 15",
      "1_000 | 1000",
      "1__0_0 | 100",
      "+5 | 5",
      "-0 | 0",
      "0x10 | 16",
      "+0X1f | 31",
      "0b101 | 5",
      "0xFFFF_FFFF | 4294967295",
  })
  void requestsPerUnitReadsIntegersAsYamlV2Does(String written, long value) throws Exception {
    Limit l = load("""
        domain: d
        descriptors:
          - key: a
            rate_limit: {unit: second, requests_per_unit: %s}
        """.formatted(written)).get(0).limits().get(0);
    assertThat(l.requestsPerUnit()).isEqualTo(value);
  }

  /**
   * yaml.v2 reads these as floats (08 is not octal, so "0[0-9]+" falls to its float rule) and as an uint64; the
   * reference's validateYamlKeys (src/config/config_impl.go) accepts only string, int, bool and null leaves outside
   * metadata and refuses the file with "error checking config".
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "10.0", "1e3", ".5", "08", "1_0.5", "+.inf", "9223372036854775808", "18446744073709551616"})
  void requestsPerUnitWrittenAsAFloatOrAnUnsignedOnlyIntegerIsRefusedAtItsLine(String written) {
    ConfigException e = error("""
        domain: d
        descriptors:
          - key: a
            rate_limit:
              unit: second
              requests_per_unit: %s
        """.formatted(written));
    assertThat(e.line()).isEqualTo(6);
    assertThat(e.column()).isEqualTo(26);
    assertThat(e.reason()).contains("`" + written + "`").contains("error checking config");
  }

  @Test
  void aFloatIsRefusedAnywhereOutsideMetadataAsTheReferenceDoesButNotInMetadata() throws Exception {
    ConfigException e = error("""
        domain: d
        descriptors:
          - key: version
            value: 1.5
            rate_limit: {unit: second, requests_per_unit: 1}
        """);
    assertThat(e.line()).isEqualTo(4);
    assertThat(e.reason()).contains("`1.5`").contains("error checking config").contains("quote");
    DescriptorNode n = load("""
        domain: d
        descriptors:
          - key: version
            value: "1.5"
            metadata: {weight: 1.5, hex: 0x10, octal: 017, big: 1_000, exp: 1e3, clock: 1:30}
            rate_limit: {unit: second, requests_per_unit: 1}
        """).get(0);
    assertThat(n.value()).isEqualTo("1.5");
    assertThat(n.metadata().getFieldsOrThrow("weight").getNumberValue()).isEqualTo(1.5);
    assertThat(n.metadata().getFieldsOrThrow("hex").getNumberValue()).isEqualTo(16);
    assertThat(n.metadata().getFieldsOrThrow("octal").getNumberValue()).isEqualTo(15);
    assertThat(n.metadata().getFieldsOrThrow("big").getNumberValue()).isEqualTo(1000);
    assertThat(n.metadata().getFieldsOrThrow("exp").getNumberValue()).isEqualTo(1000);
    assertThat(n.metadata().getFieldsOrThrow("clock").getStringValue()).as("no base-60 numbers in yaml.v2")
        .isEqualTo("1:30");
  }

  @Test
  void integerFormsKeepTheirTextWhereAStringIsExpected() throws Exception {
    DescriptorNode n = load("""
        domain: d
        descriptors:
          - key: code
            value: 0x10
            rate_limit: {unit: second, requests_per_unit: 1_0, name: 017}
        """).get(0);
    assertThat(n.value()).isEqualTo("0x10");
    assertThat(n.limits().get(0).name()).isEqualTo("017");
    assertThat(n.limits().get(0).requestsPerUnit()).isEqualTo(10);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "-1 | -1", "0x1_0000_0000 | 4294967296", "-0x1 | -1", "'\"10\"' | a string", "true | a bool"})
  void requestsPerUnitOutsideUint32OrNotAnIntegerIsRefusedNamingTheValue(String written, String found) {
    ConfigException e = error("""
        domain: d
        descriptors:
          - key: a
            rate_limit: {unit: second, requests_per_unit: %s}
        """.formatted(written));
    assertThat(e.line()).isEqualTo(4);
    assertThat(e.reason()).startsWith("requests_per_unit must be an integer from 0 to 4294967295").contains(found);
  }

  @Test
  void yamlV2OneLetterBooleansAreBooleans() throws Exception {
    // yaml.v2 resolve.go resolveMapList: y, Y, n and N are booleans there (SnakeYAML reads them as strings).
    List<DescriptorNode> nodes = load("""
        domain: d
        descriptors:
          - key: a
            value: y
            shadow_mode: y
            rate_limit: {unit: second, requests_per_unit: 1}
          - key: b
            shadow_mode: N
            rate_limit: {unit: second, requests_per_unit: 1}
        """);
    assertThat(nodes.get(0).value()).isEqualTo("y");
    assertThat(nodes.get(0).shadowMode()).isTrue();
    assertThat(nodes.get(1).shadowMode()).isFalse();
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

  /** Found by RateLimitConfigMutationTest (a NUL inserted in a comment): SnakeYAML's reader reports a position, not a mark. */
  @Test
  void aControlCharacterIsRefusedAtItsLineAndColumn() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> load("""
        domain: d
        descriptors:
          # the d\u0000emo's crawler
          - key: a
        """));
    assertThat(e).isNotNull();
    assertThat(e.reason()).isEqualTo("invalid YAML: special characters are not allowed (U+0000)");
    assertThat(e.line()).isEqualTo(3);
    assertThat(e.column()).isEqualTo(10);
    assertThat(e.getMessage()).startsWith("a.yaml:3:10: ");
  }

  @Test
  void aControlCharacterAfterAnAstralCharacterIsLocatedByCharacter() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> load("domain: d\n# 🚀🚀\u0007\n"));
    assertThat(e).isNotNull();
    assertThat(e.line()).isEqualTo(2);
    assertThat(e.column()).isEqualTo(5);
  }

  /** Found by RateLimitConfigMutationTest: SnakeYAML's nesting limit (50) reports no mark. */
  @Test
  void nestingBeyondFiftyLevelsIsRefusedAtTheCollectionThatGoesTooDeep() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> load("domain: d\ndescriptors:\n  - key: "
        + "[".repeat(60) + "]".repeat(60) + "\n"));
    assertThat(e).isNotNull();
    assertThat(e.reason()).isEqualTo("invalid YAML: Nesting Depth exceeded max 50");
    assertThat(e.line()).isEqualTo(3);
    assertThat(e.column()).isEqualTo(58);
  }
}
