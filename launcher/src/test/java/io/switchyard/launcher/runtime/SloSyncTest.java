package io.switchyard.launcher.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.switchyard.serverkit.config.ConfigException;
import io.switchyard.serverkit.metrics.Metrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SloSyncTest {
  private static final Path DIR = Path.of("/srv/config/slo");

  @TempDir Path sloDir;

  @Test
  void aFailedPublishIsTriedAgainUntilOneSucceeds() throws Exception {
    // Kafka refused the first two publishes; the folder itself stays valid and unchanged.
    AtomicInteger applies = new AtomicInteger();
    List<String> published = new CopyOnWriteArrayList<>();
    SloSync sync = new SloSync(sloDir, "127.0.0.1:9092", "", new Metrics(new PrometheusRegistry()), args -> {
      if (args.get(1).equals("check")) {
        return new SloSync.Result(0, "");
      }
      if (applies.incrementAndGet() <= 2) {
        return new SloSync.Result(1, "error: cannot reach Kafka at 127.0.0.1:9092");
      }
      published.add(String.join(" ", args));
      return new SloSync.Result(0, "published 1 SLO");
    }, Executors.newSingleThreadScheduledExecutor(), Duration.ofMillis(10));
    try {
      assertThat(sync.start()).startsWith("not published (trying again): error: cannot reach Kafka");
      Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> !published.isEmpty());
      assertThat(applies.get()).isEqualTo(3);
      assertThat(published).containsExactly("slo apply " + sloDir + " --kafka 127.0.0.1:9092");
    } finally {
      sync.close();
    }
  }

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
