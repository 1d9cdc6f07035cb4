package io.switchyard.topology.query;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ResponseBudgetTest {
  private static final long MINUTE = 60_000;
  private static final QueryWindow DAY = new QueryWindow(0, 1440 * MINUTE, MINUTE);

  @Test
  void aResponseWithinTheBudgetPasses() {
    assertThatCode(() -> TopologyQueries.checkResponseBudget(1000, 100, MINUTE, DAY)).doesNotThrowAnyException();
    assertThatCode(() -> TopologyQueries.checkResponseBudget(0, 11_000, MINUTE, DAY)).doesNotThrowAnyException();
  }

  @Test
  void aDayByTheMinuteForAThousandServicesIsRefusedWithTheCountTheLimitAndTheWayOut() {
    assertThatThrownBy(() -> TopologyQueries.checkResponseBudget(1000, 1440, MINUTE, DAY))
        .isInstanceOf(BadParameterException.class)
        .hasFieldOrPropertyWithValue("parameter", "step")
        .hasMessageContaining("1440 points for each of 1000 services = 1440000 points")
        .hasMessageContaining("at most " + TopologyQueries.MAX_RESPONSE_POINTS)
        // 100 points per service fit: 1,440 minutes in 100 steps needs 15 minutes, rounded up to whole minutes.
        .hasMessageContaining("step=900s or more")
        .hasMessageContaining("from/to")
        .hasMessageContaining("namespace=")
        .hasMessageContaining("/api/v1/services/{name}");
  }

  @Test
  void theSuggestedStepIsTheSmallestWholeWindowStepThatFits() {
    int services = 137;
    long span = 1440 * MINUTE;
    // The smallest whole-minute step that fits, found by trying each.
    long suggested = -1;
    for (long step = MINUTE; step <= span; step += MINUTE) {
      long points = (span + step - 1) / step;
      if (points * services <= TopologyQueries.MAX_RESPONSE_POINTS) {
        suggested = step;
        break;
      }
    }
    long expected = suggested;
    assertThatCode(() -> TopologyQueries.checkResponseBudget(services, (int) ((span + expected - 1) / expected), expected, DAY))
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> TopologyQueries.checkResponseBudget(services, 1440, MINUTE, DAY))
        .hasMessageContaining("step=" + expected / 1000 + "s or more");
  }

  @Test
  void moreServicesThanTheBudgetHasPointsSuggestNoStep() {
    assertThatThrownBy(() -> TopologyQueries.checkResponseBudget(TopologyQueries.MAX_RESPONSE_POINTS + 1, 1, DAY.toMs(), DAY))
        .hasMessageContaining("a larger step,")
        .hasMessageContaining("namespace=");
  }
}
