package io.switchyard.flinkjobs.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.TimestampAssigner;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkGeneratorSupplier;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.util.clock.ManualClock;
import org.apache.flink.util.clock.RelativeClock;
import org.junit.jupiter.api.Test;

class QuietInputWatermarksTest {
  private static final long NOW = 1_800_000_000_000L;
  private final ManualClock activity = new ManualClock();
  private long wall = NOW;
  private final Recorder out = new Recorder();
  private final QuietInputWatermarks.LastRecordTimestamp appended = new QuietInputWatermarks.LastRecordTimestamp();
  private final SimpleCounter future = new SimpleCounter();
  private final QuietInputWatermarks<String> watermarks = generator(new ArrayList<>());

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
  void aRecordFromAClockAnHourAheadMovesEventTimeOnlyToItsAppendTimePlusTheSkewBound() {
    event(NOW - 2_000);
    event(NOW + 3_600_000); // appended now by ingest: its host's clock runs an hour ahead
    tick(1_000);
    assertThat(out.last()).isEqualTo(NOW + 60_000 - 5_000 - 1);
    assertThat(future.getCount()).isEqualTo(1);
    // Current records are then under a minute behind event time: late, but within any allowed lateness of at
    // least the bound (JobOptions keeps it so), not an hour behind and dropped.
    event(NOW + 1_000);
    tick(1_000);
    assertThat(out.last()).isEqualTo(NOW + 60_000 - 5_000 - 1);
    // Once the clock passes the bound, event time follows the current records again.
    wall = NOW + 120_000;
    event(NOW + 119_000);
    tick(1_000);
    assertThat(out.last()).isEqualTo(NOW + 119_000 - 5_000 - 1);
    assertThat(future.getCount()).isEqualTo(1);
  }

  @Test
  void aRecordWithinTheSkewBoundMovesEventTimeAsItsOwnTimeSays() {
    event(NOW + 59_000);
    tick(1_000);
    assertThat(out.last()).isEqualTo(NOW + 59_000 - 5_000 - 1);
    assertThat(future.getCount()).isZero();
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
    // The newest record was appended to Kafka an hour before it was read: the job is catching up.
    event(NOW - 3_600_000, NOW - 3_600_000);
    tick(60_000);
    assertThat(out.idle).isTrue();
    assertThat(out.watermarks).allSatisfy(w -> assertThat(w).isEqualTo(NOW - 3_600_000 - 5_000 - 1));
  }

  @Test
  void spansDeliveredLateByTheCollectorButReadAsTheyAreAppendedStillCarryOn() {
    // Tail sampling holds a trace 30 s: the span is 30 s old when ingest appends it, and read at once.
    event(NOW - 30_000, NOW);
    tick(20_000);
    assertThat(out.idle).isFalse();
    assertThat(out.last()).isEqualTo(NOW - 30_000 + 20_000 - 5_000 - 1);
  }

  @Test
  void aRecordWithoutAKafkaTimestampIsJudgedByItsEventTime() {
    event(NOW - 10_000, TimestampAssigner.NO_TIMESTAMP);
    tick(20_000);
    assertThat(out.idle).isFalse();
    assertThat(out.last()).isEqualTo(NOW - 10_000 + 20_000 - 5_000 - 1);

    QuietInputWatermarks<String> other = generator(new ArrayList<>());
    appended.timestamp = TimestampAssigner.NO_TIMESTAMP;
    other.onEvent("span", wall - 10_001, out);
    activity.advanceTime(Duration.ofSeconds(20));
    other.onPeriodicEmit(out);
    assertThat(out.idle).isTrue();
  }

