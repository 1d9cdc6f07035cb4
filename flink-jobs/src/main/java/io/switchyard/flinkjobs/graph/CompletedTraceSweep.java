package io.switchyard.flinkjobs.graph;

import java.util.Collection;
import java.util.Iterator;
import java.util.stream.Stream;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.StateEntry;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.runtime.state.internal.InternalKvState;
import org.apache.flink.state.rocksdb.RocksIteratorWrapper;

/**
 * One walk over the pairing state that deletes the completed traces whose dedupe memory ran out, a
 * bounded slice of keys at a time, so the task thread can pair spans and pass checkpoint barriers
 * between slices. Memory stays bounded: no backend copies its keys up front.
 *
 * <p>How a walk reads and resumes depends on the backend, because deleting while iterating does not
 * work the same way on both:
 * <ul>
 *   <li>RocksDB (production): each slice opens a fresh iterator over the state's column family
 *       ({@link RocksDbStateColumn}), seeks to where the last slice stopped, and reads every trace's
 *       value from that iterator, checking only its header ({@link TraceStateSerializer#nothingWaits}).
 *       Flink's keyed-state API would yield only keys, and a point lookup per key to read the value
 *       again was three quarters of a walk's time. Nothing but the slice itself writes while the slice
 *       runs (it runs on the task thread, and the backend writes straight to the database, no batch),
 *       so the iterator's values are the current ones: a trace renewed between two slices is read as
 *       renewed, and no due-looking trace needs a second read before it is deleted. A fresh iterator per
 *       slice also pins no memtable or file between slices. A key that existed when the walk started
 *       and still exists when the walk passes its place is visited.
 *   <li>Heap (tests, local runs): the key stream runs over the live hash maps, whose iterators throw
 *       {@code ConcurrentModificationException} after any change. On Java 17 it survives deletes only
 *       because the stream's iterator copies a whole key group's keys at a time (a JDK detail, and a
 *       copy as large as a key group), so the walk uses Flink's incremental state visitor instead, which
 *       tolerates changes between slices (Flink's heap TTL cleanup uses it the same way). It may, in the
 *       rare case that a map is resized during the walk, skip a key that existed at its start; the
 *       next walk deletes that one.
 *   <li>Any other backend (e.g. a changelog backend wrapping RocksDB on a cluster): Flink's lazy key
 *       stream, a point-in-time view held for the whole walk, with a point lookup per key.
 * </ul>
 * Either way, a key written during the walk may be missed by it; the next walk catches it. Its memory
 * runs to at least a TTL after the walk's start, so only a walk longer than a TTL could have deleted
 * it sooner (the bound in {@link ServiceGraphOperator} allows for that).
 *
 * <p>On the backends whose walk visits every key that existed at its start (all but the heap), the
 * sweep also keeps the {@link TraceKeyFilter} of the keys that may be in the state: each walk that
 * reaches its end rebuilds it from the keys it kept.
 */
final class CompletedTraceSweep implements AutoCloseable {
  /** Hash-table slots the heap visitor scans per step at most. */
  private static final int HEAP_SLOTS_PER_STEP = 128;
  /**
   * Steps per slice that may find only empty slots: at most 1,024 × 128 slot reads (cheap array reads)
   * besides the slice's keys. A table never shrinks, so it may be sparse, and every key group's map
   * ends with such a step; small slices still cross many key groups.
   */
  private static final int HEAP_EMPTY_STEPS_PER_SLICE = 1_024;

  private final KeyedStateBackend<String> backend;
  private final ValueStateDescriptor<TraceState> descriptor;
  private final int sliceKeys;
  /** Whether the state is on the heap: walked with Flink's incremental visitor, which may skip a key. */
  private final boolean heap;
  /** The keys that may be in the state; {@code null} on the heap, whose walks cannot rebuild it. */
  private final TraceKeyFilter filter;

