package io.switchyard.xds.mesh;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.testing.ConfigFuzzCampaign;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Broken copies of the shipped mesh files (fixed seeds) either load or are rejected with a
 * {@link MeshFileException} naming the file and a line: no other throwable may reach the reloader.
 */
class MeshFileMutationTest {
  private static final int MUTANTS_PER_FILE = 500;

  @Test
  @Timeout(60)
  void everyMutantOfTheShippedMeshFilesLoadsOrIsRejectedAtAFileAndLine() throws IOException {
    Map<String, String> corpus = new TreeMap<>();
    for (String f : new String[] {"../config/mesh.yaml", "../config/demo/mesh.yaml", "src/test/resources/mesh/example.yaml"}) {
      corpus.put(f, Files.readString(Path.of(f)));
    }
    ConfigFuzzCampaign.Result result = ConfigFuzzCampaign.run(corpus, MUTANTS_PER_FILE, 0x5EED_0003L,
        (name, text) -> MeshFiles.parse(Path.of(name), text),
        (thrown, name, mutant) -> {
          if (!(thrown instanceof MeshFileException e)) {
            return "not a MeshFileException";
          }
          if (!Path.of(name).equals(e.file())) {
            return "names another file";
          }
          if (e.line() < 1) {
            return "names no line";
          }
          return null;
        });
    System.out.println(result.summary("xds mesh file mutation", corpus.size()));
    result.assertNoFailures();
    assertThat(result.rejected()).as("the mutants must exercise the error paths").isPositive();
  }
}
