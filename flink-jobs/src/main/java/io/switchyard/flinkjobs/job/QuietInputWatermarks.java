package io.switchyard.flinkjobs.job;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.apache.flink.api.common.eventtime.SerializableTimestampAssigner;
import org.apache.flink.api.common.eventtime.TimestampAssigner;
import org.apache.flink.api.common.eventtime.TimestampAssignerSupplier;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkGeneratorSupplier;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.metrics.Counter;
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
 * would be had events kept coming with the delay its last one had.
 *
 * <p>That only holds for a partition read live, so it needs the newest record to have been appended to
 * Kafka at most the idleness timeout before it was read. That is judged by the record's Kafka
 * timestamp (ingest's append time), not by the event's own time: collectors routinely deliver spans
 * tens of seconds after they end (tail sampling waits 30 s by default), and such a partition is still
 * live. A partition that has seen no record, or whose newest record was older (a backlog after a
 * restart), is marked idle instead, as Flink's idleness does: carrying a backlog's event time on with
 * the clock would hold back the partitions still catching up. Records without a Kafka timestamp are
 * judged by their event time.
 *
 * <p>Events that arrive after a quiet spell with an older timestamp than the carried-on watermark are
 * late; they update their window as any late data does (up to the allowed lateness).
 *
 * <p>Event time never runs ahead of the clock by more than {@code maxClockSkew}: a record whose time is
 * later than its Kafka timestamp (the moment ingest appended it) plus that bound moves the watermark only
 * to that bound. Its own timestamp stays: it lands in its own window, which closes when event time gets
 * there. Without the bound, one span from a host whose clock ran an hour ahead moved event time an hour
 * ahead, and every current record was then later than the allowed lateness and dropped, for an hour.
 * Such records are counted ({@value #FUTURE_RECORDS}).
 */
final class QuietInputWatermarks<T> implements WatermarkGenerator<T> {
  /** Records later than their Kafka timestamp plus the clock-skew bound, per source subtask. */
  static final String FUTURE_RECORDS = "future_records";
  private final long outOfOrdernessMs;
  private final long maxClockSkewMs;
  private final Counter futureRecords;
  private final long idlenessMs;
  private final RelativeClock activityClock;
  private final LongSupplier wallClockMs;
  private final LastRecordTimestamp lastRecord;
  private final List<QuietInputWatermarks<?>> readerSplits;

  private long newestTimestamp = Long.MIN_VALUE;
  private boolean readingLive;
  private long lastEventAt;
  private long emitted = Long.MIN_VALUE;
  private boolean idle;

  /**
   * {@code readerSplits}: the generators of the reader's other partitions, which this one joins;
   * {@code futureRecords}: the reader's count of records beyond {@code maxClockSkew}.
   */
  QuietInputWatermarks(Duration outOfOrderness, Duration idleness, Duration maxClockSkew, RelativeClock activityClock,
      LongSupplier wallClockMs, LastRecordTimestamp lastRecord, List<QuietInputWatermarks<?>> readerSplits,
      Counter futureRecords) {
    this.outOfOrdernessMs = outOfOrderness.toMillis();
    this.maxClockSkewMs = maxClockSkew.toMillis();
    this.futureRecords = futureRecords;
    this.idlenessMs = idleness.toMillis();
    this.activityClock = activityClock;
    this.wallClockMs = wallClockMs;
    this.lastRecord = lastRecord;
    this.lastEventAt = activityClock.relativeTimeMillis();
    this.readerSplits = readerSplits;
    readerSplits.add(this);
  }

  /**
   * The strategy of a live source: {@code timestamps} assigns event time, and each partition's
   * generator learns the Kafka timestamp of the record it is told about from the assigner. Flink calls
   * a reader's one assigner and then the record's split generator for each record, on the task thread,
   * and each subtask has its own copy of this strategy, so one cell per copy is enough; the copy also lists
   * the reader's generators, so a quiet partition can tell whether another is ahead of it.
   */
  static <T> WatermarkStrategy<T> strategy(SerializableTimestampAssigner<T> timestamps, Duration outOfOrderness,
      Duration idleness, Duration maxClockSkew) {
    return new Strategy<>(timestamps, outOfOrderness, idleness, maxClockSkew);
  }

  @Override
  public void onEvent(T event, long timestamp, WatermarkOutput output) {
    lastEventAt = activityClock.relativeTimeMillis();
    long appended = lastRecord.timestamp == TimestampAssigner.NO_TIMESTAMP ? timestamp : lastRecord.timestamp;
    long bound = appended > Long.MAX_VALUE - maxClockSkewMs ? Long.MAX_VALUE : appended + maxClockSkewMs;
    if (timestamp > bound) {
      futureRecords.inc();
      timestamp = bound;
    }
    newestTimestamp = Math.max(newestTimestamp, timestamp);
    readingLive = wallClockMs.getAsLong() - appended <= idlenessMs;
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
    long carried = newestTimestamp + quietFor - outOfOrdernessMs - 1;
    if (newestTimestamp == Long.MIN_VALUE || !readingLive || carried < aheadOfMe()) {
      idle = true;
      output.markIdle();
      return;
    }
    emit(output, carried);
  }

  /**
   * The highest watermark of the reader's other partitions that are not idle. A quiet partition that would carry
   * on behind it goes idle instead, as Flink's idleness would: carried on from an older event at the clock's pace,
   * it would hold the one ahead back (a partition reading a replay of old spans behind another that is current).
   */
  private long aheadOfMe() {
    long ahead = Long.MIN_VALUE;
    for (QuietInputWatermarks<?> other : readerSplits) {
      if (other != this && !other.idle) {
        ahead = Math.max(ahead, other.emitted);
      }
    }
    return ahead;
  }

  /** Never backwards: after a quiet spell the carried-on watermark stands until events pass it. */
  private void emit(WatermarkOutput output, long watermark) {
    idle = false;
    emitted = Math.max(emitted, watermark);
    output.emitWatermark(new Watermark(emitted));
  }

  /** The Kafka timestamp of the record being emitted, handed from the assigner to the generators. */
  static final class LastRecordTimestamp {
    long timestamp = TimestampAssigner.NO_TIMESTAMP;
  }

  private static final class Strategy<T> implements WatermarkStrategy<T> {
    private static final long serialVersionUID = 1L;
    private final SerializableTimestampAssigner<T> timestamps;
    private final Duration outOfOrderness;
    private final Duration idleness;
    private final Duration maxClockSkew;
    private transient LastRecordTimestamp lastRecord;
    private transient List<QuietInputWatermarks<?>> splits;
    private transient Counter futureRecords;

    Strategy(SerializableTimestampAssigner<T> timestamps, Duration outOfOrderness, Duration idleness, Duration maxClockSkew) {
      this.timestamps = timestamps;
      this.outOfOrderness = outOfOrderness;
      this.idleness = idleness;
      this.maxClockSkew = maxClockSkew;
    }

    private LastRecordTimestamp lastRecord() {
      if (lastRecord == null) {
        lastRecord = new LastRecordTimestamp();
        splits = new ArrayList<>();
      }
      return lastRecord;
    }

    @Override
    public TimestampAssigner<T> createTimestampAssigner(TimestampAssignerSupplier.Context context) {
      LastRecordTimestamp cell = lastRecord();
      return (event, recordTimestamp) -> {
        cell.timestamp = recordTimestamp;
        return timestamps.extractTimestamp(event, recordTimestamp);
      };
    }

    @Override
    public WatermarkGenerator<T> createWatermarkGenerator(WatermarkGeneratorSupplier.Context context) {
      LastRecordTimestamp cell = lastRecord();
      if (futureRecords == null) {
        // One counter for the reader's partitions: a second registration of the name would not be reported.
        futureRecords = context.getMetricGroup().counter(FUTURE_RECORDS);
      }
      return new QuietInputWatermarks<>(outOfOrderness, idleness, maxClockSkew, context.getInputActivityClock(),
          System::currentTimeMillis, cell, splits, futureRecords);
    }
  }
}
