package io.switchyard.extauthz.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.serverkit.config.ConfigException;
import io.switchyard.testing.ConfigFuzzCampaign;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Broken copies of the shipped AuthorizationPolicy / RequestAuthentication files (fixed seeds) either load or are
 * rejected with a {@link ConfigException} naming the file and a line: no other throwable may reach the reloader.
 */
class PolicyConfigMutationTest {
  private static final int MUTANTS_PER_FILE = 400;

  @TempDir Path dir;

  @Test
  @Timeout(60)
  void everyMutantOfTheShippedPoliciesLoadsOrIsRejectedAtAFileAndLine() throws IOException {
    Map<String, String> corpus = corpus();
    assertThat(corpus).isNotEmpty();
    Path file = dir.resolve("policy.yaml");
    ConfigFuzzCampaign.Result result = ConfigFuzzCampaign.run(corpus, MUTANTS_PER_FILE, 0x5EED_0002L,
        (name, text) -> {
          Files.writeString(file, text);
          new PolicyLoader(PolicyLoader.DEFAULT_ROOT_NAMESPACE).load(dir);
        },
        (thrown, name, mutant) -> {
          if (!(thrown instanceof ConfigException e)) {
            return "not a ConfigException";
          }
          if (!file.equals(e.file())) {
            return "names another file";
          }
          if (e.line() < 1 && !ConfigFuzzCampaign.blank(mutant)) {
            return "names no line";
          }
          return null;
        });
    System.out.println(result.summary("ext-authz policy mutation", corpus.size()));
    result.assertNoFailures();
    assertThat(result.rejected()).as("the mutants must exercise the error paths").isPositive();
  }

  static Map<String, String> corpus() throws IOException {
    Map<String, String> corpus = new TreeMap<>();
    for (Path d : new Path[] {Path.of("../config/authz"), Path.of("../config/demo/authz")}) {
      try (Stream<Path> files = Files.list(d)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
          corpus.put(d.getParent().getFileName() + "/" + d.getFileName() + "/" + f.getFileName(), Files.readString(f));
        }
      }
    }
    return corpus;
  }
}
