package io.switchyard.ratelimit.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchyard.serverkit.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Load-time rejections of the reference, each with file:line and reason. */
class ConfigLoadErrorsTest {

  private static ConfigException error(String yaml) {
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(
        () -> new RateLimitConfigLoader().loadTexts(Map.of("bad.yaml", yaml)));
    assertThat(t).isInstanceOf(ConfigException.class);
    return (ConfigException) t;
  }

  @Test
  void emptyDomainIsRejected() {
    assertThat(error("descriptors: []\n").reason()).contains("empty domain");
    assertThat(error("domain: \"\"\n").reason()).contains("empty domain");
  }

  @Test
  void emptyKeyIsRejectedAtItsLine() {
    ConfigException e = error("""
        domain: d
        descriptors:
          - value: x
        """);
    assertThat(e.reason()).isEqualTo("descriptor has empty key");
    assertThat(e.line()).isEqualTo(3);
    assertThat(e.getMessage()).startsWith("bad.yaml:3:");
  }

  @Test
  void duplicateCompositeKeyIsRejected() {
    ConfigException e = error("""
        domain: d
        descriptors:
          - key: a
            value: b
          - key: a
            value: b
        """);
    assertThat(e.reason()).contains("duplicate descriptor composite key 'd.a_b'");
    assertThat(e.line()).isEqualTo(5);
  }

  @Test
  void valueLessKeyCollidingWithKeyValueCompositeIsADuplicate() {
    assertThat(error("""
        domain: d
        descriptors:
          - key: a_b
          - key: a
            value: b
        """).reason()).contains("duplicate descriptor composite key");
  }

  @Test
  void badUnitIsRejected() {
    ConfigException e = error("""
        domain: d
        descriptors:
          - key: a
            rate_limit:
              unit: fortnight
              requests_per_unit: 1
        """);
    assertThat(e.reason()).isEqualTo("invalid rate limit unit 'fortnight'");
    assertThat(e.line()).isEqualTo(5);
  }

  @Test
  void missingUnitIsRejected() {
    assertThat(error("""
        domain: d
        descriptors:
          - key: a
            rate_limit: {requests_per_unit: 1}
        """).reason()).isEqualTo("invalid rate limit unit ''");
  }

  @Test
  void unitIsCaseInsensitive() throws Exception {
    RateLimitConfig c = new RateLimitConfigLoader().loadTexts(Map.of("ok.yaml", """
        domain: d
        descriptors:
          - key: a
            rate_limit: {unit: MiNuTe, requests_per_unit: 1}
        """));
    assertThat(c.domain("d").match(Descriptors.of("a", "x")).rule().limits().get(0).unit())
        .isEqualTo(RateLimitUnit.MINUTE);
  }

  @Test
  void unitWithUnlimitedIsRejected() {
    assertThat(error("""
        domain: d
        descriptors:
          - key: a
            rate_limit: {unlimited: true, unit: second}
        """).reason()).isEqualTo("should not specify rate limit unit when unlimited");
  }

  @Test
  void unlimitedRefusesOnlyAValidUnitAndAcceptsTheOtherLimitKeys() throws ConfigException {
    // src/config/config_impl.go loadDescriptors: with unlimited, only a unit that names a real unit is refused; an
    // invalid one (or UNKNOWN) is ignored, and requests_per_unit, name and replaces load as with any limit.
    RateLimitConfig c = new RateLimitConfigLoader().loadTexts(Map.of("ok.yaml", """
        domain: d
        descriptors:
          - key: a
            rate_limit: {unlimited: true, unit: fortnight, requests_per_unit: 5, name: open, replaces: [{name: x}]}
          - key: b
            rate_limit: {unlimited: true, unit: unknown}
        """));
    Limit a = c.domain("d").match(Descriptors.of("a", "1")).rule().limits().get(0);
    assertThat(a.unlimited()).isTrue();
    assertThat(a.unit()).isNull();
    assertThat(a.replaces()).containsExactly("x");
    assertThat(c.domain("d").match(Descriptors.of("b", "1")).rule().limits().get(0).unlimited()).isTrue();
    assertThat(error("""
        domain: d
        descriptors:
          - key: a
            rate_limit: {unlimited: true, unit: HoUr}
        """).reason()).isEqualTo("should not specify rate limit unit when unlimited");
  }

  @Test
  void selfReplacesAndEmptyReplacesAreRejected() {
    assertThat(error("""
        domain: d
        descriptors:
          - key: a
            rate_limit:
              name: me
              unit: second
              requests_per_unit: 1
              replaces: [{name: me}]
        """).reason()).isEqualTo("replaces should not contain name of same descriptor");
    assertThat(error("""
        domain: d
        descriptors:
          - key: a
            rate_limit:
              unit: second
              requests_per_unit: 1
              replaces: [{name: ""}]
        """).reason()).isEqualTo("should not have an empty replaces entry");
  }

