package io.switchyard.launcher.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.serverkit.config.ConfigException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SloSyncTest {
  private static final Path DIR = Path.of("/srv/config/slo");

  @Test
  void aRefusalNamesTheFileAndLineThatSloCheckPrinted() {
    ConfigException e = SloSync.refusal(DIR, "error: /srv/config/slo/checkout.yaml:12: spec.budgetingMethod: RatioTimeslices is not supported\n");
    assertThat(e.file()).isEqualTo(Path.of("/srv/config/slo/checkout.yaml"));
    assertThat(e.line()).isEqualTo(12);
    assertThat(e.column()).isZero();
    assertThat(e.reason()).isEqualTo("spec.budgetingMethod: RatioTimeslices is not supported");
    assertThat(e.getMessage()).isEqualTo("/srv/config/slo/checkout.yaml:12: spec.budgetingMethod: RatioTimeslices is not supported");
  }

  @Test
  void aColumnAfterTheLineIsKept() {
    ConfigException e = SloSync.refusal(DIR, "error: /srv/config/slo/a.yaml:3:7: not valid YAML: mapping values are not allowed here");
    assertThat(e.file()).isEqualTo(Path.of("/srv/config/slo/a.yaml"));
    assertThat(e.line()).isEqualTo(3);
    assertThat(e.column()).isEqualTo(7);
    assertThat(e.reason()).isEqualTo("not valid YAML: mapping values are not allowed here");
  }

  @Test
  void aRefusalWithoutAPlaceIsReportedAgainstTheFolder() {
    ConfigException e = SloSync.refusal(DIR, "error: two SLOs are named checkout-availability\n");
    assertThat(e.file()).isEqualTo(DIR);
    assertThat(e.line()).isZero();
    assertThat(e.reason()).isEqualTo("two SLOs are named checkout-availability");
  }
}
