package io.switchyard.flinkjobs.aggregate;

import io.switchyard.flinkjobs.buffering.FlushingOperator;
import io.switchyard.flinkjobs.graph.EdgeEvent;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;

/**
 * Sums edge events per (key, tumbling window) inside one subtask, in plain heap accumulators, and hands
 * the keyed window operator one partial aggregate per key and window instead of one record per
 * request: the window's RocksDB read-modify-write then happens a few times per second per key, not
 * per span.
 *
 * <p>Nothing is held across the points where it would change a result: every partial goes out before
 * a watermark that reaches the end of its window is forwarded (so a window fires with all data that
 * preceded its watermark, exactly as without this operator), before a checkpoint barrier (so the
 * buffer needs no state and exactly-once holds), when the input turns idle, at end of input, and when
 * the buffer reaches its size bound. A partial is stamped with its window's start, so the window
 * operator assigns it to the same window and treats it as late exactly when its requests would have
 * been: a window operator only fires, and only drops late data, once the watermark reaches a window's
 * end, and a partial always reaches it before such a watermark does.
 *
 * <p>Watermarks that stay inside every buffered window pass without a flush. Flushing on each of them
 * (every 200 ms) cost the keyed windows a RocksDB read-modify-write per key five times a second; now a
 * key's partial goes out about once per window and checkpoint.
 *
 * <p>It also carries the keyed windows' event time across a restore. Flink snapshots no watermark: a
 * restored window operator starts at none and takes any record as on time until every input has sent
 * one, so a request later than the allowed lateness that came first after a restart re-created its
 * purged window, which fired with only that request and replaced the complete minute already written.
 * So each subtask keeps the highest watermark it has forwarded, and whether its output was idle, in
 * union operator state ({@value #STATE_NAME}). A restored subtask takes the lowest watermark of the
 * snapshot's subtasks that were active (the windows' watermark is the minimum over their inputs, so
 * this never drops more than the uninterrupted job would), sends it when it opens, before anything
 * else, and never forwards a lower one afterwards: the windows then drop, and count in
 * {@code numLateRecordsDropped}, what they would have dropped without the restart. When every subtask
 * of the snapshot was idle, it sends the highest of their watermarks and opens idle (the windows then
 * wait for none of its subtasks until they have data again, and when all their inputs are idle they
 * take the highest watermark of all, as Flink's valve did before the snapshot). A snapshot of a build
 * without the state restores with no watermark, as before.
 *
 * @param <B> the mutable accumulator
 * @param <A> the partial aggregate sent downstream, keyed by the same key the window uses
 */
public final class WindowPreAggregator<B, A> extends FlushingOperator<EdgeEvent, Tuple2<String, A>> {
  private static final long serialVersionUID = 1L;

  /**
   * How edge events fold into one key's partial aggregate. A partial is found by its key's fields
   * ({@link #hash}, {@link #sameKey}) and the key string is built once per partial ({@link #key}):
   * events whose fields differ but whose key strings coincide (names containing the key's separators)
   * become separate partials, which the keyed window then adds up under that one key as before.
   */
  public interface Accumulation<B, A> extends Serializable {
    /** A hash of the key's fields of {@code e}. */
    int hash(EdgeEvent e);

    /** Whether {@code e} has the key of {@code acc} (the key of the event that created it). */
    boolean sameKey(B acc, EdgeEvent e);

    /** The key the keyed window groups the partial by. */
    String key(B acc);

    B create(EdgeEvent first);

    void add(B acc, EdgeEvent e);

    A result(B acc);
  }

  /** A (key, window start) buffer slot, chained in its hash bucket. */
  private static final class Slot<B> {
    final int hash;
    final long windowStart;
    final B acc;
    final Slot<B> next;

    Slot(int hash, long windowStart, B acc, Slot<B> next) {
      this.hash = hash;
      this.windowStart = windowStart;
      this.acc = acc;
      this.next = next;
    }
  }

  /** The union list state: one {last forwarded watermark, 1 if the output was idle} per subtask. */
  static final String STATE_NAME = "forwarded-watermark";

  private final Accumulation<B, A> accumulation;
  private final long windowMs;
  private final int maxKeys;
  /** Hash buckets (a power of two, at least 4/3 of maxKeys, so it never resizes). */
  private transient Slot<B>[] table;
  /** The slots in arrival order: what a flush emits. */
  private transient List<Slot<B>> slots;
  /** The last timestamp of the earliest window buffered ({@link Long#MAX_VALUE} when empty). */
  private transient long earliestWindowEnd;
  private transient ListState<long[]> forwardedState;
  /** The watermark restored from the snapshot ({@link Long#MIN_VALUE} when none): nothing below it is forwarded. */
  private transient long restoredWatermark;
  /** The snapshot's subtasks were all idle: this one opens idle. */
  private transient boolean restoredIdle;
  /** The highest watermark forwarded, end of input ({@link Long#MAX_VALUE}) aside. */
  private transient long forwarded;
  /** Whether the last watermark status this subtask sent was idle. */
  private transient boolean outputIdle;
  /** It opened idle (restored so) and its input has sent no status since: it owes the windows an ACTIVE. */
  private transient boolean openedIdle;