  @Test
  void aQuietPartitionBehindAnotherOfTheReaderGoesIdleInsteadOfHoldingItBack() {
    List<QuietInputWatermarks<?>> reader = new ArrayList<>();
    QuietInputWatermarks<String> behind = generator(reader);
    QuietInputWatermarks<String> ahead = generator(reader);
    Recorder behindOut = new Recorder();
    Recorder aheadOut = new Recorder();
    appended.timestamp = wall; // both just appended by ingest: read live
    behind.onEvent("replayed span", NOW - 3_600_000, behindOut);
    ahead.onEvent("current span", NOW, aheadOut);

    activity.advanceTime(Duration.ofSeconds(10));
    ahead.onPeriodicEmit(aheadOut);
    behind.onPeriodicEmit(behindOut);

    assertThat(aheadOut.idle).isFalse();
    assertThat(aheadOut.last()).isEqualTo(NOW + 10_000 - 5_000 - 1);
    assertThat(behindOut.idle).as("carried on from an hour back it would hold the reader's watermark there").isTrue();
  }

  @Test
  void whenEveryPartitionOfTheReaderIsQuietTheOneAheadCarriesEventTimeOn() {
    List<QuietInputWatermarks<?>> reader = new ArrayList<>();
    QuietInputWatermarks<String> first = generator(reader);
    QuietInputWatermarks<String> second = generator(reader);
    Recorder firstOut = new Recorder();
    Recorder secondOut = new Recorder();
    appended.timestamp = wall;
    first.onEvent("span", NOW - 2_000, firstOut);
    second.onEvent("span", NOW - 1_000, secondOut);

    for (int i = 0; i < 6; i++) {
      activity.advanceTime(Duration.ofSeconds(10));
      first.onPeriodicEmit(firstOut);
      second.onPeriodicEmit(secondOut);
    }

    assertThat(secondOut.idle).isFalse();
    assertThat(secondOut.last()).isEqualTo(NOW - 1_000 + 60_000 - 5_000 - 1);
    // The one behind by a second either carries on too or stays out of the way: the reader's watermark moves on.
    assertThat(firstOut.idle || firstOut.last() == NOW - 2_000 + 60_000 - 5_000 - 1).isTrue();
  }

  @Test
  void theStrategysAssignerHandsEachRecordsKafkaTimestampToTheGenerators() {
    WatermarkStrategy<Long> strategy = QuietInputWatermarks.strategy((Long e, long t) -> e, Duration.ofSeconds(5),
        Duration.ofSeconds(10), Duration.ofMinutes(1));
    TimestampAssigner<Long> assigner = strategy.createTimestampAssigner(() -> null);
    WatermarkGenerator<Long> live = strategy.createWatermarkGenerator(context());
    WatermarkGenerator<Long> backlog = strategy.createWatermarkGenerator(context());
    long now = System.currentTimeMillis();
    Recorder liveOut = new Recorder();
    Recorder backlogOut = new Recorder();

    long eventTime = now - 60_000;
    live.onEvent(eventTime, assigner.extractTimestamp(eventTime, now), liveOut);
    backlog.onEvent(eventTime, assigner.extractTimestamp(eventTime, now - 60_000), backlogOut);
    activity.advanceTime(Duration.ofSeconds(10));
    live.onPeriodicEmit(liveOut);
    backlog.onPeriodicEmit(backlogOut);

    assertThat(liveOut.idle).isFalse();
    assertThat(liveOut.last()).isEqualTo(eventTime + 10_000 - 5_000 - 1);
    assertThat(backlogOut.idle).isTrue();
  }

  /** 5 s out-of-orderness, 10 s idleness, 1 min clock-skew bound, on this test's clocks, joining {@code reader}'s partitions. */
  private QuietInputWatermarks<String> generator(List<QuietInputWatermarks<?>> reader) {
    return new QuietInputWatermarks<>(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofMinutes(1), activity, () -> wall,
        appended, reader, future);
  }

  private WatermarkGeneratorSupplier.Context context() {
    return new WatermarkGeneratorSupplier.Context() {
      @Override
      public MetricGroup getMetricGroup() {
        return new UnregisteredMetricsGroup();
      }

      @Override
      public RelativeClock getInputActivityClock() {
        return activity;
      }
    };
  }

  private void event(long timestamp) {
    event(timestamp, wall);
  }

  private void event(long timestamp, long appendedAt) {
    appended.timestamp = appendedAt;
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
