package io.switchyard.flinkjobs.graph;

import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Runs {@link ServiceGraphFunction} keyed by trace id, and forgets completed traces by sweeping the
 * pairing state instead of through a timer per trace.
 *
 * <p>Why: nearly every trace completes with nothing left waiting, yet it must stay in state for the
 * dedupe TTL so a redelivered span still counts once. A cleanup timer per trace cost a RocksDB write
 * and a timer-queue update when it was set, and a queue poll, a delete, a state read and a state
 * delete when it fired: about a third of the pairing task. A sweep instead walks the state and deletes
 * the traces whose {@link TraceState#forgetAt} has passed. Spans still waiting keep their expiry timer
 * (one per trace).
 *
 * <p>A walk goes a slice of keys at a time ({@link CompletedTraceSweep}) so that it never holds the
 * task thread for long: at about 9 million live traces (10,000 requests/s, 10-minute TTL) one pass
 * took seconds, during which nothing paired and no checkpoint barrier passed. A walk is due half a TTL
 * after the previous one started; in event time it then takes one slice per watermark (after the due
 * expiry timers fired, so what they finished can go at once), in processing time one slice per
 * wall-clock callback, {@link #SLICE_PAUSE_MS} apart. Each slice deletes what has run out by the
 * pairing clock at that slice. A restarted operator starts a new walk at once.
 *
 * <p>So a trace is remembered at least the TTL after its last span on the pairing clock. At most: the
 * first walk to start once its TTL ended deletes it, so the TTL plus the time between two walk
 * starts plus that walk's duration, i.e. 1.5 TTL plus one walk while walks take less than half a TTL
 * (about 3 minutes for 9 million traces at the default 200 ms watermarks), the TTL plus two walks
 * otherwise, plus one watermark interval. In event time on RocksDB, a due walk waits while it could
 * delete nothing: until the pairing clock reaches the lowest forget time of every trace in the state
 * (known from the last finished walk and from what the function wrote since that walk started), which
 * starts it no later than the bound needs. At end of input (the final watermark) every expiry timer
 * has just fired and nothing waits, so that watermark deletes the whole state in one go.
 *
 * <p>On RocksDB the sweep also keeps the {@link TraceKeyFilter} the function consults before reading
 * a trace: each walk that ends rebuilds it, so a new trace skips its state read once a walk has seen
 * every key (at once on a fresh start, whose state is empty).
 *
 * <p>On RocksDB the operator also holds the traces the function completes ({@link CompletedTraceWrites})
 * and writes them in one write batch at each watermark, before each snapshot and sweep slice, and when
 * the holder is full: the one put per completed trace was most of the pairing's time.
 *
 * <p>The operator's state is the function's, unchanged (keyed value state {@code trace-pairing} and
 * the {@code user-timers} timer service), so savepoints move between this and earlier builds; cleanup
 * timers held by an earlier build's snapshot still fire once and are handled by the function.
 */
public final class ServiceGraphOperator extends KeyedProcessOperator<String, TraceSpans, EdgeEvent> {
  private static final long serialVersionUID = 1L;
  /**
   * Keys per slice. On RocksDB a key costs at most a few microseconds (an iterator step that also
   * reads the value, maybe a delete), so a slice holds the task thread for tens of milliseconds at
   * most, while 9 million keys are walked in 900 slices: 3 minutes at one slice per 200 ms watermark,
   * within the half TTL of the default 10-minute TTL.
   */
  static final int SLICE_KEYS = 10_000;
  /** Between slices in processing time: the same pace as one slice per default watermark interval. */
  static final long SLICE_PAUSE_MS = 200;

  private final ServiceGraphFunction function;
  private final boolean processingTime;
  private final long sweepEveryMs;
  private final int sliceKeys;
  private final int maxHeldTraces;
  private transient CompletedTraceSweep sweep;
  /** Completed traces not yet put into RocksDB ({@code null} on the heap backend). */
  private transient CompletedTraceWrites heldWrites;
  /** When the next walk is due (pairing clock); the first watermark after a (re)start always starts one. */
  private transient long nextSweep;
  /** When the walk under way started: the next is due half a TTL after that. */
  private transient long walkStart;
  /**
   * In event time: the lowest time from which a completed trace that the last finished walk kept may
   * be forgotten, {@link Long#MIN_VALUE} while unknown (after a (re)start, or when the walk could not
   * see every key). With the function's {@link ServiceGraphFunction#lowestForgetAtWritten} (every trace
   * completed since that walk started), it bounds every trace in the state from below.
   */
  private transient long lowestForgetAt;
  /** Walks started ({@code sweep_walks}): how often the sweep ran, and how often it was skipped. */
  private transient Counter walks;
  /** The batch being processed whose key Flink's keyed state has not been given yet. */
  private transient TraceSpans unkeyed;

  public ServiceGraphOperator(PairingConfig config) {
    this(config, SLICE_KEYS);
  }

  ServiceGraphOperator(PairingConfig config, int sliceKeys) {
    this(config, sliceKeys, CompletedTraceWrites.MAX_TRACES);
  }

  ServiceGraphOperator(PairingConfig config, int sliceKeys, int maxHeldTraces) {
    this(new ServiceGraphFunction(config), config, sliceKeys, maxHeldTraces);
  }

  private ServiceGraphOperator(ServiceGraphFunction function, PairingConfig config, int sliceKeys, int maxHeldTraces) {
    super(function);
    this.function = function;
    this.processingTime = config.timeDomain() == PairingConfig.TimeDomain.PROCESSING;
    this.sweepEveryMs = Math.max(1, config.dedupeTtl().toMillis() / 2);
    this.sliceKeys = sliceKeys;
    this.maxHeldTraces = maxHeldTraces;
  }

  /** Walks started so far in this subtask. */
  long walksStarted() {
    return walks.getCount();
  }

  /** The trace keys that may be in the state, {@code null} on the heap backend (for tests). */
  TraceKeyFilter keyFilter() {
    return sweep.keyFilter();
  }

  /** The function this operator runs (its outcome counters, for tests). */
  ServiceGraphFunction function() {
    return function;
  }

  /**
   * Flink's key context for a batch is set by the pairing only when it reaches for the state or its timers
   * ({@link ServiceGraphFunction#keyState}): nearly every batch is a new trace that the key filter answers
   * and that completes at once into the held writes, which carry their own keys. Setting it for every batch
   * (the backend serializes the key and computes its key group) was 2.6 % of the span chain thread.
   */
  @Override
  @SuppressWarnings({"rawtypes", "unchecked"})
  public void setKeyContextElement1(StreamRecord record) {
    unkeyed = ((StreamRecord<TraceSpans>) record).getValue();
  }

  @Override
  public void processElement(StreamRecord<TraceSpans> element) throws Exception {
    try {
      super.processElement(element);
    } finally {
      unkeyed = null; // timers and sweeps set their own keys
    }
    drainHeldWritesIfFull();
  }

  @Override
  public void onEventTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
    super.onEventTime(timer);
    drainHeldWritesIfFull();
  }

  @Override
  public void onProcessingTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
    super.onProcessingTime(timer);
    drainHeldWritesIfFull();
  }

  /**
   * Drains the held writes once the holder is full: here, after the function's call, and not inside the pairing
   * ({@link CompletedTraceWrites#full}).
   */
  private void drainHeldWritesIfFull() {
    if (heldWrites != null && heldWrites.full()) {
      drainHeldWrites();
    }
  }

  /**
   * Gives Flink's keyed state the current batch's key, once per batch, if the pairing needs it. The local jar's
   * JVM flags keep this method out of the pairing's compiled code ({@code dontinline} in flink-jobs/pom.xml): it
   * reaches Flink's key serialization, whose once-per-run trap otherwise threw the compiled pairing away.
   */
  private void keyState() {
    TraceSpans batch = unkeyed;
    if (batch != null) {
      unkeyed = null;
      setCurrentKey(batch.key());
    }
  }

  @Override
  public void open() throws Exception {
    super.open();
    function.keyState = this::keyState;
    sweep = new CompletedTraceSweep(getKeyedStateBackend(), function.stateDescriptor(), sliceKeys);
    function.keyFilter = sweep.keyFilter();
    if (function.keyFilter != null) {
      heldWrites = new CompletedTraceWrites(getRuntimeContext().getTaskInfo().getMaxNumberOfParallelSubtasks(), maxHeldTraces);
      heldWrites.batchInto(sweep.column());
      function.heldWrites = heldWrites;
    }
    walks = getMetricGroup().counter("sweep_walks");
    nextSweep = Long.MIN_VALUE;
    lowestForgetAt = Long.MIN_VALUE;
    if (processingTime) {
      scheduleSlice(ServiceGraphFunction.saturatedAdd(getProcessingTimeService().getCurrentProcessingTime(), sweepEveryMs));
    }
  }

  /**
   * Puts the held completed traces into the state (one write batch on RocksDB) and keeps the current key. Runs
   * before anything reads the state other than through the function: a snapshot, a sweep slice.
   */
  void drainHeldWrites() {
    if (heldWrites == null || heldWrites.isEmpty()) {
      return;
    }
    RocksDbStateColumn column = sweep.column();
    Object current = getCurrentKey();
    try {
      if (column != null) {
        heldWrites.drainInto(column);
        return;
      }
      for (Map.Entry<String, TraceState> e : heldWrites.drain()) {
        setCurrentKey(e.getKey());
        function.put(e.getValue());
      }
    } catch (Exception e) {
      throw new IllegalStateException("could not write completed traces to the pairing state", e);
    } finally {
      if (current != null && column == null) {
        setCurrentKey(current);
      }
    }
  }

  /** Completed traces written but not yet in RocksDB (for tests; 0 on the heap backend). */
  int heldTraces() {
    return heldWrites == null ? 0 : heldWrites.size();
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    drainHeldWrites(); // before the keyed state backend takes its snapshot, which follows this call
    super.snapshotState(context);
  }

  private void scheduleSlice(long at) {
    getProcessingTimeService().registerTimer(at, t -> {
      drainHeldWrites();
      long now = getProcessingTimeService().getCurrentProcessingTime();
      if (!sweep.walking()) {
        sweep.start();
        walks.inc();
        walkStart = now;
      }
      scheduleSlice(sweep.slice(now)
          ? ServiceGraphFunction.saturatedAdd(walkStart, sweepEveryMs)
          : ServiceGraphFunction.saturatedAdd(now, SLICE_PAUSE_MS));
    });
  }

  @Override
  public void processWatermark(Watermark mark) throws Exception {
    super.processWatermark(mark); // fires the due expiry timers first: what they finish may be swept now
    long now = mark.getTimestamp();
    if (now == Long.MAX_VALUE && !processingTime) {
      if (heldWrites != null) {
        heldWrites.clear(); // deleted below with the rest of the state
      }
    } else {
      drainHeldWrites();
    }
    if (processingTime) {
      return;
    }
    if (now == Long.MAX_VALUE) {
      // End of input: the expiry timers all fired just now, so no trace waits any more and every one
      // has run out by this clock: deleted without reading it. A fresh walk, because one under way has
      // passed keys that only now ran out.
      sweep.deleteAll();
      return;
    }
    // A walk that could delete nothing is skipped: until the lowest time any trace may be forgotten,
    // checked again at each watermark. It starts no later than it would otherwise for any trace due.
    if (!sweep.walking() && now >= nextSweep && now >= Math.min(lowestForgetAt, function.lowestForgetAtWritten)) {
      sweep.start();
      walks.inc();
      function.lowestForgetAtWritten = Long.MAX_VALUE;
      nextSweep = ServiceGraphFunction.saturatedAdd(now, sweepEveryMs);
    }
    if (sweep.walking() && sweep.slice(now)) {
      lowestForgetAt = sweep.sawEveryKey() ? sweep.lowestKept() : Long.MIN_VALUE;
    }
  }

  @Override
  public void finish() throws Exception {
    sweep.close();
    super.finish();
  }

  @Override
  public void close() throws Exception {
    if (sweep != null) {
      sweep.close(); // before the backend is disposed: its RocksDB iterator must not outlive the database
    }
    super.close();
  }
}
