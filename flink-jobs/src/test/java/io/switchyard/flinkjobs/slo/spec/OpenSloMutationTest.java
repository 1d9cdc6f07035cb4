package io.switchyard.flinkjobs.slo.spec;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.testing.ConfigFuzzCampaign;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Broken copies of the shipped OpenSLO files (fixed seeds), read with the rest of their folder as {@code slo check}
 * and the reloader read them, either parse or are rejected with a {@link SloSpecException} naming a file of that
 * folder and a line: no other throwable may reach the reloader.
 */
class OpenSloMutationTest {
  private static final int MUTANTS_PER_FILE = 300;
  private static final Path[] FOLDERS = {Path.of("../config/slo"), Path.of("../config/demo/slo"),
      Path.of("src/test/resources/slo/valid")};

  @Test
  @Timeout(60)
  void everyMutantOfTheShippedSlosParsesOrIsRejectedAtAFileAndLine() throws IOException {
    Map<String, Map<String, String>> folders = new TreeMap<>();
    Map<String, String> corpus = new TreeMap<>();
    for (Path dir : FOLDERS) {
      Map<String, String> texts = new LinkedHashMap<>();
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
          texts.put(f.toString(), Files.readString(f));
        }
      }
      texts.keySet().forEach(f -> folders.put(f, texts));
      corpus.putAll(texts);
    }
    assertThat(corpus).isNotEmpty();
    ConfigFuzzCampaign.Result result = ConfigFuzzCampaign.run(corpus, MUTANTS_PER_FILE, 0x5EED_0004L,
        (name, text) -> {
          Map<String, String> folder = new LinkedHashMap<>(folders.get(name));
          folder.put(name, text);
          OpenSloParser.parseAll(folder);
        },
        (thrown, name, mutant) -> {
          if (!(thrown instanceof SloSpecException e)) {
            return "not a SloSpecException";
          }
          if (!folders.get(name).containsKey(e.file())) {
            return "names a file outside the folder";
          }
          if (e.line() < 1) {
            return "names no line";
          }
          return null;
        });
    System.out.println(result.summary("OpenSLO mutation", corpus.size()));
    result.assertNoFailures();
    assertThat(result.rejected()).as("the mutants must exercise the error paths").isPositive();
  }
}
