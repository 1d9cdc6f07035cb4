package io.switchyard.topology.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class TimeParamsTest {
  private static final long NOW = Instant.parse("2026-11-25T20:30:00Z").toEpochMilli();

  @Test
  void acceptsRelativeRfc3339AndEpochMillis() {
    assertThat(TimeParams.instant("from", "now", NOW)).isEqualTo(NOW);
    assertThat(TimeParams.instant("from", "now-15m", NOW)).isEqualTo(NOW - 15 * 60_000);
    assertThat(TimeParams.instant("from", "now-1h30m", NOW)).isEqualTo(NOW - 90 * 60_000);
    assertThat(TimeParams.instant("to", "2026-11-25T20:00:00Z", NOW)).isEqualTo(NOW - 30 * 60_000);
    assertThat(TimeParams.instant("to", "2026-11-25T21:00:00+01:00", NOW)).isEqualTo(NOW - 30 * 60_000);
    assertThat(TimeParams.instant("to", Long.toString(NOW - 5), NOW)).isEqualTo(NOW - 5);
  }

  @Test
  void rejectsGarbageNamingTheParameter() {
    assertThatThrownBy(() -> TimeParams.instant("from", "yesterday", NOW))
        .isInstanceOf(BadParameterException.class)
        .hasMessageContaining("'from'")
        .hasMessageContaining("yesterday");
    assertThatThrownBy(() -> TimeParams.instant("to", "now-15x", NOW))
        .isInstanceOf(BadParameterException.class)
        .hasMessageContaining("'to'");
    assertThatThrownBy(() -> TimeParams.durationMillis("step", "1m30"))
        .isInstanceOf(BadParameterException.class)
        .hasMessageContaining("'step'");
  }

  @Test
  void durationsCombineUnitsAndBareNumbersAreSeconds() {
    assertThat(TimeParams.durationMillis("step", "90")).isEqualTo(90_000);
    assertThat(TimeParams.durationMillis("step", "1d2h")).isEqualTo((26L * 3600) * 1000);
    assertThat(TimeParams.durationMillis("step", "1w")).isEqualTo(7L * 86_400_000);
  }
}
