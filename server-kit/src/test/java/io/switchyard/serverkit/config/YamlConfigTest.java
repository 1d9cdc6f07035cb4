package io.switchyard.serverkit.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class YamlConfigTest {
  @TempDir Path dir;

  record Limit(String unit, int requestsPerUnit) {}

  record Domain(String domain, List<Limit> limits) {}

  @Test
  void bindsRecords() throws Exception {
    Path f = write("a.yaml", "domain: d\nlimits:\n  - unit: second\n    requestsPerUnit: 5\n");
    Domain d = YamlConfig.read(f, Domain.class);
    assertThat(d).isEqualTo(new Domain("d", List.of(new Limit("second", 5))));
  }

  @Test
  void unknownKeyNamesFileLineAndKey() throws Exception {
    Path f = write("a.yaml", "domain: d\nlimits:\n  - unit: second\n    requestsPerUnit: 5\n    bogus: 1\n");
    assertThatThrownBy(() -> YamlConfig.read(f, Domain.class))
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          assertThat(e.file()).isEqualTo(f);
          assertThat(e.line()).isEqualTo(5);
          assertThat(e.reason()).contains("unknown key 'bogus'");
          assertThat(e.getMessage()).startsWith(f + ":5:");
        });
  }

  @Test
  void wrongTypeIsReportedAtTheValue() throws Exception {
    Path f = write("a.yaml", "domain: d\nlimits:\n  - unit: second\n    requestsPerUnit: lots\n");
    assertThatThrownBy(() -> YamlConfig.read(f, Domain.class))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.line()).isEqualTo(4));
  }

  @Test
  void syntaxErrorHasALine() throws Exception {
    Path f = write("a.yaml", "domain: d\nlimits: [\n");
    assertThatThrownBy(() -> YamlConfig.readTree(f))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.line()).isGreaterThan(0));
  }

  @Test
  void syntaxErrorNamesTheProblemAtItsLine() throws Exception {
    Path tab = write("tab.yaml", "domain: d\nlimits:\n\t- unit: second\n");
    assertThatThrownBy(() -> YamlConfig.readTree(tab))
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          assertThat(e.line()).isEqualTo(3);
          assertThat(e.column()).isEqualTo(1);
          assertThat(e.reason()).contains("cannot start any token");
        });
    Path quote = write("quote.yaml", "domain: \"d\nlimits: []\n");
    assertThatThrownBy(() -> YamlConfig.readTree(quote))
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          assertThat(e.line()).isEqualTo(3);
          assertThat(e.reason()).contains("unexpected end of stream").contains("quoted scalar").contains("line 1, column 9");
        });
  }

  /** Found by ext-authz's PolicyConfigMutationTest: Jackson's nesting limit (1000) reports no location. */
  @Test
  void nestingBeyondJacksonsLimitIsRejectedAtItsLine() throws Exception {
    Path f = write("deep.yaml", "domain: d\nlimits:\n  - " + "[".repeat(1_200) + "]".repeat(1_200) + "\n");
    assertThatThrownBy(() -> YamlConfig.readLocatedTrees(f))
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          assertThat(e.line()).isEqualTo(3);
          assertThat(e.column()).as("the 1001st bracket, or the one before it").isBetween(1004, 1005);
          assertThat(e.reason()).contains("nesting depth");
        });
  }

  @Test
  void duplicateKeyIsAnError() throws Exception {
    Path f = write("a.yaml", "domain: d\ndomain: e\n");
    assertThatThrownBy(() -> YamlConfig.readTree(f))
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          assertThat(e.line()).isEqualTo(2);
          assertThat(e.reason()).contains("duplicate key 'domain'");
        });
  }

  @Test
  void multiDocumentFilesKeepPositionsPerDocument() throws Exception {
    Path f = write("p.yaml", "kind: A\n---\nkind: B\nspec:\n  rules:\n    - to: x\n");
    List<LocatedNode> docs = YamlConfig.readLocatedTrees(f);
    assertThat(docs).hasSize(2);
    assertThat(docs.get(1).lineOf("/spec/rules/0/to")).isEqualTo(6);
    assertThat(docs.get(1).error("/spec/rules/0/nothing", "bad").line()).isEqualTo(6);
  }

  @Test
  void missingFileIsAConfigError() {
    assertThatThrownBy(() -> YamlConfig.readTree(dir.resolve("none.yaml")))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.reason()).isEqualTo("file not found"));
  }

  private Path write(String name, String text) throws Exception {
    return Files.writeString(dir.resolve(name), text);
  }
}
