package io.switchyard.flinkjobs.slo.spec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SloCliTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return SloCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void checkListsTheValidSlosWithTheirEffectiveThreshold() {
    assertThat(run("check", "src/test/resources/slo/valid")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("checkout-availability: availability of service|trace|checkout",
        "reviews-latency: latency of edge|mesh|productpage->reviews", "2 SLO(s) valid");
  }

  @Test
  void anUnsupportedFileFailsWithFileAndLine(@TempDir Path dir) throws Exception {
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec:\n  service: a\n  budgetingMethod: Timeslices\n");
    assertThat(run("check", dir.toString())).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("error: " + bad + ":");
  }

  @Test
  void rulesPrintsPrometheusRuleGroups() {
    assertThat(run("rules", "src/test/resources/slo/valid")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("groups:\n- name: switchyard-slo-checkout-availability");
  }

  @Test
  void applyWithoutKafkaIsAUsageError() {
    assertThat(run("apply", "src/test/resources/slo/valid")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--kafka");
  }
}
