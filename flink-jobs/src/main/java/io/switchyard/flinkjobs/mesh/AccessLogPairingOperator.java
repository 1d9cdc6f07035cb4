package io.switchyard.flinkjobs.mesh;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.flinkjobs.graph.TraceKeyFilter;
import io.switchyard.flinkjobs.graph.PairingConfig.TimeDomain;
import io.switchyard.model.v1.AccessLogRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.CheckpointableKeyedStateBackend;
import org.apache.flink.runtime.state.KeyGroupRange;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
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
 * <p>In event time a key whose reports all paired holds no timer: its dedupe memory is deleted by a
 * sweep ({@link PairStateSweep}) instead of a RocksDB timer per request, about a third of this task
 * (docs/benchmarks.md, session 12). The function treats such a key as gone once the watermark reaches
 * its {@code due} plus the memory, exactly when its timer would have deleted it, so the sweep only
 * bounds the state's size. A walk is due a wait, or half the memory if that is longer (as the span
 * path's sweep: a walk over minutes of requests costs as much as the requests of a second or so),
 * after the previous one started and goes one slice per watermark; at
 * the end of input (after every timer fired, so nothing waits) the whole state is deleted at once. A key
 * with a report still waiting keeps its timer, which counts the report alone when the watermark passes
 * its wait, as before.
 *
 * <p>Keyed state is restored without the watermark, which starts over at its minimum: for the keys
 * whose memory the watermark of the snapshot had run out (their timer would have deleted them, the sweep
 * may not have yet), the operator keeps that watermark per key group in operator state
 * ({@code expired-up-to}, a union list) and goes by it until the watermark passes it again.
 *
 * <p>The keyed state is the function's (keyed value state {@code access-log-pairing}, whose POJO gained
 * {@code timer}, and the {@code user-timers} timer service): a savepoint of an earlier build restores,
 * and its timers (one per request) fire once and do what they did. A savepoint of this build restored
 * into a build before the sweep keeps its timer-less keys (paired requests' dedupe memory) forever.
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
  /**
   * Keys per sweep slice: on RocksDB an iterator step, a decode and maybe a delete, a few microseconds
   * each, so a slice holds the task thread for tens of milliseconds at most.
   */
  static final int SLICE_KEYS = 10_000;

  private final AccessLogPairing function;
  private final boolean hold;
  private final int maxHeld;
  private final int sliceKeys;
  /** Between two walk starts on the watermark's clock: so a key outlives its memory by half of it at most. */
  private final long sweepEveryMs;
  private transient Map<String, Held> held;
  private transient int heldReports;
  /** Whether a wall-clock callback will pair what is held. */
  private transient boolean pairingScheduled;
  private transient TimerService timers;
  private transient TimestampedCollector<EdgeEvent> collector;
  private transient PairStateSweep sweep;
  /** The keys that may be in the state (RocksDB, event time), else {@code null}: every key is read. */
  private transient TraceKeyFilter keyFilter;
  /** Keys paired without a state read because the filter lacked them ({@code state_reads_skipped}). */
  private transient Counter readsSkipped;
  /** When the next walk is due (watermark); the first watermark after a (re)start starts one. */
  private transient long nextSweep;
  /** Walks started ({@code sweep_walks}). */
  private transient Counter walks;
  /** The restored watermarks per key group (see the class comment); {@code null} when none is above the clock. */
  private transient ListState<long[]> expiredUpToState;
  private transient long[] restoredExpiredUpTo;
  private transient int firstKeyGroup;
  /** The highest of {@link #restoredExpiredUpTo}: once the watermark passes it, they are dropped. */
  private transient long restoredMax;

  /**
   * @param memory how long a key is remembered after its wait ended, to drop late copies of its reports
   */
  public AccessLogPairingOperator(Duration wait, Duration memory, TimeDomain timeDomain) {
    this(new AccessLogPairing(wait, memory, timeDomain), MAX_HELD);
  }

  AccessLogPairingOperator(AccessLogPairing function, int maxHeld) {
    this(function, maxHeld, SLICE_KEYS);
  }

  AccessLogPairingOperator(AccessLogPairing function, int maxHeld, int sliceKeys) {
    super(function);
    if (maxHeld < 1) {
      throw new IllegalArgumentException("held reports must be positive, got " + maxHeld);
    }
    this.function = function;
    this.hold = function.timeDomain() == TimeDomain.EVENT;
    this.maxHeld = maxHeld;
    this.sliceKeys = sliceKeys;
    this.sweepEveryMs = Math.max(function.waitMs(), function.memoryMs() / 2);
  }

  /** The function this operator runs (its outcome counters, for tests). */
  AccessLogPairing function() {
    return function;
  }

  /** Walks started so far in this subtask. */
  long walksStarted() {
    return walks.getCount();
  }

  /** Keys paired without a state read so far in this subtask. */
  long readsSkipped() {
    return readsSkipped.getCount();
  }

  /** The sweep (for tests). */
  PairStateSweep sweep() {
    return sweep;
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    restoredExpiredUpTo = null;
    restoredMax = Long.MIN_VALUE;
    if (!hold) {
      return;
    }
    expiredUpToState = context.getOperatorStateStore().getUnionListState(
        new ListStateDescriptor<>("expired-up-to", PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO));
    KeyGroupRange mine = keyGroups();
    firstKeyGroup = mine.getStartKeyGroup();
    long[] upTo = new long[mine.getNumberOfKeyGroups()];
    Arrays.fill(upTo, Long.MIN_VALUE);
    // Entries {first key group, last key group, watermark}, from every subtask of the snapshot.
    for (long[] e : expiredUpToState.get()) {
      for (long g = Math.max(e[0], mine.getStartKeyGroup()); g <= Math.min(e[1], mine.getEndKeyGroup()); g++) {
        int i = (int) g - firstKeyGroup;
        upTo[i] = Math.max(upTo[i], e[2]);
        restoredMax = Math.max(restoredMax, e[2]);
      }
    }
    if (restoredMax > Long.MIN_VALUE) {
      restoredExpiredUpTo = upTo;
    }
  }

  private KeyGroupRange keyGroups() {
    return ((CheckpointableKeyedStateBackend<?>) getKeyedStateBackend()).getKeyGroupRange();
  }

  @Override
  public void open() throws Exception {
    super.open();
    held = new LinkedHashMap<>();
    // The same service the function's context uses (services are kept by name).
    timers = new SimpleTimerService(getInternalTimerService("user-timers", VoidNamespaceSerializer.INSTANCE, this));
    collector = new TimestampedCollector<>(output);
    walks = getMetricGroup().counter("sweep_walks");
    nextSweep = Long.MIN_VALUE;
    if (hold) {
      sweep = new PairStateSweep(getKeyedStateBackend(), function.stateDescriptor(), function.memoryMs(), sliceKeys);
      keyFilter = sweep.keyFilter();
      readsSkipped = getMetricGroup().counter("state_reads_skipped");
      function.expiredUpTo = this::expiredUpTo;
    }
  }

  /** The time up to which the current key's dedupe memory has run out. */
  private long expiredUpTo(TimerService t) {
    long watermark = t.currentWatermark();
    if (restoredExpiredUpTo == null || watermark >= restoredMax) {
      return watermark;
    }
    int group = KeyGroupRangeAssignment.assignToKeyGroup(getCurrentKey(),
        getRuntimeContext().getTaskInfo().getMaxNumberOfParallelSubtasks());
    return Math.max(watermark, restoredExpiredUpTo[group - firstKeyGroup]);
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    if (!hold) {
      return;
    }
    long watermark = timers.currentWatermark();
    List<long[]> entries = new ArrayList<>();
    KeyGroupRange mine = keyGroups();
    if (restoredExpiredUpTo == null || watermark >= restoredMax) {
      entries.add(new long[] {mine.getStartKeyGroup(), mine.getEndKeyGroup(), watermark});
    } else {
      for (int g = mine.getStartKeyGroup(); g <= mine.getEndKeyGroup(); g++) {
        entries.add(new long[] {g, g, Math.max(watermark, restoredExpiredUpTo[g - firstKeyGroup])});
      }
    }
    expiredUpToState.update(entries);
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
      String key = e.getKey();
      setCurrentKey(key);
      Held h = e.getValue();
      // One hash per key; a key surely absent is added by the lookup, as the span path does.
      long keyHash = keyFilter == null ? 0 : TraceKeyFilter.hash(key);
      boolean mayBeInState = keyFilter == null || keyFilter.mayHoldElseAdd(keyHash);
      if (!mayBeInState) {
        readsSkipped.inc();
      }
      boolean fresh = function.pair(h.reports, mayBeInState, timers, i -> {
        long t = h.timestamps.get(i);
        if (t == NO_TIMESTAMP) {
          collector.eraseTimestamp();
        } else {
          collector.setAbsoluteTimestamp(t);
        }
      }, collector);
      if (fresh && mayBeInState && keyFilter != null) {
        keyFilter.added(keyHash);
      }
    }
    held.clear();
    heldReports = 0;
  }

  @Override
  public void processWatermark(Watermark mark) throws Exception {
    pairHeld(); // before the timers this watermark fires read the state
    super.processWatermark(mark); // the timers of waiting reports fire first, as before
    if (!hold) {
      return;
    }
    long now = mark.getTimestamp();
    if (restoredExpiredUpTo != null && now >= restoredMax) {
      restoredExpiredUpTo = null;
    }
    if (now == Long.MAX_VALUE) {
      // End of input: every timer just fired, so nothing waits and every wait has ended.
      sweep.deleteAll();
      return;
    }
    if (!sweep.walking() && now >= nextSweep) {
      sweep.start();
      walks.inc();
      nextSweep = AccessLogPairing.saturatedAdd(now, sweepEveryMs);
    }
    if (sweep.walking()) {
      sweep.slice(now);
    }
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    pairHeld(); // the checkpoint holds the same state and timers as without holding
    super.prepareSnapshotPreBarrier(checkpointId);
  }

  @Override
  public void finish() throws Exception {
    pairHeld();
    if (sweep != null) {
      sweep.close();
    }
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
