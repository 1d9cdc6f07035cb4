package io.switchyard.flinkjobs.job;

import java.time.Duration;
import java.util.function.LongSupplier;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.util.clock.RelativeClock;

/**
 * Bounded out-of-orderness watermarks for one Kafka partition of a live job that keep event time
 * moving when the traffic stops.
 *
 * <p>Flink's idleness only stops a quiet partition from holding the others back. When every partition
 * is quiet, event time stops with them: the last window of a burst never closes, a span waiting for its
 * partner never expires, and an SLO never sees its last minute, until more traffic comes. So a partition
 * that has been quiet for the idleness timeout carries its event time on at the pace of the input's
 * activity clock (which stands still while the job is back-pressured): its watermark is then where it
 * would be had events kept coming with the delay its last one had. That only holds for a partition read
 * live, so it needs the newest event to have been at most the idleness timeout older than the wall clock
 * when it came. A partition that has seen no event, or whose newest event was older (a backlog after a
 * restart, or producers whose clocks run behind), is marked idle instead, as Flink's idleness does:
 * carrying a backlog's event time on with the clock would make the rest of the backlog late.
 *
 * <p>Events that arrive after a quiet spell with an older timestamp than the carried-on watermark are
 * late; they update their window as any late data does (up to the allowed lateness).
 */
final class QuietInputWatermarks<T> implements WatermarkGenerator<T> {
  private final long outOfOrdernessMs;
  private final long idlenessMs;
  private final RelativeClock activityClock;
  private final LongSupplier wallClockMs;

  private long newestTimestamp = Long.MIN_VALUE;
  private boolean readingLive;
  private long lastEventAt;
  private long emitted = Long.MIN_VALUE;

  QuietInputWatermarks(Duration outOfOrderness, Duration idleness, RelativeClock activityClock, LongSupplier wallClockMs) {
    this.outOfOrdernessMs = outOfOrderness.toMillis();
    this.idlenessMs = idleness.toMillis();
    this.activityClock = activityClock;
    this.wallClockMs = wallClockMs;
    this.lastEventAt = activityClock.relativeTimeMillis();
  }

  @Override
  public void onEvent(T event, long timestamp, WatermarkOutput output) {
    lastEventAt = activityClock.relativeTimeMillis();
    newestTimestamp = Math.max(newestTimestamp, timestamp);
    readingLive = wallClockMs.getAsLong() - newestTimestamp <= idlenessMs;
  }

  @Override
  public void onPeriodicEmit(WatermarkOutput output) {
    long quietFor = activityClock.relativeTimeMillis() - lastEventAt;
    if (quietFor < idlenessMs) {
      if (newestTimestamp != Long.MIN_VALUE) {
        emit(output, newestTimestamp - outOfOrdernessMs - 1);
      }
      return;
    }
    if (newestTimestamp == Long.MIN_VALUE || !readingLive) {
      output.markIdle();
      return;
    }
    emit(output, newestTimestamp + quietFor - outOfOrdernessMs - 1);
  }

  /** Never backwards: after a quiet spell the carried-on watermark stands until events pass it. */
  private void emit(WatermarkOutput output, long watermark) {
    emitted = Math.max(emitted, watermark);
    output.emitWatermark(new Watermark(emitted));
  }
}
