package io.switchyard.topology.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class TimeParamsTest {
  private static final long NOW = Instant.parse("2026-11-25T20:30:00Z").toEpochMilli();

  @Test
  void acceptsRelativeRfc3339UnixSecondsAndEpochMillis() {
    assertThat(TimeParams.instant("from", "now", NOW)).isEqualTo(NOW);
    assertThat(TimeParams.instant("from", "now-15m", NOW)).isEqualTo(NOW - 15 * 60_000);
    assertThat(TimeParams.instant("from", "now-1h30m", NOW)).isEqualTo(NOW - 90 * 60_000);
    assertThat(TimeParams.instant("to", "2026-11-25T20:00:00Z", NOW)).isEqualTo(NOW - 30 * 60_000);
    assertThat(TimeParams.instant("to", "2026-11-25T21:00:00+01:00", NOW)).isEqualTo(NOW - 30 * 60_000);
    assertThat(TimeParams.instant("to", Long.toString(NOW - 5), NOW)).isEqualTo(NOW - 5);
  }

  @Test
  void unixTimestampsAreSecondsAsInPrometheusHttpApi() {
    long seconds = NOW / 1000;
    assertThat(TimeParams.instant("from", Long.toString(seconds - 1800), NOW)).isEqualTo(NOW - 30 * 60_000);
    assertThat(TimeParams.instant("to", Long.toString(seconds), NOW)).isEqualTo(NOW);
    assertThat(TimeParams.instant("from", "0", NOW)).isZero();
    assertThat(TimeParams.instant("from", "1", NOW)).isEqualTo(1000);
    // The largest number read as seconds: 2286-11-20T17:46:39Z.
    assertThat(TimeParams.instant("to", "9999999999", NOW)).isEqualTo(9_999_999_999_000L);
  }

  @Test
  void unixSecondsTakeADecimalFractionRoundedToTheMillisecondAsPrometheusDoes() {
    long seconds = NOW / 1000;
    assertThat(TimeParams.instant("from", seconds + ".5", NOW)).isEqualTo(NOW + 500);
    assertThat(TimeParams.instant("from", seconds + ".123", NOW)).isEqualTo(NOW + 123);
    assertThat(TimeParams.instant("from", seconds + ".1234", NOW)).isEqualTo(NOW + 123);
    assertThat(TimeParams.instant("from", seconds + ".0005", NOW)).isEqualTo(NOW + 1);
    assertThat(TimeParams.instant("from", seconds + ".00049999", NOW)).isEqualTo(NOW);
    assertThat(TimeParams.instant("from", seconds + ".9996", NOW)).isEqualTo(NOW + 1000);
    assertThat(TimeParams.instant("from", seconds + ".", NOW)).isEqualTo(NOW);
    assertThat(TimeParams.instant("from", seconds + ".000000000000000000000001", NOW)).isEqualTo(NOW);
    assertThat(TimeParams.instant("from", ".25", NOW)).isEqualTo(250);
    assertThat(TimeParams.instant("to", "9999999999.9994", NOW)).isEqualTo(9_999_999_999_999L);
  }

  @Test
  void integersFromTenBillionOnStayMillisecondsAsGrafanasFromExpandsTo() {
    // Ten billion seconds would be after 2286, ten billion milliseconds is 1970-04-26: the two readings never meet.
    assertThat(TimeParams.instant("from", Long.toString(NOW - 5), NOW)).isEqualTo(NOW - 5);
    assertThat(TimeParams.instant("from", "10000000000", NOW)).isEqualTo(10_000_000_000L);
    assertThat(TimeParams.instant("from", "999999999999999", NOW)).isEqualTo(999_999_999_999_999L);
    // Leading zeros change nothing: the value decides, not the number of digits.
    assertThat(TimeParams.instant("from", "000" + (NOW / 1000), NOW)).isEqualTo(NOW / 1000 * 1000);
  }

  @Test
  void aFractionIsSecondsSoAFractionalMillisecondCountIsRefusedNamingTheParameter() {
    for (String v : new String[] {(NOW - 5) + ".5", "10000000000.0"}) {
      assertThatThrownBy(() -> TimeParams.instant("to", v, NOW)).as(v)
          .isInstanceOf(BadParameterException.class)
          .hasFieldOrPropertyWithValue("parameter", "to")
          .hasMessageContaining("fraction")
          .hasMessageContaining(v);
    }
  }

  @Test
  void numbersPrometheusWouldNotDocumentAreRefusedListingTheForms() {
    for (String v : new String[] {"-1", "-1700000000", "1e9", "1.5e9", "+1700000000", ".", "1..5", "1.5.", "0x10", "Inf",
        "NaN", "1700000000,5", "1_700_000_000"}) {
      assertThatThrownBy(() -> TimeParams.instant("from", v, NOW)).as(v)
          .isInstanceOf(BadParameterException.class)
          .hasFieldOrPropertyWithValue("parameter", "from")
          .hasMessageContaining("Unix seconds");
    }
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

  @Test
  void durationsBeyondTheBoundAreRefusedNamingTheParameterNotOverflowed() {
    for (String v : new String[] {"99999999999999999d", "99999999999999h", "9999999999999999999999999s", "36526d",
        "5220w", "36525d1ms", "99999999999", "9223372036854775807", "9223372036854775808ms", "1d" + "9".repeat(40) + "h"}) {
      assertThatThrownBy(() -> TimeParams.durationMillis("step", v)).as(v)
          .isInstanceOf(BadParameterException.class)
          .hasFieldOrPropertyWithValue("parameter", "step")
          .hasMessageContaining("at most 36525d");
    }
    assertThat(TimeParams.durationMillis("step", "36525d")).isEqualTo(36_525L * 86_400_000);
    assertThat(TimeParams.durationMillis("step", "3155760000")).isEqualTo(36_525L * 86_400_000);
    assertThatThrownBy(() -> TimeParams.instant("from", "now-99999999999999999d", NOW))
        .isInstanceOf(BadParameterException.class).hasFieldOrPropertyWithValue("parameter", "from");
    assertThatThrownBy(() -> TimeParams.instant("to", "now+99999999999999999d", NOW))
        .isInstanceOf(BadParameterException.class).hasFieldOrPropertyWithValue("parameter", "to");
  }

  @Test
  void negativeZeroAndUnknownUnits() {
    assertThat(TimeParams.durationMillis("step", "0")).isZero();
    assertThat(TimeParams.durationMillis("step", "0s")).isZero();
    assertThat(TimeParams.durationMillis("step", "250ms")).isEqualTo(250);
    for (String v : new String[] {"-5m", "-1", "5y", "5M", "1h-5m", "m", "", " ", "1.5h", "+5m", "5 m"}) {
      assertThatThrownBy(() -> TimeParams.durationMillis("duration", v)).as("'" + v + "'")
          .isInstanceOf(BadParameterException.class)
          .hasFieldOrPropertyWithValue("parameter", "duration")
          .hasMessageContaining("expected a duration");
    }
  }

  @Test
  void timesOutsideWhatAnInstantHoldsAreRefused() {
    assertThatThrownBy(() -> TimeParams.instant("from", "+999999999-01-01T00:00:00Z", NOW))
        .isInstanceOf(BadParameterException.class).hasFieldOrPropertyWithValue("parameter", "from")
        .hasMessageContaining("out of range");
    assertThatThrownBy(() -> TimeParams.instant("from", "9".repeat(30), NOW))
        .isInstanceOf(BadParameterException.class).hasFieldOrPropertyWithValue("parameter", "from");
  }
}