  /** The state's RocksDB column family; {@code null} on other backends. */
  private final RocksDbStateColumn column;
  /** Whether the RocksDB walk is under way: the next slice seeks to {@link #resumeAt}. */
  private boolean columnWalking;
  /** The first key the next RocksDB slice visits, {@code null} for the first key of all. */
  private byte[] resumeAt;
  private InternalKvState.StateIncrementalVisitor<String, VoidNamespace, TraceState> visitor;
  private ValueState<TraceState> state;
  private Stream<String> keyStream;
  private Iterator<String> keys;
  /** Whether the walk under way visits every key that existed when it started (RocksDB's point-in-time view). */
  private boolean seesEveryKey;
  /** The lowest {@link TraceState#forgetAt} of the completed traces the walk under way visited and kept. */
  private long lowestKept;

  CompletedTraceSweep(KeyedStateBackend<String> backend, ValueStateDescriptor<TraceState> descriptor, int sliceKeys) throws Exception {
    if (sliceKeys < 1) {
      throw new IllegalArgumentException("keys per sweep slice must be positive, got " + sliceKeys);
    }
    this.backend = backend;
    this.descriptor = descriptor;
    this.sliceKeys = sliceKeys;
    this.heap = visitor(state()) != null;
    this.column = heap ? null : RocksDbStateColumn.of(backend, descriptor.getName());
    this.filter = heap ? null : new TraceKeyFilter();
    if (filter != null && stateEmpty()) {
      filter.startEmpty(); // a fresh start; after a restore the filter is unknown until a walk ends
    }
  }