  public WindowPreAggregator(Accumulation<B, A> accumulation, long windowMs, int maxKeys) {
    if (windowMs <= 0 || maxKeys < 1) {
      throw new IllegalArgumentException("window and buffer size must be positive: " + windowMs + " ms, " + maxKeys);
    }
    this.accumulation = accumulation;
    this.windowMs = windowMs;
    this.maxKeys = maxKeys;
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    forwardedState = context.getOperatorStateStore().getUnionListState(
        new ListStateDescriptor<>(STATE_NAME, PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO));
    restoredWatermark = Long.MIN_VALUE;
    restoredIdle = false;
    long lowestActive = Long.MAX_VALUE;
    long highestIdle = Long.MIN_VALUE;
    boolean any = false;
    for (long[] e : forwardedState.get()) {
      any = true;
      if (e[1] == 0) {
        lowestActive = Math.min(lowestActive, e[0]);
      } else {
        highestIdle = Math.max(highestIdle, e[0]);
      }
    }
    if (lowestActive != Long.MAX_VALUE) {
      // An active subtask that had forwarded none held the windows at no watermark: then so does this one.
      restoredWatermark = lowestActive;
    } else if (any) {
      // All idle: the windows went by their other inputs, or, when every input was idle, by the highest
      // watermark of all (Flink's valve then takes the maximum), which is at least this one.
      restoredWatermark = highestIdle;
      restoredIdle = true;
    }
  }

  @Override
  @SuppressWarnings("unchecked")
  public void open() throws Exception {
    super.open();
    table = (Slot<B>[]) new Slot<?>[Integer.highestOneBit(Math.max(2, maxKeys + maxKeys / 3)) * 2];
    slots = new ArrayList<>();
    earliestWindowEnd = Long.MAX_VALUE;
    forwarded = restoredWatermark;
    outputIdle = false;
    openedIdle = false;
    // Sent now, not with the first record or watermark: the windows' watermark is the minimum over all
    // their inputs, so a subtask that has no input yet must not hold them at none while another
    // subtask's late partial arrives.
    if (restoredWatermark != Long.MIN_VALUE) {
      output.emitWatermark(new Watermark(restoredWatermark));
    }
    if (restoredIdle) {
      outputIdle = true;
      openedIdle = true;
      output.emitWatermarkStatus(WatermarkStatus.IDLE);
    }
  }

  @Override
  public void processWatermark(Watermark mark) throws Exception {
    if (mark.getTimestamp() < restoredWatermark) {
      return;
    }
    becomeActive();
    super.processWatermark(mark);
    if (mark.getTimestamp() != Long.MAX_VALUE) {
      forwarded = Math.max(forwarded, mark.getTimestamp());
    }
  }

  @Override
  public void processWatermarkStatus(WatermarkStatus status) throws Exception {
    super.processWatermarkStatus(status);
    outputIdle = status.isIdle();
    openedIdle = false;
  }

  /**
   * A subtask that opened idle (see the class comment) says it is active again before it sends
   * anything: the windows ignore watermarks from an idle input. Only then: an input's own idleness is
   * its own to end.
   */
  private void becomeActive() {
    if (openedIdle) {
      openedIdle = false;
      outputIdle = false;
      output.emitWatermarkStatus(WatermarkStatus.ACTIVE);
    }
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    forwardedState.update(List.of(new long[] {forwarded, outputIdle ? 1 : 0}));
  }

  /** Only a watermark that fires (or closes) a buffered partial's window needs the partials first. */
  @Override
  protected boolean mustFlushBefore(Watermark mark) {
    return mark.getTimestamp() >= earliestWindowEnd;
  }

  @Override
  public void processElement(StreamRecord<EdgeEvent> element) {
    EdgeEvent e = element.getValue();
    long start = TimeWindow.getWindowStartWithOffset(element.getTimestamp(), 0, windowMs);
    int hash = accumulation.hash(e) * 31 + Long.hashCode(start);
    int bucket = bucket(hash, table.length - 1);
    for (Slot<B> s = table[bucket]; s != null; s = s.next) {
      if (s.hash == hash && s.windowStart == start && accumulation.sameKey(s.acc, e)) {
        accumulation.add(s.acc, e);
        return;
      }
    }
    if (slots.size() >= maxKeys) {
      flush();
    }
    B acc = accumulation.create(e);
    Slot<B> slot = new Slot<>(hash, start, acc, table[bucket]);
    table[bucket] = slot;
    slots.add(slot);
    earliestWindowEnd = Math.min(earliestWindowEnd, start + windowMs - 1);
    accumulation.add(acc, e);
  }

  @Override
  protected void flush() {
    if (slots.isEmpty()) {
      return;
    }
    becomeActive();
    Slot<B>[] t = table;
    int mask = t.length - 1;
    for (int i = 0; i < slots.size(); i++) {
      Slot<B> s = slots.get(i);
      output.collect(new StreamRecord<>(Tuple2.of(accumulation.key(s.acc), accumulation.result(s.acc)), s.windowStart));
      // Empties only the buckets in use: Arrays.fill over the whole table, inlined here, was deoptimized
      // and recompiled again and again (9 of the span chain thread's 19 deoptimizations in a profile).
      t[bucket(s.hash, mask)] = null;
    }
    slots.clear();
    earliestWindowEnd = Long.MAX_VALUE;
  }

  private static int bucket(int hash, int mask) {
    return (hash ^ (hash >>> 16)) & mask;
  }

  /** Partials waiting in this subtask (for tests). */
  int buffered() {
    return slots.size();
  }
}
