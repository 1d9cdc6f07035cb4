package io.switchyard.flinkjobs.aggregate;

import io.switchyard.flinkjobs.buffering.FlushingOperator;
import io.switchyard.flinkjobs.graph.EdgeEvent;
import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Sums edge events per (key, tumbling window) inside one subtask, in plain heap builders, and hands
 * the keyed window operator one partial aggregate per key and window instead of one record per
 * request: the window's RocksDB read-modify-write then happens a few times per second per key, not
 * per span.
 *
 * <p>Nothing is held across the points where it would change a result: every partial goes out before
 * a watermark is forwarded (so a window fires with all data that preceded its watermark, exactly as
 * without this operator), before a checkpoint barrier (so the buffer needs no state and exactly-once
 * holds), when the input turns idle, at end of input, and when the buffer reaches its size bound.
 * A partial is stamped with its window's start, so the window operator assigns it to the same window
 * and treats it as late exactly when its requests would have been.
 *
 * @param <B> the mutable accumulator
 * @param <A> the partial aggregate sent downstream, keyed by the same key the window uses
 */
public final class WindowPreAggregator<B, A> extends FlushingOperator<EdgeEvent, Tuple2<String, A>> {
  private static final long serialVersionUID = 1L;

  /** How edge events fold into one key's partial aggregate. */
  public interface Accumulation<B, A> extends Serializable {
    String key(EdgeEvent e);

    B create(EdgeEvent first);

    void add(B acc, EdgeEvent e);

    A result(B acc);
  }

  /**
   * A (key, window start) buffer slot. Hand-written rather than a record: it is built and looked up
   * twice per request, and comparing the hash and window before the long key string is what keeps
   * the lookup cheap (the profile showed the record's generic equals as the top frame here).
   */
  private static final class Slot {
    final String key;
    final long windowStart;
    private final int hash;

    Slot(String key, long windowStart) {
      this.key = key;
      this.windowStart = windowStart;
      this.hash = key.hashCode() * 31 + Long.hashCode(windowStart);
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Slot s && s.hash == hash && s.windowStart == windowStart && s.key.equals(key);
    }
  }

  private final Accumulation<B, A> accumulation;
  private final long windowMs;
  private final int maxKeys;
  private transient Map<Slot, B> buffer;

  public WindowPreAggregator(Accumulation<B, A> accumulation, long windowMs, int maxKeys) {
    if (windowMs <= 0 || maxKeys < 1) {
      throw new IllegalArgumentException("window and buffer size must be positive: " + windowMs + " ms, " + maxKeys);
    }
    this.accumulation = accumulation;
    this.windowMs = windowMs;
    this.maxKeys = maxKeys;
  }

  @Override
  public void open() throws Exception {
    super.open();
    buffer = new HashMap<>();
  }

  @Override
  public void processElement(StreamRecord<EdgeEvent> element) {
    EdgeEvent e = element.getValue();
    long start = TimeWindow.getWindowStartWithOffset(element.getTimestamp(), 0, windowMs);
    Slot slot = new Slot(accumulation.key(e), start);
    B acc = buffer.get(slot);
    if (acc == null) {
      if (buffer.size() >= maxKeys) {
        flush();
      }
      acc = accumulation.create(e);
      buffer.put(slot, acc);
    }
    accumulation.add(acc, e);
  }

  @Override
  protected void flush() {
    if (buffer.isEmpty()) {
      return;
    }
    for (Map.Entry<Slot, B> e : buffer.entrySet()) {
      output.collect(new StreamRecord<>(Tuple2.of(e.getKey().key, accumulation.result(e.getValue())), e.getKey().windowStart));
    }
    buffer.clear();
  }

  /** Partials waiting in this subtask (for tests). */
  int buffered() {
    return buffer.size();
  }
}