  private ValueState<TraceState> state() throws Exception {
    return backend.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, descriptor);
  }

  @SuppressWarnings("unchecked")
  private static InternalKvState.StateIncrementalVisitor<String, VoidNamespace, TraceState> visitor(ValueState<TraceState> s) {
    try {
      return ((InternalKvState<String, VoidNamespace, TraceState>) s).getStateIncrementalVisitor(HEAP_SLOTS_PER_STEP);
    } catch (UnsupportedOperationException e) {
      return null; // RocksDB has no visitor; its iterators are safe to delete behind (see the class comment)
    }
  }

  private boolean stateEmpty() throws Exception {
    if (column != null) {
      return column.isEmpty();
    }
    try (Stream<String> s = backend.getKeys(descriptor.getName(), VoidNamespace.INSTANCE)) {
      return s.findAny().isEmpty();
    }
  }

  /**
   * The keys that may be in the state, kept exact by this sweep's walks; {@code null} on the heap
   * backend, where a read that misses is a hash lookup and a walk may skip a key.
   */
  TraceKeyFilter keyFilter() {
    return filter;
  }

  /** The state's RocksDB column family, {@code null} on other backends or where Flink's internals moved. */
  RocksDbStateColumn column() {
    return column;
  }

  boolean walking() {
    return columnWalking || visitor != null || keys != null;
  }

  /** Starts a walk from the first key, dropping any walk still under way. */
  void start() throws Exception {
    close();
    lowestKept = Long.MAX_VALUE;
    seesEveryKey = false;
    ValueState<TraceState> s = state();
    if (heap) {
      visitor = visitor(s);
      return;
    }
    seesEveryKey = true;
    filter.walkStarted();
    if (column != null) {
      columnWalking = true;
      resumeAt = null;
      return;
    }
    state = s;
    keyStream = backend.getKeys(descriptor.getName(), VoidNamespace.INSTANCE);
    keys = keyStream.iterator();
  }

  /**
   * Whether the walk just finished visited every key that existed when it started, so that
   * {@link #lowestKept()} covers them all. Only RocksDB's walk does: the heap visitor may skip a key
   * when a map is resized during the walk.
   */
  boolean sawEveryKey() {
    return seesEveryKey;
  }

  /**
   * The lowest time from which a completed trace that the walk (under way or just finished) visited
   * and kept may be forgotten; {@link Long#MAX_VALUE} when it kept none. Traces still waiting are not
   * counted: their time is only set when they complete, which the pairing function reports.
   */
  long lowestKept() {
    return lowestKept;
  }

  /**
   * Visits about {@code sliceKeys} more keys (the heap visitor finishes the hash bucket it is in, and
   * may stop early on a sparse table) and deletes those that {@link ServiceGraphFunction#forgettable}
   * at {@code now}.
   *
   * @return whether the walk is over (then it holds nothing open any more)
   */
  boolean slice(long now) throws Exception {
    int visited = 0;
    if (visitor != null) {
      int emptySteps = 0;
      while (visited < sliceKeys && emptySteps < HEAP_EMPTY_STEPS_PER_SLICE && visitor.hasNext()) {
        Collection<StateEntry<String, VoidNamespace, TraceState>> bucket = visitor.nextEntries();
        if (bucket == null) {
          break;
        }
        if (bucket.isEmpty()) {
          emptySteps++;
        }
        visited += bucket.size();
        // remove() must come before the next hasNext(): that may move the visitor to the next key group.
        for (StateEntry<String, VoidNamespace, TraceState> entry : bucket) {
          if (ServiceGraphFunction.forgettable(entry.getState(), now)) {
            visitor.remove(entry);
          } else {
            keep(entry.getState());
          }
        }
      }
      if (visitor.hasNext()) {
        return false;
      }
      visitor = null;
      return true;
    }
    if (columnWalking) {
      return columnSlice(now);
    }
    while (visited < sliceKeys && keys.hasNext()) {
      String key = keys.next();
      backend.setCurrentKey(key);
      visited++;
      TraceState trace = state.value();
      if (ServiceGraphFunction.forgettable(trace, now)) {
        state.clear();
      } else if (trace != null) {
        keep(trace);
        filter.walkKept(key);
      }
    }
    if (keys.hasNext()) {
      return false;
    }
    filter.walkEnded();
    close();
    return true;
  }

  private boolean columnSlice(long now) throws Exception {
    try (RocksIteratorWrapper it = column.iteratorAt(resumeAt)) {
      for (int visited = 0; visited < sliceKeys && it.isValid(); visited++, it.next()) {
        byte[] value = it.value();
        boolean nothingWaits = TraceStateSerializer.nothingWaits(value);
        long forgetAt = nothingWaits ? TraceStateSerializer.forgetAt(value) : Long.MIN_VALUE;
        if (ServiceGraphFunction.forgettable(nothingWaits, forgetAt, now)) {
          column.delete(it.key());
          continue;
        }
        if (nothingWaits) {
          lowestKept = Math.min(lowestKept, forgetAt);
        }
        filter.walkKept((String) column.keyOf(it.key()));
      }
      if (it.isValid()) {
        resumeAt = it.key();
        return false;
      }
    }
    filter.walkEnded();
    close();
    return true;
  }

  private void keep(TraceState trace) {
    if (trace != null && trace.pending.isEmpty()) {
      lowestKept = Math.min(lowestKept, trace.forgetAt);
    }
  }

  /**
   * Deletes every trace left, in one go, without reading any: for the end of input, once every expiry
   * timer has fired, when every trace is {@link ServiceGraphFunction#forgettable} by construction.
   * Ends any walk under way.
   */
  void deleteAll() throws Exception {
    start();
    if (visitor != null) {
      // The heap visitor holds each trace in hand already: checking it costs nothing.
      boolean done = false;
      while (!done) {
        done = slice(Long.MAX_VALUE);
      }
      return;
    }
    if (columnWalking) {
      column.deleteAll();
    } else {
      while (keys.hasNext()) {
        backend.setCurrentKey(keys.next());
        state.clear();
      }
    }
    filter.emptied();
    close();
  }

  /** Ends the walk under way, if any, releasing the key stream's RocksDB iterator. */
  @Override
  public void close() {
    if (filter != null && walking()) {
      filter.walkDropped();
    }
    columnWalking = false;
    resumeAt = null;
    visitor = null;
    keys = null;
    state = null;
    if (keyStream != null) {
      Stream<String> s = keyStream;
      keyStream = null;
      s.close();
    }
  }
}
