package io.switchyard.flinkjobs.mesh;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.flinkjobs.mesh.AccessLogPairing.Outcome;
import io.switchyard.flinkjobs.mesh.AccessLogPairing.PairState;
import io.switchyard.model.v1.AccessLogRecord;
import io.switchyard.model.v1.AccessLogRecord.Reporter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The event-time pairing as it was before the sweep (main at 15c9338), one report at a time: every
 * report that raises its key's due registers a timer, and the timer at the latest due counts what still
 * waits alone and deletes the key; with a {@code memory} (session 16) that timer keeps the key's start
 * times and sets a second one, {@code memory} later, that deletes it. Kept as the oracle of
 * {@link AccessLogPairingOperatorEquivalenceTest} and, with no memory, the writer of "earlier build"
 * snapshots: same state name, POJO and timer service as that build.
 */
final class TimerPerRequestPairing extends KeyedProcessFunction<String, AccessLogRecord, EdgeEvent> {
  private static final long serialVersionUID = 1L;

  private final long waitMs;
  private final long memoryMs;
  private transient ValueState<PairState> state;
  final Map<Outcome, Long> counts = new EnumMap<>(Outcome.class);

  TimerPerRequestPairing(Duration wait, Duration memory) {
    this.waitMs = wait.toMillis();
    this.memoryMs = memory.toMillis();
    for (Outcome o : Outcome.values()) {
      counts.put(o, 0L);
    }
  }

  @Override
  public void open(OpenContext openContext) {
    state = getRuntimeContext().getState(new ValueStateDescriptor<>("access-log-pairing", TypeInformation.of(PairState.class)));
  }

  private void count(Outcome o) {
    counts.merge(o, 1L, Long::sum);
  }

  @Override
  public void processElement(AccessLogRecord r, Context ctx, Collector<EdgeEvent> out) throws Exception {
    if (!AccessLogPairing.pairable(r)) {
      count(Outcome.REPORTER_RULE);
      AccessLogEdges.toEdge(r).ifPresent(out::collect);
      return;
    }
    PairState s = state.value();
    if (s == null) {
      s = new PairState();
    }
    boolean source = r.getReporter() == Reporter.REPORTER_SOURCE;
    long start = r.getStartTimeUnixNano();
    if (s.seen(source, start)) {
      count(Outcome.DROPPED_DUPLICATE);
      return;
    }
    List<byte[]> waiting = new ArrayList<>(Arrays.asList(s.waiting));
    boolean latePartner = waiting.isEmpty() && s.reports(!source) > s.reports(source);
    s.remember(source, start);
    if (latePartner) {
      count(Outcome.LATE_PARTNER); // the partner of a report that counted alone
      state.update(s);
      return;
    }
    if (!waiting.isEmpty() && s.waitingSource != source) {
      AccessLogRecord partner = AccessLogRecord.parseFrom(waiting.remove(0));
      out.collect(source ? AccessLogEdges.edge(r, partner) : AccessLogEdges.edge(partner, r));
      count(Outcome.PAIRED);
    } else {
      if (waiting.isEmpty() && s.due != Long.MIN_VALUE) {
        ctx.timerService().registerEventTimeTimer(s.due); // a remembered key's timer may have fired
      }
      s.waitingSource = source;
      waiting.add(r.toByteArray());
      long due = start / 1_000_000 + waitMs;
      if (due > s.due) {
        s.due = due;
        ctx.timerService().registerEventTimeTimer(due);
      }
    }
    s.waiting = waiting.toArray(new byte[0][]);
    state.update(s);
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<EdgeEvent> out) throws Exception {
    PairState s = state.value();
    if (s == null || timestamp < s.due) {
      return;
    }
    for (byte[] bytes : s.waiting) {
      AccessLogRecord lone = AccessLogRecord.parseFrom(bytes);
      out.collect(s.waitingSource ? AccessLogEdges.edge(lone, null) : AccessLogEdges.edge(null, lone));
      count(Outcome.LONE);
    }
    if (timestamp >= s.due + memoryMs) {
      state.clear();
      return;
    }
    s.waiting = new byte[0][];
    state.update(s);
    ctx.timerService().registerEventTimeTimer(s.due + memoryMs);
  }
}
