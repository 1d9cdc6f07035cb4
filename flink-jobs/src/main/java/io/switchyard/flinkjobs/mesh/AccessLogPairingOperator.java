package io.switchyard.flinkjobs.mesh;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.flinkjobs.graph.PairingConfig.TimeDomain;
import io.switchyard.model.v1.AccessLogRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.SimpleTimerService;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.operators.TimestampedCollector;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Runs {@link AccessLogPairing} keyed by request, and in event time pairs the reports that arrive
 * between two watermarks in hand before touching state.
 *
 * <p>Why: the two reports of a request usually arrive within milliseconds, so one per key took a
 * state read that missed and a write of the report's bytes, and its partner a read and a parse of
 * those bytes: about a third of the pairing task (docs/benchmarks.md, session 11). Held until the
 * next watermark, a request's two reports meet in memory and the key's state is read and written once.
 *
 * <p>Nothing observable moves: in event time state and timers are only read by timers, which fire on
 * watermarks, so the held reports are paired (per key in their order of arrival, exactly as one by one)
 * before each watermark is handled, before each checkpoint barrier (a checkpoint holds the same state
 * and timers as before) and at the end of input. Their edges leave then, with their own timestamps and
 * still ahead of the watermark that could close their window. Processing time is not held: there a
 * timer may fire between any two records.
 *
 * <p>The operator's state is the function's, unchanged (keyed value state {@code access-log-pairing}
 * and the {@code user-timers} timer service), so savepoints move between this and earlier builds.
 */
public final class AccessLogPairingOperator extends KeyedProcessOperator<String, AccessLogRecord, EdgeEvent> {
  private static final long serialVersionUID = 1L;
  /** Reports held at most, so memory stays bounded when watermarks stall (an idle or slow source). */
  static final int MAX_HELD = 4_096;
  /**
   * Held reports are paired at the latest this long after the first of them came (wall clock), so they
   * never wait for a watermark that does not come: late reports, which do not advance it, just before
   * the source goes quiet (an idle source's branch stops holding back the job's event time).
   */
  static final long MAX_HOLD_MS = 200;
  private static final long NO_TIMESTAMP = Long.MIN_VALUE;

  private final AccessLogPairing function;
  private final boolean hold;
  private final int maxHeld;
  private transient Map<String, Held> held;
  private transient int heldReports;
  /** Whether a wall-clock callback will pair what is held. */
  private transient boolean pairingScheduled;
  private transient TimerService timers;
  private transient TimestampedCollector<EdgeEvent> collector;

  public AccessLogPairingOperator(Duration wait, TimeDomain timeDomain) {
    this(new AccessLogPairing(wait, timeDomain), MAX_HELD);
  }

  AccessLogPairingOperator(AccessLogPairing function, int maxHeld) {
    super(function);
    if (maxHeld < 1) {
      throw new IllegalArgumentException("held reports must be positive, got " + maxHeld);
    }
    this.function = function;
    this.hold = function.timeDomain() == TimeDomain.EVENT;
    this.maxHeld = maxHeld;
  }

  /** The function this operator runs (its outcome counters, for tests). */
  AccessLogPairing function() {
    return function;
  }

  @Override
  public void open() throws Exception {
    super.open();
    held = new LinkedHashMap<>();
    // The same service the function's context uses (services are kept by name).
    timers = new SimpleTimerService(getInternalTimerService("user-timers", VoidNamespaceSerializer.INSTANCE, this));
    collector = new TimestampedCollector<>(output);
  }

  @Override
  public void processElement(StreamRecord<AccessLogRecord> element) throws Exception {
    AccessLogRecord r = element.getValue();
    if (!hold || !AccessLogPairing.pairable(r)) {
      super.processElement(element);
      return;
    }
    held.computeIfAbsent((String) getCurrentKey(), k -> new Held())
        .add(r, element.hasTimestamp() ? element.getTimestamp() : NO_TIMESTAMP);
    if (++heldReports >= maxHeld) {
      pairHeld();
    } else if (!pairingScheduled) {
      // Between two records no event-time timer fires, so pairing at any such point is as exact.
      pairingScheduled = true;
      getProcessingTimeService().registerTimer(getProcessingTimeService().getCurrentProcessingTime() + MAX_HOLD_MS, t -> {
        pairingScheduled = false;
        pairHeld();
      });
    }
  }

  /** Pairs every held report with its key's state, keys in the order their first held report came. */
  private void pairHeld() throws Exception {
    if (heldReports == 0) {
      return;
    }
    for (Map.Entry<String, Held> e : held.entrySet()) {
      setCurrentKey(e.getKey());
      Held h = e.getValue();
      function.pair(h.reports, timers, i -> {
        long t = h.timestamps.get(i);
        if (t == NO_TIMESTAMP) {
          collector.eraseTimestamp();
        } else {
          collector.setAbsoluteTimestamp(t);
        }
      }, collector);
    }
    held.clear();
    heldReports = 0;
  }

  @Override
  public void processWatermark(Watermark mark) throws Exception {
    pairHeld(); // before the timers this watermark fires read the state
    super.processWatermark(mark);
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    pairHeld(); // the checkpoint holds the same state and timers as without holding
    super.prepareSnapshotPreBarrier(checkpointId);
  }

  @Override
  public void finish() throws Exception {
    pairHeld();
    super.finish();
  }

  /** One key's held reports and their record timestamps, in order of arrival. */
  private static final class Held {
    final List<AccessLogRecord> reports = new ArrayList<>(2);
    final List<Long> timestamps = new ArrayList<>(2);

    void add(AccessLogRecord r, long timestamp) {
      reports.add(r);
      timestamps.add(timestamp);
    }
  }
}