  @Test
  void misspelledKeysAreRejectedWithTheirLine() {
    ConfigException e = error("""
        domain: d
        descriptors:
          - key: a
            ratelimit: {unit: second, requests_per_unit: 1}
        """);
    assertThat(e.reason()).startsWith("config error, unknown key 'ratelimit'");
    assertThat(e.line()).isEqualTo(4);
    assertThat(error("""
        domain: d
        descriptors:
          - key: a
            rate_limit: {unit: second, requestsperunit: 1}
        """).reason()).startsWith("config error, unknown key 'requestsperunit'");
    assertThat(error("""
        domain: d
        descriptors:
          - key: a
            rate_limit: {unlimied: true}
        """).reason()).startsWith("config error, unknown key 'unlimied'");
    assertThat(error("domaine: d\n").reason()).startsWith("config error, unknown key 'domaine'");
  }

  @Test
  void listsOfNonMapsAreRejected() {
    assertThat(error("""
        domain: d
        descriptors:
          - just a string
        """).reason()).contains("descriptor must be a map");
  }

  @Test
  void badYamlIsRejectedWithLine() {
    ConfigException e = error("domain: d\ndescriptors:\n  - key: [unclosed\n");
    assertThat(e.reason()).startsWith("invalid YAML");
    assertThat(e.line()).isGreaterThan(0);
  }

  @Test
  void duplicateYamlKeyIsRejected() {
    assertThat(error("domain: d\ndomain: e\n").reason()).contains("duplicate YAML key 'domain'");
  }

  @Test
  void shareThresholdWithoutWildcardIsRejected() {
    assertThat(error("""
        domain: d
        descriptors:
          - key: a
            value: b
            share_threshold: true
            rate_limit: {unit: second, requests_per_unit: 1}
        """).reason())
        .isEqualTo("share_threshold can only be used with wildcard values (containing '*'), but found key 'a_b'");
  }

  @Test
  void requestsPerUnitOutOfRangeIsRejected() {
    assertThat(error("""
        domain: d
        descriptors:
          - key: a
            rate_limit: {unit: second, requests_per_unit: -1}
        """).reason()).contains("requests_per_unit must be an integer");
    assertThat(error("""
        domain: d
        descriptors:
          - key: a
            rate_limit: {unit: second, requests_per_unit: 4294967296}
        """).reason()).contains("requests_per_unit must be an integer");
  }

  @Test
  void unknownAlgorithmIsRejected() {
    assertThat(error("""
        domain: d
        descriptors:
          - key: a
            rate_limit: {unit: second, requests_per_unit: 1, algorithm: leaky}
        """).reason()).startsWith("unknown algorithm 'leaky'");
  }

  @Test
  void rateLimitAndRateLimitsTogetherAreRejected() {
    assertThat(error("""
        domain: d
        descriptors:
          - key: a
            rate_limit: {unit: second, requests_per_unit: 1}
            rate_limits: [{unit: day, requests_per_unit: 100}]
        """).reason()).contains("either rate_limit or rate_limits");
  }

  @Test
  void duplicateDomainAcrossFilesIsRejectedUnlessMerging(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("a.yaml"), "domain: d\ndescriptors:\n  - key: x\n    rate_limit: {unit: second, requests_per_unit: 1}\n");
    Files.writeString(dir.resolve("b.yaml"), "domain: d\ndescriptors:\n  - key: y\n    rate_limit: {unit: second, requests_per_unit: 2}\n");
    assertThatThrownBy(() -> new RateLimitConfigLoader().loadDirectory(dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("b.yaml:1:")
        .hasMessageContaining("duplicate domain 'd'");
    RateLimitConfig merged = new RateLimitConfigLoader(true).loadDirectory(dir);
    assertThat(merged.domain("d").match(Descriptors.of("x", "1"))).isNotNull();
    assertThat(merged.domain("d").match(Descriptors.of("y", "1"))).isNotNull();
  }

  @Test
  void directoryLoadSkipsHiddenAndNonYamlFiles(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("a.yaml"), "domain: a\n");
    Files.writeString(dir.resolve("b.yml"), "domain: b\n");
    Files.writeString(dir.resolve(".hidden.yaml"), "domain: a\n");
    Files.writeString(dir.resolve("notes.txt"), "not yaml: [");
    RateLimitConfig c = new RateLimitConfigLoader().loadDirectory(dir);
    assertThat(c.domains()).containsOnlyKeys("a", "b");
  }

