package io.switchyard.bench.flink;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ConsumerPerfTestTest {
  /** Interval lines as ConsumerPerformance 4.2 prints them with --show-detailed-stats, with a log line and the header. */
  private static final List<String> INTERVALS = List.of(
      "06:08:25.100 WARN  NetworkClient - [Consumer clientId=perf-consumer-1, groupId=g] a warning, with, commas, 1, 2, 3, 4, 5, 6",
      "time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec",
      "2026-11-27 06:08:25:634, 0, 0.0001, 0.0003, 1, 2.5510, 308, 84, 0.0012, 11.9048",
      "2026-11-27 06:08:25:685, 0, 3.3927, 66.5207, 200000, 647058.8235, 0, 51, 66.5207, 647058.8235",
      "2026-11-27 06:08:25:762, 0, 5.1560, 22.9009, 250000, 222753.2468, 0, 77, 22.9009, 222753.2468",
      "2026-11-27 06:08:26:262, 0, 9.1140, 79.1604, 650000, 770000.0000, 0, 50, 79.1604, 770000.0000",
      "2026-11-27 06:08:26:312, 0, 10.0040, 17.8000, 760000, 173140.0000, 0, 50, 17.8000, 173140.0000");

  @Test
  void steadyRateRunsFromTheFirstIntervalPastEachEndOfTheStretch() {
    // 25 % of 1,000,000 is first reached at 25:762 (250,000), 75 % at 26:312 (760,000): 510,000 records in 550 ms.
    assertThat(ConsumerPerfTest.steady(INTERVALS, 250_000, 750_000)).isCloseTo(510_000 / 0.55, org.assertj.core.data.Offset.offset(1.0));
  }

  @Test
  void aStretchPastTheLastFullIntervalHasNoSteadyRate() {
    assertThat(ConsumerPerfTest.steady(INTERVALS, 250_000, 900_000)).isNaN();
  }

  @Test
  void aStretchWithinOneIntervalHasNoSteadyRate() {
    // 660,000 and 700,000 both first reached at 26:312; a later interval must not stand in for the stretch's end.
    List<String> more = new java.util.ArrayList<>(INTERVALS);
    more.add("2026-11-27 06:08:26:362, 0, 12.0040, 17.8000, 800000, 173140.0000, 0, 50, 17.8000, 173140.0000");
    assertThat(ConsumerPerfTest.steady(more, 660_000, 700_000)).isNaN();
  }
}
