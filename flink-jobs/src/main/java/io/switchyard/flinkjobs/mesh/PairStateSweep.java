package io.switchyard.flinkjobs.mesh;

import io.switchyard.flinkjobs.graph.RocksDbStateColumn;
import io.switchyard.flinkjobs.graph.TraceKeyFilter;
import io.switchyard.flinkjobs.mesh.AccessLogPairing.PairState;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.state.rocksdb.RocksIteratorWrapper;

/**
 * One walk over the access-log pairing state that deletes the keys whose dedupe memory ran out
 * ({@link PairState#expired}: nothing waits and the memory after the wait ended), in place of a timer
 * per request.
 * Keys with a report still waiting are left alone: their timer counts them alone and deletes them.
 *
 * <p>On Flink's RocksDB backend (production) a walk goes a slice of keys at a time, each slice with a
 * fresh iterator over the state's column family that seeks to where the last one stopped and reads the
 * values from the iterator itself, as the completed-trace sweep does ({@code graph/CompletedTraceSweep}):
 * no point lookup per key, nothing pinned between slices, and the values are the current ones because
 * only the task thread writes. On any other backend (the heap in tests and local runs, a changelog
 * backend) a walk is one pass over Flink's key stream with a point lookup per key, deleting after the
 * stream is closed (the heap's live maps do not survive a delete mid-stream); the heap serves tests and
 * local runs, whose state is small.
 *
 * <p>Whatever a walk misses or reaches late is still invisible: the pairing treats an expired key as
 * absent ({@link AccessLogPairing#expiredUpTo}), so the sweep only bounds the state's size.
 *
 * <p>On RocksDB the sweep also keeps the {@link TraceKeyFilter} of the keys that may be in the state, as
 * the completed-trace sweep does: each walk that reaches its end rebuilds it from the keys it kept, and
 * the operator adds the keys it writes fresh. With minutes of requests remembered, a read for a new
 * request's key (nearly every read) misses in a state of hundreds of thousands of keys, the largest cost
 * of a request; the filter skips it.
 */
final class PairStateSweep implements AutoCloseable {
  private final KeyedStateBackend<String> backend;
  private final ValueStateDescriptor<PairState> descriptor;
  private final long memoryMs;
  private final int sliceKeys;
  /** The state's RocksDB column family; {@code null} on other backends. */
  private final RocksDbStateColumn column;
  /** The keys that may be in the state; {@code null} on other backends, whose walks do not rebuild it. */
  private final TraceKeyFilter filter;
  private final TypeSerializer<PairState> serializer;
  private final DataInputDeserializer input = new DataInputDeserializer();
  /** Whether a RocksDB walk is under way: the next slice seeks to {@link #resumeAt}. */
  private boolean walking;
  /** The first key the next slice visits, {@code null} for the first key of all. */
  private byte[] resumeAt;

  PairStateSweep(KeyedStateBackend<String> backend, ValueStateDescriptor<PairState> descriptor, long memoryMs, int sliceKeys) {
    if (sliceKeys < 1) {
      throw new IllegalArgumentException("keys per sweep slice must be positive, got " + sliceKeys);
    }
    this.backend = backend;
    this.descriptor = descriptor;
    this.memoryMs = memoryMs;
    this.sliceKeys = sliceKeys;
    this.column = RocksDbStateColumn.of(backend, descriptor.getName());
    this.serializer = descriptor.getSerializer().duplicate();
    this.filter = column == null ? null : new TraceKeyFilter();
    if (filter != null && column.isEmpty()) {
      filter.startEmpty(); // a fresh start; after a restore the filter is unknown until a walk ends
    }
  }

  /** The keys that may be in the state, or {@code null} when every key must be read. */
  TraceKeyFilter keyFilter() {
    return filter;
  }

  /** Whether the walk reads RocksDB's column family itself (for tests). */
  boolean readsColumn() {
    return column != null;
  }

  boolean walking() {
    return walking;
  }

  /** Starts a walk from the first key, dropping any walk under way. */
  void start() {
    walking = true;
    resumeAt = null;
    if (filter != null) {
      filter.walkStarted();
    }
  }

  /**
   * Visits about {@code sliceKeys} more keys (on RocksDB; elsewhere the whole state) and deletes those
   * expired by {@code now}.
   *
   * @return whether the walk is over
   */
  boolean slice(long now) throws Exception {
    if (column == null) {
      walkAll(now);
      close();
      return true;
    }
    try (RocksIteratorWrapper it = column.iteratorAt(resumeAt)) {
      for (int visited = 0; visited < sliceKeys && it.isValid(); visited++, it.next()) {
        input.setBuffer(it.value());
        if (serializer.deserialize(input).expired(now, memoryMs)) {
          column.delete(it.key());
        } else {
          filter.walkKept((String) column.keyOf(it.key()));
        }
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

  private void walkAll(long now) throws Exception {
    ValueState<PairState> state = backend.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, descriptor);
    List<String> expired = new ArrayList<>();
    try (Stream<String> keys = backend.getKeys(descriptor.getName(), VoidNamespace.INSTANCE)) {
      keys.forEach(key -> {
        backend.setCurrentKey(key);
        try {
          PairState s = state.value();
          if (s != null && s.expired(now, memoryMs)) {
            expired.add(key);
          }
        } catch (Exception e) {
          throw new IllegalStateException("cannot read the access-log pairing state of a key", e);
        }
      });
    }
    for (String key : expired) {
      backend.setCurrentKey(key);
      state.clear();
    }
  }

  /**
   * Deletes every key left, without reading any: for the end of input, once every timer has fired, so
   * that nothing waits and every wait has ended. Ends any walk under way.
   */
  void deleteAll() throws Exception {
    close();
    if (column != null) {
      column.deleteAll();
      filter.emptied();
    } else {
      walkAll(Long.MAX_VALUE);
    }
  }

  @Override
  public void close() {
    if (filter != null && walking) {
      filter.walkDropped(); // after walkEnded, nothing is left to drop
    }
    walking = false;
    resumeAt = null;
  }
}
