package io.switchyard.flinkjobs.aggregate;

import io.switchyard.flinkjobs.buffering.FlushingOperator;
import io.switchyard.flinkjobs.graph.EdgeEvent;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

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

  private final Accumulation<B, A> accumulation;
  private final long windowMs;
  private final int maxKeys;
  /** Hash buckets (a power of two, at least 4/3 of maxKeys, so it never resizes). */
  private transient Slot<B>[] table;
  /** The slots in arrival order: what a flush emits. */
  private transient List<Slot<B>> slots;
  /** The last timestamp of the earliest window buffered ({@link Long#MAX_VALUE} when empty). */
  private transient long earliestWindowEnd;

  public WindowPreAggregator(Accumulation<B, A> accumulation, long windowMs, int maxKeys) {
    if (windowMs <= 0 || maxKeys < 1) {
      throw new IllegalArgumentException("window and buffer size must be positive: " + windowMs + " ms, " + maxKeys);
    }
    this.accumulation = accumulation;
    this.windowMs = windowMs;
    this.maxKeys = maxKeys;
  }

  @Override
  @SuppressWarnings("unchecked")
  public void open() throws Exception {
    super.open();
    table = (Slot<B>[]) new Slot<?>[Integer.highestOneBit(Math.max(2, maxKeys + maxKeys / 3)) * 2];
    slots = new ArrayList<>();
    earliestWindowEnd = Long.MAX_VALUE;
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
