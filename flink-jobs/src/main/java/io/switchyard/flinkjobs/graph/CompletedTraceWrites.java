package io.switchyard.flinkjobs.graph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;

/**
 * Completed traces (nothing waiting, no timer) written by the pairing but not yet put into RocksDB:
 * they go in together, in one write batch, at the next watermark, before a snapshot, before a sweep
 * slice, or when {@link #MAX_TRACES} are held.
 *
 * <p>Why: nearly every trace completes in the batch that starts it and is written once, only to be
 * remembered for the dedupe TTL. That put, one RocksDB write per request through Flink's value state,
 * was about two thirds of the pairing operator's time in a profile; one write batch per watermark cut
 * the operator's CPU per request by about a quarter. (The same puts made one by one in key order, so
 * that each memtable insert starts near the last, saved nothing; the batch in key order saved nothing
 * over the batch in any order.)
 *
 * <p>While a trace is held here this is its current value: the pairing reads it from here first, and
 * a trace the pairing then writes to the state directly (something waits again) is dropped from here.
 * The key filter learns a held key when it is held, as if it had been written.
 */
final class CompletedTraceWrites {
  /** Traces held at most: bounds the heap (a completed two-span trace is a few hundred bytes here). */
  static final int MAX_TRACES = 16_384;

  private final int maxParallelism;
  private final int maxTraces;
  private final HashMap<String, TraceState> held = new HashMap<>();

  CompletedTraceWrites(int maxParallelism, int maxTraces) {
    this.maxParallelism = maxParallelism;
    this.maxTraces = maxTraces;
  }

  /** The held value of trace {@code key}, {@code null} when none is held. */
  TraceState get(String key) {
    return held.isEmpty() ? null : held.get(key);
  }

  /** Holds {@code trace} as the value of {@code key}; true when the holder is full and must be drained. */
  boolean hold(String key, TraceState trace) {
    held.put(key, trace);
    return held.size() >= maxTraces;
  }

  /** Forgets the held value of {@code key} (its value is written to the state directly). */
  void drop(String key) {
    if (!held.isEmpty()) {
      held.remove(key);
    }
  }

  boolean isEmpty() {
    return held.isEmpty();
  }

  int size() {
    return held.size();
  }

  /** Forgets every held value (end of input: the whole state is deleted anyway). */
  void clear() {
    held.clear();
  }

  /** The held traces, and nothing held any more. */
  List<Map.Entry<String, TraceState>> drain() {
    List<Map.Entry<String, TraceState>> out = new ArrayList<>(held.entrySet());
    held.clear();
    return out;
  }

  /** Puts every held trace into {@code column} in one write batch, and holds nothing any more. */
  void drainInto(RocksDbStateColumn column) throws Exception {
    try {
      for (Map.Entry<String, TraceState> e : held.entrySet()) {
        String key = e.getKey();
        column.batchPut(key, KeyGroupRangeAssignment.assignToKeyGroup(key, maxParallelism), e.getValue(), TraceStateSerializer.INSTANCE);
      }
      column.writeBatch();
    } catch (Exception e) {
      column.discardBatch();
      throw e;
    } finally {
      held.clear();
    }
  }
}
