package io.switchyard.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DemoSettingsTest {
  private static DemoSettings scaled(double timeScale, Duration duration) {
    return DemoSettings.defaults().with(20, DemoSettings.Scenario.STEADY, timeScale, Duration.ofSeconds(60), Duration.ofMinutes(3),
        duration);
  }

  @Test
  void aSpedUpRunNeedsAnEndSoThatItsEventTimeNeverRunsAheadOfTheClock() {
    assertThat(scaled(10, Duration.ofSeconds(150)).timeScale()).isEqualTo(10);
    assertThat(scaled(1, null).duration()).isNull();
    assertThatThrownBy(() -> scaled(10, null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--time-scale above 1 needs --demo-duration: a sped-up run starts in the past so that its event time meets"
            + " the clock when it ends");
  }
}
