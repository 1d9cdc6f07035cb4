package io.switchyard.ratelimit.config;

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

/**
 * Broken copies of the shipped rate limit configs (fixed seeds) either load or are rejected with a
 * {@link ConfigException} naming the file and a line: no other throwable may reach the reloader.
 */
class RateLimitConfigMutationTest {
  private static final int MUTANTS_PER_FILE = 1000;

  @Test
  @Timeout(60)
  void everyMutantOfTheShippedConfigsLoadsOrIsRejectedAtAFileAndLine() throws IOException {
    Map<String, String> corpus = corpus();
    assertThat(corpus).isNotEmpty();
    ConfigFuzzCampaign.Result result = ConfigFuzzCampaign.run(corpus, MUTANTS_PER_FILE, 0x5EED_0001L,
        (name, text) -> new RateLimitConfigLoader().loadTexts(Map.of(name, text)),
        RateLimitConfigMutationTest::problem);
    System.out.println(result.summary("ratelimit config mutation", corpus.size()));
    result.assertNoFailures();
    assertThat(result.rejected()).as("the mutants must exercise the error paths").isPositive();
  }

  static String problem(Throwable thrown, String name, String mutant) {
    if (!(thrown instanceof ConfigException e)) {
      return "not a ConfigException";
    }
    if (e.file() == null || !e.file().toString().equals(name)) {
      return "names another file";
    }
    if (e.line() < 1 && !ConfigFuzzCampaign.blank(mutant)) {
      return "names no line";
    }
    return null;
  }

  static Map<String, String> corpus() throws IOException {
    Map<String, String> corpus = new TreeMap<>();
    for (Path dir : new Path[] {Path.of("../config/ratelimit"), Path.of("../config/demo/ratelimit")}) {
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : files.filter(RateLimitConfigLoader::isConfigFile).sorted().toList()) {
          corpus.put(dir.getParent().getFileName() + "/" + dir.getFileName() + "/" + f.getFileName(),
              Files.readString(f));
        }
      }
    }
    return corpus;
  }
}