  @Test
  void allDocumentedFieldsLoad() throws Exception {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("full.yaml", """
        domain: full
        descriptors:
          - key: k
            value: "v*"
            share_threshold: true
            shadow_mode: true
            quota_mode: true
            detailed_metric: true
            value_to_metric: true
            metadata: {team: core, tier: 2, nested: {on: true}, tags: [a, b]}
            rate_limit:
              name: base
              unit: year
              requests_per_unit: 0
              replaces: [{name: other}]
              algorithm: sliding_window
          - key: u
            rate_limit: {unlimited: true, name: free}
          - key: multi
            rate_limits:
              - {unit: second, requests_per_unit: 10, name: burst, algorithm: token_bucket}
              - {unit: day, requests_per_unit: 1000, name: daily}
        """);
    RateLimitConfig c = new RateLimitConfigLoader().loadTexts(files);
    DescriptorNode k = c.domain("full").match(Descriptors.of("k", "vv")).rule();
    assertThat(k.shadowMode()).isTrue();
    assertThat(k.quotaMode()).isTrue();
    assertThat(k.shareThreshold()).isTrue();
    assertThat(k.metadata().getFieldsOrThrow("team").getStringValue()).isEqualTo("core");
    Limit base = k.limits().get(0);
    assertThat(base.requestsPerUnit()).isZero();
    assertThat(base.unit()).isEqualTo(RateLimitUnit.YEAR);
    assertThat(base.unit().seconds()).isEqualTo(365L * 86400);
    assertThat(base.replaces()).containsExactly("other");
    assertThat(base.algorithm()).isEqualTo(Algorithm.SLIDING_WINDOW);
    assertThat(c.domain("full").match(Descriptors.of("u", "x")).rule().limits().get(0).unlimited()).isTrue();
    assertThat(c.domain("full").match(Descriptors.of("multi", "x")).rule().limits())
        .extracting(Limit::name).containsExactly("burst", "daily");
  }

  @Test
  void aSecondYamlDocumentIsRejectedAtItsSeparatorLine() {
    // The reference's yaml.Unmarshal (src/config/config_impl.go ConfigFileContentToYaml) reads only the first
    // document and drops the rest without a word; Switchyard refuses the file instead.
    ConfigException e = error("""
        domain: a
        descriptors:
          - key: k
            rate_limit: {unit: second, requests_per_unit: 1}
        ---
        domain: b
        """);
    assertThat(e.line()).isEqualTo(5);
    assertThat(e.reason()).startsWith("only one YAML document per file is supported")
        .contains("second document");
    assertThat(e.getMessage()).startsWith("bad.yaml:5:");
  }

  @Test
  void aLeadingDocumentStartAndATrailingDocumentEndStillMakeOneDocument() throws Exception {
    RateLimitConfig c = new RateLimitConfigLoader().loadTexts(Map.of("one.yaml", """
        ---
        domain: a
        ...
        """));
    assertThat(c.domains()).containsOnlyKeys("a");
  }

  @Test
  void emptyTrailingDocumentsCarryNothingAndAreAccepted() throws Exception {
    RateLimitConfig c = new RateLimitConfigLoader().loadTexts(Map.of("one.yaml", "domain: a\n---\n--- ~\n---\n"));
    assertThat(c.domains()).containsOnlyKeys("a");
  }

  @Test
  void aDocumentAfterAnEmptyFirstOneIsStillASecondDocument() {
    ConfigException e = error("---\n---\ndomain: a\n");
    assertThat(e.line()).isEqualTo(2);
    assertThat(e.column()).isEqualTo(1);
    assertThat(e.reason()).startsWith("only one YAML document per file is supported");
  }

  @Test
  void aFileTooLargeForAConfigIsRefusedWithItsSizeBeforeItIsRead(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("a.yaml"), "domain: a\n");
    Path big = dir.resolve("big.yaml");
    // Sparse: no disk, and reading it whole would not fit in a Java array (an Error, not a reason).
    try (var f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
      f.setLength(3L << 30);
    }
    assertThatThrownBy(() -> new RateLimitConfigLoader().loadDirectory(dir)).isInstanceOf(ConfigException.class)
        .hasMessage(big + ": file is 3221225472 bytes, more than a config file may have (12582912)");
  }

  @Test
  void bytesThatAreNotUtf8AreRefusedAtTheirLineAndColumn(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("a.yaml");
    // "café" saved as Latin-1 by an editor: é is the single byte 0xE9.
    Files.write(f, "domain: a\ndescriptors:\n  - key: k\n    value: \"caf\u00e9\"\n    rate_limit: {unit: second, requests_per_unit: 1}\n"
        .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    assertThatThrownBy(() -> new RateLimitConfigLoader().loadDirectory(dir)).isInstanceOf(ConfigException.class)
        .hasMessage(f + ":4:16: byte 0xE9 is not UTF-8 (config files are UTF-8 text, as a ConfigMap's data is)");
  }
}
