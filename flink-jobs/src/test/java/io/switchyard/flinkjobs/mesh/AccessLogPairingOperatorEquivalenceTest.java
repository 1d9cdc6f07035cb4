package io.switchyard.flinkjobs.mesh;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.flinkjobs.graph.PairingConfig.TimeDomain;
import io.switchyard.flinkjobs.mesh.AccessLogPairing.Outcome;
import io.switchyard.model.v1.AccessLogRecord;
import io.switchyard.model.v1.AccessLogRecord.Protocol;
import io.switchyard.model.v1.AccessLogRecord.Reporter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * Random report streams through the one-report-at-a-time pairing with a timer per request (the build
 * before the sweep: {@link TimerPerRequestPairing} in a plain {@link KeyedProcessOperator}) and through
 * {@link AccessLogPairingOperator}, which holds reports until the next watermark and sweeps paired
 * keys instead of a timer each: the same edges with the same timestamps and the same outcome counts,
 * whatever the order of sides, duplicates (also just after a key's memory ran out, before a walk came),
 * repeated calls, late and lone reports, hold limit, wall-clock pairing of held reports, walks of a few
 * keys per watermark, and a snapshot restored at a random point (taken from either operator, so the
 * earlier build's state and timers restore into the new one), on the heap and on RocksDB; with no
 * memory after the wait (the earlier builds) and with memories shorter and longer than a stream.
 */
class AccessLogPairingOperatorEquivalenceTest {
  private static final long T0 = 1_700_000_000_000L;
  private static final Duration WAIT = Duration.ofSeconds(10);
  /** After the wait: none (as before session 16), some (streams span up to ~5 minutes), all of a stream. */
  private static final List<Duration> MEMORIES = List.of(Duration.ZERO, Duration.ofSeconds(20), Duration.ofSeconds(45),
      Duration.ofMinutes(10));

  /** Advances the wall clock by more than the longest hold instead of a watermark. */
  private static final long TICK = -1;

  /** One step of a stream: a report, or a watermark when {@code report} is null (a wall-clock tick at {@link #TICK}). */
  private record Step(AccessLogRecord report, long time) {}

  @Test
  void sweptPairingEmitsWhatTimerPerRequestPairingEmitsOnTheHeap() throws Exception {
    long latePartners = 0;
    for (int seed = 0; seed < 300; seed++) {
      latePartners += compare(seed, false).get(Outcome.LATE_PARTNER);
    }
    assertThat(latePartners).as("late partners of lone reports in the streams").isPositive();
  }

  @Test
  void sweptPairingEmitsWhatTimerPerRequestPairingEmitsOnRocksDb() throws Exception {
    for (int seed = 1000; seed < 1040; seed++) {
      compare(seed, true);
    }
  }

  /** The outcome counts of the reference run, once the swept run matched it. */
  private static Map<Outcome, Long> compare(int seed, boolean rocksDb) throws Exception {
    Random random = new Random(seed);
    List<Step> steps = stream(random);
    int restoreAt = random.nextInt(steps.size() + 1);
    int maxHeld = 1 + random.nextInt(6);
    // Walks of a few keys, so a walk spans several watermarks while keys come and go; some whole.
    int sliceKeys = seed % 4 == 0 ? AccessLogPairingOperator.SLICE_KEYS : 1 + random.nextInt(3);
    Duration memory = MEMORIES.get(seed / 4 % MEMORIES.size());
    Result reference = run(steps, -1, false, maxHeld, sliceKeys, memory, rocksDb);
    Result swept = run(steps, restoreAt, seed % 2 == 0, maxHeld, sliceKeys, memory, rocksDb);
    assertThat(swept.edges).as("edges, seed %d", seed).isEqualTo(reference.edges);
    assertThat(swept.outcomes).as("outcomes, seed %d", seed).isEqualTo(reference.outcomes);
    assertThat(reference.outcomes.get(Outcome.PAIRED) + reference.outcomes.get(Outcome.LONE)).isPositive();
    return reference.outcomes;
  }

  @Test
  void heldReportsArePairedOnTheWallClockWhenNoWatermarkComes() throws Exception {
    var harness = new KeyedOneInputStreamOperatorTestHarness<>(
        new AccessLogPairingOperator(WAIT, Duration.ofSeconds(20), TimeDomain.EVENT), AccessLogPairing::key, Types.STRING);
    harness.open();
    for (boolean source : new boolean[] {true, false}) {
      AccessLogRecord r = report("r1", source, "cart", T0);
      harness.processElement(new StreamRecord<>(r, T0));
    }
    assertThat(harness.extractOutputValues()).isEmpty();
    harness.setProcessingTime(AccessLogPairingOperator.MAX_HOLD_MS);
    assertThat(harness.extractOutputValues()).hasSize(1);
    harness.close();
  }

  private static List<Step> stream(Random random) {
    List<Step> steps = new ArrayList<>();
    List<AccessLogRecord> sent = new ArrayList<>();
    long now = T0;
    long watermark = Long.MIN_VALUE;
    int n = 20 + random.nextInt(80);
    for (int i = 0; i < n; i++) {
      now += random.nextInt(3_000);
      int kind = random.nextInt(10);
      if (kind == 0 && !sent.isEmpty()) {
        // The same report again (an ingest retry), maybe long after.
        AccessLogRecord again = sent.get(random.nextInt(sent.size()));
        steps.add(new Step(again, again.getStartTimeUnixNano() / 1_000_000));
      } else if (kind == 3 && random.nextBoolean()) {
        steps.add(new Step(null, TICK));
      } else if (kind == 1) {
        watermark = Math.max(watermark, now - random.nextInt(15_000));
        steps.add(new Step(null, watermark));
      } else {
        // Few request ids, so repeated calls and both sides of one request meet; some reports late.
        long start = kind == 2 ? now - random.nextInt(40_000) : now;
        AccessLogRecord r = report("r" + random.nextInt(6), random.nextBoolean(), random.nextBoolean() ? "cart" : "ratings", start);
        sent.add(r);
        steps.add(new Step(r, start));
      }
    }
    steps.add(new Step(null, Long.MAX_VALUE));
    return steps;
  }

  private static AccessLogRecord report(String requestId, boolean source, String callee, long startMs) {
    AccessLogRecord.Builder b = AccessLogRecord.newBuilder().setRequestId(requestId)
        .setAuthority(callee + ".shop.svc.cluster.local:8080").setDestinationService(callee + ".shop.svc.cluster.local")
        .setProtocol(Protocol.PROTOCOL_HTTP).setGrpcStatus(-1).setStartTimeUnixNano(startMs * 1_000_000);
    if (source) {
      return b.setReporter(Reporter.REPORTER_SOURCE).setSourceWorkload("frontend").setSourceNamespace("shop")
          .setUpstreamCluster("outbound|8080||" + callee + ".shop.svc.cluster.local").setResponseCode(200)
          .setDurationMicros(startMs % 1_000).build();
    }
    return b.setReporter(Reporter.REPORTER_DESTINATION).setSourcePrincipal("spiffe://cluster.local/ns/shop/sa/frontend")
        .setDestinationWorkload(callee + "-v1").setDestinationNamespace("shop").setUpstreamCluster("inbound|8080||")
        .setResponseCode(startMs % 3 == 0 ? 503 : 200).setDurationMicros(startMs % 700).build();
  }

  private record Result(Map<String, Integer> edges, Map<Outcome, Long> outcomes) {}

  private static final class Run {
    final boolean swept;
    final int maxHeld;
    final int sliceKeys;
    final Duration memory;
    final boolean rocksDb;
    AccessLogPairing function;
    TimerPerRequestPairing oracle;
    AccessLogPairingOperator operator;
    KeyedOneInputStreamOperatorTestHarness<String, AccessLogRecord, EdgeEvent> harness;
    final Map<String, Integer> edges = new HashMap<>();
    final Map<Outcome, Long> outcomes = new EnumMap<>(Outcome.class);

    Run(boolean swept, int maxHeld, int sliceKeys, Duration memory, boolean rocksDb) {
      this.swept = swept;
      this.maxHeld = maxHeld;
      this.sliceKeys = sliceKeys;
      this.memory = memory;
      this.rocksDb = rocksDb;
      for (Outcome o : Outcome.values()) {
        outcomes.put(o, 0L);
      }
    }

    void start(OperatorSubtaskState restore) throws Exception {
      OneInputStreamOperator<AccessLogRecord, EdgeEvent> op;
      if (swept) {
        function = new AccessLogPairing(WAIT, memory, TimeDomain.EVENT);
        op = operator = new AccessLogPairingOperator(function, maxHeld, sliceKeys);
      } else {
        oracle = new TimerPerRequestPairing(WAIT, memory);
        op = new KeyedProcessOperator<>(oracle);
      }
      harness = new KeyedOneInputStreamOperatorTestHarness<>(op, AccessLogPairing::key, Types.STRING);
      if (rocksDb) {
        harness.setStateBackend(new EmbeddedRocksDBStateBackend());
      }
      if (restore != null) {
        harness.initializeState(restore);
      }
      harness.open();
      if (swept) {
        assertThat(operator.sweep().readsColumn()).isEqualTo(rocksDb);
      }
    }

    void step(Step s) throws Exception {
      if (s.report == null && s.time == TICK) {
        harness.setProcessingTime(harness.getProcessingTime() + AccessLogPairingOperator.MAX_HOLD_MS + 1);
      } else if (s.report == null) {
        harness.processWatermark(new Watermark(s.time));
      } else {
        harness.processElement(new StreamRecord<>(s.report, s.time));
      }
    }

    /** Collects this harness's edges and counts, then closes it. */
    void stop() throws Exception {
      for (Object o : harness.getOutput()) {
        if (o instanceof StreamRecord<?> r) {
          edges.merge(r.getTimestamp() + " " + r.getValue(), 1, Integer::sum);
        }
      }
      for (Outcome o : Outcome.values()) {
        outcomes.merge(o, swept ? function.count(o) : oracle.counts.get(o), Long::sum);
      }
      harness.close();
    }

    /** After the end of input nothing is left in the state: every wait has ended. */
    void assertStateEmpty() {
      try (Stream<Object> keys = harness.getOperator() instanceof AccessLogPairingOperator o
          ? o.getKeyedStateBackend().getKeys("access-log-pairing", VoidNamespace.INSTANCE) : Stream.empty()) {
        assertThat(keys).isEmpty();
      }
    }
  }

  /**
   * One run, timer per request or swept; at {@code restoreAt} (if not -1) snapshots and continues in a
   * fresh swept operator restored from it, the part before the snapshot run by the earlier build if
   * {@code earlierFirst}.
   */
  private static Result run(List<Step> steps, int restoreAt, boolean earlierFirst, int maxHeld, int sliceKeys, Duration memory,
      boolean rocksDb) throws Exception {
    boolean restores = restoreAt >= 0;
    Run first = new Run(restores ? !earlierFirst : earlierFirst, maxHeld, sliceKeys, memory, rocksDb);
    first.start(null);
    Run current = first;
    for (int i = 0; i < steps.size(); i++) {
      if (i == restoreAt) {
        // As a task does before every checkpoint and savepoint (the harness's snapshot alone does not).
        current.harness.prepareSnapshotPreBarrier(1);
        OperatorSubtaskState snapshot = current.harness.snapshot(1, 1);
        current.stop();
        Run next = new Run(true, maxHeld, sliceKeys, memory, rocksDb);
        next.edges.putAll(current.edges);
        next.outcomes.putAll(current.outcomes);
        next.start(snapshot);
        current = next;
      }
      current.step(steps.get(i));
    }
    current.assertStateEmpty();
    current.stop();
    return new Result(current.edges, current.outcomes);
  }
}
