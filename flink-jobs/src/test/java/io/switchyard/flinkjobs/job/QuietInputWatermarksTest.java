package io.switchyard.flinkjobs.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.util.clock.ManualClock;
import org.junit.jupiter.api.Test;

class QuietInputWatermarksTest {
  private static final long NOW = 1_800_000_000_000L;
  private final ManualClock activity = new ManualClock();
  private long wall = NOW;
  private final Recorder out = new Recorder();
  private final QuietInputWatermarks<String> watermarks =
      new QuietInputWatermarks<>(Duration.ofSeconds(5), Duration.ofSeconds(10), activity, () -> wall);

  @Test
  void followsTheNewestEventLessTheOutOfOrdernessWhileEventsCome() {
    event(NOW - 2_000);
    event(NOW - 3_000);
    tick(1_000);
    assertThat(out.last()).isEqualTo(NOW - 2_000 - 5_000 - 1);
    assertThat(out.idle).isFalse();
  }

  @Test
  void carriesEventTimeOnWithTheClockOnceALivePartitionFallsQuiet() {
    event(NOW - 2_000);
    tick(9_999);
    assertThat(out.last()).isEqualTo(NOW - 2_000 - 5_000 - 1);
    tick(1);
    // Ten seconds without events: event time has moved ten seconds too.
    assertThat(out.last()).isEqualTo(NOW - 2_000 + 10_000 - 5_000 - 1);
    tick(50_000);
    assertThat(out.last()).isEqualTo(NOW - 2_000 + 60_000 - 5_000 - 1);
    assertThat(out.idle).isFalse();
  }

  @Test
  void neverGoesBackWhenOlderEventsFollowAQuietSpell() {
    event(NOW - 2_000);
    tick(30_000);
    long carried = out.last();
    event(NOW + 30_000 - 20_000);
    tick(100);
    assertThat(out.last()).isEqualTo(carried);
    event(NOW + 30_000);
    tick(100);
    assertThat(out.last()).isEqualTo(NOW + 30_000 - 5_000 - 1);
  }

  @Test
  void aPartitionThatHasSeenNoEventTurnsIdleAndHoldsNothingBack() {
    tick(9_999);
    assertThat(out.watermarks).isEmpty();
    assertThat(out.idle).isFalse();
    tick(1);
    assertThat(out.idle).isTrue();
    assertThat(out.watermarks).isEmpty();
  }

  @Test
  void aBacklogIsMarkedIdleRatherThanMovedToTheClock() {
    // The newest event was an hour old when it came: the job is catching up, not reading live.
    event(NOW - 3_600_000);
    tick(60_000);
    assertThat(out.idle).isTrue();
    assertThat(out.watermarks).allSatisfy(w -> assertThat(w).isEqualTo(NOW - 3_600_000 - 5_000 - 1));
  }

  @Test
  void aPartitionOnlyJustLiveEnoughStillCarriesOn() {
    event(NOW - 10_000);
    tick(20_000);
    assertThat(out.idle).isFalse();
    assertThat(out.last()).isEqualTo(NOW - 10_000 + 20_000 - 5_000 - 1);
  }

  private void event(long timestamp) {
    watermarks.onEvent("span", timestamp, out);
  }

  private void tick(long millis) {
    activity.advanceTime(Duration.ofMillis(millis));
    wall += millis;
    watermarks.onPeriodicEmit(out);
  }

  private static final class Recorder implements WatermarkOutput {
    final List<Long> watermarks = new ArrayList<>();
    boolean idle;

    @Override
    public void emitWatermark(Watermark watermark) {
      watermarks.add(watermark.getTimestamp());
      idle = false;
    }

    @Override
    public void markIdle() {
      idle = true;
    }

    @Override
    public void markActive() {
      idle = false;
    }

    long last() {
      return watermarks.get(watermarks.size() - 1);
    }
  }
}
