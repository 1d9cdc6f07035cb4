package io.switchyard.flinkjobs.graph;

import java.io.IOException;
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
 * the operator's CPU per request by about a quarter. Since session 17 the batch is handed over in key
 * order ({@link RocksDbStateColumn}), which halves RocksDB's part at thousands of traces a batch; single
 * puts in key order (session 12) saved nothing.
 *
 * <p>While a trace is held here this is its current value: the pairing reads it from here first.
 * On RocksDB with its column family at hand ({@link #batchInto}) a held value goes into the write
 * batch as it is held, while its trace is still in the CPU's caches (serializing every held trace at
 * the drain read each one cold); a key with a value in the batch then stays here until the drain, so
 * that nothing written to the state directly can be overwritten by the older value the batch carries
 * after it: a trace that waits again is held too, and a deleted one is held as {@link #DELETED} (a
 * delete in the batch). Without the column family a trace that waits again is written to the state
 * directly and dropped from here. The key filter learns a held key when it is held, as if it had been
 * written.
 */
final class CompletedTraceWrites {
  /** Traces held at most: bounds the heap (a completed two-span trace is a few hundred bytes here). */
  static final int MAX_TRACES = 16_384;

  /** The held value of a trace deleted while its key had a value in the write batch. */
  static final TraceState DELETED = new TraceState(List.of(), List.of());

  private final int maxParallelism;
  private final int maxTraces;
  private final HashMap<String, TraceState> held = new HashMap<>();
  /** Where held values are batched as they are held; {@code null}: serialized at the drain instead. */
  private RocksDbStateColumn column;

  CompletedTraceWrites(int maxParallelism, int maxTraces) {
    this.maxParallelism = maxParallelism;
    this.maxTraces = maxTraces;
  }

  /** Batches held values for {@code column} as they are held ({@code null}: at the drain). */
  void batchInto(RocksDbStateColumn column) {
    this.column = column;
  }

  /** The held value of trace {@code key}, {@link #DELETED} for a held delete, {@code null} when none is held. */
  TraceState get(String key) {
    return held.isEmpty() ? null : held.get(key);
  }

  /** Holds {@code trace} as the value of {@code key}; the holder may be {@link #full} afterwards. */
  void hold(String key, TraceState trace) throws IOException {
    held.put(key, trace);
    if (column != null) {
      column.batchPut(key, keyGroup(key), trace, TraceStateSerializer.INSTANCE);
    }
  }

  /**
   * Whether every write of {@code key} must go through here until the drain ({@link #hold},
   * {@link #holdDeleted}): the write batch has a value of it.
   */
  boolean batches(String key) {
    return column != null && !held.isEmpty() && held.containsKey(key);
  }

  /** Holds the deletion of {@code key} (see {@link #batches}); the holder may be {@link #full} afterwards. */
  void holdDeleted(String key) throws IOException {
    held.put(key, DELETED);
    column.batchDelete(key, keyGroup(key));
  }

  /**
   * Whether the holder must be drained now. Asked by the operator after each batch and each timer, not inside
   * the pairing: the branch is first taken only when a holder first fills between two watermarks, and taken
   * inside the pairing's compiled code it threw that code away (62 KB; C2 compiled it a second time).
   */
  boolean full() {
    // A key held again adds to the batch, not to the held traces: both are bounded.
    return held.size() >= maxTraces || (column != null && column.batchCount() >= maxTraces);
  }

  private int keyGroup(String key) {
    return KeyGroupRangeAssignment.assignToKeyGroup(key, maxParallelism);
  }

  /** Forgets the held value of {@code key} (its value is written to the state directly; never a key that {@link #batches}). */
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
    if (column != null) {
      column.discardBatch();
    }
  }

  /** The held traces, and nothing held any more (only without {@link #batchInto a column}: no {@link #DELETED} then). */
  List<Map.Entry<String, TraceState>> drain() {
    List<Map.Entry<String, TraceState>> out = new ArrayList<>(held.entrySet());
    held.clear();
    return out;
  }

  /** Puts every held trace into {@code column} in one write batch, and holds nothing any more. */
  void drainInto(RocksDbStateColumn column) throws Exception {
    try {
      if (this.column == null) {
        for (Map.Entry<String, TraceState> e : held.entrySet()) {
          column.batchPut(e.getKey(), keyGroup(e.getKey()), e.getValue(), TraceStateSerializer.INSTANCE);
        }
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
