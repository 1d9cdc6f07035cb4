package io.switchyard.flinkjobs.graph;

import static io.switchyard.flinkjobs.graph.Spans.span;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.flinkjobs.graph.ServiceGraphFunction.Outcome;
import io.switchyard.model.v1.SpanRecord;
import io.switchyard.model.v1.SpanRecord.SpanKind;
import io.switchyard.model.v1.SpanRecord.StatusCode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import java.util.stream.Stream;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The swept pairing ({@link ServiceGraphOperator}) against the build before it, where every completed
 * trace held a cleanup timer ({@link TimerCleanupServiceGraphFunction}), on random span streams: pairs in
 * either order, fan-out with consumers that read the message at once, after the pairing wait (within
 * the producer's longer wait) or after the producer's wait too, database and root spans, orphans that
 * expire, errors, out-of-order arrival, spans that arrive after their partner expired, and redeliveries
 * both within the dedupe TTL and long after it. The swept build walks its state in slices of a few keys, so walks span several watermarks
 * while traces come and go, and it is restored from a snapshot once, mostly in the middle of a walk.
 * Both must emit the same edges and count the same outcomes, on the heap and on RocksDB. (The two only
 * differ in when, from a TTL after a trace's last span to 1.5 TTL plus a walk or so, it is forgotten;
 * no redelivery here falls there.)
 */
class ServiceGraphSweepEquivalenceTest {
  private static final long T0 = 1_700_000_000_000L;
  /** Producers wait 40 s, four pairing waits, for consumers that read their message late. */
  private static final PairingConfig CONFIG = new PairingConfig(Duration.ofSeconds(10), Duration.ofSeconds(40),
      PairingConfig.TimeDomain.EVENT, Duration.ofMinutes(1), PairingConfig.DEFAULT_PEER_ATTRIBUTES);
  private static final long OUT_OF_ORDER_MS = 2_000;
  private static final long WATERMARK_TICK_MS = 5_000;
  private static final int ROCKSDB_STREAMS_TO = 1060;

  private record Arrival(long atMs, SpanRecord span) {}

  @Test
  void sweptAndTimerCleanupAgreeOnRandomStreamsOnTheHeapBackend() throws Exception {
    double longestQueue = 0;
    for (int seed = 1; seed <= 300; seed++) {
      longestQueue = Math.max(longestQueue, compare(seed, false));
    }
    // The streams do exercise consumers later than the pairing wait that still pair with their producer.
    assertThat(longestQueue).isGreaterThan(CONFIG.pairingWait().toSeconds() * 2);
  }

  @Test
  void sweptAndTimerCleanupAgreeOnRandomStreamsOnRocksDb() throws Exception {
    for (int seed = 1001; seed <= ROCKSDB_STREAMS_TO; seed++) {
      compare(seed, true);
    }
  }

  /** Runs one stream through both builds; returns the longest queue latency of a messaging edge, in seconds. */
  private static double compare(int seed, boolean rocksDb) throws Exception {
    List<Arrival> stream = stream(new Random(seed), seed);
    // Slices of a few keys, fewer than the traces alive at once, so a walk spans several watermarks and
    // spans come and go between its slices; every fifth stream runs with the default slice (whole walks).
    int sliceKeys = seed % 5 == 0 ? ServiceGraphOperator.SLICE_KEYS : 3 + seed % 4;
    // The swept build is also restored from a snapshot once, at a random point (usually mid-walk).
    int restoreAt = new Random(-seed).nextInt(stream.size());
    // Completed traces held for one batched RocksDB write: up to the default bound (drained at watermarks
    // and snapshots), or one or two at a time, so a batch also drains them while its own key is current.
    int maxHeld = seed % 3 == 0 ? CompletedTraceWrites.MAX_TRACES : seed % 3;
    Run swept = run(() -> new ServiceGraphOperator(CONFIG, sliceKeys, maxHeld), stream, new Random(seed), rocksDb, restoreAt);
    Run timers = run(() -> new KeyedProcessOperator<>(new TimerCleanupServiceGraphFunction(CONFIG)), stream, new Random(seed),
        rocksDb, -1);
    assertThat(swept.edges).as("seed %d", seed).isNotEmpty().containsExactlyInAnyOrderElementsOf(timers.edges);
    assertThat(swept.counts).as("seed %d", seed).isEqualTo(timers.counts);
    return swept.edges.stream().mapToDouble(e -> e.messagingLatencySeconds).max().orElse(0);
  }

  private record Run(List<EdgeEvent> edges, Map<Outcome, Long> counts) {}

  /**
   * Feeds the stream in random batches of one trace's consecutive spans, with watermarks, then ends it;
   * before arrival {@code restoreAt} (none if negative) snapshots the operator and continues on a new
   * one restored from that snapshot.
   */
  private static Run run(Supplier<KeyedProcessOperator<String, TraceSpans, EdgeEvent>> build, List<Arrival> stream,
      Random random, boolean rocksDb, int restoreAt) throws Exception {
    List<EdgeEvent> edges = new ArrayList<>();
    Map<Outcome, Long> counts = new EnumMap<>(Outcome.class);
    KeyedProcessOperator<String, TraceSpans, EdgeEvent> operator = build.get();
    var harness = open(operator, rocksDb, null);
    if (rocksDb && operator instanceof ServiceGraphOperator) {
      // The sweep reads RocksDB's column family itself, not a point lookup per key.
      assertThat(RocksDbStateColumn.of(operator.getKeyedStateBackend(), "trace-pairing")).isNotNull();
    }
    long readsSkipped = 0;
    try {
      long maxSeen = Long.MIN_VALUE;
      long watermark = Long.MIN_VALUE;
      boolean restored = restoreAt < 0;
      for (int i = 0; i < stream.size(); ) {
        if (!restored && i >= restoreAt) {
          restored = true;
          OperatorSubtaskState snapshot = harness.snapshot(1, 1);
          edges.addAll(harness.extractOutputValues());
          addCounts(operator, counts);
          readsSkipped += readsSkipped(operator);
          harness.close();
          operator = build.get();
          harness = open(operator, rocksDb, snapshot);
          // The watermark first, as in both builds' jobs the clock must not start over behind the spans.
          harness.processWatermark(new Watermark(watermark));
        }
        // Watermarks at random, but never more than a few seconds behind the arrivals: a redelivery long
        // after its trace must meet a clock that has moved on too, as in a live stream. Through a gap in
        // the arrivals the clock still ticks every few seconds, as periodic watermarks do in a live job
        // (so a walk, a slice per watermark, takes about as long in event time as it would there).
        long due = Math.max(maxSeen, stream.get(i).atMs) - OUT_OF_ORDER_MS;
        while (watermark != Long.MIN_VALUE && due - watermark > WATERMARK_TICK_MS) {
          watermark += WATERMARK_TICK_MS;
          harness.processWatermark(new Watermark(watermark));
        }
        if (due > watermark && (due - watermark >= WATERMARK_TICK_MS || random.nextInt(4) == 0)) {
          watermark = due;
          harness.processWatermark(new Watermark(watermark));
        }
        assertTheKeyFilterHoldsEveryTrace(operator);
        TraceSpans batch = single(stream.get(i).span);
        maxSeen = Math.max(maxSeen, stream.get(i).atMs);
        int j = i + 1;
        while (j < stream.size() && stream.get(j).span.getTraceId().equals(stream.get(i).span.getTraceId()) && random.nextBoolean()) {
          batch.append(single(stream.get(j).span));
          maxSeen = Math.max(maxSeen, stream.get(j).atMs);
          j++;
        }
        harness.processElement(new StreamRecord<>(batch, batch.timestamp()));
        assertTheKeyFilterHoldsEveryTrace(operator);
        i = j;
      }
      harness.processWatermark(new Watermark(Long.MAX_VALUE));
      try (Stream<String> left = operator.<String>getKeyedStateBackend().getKeys("trace-pairing", VoidNamespace.INSTANCE)) {
        assertThat(left).isEmpty();
      }
      edges.addAll(harness.extractOutputValues());
      addCounts(operator, counts);
      if (rocksDb && operator instanceof ServiceGraphOperator) {
        // Every stream starts empty (or restores an empty snapshot), so its first new trace skips the read.
        assertThat(readsSkipped + readsSkipped(operator)).isPositive();
      }
      return new Run(edges, counts);
    } finally {
      harness.close();
    }
  }

  private static KeyedOneInputStreamOperatorTestHarness<String, TraceSpans, EdgeEvent> open(
      KeyedProcessOperator<String, TraceSpans, EdgeEvent> operator, boolean rocksDb, OperatorSubtaskState restoreFrom)
      throws Exception {
    var harness = new KeyedOneInputStreamOperatorTestHarness<>(operator, TraceSpans::key, Types.STRING);
    if (rocksDb) {
      harness.setStateBackend(new EmbeddedRocksDBStateBackend());
    }
    if (restoreFrom != null) {
      harness.initializeState(restoreFrom);
    }
    harness.open();
    return harness;
  }

  private static long readsSkipped(KeyedProcessOperator<String, TraceSpans, EdgeEvent> operator) {
    return operator instanceof ServiceGraphOperator swept ? swept.function().readsSkipped() : 0;
  }

  /**
   * A trace in the state that a complete key filter lacks would have its next batch start a new trace
   * without reading it: fails at the first step where that happens, before any edge could differ.
   */
  private static void assertTheKeyFilterHoldsEveryTrace(KeyedProcessOperator<String, TraceSpans, EdgeEvent> operator) {
    if (!(operator instanceof ServiceGraphOperator swept) || swept.keyFilter() == null || !swept.keyFilter().complete()) {
      return;
    }
    try (Stream<String> keys = swept.<String>getKeyedStateBackend().getKeys("trace-pairing", VoidNamespace.INSTANCE)) {
      assertThat(keys).allMatch(swept.keyFilter()::mayHold);
    }
  }

  private static void addCounts(KeyedProcessOperator<String, TraceSpans, EdgeEvent> operator, Map<Outcome, Long> counts) {
    for (Outcome o : Outcome.values()) {
      long n = operator.getUserFunction() instanceof ServiceGraphFunction f ? f.count(o)
          : ((TimerCleanupServiceGraphFunction) operator.getUserFunction()).count(o);
      counts.merge(o, n, Long::sum);
    }
  }

  private static TraceSpans single(SpanRecord r) {
    return TraceSpans.of(r.getTraceId().toByteArray(), r.toByteArray(), r.getEndTimeUnixNano() / 1_000_000);
  }

  /** About 25 traces of random shapes over five minutes of event time, in arrival order. */
  static List<Arrival> stream(Random r, int seed) {
    List<Arrival> out = new ArrayList<>();
    List<Arrival> late = new ArrayList<>();
    int traces = 10 + r.nextInt(30);
    for (int t = 0; t < traces; t++) {
      long trace = seed * 1_000L + t;
      long base = T0 + r.nextInt(300_000);
      List<SpanRecord> spans = new ArrayList<>();
      long nextId = 1;
      int requests = 1 + r.nextInt(3);
      for (int q = 0; q < requests; q++) {
        long start = base + r.nextInt(2_000);
        String client = "svc-" + r.nextInt(6);
        String server = "svc-" + r.nextInt(6);
        long c = nextId++;
        long s = nextId++;
        switch (r.nextInt(7)) {
          case 0, 1 -> { // a pair, possibly failed on either side
            spans.add(status(span(trace, c, 0, client, SpanKind.SPAN_KIND_CLIENT, start, 50), r).build());
            spans.add(status(span(trace, s, c, server, SpanKind.SPAN_KIND_SERVER, start + 5, 40), r).build());
          }
          case 2 -> spans.add(span(trace, c, 0, client, SpanKind.SPAN_KIND_CLIENT, start, 30)
              .setPeerService(r.nextBoolean() ? "payments" : "").build()); // waits in vain: virtual server
          case 3 -> { // an orphan server (dropped at expiry) and a root server (user edge at once)
            spans.add(span(trace, s, 900 + q, server, SpanKind.SPAN_KIND_SERVER, start, 20).build());
            spans.add(span(trace, c, 0, client, SpanKind.SPAN_KIND_SERVER, start, 60).build());
          }
          case 4 -> spans.add(span(trace, c, 0, client, SpanKind.SPAN_KIND_CLIENT, start, 8).setDbSystem("postgresql").build());
          case 5 -> { // fan-out: one producer, up to three consumers, each at once or late
            spans.add(span(trace, c, 0, client, SpanKind.SPAN_KIND_PRODUCER, start, 5).setMessagingSystem("kafka").build());
            int consumers = r.nextInt(4);
            for (int k = 0; k < consumers; k++) {
              long lag = switch (r.nextInt(3)) {
                case 0 -> 100 + k;
                case 1 -> 15_000 + r.nextInt(20_000); // after the pairing wait, within the messaging wait
                default -> 35_000 + r.nextInt(15_000); // about when the producer's wait ends, or after it
              };
              spans.add(span(trace, nextId++, c, "svc-" + r.nextInt(6), SpanKind.SPAN_KIND_CONSUMER, start + lag, 10).build());
            }
          }
          default -> { // the server arrives after the client already expired
            spans.add(span(trace, c, 0, client, SpanKind.SPAN_KIND_CLIENT, start, 50).build());
            spans.add(span(trace, s, c, server, SpanKind.SPAN_KIND_SERVER, start + 15_000, 40).build());
          }
        }
      }
      long last = Long.MIN_VALUE;
      for (SpanRecord span : spans) {
        long end = span.getEndTimeUnixNano() / 1_000_000;
        long at = end + r.nextInt((int) OUT_OF_ORDER_MS);
        out.add(new Arrival(at, span));
        last = Math.max(last, at);
        if (r.nextInt(6) == 0) {
          out.add(new Arrival(at + r.nextInt(30_000), span)); // redelivered within the TTL: counted once
        }
      }
      if (r.nextInt(4) == 0) {
        // Redelivered long after the trace was forgotten by either build: a new span to both.
        late.add(new Arrival(last + 240_000 + r.nextInt(60_000), spans.get(r.nextInt(spans.size()))));
      }
    }
    out.addAll(late);
    out.sort(Comparator.comparingLong((ToLongFunction<Arrival>) Arrival::atMs));
    return out;
  }

  private static SpanRecord.Builder status(SpanRecord.Builder b, Random r) {
    return r.nextInt(8) == 0 ? b.setStatus(StatusCode.STATUS_CODE_ERROR) : b;
  }
}
