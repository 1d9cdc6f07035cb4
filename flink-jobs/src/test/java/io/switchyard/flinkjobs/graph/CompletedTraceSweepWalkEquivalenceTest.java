package io.switchyard.flinkjobs.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * On RocksDB, the sweep's walk that reads each trace from its own per-slice iterator over the column
 * family ({@link RocksDbStateColumn}) against the walk it replaced, Flink's key stream with a point
 * lookup per key (still the walk on any other keyed backend: here the same RocksDB backend behind a
 * proxy, so it is not recognised as RocksDB's). On random states and slice sizes, with traces renewed,
 * given a waiting span, added and deleted between slices, both walks must leave the same state; when
 * nothing is added or deleted during the walk, both visit the same keys in the same slices and must also
 * agree on the lowest forget time they kept.
 */
class CompletedTraceSweepWalkEquivalenceTest {
  private static final PairingConfig CONFIG = new PairingConfig(Duration.ofSeconds(10), Duration.ofSeconds(10),
      PairingConfig.TimeDomain.EVENT, Duration.ofMinutes(1), PairingConfig.DEFAULT_PEER_ATTRIBUTES);
  private static final long NOW = 1_000_000;

  @Test
  void theColumnFamilyWalkAndTheKeyLookupWalkAgreeOnRandomStatesWithChangesBetweenSlices() throws Exception {
    try (Side column = new Side(false); Side lookup = new Side(true)) {
      for (int seed = 1; seed <= 400; seed++) {
        compare(seed, column, lookup);
      }
    }
  }

  private static void compare(int seed, Side column, Side lookup) throws Exception {
    Random r = new Random(seed);
    // Even seeds only renew traces or make them wait between slices, so both walks stay in step; odd
    // seeds also add and delete traces, which moves one walk's slice boundaries against the other's
    // (the lookup walk counts a key deleted behind it, the column walk sees one added ahead of it).
    boolean inStep = seed % 2 == 0;
    List<String> keys = new ArrayList<>();
    int traces = 1 + r.nextInt(80);
    for (int i = 0; i < traces; i++) {
      String key = "trace-" + seed + "-" + r.nextInt(1_000_000);
      TraceState t = TraceStateSerializerTest.randomTrace(r);
      if (t.pending.isEmpty()) {
        t.forgetAt = NOW - 50 + r.nextInt(100); // about half of them due when the walk starts
      }
      keys.add(key);
      column.put(key, t);
      lookup.put(key, t);
    }
    int sliceKeys = 1 + r.nextInt(10);
    CompletedTraceSweep a = new CompletedTraceSweep(column.backend(), column.descriptor(), sliceKeys);
    CompletedTraceSweep b = new CompletedTraceSweep(lookup.backend(), lookup.descriptor(), sliceKeys);
    a.start();
    b.start();
    boolean aDone = false;
    boolean bDone = false;
    long now = NOW;
    while (!aDone || !bDone) {
      if (inStep) {
        now += r.nextInt(10); // a later clock per slice: only in step do both read it at the same keys
      }
      if (!aDone) {
        aDone = a.slice(now);
      }
      if (!bDone) {
        bDone = b.slice(now);
      }
      if (inStep) {
        assertThat(aDone).as("seed %d: the walks end together", seed).isEqualTo(bDone);
      }
      int changes = r.nextInt(4);
      for (int c = 0; c < changes && !keys.isEmpty(); c++) {
        String key = keys.get(r.nextInt(keys.size()));
        TraceState t = TraceStateSerializerTest.randomTrace(r);
        switch (inStep ? r.nextInt(2) : r.nextInt(4)) {
          case 0 -> { // a new span completes it again: remembered a TTL from now
            t.pending.clear();
            t.forgetAt = NOW + 60_000;
          }
          case 1 -> t = waiting(r); // a span that waits
          case 2 -> { // a new trace that waits, written as the pairing writes one: into the key filter too
            key = "trace-" + seed + "-new-" + r.nextInt(1_000_000);
            keys.add(key);
            t = waiting(r);
          }
          default -> t = null; // deleted behind the walk, as a legacy cleanup timer does
        }
        // The pairing adds a key to the filter when it writes a trace it did not find: a new one, or
        // one deleted before (by the walk, or behind it).
        if (t != null && !column.holds(key)) {
          a.keyFilter().added(key);
        }
        if (t != null && !lookup.holds(key)) {
          b.keyFilter().added(key);
        }
        column.put(key, t);
        lookup.put(key, t);
      }
    }
    assertThat(column.contents()).as("seed %d", seed).isEqualTo(lookup.contents());
    assertThat(a.sawEveryKey()).isTrue();
    assertThat(b.sawEveryKey()).isTrue();
    // Both walks rebuilt their key filter: it holds every trace left. When only the walk deleted, it
    // also lacks every trace that is gone (this few keys in a filter sized for 131,072 make a false
    // positive all but impossible); a trace deleted behind the walk after it was visited may stay in.
    Set<String> left = column.contents().keySet();
    for (CompletedTraceSweep walk : List.of(a, b)) {
      assertThat(walk.keyFilter().complete()).isTrue();
      for (String key : keys) {
        if (inStep) {
          assertThat(walk.keyFilter().mayHold(key)).as("seed %d, key %s", seed, key).isEqualTo(left.contains(key));
        } else if (left.contains(key)) {
          assertThat(walk.keyFilter().mayHold(key)).as("seed %d, key %s", seed, key).isTrue();
        }
      }
    }
    if (inStep) {
      assertThat(a.lowestKept()).as("seed %d", seed).isEqualTo(b.lowestKept());
    }
    column.clear();
    lookup.clear();
  }

  private static TraceState waiting(Random r) {
    TraceState t;
    do {
      t = TraceStateSerializerTest.randomTrace(r);
    } while (t.pending.isEmpty());
    return t;
  }

  /** A RocksDB keyed backend holding the pairing state, seen as RocksDB's or, through a proxy, as any backend. */
  private static final class Side implements AutoCloseable {
    private final ServiceGraphOperator operator = new ServiceGraphOperator(CONFIG);
    private final KeyedOneInputStreamOperatorTestHarness<String, TraceSpans, EdgeEvent> harness;
    private final KeyedStateBackend<String> backend;

    @SuppressWarnings("unchecked")
    Side(boolean hidden) throws Exception {
      harness = new KeyedOneInputStreamOperatorTestHarness<>(operator, TraceSpans::key, Types.STRING);
      harness.setStateBackend(new EmbeddedRocksDBStateBackend());
      harness.open();
      KeyedStateBackend<String> real = operator.getKeyedStateBackend();
      backend = !hidden ? real : (KeyedStateBackend<String>) Proxy.newProxyInstance(getClass().getClassLoader(),
          new Class<?>[] {KeyedStateBackend.class}, (proxy, method, args) -> {
            try {
              return method.invoke(real, args);
            } catch (InvocationTargetException e) {
              throw e.getCause();
            }
          });
      assertThat(RocksDbStateColumn.of(backend, "trace-pairing") != null).isEqualTo(!hidden);
    }

    KeyedStateBackend<String> backend() {
      return backend;
    }

    ValueStateDescriptor<TraceState> descriptor() {
      return operator.function().stateDescriptor();
    }

    private ValueState<TraceState> state() throws Exception {
      return backend.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, descriptor());
    }

    void put(String key, TraceState t) throws Exception {
      backend.setCurrentKey(key);
      if (t == null) {
        state().clear();
      } else {
        state().update(t);
      }
    }

    boolean holds(String key) throws Exception {
      backend.setCurrentKey(key);
      return state().value() != null;
    }

    /** Every trace left, as its stored bytes in hex, by key. */
    Map<String, String> contents() throws Exception {
      Map<String, String> out = new TreeMap<>();
      List<String> keys;
      try (Stream<String> s = backend.getKeys("trace-pairing", VoidNamespace.INSTANCE)) {
        keys = s.toList();
      }
      for (String key : keys) {
        backend.setCurrentKey(key);
        DataOutputSerializer bytes = new DataOutputSerializer(64);
        TraceStateSerializer.INSTANCE.serialize(state().value(), bytes);
        out.put(key, HexFormat.of().formatHex(bytes.getCopyOfBuffer()));
      }
      return out;
    }

    void clear() throws Exception {
      for (String key : contents().keySet()) {
        put(key, null);
      }
    }

    @Override
    public void close() throws Exception {
      harness.close();
    }
  }
}
